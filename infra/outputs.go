package infra

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outputs is what Deploy produced; Export turns it into the stack outputs (the contract with
// app configs, documented in README.md).
type Outputs struct {
	// Endpoints are the stable model endpoints by model name.
	Endpoints map[string]*ModelEndpoint
	// Canary is the canary version's endpoint, nil without a canary.
	Canary *ModelEndpoint
	API    *RestAPI
}

// Output names.
const (
	OutEndpointNames      = "endpointNames"
	OutEndpointArns       = "endpointArns"
	OutCanaryEndpointName = "canaryEndpointName"
	OutInvokeURL          = "invokeUrl"
	OutRouteURLs          = "routeUrls"
	OutRestAPIID          = "restApiId"
	OutStageName          = "stageName"
)

// Values returns every stack output by name.
func (o *Outputs) Values() map[string]pulumi.Input {
	names, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for model, ep := range o.Endpoints {
		names[model] = ep.EndpointName
		arns[model] = ep.EndpointArn
	}
	routes := pulumi.StringMap{}
	for path, url := range o.API.RouteURLs {
		routes[path] = url
	}
	canary := pulumi.String("").ToStringOutput()
	if o.Canary != nil {
		canary = o.Canary.EndpointName
	}
	return map[string]pulumi.Input{
		OutEndpointNames:      names,
		OutEndpointArns:       arns,
		OutCanaryEndpointName: canary,
		OutInvokeURL:          o.API.InvokeURL,
		OutRouteURLs:          routes,
		OutRestAPIID:          o.API.RestAPIID,
		OutStageName:          o.API.StageName,
	}
}

// Export exports every stack output.
func (o *Outputs) Export(ctx *pulumi.Context) {
	for name, v := range o.Values() {
		ctx.Export(name, v)
	}
}
