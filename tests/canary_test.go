package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

const canaryURL = "s3://ml-rest-api-artifacts-prod/models/ratings/v2/model.tar.gz"

func TestDevHasNoCanary(t *testing.T) {
	t.Parallel()
	run := runStack(t, "dev")
	assert.Nil(t, run.Get(tStage, "api-stage").In("canarySettings"))
	assert.False(t, run.Has(names.TypeModelEndpoint, "ratings-canary"))
	assert.Len(t, run.All(tEndpoint), 4)
	assert.Equal(t, "", run.Output(infra.OutCanaryEndpointName))
}

func TestProdCanary(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	dep := run.Get(tDeployment, "api-deployment")
	st := run.Get(tStage, "api-stage")
	assert.Equal(t, map[string]any{
		"deploymentId":           dep.ID,
		"percentTraffic":         10.0,
		"stageVariableOverrides": map[string]any{"ratingsEndpoint": "ml-rest-api-prod-ratings-canary"},
		"useStageCache":          false,
	}, st.In("canarySettings"))
	assert.Equal(t, "ml-rest-api-prod-ratings", st.Map("variables")["ratingsEndpoint"], "the stable endpoint stays the stage's")

	// The canary version: same tier code, its own endpoint, the canary artifact, the same variant.
	canary := run.Get(tModel, "ratings-canary-model")
	assert.Equal(t, canaryURL, canary.Map("primaryContainer")["modelDataUrl"])
	assert.Equal(t, run.Get(tModel, "ratings-model").Map("primaryContainer")["image"], canary.Map("primaryContainer")["image"])
	assert.Equal(t, "ml-rest-api-prod-ratings-canary", run.Get(tEndpoint, "ratings-canary-endpoint").In("name"))
	assert.Equal(t, "endpoint/ml-rest-api-prod-ratings-canary/variant/AllTraffic", run.Get(tScalingTarget, "ratings-canary-scaling-target").In("resourceId"))
	assert.Equal(t, "ml-rest-api-prod-ratings-canary", run.Output(infra.OutCanaryEndpointName))
	goldenJSON(t, "prod/iam-ratings-canary-execution.json", run.Get(tRolePolicy, "ratings-canary-role-policy").Str("policy"))
}

// Promotion: the canary's artifact becomes the stable one and the canary block goes.
func TestPromotionChangesTheStableModelAndRemovesTheCanary(t *testing.T) {
	t.Parallel()
	before := runStack(t, "prod")
	after := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "models", "ratings")["modelDataUrl"] = obj(c, "canary")["modelDataUrl"]
		delete(c, "canary")
	}))
	assert.Equal(t, canaryURL, after.Get(tModel, "ratings-model").Map("primaryContainer")["modelDataUrl"])
	assert.NotEqual(t, before.Get(tModel, "ratings-model").Inputs, after.Get(tModel, "ratings-model").Inputs)
	assert.Nil(t, after.Get(tStage, "api-stage").In("canarySettings"))
	assert.False(t, after.Has(names.TypeModelEndpoint, "ratings-canary"))
	assertEndpointArns(t, after, []string{"propensity", "ratings", "recommendations"})
	// The stable endpoint keeps its name: apps and the stage variable need no change.
	assert.Equal(t, "ml-rest-api-prod-ratings", after.Get(tStage, "api-stage").Map("variables")["ratingsEndpoint"])
}

// Rollback: deleting the canary block leaves the stable endpoint untouched.
func TestRollbackLeavesTheStableEndpointUntouched(t *testing.T) {
	t.Parallel()
	before := runStack(t, "prod")
	after := runStack(t, "prod", withConfig(func(c map[string]any) { delete(c, "canary") }))
	for _, name := range []string{"ratings-role", "ratings-role-policy", "ratings-model", "ratings-config", "ratings-endpoint", "ratings-scaling-target", "ratings-scaling-policy"} {
		var b, a *Res
		for _, r := range before.Resources() {
			if r.Name == name {
				b = r
			}
		}
		for _, r := range after.Resources() {
			if r.Name == name {
				a = r
			}
		}
		require.NotNil(t, b, name)
		require.NotNil(t, a, name)
		assert.True(t, b.Inputs.DeepEquals(a.Inputs), "%s changed on rollback", name)
	}
	assert.Nil(t, after.Get(tStage, "api-stage").In("canarySettings"))
	assert.False(t, after.Has(tEndpoint, "ratings-canary-endpoint"))
	assertEndpointArns(t, after, []string{"propensity", "ratings", "recommendations"})
}

// assertEndpointArns: the API role may invoke exactly these endpoints (model names, or
// <model>-canary), each through its own policy, and the stage waits for every one of them.
func assertEndpointArns(t *testing.T, run *Run, endpoints []string) {
	t.Helper()
	var want, got []string
	for _, e := range endpoints {
		want = append(want, "api-role-policy-"+e+" → "+run.Get(tEndpoint, e+"-endpoint").Out("arn").(string))
	}
	for _, p := range run.All(tRolePolicy) {
		if !strings.HasPrefix(p.Name, "api-role-policy-") {
			continue
		}
		var doc iampolicy.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(p.Str("policy")), &doc))
		require.Len(t, doc.Statement, 1, p.Name)
		assert.Equal(t, []string{"sagemaker:InvokeEndpoint"}, doc.Statement[0].Action, p.Name)
		assert.Equal(t, run.Get(tRole, "api-role").ID, p.In("role"), p.Name)
		assert.True(t, run.Get(tStage, "api-stage").DependsOnRes(p), "the stage waits for %s", p.Name)
		for _, arn := range doc.Statement[0].Resource {
			got = append(got, p.Name+" → "+arn)
		}
	}
	assert.ElementsMatch(t, want, got)
}
