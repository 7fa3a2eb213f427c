package tests

// The harness runs the real program (infra.Deploy) under the recording mocks of package
// mockaws with a stack's committed configuration, and awaits every stack output.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/tests/mockaws"
)

const (
	mockAccount = mockaws.Account
	repoRoot    = ".."
)

// Res is one recorded registration (see package mockaws).
type Res = mockaws.Res

// stackConfig reads Pulumi.<stack>.yaml as the CLI hands it to the program.
func stackConfig(t testing.TB, stack string) map[string]string {
	t.Helper()
	cfg, secure, err := config.ReadStackFile(repoRoot, stack)
	require.NoError(t, err)
	require.Empty(t, secure, "committed stack files hold no secrets")
	return cfg
}

// runOpts adjusts one run.
type runOpts struct {
	dryRun  bool
	secrets []string
	mutate  func(cfg map[string]any) // edits the decoded project config before the run
	deploy  []infra.DeployOption
}

type runOpt func(*runOpts)

func dryRun() runOpt { return func(o *runOpts) { o.dryRun = true } }

// withConfig edits the stack's config: keys are project keys without the namespace
// ("api", "canary"), values decoded JSON; a nil value deletes the key.
func withConfig(f func(cfg map[string]any)) runOpt { return func(o *runOpts) { o.mutate = f } }

// withDeployOptions passes options to infra.Deploy.
func withDeployOptions(opts ...infra.DeployOption) runOpt {
	return func(o *runOpts) { o.deploy = append(o.deploy, opts...) }
}

// withSecret marks project keys as secret (as `pulumi config set --secret` would).
func withSecret(keys ...string) runOpt {
	return func(o *runOpts) { o.secrets = append(o.secrets, keys...) }
}

// configFor builds the flat config of a stack after the options' edits.
func configFor(t testing.TB, stack string, o runOpts) (map[string]string, []string) {
	t.Helper()
	flat := stackConfig(t, stack)
	if o.mutate != nil {
		decoded := map[string]any{}
		for k, v := range flat {
			name, ok := strings.CutPrefix(k, names.Namespace+":")
			if !ok {
				continue
			}
			var x any
			require.NoError(t, json.Unmarshal([]byte(v), &x), k)
			decoded[name] = x
		}
		o.mutate(decoded)
		for k := range flat {
			if strings.HasPrefix(k, names.Namespace+":") {
				delete(flat, k)
			}
		}
		for k, v := range decoded {
			if v == nil {
				continue
			}
			b, err := json.Marshal(v)
			require.NoError(t, err)
			flat[names.Namespace+":"+k] = string(b)
		}
	}
	var secrets []string
	for _, k := range o.secrets {
		secrets = append(secrets, names.Namespace+":"+k)
	}
	return flat, secrets
}

// loadConfig runs LoadConfig over a stack's (edited) configuration.
func loadConfig(t testing.TB, stack string, opts ...runOpt) (*config.StackConfig, error) {
	var o runOpts
	for _, f := range opts {
		f(&o)
	}
	flat, secrets := configFor(t, stack, o)
	return config.LoadConfig(config.MapSource{StackName: stack, Config: flat, Secrets: secrets})
}

// Run is the result of running the program once under mocks.
type Run struct {
	t       testing.TB
	Stack   string
	Config  *config.StackConfig
	rec     *mockaws.Monitor
	Outputs map[string]internals.UnsafeAwaitOutputResult
}

// runStack runs the whole program for a stack under mocks and fails the test on any error.
func runStack(t testing.TB, stack string, opts ...runOpt) *Run {
	t.Helper()
	r, err := tryRunStack(t, stack, opts...)
	require.NoError(t, err)
	return r
}

func tryRunStack(t testing.TB, stack string, opts ...runOpt) (*Run, error) {
	t.Helper()
	var o runOpts
	for _, f := range opts {
		f(&o)
	}
	flat, secrets := configFor(t, stack, o)
	region := flat["aws:region"]
	rec := mockaws.New(region)
	run := &Run{t: t, Stack: stack, rec: rec, Outputs: map[string]internals.UnsafeAwaitOutputResult{}}
	observe := infra.Observe(func(cfg *config.StackConfig, out *infra.Outputs) error {
		run.Config = cfg
		for name, v := range out.Values() {
			res, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(v))
			if err != nil {
				return fmt.Errorf("awaiting output %s: %w", name, err)
			}
			run.Outputs[name] = res
		}
		return nil
	})
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		return infra.Run(ctx, append(o.deploy, observe)...)
	}, pulumi.WithMocks(names.Namespace, stack, rec), func(info *pulumi.RunInfo) {
		info.Config = flat
		info.ConfigSecretKeys = secrets
		info.DryRun = o.dryRun
	})
	if dups := rec.Duplicates(); err == nil && len(dups) > 0 {
		err = fmt.Errorf("duplicate registrations: %v", dups)
	}
	return run, err
}

// All returns every registration of a type, in registration order.
func (r *Run) All(typ string) []*Res {
	var out []*Res
	for _, x := range r.rec.Resources() {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// Get returns the registration of (type, logical name) and fails the test when absent.
func (r *Run) Get(typ, name string) *Res {
	r.t.Helper()
	x, ok := r.rec.Lookup(typ, name)
	require.True(r.t, ok, "no %s named %s; registered: %v", typ, name, r.names())
	return x
}

// Has reports whether (type, name) was registered.
func (r *Run) Has(typ, name string) bool {
	_, ok := r.rec.Lookup(typ, name)
	return ok
}

// Resources returns every registration, in order.
func (r *Run) Resources() []*Res { return r.rec.Resources() }

func (r *Run) names() []string {
	var out []string
	for _, x := range r.rec.Resources() {
		out = append(out, x.Type+"::"+x.Name)
	}
	sort.Strings(out)
	return out
}

// Calls returns the invokes made with a token, as plain argument maps.
func (r *Run) Calls(token string) []map[string]any { return r.rec.Calls(token) }

// Output returns a stack output's plain value and fails when the output is missing.
func (r *Run) Output(name string) any {
	r.t.Helper()
	o, ok := r.Outputs[name]
	require.True(r.t, ok, "no stack output %q", name)
	return normalizeJSON(o.Value)
}

// stacks are the committed stacks every structural test runs against.
var stacks = []string{"dev", "prod"}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
