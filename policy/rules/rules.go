// Package rules holds the ml-rest-api policy pack's rules as pure functions over resource
// properties, so they are unit-tested here and served by ../main.go (policyx).
package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

// Config is the pack's configuration (`--policy-pack-config`); zero values take the defaults.
type Config struct {
	MaxCanaryPercent     float64  `json:"maxCanaryPercent"`
	AllowedInstanceTypes []string `json:"allowedInstanceTypes"`
}

// Defaults.
var (
	DefaultMaxCanaryPercent     = config.DefaultCanaryMaxPercent
	DefaultAllowedInstanceTypes = []string{
		"ml.t2.medium", "ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.large", "ml.c5.xlarge",
		"ml.c5.2xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge",
	}
)

func (c Config) withDefaults() Config {
	if c.MaxCanaryPercent == 0 {
		c.MaxCanaryPercent = DefaultMaxCanaryPercent
	}
	if len(c.AllowedInstanceTypes) == 0 {
		c.AllowedInstanceTypes = DefaultAllowedInstanceTypes
	}
	return c
}

// Rule is one policy: the resource types it inspects and its check, which returns one message
// per violation. Unknown (computed) values never violate: previews check what they can.
type Rule struct {
	Name        string
	Description string
	Types       []string
	// Check gets the resource's logical name (its URN name) and its checked inputs.
	Check func(name string, props property.Map, cfg Config) []string
}

// Rules are the pack's policies, all mandatory.
var Rules = []Rule{
	{
		Name: "api-key-required", Description: "Every API method except CORS preflight (OPTIONS) requires an API key (in the REST API's OpenAPI document, or as a Method resource).",
		Types: []string{awstypes.APIGatewayRestApi, awstypes.APIGatewayMethod},
		Check: func(_ string, p property.Map, _ Config) []string {
			if has(p, "body") {
				return inDocument(p, awstypes.APIGatewayMethod, func(m map[string]any) string {
					if m["httpMethod"] != "OPTIONS" && m["apiKeyRequired"] != true {
						return "must require an API key (security: the x-api-key scheme)"
					}
					return ""
				})
			}
			if !has(p, "httpMethod") || str(p, "httpMethod") == "OPTIONS" || computed(p, "httpMethod") || computed(p, "apiKeyRequired") {
				return nil
			}
			if v := p.Get("apiKeyRequired"); !v.IsBool() || !v.AsBool() {
				return []string{fmt.Sprintf("method %s must set apiKeyRequired: true", str(p, "httpMethod"))}
			}
			return nil
		},
	},
	{
		Name: "iam-no-wildcard-resource", Description: `No IAM statement grants an action wildcard, or "*" resources outside the documented allowlist (iampolicy.UnscopedActions).`,
		Types: []string{awstypes.IAMRolePolicy, awstypes.IAMPolicy},
		Check: func(_ string, p property.Map, _ Config) []string {
			if computed(p, "policy") {
				return nil
			}
			var doc iampolicy.PolicyDocument
			if err := json.Unmarshal([]byte(str(p, "policy")), &doc); err != nil {
				return []string{"policy is not a JSON policy document: " + err.Error()}
			}
			var out []string
			for _, st := range doc.Statement {
				for _, a := range st.Action {
					if strings.Contains(a, "*") {
						out = append(out, fmt.Sprintf("statement %q: action wildcard %s", st.Sid, a))
					}
				}
				if !slices.Contains(st.Resource, "*") {
					continue
				}
				for _, a := range st.Action {
					if _, ok := iampolicy.UnscopedActions[a]; !ok {
						out = append(out, fmt.Sprintf("statement %q: %s on resource * (not in the allowlist of unscoped actions)", st.Sid, a))
					}
				}
			}
			return out
		},
	},
	{
		Name: "integration-credentials", Description: "AWS-service integrations call SageMaker with an IAM role (credentials set).",
		Types: []string{awstypes.APIGatewayRestApi, awstypes.APIGatewayIntegration},
		Check: func(_ string, p property.Map, _ Config) []string {
			if has(p, "body") {
				return inDocument(p, awstypes.APIGatewayIntegration, func(in map[string]any) string {
					if c, _ := in["credentials"].(string); in["type"] == "AWS" && c == "" {
						return "an AWS integration must set credentials to the API Gateway role's ARN"
					}
					return ""
				})
			}
			if str(p, "type") != "AWS" || computed(p, "credentials") {
				return nil
			}
			if str(p, "credentials") == "" {
				return []string{"an AWS integration must set credentials to the API Gateway role's ARN"}
			}
			return nil
		},
	},
	{
		Name: "regional-endpoint", Description: "REST APIs are REGIONAL.",
		Types: []string{awstypes.APIGatewayRestApi},
		Check: func(_ string, p property.Map, _ Config) []string {
			ec := p.Get("endpointConfiguration")
			if ec.IsComputed() {
				return nil
			}
			if !ec.IsMap() || str(ec.AsMap(), "types") != "REGIONAL" {
				return []string{"endpointConfiguration.types must be REGIONAL"}
			}
			return nil
		},
	},
	{
		Name: "stage-logging-and-tracing", Description: "Stages write access logs and trace with X-Ray.",
		Types: []string{awstypes.APIGatewayStage},
		Check: func(_ string, p property.Map, _ Config) []string {
			var out []string
			if als := p.Get("accessLogSettings"); !als.IsComputed() && (!als.IsMap() || als.AsMap().Len() == 0) {
				out = append(out, "accessLogSettings must send access logs to a log group")
			}
			if x := p.Get("xrayTracingEnabled"); !x.IsComputed() && (!x.IsBool() || !x.AsBool()) {
				out = append(out, "xrayTracingEnabled must be true")
			}
			return out
		},
	},
	{
		Name: "log-retention", Description: "Log groups expire their logs (retentionInDays set).",
		Types: []string{awstypes.CloudWatchLogGroup},
		Check: func(_ string, p property.Map, _ Config) []string {
			if r := p.Get("retentionInDays"); !r.IsComputed() && (!r.IsNumber() || r.AsNumber() <= 0) {
				return []string{"retentionInDays must be set"}
			}
			return nil
		},
	},
	{
		Name: "canary-within-cap", Description: "A stage canary takes at most the configured share of traffic and never uses the stage cache.",
		Types: []string{awstypes.APIGatewayStage},
		Check: func(_ string, p property.Map, cfg Config) []string {
			cs := p.Get("canarySettings")
			if !cs.IsMap() {
				return nil
			}
			var out []string
			if v := cs.AsMap().Get("percentTraffic"); v.IsNumber() && v.AsNumber() > cfg.MaxCanaryPercent {
				out = append(out, fmt.Sprintf("canarySettings.percentTraffic %g exceeds the cap of %g", v.AsNumber(), cfg.MaxCanaryPercent))
			}
			if v := cs.AsMap().Get("useStageCache"); v.IsBool() && v.AsBool() {
				out = append(out, "canarySettings.useStageCache must be false (a cached stable answer would be served to canary traffic)")
			}
			return out
		},
	},
	{
		Name: "endpoint-config-not-fixed-name", Description: "SageMaker endpoint configurations are auto-named (a fixed name blocks replacement).",
		Types: []string{awstypes.SageMakerEndpointConfiguration},
		// The analyzer sees the provider-checked inputs, where pulumi-aws has already filled an
		// auto-name ("<logical name>-<7 hex>", Pulumi's autonaming); only another name is fixed.
		Check: func(name string, p property.Map, _ Config) []string {
			v := p.Get("name")
			if !v.IsString() || v.AsString() == "" || regexp.MustCompile(`^`+regexp.QuoteMeta(name)+`-[0-9a-f]{7}$`).MatchString(v.AsString()) {
				return nil
			}
			return []string{fmt.Sprintf("endpoint configuration has the fixed name %q; leave name unset", v.AsString())}
		},
	},
	{
		Name: "instance-type-allowlist", Description: "Endpoint variants use allowed instance types.",
		Types: []string{awstypes.SageMakerEndpointConfiguration},
		Check: func(_ string, p property.Map, cfg Config) []string {
			pv := p.Get("productionVariants")
			if !pv.IsArray() {
				return nil
			}
			var out []string
			for _, v := range pv.AsArray().AsSlice() {
				if !v.IsMap() {
					continue
				}
				if t := v.AsMap().Get("instanceType"); t.IsString() && !slices.Contains(cfg.AllowedInstanceTypes, t.AsString()) {
					out = append(out, fmt.Sprintf("instance type %s is not in the allowlist (%s)", t.AsString(), strings.Join(cfg.AllowedInstanceTypes, ", ")))
				}
			}
			return out
		},
	},
}

