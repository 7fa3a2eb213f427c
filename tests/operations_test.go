package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/infra/ops"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

const (
	tLogMetricFilter   = awstypes.CloudWatchLogMetricFilter
	tDashboard         = awstypes.CloudWatchDashboard
	tTopic             = awstypes.SNSTopic
	tTopicSubscription = awstypes.SNSTopicSubscription
	tWebACL            = awstypes.WAFv2WebAcl
	tWebACLAssoc       = awstypes.WAFv2WebAclAssociation
)

// Each optional part exists exactly when the stack's configuration says so.
func TestOptionalPartsFollowTheConfig(t *testing.T) {
	t.Parallel()
	dev, prod := runStack(t, "dev"), runStack(t, "prod")
	// dev: a dashboard only.
	assert.Len(t, dev.All(tDashboard), 1)
	assert.Empty(t, dev.All(tAlarm), "no alarms in dev")
	assert.Empty(t, dev.All(tTopic))
	assert.Empty(t, dev.All(tWebACL))
	assert.Nil(t, dev.Get(tStage, "api-stage").In("cacheClusterEnabled"))
	for _, r := range dev.Resources() {
		assert.False(t, r.Protect || r.RetainOnDelete, "nothing is protected in dev: %s", r.Name)
	}
	assert.Equal(t, "", dev.Output(infra.OutAlarmTopicArn))
	assert.Equal(t, "", dev.Output(infra.OutWebACLArn))
	// prod: everything.
	assert.Len(t, prod.All(tDashboard), 1)
	assert.Len(t, prod.All(tTopic), 1)
	assert.Len(t, prod.All(tTopicSubscription), 1)
	assert.Len(t, prod.All(tWebACL), 1)
	assert.Equal(t, true, prod.Get(tStage, "api-stage").In("cacheClusterEnabled"))

	// Turning a part off removes it.
	bare := runStack(t, "prod", withConfig(func(c map[string]any) {
		delete(c, "monitoring")
		delete(c, "waf")
		delete(c, "protection")
		delete(obj(c, "api"), "cache")
		delete(obj(c, "models", "ratings"), "deploymentGuardrails")
	}))
	for _, typ := range []string{tDashboard, tAlarm, tTopic, tWebACL, tWebACLAssoc, tLogMetricFilter} {
		assert.Empty(t, bare.All(typ), typ)
	}
	assert.Nil(t, bare.Get(tStage, "api-stage").In("cacheClusterEnabled"))
}

