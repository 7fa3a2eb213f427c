package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// day2Step is one operation of the README's runbooks, as a user performs it.
type day2Step struct {
	name string
	// config edits the stack file with `pulumi config --path`: set path/value pairs in order
	// ("true"/"false" become booleans, integers numbers), then rm paths.
	set [][2]string
	rm  []string
	// program replaces the program (a template-only change); nil keeps it.
	program pulumi.RunFunc
	// before runs CLI commands first (the instance-type procedure's targeted destroy).
	before func(t *testing.T, e *env, stack string)
	// order lists "<op>::<name>" pairs that must complete in this order.
	order [][2]string
	// only, when set, is every operation the step may complete (besides "same").
	only []string
	// fails is the error the step must end with ("" for success).
	fails string
	// retained is how many ratings endpoint configurations the account holds after the step
	// (replaced versions are retained, F1); 0 skips the check.
	retained int
}

// editedTemplates is the program with one template edited, as a template-only change is.
func editedTemplates(t *testing.T) pulumi.RunFunc {
	edited := fstest.MapFS{}
	names, err := templates.Names()
	require.NoError(t, err)
	for _, n := range names {
		text, err := templates.Read(templates.Files, n)
		require.NoError(t, err)
		if n == templates.RatingsResponse {
			text = "## reviewed\n" + text
		}
		edited[n] = &fstest.MapFile{Data: []byte(text)}
	}
	return func(ctx *pulumi.Context) error { return infra.Run(ctx, infra.WithTemplates(edited)) }
}

// targetedScalingDestroy is step 1 of the README's instance-type procedure: destroy the
// scaling policy and target of each endpoint (component) named.
func targetedScalingDestroy(components ...string) func(t *testing.T, e *env, stack string) {
	return func(t *testing.T, e *env, stack string) {
		var targets []string
		for _, r := range exportState(t, e, stack) {
			for _, c := range components {
				if strings.HasSuffix(r.URN, "::"+c+"-scaling-policy") || strings.HasSuffix(r.URN, "::"+c+"-scaling-target") {
					targets = append(targets, "--target", r.URN)
				}
			}
		}
		require.Len(t, targets, 4*len(components), "a policy and a target per endpoint")
		e.cli(t, append([]string{"destroy", "--yes", "--skip-preview", "--stack", stack}, targets...)...)
	}
}

// stagingSteps are the day-2 operations of the features staging shows: a Model Registry
// version and the registry canary's promotion, ending a shadow test (the shadow model goes only
// after the endpoint stops running it), renaming the custom domain (create-first: only the
// name is ForceNew, so the replacement has another name).
func stagingSteps() []day2Step {
	pkg := func(v string) string {
		return "arn:aws:sagemaker:eu-west-1:123456789012:model-package/movie-recommender/" + v
	}
	return []day2Step{
		{name: "a new registry version", set: [][2]string{{"models.recommendations.modelPackage.arn", pkg("9")}},
			order: [][2]string{{"create-replacement::recommendations-model", "update::recommendations-endpoint"}}},
		{name: "promote the registry canary, step 1", set: [][2]string{{"canary.promote", "true"}},
			order: [][2]string{{"create-replacement::recommendations-model", "update::recommendations-endpoint"}}},
		{name: "promote the registry canary, step 2", set: [][2]string{{"models.recommendations.modelPackage.arn", pkg("8")}}, rm: []string{"canary"},
			order: [][2]string{{"update::api-stage", "delete::recommendations-canary-endpoint"}}},
		{name: "end the shadow test", rm: []string{"models.ratings.shadow"},
			order: [][2]string{{"update::ratings-endpoint", "delete-replaced::ratings-config"}, {"update::ratings-endpoint", "delete::ratings-shadow-model"}}},
		// Create-first: the new name is mapped before the old one goes (the stand-in refuses a
		// second domain name of the same name, so this also proves the names differ).
		{name: "rename the custom domain", set: [][2]string{{"api.domain.name", "ml-staging-2.example-tv.com"}},
			order: [][2]string{{"create-replacement::api-domain", "create-replacement::api-domain-mapping"}, {"create-replacement::api-domain-mapping", "delete-replaced::api-domain"}}},
	}
}

