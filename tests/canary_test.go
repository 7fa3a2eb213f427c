package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
)

const canaryURL = "s3://ml-rest-api-artifacts-prod/models/ratings/v2/model.tar.gz"

func TestDevHasNoCanary(t *testing.T) {
	t.Parallel()
	run := runStack(t, "dev")
	assert.Nil(t, run.Get(tStage, "api-stage").In("canarySettings"))
	assert.False(t, run.Has(infra.TypeModelEndpoint, "ratings-canary"))
	assert.Len(t, run.All(tEndpoint), 3)
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
	assert.False(t, after.Has(infra.TypeModelEndpoint, "ratings-canary"))
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

// assertEndpointArns: the API role may invoke exactly these models' stable endpoints.
func assertEndpointArns(t *testing.T, run *Run, models []string) {
	t.Helper()
	var want []any
	for _, m := range models {
		want = append(want, run.Get(tEndpoint, m+"-endpoint").Out("arn"))
	}
	var doc struct{ Statement []struct{ Resource []any } }
	require.NoError(t, json.Unmarshal([]byte(run.Get(tRolePolicy, "api-role-policy").Str("policy")), &doc))
	assert.Equal(t, want, doc.Statement[0].Resource)
}