func TestAlarms(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	topic := run.Get(tTopic, "notifications-topic").Out("arn")
	sub := run.All(tTopicSubscription)[0]
	assert.Equal(t, "email", sub.In("protocol"))
	assert.Equal(t, "ml-oncall@example-tv.com", sub.In("endpoint"))
	assert.Equal(t, topic, sub.In("topic"))
	assert.Equal(t, topic, run.Output(infra.OutAlarmTopicArn))

	apiDims := map[string]any{"ApiName": "ml-rest-api-prod", "Stage": "prod"}
	for name, want := range map[string]struct {
		metric, stat string
		threshold    float64
	}{
		"monitoring-api-5xx-rate":    {"5XXError", "Average", 0.01},
		"monitoring-api-4xx-rate":    {"4XXError", "Average", 0.10},
		"monitoring-api-latency-p99": {"Latency", "p99", 1500},
	} {
		a := run.Get(tAlarm, name)
		assert.Equal(t, "AWS/ApiGateway", a.In("namespace"), name)
		assert.Equal(t, want.metric, a.In("metricName"), name)
		assert.Equal(t, apiDims, a.In("dimensions"), name)
		assert.Equal(t, want.threshold, a.In("threshold"), name)
		if want.stat == "p99" {
			assert.Equal(t, "p99", a.In("extendedStatistic"), name)
		} else {
			assert.Equal(t, want.stat, a.In("statistic"), name)
		}
		assert.Equal(t, []any{topic}, a.In("alarmActions"), name)
	}

	// Per endpoint, stable and canary: 5XX, latency; CPU for instance variants only.
	endpoints := map[string]bool{"ratings": true, "recommendations": true, "propensity": false, "ratings-canary": true}
	for comp, instance := range endpoints {
		epName := "ml-rest-api-prod-" + comp
		dims := map[string]any{"EndpointName": epName, "VariantName": "AllTraffic"}
		for role, metric := range map[string]string{"alarm-invocation-5xx": "Invocation5XXErrors", "alarm-model-latency": "ModelLatency", "alarm-cpu": "CPUUtilization"} {
			if role == "alarm-cpu" && !instance {
				assert.False(t, run.Has(tAlarm, comp+"-"+role), "serverless variants have no CPU alarm")
				continue
			}
			a := run.Get(tAlarm, comp+"-"+role)
			assert.Equal(t, metric, a.In("metricName"))
			assert.Equal(t, dims, a.In("dimensions"), a.Name)
			assert.Equal(t, []any{topic}, a.In("okActions"), a.Name)
		}
		assert.Equal(t, 5.0, run.Get(tAlarm, comp+"-alarm-invocation-5xx").In("threshold"))
		assert.Equal(t, 250000.0, run.Get(tAlarm, comp+"-alarm-model-latency").In("threshold"), "ModelLatency is in microseconds")
		if instance {
			cpu := run.Get(tAlarm, comp+"-alarm-cpu")
			assert.Equal(t, "/aws/sagemaker/Endpoints", cpu.In("namespace"))
			assert.Equal(t, 80.0, cpu.In("threshold"))
		}
	}
	// The throttled-requests metric comes from the access logs.
	f := run.Get(tLogMetricFilter, "monitoring-throttled")
	assert.Equal(t, run.Get(tLogGroup, "api-access-logs").Out("name"), f.In("logGroupName"))
	assert.Equal(t, `{ $.status = "429" }`, f.In("pattern"))
	assert.Equal(t, "ml-rest-api/prod", f.Map("metricTransformation")["namespace"])
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		d := run.Get(tDashboard, "monitoring-dashboard")
		assert.Equal(t, "ml-rest-api-"+stack, d.In("dashboardName"))
		assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ml-rest-api-"+stack, run.Output(infra.OutDashboardURL))
		body := d.Str("dashboardBody")
		goldenJSON(t, stack+"/dashboard.json", body)
		// Every route and every endpoint appears; in prod the canary sits beside the stable one.
		for _, r := range wantRoutes {
			assert.Contains(t, body, `"Resource","`+r.resourcePath+`","Method","`+r.method+`"`)
		}
		for model := range wantModels[stack] {
			assert.Contains(t, body, `"EndpointName","ml-rest-api-`+stack+"-"+model+`"`)
		}
		assert.Equal(t, stack == "prod", strings.Contains(body, `"EndpointName","ml-rest-api-prod-ratings-canary"`))
	}
}

func TestWAF(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	acl := run.Get(tWebACL, "waf-acl")
	assert.Equal(t, "REGIONAL", acl.In("scope"))
	assert.Equal(t, map[string]any{"allow": map[string]any{}}, acl.In("defaultAction"))
	goldenJSON(t, "prod/waf-rules.json", acl.Str("ruleJson"))
	var rules []ops.WAFRule
	require.NoError(t, json.Unmarshal([]byte(acl.Str("ruleJson")), &rules))
	require.Len(t, rules, 3)
	assert.Equal(t, 3000.0, rules[0].Statement["RateBasedStatement"].(map[string]any)["Limit"])
	assert.Equal(t, "IP", rules[0].Statement["RateBasedStatement"].(map[string]any)["AggregateKeyType"])
	assert.Equal(t, "malformed-items", rules[1].Name)
	assert.Equal(t, "aws-common", rules[2].Name)
	// The common rule set blocks bodies above 8 KB (SizeRestrictions_BODY): prod's CSV route
	// takes batches of rows, so that rule only counts.
	assert.Equal(t, []any{map[string]any{"Name": "SizeRestrictions_BODY", "ActionToUse": map[string]any{"Count": map[string]any{}}}},
		rules[2].Statement["ManagedRuleGroupStatement"].(map[string]any)["RuleActionOverrides"])
	getOnly := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "api")["routes"] = obj(c, "api")["routes"].([]any)[:2] // the GET routes
		delete(obj(c, "access", "plans", "partner"), "routeThrottles")
	}))
	var getRules []ops.WAFRule
	require.NoError(t, json.Unmarshal([]byte(getOnly.Get(tWebACL, "waf-acl").Str("ruleJson")), &getRules))
	assert.NotContains(t, getRules[2].Statement["ManagedRuleGroupStatement"], "RuleActionOverrides", "no body routes: the rule blocks as AWS ships it")
	for _, body := range acl.In("customResponseBodies").([]any) {
		var v map[string]any
		assert.NoError(t, json.Unmarshal([]byte(body.(map[string]any)["content"].(string)), &v))
	}
	assoc := run.Get(tWebACLAssoc, "waf-association")
	// Deleting the old association (keyed on the stage ARN) after creating the new one would
	// leave the stage without WAF: replace delete-first.
	assert.True(t, assoc.DeleteBeforeReplace, "the association is replaced delete-first")
	assert.Equal(t, run.Get(tStage, "api-stage").Out("arn"), assoc.In("resourceArn"), "the ACL guards the stage")
	assert.Equal(t, acl.Out("arn"), assoc.In("webAclArn"))
	assert.Equal(t, acl.Out("arn"), run.Output(infra.OutWebACLArn))

	noItems := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "waf")["blockMalformedItems"], obj(c, "waf")["awsCommonRuleSet"] = false, false
	}))
	require.NoError(t, json.Unmarshal([]byte(noItems.Get(tWebACL, "waf-acl").Str("ruleJson")), &rules))
	assert.Len(t, rules, 1)
}

