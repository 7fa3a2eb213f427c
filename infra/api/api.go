package api

import (
	"fmt"
	"io/fs"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// Endpoint is a SageMaker endpoint the API invokes: its name as config derives it (checked as
// a stage variable value before anything is registered) and the endpoint's outputs (the stage
// and the invoke role wait for them).
type Endpoint struct {
	Name         string
	EndpointName pulumi.StringOutput
	EndpointArn  pulumi.StringOutput
}

// Canary is a model canary: a share of the stage's requests goes to a second endpoint of
// Model through a stage variable override.
type Canary struct {
	Model          string
	PercentTraffic float64
	Endpoint       Endpoint
}

// Protection guards what apps depend on: the REST API and its stage (their invoke URL), the
// log groups (protect, retain on destroy); KMSKeyArn encrypts the log groups.
type Protection struct {
	API, LogGroups, RetainLogGroups bool
	KMSKeyArn                       string
}

// Args configures the REST API tier.
type Args struct {
	Spec     Spec
	Platform iampolicy.Platform
	// Endpoints are the stable endpoints by model; Canary is nil without a canary.
	Endpoints  map[string]Endpoint
	Canary     *Canary
	Protection Protection
	Tags       pulumi.StringMap
	// Templates is where the mapping templates are read from (templates.Files when nil).
	Templates fs.FS
}

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
	// DomainTarget and DomainZoneID are the custom domain's regional name and hosted zone (the
	// DNS alias record's target); "" without api.domain.
	DomainTarget pulumi.StringOutput `pulumi:"domainTarget"`
	DomainZoneID pulumi.StringOutput `pulumi:"domainZoneId"`
}

// NewRestAPI registers the API tier.
func NewRestAPI(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*RestAPI, error) {
	if args == nil {
		return nil, fmt.Errorf("api %s: Args are required", name)
	}
	cfg := args.Spec
	tmpl := args.Templates
	if tmpl == nil {
		tmpl = templates.Files
	}
	routes, err := routesFor(args, tmpl)
	if err != nil {
		return nil, fmt.Errorf("api %s: %w", name, err)
	}
	comp := &RestAPI{Routes: routes, RouteURLs: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource(names.TypeRestAPI, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	role, invokePolicies, err := newInvokeRole(ctx, name, args, parent)
	if err != nil {
		return nil, fmt.Errorf("api %s: role: %w", name, err)
	}

	api, body, err := newRestAPIResource(ctx, name, args, routes, tmpl, role, parent)
	if err != nil {
		return nil, fmt.Errorf("api %s: rest api: %w", name, err)
	}

	st, err := newStage(ctx, name, &stageArgs{
		Args: args, api: api, body: body, routes: routes, invokePolicies: invokePolicies,
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
	comp.DomainTarget, comp.DomainZoneID = pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()
	if d := cfg.Domain; d != nil {
		dom, err := newDomain(ctx, name, args, api, stage, parent)
		if err != nil {
			return nil, fmt.Errorf("api %s: %w", name, err)
		}
		// Clients call the domain: the outputs, the curl example and the smoke test use it.
		comp.InvokeURL = dom.domain.DomainName.ApplyT(func(string) string { return d.URL() }).(pulumi.StringOutput)
		comp.DomainTarget, comp.DomainZoneID = dom.domain.RegionalDomainName, dom.domain.RegionalZoneId
	}
	comp.DeploymentID = deployment.ID().ToStringOutput()
	comp.RoleArn = role.Arn
	for _, r := range routes {
		comp.RouteURLs[r.Path] = pulumi.Sprintf("%s%s", comp.InvokeURL, r.ResourcePath)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"restApiId":      comp.RestAPIID,
		"stageName":      comp.StageName,
		"stageArn":       comp.StageArn,
		"invokeUrl":      comp.InvokeURL,
		"deploymentId":   comp.DeploymentID,
		"roleArn":        comp.RoleArn,
		"accessLogGroup": comp.AccessLogGroup,
		"domainTarget":   comp.DomainTarget,
		"domainZoneId":   comp.DomainZoneID,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// newRestAPIResource creates the REST API from its document (body, returned for the trigger).
// The whole API is one document (F3): PutRestApi in mode overwrite replaces every path,
// method, integration, response, validator and gateway response, so what the document no
// longer has is gone before the deployment snapshots the API. failOnWarnings: API Gateway
// otherwise ignores what it cannot import and reports success (hashicorp/terraform-provider-aws
// #17971, #22674).
func newRestAPIResource(ctx *pulumi.Context, name string, args *Args, routes []Route, tmpl fs.FS, role *iam.Role, parent pulumi.ResourceOption) (*apigateway.RestApi, pulumi.StringOutput, error) {
	cfg := args.Spec
	body := role.Arn.ApplyT(func(arn string) (string, error) {
		return APIDocument(cfg, routes, tmpl, arn)
	}).(pulumi.StringOutput)
	restArgs := &apigateway.RestApiArgs{
		Name:           pulumi.String(names.APIName(cfg.Project, cfg.Stack)),
		Description:    pulumi.String(APIDescription(cfg)),
		ApiKeySource:   pulumi.String("HEADER"),
		Body:           body,
		PutRestApiMode: pulumi.String("overwrite"),
		FailOnWarnings: pulumi.Bool(true),
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{
			Types: pulumi.String("REGIONAL"),
		},
		Tags: args.Tags,
	}
	if d := cfg.Domain; d != nil && d.DisableExecuteAPIEndpoint {
		// The argument wins over the document's x-amazon-apigateway-endpoint-configuration
		// (terraform-provider-aws rest_api.go), like the endpoint type.
		restArgs.DisableExecuteApiEndpoint = pulumi.Bool(true)
	}
	api, err := apigateway.NewRestApi(ctx, names.Child(name, "rest"), restArgs, parent, pulumi.Protect(args.Protection.API))
	return api, body, err
}

// routesFor builds the routes and checks that each targets an endpoint the API is given.
func routesFor(args *Args, tmpl fs.FS) ([]Route, error) {
	routes, err := Routes(args.Spec, args.Platform, tmpl)
	if err != nil {
		return nil, err
	}
	for _, r := range routes {
		if _, ok := args.Endpoints[r.Model]; !ok {
			return nil, fmt.Errorf("route %s targets model %q, which has no endpoint", r.Path, r.Model)
		}
	}
	return routes, nil
}
