package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
)

// Removing or renaming a route takes the old path out of the document (PutRestApi overwrite
// removes it from the API) and changes the deployment trigger, so the stage moves to a new
// deployment without the old path (F3). Before the document, the removed route's resources were
// deleted after the new deployment had snapshotted them.
func TestRemovingAndRenamingARoute(t *testing.T) {
	t.Parallel()
	before := runStack(t, "prod")
	trigger := func(r *Run) any { return r.Get(tDeployment, "api-deployment").Map("triggers")["document"] }

	removed := runStack(t, "prod", withConfig(func(c map[string]any) {
		api := obj(c, "api")
		api["routes"] = api["routes"].([]any)[:2] // drop propensity-scores (the model stays)
	}))
	doc := importAPI(t, removed)
	assert.False(t, doc.has(tResource, "/propensity-scores"))
	assert.False(t, doc.has(tMethod, "POST /propensity-scores"))
	assert.False(t, doc.has(tMethod, "OPTIONS /propensity-scores"))
	assert.NotEqual(t, trigger(before), trigger(removed))
	assert.Equal(t, removed.Get(tDeployment, "api-deployment").ID, removed.Get(tStage, "api-stage").In("deployment"))
	assert.NotContains(t, removed.Output(infra.OutRouteURLs), "propensity-scores")

	renamed := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "api", "routes", 0)["path"] = "movie-ratings"
		obj(c, "api", "cache")["routes"] = []any{"movie-ratings"}
	}))
	doc = importAPI(t, renamed)
	assert.False(t, doc.has(tResource, "/predicted-ratings"), "the old path leaves the API")
	assert.True(t, doc.has(tMethod, "GET /movie-ratings/{user_id}"))
	assert.Equal(t, "movie-ratings", doc.get(tIntegration, "GET /movie-ratings/{user_id}")["cacheNamespace"])
	assert.NotEqual(t, trigger(before), trigger(renamed))
	// The renamed path keeps its cache and throttle settings and its WAF rule.
	assert.False(t, renamed.Has(tMethodSettings, "api-settings-predicted-ratings"))
	assert.Equal(t, "~1movie-ratings~1{user_id}/GET", renamed.Get(tMethodSettings, "api-settings-movie-ratings").In("methodPath"))
	assert.Contains(t, renamed.Get(tWebACL, "waf-acl").Str("ruleJson"), "movie-ratings")
	assert.NotContains(t, renamed.Get(tWebACL, "waf-acl").Str("ruleJson"), "predicted-ratings")
	require.Len(t, renamed.All(tDeployment), 1)
}
