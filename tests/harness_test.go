package tests

// The recording mocks harness: it runs the real program (infra.Deploy) under Pulumi mocks with
// a stack's committed configuration, records every registration, fills the outputs a provider
// computes (ids, ARNs, auto-names, invoke URLs, API key values) per type, answers the known
// invokes and rejects any other, and marks the outputs the provider keeps secret.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
)

const (
	mockAccount = "123456789012"
	repoRoot    = ".."
)

// Res is one recorded registration.
type Res struct {
	Type, Name string
	Parent     string // parent URN ("" for the stack's direct children)
	Custom     bool
	ID         string
	Inputs     resource.PropertyMap
	State      resource.PropertyMap
	DependsOn  []string
	// Protect and RetainOnDelete are the resource options the program set.
	Protect, RetainOnDelete bool
}

// In returns an input as plain Go values (secrets unwrapped), nil when absent.
func (r *Res) In(key string) any { return plain(r.Inputs[resource.PropertyKey(key)]) }

// Out returns a state (output) value as plain Go values.
func (r *Res) Out(key string) any { return plain(r.State[resource.PropertyKey(key)]) }

// DependsOnRes reports whether r lists o among its dependencies.
func (r *Res) DependsOnRes(o *Res) bool {
	for _, d := range r.DependsOn {
		if strings.HasSuffix(d, o.Type+"::"+o.Name) {
			return true
		}
	}
	return false
}

// Str returns a string input ("" when absent).
func (r *Res) Str(key string) string { s, _ := r.In(key).(string); return s }

// Map returns a map input.
func (r *Res) Map(key string) map[string]any { m, _ := r.In(key).(map[string]any); return m }

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsComputed():
		return "<computed>"
	case v.IsOutput():
		if !v.OutputValue().Known {
			return "<computed>"
		}
		return plain(v.OutputValue().Element)
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = plain(e)
		}
		return m
	case v.IsArray():
		var l []any
		for _, e := range v.ArrayValue() {
			l = append(l, plain(e))
		}
		return l
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return v.V
}

// recorder is the mock resource monitor.
type recorder struct {
	region string
	mu     sync.Mutex
	list   []*Res
	byKey  map[string]*Res
	dups   []string
	calls  []pulumi.MockCallArgs
}

