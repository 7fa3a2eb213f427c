package api

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newInvokeRole is API Gateway's integration role: sagemaker:InvokeEndpoint on exactly the
// endpoints the stage and its canary can reach, one inline policy per endpoint. One policy per
// endpoint makes the engine's order right in both directions (F9): an endpoint the stage starts
// to name (a canary, a new model) gets a new policy, created before the stage is updated (the
// stage depends on every policy); an endpoint the stage stops naming loses a policy Pulumi
// deletes at the end of the run, after the stage update. A single policy updated in place
// would race the stage update when a canary starts or stops.
func newInvokeRole(ctx *pulumi.Context, name string, args *Args, parent pulumi.ResourceOption) (*iam.Role, []pulumi.Resource, error) {
	trust, err := iampolicy.APIGatewayAssumeRolePolicy().JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, names.Child(name, "role"), &iam.RoleArgs{
		Description:      pulumi.Sprintf("API Gateway: invoke the %s endpoints of stack %s", args.Spec.Project, args.Spec.Stack),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             args.Tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	endpoints := maps.Clone(args.Endpoints)
	if c := args.Canary; c != nil {
		endpoints[c.Model+names.CanarySuffix] = c.Endpoint
	}
	var policies []pulumi.Resource
	for _, key := range slices.Sorted(maps.Keys(endpoints)) {
		doc := endpoints[key].EndpointArn.ApplyT(func(arn string) (string, error) {
			return iampolicy.InvokeEndpointsPolicy([]string{arn}).JSON()
		}).(pulumi.StringOutput)
		policy, err := iam.NewRolePolicy(ctx, names.Child(name, "role-policy-"+key), &iam.RolePolicyArgs{
			Role:   role.ID(),
			Policy: doc,
		}, parent)
		if err != nil {
			return nil, nil, fmt.Errorf("invoke policy %s: %w", key, err)
		}
		policies = append(policies, policy)
	}
	return role, policies, nil
}