func day2Steps(t *testing.T, stack string) []day2Step {
	v := func(s string) string {
		return "s3://ml-rest-api-artifacts-" + stack + "/models/ratings/" + s + "/model.tar.gz"
	}
	// prod's ratings model has guardrails: replaced configurations are retained (F1); dev's
	// has none, so a replaced one is deleted.
	kept := func(n int) int {
		if stack == "prod" {
			return n
		}
		return 1
	}
	if stack == "staging" {
		return stagingSteps()
	}
	steps := []day2Step{
		{name: "change a model artifact", set: [][2]string{{"models.ratings.modelDataUrl", v("v1.1")}},
			order:    [][2]string{{"create-replacement::ratings-model", "update::ratings-endpoint"}, {"create-replacement::ratings-config", "update::ratings-endpoint"}},
			retained: kept(2)},
	}
	if stack == "prod" {
		steps = append(steps, day2Step{name: "roll back the committed canary", rm: []string{"canary"},
			order: [][2]string{{"update::api-stage", "delete::ratings-canary-endpoint"}, {"update::api-stage", "delete::api-role-policy-ratings-canary"}}})
	}
	steps = append(steps,
		day2Step{name: "start a canary", set: [][2]string{{"canary.model", "ratings"}, {"canary.percentTraffic", "10"}, {"canary.modelDataUrl", v("v3")}},
			order: [][2]string{{"create::ratings-canary-endpoint", "update::api-stage"}, {"create::api-role-policy-ratings-canary", "update::api-stage"}}},
		day2Step{name: "promote, step 1", set: [][2]string{{"canary.promote", "true"}},
			order: [][2]string{{"create-replacement::ratings-model", "update::ratings-endpoint"}}, retained: kept(3)},
		day2Step{name: "promote, step 2", set: [][2]string{{"models.ratings.modelDataUrl", v("v3")}}, rm: []string{"canary"},
			order: [][2]string{{"update::api-stage", "delete::ratings-canary-endpoint"}}},
		day2Step{name: "template-only change", program: editedTemplates(t)},
		day2Step{name: "remove a route", rm: []string{"api.routes[2]"},
			order: [][2]string{{"update::api-rest", "create-replacement::api-deployment"}, {"update::api-stage", "delete-replaced::api-deployment"}}},
	)
	if stack == "dev" {
		// The binary route (now routes[2]) goes: the document drops the binary media types, the
		// stage moves to the new deployment before the old one is deleted, and the model's
		// endpoint (still declared) stays.
		steps = append(steps, day2Step{name: "remove the binary route", rm: []string{"api.routes[2]"},
			order: [][2]string{{"update::api-rest", "create-replacement::api-deployment"}, {"update::api-stage", "delete-replaced::api-deployment"}}})
	}
	if stack == "prod" {
		steps = append(steps,
			day2Step{name: "move a client to another plan", set: [][2]string{{"access.clients.trial-partner.plan", "partner"}},
				order: [][2]string{{"delete-replaced::access-key-trial-partner_plan", "create-replacement::access-key-trial-partner_plan"}}},
			day2Step{name: "change an instance type without the procedure", set: [][2]string{{"models.recommendations.instance.type", "ml.c5.2xlarge"}},
				fails: "instance type of an autoscaled variant cannot change"},
			day2Step{name: "change an instance type with the procedure", before: targetedScalingDestroy("recommendations"),
				order: [][2]string{{"update::recommendations-endpoint", "create::recommendations-scaling-target"}}},
			// F6: with a canary of the model running, the canary's endpoint changes type too.
			day2Step{name: "start a canary again", set: [][2]string{{"canary.model", "ratings"}, {"canary.percentTraffic", "10"}, {"canary.modelDataUrl", v("v4")}}},
			day2Step{name: "instance type, canary running, stable targets only", set: [][2]string{{"models.ratings.instance.type", "ml.m5.xlarge"}},
				before: targetedScalingDestroy("ratings"), fails: "instance type of an autoscaled variant cannot change"},
			day2Step{name: "instance type, canary running, with the procedure", before: targetedScalingDestroy("ratings-canary"),
				order: [][2]string{{"update::ratings-canary-endpoint", "create::ratings-canary-scaling-target"}}},
			// A scheduled action changes in place (PutScheduledAction on the same key).
			day2Step{name: "change a provisioned-concurrency schedule", set: [][2]string{{"models.propensity.serverless.provisionedScaling.schedules[0].minCapacity", "3"}},
				only: []string{"update::propensity-schedule-business-hours"}},
			// F8: guardrails off removes the endpoint's rollback configuration, which replaces
			// the endpoint; prod's is protected, so the preview refuses and nothing changes.
			day2Step{name: "turn guardrails off (needs unprotect)", rm: []string{"models.ratings.deploymentGuardrails"}, fails: "protect"},
		)
	}
	return steps
}