func (m *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &Res{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.DependsOn = rpc.GetDependencies()
		r.Protect, r.RetainOnDelete = rpc.GetProtect(), rpc.GetRetainOnDelete()
	}
	if args.Custom {
		r.ID, r.State = m.computed(args.TypeToken, args.Name, args.Inputs)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := r.Type + "::" + r.Name
	if _, ok := m.byKey[key]; ok {
		m.dups = append(m.dups, key)
	}
	m.byKey[key] = r
	m.list = append(m.list, r)
	return r.ID, r.State, nil
}

// shortHash gives deterministic "random" suffixes and ids.
func shortHash(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}

// autoNamed lists the types whose name the provider generates when the program sets none.
var autoNamed = map[string]bool{
	"aws:iam/role:Role": true, "aws:iam/rolePolicy:RolePolicy": true,
	"aws:sagemaker/model:Model": true, "aws:sagemaker/endpointConfiguration:EndpointConfiguration": true,
	"aws:sagemaker/endpoint:Endpoint": true, "aws:appautoscaling/policy:Policy": true,
	"aws:cloudwatch/logGroup:LogGroup": true, "aws:cloudwatch/metricAlarm:MetricAlarm": true,
	"aws:apigateway/restApi:RestApi": true, "aws:apigateway/apiKey:ApiKey": true,
	"aws:apigateway/usagePlan:UsagePlan": true, "aws:apigateway/requestValidator:RequestValidator": true,
	"aws:sns/topic:Topic":     true,
	"aws:wafv2/webAcl:WebAcl": true,
}

// computed fills what the provider computes, per type.
func (m *recorder) computed(typ, name string, in resource.PropertyMap) (string, resource.PropertyMap) {
	state := in.Copy()
	id := name + "-" + shortHash(typ+name, 8)
	str := func(k string) string {
		v := in[resource.PropertyKey(k)]
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k string, v any) { state[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	physical := str("name")
	if physical == "" && autoNamed[typ] {
		physical = name + "-" + shortHash(name, 7)
		set("name", physical)
	}
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, m.region, mockAccount, res)
	}
	switch typ {
	case "aws:iam/role:Role":
		id = physical
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", mockAccount, physical))
	case "aws:sagemaker/model:Model":
		id = physical
		set("arn", arn("sagemaker", "model/"+strings.ToLower(physical)))
	case "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
		id = physical
		set("arn", arn("sagemaker", "endpoint-config/"+strings.ToLower(physical)))
	case "aws:sagemaker/endpoint:Endpoint":
		id = physical
		set("arn", arn("sagemaker", "endpoint/"+strings.ToLower(physical)))
	case "aws:appautoscaling/target:Target":
		id = str("resourceId")
		set("arn", arn("application-autoscaling", "scalable-target/"+shortHash(name, 12)))
	case "aws:appautoscaling/policy:Policy":
		set("arn", arn("autoscaling", "scalingPolicy:"+shortHash(name, 12)))
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		id = physical
		set("arn", arn("cloudwatch", "alarm:"+physical))
	case "aws:cloudwatch/logGroup:LogGroup":
		id = physical
		set("arn", arn("logs", "log-group:"+physical))
	case "aws:apigateway/restApi:RestApi":
		id = shortHash(name, 10)
		set("rootResourceId", shortHash(name+"root", 10))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s", m.region, id))
		set("executionArn", arn("execute-api", id))
	case "aws:apigateway/stage:Stage":
		api, stage := str("restApi"), str("stageName")
		set("invokeUrl", fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", api, m.region, stage))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s/stages/%s", m.region, api, stage))
		set("executionArn", arn("execute-api", api+"/"+stage))
	case "aws:apigateway/apiKey:ApiKey":
		id = shortHash(name, 10)
		value := str("value")
		if value == "" {
			value = "Gen" + shortHash("key"+name, 37)
		}
		// The provider keeps the key value secret (AdditionalSecretOutputs); mocks ignore that.
		state["value"] = resource.MakeSecret(resource.NewStringProperty(value))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/apikeys/%s", m.region, id))
	case "aws:apigateway/usagePlan:UsagePlan":
		id = shortHash(name, 6)
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/usageplans/%s", m.region, id))
	case "aws:apigateway/deployment:Deployment":
		id = shortHash(name+fmt.Sprint(in.Mappable()), 6)
	case "aws:sns/topic:Topic":
		id = arn("sns", physical)
		set("arn", id)
	case "aws:wafv2/webAcl:WebAcl":
		id = shortHash(name, 8)
		set("arn", arn("wafv2", "regional/webacl/"+physical+"/"+id))
	case "aws:sns/topicSubscription:TopicSubscription":
		set("arn", str("topic")+":"+shortHash(name, 8))
	case "aws:cloudwatch/dashboard:Dashboard":
		id = str("dashboardName")
		set("dashboardArn", "arn:aws:cloudwatch::"+mockAccount+":dashboard/"+id)
	}
	set("id", id)
	return id, state
}

// prebuiltRegistries is the account that serves SageMaker built-in algorithm images per region
// (from the AWS "Docker Registry Paths and Example Code" tables).
var prebuiltRegistries = map[string]map[string]string{
	"eu-west-1": {"object2vec": "438346466558", "knn": "438346466558", "factorization-machines": "438346466558", "linear-learner": "438346466558"},
	"us-east-1": {"object2vec": "382416733822", "knn": "382416733822", "factorization-machines": "382416733822", "linear-learner": "382416733822"},
}

func (m *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args)
	m.mu.Unlock()
	arg := func(k string) string {
		if v := args.Args[resource.PropertyKey(k)]; v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch args.Token {
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": m.region, "id": m.region,
			"endpoint": "ec2." + m.region + ".amazonaws.com", "description": m.region}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "id": "aws",
			"dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": mockAccount, "id": mockAccount,
			"arn": "arn:aws:iam::" + mockAccount + ":user/ci", "userId": "AIDAEXAMPLE"}), nil
	case "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage":
		region, repo, tag := arg("region"), arg("repositoryName"), arg("imageTag")
		account, ok := prebuiltRegistries[region][repo]
		if !ok {
			return nil, fmt.Errorf("mock: no prebuilt image %q in region %q", repo, region)
		}
		path := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s:%s", account, region, repo, tag)
		return resource.NewPropertyMapFromMap(map[string]any{"registryPath": path, "registryId": account,
			"id": path, "region": region, "repositoryName": repo, "imageTag": tag}), nil
	}
	return nil, fmt.Errorf("mock: unexpected invoke %s", args.Token)
}