func TestCache(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	st := run.Get(tStage, "api-stage")
	assert.Equal(t, "0.5", st.In("cacheClusterSize"))
	assert.Equal(t, false, st.Map("canarySettings")["useStageCache"], "the canary never uses the stage cache")

	doc := importAPI(t, run)
	in := doc.get(tIntegration, "GET /predicted-ratings/{user_id}")
	assert.Equal(t, []any{"method.request.path.user_id", "method.request.querystring.items"}, in["cacheKeyParameters"])
	assert.Equal(t, "predicted-ratings", in["cacheNamespace"], "each cached route has a namespace of its own")
	ms := run.Get(tMethodSettings, "api-settings-predicted-ratings")
	assert.Equal(t, "~1predicted-ratings~1{user_id}/GET", ms.In("methodPath"))
	s := ms.Map("settings")
	assert.Equal(t, true, s["cachingEnabled"])
	assert.Equal(t, 300.0, s["cacheTtlInSeconds"])
	assert.Equal(t, true, s["cacheDataEncrypted"])
	assert.Equal(t, true, s["requireAuthorizationForCacheControl"])
	assert.Equal(t, "FAIL_WITH_403", s["unauthorizedCacheControlHeaderStrategy"])
	assert.Equal(t, 500.0, s["throttlingRateLimit"], "a route's settings repeat the stage throttle")

	// The recommendations route serves stochastic types: never cached.
	assert.Nil(t, doc.get(tIntegration, "GET /recommended-movies/{user_id}")["cacheKeyParameters"])
	assert.Equal(t, false, run.Get(tMethodSettings, "api-settings-recommended-movies").Map("settings")["cachingEnabled"])
	assert.Equal(t, false, run.Get(tMethodSettings, "api-settings").Map("settings")["cachingEnabled"])

	// A deterministic-only recommendations route can be cached, keyed by user_id, k and inference_type.
	det := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "api", "routes", 1)["inferenceTypes"] = []any{"deterministic"}
		obj(c, "api", "cache")["routes"] = []any{"predicted-ratings", "recommended-movies"}
		obj(c, "api", "cache")["ttlSeconds"] = 60
	}))
	assert.Equal(t, []any{"method.request.path.user_id", "method.request.querystring.inference_type", "method.request.querystring.k"},
		importAPI(t, det).get(tIntegration, "GET /recommended-movies/{user_id}")["cacheKeyParameters"])
	rs := det.Get(tMethodSettings, "api-settings-recommended-movies").Map("settings")
	assert.Equal(t, true, rs["cachingEnabled"])
	assert.Equal(t, 60.0, rs["cacheTtlInSeconds"])
	assert.Equal(t, 200.0, rs["throttlingRateLimit"], "the route's own throttle")
	assert.Equal(t, "deterministic", det.Get(tStage, "api-stage").Map("variables")["inferenceTypes_recommended_movies"])
}