// The README's runbooks, step by step, through the real engine and the stand-in that knows
// AWS's replacement rules. After every step: the counts and completion order of the engine's
// operations, every endpoint the stage names exists and the invoke role allows it, the stage
// serves the deployment made from the current document, whose paths are exactly the
// configured routes, and a second preview has nothing to do. Nothing in use is deleted (the
// stand-in refuses). Destroy with a preview deletes nothing in prod; without, only what no
// protected resource needs.
func TestDay2Operations(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	for _, stack := range []string{"dev", "prod", "staging"} {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e, s, _ := deployed(ctx, t, root, pluginDir, stack)
			for _, step := range day2Steps(t, stack) {
				for _, kv := range step.set {
					e.cli(t, "config", "set", "--stack", stack, "--path", names.Namespace+":"+kv[0], kv[1])
				}
				for _, path := range step.rm {
					e.cli(t, "config", "rm", "--stack", stack, "--path", names.Namespace+":"+path)
				}
				if step.before != nil {
					step.before(t, e, stack)
				}
				st := s
				if step.program != nil {
					st = e.stackWith(ctx, t, stack, step.program)
				}
				var completed []string
				ch := make(chan events.EngineEvent)
				done := make(chan struct{})
				go func() {
					for ev := range ch {
						if o := ev.ResOutputsEvent; o != nil {
							completed = append(completed, string(o.Metadata.Op)+"::"+resource.URN(o.Metadata.URN).Name())
						}
					}
					close(done)
				}()
				up, err := st.Up(ctx, optup.EventStreams(ch))
				<-done
				if step.fails != "" {
					require.Error(t, err, step.name)
					assert.Contains(t, err.Error(), step.fails, step.name)
					t.Logf("%s %-48s refused as expected", stack, step.name)
					continue
				}
				require.NoError(t, err, step.name)
				var ops []string
				for _, c := range completed {
					if !strings.HasPrefix(c, "same::") {
						ops = append(ops, c)
					}
				}
				t.Logf("%s %-48s %v: %s", stack, step.name, changes(*up.Summary.ResourceChanges), strings.Join(ops, " "))
				if step.only != nil {
					assert.Equal(t, step.only, ops, "%s: exactly these operations", step.name)
				}
				for _, o := range step.order {
					i, j := slices.Index(completed, o[0]), slices.Index(completed, o[1])
					assert.True(t, i >= 0 && j >= 0 && i < j, "%s: %s completes before %s (order: %v)", step.name, o[0], o[1], completed)
				}
				if step.program != nil {
					s = st // later steps keep the changed program
				}
				if step.retained > 0 {
					assert.Equal(t, step.retained, liveCount(t, e, awstypes.SageMakerEndpointConfiguration, "ratings-config-"), "%s: replaced configurations are retained", step.name)
				}
				assertServing(t, e, s, stack, step.name)
				pre, err := s.Preview(ctx)
				require.NoError(t, err)
				assert.Equal(t, map[apitype.OpType]int{apitype.OpSame: pre.ChangeSummary[apitype.OpSame]}, pre.ChangeSummary, "%s: a second preview has nothing to do", step.name)
			}
			destroyBoth(t, ctx, e, s, stack)
		})
	}
}