// stackConfig reads Pulumi.<stack>.yaml as the CLI hands it to the program.
func stackConfig(t testing.TB, stack string) map[string]string {
	t.Helper()
	cfg, secure, err := infra.ReadStackFile(repoRoot, stack)
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
			name, ok := strings.CutPrefix(k, infra.Namespace+":")
			if !ok {
				continue
			}
			var x any
			require.NoError(t, json.Unmarshal([]byte(v), &x), k)
			decoded[name] = x
		}
		o.mutate(decoded)
		for k := range flat {
			if strings.HasPrefix(k, infra.Namespace+":") {
				delete(flat, k)
			}
		}
		for k, v := range decoded {
			if v == nil {
				continue
			}
			b, err := json.Marshal(v)
			require.NoError(t, err)
			flat[infra.Namespace+":"+k] = string(b)
		}
	}
	var secrets []string
	for _, k := range o.secrets {
		secrets = append(secrets, infra.Namespace+":"+k)
	}
	return flat, secrets
}

// loadConfig runs LoadConfig over a stack's (edited) configuration.
func loadConfig(t testing.TB, stack string, opts ...runOpt) (*infra.StackConfig, error) {
	var o runOpts
	for _, f := range opts {
		f(&o)
	}
	flat, secrets := configFor(t, stack, o)
	return infra.LoadConfig(infra.MapSource{StackName: stack, Config: flat, Secrets: secrets})
}

// Run is the result of running the program once under mocks.
type Run struct {
	t       testing.TB
	Stack   string
	Config  *infra.StackConfig
	rec     *recorder
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
	rec := &recorder{region: region, byKey: map[string]*Res{}}
	run := &Run{t: t, Stack: stack, rec: rec, Outputs: map[string]internals.UnsafeAwaitOutputResult{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cfg, err := infra.LoadConfig(infra.ContextConfig(ctx))
		if err != nil {
			return err
		}
		run.Config = cfg
		out, err := infra.Deploy(ctx, cfg, o.deploy...)
		if err != nil {
			return err
		}
		out.Export(ctx)
		for name, v := range out.Values() {
			res, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(v))
			if err != nil {
				return fmt.Errorf("awaiting output %s: %w", name, err)
			}
			run.Outputs[name] = res
		}
		return nil
	}, pulumi.WithMocks(infra.Namespace, stack, rec), func(info *pulumi.RunInfo) {
		info.Config = flat
		info.ConfigSecretKeys = secrets
		info.DryRun = o.dryRun
	})
	if err == nil && len(rec.dups) > 0 {
		err = fmt.Errorf("duplicate registrations: %v", rec.dups)
	}
	return run, err
}

// All returns every registration of a type, in registration order.
func (r *Run) All(typ string) []*Res {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	var out []*Res
	for _, x := range r.rec.list {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// Get returns the registration of (type, logical name) and fails the test when absent.
func (r *Run) Get(typ, name string) *Res {
	r.t.Helper()
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	x, ok := r.rec.byKey[typ+"::"+name]
	require.True(r.t, ok, "no %s named %s; registered: %v", typ, name, r.names())
	return x
}

// Has reports whether (type, name) was registered.
func (r *Run) Has(typ, name string) bool {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	_, ok := r.rec.byKey[typ+"::"+name]
	return ok
}

// Resources returns every registration, in order.
func (r *Run) Resources() []*Res {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	return append([]*Res(nil), r.rec.list...)
}

func (r *Run) names() []string {
	var out []string
	for _, x := range r.rec.list {
		out = append(out, x.Type+"::"+x.Name)
	}
	sort.Strings(out)
	return out
}

// Calls returns the invokes made with a token, as plain argument maps.
func (r *Run) Calls(token string) []map[string]any {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	var out []map[string]any
	for _, c := range r.rec.calls {
		if c.Token == token {
			out = append(out, plain(resource.NewObjectProperty(c.Args)).(map[string]any))
		}
	}
	return out
}

// Children returns the registrations whose parent is the component (type, name).
func (r *Run) Children(typ, name string) []*Res {
	r.t.Helper()
	parent := r.Get(typ, name)
	var out []*Res
	for _, x := range r.Resources() {
		if x.Parent != "" && strings.HasSuffix(x.Parent, "::"+parent.Name) && strings.Contains(x.Parent, parent.Type) {
			out = append(out, x)
		}
	}
	return out
}

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