func TestProtection(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	for _, r := range run.Resources() {
		switch {
		case r.Type == tEndpoint && !strings.HasSuffix(r.Name, "-canary-endpoint"):
			assert.True(t, r.Protect, "stable endpoint %s is protected", r.Name)
		case r.Type == tLogGroup && strings.Contains(r.Name, "canary"):
			assert.False(t, r.Protect || r.RetainOnDelete, "%s goes with the canary", r.Name)
		case r.Type == tLogGroup || r.Type == tAPIKey:
			// Log groups keep the audit trail; AWS-generated key values cannot be recovered.
			assert.True(t, r.Protect, "%s is protected", r.Name)
			assert.True(t, r.RetainOnDelete, "%s is retained on destroy", r.Name)
		case r.Type == tRestAPI || r.Type == tStage || r.Type == tUsagePlan:
			assert.True(t, r.Protect, "%s is protected", r.Name)
			assert.False(t, r.RetainOnDelete, r.Name)
		default:
			assert.False(t, r.Protect, "%s %s: only what prod must never lose is protected (the canary, deployments and usage-plan keys must be replaceable)", r.Type, r.Name)
		}
	}
	const key = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
	kms := runStack(t, "prod", withConfig(func(c map[string]any) { obj(c, "protection")["kmsKeyArn"] = key }))
	assert.Equal(t, key, kms.Get(tEndpointConfig, "ratings-config").In("kmsKeyArn"))
	assert.Nil(t, kms.Get(tEndpointConfig, "propensity-config").In("kmsKeyArn"), "serverless variants have no volume to encrypt")
	assert.Equal(t, key, kms.Get(tLogGroup, "api-access-logs").In("kmsKeyId"))
	assert.Equal(t, key, kms.Get(tLogGroup, "api-execution-logs").In("kmsKeyId"))
}

// Every IAM policy of the committed stacks (the staging example's VPC grant included): no
// action wildcard, and a "*" or wildcard resource only where iampolicy's allowlists justify it.
func TestNoWildcardsOutsideTheAllowlist(t *testing.T) {
	t.Parallel()
	for _, stack := range append(slices.Clone(stacks), "staging") {
		run := runStack(t, stack)
		policies := run.All(tRolePolicy)
		require.NotEmpty(t, policies)
		for _, p := range policies {
			var doc iampolicy.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(p.Str("policy")), &doc), p.Name)
			for _, st := range doc.Statement {
				where := fmt.Sprintf("%s %s %s", stack, p.Name, st.Sid)
				for _, a := range st.Action {
					assert.NotContains(t, a, "*", "%s: action wildcard %s", where, a)
				}
				for _, r := range st.Resource {
					if !strings.Contains(r, "*") {
						continue
					}
					if r == "*" {
						for _, a := range st.Action {
							_, ok := iampolicy.UnscopedActions[a]
							assert.True(t, ok, "%s: %s on * is not in iampolicy.UnscopedActions", where, a)
						}
						assert.Len(t, st.Action, 1, "%s: an unscoped action stands alone", where)
						continue
					}
					assert.True(t, iampolicy.WildcardResourceAllowed(r), "%s: wildcard resource %s is not in iampolicy.WildcardResources", where, r)
				}
			}
		}
		for _, r := range run.All(tRole) {
			var doc iampolicy.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(r.Str("assumeRolePolicy")), &doc))
			for _, st := range doc.Statement {
				assert.NotContains(t, st.Principal["Service"], "*")
				switch st.Principal["Service"] {
				case "sagemaker.amazonaws.com":
					// SageMaker's confused-deputy guide documents aws:SourceAccount for its roles.
					assert.Equal(t, mockAccount, st.Condition["StringEquals"]["aws:SourceAccount"], "%s trusts SageMaker for this account only", r.Name)
				case "apigateway.amazonaws.com":
					// API Gateway sends no aws:SourceAccount/aws:SourceArn when it assumes a
					// role: a condition on them would deny every request (AWS contract).
					assert.Empty(t, st.Condition, "%s: no condition API Gateway cannot satisfy", r.Name)
				default:
					t.Errorf("%s trusts an unexpected principal %v", r.Name, st.Principal)
				}
			}
		}
	}
}

