package account

import (
	"fmt"
	"regexp"

	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

// OIDCIssuer is Pulumi Cloud's OIDC issuer for Deployments.
const OIDCIssuer = "https://api.pulumi.com/oidc"

// DeployTrustPolicy lets exactly one stack of the project assume the role through Pulumi
// Cloud's OIDC tokens (audience = the organisation; subject scoped to the stack).
func DeployTrustPolicy(providerArn, org, project, stack string) iampolicy.PolicyDocument {
	return iampolicy.PolicyDocument{Version: "2012-10-17", Statement: []iampolicy.PolicyStatement{{
		Effect:    "Allow",
		Principal: map[string]string{"Federated": providerArn},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]string{
			"StringEquals": {"api.pulumi.com/oidc:aud": org},
			"StringLike":   {"api.pulumi.com/oidc:sub": fmt.Sprintf("pulumi:deploy:org:%s:project:%s:stack:%s:*", org, project, stack)},
		},
	}}}
}

// UnscopedDeployActions are deploy-role actions AWS does not scope to resources; they are the
// only ones on "*", in statements of their own.
var UnscopedDeployActions = map[string]string{
	"application-autoscaling:DescribeScalableTargets":  "Describe* of Application Auto Scaling takes no resource",
	"application-autoscaling:DescribeScalingPolicies":  "Describe* of Application Auto Scaling takes no resource",
	"application-autoscaling:RegisterScalableTarget":   "scalable targets have no ARN before they exist",
	"application-autoscaling:DeregisterScalableTarget": "the program addresses targets by resource id, not ARN",
	"application-autoscaling:PutScalingPolicy":         "policies have no ARN before they exist",
	"application-autoscaling:DeleteScalingPolicy":      "the program addresses policies by name and resource id",
	"application-autoscaling:PutScheduledAction":       "scheduled actions have no ARN before they exist",
	"application-autoscaling:DeleteScheduledAction":    "the program addresses scheduled actions by name and resource id",
	"application-autoscaling:DescribeScheduledActions": "Describe* of Application Auto Scaling takes no resource",
}

// DeployWildcards are the wildcard ARNs the deploy role needs, with the reason for each.
var DeployWildcards = []struct {
	Pattern *regexp.Regexp
	Why     string
}{
	{regexp.MustCompile(`:sagemaker:[a-z0-9-]+:[0-9]{12}:(model|endpoint-config)/\*$`), "Pulumi auto-names models and endpoint configurations (<logical name>-<random>), so their ARNs carry no stack prefix"},
	{regexp.MustCompile(`:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/[a-z0-9-]+-\*$`), "the stack's endpoints: <project>-<stack>-<model>[-canary]"},
	{regexp.MustCompile(`:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/\*$`), "registry package groups are named by whoever registers the models, not by the stack; describe only"},
	{regexp.MustCompile(`^arn:[a-z-]+:iam::[0-9]{12}:role/\*$`), "Pulumi auto-names the program's roles; narrowed by the project tag (and by the passed-to service for PassRole)"},
	{regexp.MustCompile(`:apigateway:[a-z0-9-]+::/(restapis|apikeys|usageplans|tags)/\*$`), "API Gateway ids are generated at creation"},
	{regexp.MustCompile(`:apigateway:[a-z0-9-]+::/domainnames/\*$`), "the stack's custom domain (api.domain) and its base path mappings; the name is per stack file"},
	{regexp.MustCompile(`:apigateway:[a-z0-9-]+::/restapis/\*/stages/\*$`), "the WAF association targets the stage of a generated API id"},
	{regexp.MustCompile(`:application-autoscaling:[a-z0-9-]+:[0-9]{12}:scalable-target/\*$`), "scalable-target ARNs carry a generated id"},
	{regexp.MustCompile(`:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:[a-z0-9-]+-\*$`), "the stack's alarms: <project>-<stack>-…"},
	{regexp.MustCompile(`:logs:[a-z0-9-]+:[0-9]{12}:log-group:\*$`), "the API log groups are auto-named or named after the generated API id"},
	{regexp.MustCompile(`:sns:[a-z0-9-]+:[0-9]{12}:notifications-topic-\*(:\*)?$`), "the auto-named alarm topic and its subscriptions"},
	{regexp.MustCompile(`:wafv2:[a-z0-9-]+:[0-9]{12}:regional/(webacl/waf-acl-\*/\*|managedruleset/\*/\*)$`), "the auto-named web ACL and the AWS managed rule groups it references"},
}

// DeployWildcardAllowed reports whether a wildcard ARN is on DeployWildcards.
func DeployWildcardAllowed(arn string) bool {
	for _, w := range DeployWildcards {
		if w.Pattern.MatchString(arn) {
			return true
		}
	}
	return false
}

