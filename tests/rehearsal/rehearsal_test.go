// Package rehearsal drives the program through the real Pulumi engine, offline: the Pulumi CLI
// v3.250.0 built from the Go module proxy (build-cli.sh), the Automation API with the program
// inline (the Go language host cannot be obtained here), a local file backend, and the
// STAND-IN AWS provider plugin of ./standin (it echoes inputs and fills computed outputs; it is
// not AWS). Per stack: a stack file the declarations refuse, preview, up, a second preview with
// no changes, the outputs (secrets encrypted unless shown), destroy.
package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/policy/rules"
)

const repoRoot = "../.."

// cliRoot finds the CLI built by build-cli.sh (a directory holding bin/pulumi).
func cliRoot(t *testing.T) string {
	root := os.Getenv("ML_REST_API_PULUMI_ROOT")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".cache", "ml-rest-api", "pulumi-v3.250.0")
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "pulumi")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Pulumi CLI at %s/bin/pulumi: .ci/run builds it with tests/rehearsal/build-cli.sh", root)
		}
		t.Skipf("no Pulumi CLI at %s/bin/pulumi; build it with tests/rehearsal/build-cli.sh (about 7 minutes cold)", root)
	}
	return root
}

type env struct {
	root, work, vars string
	envs             map[string]string
	cmd              auto.PulumiCommand
	project          workspace.Project
}

// setup prepares a work directory (Pulumi.yaml + the stack file), a file backend and the
// stand-in plugin on PATH.
func setup(t *testing.T, root, pluginDir, stack string, stackFile []byte) *env {
	t.Helper()
	work, backend, home := t.TempDir(), t.TempDir(), t.TempDir()
	proj, err := workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi."+stack+".yaml"), stackFile, 0o644))
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	require.NoError(t, err)
	// The stand-in's Check reads AWS's API models (it runs outside this module, so it is told
	// where they are).
	models, err := awscontract.ModelsDir()
	require.NoError(t, err)
	return &env{root: root, work: work, cmd: cmd, project: *proj, envs: map[string]string{
		awscontract.ModelsDirEnv: models,
		"PULUMI_BACKEND_URL":     "file://" + backend,
		// The stand-in's AWS account (what exists), kept across operations like the backend.
		"ML_REST_API_STANDIN_ACCOUNT":                 filepath.Join(backend, "standin-account.json"),
		"PULUMI_CONFIG_PASSPHRASE":                    "offline-rehearsal",
		"PULUMI_HOME":                                 home,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PATH": pluginDir + string(os.PathListSeparator) + os.Getenv("PATH"),
	}}
}

func (e *env) stack(ctx context.Context, t *testing.T, name string) auto.Stack {
	t.Helper()
	return e.stackWith(ctx, t, name, infra.Program)
}

// stackWith selects the stack with another program (a template-only change).
func (e *env) stackWith(ctx context.Context, t *testing.T, name string, program pulumi.RunFunc) auto.Stack {
	t.Helper()
	s, err := auto.UpsertStackInlineSource(ctx, name, names.Namespace, program,
		auto.WorkDir(e.work), auto.Project(e.project), auto.EnvVars(e.envs), auto.Pulumi(e.cmd), auto.PulumiHome(e.envs["PULUMI_HOME"]))
	require.NoError(t, err)
	return s
}

// cli runs the built CLI in the work directory with the rehearsal's environment.
func (e *env) cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.cliErr(args...)
	require.NoError(t, err, "pulumi %s: %s", strings.Join(args, " "), out)
	return out
}

// cliErr runs the CLI and returns its output and error.
func (e *env) cliErr(args ...string) (string, error) {
	c := exec.Command(filepath.Join(e.root, "bin", "pulumi"), args...)
	c.Dir = e.work
	c.Env = os.Environ()
	for k, v := range e.envs {
		c.Env = append(c.Env, k+"="+v)
	}
	out, err := c.CombinedOutput()
	return string(out), err
}

