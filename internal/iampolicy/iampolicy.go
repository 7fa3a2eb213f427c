// Package iampolicy builds the IAM policy documents of the program and the bootstrap: pure
// functions, golden-tested, checked against the allowlists below.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// PolicyDocument is an IAM policy. Documents are built by the pure functions below and
// serialised with json.Marshal; tests pin them as golden files.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one IAM statement.
type PolicyStatement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// UnscopedActions is the allowlist of actions AWS does not scope to resources; they are the only
// actions that may appear with Resource "*", and each stands alone in its statement.
var UnscopedActions = map[string]string{
	"ecr:GetAuthorizationToken": "ECR authorization tokens are account-wide; the action has no resource type",
	"cloudwatch:PutMetricData":  "CloudWatch metrics have no ARN; the statement is narrowed by the cloudwatch:namespace condition",
	// A model in a VPC: SageMaker describes the network before it creates the containers'
	// network interfaces; EC2's Describe actions support no resource-level permissions.
	"ec2:DescribeVpcs":              "EC2 Describe actions have no resource type (VPC-attached models)",
	"ec2:DescribeDhcpOptions":       "EC2 Describe actions have no resource type (VPC-attached models)",
	"ec2:DescribeSubnets":           "EC2 Describe actions have no resource type (VPC-attached models)",
	"ec2:DescribeSecurityGroups":    "EC2 Describe actions have no resource type (VPC-attached models)",
	"ec2:DescribeNetworkInterfaces": "EC2 Describe actions have no resource type (VPC-attached models)",
}

// WildcardResources is the allowlist of resource ARNs that contain a wildcard, with the reason
// for each; any other wildcard resource is a defect (tests check every policy against it).
var WildcardResources = []struct {
	Pattern *regexp.Regexp
	Why     string
}{
	{regexp.MustCompile(`^arn:[a-z-]+:logs:[a-z0-9-]+:[0-9]{12}:log-group:/aws/sagemaker/Endpoints/[A-Za-z0-9-]+:log-stream:\*$`),
		"SageMaker names an endpoint's log streams per instance at run time; the grant stays inside the endpoint's own log group"},
	{regexp.MustCompile(`^arn:[a-z-]+:logs:[a-z0-9-]+:[0-9]{12}:log-group:\*$`),
		"the account-level API Gateway logging role (apigateway.Account) writes the groups API Gateway names itself for every API and stage, /Canary included"},
	{regexp.MustCompile(`^arn:[a-z-]+:ec2:[a-z0-9-]+:[0-9]{12}:network-interface/\*$`),
		"SageMaker creates a VPC-attached model's network interfaces at run time (their ids are unknown before); the grant is limited to this account and region, and creating one also needs the configured subnets and security groups"},
	{regexp.MustCompile(`^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^*]+)?/\*$`),
		"objects named at run time under a configured prefix: SageMaker data capture writes them per endpoint, variant and hour (PutObject under exactly the capture prefix); a registry model's versions keep their artifacts under the package group's prefix (GetObject under exactly modelPackage.artifacts)"},
}

// WildcardResourceAllowed reports whether a wildcard resource ARN is on the allowlist.
func WildcardResourceAllowed(arn string) bool {
	for _, w := range WildcardResources {
		if w.Pattern.MatchString(arn) {
			return true
		}
	}
	return false
}

// JSON serialises a policy document.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// Platform holds the account facts ARNs are built from, resolved once per run
// (account.Lookup).
type Platform struct {
	Partition string
	Region    string
	AccountID string
}

// ARN builds an ARN in the platform's partition.
func (p Platform) ARN(service, region, account, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", p.Partition, service, region, account, resource)
}

// SageMakerAssumeRolePolicy lets SageMaker assume a model's execution role, only on behalf of
// this account: SageMaker's "Cross-service confused deputy prevention" guide documents
// aws:SourceAccount (and aws:SourceArn) for the roles it assumes, so the condition holds.
// https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html
func SageMakerAssumeRolePolicy(accountID string) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "sagemaker.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]string{"StringEquals": {"aws:SourceAccount": accountID}},
	}}}
}

