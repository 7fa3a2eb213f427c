package tests

import (
	"strings"
	"testing"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/stretchr/testify/assert"
)

// F1: a model with blue/green guardrails can be rolled back by SageMaker while the provider
// reports success; Pulumi must then not delete the configuration, model and artifact grant the
// endpoint runs on. They are retained on delete; everything else keeps its normal lifecycle.
func TestModelVersionsWithGuardrailsAreRetained(t *testing.T) {
	t.Parallel()
	prod := runStack(t, "prod") // ratings (and its canary) have guardrails; the others do not
	for _, c := range []struct {
		component string
		retained  bool
	}{{"ratings", true}, {"ratings-canary", true}, {"recommendations", false}, {"propensity", false}} {
		assert.Equal(t, c.retained, prod.Get(tModel, c.component+"-model").RetainOnDelete, c.component)
		assert.Equal(t, c.retained, prod.Get(tEndpointConfig, c.component+"-config").RetainOnDelete, c.component)
		for _, p := range prod.All(tRolePolicy) {
			if strings.HasPrefix(p.Name, c.component+"-artifact-") {
				assert.Equal(t, c.retained, p.RetainOnDelete, p.Name)
			}
		}
		assert.False(t, prod.Get(tRolePolicy, c.component+"-role-policy").RetainOnDelete, "the execution policy follows the role")
		assert.Equal(t, true, prod.Get(tRole, c.component+"-role").In("forceDetachPolicies"), "deleting the role deletes retained grants")
	}
	for _, m := range runStack(t, "dev").All(tModel) {
		assert.False(t, m.RetainOnDelete, m.Name)
	}
}

// F1: promotion in two runs. Step 1 (canary.promote) moves the stable endpoint to the canary's
// version while the canary keeps running; step 2 (the version copied into models, the canary
// block removed) leaves every stable resource exactly as step 1 set it, so the run that deletes
// the canary never moves the stable endpoint.
func TestTwoStepPromotion(t *testing.T) {
	t.Parallel()
	before := runStack(t, "prod")
	step1 := runStack(t, "prod", withConfig(func(c map[string]any) { obj(c, "canary")["promote"] = true }))
	step2 := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "models", "ratings")["modelDataUrl"] = obj(c, "canary")["modelDataUrl"]
		delete(c, "canary")
	}))

	assert.Equal(t, canaryURL, step1.Get(tModel, "ratings-model").Map("primaryContainer")["modelDataUrl"], "step 1 moves the stable endpoint")
	assert.NotEqual(t, before.Get(tModel, "ratings-model").Inputs, step1.Get(tModel, "ratings-model").Inputs)
	assert.True(t, step1.Has(names.TypeModelEndpoint, "ratings-canary"), "the canary keeps running in step 1")
	assert.NotNil(t, step1.Get(tStage, "api-stage").In("canarySettings"))
	assertEndpointArns(t, step1, []string{"propensity", "ratings", "ratings-canary", "recommendations"})

	// Step 2: every stable resource of the ratings model as step 1 left it.
	for _, r := range step2.Resources() {
		if !strings.HasPrefix(r.Name, "ratings-") || strings.HasPrefix(r.Name, "ratings-canary") {
			continue
		}
		assert.True(t, r.Inputs.DeepEquals(step1.Get(r.Type, r.Name).Inputs), "step 2 changes %s::%s", r.Type, r.Name)
	}
	assert.False(t, step2.Has(names.TypeModelEndpoint, "ratings-canary"))
	assert.Nil(t, step2.Get(tStage, "api-stage").In("canarySettings"))
}

// F8: an endpoint's name is fixed, so its rare replacements (guardrails on or off) are
// delete-first; create-first would fail on the name.
func TestEndpointsReplaceDeleteFirst(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		for _, ep := range runStack(t, stack).All(tEndpoint) {
			assert.True(t, ep.DeleteBeforeReplace, "%s %s", stack, ep.Name)
		}
	}
}

// F13: the canary's API Gateway log groups (execution and access, with a /Canary suffix) are
// owned while a canary runs, with the stack's retention, created before the stage names the
// canary, and deleted with it.
func TestCanaryLogGroups(t *testing.T) {
	t.Parallel()
	prod := runStack(t, "prod")
	api := prod.Get(tRestAPI, "api-rest")
	exec := prod.Get(tLogGroup, "api-canary-execution-logs")
	assert.Equal(t, "API-Gateway-Execution-Logs_"+api.ID+"/prod/Canary", exec.In("name"))
	access := prod.Get(tLogGroup, "api-canary-access-logs")
	assert.Equal(t, prod.Get(tLogGroup, "api-access-logs").Out("name").(string)+"/Canary", access.In("name"))
	stage := prod.Get(tStage, "api-stage")
	for _, g := range []*Res{exec, access} {
		assert.Equal(t, 90.0, g.In("retentionInDays"))
		assert.False(t, g.Protect || g.RetainOnDelete, "they go with the canary")
		assert.True(t, stage.DependsOnRes(g))
	}
	rolledBack := runStack(t, "prod", withConfig(func(c map[string]any) { delete(c, "canary") }))
	assert.False(t, rolledBack.Has(tLogGroup, "api-canary-execution-logs"))
	assert.False(t, rolledBack.Has(tLogGroup, "api-canary-access-logs"))
	assert.False(t, runStack(t, "dev").Has(tLogGroup, "api-canary-access-logs"))
}
