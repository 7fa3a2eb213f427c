package infra

import (
	"fmt"
	"io/fs"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeployOption adjusts a Deploy call.
type DeployOption func(*deployOptions)

type deployOptions struct{ templates fs.FS }

// WithTemplates reads the mapping templates from fsys instead of the embedded files; tests use
// it to show what an edited template changes.
func WithTemplates(fsys fs.FS) DeployOption { return func(o *deployOptions) { o.templates = fsys } }

// Deploy registers every resource of the stack from its validated configuration. main and the
// tests both call it.
func Deploy(ctx *pulumi.Context, cfg *StackConfig, opts ...DeployOption) (*Outputs, error) {
	var o deployOptions
	for _, f := range opts {
		f(&o)
	}
	platform, err := lookupPlatform(ctx)
	if err != nil {
		return nil, err
	}
	out := &Outputs{Endpoints: map[string]*ModelEndpoint{}}
	for _, name := range sortedKeys(cfg.Models) {
		ep, err := NewModelEndpoint(ctx, name, &ModelEndpointArgs{
			Model:        name,
			EndpointName: EndpointName(cfg.Project, cfg.Stack, name),
			Config:       cfg.Models[name],
			Platform:     platform,
			Tags:         cfg.tags(name),
		})
		if err != nil {
			return nil, err
		}
		out.Endpoints[name] = ep
	}
	if cn := cfg.Canary; cn != nil {
		// The canary version of a model: same tier code, its own endpoint.
		ep, err := NewModelEndpoint(ctx, cn.Model+CanarySuffix, &ModelEndpointArgs{
			Model:        cn.Model,
			EndpointName: EndpointName(cfg.Project, cfg.Stack, cn.Model) + CanarySuffix,
			Config:       cfg.CanaryModel(),
			Platform:     platform,
			Tags:         cfg.tags(cn.Model),
		})
		if err != nil {
			return nil, err
		}
		out.Canary = ep
	}
	api, err := NewRestAPI(ctx, NameAPI, &RestAPIArgs{
		Config:    cfg,
		Platform:  platform,
		Endpoints: out.Endpoints,
		Canary:    out.Canary,
		Tags:      cfg.tags(""),
		Templates: o.templates,
	})
	if err != nil {
		return nil, err
	}
	out.API = api
	access, err := NewAccess(ctx, NameAccess, &AccessArgs{
		Config:    cfg,
		RestAPIID: api.RestAPIID,
		StageName: api.StageName,
		Routes:    api.Routes,
		Tags:      cfg.tags(""),
	})
	if err != nil {
		return nil, err
	}
	out.Access = access
	out.Stack = cfg.Stack
	return out, nil
}

// lookupPlatform resolves the partition, region and account the stack deploys into.
func lookupPlatform(ctx *pulumi.Context) (Platform, error) {
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return Platform{}, fmt.Errorf("looking up the AWS region (set aws:region): %w", err)
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return Platform{}, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return Platform{}, fmt.Errorf("looking up the AWS account (check credentials): %w", err)
	}
	return Platform{Partition: partition.Partition, Region: region.Name, AccountID: identity.AccountId}, nil
}