// documentedOutputs are the stack outputs README.md promises.
var documentedOutputs = []string{
	infra.OutInvokeURL, infra.OutRouteURLs, infra.OutRouteKinds, infra.OutStageName, infra.OutRestAPIID,
	infra.OutEndpointNames, infra.OutEndpointArns, infra.OutCanaryEndpointName, infra.OutUsagePlanIDs,
	infra.OutAPIKeyIDs, infra.OutAPIKeyValues, infra.OutCurlExample, infra.OutDashboardURL,
	infra.OutAlarmTopicArn, infra.OutWebACLArn, infra.OutDomainTarget, infra.OutDomainZoneID,
}

// buildPlugins builds the stand-in provider and the policy pack into one directory for PATH.
// Without a Go language host the CLI runs a policy pack of runtime go as the analyzer plugin
// pulumi-analyzer-policy-go found on PATH, so the pack is built under that name.
func buildPlugins(t *testing.T) string {
	t.Helper()
	pluginsOnce.Do(func() {
		pluginsDir, pluginsErr = os.MkdirTemp("", "ml-rest-api-plugins-")
		if pluginsErr != nil {
			return
		}
		for name, pkg := range map[string]string{"pulumi-resource-aws": "./standin", "pulumi-analyzer-policy-go": "../../policy"} {
			if out, err := exec.Command("go", "build", "-o", filepath.Join(pluginsDir, name), pkg).CombinedOutput(); err != nil {
				pluginsErr = fmt.Errorf("building %s: %v: %s", name, err, out)
				return
			}
		}
	})
	require.NoError(t, pluginsErr)
	return pluginsDir
}

// The plugins are built once per test binary (the rehearsal's tests run in parallel) and
// removed when it exits.
var (
	pluginsOnce sync.Once
	pluginsDir  string
	pluginsErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginsDir != "" {
		os.RemoveAll(pluginsDir)
	}
	os.Exit(code)
}

func policyPack(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(repoRoot, "policy"))
	require.NoError(t, err)
	return dir
}

