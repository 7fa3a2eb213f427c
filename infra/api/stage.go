package api

import (
	"encoding/json"
	"fmt"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/account"
	"github.com/ml-rest-api/ml-rest-api/internal/throttle"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type stageArgs struct {
	*Args
	api    *apigateway.RestApi
	body   pulumi.StringOutput // the API's OpenAPI document
	routes []Route
	// invokePolicies let API Gateway invoke the endpoints; the stage waits for them.
	invokePolicies []pulumi.Resource
}

// AccessLogFormat is the stage's JSON access-log line.
func AccessLogFormat() (string, error) {
	fields := map[string]string{
		"requestId":          "$context.requestId",
		"extendedRequestId":  "$context.extendedRequestId",
		"ip":                 "$context.identity.sourceIp",
		"caller":             "$context.identity.caller",
		"apiKeyId":           "$context.identity.apiKeyId",
		"requestTime":        "$context.requestTime",
		"httpMethod":         "$context.httpMethod",
		"resourcePath":       "$context.resourcePath",
		"path":               "$context.path",
		"status":             "$context.status",
		"protocol":           "$context.protocol",
		"responseLength":     "$context.responseLength",
		"responseLatency":    "$context.responseLatency",
		"integrationLatency": "$context.integration.latency",
		"integrationStatus":  "$context.integration.status",
		"errorMessage":       "$context.error.message",
		"stage":              "$context.stage",
		"isCanaryRequest":    "$context.isCanaryRequest",
	}
	b, err := json.Marshal(fields) // keys sorted: a stable format
	return string(b), err
}

// stageResources are what newStage creates and others wire to.
type stageResources struct {
	stage      *apigateway.Stage
	deployment *apigateway.Deployment
	accessLogs *cloudwatch.LogGroup
}

// newStage creates the deployment (redeployed whenever the API's shape changes), the log
// groups, the stage (with the model canary when configured) and its method settings.
func newStage(ctx *pulumi.Context, name string, a *stageArgs, parent pulumi.ResourceOption) (*stageResources, error) {
	cfg := a.Spec
	// The document's hash is the trigger: any change to the API redeploys, and the deployment
	// (which depends on the RestApi) is created after PutRestApi has applied the document.
	// Never Deployment.StageName (deprecated; it recreates the stage): the Stage resource owns it.
	trigger := a.body.ApplyT(DocumentHash).(pulumi.StringOutput)
	deployment, err := apigateway.NewDeployment(ctx, names.Child(name, "deployment"), &apigateway.DeploymentArgs{
		RestApi: a.api.ID(),
		Description: trigger.ApplyT(func(h string) string {
			return fmt.Sprintf("%s %s, document %s", cfg.Project, cfg.Stack, h[:12])
		}).(pulumi.StringOutput),
		Triggers: pulumi.StringMap{"document": trigger},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("deployment: %w", err)
	}

	accessLogs, stageDeps, err := newStageLogGroups(ctx, name, a, parent)
	if err != nil {
		return nil, err
	}
	stageDeps = append(stageDeps, a.invokePolicies...)
	if cfg.ManageAccountCloudWatchRole {
		acct, _, err := account.NewAPIGatewayLogging(ctx, account.LoggingNames{
			Role: names.Child(name, "cloudwatch-role"), Policy: names.Child(name, "cloudwatch-role-policy"), Account: names.Child(name, "account"),
		}, a.Platform, a.Tags, parent)
		if err != nil {
			return nil, fmt.Errorf("account: %w", err)
		}
		stageDeps = append(stageDeps, acct)
	}

	format, err := AccessLogFormat()
	if err != nil {
		return nil, err
	}
	variables, err := stageVariableInputs(a.Args)
	if err != nil {
		return nil, err
	}
	stageArgs := &apigateway.StageArgs{
		RestApi:            a.api.ID(),
		Deployment:         deployment.ID(),
		StageName:          pulumi.String(cfg.StageName),
		Description:        pulumi.Sprintf("%s %s", cfg.Project, cfg.Stack),
		Variables:          variables,
		XrayTracingEnabled: pulumi.Bool(*cfg.XRayTracing),
		AccessLogSettings: &apigateway.StageAccessLogSettingsArgs{
			DestinationArn: accessLogs.Arn,
			Format:         pulumi.String(format),
		},
		Tags: a.Tags,
	}
	if ca := cfg.Cache; ca != nil {
		stageArgs.CacheClusterEnabled = pulumi.Bool(true)
		stageArgs.CacheClusterSize = pulumi.String(ca.ClusterSizeGB)
	}
	if cn := a.Canary; cn != nil {
		// A model canary: same deployment, one stage variable overridden for a share of requests.
		stageArgs.CanarySettings = &apigateway.StageCanarySettingsArgs{
			DeploymentId:           deployment.ID(),
			PercentTraffic:         pulumi.Float64(cn.PercentTraffic),
			StageVariableOverrides: pulumi.StringMap{names.StageVariableEndpoint(cn.Model): cn.Endpoint.EndpointName},
			UseStageCache:          pulumi.Bool(false),
		}
	}
	stage, err := apigateway.NewStage(ctx, names.Child(name, "stage"), stageArgs, parent, pulumi.DependsOn(stageDeps),
		pulumi.Protect(a.Protection.API))
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}

	if err := newMethodSettings(ctx, name, cfg.Config, a.api, stage, a.routes, parent); err != nil {
		return nil, err
	}
	return &stageResources{stage: stage, deployment: deployment, accessLogs: accessLogs}, nil
}

// newStageLogGroups owns the stage's access log group and the group API Gateway writes its
// execution logs to (owning it sets its retention); with a canary, the canary's groups too. It
// returns the access group and what the stage must wait for.
func newStageLogGroups(ctx *pulumi.Context, name string, a *stageArgs, parent pulumi.ResourceOption) (*cloudwatch.LogGroup, []pulumi.Resource, error) {
	stage := a.Spec.StageName
	access, err := newLogGroup(ctx, names.Child(name, "access-logs"), a.Args, nil, true, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("access log group: %w", err)
	}
	execution, err := newLogGroup(ctx, names.Child(name, "execution-logs"), a.Args,
		pulumi.Sprintf("API-Gateway-Execution-Logs_%s/%s", a.api.ID(), stage), true, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("execution log group: %w", err)
	}
	deps := []pulumi.Resource{execution}
	if a.Canary == nil {
		return access, deps, nil
	}
	// The groups API Gateway writes a canary's logs to — the execution and access log groups'
	// names with a /Canary suffix (https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html)
	// — which it would otherwise create without retention, to outlive every rollback (F13).
	// They come and go with the canary: never protected or retained.
	for _, g := range []struct {
		role string
		name pulumi.StringInput
	}{
		{"canary-execution-logs", pulumi.Sprintf("API-Gateway-Execution-Logs_%s/%s/Canary", a.api.ID(), stage)},
		{"canary-access-logs", pulumi.Sprintf("%s/Canary", access.Name)},
	} {
		group, err := newLogGroup(ctx, names.Child(name, g.role), a.Args, g.name, false, parent)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", g.role, err)
		}
		deps = append(deps, group)
	}
	return access, deps, nil
}

