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
}

// Output names.
const (
	OutEndpointNames = "endpointNames"
	OutEndpointArns  = "endpointArns"
)

// Values returns every stack output by name.
func (o *Outputs) Values() map[string]pulumi.Input {
	names, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for model, ep := range o.Endpoints {
		names[model] = ep.EndpointName
		arns[model] = ep.EndpointArn
	}
	return map[string]pulumi.Input{
		OutEndpointNames: names,
		OutEndpointArns:  arns,
	}
}

// Export exports every stack output.
func (o *Outputs) Export(ctx *pulumi.Context) {
	for name, v := range o.Values() {
		ctx.Export(name, v)
	}
}
