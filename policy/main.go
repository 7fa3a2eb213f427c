// Command policy is the ml-rest-api policy pack: every rule of ./rules as a mandatory
// resource-validation policy (policyx).
package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/ml-rest-api/ml-rest-api/policy/rules"
)

func main() {
	if err := policyx.Main(pack); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func pack(*pulumi.Context) (policyx.PolicyPack, error) {
	var policies []policyx.Policy
	for _, r := range rules.Rules {
		r := r
		policies = append(policies, policyx.NewResourceValidationPolicy(r.Name, policyx.ResourceValidationPolicyArgs{
			Description:      r.Description,
			EnforcementLevel: policyx.EnforcementLevelMandatory,
			ConfigSchema:     configSchema(r.Name),
			ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
				if !slices.Contains(r.Types, args.Resource.Type) {
					return nil
				}
				for _, msg := range r.Check(args.Resource.Name, args.Resource.Properties, rules.ConfigFrom(args.Config)) {
					args.Manager.ReportViolation(msg, args.Resource.URN)
				}
				return nil
			},
		}))
	}
	return policyx.NewPolicyPack("ml-rest-api", semver.MustParse("1.0.0"), policyx.EnforcementLevelMandatory, policies)
}

func configSchema(rule string) *policyx.ConfigSchema {
	switch rule {
	case "canary-within-cap":
		return &policyx.ConfigSchema{Properties: map[string]map[string]any{
			"maxCanaryPercent": {"type": "number", "default": rules.DefaultMaxCanaryPercent},
		}}
	case "instance-type-allowlist":
		return &policyx.ConfigSchema{Properties: map[string]map[string]any{
			"allowedInstanceTypes": {"type": "array", "items": map[string]any{"type": "string"}},
		}}
	}
	return nil
}