// Check runs every rule that inspects typ and returns violations by rule name.
func Check(typ, name string, props property.Map, cfg Config) map[string][]string {
	cfg = cfg.withDefaults()
	out := map[string][]string{}
	for _, r := range Rules {
		if slices.Contains(r.Types, typ) {
			if msgs := r.Check(name, props, cfg); len(msgs) > 0 {
				out[r.Name] = msgs
			}
		}
	}
	return out
}

// ConfigFrom reads a policy's configuration map (policyx passes the pack config per policy).
func ConfigFrom(m map[string]any) Config {
	var c Config
	if v, ok := m["maxCanaryPercent"].(float64); ok {
		c.MaxCanaryPercent = v
	}
	if l, ok := m["allowedInstanceTypes"].([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				c.AllowedInstanceTypes = append(c.AllowedInstanceTypes, s)
			}
		}
	}
	return c.withDefaults()
}

func str(p property.Map, k string) string {
	if v := p.Get(k); v.IsString() {
		return v.AsString()
	}
	return ""
}

func computed(p property.Map, k string) bool { return p.Get(k).IsComputed() }

func has(p property.Map, k string) bool { _, ok := p.GetOk(k); return ok }

// inDocument applies check to every object of type typ that the REST API's OpenAPI body creates
// when API Gateway imports it (awscontract.Import); a computed body is not checked yet.
func inDocument(p property.Map, typ string, check func(inputs map[string]any) string) []string {
	if computed(p, "body") {
		return nil
	}
	objs, err := awscontract.Import(str(p, "body"))
	if err != nil {
		return []string{"body: " + err.Error()}
	}
	var out []string
	for _, o := range objs {
		if o.Type != typ {
			continue
		}
		if msg := check(o.Inputs); msg != "" {
			out = append(out, o.Name+": "+msg)
		}
	}
	return out
}
