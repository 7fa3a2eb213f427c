package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ml-rest-api/ml-rest-api/cost"
	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/infra/inference"
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

// Issue 17, item 8: a custom domain. staging maps ml-staging.example-tv.com/v1 to its stage with
// a REGIONAL domain name (TLS 1.2, its region's certificate), turns the execute-api endpoint off,
// and every client-facing output uses the domain; dev and prod have none and keep execute-api.
func TestCustomDomain(t *testing.T) {
	t.Parallel()
	run := runStack(t, "staging")
	d := run.Get(tDomainName, "api-domain")
	assert.Equal(t, "ml-staging.example-tv.com", d.In("domainName"))
	assert.Equal(t, "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", d.In("regionalCertificateArn"))
	assert.Equal(t, map[string]any{"types": "REGIONAL"}, d.In("endpointConfiguration"))
	assert.Equal(t, "TLS_1_2", d.In("securityPolicy"))
	assert.Equal(t, "staging", d.Map("tags")["stack"])
	m := run.Get(tBasePathMapping, "api-domain-mapping")
	assert.Equal(t, "v1", m.In("basePath"))
	assert.Equal(t, run.Get(tRestAPI, "api-rest").ID, m.In("restApi"))
	assert.Equal(t, run.Get(tStage, "api-stage").Out("stageName"), m.In("stageName"))
	assert.Equal(t, d.Out("domainName"), m.In("domainName"))
	assert.Equal(t, true, run.Get(tRestAPI, "api-rest").In("disableExecuteApiEndpoint"))

	assert.Equal(t, "https://ml-staging.example-tv.com/v1", run.Output(infra.OutInvokeURL))
	assert.Equal(t, map[string]any{
		"predicted-ratings":  "https://ml-staging.example-tv.com/v1/predicted-ratings/{user_id}",
		"recommended-movies": "https://ml-staging.example-tv.com/v1/recommended-movies/{user_id}",
	}, normalizeJSON(run.Outputs[infra.OutRouteURLs].Value))
	assert.Contains(t, run.Output(infra.OutCurlExample), "'https://ml-staging.example-tv.com/v1/predicted-ratings/321?items=101,131,162'")
	assert.Equal(t, d.Out("regionalDomainName"), run.Output(infra.OutDomainTarget))
	assert.Equal(t, d.Out("regionalZoneId"), run.Output(infra.OutDomainZoneID))

	for _, stack := range stacks {
		other := runStack(t, stack)
		assert.False(t, other.Has(tDomainName, "api-domain"), stack)
		assert.Nil(t, other.Get(tRestAPI, "api-rest").In("disableExecuteApiEndpoint"), stack)
		assert.Contains(t, other.Output(infra.OutInvokeURL), ".execute-api.", stack)
		assert.Equal(t, "", other.Output(infra.OutDomainTarget), stack)
	}

	// A certificate of another region is refused before anything is registered.
	_, err := tryRunStack(t, "staging", withConfig(func(c map[string]any) {
		obj(c, "api", "domain")["certificateArn"] = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	}))
	assert.ErrorContains(t, err, "ml-rest-api:api.domain.certificateArn: the certificate is in us-east-1, the stack deploys to eu-west-1; a REGIONAL custom domain needs a certificate of its own region")
}

// Issue 17, item 3: a model from the SageMaker Model Registry. staging's recommendations model
// is package version 7 and its canary version 8: each model names only its package (no image,
// no artifact URL), and each execution role may describe exactly its version and read the
// registry prefix, through a grant named after the package ARN (one per version, like an
// artifact's).
func TestModelsFromTheRegistry(t *testing.T) {
	t.Parallel()
	run := runStack(t, "staging")
	for _, v := range []struct{ component, version string }{{"recommendations", "7"}, {"recommendations-canary", "8"}} {
		arn := "arn:aws:sagemaker:eu-west-1:123456789012:model-package/movie-recommender/" + v.version
		m := run.Get(tModel, v.component+"-model")
		assert.Equal(t, map[string]any{"modelPackageName": arn, "mode": "SingleModel", "environment": map[string]any{}}, m.Map("primaryContainer"), v.component)
		grant := run.Get(tRolePolicy, inference.ArtifactPolicyName(v.component, arn))
		assert.True(t, m.DependsOnRes(grant), "the model waits for its grant")
		goldenJSON(t, "staging/iam-"+v.component+"-package.json", grant.Str("policy"))
	}
	st := run.Get(tStage, "api-stage")
	assert.Equal(t, "ml-rest-api-staging-recommendations-canary", st.Map("canarySettings")["stageVariableOverrides"].(map[string]any)["recommendationsEndpoint"])
}

