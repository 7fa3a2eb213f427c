package infra

import (
	"encoding/json"
	"fmt"

	"github.com/ml-rest-api/ml-rest-api/internal/account"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type stageArgs struct {
	cfg      *StackConfig
	platform iampolicy.Platform
	api      *apigateway.RestApi
	body     pulumi.StringOutput // the API's OpenAPI document
	routes   []Route
	// invokePolicies let API Gateway invoke the endpoints; the stage waits for them.
	invokePolicies []pulumi.Resource
	endpoints      map[string]*ModelEndpoint
	canary         *ModelEndpoint
	tags           pulumi.StringMap
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
	cfg := a.cfg
	// The document's hash is the trigger: any change to the API redeploys, and the deployment
	// (which depends on the RestApi) is created after PutRestApi has applied the document.
	// Never Deployment.StageName (deprecated; it recreates the stage): the Stage resource owns it.
	trigger := a.body.ApplyT(DocumentHash).(pulumi.StringOutput)
	deployment, err := apigateway.NewDeployment(ctx, child(name, "deployment"), &apigateway.DeploymentArgs{
		RestApi: a.api.ID(),
		Description: trigger.ApplyT(func(h string) string {
			return fmt.Sprintf("%s %s, document %s", cfg.Project, cfg.Stack, h[:12])
		}).(pulumi.StringOutput),
		Triggers: pulumi.StringMap{"document": trigger},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("deployment: %w", err)
	}

	accessLogs, err := newLogGroup(ctx, child(name, "access-logs"), cfg, nil, a.tags, parent)
	if err != nil {
		return nil, fmt.Errorf("access log group: %w", err)
	}
	// API Gateway writes execution logs to this group; owning it sets its retention.
	executionLogs, err := newLogGroup(ctx, child(name, "execution-logs"), cfg,
		pulumi.Sprintf("API-Gateway-Execution-Logs_%s/%s", a.api.ID(), cfg.API.StageName), a.tags, parent)
	if err != nil {
		return nil, fmt.Errorf("execution log group: %w", err)
	}
	stageDeps := append([]pulumi.Resource{executionLogs}, a.invokePolicies...)
	if a.canary != nil {
		groups, err := newCanaryLogGroups(ctx, name, cfg, a.api, accessLogs, a.tags, parent)
		if err != nil {
			return nil, err
		}
		stageDeps = append(stageDeps, groups...)
	}
	if cfg.API.ManageAccountCloudWatchRole {
		acct, _, err := account.NewAPIGatewayLogging(ctx, account.LoggingNames{
			Role: child(name, "cloudwatch-role"), Policy: child(name, "cloudwatch-role-policy"), Account: child(name, "account"),
		}, a.platform, a.tags, parent)
		if err != nil {
			return nil, fmt.Errorf("account: %w", err)
		}
		stageDeps = append(stageDeps, acct)
	}

	format, err := AccessLogFormat()
	if err != nil {
		return nil, err
	}
	// Every variable and canary override is checked against API Gateway's rules before the
	// stage is registered (the endpoint names are known from the config; the stage takes them
	// from the endpoints' outputs so that it waits for them).
	names := cfg.EndpointNames()
	if err := CheckStageVariables(StageVariables(cfg, names)); err != nil {
		return nil, fmt.Errorf("stage variables: %w", err)
	}
	if cn := cfg.Canary; cn != nil {
		if err := CheckStageVariables(map[string]string{StageVariableEndpoint(cn.Model): names[cn.Model] + CanarySuffix}); err != nil {
			return nil, fmt.Errorf("canary stage variable overrides: %w", err)
		}
	}
	variables := pulumi.StringMap{}
	for k, v := range StageVariables(cfg, nil) {
		variables[k] = pulumi.String(v)
	}
	for model, ep := range a.endpoints {
		variables[StageVariableEndpoint(model)] = ep.EndpointName
	}
	stageArgs := &apigateway.StageArgs{
		RestApi:            a.api.ID(),
		Deployment:         deployment.ID(),
		StageName:          pulumi.String(cfg.API.StageName),
		Description:        pulumi.Sprintf("%s %s", cfg.Project, cfg.Stack),
		Variables:          variables,
		XrayTracingEnabled: pulumi.Bool(*cfg.API.XRayTracing),
		AccessLogSettings: &apigateway.StageAccessLogSettingsArgs{
			DestinationArn: accessLogs.Arn,
			Format:         pulumi.String(format),
		},
		Tags: a.tags,
	}
	if ca := cfg.API.Cache; ca != nil {
		stageArgs.CacheClusterEnabled = pulumi.Bool(true)
		stageArgs.CacheClusterSize = pulumi.String(ca.ClusterSizeGB)
	}
	if cn := cfg.Canary; cn != nil && a.canary != nil {
		// A model canary: same deployment, one stage variable overridden for a share of requests.
		stageArgs.CanarySettings = &apigateway.StageCanarySettingsArgs{
			DeploymentId:           deployment.ID(),
			PercentTraffic:         pulumi.Float64(cn.PercentTraffic),
			StageVariableOverrides: pulumi.StringMap{StageVariableEndpoint(cn.Model): a.canary.EndpointName},
			UseStageCache:          pulumi.Bool(false),
		}
	}
	stage, err := apigateway.NewStage(ctx, child(name, "stage"), stageArgs, parent, pulumi.DependsOn(stageDeps),
		pulumi.Protect(cfg.Protection != nil && cfg.Protection.ProtectAPI))
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}

	if err := newMethodSettings(ctx, name, cfg, a.api, stage, a.routes, parent); err != nil {
		return nil, err
	}
	return &stageResources{stage: stage, deployment: deployment, accessLogs: accessLogs}, nil
}

// newCanaryLogGroups owns the groups API Gateway writes a canary's logs to — the execution and
// access log groups' names with a /Canary suffix (https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html)
// — which it would otherwise create without retention, to outlive every rollback (F13). They
// come and go with the canary: never protected or retained.
func newCanaryLogGroups(ctx *pulumi.Context, name string, cfg *StackConfig, api *apigateway.RestApi, access *cloudwatch.LogGroup, tags pulumi.StringMap, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, g := range []struct {
		role string
		name pulumi.StringInput
	}{
		{"canary-execution-logs", pulumi.Sprintf("API-Gateway-Execution-Logs_%s/%s/Canary", api.ID(), cfg.API.StageName)},
		{"canary-access-logs", pulumi.Sprintf("%s/Canary", access.Name)},
	} {
		args := &cloudwatch.LogGroupArgs{Name: g.name, RetentionInDays: pulumi.Int(cfg.API.LogRetentionDays), Tags: tags}
		if pr := cfg.Protection; pr != nil && pr.KMSKeyArn != "" {
			args.KmsKeyId = pulumi.String(pr.KMSKeyArn)
		}
		group, err := cloudwatch.NewLogGroup(ctx, child(name, g.role), args, parent)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.role, err)
		}
		out = append(out, group)
	}
	return out, nil
}

