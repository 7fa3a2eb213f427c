package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pulumi.staging.yaml is the third example stack: the features neither dev nor prod shows
// (issue 17: a raised integration timeout, a VPC-attached model, a custom domain). It deploys
// under the mocks, in preview mode too, and meets the AWS contract like the others.
func TestStagingStack(t *testing.T) {
	t.Parallel()
	run := runStack(t, "staging")
	assert.Empty(t, findings(t, run), "staging meets the AWS contract")
	_, err := tryRunStack(t, "staging", dryRun())
	require.NoError(t, err, "preview mode")

	// Item 1: 60 s, allowed by raisedIntegrationTimeoutQuota.
	integ := importAPI(t, run).get(tIntegration, "GET /predicted-ratings/{user_id}")
	assert.Equal(t, 60000.0, integ["timeoutMilliseconds"])
}

// Issue 17, item 7: a model attached to a VPC. The model carries the subnets and security
// groups; the execution role may describe the network (unscoped: EC2's Describe actions have
// no resource type), create network interfaces only in those subnets with those groups, and
// manage the interfaces it creates (golden).
func TestModelInAVPC(t *testing.T) {
	t.Parallel()
	run := runStack(t, "staging")
	m := run.Get(tModel, "ratings-model")
	assert.Equal(t, map[string]any{
		"subnets":          []any{"subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a60798"},
		"securityGroupIds": []any{"sg-0123456789abcdef0"},
	}, m.Map("vpcConfig"))
	pol := run.Get(tRolePolicy, "ratings-vpc")
	assert.True(t, m.DependsOnRes(pol), "the model waits for its network permissions")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(pol.Str("policy")), &doc))
	goldenJSON(t, "staging/iam-ratings-vpc.json", pol.Str("policy"))

	for _, stack := range stacks {
		for _, r := range runStack(t, stack).Resources() {
			if r.Type == tModel {
				assert.Nil(t, r.In("vpcConfig"), "%s %s: no VPC unless configured", stack, r.Name)
			}
		}
	}
}
