// Package account resolves the AWS account a stack deploys into and owns API Gateway's
// per-account logging role; the program and the bootstrap share both.
package account

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

// Lookup resolves the partition, region and account the stack deploys into.
func Lookup(ctx *pulumi.Context) (iampolicy.Platform, error) {
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return iampolicy.Platform{}, fmt.Errorf("looking up the AWS region (set aws:region): %w", err)
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return iampolicy.Platform{}, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return iampolicy.Platform{}, fmt.Errorf("looking up the AWS account (check credentials): %w", err)
	}
	return iampolicy.Platform{Partition: partition.Partition, Region: region.Name, AccountID: identity.AccountId}, nil
}

// LoggingNames are the logical names of the logging role, its policy and the account setting
// (each owner keeps its own, so no URN changes).
type LoggingNames struct{ Role, Policy, Account string }

// NewAPIGatewayLogging sets the per-account, per-region API Gateway CloudWatch role (the
// apigateway.Account singleton): a role API Gateway assumes to write execution and access logs.
// Only one stack per account and region may own it.
func NewAPIGatewayLogging(ctx *pulumi.Context, names LoggingNames, p iampolicy.Platform, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*apigateway.Account, *iam.Role, error) {
	trust, err := iampolicy.APIGatewayAssumeRolePolicy().JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, names.Role, &iam.RoleArgs{
		Description:      pulumi.String("API Gateway: write execution and access logs (account setting)"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             tags,
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("cloudwatch role: %w", err)
	}
	doc, err := iampolicy.APIGatewayLoggingPolicy(p).JSON()
	if err != nil {
		return nil, nil, err
	}
	policy, err := iam.NewRolePolicy(ctx, names.Policy, &iam.RolePolicyArgs{
		Role: role.ID(), Policy: pulumi.String(doc),
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("cloudwatch role policy: %w", err)
	}
	acct, err := apigateway.NewAccount(ctx, names.Account, &apigateway.AccountArgs{
		CloudwatchRoleArn: role.Arn,
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{policy}))...)
	if err != nil {
		return nil, nil, fmt.Errorf("api gateway account: %w", err)
	}
	return acct, role, nil
}