// APIGatewayAssumeRolePolicy lets API Gateway assume a role, with no condition: API Gateway does
// not put aws:SourceAccount or aws:SourceArn into the request when it assumes an integration's
// credentials role, so such a condition denies AssumeRole and every route answers 500 ("API
// Gateway does not have permission to assume the provided role"; observed live and fixed by
// removing it in aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws
// PR #479). The roles are bounded by what they may do instead: InvokeEndpoint on exactly the
// stack's endpoints, or writing API Gateway's log groups (awscontract.ServicesWithoutSourceKeys).
func APIGatewayAssumeRolePolicy() PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "apigateway.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	}}}
}

// ArtifactReadPolicy lets a model's execution role read exactly one model artifact. It is a
// policy of its own, named after the artifact (see the inference component), so that a model change
// grants the new artifact before the rollout and revokes the old one only when the run ends.
func ArtifactReadPolicy(p Platform, artifact S3Object) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid:      "ReadModelArtifact",
		Effect:   "Allow",
		Action:   []string{"s3:GetObject"},
		Resource: []string{fmt.Sprintf("arn:%s:s3:::%s/%s", p.Partition, artifact.Bucket, artifact.Key)},
	}}}
}

// ModelPackageReadPolicy lets a model's execution role use one registry model version:
// describe exactly that package version and read the objects under the prefix the registry
// keeps the model's artifacts in (the version's own artifact URL is in the registry, not
// known before the package is read).
func ModelPackageReadPolicy(p Platform, packageArn string, artifacts S3Prefix) PolicyDocument {
	objects := artifacts.ObjectsARN(p.Partition)
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
		{Sid: "DescribeModelPackage", Effect: "Allow", Action: []string{"sagemaker:DescribeModelPackage"}, Resource: []string{packageArn}},
		{Sid: "ReadModelPackageArtifacts", Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{objects}},
	}}
}

// CapturePolicy lets a model's execution role write its endpoint's captured data: objects
// under exactly the capture prefix, and, with a KMS key, data keys of exactly that key
// (SageMaker writes the capture files as the endpoint's execution role).
func CapturePolicy(p Platform, dest S3Prefix, kmsKeyArn string) PolicyDocument {
	objects := dest.ObjectsARN(p.Partition)
	doc := PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid: "WriteDataCapture", Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{objects},
	}}}
	if kmsKeyArn != "" {
		doc.Statement = append(doc.Statement, PolicyStatement{
			Sid: "EncryptDataCapture", Effect: "Allow", Action: []string{"kms:Encrypt", "kms:GenerateDataKey"}, Resource: []string{kmsKeyArn},
		})
	}
	return doc
}

// ModelExecutionPolicy allows a SageMaker model what it needs besides its artifact
// (ArtifactReadPolicy): pull its image, write its endpoint's logs and metrics, and — when its endpoint rolls back on
// alarms (blue/green guardrails) — read exactly those alarms: "Ensure that your IAM execution
// role has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback
// alarms you specify" (SageMaker guide, deployment-guardrails-configuration).
func ModelExecutionPolicy(p Platform, endpointLogGroup string, images []ImageRef, rollbackAlarms []string) PolicyDocument {
	logGroup := "log-group:" + endpointLogGroup
	doc := PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{
		{
			Sid:      "PullModelImage",
			Effect:   "Allow",
			Action:   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
			Resource: repositories(p, images),
		},
		{
			Sid:      "EcrAuthorizationToken",
			Effect:   "Allow",
			Action:   []string{"ecr:GetAuthorizationToken"},
			Resource: []string{"*"},
		},
		{
			Sid:      "WriteEndpointLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
			Resource: []string{p.ARN("logs", p.Region, p.AccountID, logGroup), p.ARN("logs", p.Region, p.AccountID, logGroup+":log-stream:*")},
		},
		{
			Sid:       "PublishEndpointMetrics",
			Effect:    "Allow",
			Action:    []string{"cloudwatch:PutMetricData"},
			Resource:  []string{"*"},
			Condition: map[string]map[string]string{"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
		},
	}}
	if len(rollbackAlarms) > 0 {
		var arns []string
		for _, a := range rollbackAlarms {
			arns = append(arns, p.ARN("cloudwatch", p.Region, p.AccountID, "alarm:"+a))
		}
		doc.Statement = append(doc.Statement, PolicyStatement{
			Sid:      "ReadRollbackAlarms",
			Effect:   "Allow",
			Action:   []string{"cloudwatch:DescribeAlarms"},
			Resource: arns,
		})
	}
	return doc
}