// DeployPolicy allows what ml-rest-api manages for one stack, and nothing else.
func DeployPolicy(p iampolicy.Platform, project, stack string) iampolicy.PolicyDocument {
	arn := func(service, region, account, res string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", p.Partition, service, region, account, res)
	}
	sm := func(res string) string { return arn("sagemaker", p.Region, p.AccountID, res) }
	prefix := project + "-" + stack
	role := fmt.Sprintf("arn:%s:iam::%s:role/*", p.Partition, p.AccountID)
	apigw := func(path string) string { return fmt.Sprintf("arn:%s:apigateway:%s::%s", p.Partition, p.Region, path) }
	st := func(sid string, actions []string, resources []string, cond map[string]map[string]string) iampolicy.PolicyStatement {
		return iampolicy.PolicyStatement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources, Condition: cond}
	}
	tagActions := func(svc string) []string { return []string{svc + ":AddTags", svc + ":DeleteTags", svc + ":ListTags"} }
	return iampolicy.PolicyDocument{Version: "2012-10-17", Statement: []iampolicy.PolicyStatement{
		st("SageMakerModelsAndConfigs", append([]string{
			"sagemaker:CreateModel", "sagemaker:DeleteModel", "sagemaker:DescribeModel",
			"sagemaker:CreateEndpointConfig", "sagemaker:DeleteEndpointConfig", "sagemaker:DescribeEndpointConfig",
		}, tagActions("sagemaker")...), []string{sm("model/*"), sm("endpoint-config/*")}, nil),
		// A model from the Model Registry (models.<m>.modelPackage): CreateModel reads the
		// package version, which SageMaker refuses unless it is approved.
		st("ReadRegistryModels", []string{"sagemaker:DescribeModelPackage"}, []string{sm("model-package/*")}, nil),
		st("SageMakerEndpoints", append([]string{
			"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint",
		}, tagActions("sagemaker")...), []string{sm("endpoint/" + prefix + "-*"), sm("endpoint-config/*")}, nil),
		st("CreateTaggedRoles", []string{"iam:CreateRole", "iam:TagRole"}, []string{role},
			map[string]map[string]string{"StringEquals": {"aws:RequestTag/project": project}}),
		st("ManageTaggedRoles", []string{
			"iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:UntagRole",
			"iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
			"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
		}, []string{role}, map[string]map[string]string{"StringEquals": {"iam:ResourceTag/project": project}}),
		st("PassRolesToSageMaker", []string{"iam:PassRole"}, []string{role},
			map[string]map[string]string{"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com", "iam:ResourceTag/project": project}}),
		st("PassRolesToApiGateway", []string{"iam:PassRole"}, []string{role},
			map[string]map[string]string{"StringEquals": {"iam:PassedToService": "apigateway.amazonaws.com", "iam:ResourceTag/project": project}}),
		st("AutoscalingServiceLinkedRole", []string{"iam:CreateServiceLinkedRole"},
			[]string{fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint", p.Partition, p.AccountID)},
			map[string]map[string]string{"StringEquals": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}}),
		st("ApiGateway", []string{"apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"},
			[]string{apigw("/restapis"), apigw("/restapis/*"), apigw("/apikeys"), apigw("/apikeys/*"), apigw("/usageplans"), apigw("/usageplans/*"), apigw("/tags/*"),
				// api.domain: the custom domain name and its base path mappings (/domainnames/<name>/basepathmappings).
				apigw("/domainnames"), apigw("/domainnames/*")}, nil),
		st("AssociateStageWebAcl", []string{"apigateway:SetWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource"},
			[]string{apigw("/restapis/*/stages/*"), arn("wafv2", p.Region, p.AccountID, "regional/webacl/waf-acl-*/*")}, nil),
		st("Autoscaling", []string{
			"application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget",
			"application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
			"application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget",
			// serverless.provisionedScaling.schedules
			"application-autoscaling:PutScheduledAction", "application-autoscaling:DeleteScheduledAction", "application-autoscaling:DescribeScheduledActions",
		}, []string{"*"}, nil),
		st("AutoscalingTags", []string{"application-autoscaling:TagResource", "application-autoscaling:UntagResource", "application-autoscaling:ListTagsForResource"},
			[]string{arn("application-autoscaling", p.Region, p.AccountID, "scalable-target/*")}, nil),
		st("Alarms", []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
			"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"},
			[]string{arn("cloudwatch", p.Region, p.AccountID, "alarm:"+prefix+"-*")}, nil),
		st("Dashboard", []string{"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
			[]string{arn("cloudwatch", "", p.AccountID, "dashboard/"+prefix)}, nil),
		st("LogGroups", []string{"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy",
			"logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
			"logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters", "logs:AssociateKmsKey", "logs:DisassociateKmsKey"},
			[]string{arn("logs", p.Region, p.AccountID, "log-group:*")}, nil),
		st("AlarmTopic", []string{"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
			"sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"},
			[]string{arn("sns", p.Region, p.AccountID, "notifications-topic-*"), arn("sns", p.Region, p.AccountID, "notifications-topic-*:*")}, nil),
		st("WebAcl", []string{"wafv2:CreateWebACL", "wafv2:DeleteWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL",
			"wafv2:TagResource", "wafv2:UntagResource", "wafv2:ListTagsForResource"},
			[]string{arn("wafv2", p.Region, p.AccountID, "regional/webacl/waf-acl-*/*"), arn("wafv2", p.Region, p.AccountID, "regional/managedruleset/*/*")}, nil),
	}}
}
