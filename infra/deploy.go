package infra

import (
	"io/fs"

	"github.com/ml-rest-api/ml-rest-api/internal/account"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the whole Pulumi program: load and validate the stack's configuration, deploy,
// export the outputs. main.go runs it; the offline rehearsal runs it inline.
func Program(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ContextConfig(ctx))
	if err != nil {
		return err
	}
	out, err := Deploy(ctx, cfg)
	if err != nil {
		return err
	}
	out.Export(ctx)
	return nil
}

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
	platform, err := account.Lookup(ctx)
	if err != nil {
		return nil, err
	}
	out := &Outputs{Endpoints: map[string]*ModelEndpoint{}, Stack: cfg.Stack}

	var alarmActions pulumi.ArrayInput
	var alarms *AlarmsConfig
	if m := cfg.Monitoring; m != nil {
		alarms = m.Alarms
		if len(m.NotifyEmails) > 0 {
			n, err := NewNotifications(ctx, NameNotify, &NotificationsArgs{Emails: m.NotifyEmails, Tags: cfg.tags("")})
			if err != nil {
				return nil, err
			}
			out.Notifications = n
			alarmActions = pulumi.Array{n.TopicArn}
		}
	}
	var protect, protectLogs, retainLogs bool
	var kmsKey string
	if pr := cfg.Protection; pr != nil {
		protect, protectLogs, retainLogs, kmsKey = pr.ProtectEndpoints, pr.ProtectLogGroups, pr.RetainLogGroups, pr.KMSKeyArn
	}
	endpointArgs := func(model, endpointName string, mc ModelConfig) *ModelEndpointArgs {
		return &ModelEndpointArgs{
			Model: model, EndpointName: endpointName, Config: mc, Platform: platform, Tags: cfg.tags(model),
			Alarms: alarms, AlarmActions: alarmActions, KMSKeyArn: kmsKey, LogRetentionDays: cfg.API.LogRetentionDays,
		}
	}
	for _, name := range sortedKeys(cfg.Models) {
		args := endpointArgs(name, EndpointName(cfg.Project, cfg.Stack, name), cfg.StableModel(name))
		args.Protect, args.ProtectLogs, args.RetainLogs = protect, protectLogs, retainLogs
		ep, err := NewModelEndpoint(ctx, name, args)
		if err != nil {
			return nil, err
		}
		out.Endpoints[name] = ep
	}
	if cn := cfg.Canary; cn != nil {
		// The canary version of a model: same tier code, its own endpoint. Never protected:
		// promotion and rollback delete it.
		ep, err := NewModelEndpoint(ctx, cn.Model+CanarySuffix,
			endpointArgs(cn.Model, EndpointName(cfg.Project, cfg.Stack, cn.Model)+CanarySuffix, cfg.CanaryModel()))
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

	if cfg.Monitoring != nil {
		var eps []DashboardEndpoint
		for _, model := range sortedKeys(cfg.Models) {
			eps = append(eps, DashboardEndpoint{Model: model, Name: EndpointName(cfg.Project, cfg.Stack, model)})
		}
		if cn := cfg.Canary; cn != nil {
			eps = append(eps, DashboardEndpoint{Model: cn.Model, Name: EndpointName(cfg.Project, cfg.Stack, cn.Model) + CanarySuffix, Canary: true})
		}
		mon, err := NewMonitoring(ctx, NameMonitor, &MonitoringArgs{
			Config: cfg, Region: platform.Region, Routes: api.Routes, Endpoints: eps,
			AccessLogGroup: api.AccessLogGroup, AlarmActions: alarmActions, Tags: cfg.tags(""),
		})
		if err != nil {
			return nil, err
		}
		out.Monitoring = mon
	}
	if cfg.WAF != nil {
		fw, err := NewFirewall(ctx, NameWAF, &FirewallArgs{Config: cfg, Routes: api.Routes, StageArn: api.StageArn, Tags: cfg.tags("")})
		if err != nil {
			return nil, err
		}
		out.Firewall = fw
	}
	return out, nil
}
