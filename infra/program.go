// Package infra is the composition root: it loads the stack's configuration (package config),
// hands each component (inference, api, access, ops) only its own settings plus plain wiring
// values, and exports the outputs. It is the only package that sees the whole configuration.
package infra

import (
	"io/fs"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/infra/access"
	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/infra/ops"
	"github.com/ml-rest-api/ml-rest-api/internal/account"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

// Program is the whole Pulumi program: load and validate the stack's configuration, deploy,
// export the outputs. main.go runs it; the offline rehearsal runs it inline.
func Program(ctx *pulumi.Context) error { return Run(ctx) }

// Run is Program with options: the tests run the same body, with edited templates or reading
// what it deployed.
func Run(ctx *pulumi.Context, opts ...DeployOption) error {
	var o deployOptions
	for _, f := range opts {
		f(&o)
	}
	cfg, err := config.LoadConfig(config.ContextConfig(ctx))
	if err != nil {
		return err
	}
	out, err := Deploy(ctx, cfg, opts...)
	if err != nil {
		return err
	}
	out.Export(ctx)
	if o.observe != nil {
		return o.observe(cfg, out)
	}
	return nil
}

// DeployOption adjusts a run.
type DeployOption func(*deployOptions)

type deployOptions struct {
	templates fs.FS
	observe   func(*config.StackConfig, *Outputs) error
}

// WithTemplates reads the mapping templates from fsys instead of the embedded files: what an
// edited template would deploy, before it is committed (the tests' blast-radius checks).
func WithTemplates(fsys fs.FS) DeployOption { return func(o *deployOptions) { o.templates = fsys } }

// Observe hands the loaded configuration and the outputs to f once everything is registered
// (the tests' harness).
func Observe(f func(*config.StackConfig, *Outputs) error) DeployOption {
	return func(o *deployOptions) { o.observe = f }
}

// Deploy registers every resource of the stack from its validated configuration. main and the
// tests both call it.
func Deploy(ctx *pulumi.Context, cfg *config.StackConfig, opts ...DeployOption) (*Outputs, error) {
	var o deployOptions
	for _, f := range opts {
		f(&o)
	}
	platform, err := account.Lookup(ctx)
	if err != nil {
		return nil, err
	}
	if err := cfg.APISpec().CheckRegion(platform.Region); err != nil {
		return nil, err
	}
	out := &Outputs{Endpoints: map[string]*inference.ModelEndpoint{}, Stack: cfg.Stack}
	var alarmActions pulumi.ArrayInput
	if m := cfg.Monitoring; m != nil && len(m.NotifyEmails) > 0 {
		n, err := ops.NewNotifications(ctx, names.Notify, &ops.NotificationsArgs{Emails: m.NotifyEmails, Tags: cfg.ResourceTags("")})
		if err != nil {
			return nil, err
		}
		out.Notifications = n
		alarmActions = pulumi.Array{n.TopicArn}
	}
	if err := deployModels(ctx, cfg, platform, alarmActions, out); err != nil {
		return nil, err
	}
	if err := deployAPI(ctx, cfg, platform, o.templates, out); err != nil {
		return nil, err
	}
	if err := deployOps(ctx, cfg, platform.Region, alarmActions, out); err != nil {
		return nil, err
	}
	return out, nil
}

// deployModels registers each model's stable endpoint and, with a canary, the canary's.
func deployModels(ctx *pulumi.Context, cfg *config.StackConfig, platform iampolicy.Platform, alarmActions pulumi.ArrayInput, out *Outputs) error {
	var alarms *inference.Alarms
	if m := cfg.Monitoring; m != nil && m.Alarms != nil {
		a := m.Alarms
		alarms = &inference.Alarms{
			Invocation5xxPerMinute: a.EndpointInvocation5xxPerMinute, ModelLatencyP99Ms: a.EndpointModelLatencyP99Ms,
			CPUPercent: a.EndpointCPUPercent, ModelSetupTimeMs: a.EndpointModelSetupTimeMs,
		}
	}
	var pr config.ProtectionConfig
	if cfg.Protection != nil {
		pr = *cfg.Protection
	}
	endpointArgs := func(model, endpointName string, mc inference.Config) *inference.ModelEndpointArgs {
		return &inference.ModelEndpointArgs{
			Model: model, EndpointName: endpointName, Config: mc, Platform: platform, Tags: cfg.ResourceTags(model),
			Alarms: alarms, AlarmActions: alarmActions, KMSKeyArn: pr.KMSKeyArn, LogRetentionDays: cfg.API.LogRetentionDays,
		}
	}
	endpointNames := cfg.EndpointNames()
	for _, name := range slices.Sorted(maps.Keys(cfg.Models)) {
		args := endpointArgs(name, endpointNames[name], cfg.StableModel(name))
		args.Protect, args.ProtectLogs, args.RetainLogs = pr.ProtectEndpoints, pr.ProtectLogGroups, pr.RetainLogGroups
		ep, err := inference.NewModelEndpoint(ctx, name, args)
		if err != nil {
			return err
		}
		out.Endpoints[name] = ep
	}
	if cn := cfg.Canary; cn != nil {
		// The canary version of a model: same tier code, its own endpoint. Never protected:
		// promotion and rollback delete it.
		ep, err := inference.NewModelEndpoint(ctx, cn.Model+names.CanarySuffix,
			endpointArgs(cn.Model, endpointNames[cn.Model]+names.CanarySuffix, cfg.CanaryModel()))
		if err != nil {
			return err
		}
		out.Canary = ep
	}
	return nil
}

// deployAPI registers the REST API in front of the endpoints, then its usage plans and keys.
func deployAPI(ctx *pulumi.Context, cfg *config.StackConfig, platform iampolicy.Platform, templates fs.FS, out *Outputs) error {
	endpointNames := cfg.EndpointNames()
	apiEndpoint := func(name string, ep *inference.ModelEndpoint) api.Endpoint {
		return api.Endpoint{Name: name, EndpointName: ep.EndpointName, EndpointArn: ep.EndpointArn}
	}
	args := &api.Args{
		Spec: cfg.APISpec(), Platform: platform, Endpoints: map[string]api.Endpoint{},
		Tags: cfg.ResourceTags(""), Templates: templates,
	}
	for model, ep := range out.Endpoints {
		args.Endpoints[model] = apiEndpoint(endpointNames[model], ep)
	}
	if cn := cfg.Canary; cn != nil {
		args.Canary = &api.Canary{Model: cn.Model, PercentTraffic: cn.PercentTraffic,
			Endpoint: apiEndpoint(endpointNames[cn.Model]+names.CanarySuffix, out.Canary)}
	}
	var protectKeys bool
	if pr := cfg.Protection; pr != nil {
		args.Protection = api.Protection{API: pr.ProtectAPI, LogGroups: pr.ProtectLogGroups, RetainLogGroups: pr.RetainLogGroups, KMSKeyArn: pr.KMSKeyArn}
		protectKeys = pr.ProtectAPIKeys
	}
	restAPI, err := api.NewRestAPI(ctx, names.API, args)
	if err != nil {
		return err
	}
	out.API = restAPI
	throttlePaths := map[string]string{}
	for _, r := range restAPI.Routes {
		throttlePaths[r.Path] = r.UsagePlanPath()
	}
	out.Access, err = access.NewAccess(ctx, names.Access, &access.Args{
		Config: &cfg.Access, Project: cfg.Project, Stack: cfg.Stack, KeyValues: cfg.APIKeyValues, Protect: protectKeys,
		RestAPIID: restAPI.RestAPIID, StageName: restAPI.StageName, ThrottlePaths: throttlePaths, Tags: cfg.ResourceTags(""),
	})
	return err
}

// deployOps registers the API's alarms and dashboard, and the web ACL, when the stack turns
// them on.
func deployOps(ctx *pulumi.Context, cfg *config.StackConfig, region string, alarmActions pulumi.ArrayInput, out *Outputs) error {
	routes := opsRoutes(out.API.Routes)
	if cfg.Monitoring != nil {
		endpointNames := cfg.EndpointNames()
		var eps []ops.DashboardEndpoint
		for _, model := range slices.Sorted(maps.Keys(cfg.Models)) {
			eps = append(eps, ops.DashboardEndpoint{Model: model, Name: endpointNames[model], Shadow: cfg.StableModel(model).Shadow != nil})
		}
		if cn := cfg.Canary; cn != nil {
			eps = append(eps, ops.DashboardEndpoint{Model: cn.Model, Name: endpointNames[cn.Model] + names.CanarySuffix, Canary: true})
		}
		mon, err := ops.NewMonitoring(ctx, names.Monitor, &ops.MonitoringArgs{
			Config: cfg.Monitoring, Project: cfg.Project, Stack: cfg.Stack, StageName: cfg.API.StageName, Region: region,
			Routes: routes, Endpoints: eps, AccessLogGroup: out.API.AccessLogGroup, AlarmActions: alarmActions, Tags: cfg.ResourceTags(""),
		})
		if err != nil {
			return err
		}
		out.Monitoring = mon
	}
	if cfg.WAF != nil {
		fw, err := ops.NewFirewall(ctx, names.WAF, &ops.FirewallArgs{
			Config: cfg.WAF, Project: cfg.Project, Stack: cfg.Stack, Routes: routes, StageArn: out.API.StageArn, Tags: cfg.ResourceTags(""),
		})
		if err != nil {
			return err
		}
		out.Firewall = fw
	}
	return nil
}

// opsRoutes is what monitoring and the firewall know of the routes.
func opsRoutes(routes []api.Route) []ops.Route {
	var out []ops.Route
	for _, r := range routes {
		out = append(out, ops.Route{Path: r.Path, ResourcePath: r.ResourcePath, HTTPMethod: r.HTTPMethod, NumericItems: r.NumericItems(), Body: r.TakesBody()})
	}
	return out
}
