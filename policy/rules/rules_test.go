package rules

import (
	"testing"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
)

func m(kv ...any) property.Map {
	out := map[string]property.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = val(kv[i+1])
	}
	return property.NewMap(out)
}

func val(v any) property.Value {
	switch x := v.(type) {
	case property.Value:
		return x
	case property.Map:
		return property.New(x)
	case string:
		return property.New(x)
	case bool:
		return property.New(x)
	case float64:
		return property.New(x)
	case []property.Value:
		return property.New(property.NewArray(x))
	}
	panic("unsupported test value")
}

var unknown = property.New(property.Computed)

// apiDoc is a one-route OpenAPI document (security and credentials as given).
func apiDoc(security, credentials string) string {
	return `{"openapi":"3.0.1","info":{"title":"t","version":"1"},
"components":{"securitySchemes":{"api_key":{"type":"apiKey","name":"x-api-key","in":"header"}}},
"paths":{"/scores":{"get":{` + security + `"responses":{"200":{"description":"ok"}},
"x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","credentials":"` + credentials + `",
"uri":"arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/e/invocations","responses":{"default":{"statusCode":"200"}}}}}}}`
}

// Each rule fires on a broken resource and stays quiet on the program's own shape.
func TestRules(t *testing.T) {
	okStage := m("accessLogSettings", m("destinationArn", "arn:aws:logs:x", "format", "{}"), "xrayTracingEnabled", true)
	cases := []struct {
		rule, typ string
		good, bad property.Map
		cfg       Config
	}{
		{"api-key-required", awstypes.APIGatewayMethod,
			m("httpMethod", "GET", "apiKeyRequired", true), m("httpMethod", "GET", "apiKeyRequired", false), Config{}},
		{"api-key-required", awstypes.APIGatewayRestApi, m("body", apiDoc(`"security":[{"api_key":[]}],`, "arn:aws:iam::1:role/r")),
			m("body", apiDoc("", "arn:aws:iam::1:role/r")), Config{}},
		{"integration-credentials", awstypes.APIGatewayRestApi, m("body", apiDoc(`"security":[{"api_key":[]}],`, "arn:aws:iam::1:role/r")),
			m("body", apiDoc(`"security":[{"api_key":[]}],`, "")), Config{}},
		{"iam-no-wildcard-resource", awstypes.IAMRolePolicy,
			m("policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken"],"Resource":["*"]}]}`),
			m("policy", `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}`), Config{}},
		{"integration-credentials", awstypes.APIGatewayIntegration,
			m("type", "AWS", "credentials", "arn:aws:iam::1:role/r"), m("type", "AWS"), Config{}},
		{"regional-endpoint", awstypes.APIGatewayRestApi,
			m("endpointConfiguration", m("types", "REGIONAL")), m("endpointConfiguration", m("types", "EDGE")), Config{}},
		{"stage-logging-and-tracing", awstypes.APIGatewayStage, okStage, m("xrayTracingEnabled", false), Config{}},
		{"log-retention", awstypes.CloudWatchLogGroup, m("retentionInDays", 7.0), m("name", "x"), Config{}},
		{"canary-within-cap", awstypes.APIGatewayStage,
			m("canarySettings", m("percentTraffic", 10.0, "useStageCache", false)),
			m("canarySettings", m("percentTraffic", 60.0, "useStageCache", true)), Config{}},
		{"endpoint-config-not-fixed-name", awstypes.SageMakerEndpointConfiguration,
			m("name", "ratings-config-4f0a9c1", "productionVariants", []property.Value{val(m("instanceType", "ml.m5.large"))}),
			m("name", "ratings-config", "productionVariants", []property.Value{val(m("instanceType", "ml.m5.large"))}), Config{}},
		{"instance-type-allowlist", awstypes.SageMakerEndpointConfiguration,
			m("productionVariants", []property.Value{val(m("instanceType", "ml.m5.large")), val(m("serverlessConfig", m()))}),
			m("productionVariants", []property.Value{val(m("instanceType", "ml.p4d.24xlarge"))}), Config{}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.rule] = true
		assert.Empty(t, Check(c.typ, "ratings-config", c.good, c.cfg)[c.rule], "%s: the good resource passes", c.rule)
		assert.NotEmpty(t, Check(c.typ, "ratings-config", c.bad, c.cfg)[c.rule], "%s: the broken resource fails", c.rule)
	}
	for _, r := range Rules {
		assert.True(t, covered[r.Name], "rule %s has no case", r.Name)
	}
	assert.Equal(t, []string{
		"canarySettings.percentTraffic 60 exceeds the cap of 50",
		"canarySettings.useStageCache must be false (a cached stable answer would be served to canary traffic)",
	}, Check(awstypes.APIGatewayStage, "ratings-config", m("canarySettings", m("percentTraffic", 60.0, "useStageCache", true)), Config{})["canary-within-cap"])
}

func TestUnknownValuesNeverViolate(t *testing.T) {
	assert.Empty(t, Check(awstypes.IAMRolePolicy, "ratings-config", m("policy", unknown), Config{}))
	assert.Empty(t, Check(awstypes.APIGatewayIntegration, "ratings-config", m("type", "AWS", "credentials", unknown), Config{}))
	assert.Empty(t, Check(awstypes.APIGatewayMethod, "ratings-config", m("httpMethod", "GET", "apiKeyRequired", unknown), Config{}))
	assert.Empty(t, Check(awstypes.APIGatewayMethod, "ratings-config", m("httpMethod", "OPTIONS", "apiKeyRequired", false), Config{}), "preflight needs no key")
	assert.Empty(t, Check(awstypes.APIGatewayRestApi, "api-rest", m("body", unknown, "endpointConfiguration", m("types", "REGIONAL")), Config{}))
}

func TestConfig(t *testing.T) {
	c := ConfigFrom(map[string]any{"maxCanaryPercent": 5.0, "allowedInstanceTypes": []any{"ml.c5.large"}})
	assert.Equal(t, 5.0, c.MaxCanaryPercent)
	assert.NotEmpty(t, Check(awstypes.APIGatewayStage, "ratings-config", m("canarySettings", m("percentTraffic", 10.0)), c)["canary-within-cap"])
	assert.NotEmpty(t, Check(awstypes.SageMakerEndpointConfiguration, "ratings-config",
		m("productionVariants", []property.Value{val(m("instanceType", "ml.m5.large"))}), c)["instance-type-allowlist"])
	assert.Equal(t, DefaultAllowedInstanceTypes, ConfigFrom(nil).AllowedInstanceTypes)
}