func TestOfflineRehearsal(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			stackFile, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi."+stack+".yaml"))
			require.NoError(t, err)
			timings := map[string]time.Duration{}
			timed := func(step string, f func()) {
				start := time.Now()
				f()
				timings[step] = time.Since(start)
			}

			// The CLI checks the stack file against Pulumi.yaml's config declarations.
			broken := setup(t, root, pluginDir, stack, []byte(strings.Replace(string(stackFile), "ml-rest-api:access:\n", "ml-rest-api:access: not-an-object\n  ml-rest-api-unused:\n", 1)))
			bs := broken.stack(ctx, t, stack)
			_, err = bs.Preview(ctx)
			require.Error(t, err, "a stack value of the wrong type must fail validation")
			assert.Contains(t, err.Error(), "ml-rest-api:access")

			e := setup(t, root, pluginDir, stack, stackFile)
			s := e.stack(ctx, t, stack)
			var pre auto.PreviewResult
			timed("preview", func() { pre, err = s.Preview(ctx, optpreview.PolicyPacks(policyPack(t))) })
			require.NoError(t, err, "the committed stack passes the policy pack")
			assert.Contains(t, pre.StdOut, "Loading policy packs...: done", "the policy pack ran")
			assert.Contains(t, pre.StdOut, "ml-rest-api@v1.0.0", "the pack is reported: %s", pre.StdOut)
			inventory, err := os.ReadFile(filepath.Join(repoRoot, "tests", "testdata", "golden", stack, "inventory.txt"))
			require.NoError(t, err)
			assert.Equal(t, strings.Count(string(inventory), "\n")+1, pre.ChangeSummary[apitype.OpCreate],
				"the first preview creates the stack and every resource of the inventory golden")

			var up auto.UpResult
			timed("up", func() { up, err = s.Up(ctx) })
			require.NoError(t, err)
			assert.Equal(t, "succeeded", up.Summary.Result)
			created := (*up.Summary.ResourceChanges)[string(apitype.OpCreate)]
			assert.Equal(t, pre.ChangeSummary[apitype.OpCreate], created, "up creates what preview announced")

			timed("preview-again", func() { pre, err = s.Preview(ctx) })
			require.NoError(t, err)
			assert.Equal(t, map[apitype.OpType]int{apitype.OpSame: created}, pre.ChangeSummary, "a second preview reports no changes")

			outs, err := s.Outputs(ctx)
			require.NoError(t, err)
			var names []string
			for n := range outs {
				names = append(names, n)
			}
			sort.Strings(names)
			want := append([]string(nil), documentedOutputs...)
			sort.Strings(want)
			assert.Equal(t, want, names, "exactly the documented outputs")
			assert.True(t, outs[infra.OutAPIKeyValues].Secret, "apiKeyValues is secret")
			for _, n := range names {
				if n != infra.OutAPIKeyValues {
					assert.False(t, outs[n].Secret, "%s is not secret", n)
				}
			}
			var plain map[string]any
			require.NoError(t, json.Unmarshal([]byte(e.cli(t, "stack", "output", "--stack", stack, "--json")), &plain))
			assert.Equal(t, "[secret]", plain[infra.OutAPIKeyValues], "secrets stay encrypted without --show-secrets")
			assert.True(t, strings.HasPrefix(plain[infra.OutInvokeURL].(string), "https://"))
			var shown map[string]any
			require.NoError(t, json.Unmarshal([]byte(e.cli(t, "stack", "output", "--stack", stack, "--json", "--show-secrets")), &shown))
			keys := shown[infra.OutAPIKeyValues].(map[string]any)
			assert.NotEmpty(t, keys)
			state := e.cli(t, "stack", "export", "--stack", stack)
			for client, v := range keys {
				assert.NotContains(t, state, v.(string), "the key of %s is encrypted in state", client)
			}

			beforeDestroy := stateTypes(t, e, stack)
			var down auto.DestroyResult
			timed("destroy", func() { down, err = s.Destroy(ctx, optdestroy.Remove()) })
			if stack == "prod" {
				// prod protects what it must never lose. The Automation API's destroy skips the
				// preview, so the engine deletes everything else that the protected resources
				// do not depend on, then refuses: every protected type must still be whole.
				require.Error(t, err)
				assert.Contains(t, err.Error(), "protected")
				kept := stateTypes(t, e, stack)
				// (The canary endpoint survives too: the protected stage's canary names it.)
				for _, typ := range []string{awstypes.APIGatewayApiKey, awstypes.APIGatewayUsagePlan,
					awstypes.APIGatewayRestApi, awstypes.APIGatewayStage, awstypes.CloudWatchLogGroup,
					awstypes.SageMakerEndpoint} {
					assert.Equal(t, beforeDestroy[typ], kept[typ], "destroy without preview keeps every %s", typ)
				}
				var gone []string
				total, left := 0, 0
				for typ, n := range beforeDestroy {
					total, left = total+n, left+kept[typ]
					if kept[typ] < n {
						gone = append(gone, fmt.Sprintf("%s %d", typ[strings.LastIndex(typ, ":")+1:], n-kept[typ]))
					}
				}
				sort.Strings(gone)
				t.Logf("prod: destroy without preview kept %d of %d resources; deleted: %s", left, total, strings.Join(gone, ", "))
				e.cli(t, "state", "unprotect", "--all", "--yes", "--stack", stack)
				timed("destroy", func() { down, err = s.Destroy(ctx, optdestroy.Remove()) })
			}
			require.NoError(t, err)
			assert.Equal(t, "succeeded", down.Summary.Result)
			t.Logf("rehearsal %s: %d resources; preview %s, up %s, second preview %s, destroy %s", stack, created,
				timings["preview"].Round(time.Millisecond), timings["up"].Round(time.Millisecond),
				timings["preview-again"].Round(time.Millisecond), timings["destroy"].Round(time.Millisecond))
		})
	}
}