// InvokeEndpointsPolicy lets API Gateway invoke exactly the given endpoints (stable and canary).
func InvokeEndpointsPolicy(endpointARNs []string) PolicyDocument {
	arns := slices.Clone(endpointARNs)
	sort.Strings(arns)
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid:      "InvokeStageEndpoints",
		Effect:   "Allow",
		Action:   []string{"sagemaker:InvokeEndpoint"},
		Resource: arns,
	}}}
}

// APIGatewayLoggingPolicy lets API Gateway write execution and access logs in this region
// (the role behind the per-account apigateway.Account setting).
func APIGatewayLoggingPolicy(p Platform) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid:    "WriteApiGatewayLogs",
		Effect: "Allow",
		Action: []string{
			"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
			"logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:PutLogEvents",
		},
		Resource: []string{p.ARN("logs", p.Region, p.AccountID, "log-group:*")},
	}}}
}

// VPCAccessDescribeActions are what SageMaker reads of the network before it attaches a model's
// containers to it (https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html lists them
// with the network-interface actions below).
var VPCAccessDescribeActions = []string{
	"ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
}

// ModelVPCPolicy lets SageMaker attach a model's containers to a VPC: the Describe actions
// (unscoped, one per statement), creating network interfaces in exactly the configured subnets
// with exactly the configured security groups, and managing the interfaces it creates.
func ModelVPCPolicy(p Platform, subnetIDs, securityGroupIDs []string) PolicyDocument {
	doc := PolicyDocument{Version: "2012-10-17"}
	for _, a := range VPCAccessDescribeActions {
		sid := "VpcRead" + strings.TrimPrefix(a, "ec2:Describe")
		doc.Statement = append(doc.Statement, PolicyStatement{Sid: sid, Effect: "Allow", Action: []string{a}, Resource: []string{"*"}})
	}
	enis := p.ARN("ec2", p.Region, p.AccountID, "network-interface/*")
	create := []string{enis}
	for _, id := range slices.Sorted(slices.Values(subnetIDs)) {
		create = append(create, p.ARN("ec2", p.Region, p.AccountID, "subnet/"+id))
	}
	for _, id := range slices.Sorted(slices.Values(securityGroupIDs)) {
		create = append(create, p.ARN("ec2", p.Region, p.AccountID, "security-group/"+id))
	}
	doc.Statement = append(doc.Statement,
		PolicyStatement{Sid: "VpcCreateInterfaces", Effect: "Allow", Action: []string{"ec2:CreateNetworkInterface"}, Resource: create},
		PolicyStatement{Sid: "VpcManageInterfaces", Effect: "Allow",
			Action:   []string{"ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"},
			Resource: []string{enis}})
	return doc
}

// repositories are the ECR repository ARNs of the images (a shadow variant's may differ from
// the production one's), once each, sorted.
func repositories(p Platform, images []ImageRef) []string {
	var out []string
	for _, img := range images {
		if arn := p.ARN("ecr", img.Region, img.Account, "repository/"+img.Repository); !slices.Contains(out, arn) {
			out = append(out, arn)
		}
	}
	sort.Strings(out)
	return out
}