// Issue 17, item 5: a shadow test. staging's ratings endpoint configuration carries a shadow
// variant: the candidate's own model (v2's artifact, the same image), its instances and a
// weight of 0.2 against production's 1 (20 % of the requests copied); the execution role reads
// both artifacts (one grant each); the dashboard charts the shadow beside production.
func TestShadowTest(t *testing.T) {
	t.Parallel()
	run := runStack(t, "staging")
	cfg := run.Get(tEndpointConfig, "ratings-config")
	shadowModel := run.Get(tModel, "ratings-shadow-model")
	assert.Equal(t, []any{map[string]any{
		"modelName": shadowModel.Out("name"), "variantName": "Shadow",
		"instanceType": "ml.m5.large", "initialInstanceCount": 1.0, "initialVariantWeight": 0.2,
	}}, cfg.In("shadowProductionVariants"))
	assert.Equal(t, 1.0, cfg.In("productionVariants").([]any)[0].(map[string]any)["initialVariantWeight"])
	assert.Equal(t, "s3://ml-rest-api-artifacts-staging/models/ratings/v2/model.tar.gz", shadowModel.Map("primaryContainer")["modelDataUrl"])
	assert.Equal(t, run.Get(tModel, "ratings-model").Map("primaryContainer")["image"], shadowModel.Map("primaryContainer")["image"])
	for _, url := range []string{"s3://ml-rest-api-artifacts-staging/models/ratings/v1/model.tar.gz", "s3://ml-rest-api-artifacts-staging/models/ratings/v2/model.tar.gz"} {
		grant := run.Get(tRolePolicy, inference.ArtifactPolicyName("ratings", url))
		assert.True(t, shadowModel.DependsOnRes(grant), "the shadow model waits for the grants")
	}
	body := run.Get(tDashboard, "monitoring-dashboard").Str("dashboardBody")
	assert.Contains(t, body, `"VariantName","Shadow",{"label":"stable shadow p99","stat":"p99"}`)
	assert.Contains(t, body, `"VariantName","AllTraffic",{"label":"stable p99","stat":"p99"}`)

	for _, stack := range stacks {
		for _, r := range runStack(t, stack).All(tEndpointConfig) {
			assert.Nil(t, r.In("shadowProductionVariants"), "%s %s: no shadow unless configured", stack, r.Name)
		}
	}
	// The shadow's instance-hours are in the cost estimate: ratings' production fleet (1-2,
	// autoscaled) and the shadow's fixed instance.
	var ratings []cost.Line
	for _, l := range estimate(t, "staging") {
		if strings.HasPrefix(l.Item, "ml-rest-api-staging-ratings") && !strings.HasPrefix(l.Item, "ml-rest-api-staging-ratings-") {
			ratings = append(ratings, l)
		}
	}
	assert.Equal(t, []cost.Line{
		{Basis: cost.Monthly, Item: "ml-rest-api-staging-ratings (Shadow variant): ml.m5.large, 1 instance", Min: 730, Max: 730, Price: "sagemaker.hosting.ml.m5.large"},
		{Basis: cost.Monthly, Item: "ml-rest-api-staging-ratings: ml.m5.large, 1–2 instances (autoscaling)", Min: 730, Max: 1460, Price: "sagemaker.hosting.ml.m5.large"},
	}, ratings)
}