// newLogGroup creates an API log group with the stack's retention and KMS key (physical nil:
// auto-named); guarded ones get the stack's protection.
func newLogGroup(ctx *pulumi.Context, name string, a *Args, physical pulumi.StringInput, guarded bool, parent pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	args := &cloudwatch.LogGroupArgs{
		Name:            physical,
		RetentionInDays: pulumi.Int(a.Spec.LogRetentionDays),
		Tags:            a.Tags,
	}
	if a.Protection.KMSKeyArn != "" {
		args.KmsKeyId = pulumi.String(a.Protection.KMSKeyArn)
	}
	opts := []pulumi.ResourceOption{parent}
	if guarded {
		opts = append(opts, pulumi.Protect(a.Protection.LogGroups), pulumi.RetainOnDelete(a.Protection.RetainLogGroups))
	}
	return cloudwatch.NewLogGroup(ctx, name, args, opts...)
}

// stageVariableInputs are the stage's variables. Every variable and canary override is
// checked against API Gateway's rules before the stage is registered (the endpoint names are
// known from the config; the stage takes them from the endpoints' outputs so that it waits for
// them).
func stageVariableInputs(a *Args) (pulumi.StringMap, error) {
	endpointNames := map[string]string{}
	for model, ep := range a.Endpoints {
		endpointNames[model] = ep.Name
	}
	if err := CheckStageVariables(StageVariables(a.Spec.Config, endpointNames)); err != nil {
		return nil, fmt.Errorf("stage variables: %w", err)
	}
	if cn := a.Canary; cn != nil {
		if err := CheckStageVariables(map[string]string{names.StageVariableEndpoint(cn.Model): cn.Endpoint.Name}); err != nil {
			return nil, fmt.Errorf("canary stage variable overrides: %w", err)
		}
	}
	variables := pulumi.StringMap{}
	for k, v := range StageVariables(a.Spec.Config, nil) {
		variables[k] = pulumi.String(v)
	}
	for model, ep := range a.Endpoints {
		variables[names.StageVariableEndpoint(model)] = ep.EndpointName
	}
	return variables, nil
}

