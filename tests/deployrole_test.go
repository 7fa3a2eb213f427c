package tests

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/bootstrap/account"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

// needed is what the deploy role must be allowed to create one resource of a type: the API
// action the provider calls and a resource it acts on (region eu-west-1, account mockAccount).
type needed struct{ action, resource string }

// deployNeeds lists, per resource type the program registers, the create call the bootstrap's
// deploy role (Pulumi Deployments) must allow. A type missing here fails the test, so a new
// kind of resource cannot reach a stack without its deploy permission.
var deployNeeds = map[string][]needed{
	tRole:              {{"iam:CreateRole", "arn:aws:iam::" + mockAccount + ":role/ratings-role-1a2b3c4"}},
	tRolePolicy:        {{"iam:PutRolePolicy", "arn:aws:iam::" + mockAccount + ":role/ratings-role-1a2b3c4"}},
	tModel:             {{"sagemaker:CreateModel", "arn:aws:sagemaker:eu-west-1:" + mockAccount + ":model/ratings-model-1a2b3c4"}},
	tEndpointConfig:    {{"sagemaker:CreateEndpointConfig", "arn:aws:sagemaker:eu-west-1:" + mockAccount + ":endpoint-config/ratings-config-1a2b3c4"}},
	tEndpoint:          {{"sagemaker:CreateEndpoint", "arn:aws:sagemaker:eu-west-1:" + mockAccount + ":endpoint/ml-rest-api-STACK-ratings"}},
	tScalingTarget:     {{"application-autoscaling:RegisterScalableTarget", "*"}},
	tScalingPolicy:     {{"application-autoscaling:PutScalingPolicy", "*"}},
	tSchedule:          {{"application-autoscaling:PutScheduledAction", "*"}},
	tAlarm:             {{"cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:eu-west-1:" + mockAccount + ":alarm:ml-rest-api-STACK-ratings-cpu"}},
	tLogGroup:          {{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:" + mockAccount + ":log-group:/aws/sagemaker/Endpoints/ml-rest-api-STACK-ratings"}},
	tLogMetricFilter:   {{"logs:PutMetricFilter", "arn:aws:logs:eu-west-1:" + mockAccount + ":log-group:api-access-logs-1a2b3c4"}},
	tDashboard:         {{"cloudwatch:PutDashboard", "arn:aws:cloudwatch::" + mockAccount + ":dashboard/ml-rest-api-STACK"}},
	tRestAPI:           {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/restapis"}, {"apigateway:PUT", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5"}},
	tDeployment:        {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/deployments"}},
	tStage:             {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages"}},
	tMethodSettings:    {{"apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/STACK"}},
	tAPIKey:            {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/apikeys"}},
	tUsagePlan:         {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/usageplans"}},
	tUsagePlanKey:      {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/usageplans/a1b2c3/keys"}},
	tDomainName:        {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/domainnames"}},
	tBasePathMapping:   {{"apigateway:POST", "arn:aws:apigateway:eu-west-1::/domainnames/ml-staging.example-tv.com/basepathmappings"}},
	tTopic:             {{"sns:CreateTopic", "arn:aws:sns:eu-west-1:" + mockAccount + ":notifications-topic-1a2b3c4"}},
	tTopicSubscription: {{"sns:Subscribe", "arn:aws:sns:eu-west-1:" + mockAccount + ":notifications-topic-1a2b3c4"}},
	tWebACL:            {{"wafv2:CreateWebACL", "arn:aws:wafv2:eu-west-1:" + mockAccount + ":regional/webacl/waf-acl-1a2b3c4/0123"}},
	tWebACLAssoc:       {{"wafv2:AssociateWebACL", "arn:aws:wafv2:eu-west-1:" + mockAccount + ":regional/webacl/waf-acl-1a2b3c4/0123"}},
}

// allows reports whether a policy allows an action on a resource (IAM's * glob on both).
func allows(doc iampolicy.PolicyDocument, action, resource string) bool {
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		actionOK := slices.ContainsFunc(st.Action, func(a string) bool { ok, _ := path.Match(a, action); return ok })
		resourceOK := slices.ContainsFunc(st.Resource, func(r string) bool { return globMatch(r, resource) })
		if actionOK && resourceOK {
			return true
		}
	}
	return false
}

// globMatch is IAM's resource matching: "*" matches any run of characters, "/" included.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	if pattern[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && pattern[0] == s[0] && globMatch(pattern[1:], s[1:])
}

// Every resource type each committed stack registers (the staging example included) can be
// created by that stack's deploy role: scheduled actions (prod) and the custom domain (staging)
// were missing from it until these features came with this test.
func TestTheDeployRoleCanCreateEveryResource(t *testing.T) {
	t.Parallel()
	p := iampolicy.Platform{Partition: "aws", Region: "eu-west-1", AccountID: mockAccount}
	for _, stack := range append(slices.Clone(stacks), "staging") {
		doc := account.DeployPolicy(p, "ml-rest-api", stack)
		for _, r := range runStack(t, stack).Resources() {
			if !r.Custom {
				continue
			}
			needs, ok := deployNeeds[r.Type]
			require.True(t, ok, "%s: add %s to deployNeeds (what creating it calls)", stack, r.Type)
			for _, n := range needs {
				res := replaceStack(n.resource, stack)
				assert.True(t, allows(doc, n.action, res), "%s: the deploy role cannot %s on %s (%s %s)", stack, n.action, res, r.Type, r.Name)
			}
		}
	}
	assert.True(t, globMatch("arn:*:x/*", "arn:aws:x/a/b"))
	assert.False(t, globMatch("arn:aws:x/a", "arn:aws:x/ab"))
}

func replaceStack(s, stack string) string { return strings.ReplaceAll(s, "STACK", stack) }