// stateTypes counts the stack's resources per type, from `pulumi stack export`.
func stateTypes(t *testing.T, e *env, stack string) map[string]int {
	t.Helper()
	var exported struct {
		Deployment struct {
			Resources []struct {
				Type string `json:"type"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal([]byte(e.cli(t, "stack", "export", "--stack", stack)), &exported))
	out := map[string]int{}
	for _, r := range exported.Deployment.Resources {
		out[r.Type]++
	}
	return out
}

// fixtureStack is a stack of an inline fixture program (not ml-rest-api) in eu-west-1, in a
// work directory, backend and Pulumi home of its own.
func fixtureStack(ctx context.Context, t *testing.T, root, pluginDir, project, stack string, program pulumi.RunFunc) auto.Stack {
	t.Helper()
	e := setup(t, root, pluginDir, stack, []byte("config:\n  aws:region: eu-west-1\n"))
	e.project = workspace.Project{Name: tokens.PackageName(project), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
	s, err := auto.UpsertStackInlineSource(ctx, stack, project, program,
		auto.WorkDir(e.work), auto.Project(e.project), auto.EnvVars(e.envs), auto.Pulumi(e.cmd), auto.PulumiHome(e.envs["PULUMI_HOME"]))
	require.NoError(t, err)
	return s
}

// brokenProgram registers one resource that breaks each policy of the pack.
func brokenProgram(ctx *pulumi.Context) error {
	// An EDGE API whose document has a method without an API key and an AWS integration
	// without credentials.
	api, err := apigateway.NewRestApi(ctx, "edge-api", &apigateway.RestApiArgs{
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{Types: pulumi.String("EDGE")},
		Body: pulumi.String(`{"openapi":"3.0.1","info":{"title":"open","version":"1"},"paths":{"/scores":{"get":{
"responses":{"200":{"description":"ok"}},
"x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","uri":"arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/x/invocations",
"responses":{"default":{"statusCode":"200"}}}}}}}`),
	})
	if err != nil {
		return err
	}
	if _, err := apigateway.NewStage(ctx, "bare-stage", &apigateway.StageArgs{
		RestApi: api.ID(), Deployment: pulumi.String("dep"), StageName: pulumi.String("bare"), XrayTracingEnabled: pulumi.Bool(false),
		CanarySettings: &apigateway.StageCanarySettingsArgs{DeploymentId: pulumi.String("dep"), PercentTraffic: pulumi.Float64(60), UseStageCache: pulumi.Bool(true)},
	}); err != nil {
		return err
	}
	if _, err := cloudwatch.NewLogGroup(ctx, "forever-logs", &cloudwatch.LogGroupArgs{}); err != nil {
		return err
	}
	if _, err := sagemaker.NewEndpointConfiguration(ctx, "fixed-config", &sagemaker.EndpointConfigurationArgs{
		Name: pulumi.String("ratings-config"),
		ProductionVariants: sagemaker.EndpointConfigurationProductionVariantArray{sagemaker.EndpointConfigurationProductionVariantArgs{
			ModelName: pulumi.String("m"), VariantName: pulumi.String("AllTraffic"), InstanceType: pulumi.String("ml.p4d.24xlarge"), InitialInstanceCount: pulumi.Int(1),
		}},
	}); err != nil {
		return err
	}
	_, err = iam.NewRolePolicy(ctx, "wide-policy", &iam.RolePolicyArgs{
		Role:   pulumi.String("some-role"),
		Policy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Everything","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}`),
	})
	return err
}

// Every rule of the pack fires through the engine on a deliberately broken program.
func TestPolicyPackFiresOnBrokenResources(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	ctx := context.Background()
	s := fixtureStack(ctx, t, root, pluginDir, "policy-fixture", "broken", brokenProgram)
	var out strings.Builder
	_, err := s.Preview(ctx, optpreview.PolicyPacks(policyPack(t)), optpreview.ProgressStreams(&out))
	require.Error(t, err, "mandatory violations fail the preview")
	fired := true
	for _, r := range rules.Rules {
		re := regexp.MustCompile(`\[mandatory\]\s+` + regexp.QuoteMeta(r.Name) + `\s+\(`)
		if !re.MatchString(out.String()) {
			fired = false
			t.Errorf("rule %s did not fire", r.Name)
		}
	}
	if !fired {
		t.Log(out.String())
	}
}