// newLogGroup creates an API log group with the stack's retention, KMS key and protection
// (name nil: auto-named).
func newLogGroup(ctx *pulumi.Context, name string, cfg *StackConfig, physical pulumi.StringInput, tags pulumi.StringMap, parent pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	args := &cloudwatch.LogGroupArgs{
		Name:            physical,
		RetentionInDays: pulumi.Int(cfg.API.LogRetentionDays),
		Tags:            tags,
	}
	opts := []pulumi.ResourceOption{parent}
	if pr := cfg.Protection; pr != nil {
		if pr.KMSKeyArn != "" {
			args.KmsKeyId = pulumi.String(pr.KMSKeyArn)
		}
		opts = append(opts, pulumi.Protect(pr.ProtectLogGroups), pulumi.RetainOnDelete(pr.RetainLogGroups))
	}
	return cloudwatch.NewLogGroup(ctx, name, args, opts...)
}

// newMethodSettings sets metrics, logging and throttling for the stage, and per route the
// route's throttle and cache (settings are per method, so a route's entry repeats the stage's).
func newMethodSettings(ctx *pulumi.Context, name string, cfg *StackConfig, api *apigateway.RestApi, stage *apigateway.Stage, routes []Route, parent pulumi.ResourceOption) error {
	settings := func(t *ThrottleConfig, cached bool) *apigateway.MethodSettingsSettingsArgs {
		s := &apigateway.MethodSettingsSettingsArgs{
			MetricsEnabled:   pulumi.Bool(*cfg.API.MetricsEnabled),
			LoggingLevel:     pulumi.String(cfg.API.LoggingLevel),
			DataTraceEnabled: pulumi.Bool(false), // full request/response logging would log model payloads
		}
		if t != nil {
			s.ThrottlingRateLimit = pulumi.Float64(t.RateLimit)
			s.ThrottlingBurstLimit = pulumi.Int(t.BurstLimit)
		}
		if ca := cfg.API.Cache; ca != nil {
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
	if _, err := apigateway.NewMethodSettings(ctx, child(name, "settings"), &apigateway.MethodSettingsArgs{
		RestApi: api.ID(), StageName: stage.StageName, MethodPath: pulumi.String("*/*"),
		Settings: settings(cfg.API.Throttle, false),
	}, parent); err != nil {
		return fmt.Errorf("method settings: %w", err)
	}
	for i, rc := range cfg.API.Routes {
		if rc.Throttle == nil && !routes[i].Cached() {
			continue
		}
		throttle := rc.Throttle
		if throttle == nil {
			throttle = cfg.API.Throttle
		}
		if _, err := apigateway.NewMethodSettings(ctx, child(name, "settings-"+rc.Path), &apigateway.MethodSettingsArgs{
			RestApi: api.ID(), StageName: stage.StageName, MethodPath: pulumi.String(routes[i].MethodSettingsPath()),
			Settings: settings(throttle, routes[i].Cached()),
		}, parent); err != nil {
			return fmt.Errorf("method settings %s: %w", rc.Path, err)
		}
	}
	return nil
}
