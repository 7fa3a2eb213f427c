package account

import (
	"fmt"

	"github.com/ml-rest-api/ml-rest-api/internal/account"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeAccount is the bootstrap component's type token.
const TypeAccount = Namespace + ":account:Account"

// Outputs are the bootstrap's stack outputs.
type Outputs struct {
	OIDCProviderArn          pulumi.StringOutput
	DeployRoleArns           map[string]pulumi.StringOutput
	APIGatewayCloudWatchRole pulumi.StringOutput
}

// Output names.
const (
	OutOIDCProviderArn       = "oidcProviderArn"
	OutDeployRoleArns        = "deployRoleArns"
	OutAPIGatewayLoggingRole = "apiGatewayCloudWatchRoleArn"
)

// Export exports the outputs (role ARNs to paste into the Pulumi.<stack>.deploy.yaml files).
func (o *Outputs) Export(ctx *pulumi.Context) {
	roles := pulumi.StringMap{}
	for k, v := range o.DeployRoleArns {
		roles[k] = v
	}
	ctx.Export(OutOIDCProviderArn, o.OIDCProviderArn)
	ctx.Export(OutDeployRoleArns, roles)
	ctx.Export(OutAPIGatewayLoggingRole, o.APIGatewayCloudWatchRole)
}

// Account is everything the bootstrap owns in one account and region.
type Account struct {
	pulumi.ResourceState
}

// Deploy registers the bootstrap's resources.
func Deploy(ctx *pulumi.Context, cfg *Config) (*Outputs, error) {
	p, err := account.Lookup(ctx)
	if err != nil {
		return nil, err
	}
	tags := pulumi.StringMap{"project": pulumi.String(cfg.Project), "stack": pulumi.String(cfg.Stack), "managed-by": pulumi.String(Namespace)}

	comp := &Account{}
	name := "account"
	if err := ctx.RegisterComponentResource(TypeAccount, name, comp); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	out := &Outputs{DeployRoleArns: map[string]pulumi.StringOutput{}, APIGatewayCloudWatchRole: pulumi.String("").ToStringOutput()}

	// AWS allows one provider per URL per account: reuse an existing one when configured
	// (add this organisation as a client id to it).
	if cfg.ExistingOIDCProviderArn != "" {
		out.OIDCProviderArn = pulumi.String(cfg.ExistingOIDCProviderArn).ToStringOutput()
	} else {
		provider, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidc-provider", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String(OIDCIssuer),
			ClientIdLists: pulumi.StringArray{pulumi.String(cfg.PulumiOrg)},
			Tags:          tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: oidc provider: %w", err)
		}
		out.OIDCProviderArn = provider.Arn
	}

	for _, stack := range cfg.Stacks {
		trust := out.OIDCProviderArn.ApplyT(func(arn string) (string, error) {
			return DeployTrustPolicy(arn, cfg.PulumiOrg, cfg.Project, stack).JSON()
		}).(pulumi.StringOutput)
		role, err := iam.NewRole(ctx, name+"-deploy-"+stack, &iam.RoleArgs{
			// A fixed name: the deploy files reference it before the role exists.
			Name:               pulumi.String(DeployRoleName(cfg.Project, stack)),
			Description:        pulumi.Sprintf("Pulumi Deployments of %s stack %s (org %s)", cfg.Project, stack, cfg.PulumiOrg),
			AssumeRolePolicy:   trust,
			MaxSessionDuration: pulumi.Int(3600),
			Tags:               tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: deploy role %s: %w", stack, err)
		}
		doc, err := DeployPolicy(p, cfg.Project, stack).JSON()
		if err != nil {
			return nil, err
		}
		if _, err := iam.NewRolePolicy(ctx, name+"-deploy-"+stack+"-policy", &iam.RolePolicyArgs{
			Role: role.ID(), Policy: pulumi.String(doc),
		}, parent); err != nil {
			return nil, fmt.Errorf("bootstrap: deploy role %s policy: %w", stack, err)
		}
		out.DeployRoleArns[stack] = role.Arn
	}

	if *cfg.ManageAPIGatewayAccount {
		_, role, err := account.NewAPIGatewayLogging(ctx, account.LoggingNames{
			Role: name + "-apigateway-cloudwatch", Policy: name + "-apigateway-cloudwatch-policy", Account: name + "-apigateway-account",
		}, p, tags, parent)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		out.APIGatewayCloudWatchRole = role.Arn
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{OutOIDCProviderArn: out.OIDCProviderArn}); err != nil {
		return nil, err
	}
	return out, nil
}
