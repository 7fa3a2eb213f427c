package infra

import (
	"fmt"
	"io/fs"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// RestAPIArgs configures the REST API tier.
type RestAPIArgs struct {
	Config   *StackConfig
	Platform iampolicy.Platform
	// Endpoints are the stable endpoints by model; Canary is the canary endpoint or nil.
	Endpoints map[string]*ModelEndpoint
	Canary    *ModelEndpoint
	Tags      pulumi.StringMap
	// Templates is where the mapping templates are read from (templates.Files when nil).
	Templates fs.FS
}

// APIName is the REST API's name (the ApiName dimension of its metrics).
func APIName(project, stack string) string { return project + "-" + stack }

// RestAPI is API Gateway (REST, REGIONAL) with direct SageMaker integrations, its deployment
// and its stage.
type RestAPI struct {
	pulumi.ResourceState

	RestAPIID    pulumi.StringOutput `pulumi:"restApiId"`
	StageName    pulumi.StringOutput `pulumi:"stageName"`
	StageArn     pulumi.StringOutput `pulumi:"stageArn"`
	InvokeURL    pulumi.StringOutput `pulumi:"invokeUrl"`
	DeploymentID pulumi.StringOutput `pulumi:"deploymentId"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn"`
	// AccessLogGroup is the access log group's name.
	AccessLogGroup pulumi.StringOutput `pulumi:"accessLogGroup"`
	// RouteURLs maps route path → URL (with {user_id} left as a placeholder).
	RouteURLs map[string]pulumi.StringOutput
	// Routes are the route specifications the API was built from.
	Routes []Route
}

// NewRestAPI registers the API tier.
func NewRestAPI(ctx *pulumi.Context, name string, args *RestAPIArgs, opts ...pulumi.ResourceOption) (*RestAPI, error) {
	if args == nil || args.Config == nil {
		return nil, fmt.Errorf("api %s: Config is required", name)
	}
	cfg := args.Config
	tmpl := args.Templates
	if tmpl == nil {
		tmpl = templates.Files
	}
	routes, err := Routes(cfg, args.Platform, tmpl)
	if err != nil {
		return nil, fmt.Errorf("api %s: %w", name, err)
	}
	for _, r := range routes {
		if _, ok := args.Endpoints[r.Model]; !ok {
			return nil, fmt.Errorf("api %s: route %s targets model %q, which has no endpoint", name, r.Path, r.Model)
		}
	}
	comp := &RestAPI{Routes: routes, RouteURLs: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource(TypeRestAPI, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	role, invokePolicies, err := newInvokeRole(ctx, name, args, parent)
	if err != nil {
		return nil, fmt.Errorf("api %s: role: %w", name, err)
	}

	// The whole API is one document (F3): PutRestApi in mode overwrite replaces every path,
	// method, integration, response, validator and gateway response, so what the document no
	// longer has is gone before the deployment snapshots the API. failOnWarnings: API Gateway
	// otherwise ignores what it cannot import and reports success (hashicorp/terraform-provider-aws
	// #17971, #22674).
	body := role.Arn.ApplyT(func(arn string) (string, error) {
		return APIDocument(cfg, routes, tmpl, arn)
	}).(pulumi.StringOutput)
	api, err := apigateway.NewRestApi(ctx, child(name, "rest"), &apigateway.RestApiArgs{
		Name:           pulumi.String(APIName(cfg.Project, cfg.Stack)),
		Description:    pulumi.String(APIDescription(cfg)),
		ApiKeySource:   pulumi.String("HEADER"),
		Body:           body,
		PutRestApiMode: pulumi.String("overwrite"),
		FailOnWarnings: pulumi.Bool(true),
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{
			Types: pulumi.String("REGIONAL"),
		},
		Tags: args.Tags,
	}, parent, pulumi.Protect(cfg.Protection != nil && cfg.Protection.ProtectAPI))
	if err != nil {
		return nil, fmt.Errorf("api %s: rest api: %w", name, err)
	}

	st, err := newStage(ctx, name, &stageArgs{
		cfg: cfg, platform: args.Platform, api: api, body: body, routes: routes, invokePolicies: invokePolicies,
		endpoints: args.Endpoints, canary: args.Canary, tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("api %s: %w", name, err)
	}
	stage, deployment := st.stage, st.deployment
	comp.AccessLogGroup = st.accessLogs.Name

	comp.RestAPIID = api.ID().ToStringOutput()
	comp.StageName = stage.StageName
	comp.StageArn = stage.Arn
	comp.InvokeURL = stage.InvokeUrl
	comp.DeploymentID = deployment.ID().ToStringOutput()
	comp.RoleArn = role.Arn
	for _, r := range routes {
		comp.RouteURLs[r.Path] = pulumi.Sprintf("%s%s", stage.InvokeUrl, r.ResourcePath)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"restApiId":      comp.RestAPIID,
		"stageName":      comp.StageName,
		"stageArn":       comp.StageArn,
		"invokeUrl":      comp.InvokeURL,
		"deploymentId":   comp.DeploymentID,
		"roleArn":        comp.RoleArn,
		"accessLogGroup": comp.AccessLogGroup,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// newInvokeRole is API Gateway's integration role: sagemaker:InvokeEndpoint on exactly the
// endpoints the stage and its canary can reach, one inline policy per endpoint. One policy per
// endpoint makes the engine's order right in both directions (F9): an endpoint the stage starts
// to name (a canary, a new model) gets a new policy, created before the stage is updated (the
// stage depends on every policy); an endpoint the stage stops naming loses a policy Pulumi
// deletes at the end of the run, after the stage update. A single policy updated in place
// would race the stage update when a canary starts or stops.
func newInvokeRole(ctx *pulumi.Context, name string, args *RestAPIArgs, parent pulumi.ResourceOption) (*iam.Role, []pulumi.Resource, error) {
	trust, err := iampolicy.APIGatewayAssumeRolePolicy().JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, child(name, "role"), &iam.RoleArgs{
		Description:      pulumi.Sprintf("API Gateway: invoke the %s endpoints of stack %s", args.Config.Project, args.Config.Stack),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             args.Tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	endpoints := map[string]*ModelEndpoint{}
	for model, ep := range args.Endpoints {
		endpoints[model] = ep
	}
	if args.Canary != nil {
		endpoints[args.Config.Canary.Model+CanarySuffix] = args.Canary
	}
	var policies []pulumi.Resource
	for _, key := range sortedKeys(endpoints) {
		doc := endpoints[key].EndpointArn.ApplyT(func(arn string) (string, error) {
			return iampolicy.InvokeEndpointsPolicy([]string{arn}).JSON()
		}).(pulumi.StringOutput)
		policy, err := iam.NewRolePolicy(ctx, child(name, "role-policy-"+key), &iam.RolePolicyArgs{
			Role:   role.ID(),
			Policy: doc,
		}, parent)
		if err != nil {
			return nil, nil, fmt.Errorf("invoke policy %s: %w", key, err)
		}
		policies = append(policies, policy)
	}
	return role, policies, nil
}
