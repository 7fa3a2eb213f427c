package infra

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/templates"
)

// RestAPIArgs configures the REST API tier.
type RestAPIArgs struct {
	Config   *StackConfig
	Platform Platform
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

	api, err := apigateway.NewRestApi(ctx, child(name, "rest"), &apigateway.RestApiArgs{
		Name:         pulumi.String(APIName(cfg.Project, cfg.Stack)),
		Description:  pulumi.Sprintf("%s (%s): SageMaker models behind mapping templates", cfg.Project, cfg.Stack),
		ApiKeySource: pulumi.String("HEADER"),
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{
			Types: pulumi.String("REGIONAL"),
		},
		Tags: args.Tags,
	}, parent, pulumi.Protect(cfg.Protection != nil && cfg.Protection.ProtectAPI))
	if err != nil {
		return nil, fmt.Errorf("api %s: rest api: %w", name, err)
	}
	validator, err := apigateway.NewRequestValidator(ctx, child(name, "validator"), &apigateway.RequestValidatorArgs{
		RestApi:                   api.ID(),
		Name:                      pulumi.String(validatorName),
		ValidateRequestParameters: pulumi.Bool(true),
		ValidateRequestBody:       pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("api %s: validator: %w", name, err)
	}

	b := &apiBuilder{ctx: ctx, name: name, cfg: cfg, api: api, role: role, validator: validator, parent: parent, templates: tmpl}
	for _, r := range routes {
		if err := b.route(r); err != nil {
			return nil, fmt.Errorf("api %s: route %s: %w", name, r.Path, err)
		}
	}
	if err := b.gatewayResponses(); err != nil {
		return nil, fmt.Errorf("api %s: gateway responses: %w", name, err)
	}

	st, err := newStage(ctx, name, &stageArgs{
		cfg: cfg, platform: args.Platform, api: api, routes: routes, apiResources: b.created, invokePolicies: invokePolicies,
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
	trust, err := APIGatewayAssumeRolePolicy().JSON()
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
			return InvokeEndpointsPolicy([]string{arn}).JSON()
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

// apiBuilder creates the per-route resources and collects them for the deployment.
type apiBuilder struct {
	ctx       *pulumi.Context
	name      string
	cfg       *StackConfig
	api       *apigateway.RestApi
	role      *iam.Role
	validator *apigateway.RequestValidator
	parent    pulumi.ResourceOption
	templates fs.FS
	// created are the resources a deployment must wait for.
	created []pulumi.Resource
}

// routeName names a route's resources: api-route-<path>_<role> ("_" never occurs in paths).
func (b *apiBuilder) routeName(path, role string) string {
	n := child(b.name, "route-"+path)
	if role != "" {
		n += "_" + role
	}
	return n
}

func (b *apiBuilder) route(r Route) error {
	top, err := apigateway.NewResource(b.ctx, b.routeName(r.Path, ""), &apigateway.ResourceArgs{
		RestApi: b.api.ID(), ParentId: b.api.RootResourceId, PathPart: pulumi.String(r.Path),
	}, b.parent)
	if err != nil {
		return err
	}
	b.created = append(b.created, top)
	res := top
	if strings.HasSuffix(r.ResourcePath, "/{user_id}") {
		if res, err = apigateway.NewResource(b.ctx, b.routeName(r.Path, "user"), &apigateway.ResourceArgs{
			RestApi: b.api.ID(), ParentId: top.ID(), PathPart: pulumi.String("{user_id}"),
		}, b.parent); err != nil {
			return err
		}
		b.created = append(b.created, res)
	}

	method, err := apigateway.NewMethod(b.ctx, b.routeName(r.Path, strings.ToLower(r.HTTPMethod)), &apigateway.MethodArgs{
		RestApi:            b.api.ID(),
		ResourceId:         res.ID(),
		HttpMethod:         pulumi.String(r.HTTPMethod),
		Authorization:      pulumi.String("NONE"),
		ApiKeyRequired:     pulumi.Bool(true),
		RequestParameters:  pulumi.ToBoolMap(r.RequestParameters),
		RequestValidatorId: b.validator.ID(),
	}, b.parent)
	if err != nil {
		return err
	}
	integration, err := apigateway.NewIntegration(b.ctx, b.routeName(r.Path, "integration"), &apigateway.IntegrationArgs{
		RestApi:               b.api.ID(),
		ResourceId:            res.ID(),
		HttpMethod:            method.HttpMethod,
		Type:                  pulumi.String("AWS"),
		IntegrationHttpMethod: pulumi.String("POST"),
		Uri:                   pulumi.String(r.IntegrationURI),
		Credentials:           b.role.Arn,
		PassthroughBehavior:   pulumi.String("NEVER"),
		RequestParameters: pulumi.StringMap{
			"integration.request.header.Content-Type": pulumi.String("'" + r.ContentType + "'"),
			"integration.request.header.Accept":       pulumi.String("'application/json'"),
		},
		RequestTemplates:    pulumi.StringMap{r.ContentType: pulumi.String(r.RequestTemplate)},
		TimeoutMilliseconds: pulumi.Int(r.TimeoutMs),
		CacheKeyParameters:  pulumi.ToStringArray(r.CacheKeyParameters),
		CacheNamespace:      cacheNamespace(r, res),
	}, b.parent)
	if err != nil {
		return err
	}
	b.created = append(b.created, method, integration)

	cors := b.corsResponseParameters()
	methodResponses := map[string]*apigateway.MethodResponse{}
	for _, code := range r.MethodStatusCodes() {
		mr, err := apigateway.NewMethodResponse(b.ctx, b.routeName(r.Path, "response_"+code), &apigateway.MethodResponseArgs{
			RestApi: b.api.ID(), ResourceId: res.ID(), HttpMethod: method.HttpMethod, StatusCode: pulumi.String(code),
			ResponseModels:     pulumi.StringMap{"application/json": pulumi.String("Empty")},
			ResponseParameters: declared(cors),
		}, b.parent)
		if err != nil {
			return err
		}
		methodResponses[code] = mr
		b.created = append(b.created, mr)
	}
	for _, ir := range r.IntegrationResponses {
		args := &apigateway.IntegrationResponseArgs{
			RestApi: b.api.ID(), ResourceId: res.ID(), HttpMethod: method.HttpMethod,
			StatusCode:         methodResponses[ir.StatusCode].StatusCode,
			ResponseTemplates:  pulumi.StringMap{"application/json": pulumi.String(ir.Template)},
			ResponseParameters: pulumi.ToStringMap(cors),
		}
		if ir.SelectionPattern != "" {
			args.SelectionPattern = pulumi.String(ir.SelectionPattern)
		}
		resp, err := apigateway.NewIntegrationResponse(b.ctx, b.routeName(r.Path, "integration_"+ir.StatusCode), args,
			b.parent, pulumi.DependsOn([]pulumi.Resource{integration, methodResponses[ir.StatusCode]}))
		if err != nil {
			return err
		}
		b.created = append(b.created, resp)
	}
	if b.cfg.API.CORS != nil {
		return b.preflight(r, res)
	}
	return nil
}

// cacheNamespace scopes a cached route's entries to its resource.
func cacheNamespace(r Route, res *apigateway.Resource) pulumi.StringPtrInput {
	if !r.Cached() {
		return nil
	}
	return res.ID().ToStringOutput()
}

// corsResponseParameters are the static CORS headers of every response. With "*" the origin
// is a static header; with a list, the response templates echo an allowed Origin.
func (b *apiBuilder) corsResponseParameters() map[string]string {
	c := b.cfg.API.CORS
	if c == nil {
		return nil
	}
	if c.AnyOrigin() {
		return map[string]string{"method.response.header.Access-Control-Allow-Origin": "'*'"}
	}
	return map[string]string{"method.response.header.Vary": "'Origin'"}
}

// declared turns integration-response header mappings into method-response declarations,
// adding Access-Control-Allow-Origin, which the templates may set.
func declared(params map[string]string) pulumi.BoolMap {
	if params == nil {
		return nil
	}
	out := pulumi.BoolMap{"method.response.header.Access-Control-Allow-Origin": pulumi.Bool(false)}
	for k := range params {
		out[k] = pulumi.Bool(false)
	}
	return out
}

// preflight answers OPTIONS on the route's resource with a MOCK integration (no API key).
func (b *apiBuilder) preflight(r Route, res *apigateway.Resource) error {
	method, err := apigateway.NewMethod(b.ctx, b.routeName(r.Path, "options"), &apigateway.MethodArgs{
		RestApi: b.api.ID(), ResourceId: res.ID(), HttpMethod: pulumi.String("OPTIONS"),
		Authorization: pulumi.String("NONE"), ApiKeyRequired: pulumi.Bool(false),
	}, b.parent)
	if err != nil {
		return err
	}
	_, reqTemplate, err := named(b.templates, templates.PreflightRequest)
	if err != nil {
		return err
	}
	_, respTemplate, err := named(b.templates, templates.PreflightResponse)
	if err != nil {
		return err
	}
	integration, err := apigateway.NewIntegration(b.ctx, b.routeName(r.Path, "options_integration"), &apigateway.IntegrationArgs{
		RestApi: b.api.ID(), ResourceId: res.ID(), HttpMethod: method.HttpMethod,
		Type:                pulumi.String("MOCK"),
		PassthroughBehavior: pulumi.String("NEVER"),
		RequestTemplates:    pulumi.StringMap{"application/json": pulumi.String(reqTemplate)},
	}, b.parent)
	if err != nil {
		return err
	}
	params := b.corsResponseParameters()
	params["method.response.header.Access-Control-Allow-Methods"] = "'" + r.HTTPMethod + ",OPTIONS'"
	params["method.response.header.Access-Control-Allow-Headers"] = "'" + corsAllowHeaders + "'"
	params["method.response.header.Access-Control-Max-Age"] = "'" + corsMaxAge + "'"
	mr, err := apigateway.NewMethodResponse(b.ctx, b.routeName(r.Path, "options_response_200"), &apigateway.MethodResponseArgs{
		RestApi: b.api.ID(), ResourceId: res.ID(), HttpMethod: method.HttpMethod, StatusCode: pulumi.String("200"),
		ResponseModels:     pulumi.StringMap{"application/json": pulumi.String("Empty")},
		ResponseParameters: declared(params),
	}, b.parent)
	if err != nil {
		return err
	}
	ir, err := apigateway.NewIntegrationResponse(b.ctx, b.routeName(r.Path, "options_integration_200"), &apigateway.IntegrationResponseArgs{
		RestApi: b.api.ID(), ResourceId: res.ID(), HttpMethod: method.HttpMethod, StatusCode: mr.StatusCode,
		ResponseParameters: pulumi.ToStringMap(params),
		ResponseTemplates:  pulumi.StringMap{"application/json": pulumi.String(respTemplate)},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{integration, mr}))
	if err != nil {
		return err
	}
	b.created = append(b.created, method, integration, mr, ir)
	return nil
}

// gatewayResponses replaces API Gateway's own error bodies with fixed JSON.
func (b *apiBuilder) gatewayResponses() error {
	var headers pulumi.StringMap
	if c := b.cfg.API.CORS; c != nil {
		if c.AnyOrigin() {
			headers = pulumi.StringMap{"gatewayresponse.header.Access-Control-Allow-Origin": pulumi.String("'*'")}
		} else {
			headers = pulumi.StringMap{
				"gatewayresponse.header.Access-Control-Allow-Origin": pulumi.String("method.request.header.Origin"),
				"gatewayresponse.header.Vary":                        pulumi.String("'Origin'"),
			}
		}
	}
	for _, g := range GatewayResponses() {
		args := &apigateway.ResponseArgs{
			RestApiId:          b.api.ID(),
			ResponseType:       pulumi.String(g.Type),
			ResponseTemplates:  pulumi.StringMap{"application/json": pulumi.String(g.Body)},
			ResponseParameters: headers,
		}
		if g.StatusCode != "" {
			args.StatusCode = pulumi.String(g.StatusCode)
		}
		r, err := apigateway.NewResponse(b.ctx, child(b.name, "gateway-"+strings.ToLower(strings.ReplaceAll(g.Type, "_", "-"))), args, b.parent)
		if err != nil {
			return err
		}
		b.created = append(b.created, r)
	}
	return nil
}
