package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccessArgs configures usage plans and API keys for one stage.
type AccessArgs struct {
	Config    *StackConfig
	RestAPIID pulumi.StringInput
	// StageName must be the stage's output, so plans are created after the stage exists.
	StageName pulumi.StringInput
	Routes    []Route
	Tags      pulumi.StringMap
}

// Access is the stage's usage plans and the clients' API keys.
type Access struct {
	pulumi.ResourceState

	UsagePlanIDs map[string]pulumi.StringOutput
	APIKeyIDs    map[string]pulumi.StringOutput
	// APIKeyValues are secret outputs.
	APIKeyValues map[string]pulumi.StringOutput
}

// NewAccess registers one usage plan per configured plan and one API key per client, each key
// in exactly one plan.
func NewAccess(ctx *pulumi.Context, name string, args *AccessArgs, opts ...pulumi.ResourceOption) (*Access, error) {
	if args == nil || args.Config == nil {
		return nil, fmt.Errorf("access %s: Config is required", name)
	}
	cfg := args.Config
	routes := map[string]Route{}
	for _, r := range args.Routes {
		routes[r.Path] = r
	}
	comp := &Access{
		UsagePlanIDs: map[string]pulumi.StringOutput{},
		APIKeyIDs:    map[string]pulumi.StringOutput{},
		APIKeyValues: map[string]pulumi.StringOutput{},
	}
	if err := ctx.RegisterComponentResource(TypeAccess, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	// What prod must never lose without an explicit step: the keys (their AWS-generated values
	// cannot be recovered; retained even by a destroy) and the plans they are metered by. The
	// usage-plan keys stay unprotected: moving a client replaces one, and the next `pulumi up`
	// re-creates a deleted one from the surviving key and plan.
	protectKeys := cfg.Protection != nil && cfg.Protection.ProtectAPIKeys

	plans := map[string]*apigateway.UsagePlan{}
	for _, planName := range sortedKeys(cfg.Access.Plans) {
		pc := cfg.Access.Plans[planName]
		var throttles apigateway.UsagePlanApiStageThrottleArray
		for _, path := range sortedKeys(pc.RouteThrottles) {
			r, ok := routes[path]
			if !ok {
				return nil, fmt.Errorf("access %s: plan %s: no route %q", name, planName, path)
			}
			t := pc.RouteThrottles[path]
			throttles = append(throttles, apigateway.UsagePlanApiStageThrottleArgs{
				Path: pulumi.String(r.UsagePlanPath()), RateLimit: pulumi.Float64(t.RateLimit), BurstLimit: pulumi.Int(t.BurstLimit),
			})
		}
		planArgs := &apigateway.UsagePlanArgs{
			Name:        pulumi.Sprintf("%s-%s-%s", cfg.Project, cfg.Stack, planName),
			Description: pulumi.Sprintf("%s %s: plan %s", cfg.Project, cfg.Stack, planName),
			ApiStages: apigateway.UsagePlanApiStageArray{apigateway.UsagePlanApiStageArgs{
				ApiId: args.RestAPIID, Stage: args.StageName, Throttles: throttles,
			}},
			ThrottleSettings: &apigateway.UsagePlanThrottleSettingsArgs{
				RateLimit: pulumi.Float64(pc.Throttle.RateLimit), BurstLimit: pulumi.Int(pc.Throttle.BurstLimit),
			},
			Tags: args.Tags,
		}
		if q := pc.Quota; q != nil {
			planArgs.QuotaSettings = &apigateway.UsagePlanQuotaSettingsArgs{
				Limit: pulumi.Int(q.Limit), Period: pulumi.String(q.Period), Offset: pulumi.Int(q.Offset),
			}
		}
		plan, err := apigateway.NewUsagePlan(ctx, child(name, "plan-"+planName), planArgs, parent, pulumi.Protect(protectKeys))
		if err != nil {
			return nil, fmt.Errorf("access %s: plan %s: %w", name, planName, err)
		}
		plans[planName] = plan
		comp.UsagePlanIDs[planName] = plan.ID().ToStringOutput()
	}

	for _, client := range sortedKeys(cfg.Access.Clients) {
		cc := cfg.Access.Clients[client]
		keyArgs := &apigateway.ApiKeyArgs{
			Name:        pulumi.Sprintf("%s-%s-%s", cfg.Project, cfg.Stack, client),
			Description: pulumi.String(cc.Description),
			Enabled:     pulumi.Bool(true),
			Tags:        args.Tags,
		}
		if v, ok := cfg.APIKeyValues[client]; ok {
			keyArgs.Value = pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
		}
		key, err := apigateway.NewApiKey(ctx, child(name, "key-"+client), keyArgs, parent,
			pulumi.Protect(protectKeys), pulumi.RetainOnDelete(protectKeys))
		if err != nil {
			return nil, fmt.Errorf("access %s: key %s: %w", name, client, err)
		}
		// "_" never occurs in client names, so this cannot collide with another key's name.
		// Delete before replace: every field is ForceNew (moving a client to another plan
		// replaces it), and API Gateway allows a key in one usage plan per API stage, so the new
		// attachment can only be made once the old one is gone (a second of 403s for that
		// client instead of a failed update; shared/reference/aws-lifecycle.md F7).
		if _, err := apigateway.NewUsagePlanKey(ctx, child(name, "key-"+client+"_plan"), &apigateway.UsagePlanKeyArgs{
			KeyId: key.ID(), KeyType: pulumi.String("API_KEY"), UsagePlanId: plans[cc.Plan].ID(),
		}, parent, pulumi.DeleteBeforeReplace(true)); err != nil {
			return nil, fmt.Errorf("access %s: key %s: plan attachment: %w", name, client, err)
		}
		comp.APIKeyIDs[client] = key.ID().ToStringOutput()
		comp.APIKeyValues[client] = pulumi.ToSecret(key.Value).(pulumi.StringOutput)
	}

	ids, keys := pulumi.StringMap{}, pulumi.StringMap{}
	for k, v := range comp.UsagePlanIDs {
		ids[k] = v
	}
	for k, v := range comp.APIKeyIDs {
		keys[k] = v
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"usagePlanIds": ids, "apiKeyIds": keys}); err != nil {
		return nil, err
	}
	return comp, nil
}