// liveCount counts what the stand-in's account holds of a type whose name starts with prefix.
func liveCount(t *testing.T, e *env, typ, prefix string) int {
	t.Helper()
	b, err := os.ReadFile(e.envs["ML_REST_API_STANDIN_ACCOUNT"])
	require.NoError(t, err)
	var acct struct {
		Live map[string]struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"live"`
	}
	require.NoError(t, json.Unmarshal(b, &acct))
	n := 0
	for _, r := range acct.Live {
		if r.Type == typ && strings.HasPrefix(r.Name, prefix) {
			n++
		}
	}
	return n
}

func changes(m map[string]int) string {
	var out []string
	for _, op := range []string{"create", "update", "replace", "delete", "same"} {
		if m[op] > 0 {
			out = append(out, fmt.Sprintf("%s %d", op, m[op]))
		}
	}
	return strings.Join(out, ", ")
}

// assertServing checks the stage against the state after a step.
func assertServing(t *testing.T, e *env, s auto.Stack, stack, step string) {
	t.Helper()
	state := exportState(t, e, stack)
	endpoints := map[string]bool{}
	var policies []string
	for _, r := range state {
		switch r.Type {
		case awstypes.SageMakerEndpoint:
			endpoints[fmt.Sprint(r.Outputs["name"])] = true
		case awstypes.IAMRolePolicy:
			if strings.Contains(r.URN, "::api-role-policy-") {
				policies = append(policies, fmt.Sprint(r.Inputs["policy"]))
			}
		}
	}
	stage := only(t, state, awstypes.APIGatewayStage)
	named := []string{}
	vars, _ := stage.Inputs["variables"].(map[string]any)
	for k, v := range vars {
		if strings.HasSuffix(k, "Endpoint") {
			named = append(named, fmt.Sprint(v))
		}
	}
	if canary, ok := stage.Inputs["canarySettings"].(map[string]any); ok {
		for _, v := range canary["stageVariableOverrides"].(map[string]any) {
			named = append(named, fmt.Sprint(v))
		}
	}
	for _, name := range named {
		assert.True(t, endpoints[name], "%s: the stage names %s, which exists", step, name)
		allowed := false
		for _, p := range policies {
			allowed = allowed || strings.Contains(p, ":endpoint/"+name+`"`)
		}
		assert.True(t, allowed, "%s: the invoke role allows %s", step, name)
	}
	api := only(t, state, awstypes.APIGatewayRestApi)
	dep := only(t, state, awstypes.APIGatewayDeployment)
	body := fmt.Sprint(api.Inputs["body"])
	assert.Equal(t, dep.ID, stage.Inputs["deployment"], step)
	assert.Equal(t, restapi.DocumentHash(body), dep.Inputs["triggers"].(map[string]any)["document"], "%s: the deployment is the document's", step)
	var doc struct {
		Paths            map[string]any `json:"paths"`
		BinaryMediaTypes []string       `json:"x-amazon-apigateway-binary-media-types"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	outs, err := s.Outputs(context.Background())
	require.NoError(t, err)
	var want, got []string
	binaryRoutes := false
	for route, kind := range outs[infra.OutRouteKinds].Value.(map[string]any) {
		want = append(want, route)
		binaryRoutes = binaryRoutes || kind == restapi.RouteBinary
	}
	assert.Equal(t, binaryRoutes, len(doc.BinaryMediaTypes) > 0, "%s: binary media types exactly while a binary route is configured", step)
	for path := range doc.Paths {
		got = append(got, strings.Split(strings.TrimPrefix(path, "/"), "/")[0])
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got, "%s: the API's document has exactly the configured routes", step)
	// What the stage serves is the deployment's snapshot, taken when it was created.
	var served []string
	for _, path := range liveDeployment(t, e, dep.ID) {
		served = append(served, strings.Split(strings.TrimPrefix(path, "/"), "/")[0])
	}
	sort.Strings(served)
	assert.Equal(t, want, served, "%s: the stage's deployment serves exactly the configured routes", step)
}

// liveDeployment is the snapshot the stand-in's account holds for a deployment.
func liveDeployment(t *testing.T, e *env, id string) []string {
	t.Helper()
	b, err := os.ReadFile(e.envs["ML_REST_API_STANDIN_ACCOUNT"])
	require.NoError(t, err)
	var acct struct {
		Live map[string]struct {
			Snapshot []string `json:"snapshot"`
		} `json:"live"`
	}
	require.NoError(t, json.Unmarshal(b, &acct))
	d, ok := acct.Live["aws:apigateway/deployment:Deployment|"+id]
	require.True(t, ok, "deployment %s exists", id)
	return d.Snapshot
}

// destroyBoth: with a preview (the CLI's interactive path) prod refuses and deletes nothing;
// without (the Automation API) the engine deletes only what no protected resource needs.
func destroyBoth(t *testing.T, ctx context.Context, e *env, s auto.Stack, stack string) {
	before := len(exportState(t, e, stack))
	if stack != "prod" { // nothing protected: everything goes
		_, err := s.Destroy(ctx, optdestroy.Remove())
		require.NoError(t, err)
		t.Logf("%s destroy: %d resources deleted", stack, before)
		return
	}
	out, err := e.cliErr("destroy", "--yes", "--stack", stack)
	require.Error(t, err, "prod refuses a destroy at its preview")
	assert.Contains(t, out, "protected")
	assert.Equal(t, before, len(exportState(t, e, stack)), "a destroy with a preview deletes nothing in prod")
	_, err = s.Destroy(ctx)
	require.Error(t, err)
	kept := len(exportState(t, e, stack))
	t.Logf("prod destroy: with a preview kept %d of %d; without a preview kept %d of %d", before, before, kept, before)
	e.cli(t, "state", "unprotect", "--all", "--yes", "--stack", stack)
	_, err = s.Destroy(ctx, optdestroy.Remove())
	require.NoError(t, err)
}
