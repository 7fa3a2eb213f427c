package infra

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ml-rest-api/ml-rest-api/infra/access"
	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/ops"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outputs is what Deploy produced; Export turns it into the stack outputs (the contract with
// app configs, documented in README.md).
type Outputs struct {
	// Endpoints are the stable model endpoints by model name.
	Endpoints map[string]*inference.ModelEndpoint
	// Canary is the canary version's endpoint, nil without a canary.
	Canary *inference.ModelEndpoint
	API    *api.RestAPI
	Access *access.Access
	Stack  string
	// Optional parts: nil or unset when the stack turns them off.
	Monitoring    *ops.Monitoring
	Firewall      *ops.Firewall
	Notifications *ops.Notifications
}

// Output names.
const (
	OutEndpointNames      = "endpointNames"
	OutEndpointArns       = "endpointArns"
	OutCanaryEndpointName = "canaryEndpointName"
	OutInvokeURL          = "invokeUrl"
	OutRouteURLs          = "routeUrls"
	OutRouteKinds         = "routeKinds"
	OutRestAPIID          = "restApiId"
	OutStageName          = "stageName"
	OutUsagePlanIDs       = "usagePlanIds"
	OutAPIKeyIDs          = "apiKeyIds"
	OutAPIKeyValues       = "apiKeyValues"
	OutCurlExample        = "curlExample"
	OutDashboardURL       = "dashboardUrl"
	OutAlarmTopicArn      = "alarmTopicArn"
	OutWebACLArn          = "webAclArn"
	OutDomainTarget       = "domainTarget"
	OutDomainZoneID       = "domainZoneId"
)

// Values returns every stack output by name.
func (o *Outputs) Values() map[string]pulumi.Input {
	names, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for model, ep := range o.Endpoints {
		names[model] = ep.EndpointName
		arns[model] = ep.EndpointArn
	}
	routes, kinds := pulumi.StringMap{}, pulumi.StringMap{}
	for path, url := range o.API.RouteURLs {
		routes[path] = url
	}
	for _, r := range o.API.Routes {
		kinds[r.Path] = pulumi.String(r.Kind)
	}
	canary := pulumi.String("").ToStringOutput()
	if o.Canary != nil {
		canary = o.Canary.EndpointName
	}
	plans, keyIDs, keyValues := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	for k, v := range o.Access.UsagePlanIDs {
		plans[k] = v
	}
	for k, v := range o.Access.APIKeyIDs {
		keyIDs[k] = v
	}
	for k, v := range o.Access.APIKeyValues {
		keyValues[k] = v
	}
	empty := pulumi.String("").ToStringOutput()
	dashboard, topic, acl := empty, empty, empty
	if o.Monitoring != nil {
		dashboard = o.Monitoring.DashboardURL
	}
	if o.Notifications != nil {
		topic = o.Notifications.TopicArn
	}
	if o.Firewall != nil {
		acl = o.Firewall.WebACLArn
	}
	return map[string]pulumi.Input{
		OutDashboardURL:       dashboard,
		OutAlarmTopicArn:      topic,
		OutWebACLArn:          acl,
		OutDomainTarget:       o.API.DomainTarget,
		OutDomainZoneID:       o.API.DomainZoneID,
		OutEndpointNames:      names,
		OutEndpointArns:       arns,
		OutCanaryEndpointName: canary,
		OutInvokeURL:          o.API.InvokeURL,
		OutRouteURLs:          routes,
		OutRouteKinds:         kinds,
		OutRestAPIID:          o.API.RestAPIID,
		OutStageName:          o.API.StageName,
		OutUsagePlanIDs:       plans,
		OutAPIKeyIDs:          keyIDs,
		OutAPIKeyValues:       pulumi.ToSecret(keyValues),
		OutCurlExample:        o.curlExample(),
	}
}

// curlExample is a ready command for the first route, reading the first client's key from the
// stack's secret output at run time, so the command itself holds no secret.
func (o *Outputs) curlExample() pulumi.StringOutput {
	clients := slices.Sorted(maps.Keys(o.Access.APIKeyIDs))
	if len(o.API.Routes) == 0 || len(clients) == 0 {
		return pulumi.String("").ToStringOutput()
	}
	r := o.API.Routes[0]
	kind, _ := api.LookupKind(r.Kind)
	ex := kind.Examples(api.Limits{})[0]
	key := fmt.Sprintf(`$(pulumi stack output %s --stack %s --show-secrets --json | jq -r '.["%s"]')`, OutAPIKeyValues, o.Stack, clients[0])
	cmd := fmt.Sprintf(`curl -sS -H "x-api-key: %s"`, key)
	if ex.Body != "" {
		cmd += fmt.Sprintf(` -X %s -H 'Content-Type: %s' --data-binary @body`, kind.Method, r.ContentType)
	}
	return o.API.InvokeURL.ApplyT(func(invokeURL string) string {
		return fmt.Sprintf("%s '%s'", cmd, ex.On(invokeURL+r.ResourcePath))
	}).(pulumi.StringOutput)
}

// Export exports every stack output.
func (o *Outputs) Export(ctx *pulumi.Context) {
	for name, v := range o.Values() {
		ctx.Export(name, v)
	}
}