// newMethodSettings sets metrics, logging and throttling for the stage, and per route the
// route's throttle and cache (settings are per method, so a route's entry repeats the stage's).
func newMethodSettings(ctx *pulumi.Context, name string, cfg Config, api *apigateway.RestApi, stage *apigateway.Stage, routes []Route, parent pulumi.ResourceOption) error {
	settings := func(t *throttle.Config, cached bool) *apigateway.MethodSettingsSettingsArgs {
		s := &apigateway.MethodSettingsSettingsArgs{
			MetricsEnabled:   pulumi.Bool(*cfg.MetricsEnabled),
			LoggingLevel:     pulumi.String(cfg.LoggingLevel),
			DataTraceEnabled: pulumi.Bool(false), // full request/response logging would log model payloads
		}
		if t != nil {
			s.ThrottlingRateLimit = pulumi.Float64(t.RateLimit)
			s.ThrottlingBurstLimit = pulumi.Int(t.BurstLimit)
		}
		if ca := cfg.Cache; ca != nil {
			s.CachingEnabled = pulumi.Bool(cached)
			if cached {
				s.CacheTtlInSeconds = pulumi.Int(ca.TTLSeconds)
				s.CacheDataEncrypted = pulumi.Bool(true)
				// Clients may not flush entries with Cache-Control: max-age=0 unless authorized.
				s.RequireAuthorizationForCacheControl = pulumi.Bool(true)
				s.UnauthorizedCacheControlHeaderStrategy = pulumi.String("FAIL_WITH_403")
			}
		}
		return s
	}
	if _, err := apigateway.NewMethodSettings(ctx, names.Child(name, "settings"), &apigateway.MethodSettingsArgs{
		RestApi: api.ID(), StageName: stage.StageName, MethodPath: pulumi.String("*/*"),
		Settings: settings(cfg.Throttle, false),
	}, parent); err != nil {
		return fmt.Errorf("method settings: %w", err)
	}
	for i, rc := range cfg.Routes {
		if rc.Throttle == nil && !routes[i].Cached() {
			continue
		}
		throttle := rc.Throttle
		if throttle == nil {
			throttle = cfg.Throttle
		}
		if _, err := apigateway.NewMethodSettings(ctx, names.Child(name, "settings-"+rc.Path), &apigateway.MethodSettingsArgs{
			RestApi: api.ID(), StageName: stage.StageName, MethodPath: pulumi.String(routes[i].MethodSettingsPath()),
			Settings: settings(throttle, routes[i].Cached()),
		}, parent); err != nil {
			return fmt.Errorf("method settings %s: %w", rc.Path, err)
		}
	}
	return nil
}
