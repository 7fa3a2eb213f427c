package rehearsal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stateResource is one resource of `pulumi stack export`.
type stateResource struct {
	Type    string         `json:"type"`
	URN     string         `json:"urn"`
	ID      string         `json:"id"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
}

func exportState(t *testing.T, e *env, stack string) []stateResource {
	t.Helper()
	var exported struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal([]byte(e.cli(t, "stack", "export", "--stack", stack)), &exported))
	return exported.Deployment.Resources
}

// deployed prepares a work directory with the committed stack file and runs `up`.
func deployed(ctx context.Context, t *testing.T, root, pluginDir, stack string) (*env, auto.Stack, []byte) {
	t.Helper()
	stackFile, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi."+stack+".yaml"))
	require.NoError(t, err)
	e := setup(t, root, pluginDir, stack, stackFile)
	s := e.stack(ctx, t, stack)
	_, err = s.Up(ctx)
	require.NoError(t, err)
	return e, s, stackFile
}

// only returns the single resource of a type.
func only(t *testing.T, rs []stateResource, typ string) stateResource {
	t.Helper()
	var found []stateResource
	for _, r := range rs {
		if r.Type == typ {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "exactly one %s in state", typ)
	return found[0]
}

// A route removed, then a route renamed, on a running dev stack: each `up` replaces the
// deployment with one made from the new document, the stage points to it, the old deployment
// is deleted (the stand-in refuses to delete a deployment a stage still uses), and a third
// preview shows no changes. The stand-in replaces on the provider's ForceNew inputs
// (standin/lifecycle.go); it is not AWS.
func TestRouteRemovalAndRename(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	ctx := context.Background()
	const stack = "dev"
	e, s, stackFile := deployed(ctx, t, root, pluginDir, stack)

	for _, step := range []struct {
		name, from, to, gone, now string
	}{
		{"remove propensity-scores", "      - {path: propensity-scores, kind: csv, model: propensity}\n", "", "/propensity-scores", "/predicted-ratings/{user_id}"},
		{"rename predicted-ratings", "{path: predicted-ratings,", "{path: movie-ratings,", "/predicted-ratings/{user_id}", "/movie-ratings/{user_id}"},
	} {
		before := only(t, exportState(t, e, stack), awstypes.APIGatewayDeployment)
		edited := strings.Replace(string(stackFile), step.from, step.to, 1)
		require.NotEqual(t, string(stackFile), edited, step.name)
		stackFile = []byte(edited)
		require.NoError(t, os.WriteFile(filepath.Join(e.work, "Pulumi."+stack+".yaml"), stackFile, 0o644))

		start := time.Now()
		up, err := s.Up(ctx)
		require.NoError(t, err, step.name)
		t.Logf("%s: up %s, changes %v", step.name, time.Since(start).Round(time.Millisecond), *up.Summary.ResourceChanges)
		assert.Equal(t, 1, (*up.Summary.ResourceChanges)[string(apitype.OpReplace)], "%s: the deployment is replaced", step.name)

		state := exportState(t, e, stack)
		api := only(t, state, awstypes.APIGatewayRestApi)
		dep := only(t, state, awstypes.APIGatewayDeployment)
		stage := only(t, state, awstypes.APIGatewayStage)
		body := api.Inputs["body"].(string)
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &doc))
		assert.NotContains(t, doc.Paths, step.gone, step.name)
		assert.Contains(t, doc.Paths, step.now, step.name)
		assert.NotEqual(t, before.ID, dep.ID, "%s: a new deployment", step.name)
		assert.Equal(t, restapi.DocumentHash(body), dep.Inputs["triggers"].(map[string]any)["document"], "%s: made from the new document", step.name)
		assert.Equal(t, dep.ID, stage.Inputs["deployment"], "%s: the stage serves it", step.name)

		pre, err := s.Preview(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[apitype.OpType]int{apitype.OpSame: pre.ChangeSummary[apitype.OpSame]}, pre.ChangeSummary, "%s: nothing left to do", step.name)
	}
}

// The stand-in's lifecycle rules bite: a create-before-delete replacement of a fixed name
// fails, and so does deleting a deployment a stage still points to.
func TestStandInReplacesLikeTheProvider(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	ctx := context.Background()
	image := "111111111111.dkr.ecr.eu-west-1.amazonaws.com/a:1"
	trigger, deleteFirst := "v1", false
	program := func(ctx *pulumi.Context) error {
		role := pulumi.String("arn:aws:iam::111111111111:role/r")
		if _, err := sagemaker.NewModel(ctx, "fixed-model", &sagemaker.ModelArgs{
			Name: pulumi.String("fixed-model"), ExecutionRoleArn: role,
			PrimaryContainer: &sagemaker.ModelPrimaryContainerArgs{Image: pulumi.String(image)},
		}); err != nil {
			return err
		}
		api, err := apigateway.NewRestApi(ctx, "api", &apigateway.RestApiArgs{Name: pulumi.String("api")})
		if err != nil {
			return err
		}
		dep, err := apigateway.NewDeployment(ctx, "deployment", &apigateway.DeploymentArgs{
			RestApi: api.ID(), Triggers: pulumi.StringMap{"document": pulumi.String(trigger)},
		}, pulumi.DeleteBeforeReplace(deleteFirst))
		if err != nil {
			return err
		}
		_, err = apigateway.NewStage(ctx, "stage", &apigateway.StageArgs{RestApi: api.ID(), Deployment: dep.ID(), StageName: pulumi.String("dev")})
		return err
	}
	s := fixtureStack(ctx, t, root, pluginDir, "lifecycle-fixture", "dev", program)
	_, err := s.Up(ctx)
	require.NoError(t, err)

	image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/a:2"
	_, err = s.Up(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"fixed-model" already exists`, "a fixed name cannot be replaced create-before-delete")

	image, trigger, deleteFirst = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/a:1", "v2", true
	_, err = s.Up(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Active stages pointing to this deployment")
}
