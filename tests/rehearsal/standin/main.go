// Command pulumi-resource-aws is a STAND-IN for the AWS provider plugin, for the offline
// rehearsal only (tests/rehearsal). It speaks the real provider protocol to the real Pulumi
// engine, echoes every resource's inputs and adds what AWS would compute (ids, ARNs,
// auto-names, invoke URLs, API key values: package mockaws), and answers the data sources the
// program uses. Its Check refuses what AWS's published contract refuses (package
// internal/awscontract: the API models of aws-sdk-go v1.55.8 and the rules they cannot
// express), so a rehearsal fails at preview on such an input as a real provider or AWS would.
// Beyond that it checks the engine path — config validation, registration, diffs, outputs,
// secrets, destroy — and talks to no cloud. Of AWS's behaviour on change it models what the rehearsal of day-2 operations
// needs (lifecycle.go): replacements on the provider's ForceNew inputs, unique names, and
// deployments a stage still uses.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/tests/mockaws"
)

// Version is the pulumi-aws version the program's SDK asks for.
const Version = "6.83.2"

func main() {
	if err := provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		acct, err := openAccount(os.Getenv(AccountEnv))
		if err != nil {
			return nil, err
		}
		return &standIn{region: "us-east-1", seen: map[string]awscontract.Resource{}, account: acct}, nil
	}); err != nil {
		fmt.Println(err)
	}
}

type standIn struct {
	pulumirpc.UnimplementedResourceProviderServer
	region string

	// seen holds every resource checked or created in this run (inputs and outputs), for the
	// contract rules that follow references (an endpoint's configuration and scaling target).
	mu   sync.Mutex
	seen map[string]awscontract.Resource
	// account is what exists (lifecycle.go).
	account *account
}

// remember records a resource's inputs (from Check) or outputs (from Create/Update).
func (p *standIn) remember(urn resource.URN, inputs, outputs resource.PropertyMap) (awscontract.Resource, []awscontract.Resource) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.seen[string(urn)]
	r.Type, r.Name = string(urn.Type()), urn.Name()
	if inputs != nil {
		r.Inputs = mockaws.PlainMap(inputs)
	}
	if outputs != nil {
		r.Outputs = mockaws.PlainMap(outputs)
	}
	p.seen[string(urn)] = r
	all := make([]awscontract.Resource, 0, len(p.seen))
	for _, x := range p.seen {
		all = append(all, x)
	}
	return r, all
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, opts)
}
func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *standIn) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *standIn) Attach(context.Context, *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *standIn) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *standIn) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"aws","version":"` + Version + `"}`}, nil
}

func (p *standIn) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *standIn) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *standIn) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	if r := req.GetVariables()["aws:config:region"]; r != "" {
		p.region = r
	}
	if args, err := unmarshal(req.GetArgs()); err == nil {
		if r := args["region"]; r.IsString() && r.StringValue() != "" {
			p.region = r.StringValue()
		}
	}
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: false}, nil
}

func (p *standIn) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	out, err := mockaws.Invoke(p.region, req.GetTok(), args)
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// Check refuses the inputs AWS's contract refuses, each finding as a check failure on its
// property (the engine reports them and stops the preview or update).
func (p *standIn) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	// Like the real provider, Check fills an auto-named resource's name (kept across updates).
	news = mockaws.AutoName(string(urn.Type()), urn.Name(), olds, news, req.GetRandomSeed())
	checked, err := marshal(news)
	if err != nil {
		return nil, err
	}
	models, err := awscontract.Load()
	if err != nil {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Reason: "stand-in provider: " + err.Error()}}}, nil
	}
	r, all := p.remember(urn, news, nil)
	var failures []*pulumirpc.CheckFailure
	for _, f := range awscontract.CheckOne(models, r, all) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: f.Path, Reason: fmt.Sprintf("AWS contract: %s [%s]", f.Message, f.Rule)})
	}
	return &pulumirpc.CheckResponse{Inputs: checked, Failures: failures}, nil
}

// Diff reports the input keys that changed, and replaces on the provider's ForceNew inputs.
func (p *standIn) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var diffs []string
	for k, v := range news {
		if o, ok := olds[k]; !ok || !o.DeepEquals(v) {
			diffs = append(diffs, string(k))
		}
	}
	for k := range olds {
		if _, ok := news[k]; !ok {
			diffs = append(diffs, string(k))
		}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	typ := string(resource.URN(req.GetUrn()).Type())
	repl := replaces(typ, diffs)
	if typ == tEndpoint && rollbackBlockChanged(olds, news) {
		repl = append(repl, "deploymentConfig")
	}
	return &pulumirpc.DiffResponse{Changes: changes, Diffs: diffs, Replaces: repl}, nil
}

func (p *standIn) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, state := mockaws.Computed(p.region, string(urn.Type()), urn.Name(), in)
	if !req.GetPreview() {
		if err := p.account.create(string(urn.Type()), id, in, state); err != nil {
			return nil, err
		}
	}
	p.remember(urn, nil, state)
	props, err := marshal(state)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *standIn) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	in, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	_, state := mockaws.Computed(p.region, string(urn.Type()), urn.Name(), in)
	if err := p.account.update(string(urn.Type()), req.GetId(), state); err != nil {
		return nil, err
	}
	p.remember(urn, nil, state)
	props, err := marshal(state)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

func (p *standIn) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *standIn) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, p.account.delete(string(resource.URN(req.GetUrn()).Type()), req.GetId())
}
