package ops

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FirewallArgs configures the stage's web ACL.
type FirewallArgs struct {
	Config *WAFConfig
	// Project and Stack name the ACL's metrics (names.APIName).
	Project, Stack string
	Routes         []Route
	// StageArn is the REST API stage the ACL is associated with.
	StageArn pulumi.StringInput
	Tags     pulumi.StringMap
}

// Firewall is a REGIONAL WAFv2 web ACL associated with the stage.
type Firewall struct {
	pulumi.ResourceState

	WebACLArn pulumi.StringOutput `pulumi:"webAclArn"`
}

// WAF custom response bodies (JSON, like every other error of the API).
const (
	wafBodyThrottled = "throttled"
	wafBodyItems     = "malformed-items"
)

type wafVisibility struct {
	SampledRequestsEnabled   bool   `json:"SampledRequestsEnabled"`
	CloudWatchMetricsEnabled bool   `json:"CloudWatchMetricsEnabled"`
	MetricName               string `json:"MetricName"`
}

// WAFRule is one web ACL rule in the WAFv2 API's JSON form (the ACL's RuleJson).
type WAFRule struct {
	Name             string         `json:"Name"`
	Priority         int            `json:"Priority"`
	Action           map[string]any `json:"Action,omitempty"`
	OverrideAction   map[string]any `json:"OverrideAction,omitempty"`
	Statement        map[string]any `json:"Statement"`
	VisibilityConfig wafVisibility  `json:"VisibilityConfig"`
}

func block(status int, body string) map[string]any {
	return map[string]any{"Block": map[string]any{"CustomResponse": map[string]any{"ResponseCode": status, "CustomResponseBodyKey": body}}}
}

// WAFRules are the web ACL's rules: a per-client-IP rate limit; on routes whose items are numeric ids, a block of
// items values that are not a list of numeric ids (the templates also check counts and
// ranges); optionally the AWS managed common rule set.
func WAFRules(w *WAFConfig, routes []Route) []WAFRule {
	vis := func(name string) wafVisibility {
		return wafVisibility{SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name}
	}
	rules := []WAFRule{{
		Name: "rate-per-ip", Priority: 0, Action: block(429, wafBodyThrottled),
		Statement: map[string]any{"RateBasedStatement": map[string]any{
			"Limit": w.RateLimitPerIP, "AggregateKeyType": "IP", "EvaluationWindowSec": 300,
		}},
		VisibilityConfig: vis("rate-per-ip"),
	}}
	var ratingPaths []string
	for _, r := range routes {
		if r.NumericItems {
			ratingPaths = append(ratingPaths, regexp.QuoteMeta(r.Path))
		}
	}
	if *w.BlockMalformedItems && len(ratingPaths) > 0 {
		textNone := []map[string]any{{"Priority": 0, "Type": "NONE"}}
		rules = append(rules, WAFRule{
			Name: "malformed-items", Priority: len(rules), Action: block(400, wafBodyItems),
			Statement: map[string]any{"AndStatement": map[string]any{"Statements": []map[string]any{
				// The stage name may lead the path on the execute-api host. Non-capturing groups
				// only: AWS WAF's regex support page lists capturing subexpressions and
				// backreferences as unsupported (awscontract rule wafv2-regex-support).
				{"RegexMatchStatement": map[string]any{
					"RegexString":         "^(?:/[^/]+)?/(?:" + strings.Join(ratingPaths, "|") + ")/[^/]+$",
					"FieldToMatch":        map[string]any{"UriPath": map[string]any{}},
					"TextTransformations": textNone,
				}},
				{"NotStatement": map[string]any{"Statement": map[string]any{"RegexMatchStatement": map[string]any{
					"RegexString":         "^[0-9]{1,9}(?:,[0-9]{1,9})*$",
					"FieldToMatch":        map[string]any{"SingleQueryArgument": map[string]any{"Name": "items"}},
					"TextTransformations": []map[string]any{{"Priority": 0, "Type": "URL_DECODE"}},
				}}}},
			}}},
			VisibilityConfig: vis("malformed-items"),
		})
	}
	if w.AWSCommonRuleSet {
		group := map[string]any{"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
		// The group's SizeRestrictions_BODY blocks every body above 8 KB ("How does AWS WAF
		// handle body inspections for HTTP requests?", AWS Knowledge Center): a CSV batch or an
		// image would never reach the API. With such routes it only counts (the API's own limits
		// apply: 10 MB, and the model's 6 MB or 4 MB).
		if slices.ContainsFunc(routes, func(r Route) bool { return r.Body }) {
			group["RuleActionOverrides"] = []map[string]any{{"Name": "SizeRestrictions_BODY", "ActionToUse": map[string]any{"Count": map[string]any{}}}}
		}
		rules = append(rules, WAFRule{
			Name: "aws-common", Priority: len(rules), OverrideAction: map[string]any{"None": map[string]any{}},
			Statement:        map[string]any{"ManagedRuleGroupStatement": group},
			VisibilityConfig: vis("aws-common"),
		})
	}
	return rules
}

// NewFirewall registers the web ACL and its association with the stage.
func NewFirewall(ctx *pulumi.Context, name string, args *FirewallArgs, opts ...pulumi.ResourceOption) (*Firewall, error) {
	if args == nil || args.Config == nil {
		return nil, fmt.Errorf("firewall %s: Config is required", name)
	}
	rules, err := json.Marshal(WAFRules(args.Config, args.Routes))
	if err != nil {
		return nil, fmt.Errorf("firewall %s: rules: %w", name, err)
	}
	comp := &Firewall{}
	if err := ctx.RegisterComponentResource(names.TypeFirewall, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	metric := names.APIName(args.Project, args.Stack)
	acl, err := wafv2.NewWebAcl(ctx, names.Child(name, "acl"), &wafv2.WebAclArgs{
		Description:   pulumi.Sprintf("%s: rate limit per client IP, malformed items", metric),
		Scope:         pulumi.String("REGIONAL"),
		DefaultAction: &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		RuleJson:      pulumi.String(string(rules)),
		CustomResponseBodies: wafv2.WebAclCustomResponseBodyArray{
			&wafv2.WebAclCustomResponseBodyArgs{Key: pulumi.String(wafBodyThrottled), ContentType: pulumi.String("APPLICATION_JSON"),
				Content: pulumi.String(`{"message":"Too many requests from this address; retry with backoff"}`)},
			&wafv2.WebAclCustomResponseBodyArgs{Key: pulumi.String(wafBodyItems), ContentType: pulumi.String("APPLICATION_JSON"),
				Content: pulumi.String(`{"message":"items must be comma-separated numeric ids"}`)},
		},
		VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true), MetricName: pulumi.String(metric),
		},
		Tags: args.Tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("firewall %s: web acl: %w", name, err)
	}
	// Delete before replace: both fields are ForceNew and the provider's Delete disassociates by
	// the stage ARN alone, so a create-before-delete replacement (a new ACL) would end by
	// removing the stage's only association while the state says it is attached (F12).
	if _, err := wafv2.NewWebAclAssociation(ctx, names.Child(name, "association"), &wafv2.WebAclAssociationArgs{
		ResourceArn: args.StageArn, WebAclArn: acl.Arn,
	}, parent, pulumi.DeleteBeforeReplace(true)); err != nil {
		return nil, fmt.Errorf("firewall %s: association: %w", name, err)
	}
	comp.WebACLArn = acl.Arn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"webAclArn": acl.Arn}); err != nil {
		return nil, err
	}
	return comp, nil
}