var badOperations = []struct {
	name string
	edit func(c map[string]any)
	want []string
}{
	{"alarm rate above 1", func(c map[string]any) { obj(c, "monitoring", "alarms")["api5xxRate"] = 5 },
		[]string{`ml-rest-api:monitoring.alarms.api5xxRate: must be a share of requests greater than 0 and at most 1, e.g. 0.01 for 1% (got 5)`}},
	{"alarm threshold missing", func(c map[string]any) { delete(obj(c, "monitoring", "alarms"), "endpointCpuPercent") },
		[]string{`ml-rest-api:monitoring.alarms.endpointCpuPercent: must be greater than 0 (got 0)`}},
	{"bad e-mail", func(c map[string]any) { obj(c, "monitoring")["notifyEmails"] = []any{"oncall"} },
		[]string{`ml-rest-api:monitoring.notifyEmails[0]: not an e-mail address like ml-oncall@example.com (got "oncall")`}},
	{"e-mail with a display name or a trailing dot", func(c map[string]any) {
		obj(c, "monitoring")["notifyEmails"] = []any{"On call <ml-oncall@example-tv.com>", "ml-oncall@example-tv.com."}
	}, []string{
		`ml-rest-api:monitoring.notifyEmails[0]: not an e-mail address like ml-oncall@example.com (got "On call <ml-oncall@example-tv.com>")`,
		`ml-rest-api:monitoring.notifyEmails[1]: not an e-mail address like ml-oncall@example.com (got "ml-oncall@example-tv.com.")`,
	}},
	{"monitoring that turns nothing on", func(c map[string]any) {
		c["monitoring"] = map[string]any{"dashboard": false}
		delete(obj(c, "models", "ratings"), "deploymentGuardrails")
	}, []string{`ml-rest-api:monitoring: turns nothing on: set dashboard: true and/or alarms, or remove the key`}},
	{"WAF rate limit too low", func(c map[string]any) { obj(c, "waf")["rateLimitPerIp"] = 10 },
		[]string{`ml-rest-api:waf.rateLimitPerIp: must be between 100 and 2000000000 requests per 5 minutes (got 10)`}},
	{"cache size", func(c map[string]any) { obj(c, "api", "cache")["clusterSizeGb"] = "1" },
		[]string{`ml-rest-api:api.cache.clusterSizeGb: must be one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237 (got "1")`}},
	{"cache TTL", func(c map[string]any) { obj(c, "api", "cache")["ttlSeconds"] = 7200 },
		[]string{`ml-rest-api:api.cache.ttlSeconds: must be between 1 and 3600 (got 7200)`}},
	{"caching a stochastic route", func(c map[string]any) { obj(c, "api", "cache")["routes"] = []any{"recommended-movies"} },
		[]string{`ml-rest-api:api.cache.routes[0]: route "recommended-movies" serves stochastic inference types, and API Gateway caches per method, not per parameter value: set its inferenceTypes to [deterministic] (serve stochastic types on another route) or do not cache it`}},
	{"caching a CSV route", func(c map[string]any) { obj(c, "api", "cache")["routes"] = []any{"propensity-scores"} },
		[]string{`ml-rest-api:api.cache.routes[0]: route "propensity-scores" is a POST (csv) route; only routes of kind ratings, recommendations are cached`}},
	{"caching an unknown route", func(c map[string]any) { obj(c, "api", "cache")["routes"] = []any{"top"} },
		[]string{`ml-rest-api:api.cache.routes[0]: no route has path "top"; use one of predicted-ratings, recommended-movies, propensity-scores`}},
	{"unknown inference type", func(c map[string]any) { obj(c, "api", "routes", 1)["inferenceTypes"] = []any{"greedy"} },
		[]string{`ml-rest-api:api.routes[1].inferenceTypes[0]: unknown inference type "greedy"; use deterministic, stochastic_plackett_luce, stochastic_plackett_luce_cached, stochastic_gumbel_softmax_trick, stochastic_epsilon_greedy`}},
	{"inference types on a ratings route", func(c map[string]any) { obj(c, "api", "routes", 0)["inferenceTypes"] = []any{"deterministic"} },
		[]string{`ml-rest-api:api.routes[0].inferenceTypes: applies to routes of kind recommendations only; remove it`}},
	{"KMS key ARN", func(c map[string]any) { obj(c, "protection")["kmsKeyArn"] = "alias/ml" },
		[]string{`ml-rest-api:protection.kmsKeyArn: must be a KMS key ARN like arn:aws:kms:eu-west-1:123456789012:key/<uuid> (got "alias/ml")`}},
}

func TestBadOperationsConfigurations(t *testing.T) {
	t.Parallel()
	for _, tc := range badOperations {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(t, "prod", withConfig(tc.edit))
			require.Error(t, err)
			assert.Equal(t, problems(tc.want...), err.Error())
		})
	}
}