// The rules a stack's data can break fire on a deliberately broken prod config: a canary over
// the policy's cap (the program's own cap raised to allow it) and an instance type outside the
// allowlist.
func TestPolicyPackFiresOnBrokenConfig(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	ctx := context.Background()
	stackFile, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.prod.yaml"))
	require.NoError(t, err)
	broken := strings.NewReplacer(
		"    percentTraffic: 10\n", "    percentTraffic: 60\n    maxPercentTraffic: 100\n",
		"instance: {type: ml.c5.xlarge, initialCount: 1}", "instance: {type: ml.p4d.24xlarge, initialCount: 1}",
	).Replace(string(stackFile))
	require.NotEqual(t, string(stackFile), broken, "the edits apply")
	e := setup(t, root, pluginDir, "prod", []byte(broken))
	s := e.stack(ctx, t, "prod")
	var out strings.Builder
	_, err = s.Preview(ctx, optpreview.PolicyPacks(policyPack(t)), optpreview.ProgressStreams(&out))
	require.Error(t, err, "the broken config fails the policy pack")
	for _, rule := range []string{"canary-within-cap", "instance-type-allowlist"} {
		assert.Regexp(t, regexp.MustCompile(`\[mandatory\]\s+`+rule+`\s+\(`), out.String(), rule)
	}
	assert.Contains(t, out.String(), "canarySettings.percentTraffic 60 exceeds the cap of 50")
	assert.Contains(t, out.String(), "instance type ml.p4d.24xlarge is not in the allowlist")
}

// refusedPrograms register inputs AWS refuses that earlier versions of the program sent: a "*"
// stage variable and an unescaped method-settings path (the engine stops a preview at its first
// refused resource, hence one program each).
var refusedPrograms = []struct {
	name, want string
	program    pulumi.RunFunc
}{
	{"stage-variable", `AWS contract: stage variable corsOrigins = "*"`, func(ctx *pulumi.Context) error {
		_, err := apigateway.NewStage(ctx, "api-stage", &apigateway.StageArgs{
			RestApi: pulumi.String("a1b2c3d4e5"), Deployment: pulumi.String("dep"), StageName: pulumi.String("dev"),
			Variables: pulumi.StringMap{"corsOrigins": pulumi.String("*")},
		})
		return err
	}},
	{"method-path", `AWS contract: "predicted-ratings/{user_id}/GET" is not */* or an escaped`, func(ctx *pulumi.Context) error {
		_, err := apigateway.NewMethodSettings(ctx, "api-settings", &apigateway.MethodSettingsArgs{
			RestApi: pulumi.String("a1b2c3d4e5"), StageName: pulumi.String("dev"), MethodPath: pulumi.String("predicted-ratings/{user_id}/GET"),
			Settings: &apigateway.MethodSettingsSettingsArgs{MetricsEnabled: pulumi.Bool(true)},
		})
		return err
	}},
}

// The stand-in provider refuses, in Check, what AWS's contract refuses: the rehearsal fails at
// preview on such inputs, as a real provider or AWS would (the committed stacks pass above).
func TestStandInRefusesWhatAWSRefuses(t *testing.T) {
	t.Parallel()
	root := cliRoot(t)
	pluginDir := buildPlugins(t)
	ctx := context.Background()
	for _, tc := range refusedPrograms {
		s := fixtureStack(ctx, t, root, pluginDir, "contract-fixture", tc.name, tc.program)
		var out strings.Builder
		_, err := s.Preview(ctx, optpreview.ProgressStreams(&out))
		require.Error(t, err, "%s: inputs AWS refuses fail the preview", tc.name)
		assert.Contains(t, out.String(), tc.want, tc.name)
	}
}
