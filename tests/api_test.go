package tests

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra"
	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

const (
	tRestAPI         = awstypes.APIGatewayRestApi
	tResource        = awstypes.APIGatewayResource
	tMethod          = awstypes.APIGatewayMethod
	tIntegration     = awstypes.APIGatewayIntegration
	tIntegrationRes  = awstypes.APIGatewayIntegrationResponse
	tMethodRes       = awstypes.APIGatewayMethodResponse
	tValidator       = awstypes.APIGatewayRequestValidator
	tGatewayRes      = awstypes.APIGatewayResponse
	tDeployment      = awstypes.APIGatewayDeployment
	tStage           = awstypes.APIGatewayStage
	tMethodSettings  = awstypes.APIGatewayMethodSettings
	tAccount         = awstypes.APIGatewayAccount
	tDomainName      = awstypes.APIGatewayDomainName
	tBasePathMapping = awstypes.APIGatewayBasePathMapping
	tLogGroup        = awstypes.CloudWatchLogGroup
)

func tmpl(t *testing.T, name string) string {
	t.Helper()
	s, err := templates.Read(templates.Files, name)
	require.NoError(t, err)
	return s
}

// wantRoutes: the committed routes, written out.
var wantRoutes = []struct {
	path, method, model, contentType, resourcePath string
	params                                         map[string]any
	request                                        string
	responses                                      map[string][2]string // status → {selection pattern, template}
}{
	{"predicted-ratings", "GET", "ratings", "application/json", "/predicted-ratings/{user_id}",
		map[string]any{"method.request.path.user_id": true, "method.request.querystring.items": true},
		templates.RatingsRequest,
		map[string][2]string{"200": {"", templates.RatingsResponse}, "502": {modelError, templates.RatingsRejected}, "503": {transient, templates.RatingsUnavailable}}},
	{"recommended-movies", "GET", "recommendations", "application/json", "/recommended-movies/{user_id}",
		map[string]any{"method.request.path.user_id": true, "method.request.querystring.k": false, "method.request.querystring.inference_type": false},
		templates.RecommendationsRequest,
		map[string][2]string{"200": {"", templates.RecommendationsResponse}, "502": {modelError, templates.RecommendationsRejected}, "503": {transient, templates.RecommendationsUnavail}}},
	{"propensity-scores", "POST", "propensity", "text/csv", "/propensity-scores",
		map[string]any{"method.request.header.Content-Type": true},
		templates.CSVRequest,
		map[string][2]string{"200": {"", templates.CSVResponse}, "400": {modelError, templates.CSVRejected}, "503": {transient, templates.ModelUnavailable}}},
}

// wantBinaryRoutes are the binary routes (TestBinaryRoute checks their operations).
var wantBinaryRoutes = map[string][]string{"dev": {"poster-genres"}}

// Selection patterns: a 4XX other than 429 is a model error; 429 and 5XX are transient.
const (
	modelError = `4(?:[0-1]\d|2[0-8]|[3-9]\d)`
	transient  = `429|5\d{2}`
)

var wantTimeout = map[string]float64{"dev": 10000, "prod": 5000}

// The REST API is one document; every route's method, integration and responses are in it, as
// API Gateway imports them (awscontract.Import).
func TestRoutesAndIntegrations(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			run := runStack(t, stack)
			api := run.Get(tRestAPI, "api-rest")
			assert.Equal(t, map[string]any{"types": "REGIONAL"}, api.In("endpointConfiguration"))
			assert.Equal(t, "HEADER", api.In("apiKeySource"))
			assert.Equal(t, "ml-rest-api-"+stack, api.In("name"))
			assert.Equal(t, "overwrite", api.In("putRestApiMode"), "what the document no longer has is removed")
			assert.Equal(t, true, api.In("failOnWarnings"), "an import warning fails the update instead of being ignored")
			doc := importAPI(t, run)
			assert.Equal(t, map[string]any{"restApi": "(this api)", "name": "params", "validateRequestParameters": true, "validateRequestBody": false},
				doc.get(tValidator, "params"))
			role := run.Get(tRole, "api-role")
			var resources []string
			for _, r := range doc.all(tResource) {
				resources = append(resources, r.Name)
			}
			var want []string

			for _, w := range wantRoutes {
				want = append(want, "/"+w.path)
				top := doc.get(tResource, "/"+w.path)
				assert.Equal(t, "/", top["parentId"])
				assert.Equal(t, w.path, top["pathPart"])
				if w.method == "GET" {
					want = append(want, w.resourcePath)
					res := doc.get(tResource, w.resourcePath)
					assert.Equal(t, "/"+w.path, res["parentId"])
					assert.Equal(t, "{user_id}", res["pathPart"])
				}
				op := w.method + " " + w.resourcePath
				m := doc.get(tMethod, op)
				assert.Equal(t, "NONE", m["authorization"])
				assert.Equal(t, true, m["apiKeyRequired"])
				assert.Equal(t, w.params, m["requestParameters"])
				assert.Equal(t, "params", m["requestValidatorId"])

				in := doc.get(tIntegration, op)
				assert.Equal(t, "AWS", in["type"])
				assert.Equal(t, "POST", in["integrationHttpMethod"])
				assert.Equal(t, "arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/${stageVariables."+w.model+"Endpoint}/invocations", in["uri"])
				assert.Equal(t, role.Out("arn"), in["credentials"])
				assert.Equal(t, "NEVER", in["passthroughBehavior"])
				assert.Equal(t, wantTimeout[stack], in["timeoutMilliseconds"])
				assert.Equal(t, map[string]any{
					"integration.request.header.Content-Type":                  "'" + w.contentType + "'",
					"integration.request.header.Accept":                        "'application/json'",
					"integration.request.header.X-Amzn-SageMaker-Inference-Id": "context.requestId",
				}, in["requestParameters"], "the model's inference id is API Gateway's request id")
				assert.Equal(t, map[string]any{w.contentType: tmpl(t, w.request)}, in["requestTemplates"], "the template file's bytes, unchanged")

				for status, sel := range w.responses {
					ir := doc.get(tIntegrationRes, op+" "+status)
					assert.Equal(t, status, ir["statusCode"])
					if sel[0] == "" {
						assert.Nil(t, ir["selectionPattern"], "the default response has no pattern")
					} else {
						assert.Equal(t, sel[0], ir["selectionPattern"])
					}
					assert.Equal(t, tmpl(t, sel[1]), ir["responseTemplates"].(map[string]any)["application/json"])
					assert.Equal(t, "context.requestId", ir["responseParameters"].(map[string]any)["method.response.header.X-Request-Id"], "%s %s: X-Request-Id", op, status)
					mr := doc.get(tMethodRes, op+" "+status)
					assert.Equal(t, status, mr["statusCode"])
					assert.Contains(t, mr["responseParameters"], "method.response.header.X-Request-Id")
					assert.Equal(t, map[string]any{"application/json": "Empty"}, mr["responseModels"])
				}
				assert.True(t, doc.has(tMethodRes, op+" 400"), "400 is declared for invalid input")
			}
			for _, path := range wantBinaryRoutes[stack] {
				want = append(want, "/"+path)
			}
			assert.ElementsMatch(t, want, resources, "no resource beyond the routes'")
		})
	}
}

// Every non-OPTIONS method needs an API key; OPTIONS (CORS preflight) never does.
func TestEveryMethodRequiresAKey(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		doc := importAPI(t, runStack(t, stack))
		methods := doc.all(tMethod)
		require.Len(t, methods, 2*(len(wantRoutes)+len(wantBinaryRoutes[stack])), "one method and one preflight per route")
		for _, m := range methods {
			if m.Inputs["httpMethod"] == "OPTIONS" {
				assert.Equal(t, false, m.Inputs["apiKeyRequired"], m.Name)
				continue
			}
			assert.Equal(t, true, m.Inputs["apiKeyRequired"], m.Name)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	dev := importAPI(t, runStack(t, "dev")) // allowedOrigins ["*"]: static headers
	ir := dev.get(tIntegrationRes, "GET /predicted-ratings/{user_id} 200")
	assert.Equal(t, map[string]any{"method.response.header.Access-Control-Allow-Origin": "'*'", "method.response.header.X-Request-Id": "context.requestId"}, ir["responseParameters"])
	pre := dev.get(tIntegrationRes, "OPTIONS /predicted-ratings/{user_id} 200")
	assert.Equal(t, map[string]any{
		"method.response.header.Access-Control-Allow-Origin":  "'*'",
		"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
		"method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
		"method.response.header.Access-Control-Max-Age":       "'600'",
	}, pre["responseParameters"])
	preflight := dev.get(tIntegration, "OPTIONS /propensity-scores")
	assert.Equal(t, "MOCK", preflight["type"])
	assert.Equal(t, "'POST,OPTIONS'", dev.get(tIntegrationRes, "OPTIONS /propensity-scores 200")["responseParameters"].(map[string]any)["method.response.header.Access-Control-Allow-Methods"])
	assert.Equal(t, "'*'", dev.get(tGatewayRes, "THROTTLED")["responseParameters"].(map[string]any)["gatewayresponse.header.Access-Control-Allow-Origin"])

	prodRun := runStack(t, "prod") // a list: templates echo an allowed Origin, responses vary on it
	prod := importAPI(t, prodRun)
	ir = prod.get(tIntegrationRes, "GET /predicted-ratings/{user_id} 200")
	assert.Equal(t, map[string]any{"method.response.header.Vary": "'Origin'", "method.response.header.X-Request-Id": "context.requestId"}, ir["responseParameters"])
	mr := prod.get(tMethodRes, "GET /predicted-ratings/{user_id} 200")
	assert.Equal(t, map[string]any{"method.response.header.Access-Control-Allow-Origin": false, "method.response.header.Vary": false, "method.response.header.X-Request-Id": false}, mr["responseParameters"])
	assert.Equal(t, "https://www.example-tv.com,https://partners.example-tv.com", prodRun.Get(tStage, "api-stage").Map("variables")["corsOrigins"])

	// CORS off: no preflight, no CORS header anywhere.
	off := importAPI(t, runStack(t, "dev", withConfig(func(c map[string]any) { delete(obj(c, "api"), "cors") })))
	assert.False(t, off.has(tMethod, "OPTIONS /predicted-ratings/{user_id}"))
	assert.Equal(t, map[string]any{"method.response.header.X-Request-Id": "context.requestId"}, off.get(tIntegrationRes, "GET /predicted-ratings/{user_id} 200")["responseParameters"])
	assert.Nil(t, off.get(tGatewayRes, "THROTTLED")["responseParameters"])
}

func TestGatewayResponsesAreFixedJSON(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"BAD_REQUEST_PARAMETERS": "400", "BAD_REQUEST_BODY": "400", "INVALID_API_KEY": "403",
		"MISSING_AUTHENTICATION_TOKEN": "404", "ACCESS_DENIED": "403", "THROTTLED": "429",
		"QUOTA_EXCEEDED": "429", "UNSUPPORTED_MEDIA_TYPE": "415", "REQUEST_TOO_LARGE": "413",
		"INTEGRATION_TIMEOUT": "504", "INTEGRATION_FAILURE": "502", "DEFAULT_4XX": "", "DEFAULT_5XX": "",
	}
	for _, stack := range stacks {
		doc := importAPI(t, runStack(t, stack))
		got := map[string]string{}
		for _, g := range doc.all(tGatewayRes) {
			status, _ := g.Inputs["statusCode"].(string)
			got[g.Inputs["responseType"].(string)] = status
			body := g.Inputs["responseTemplates"].(map[string]any)["application/json"].(string)
			// Gateway response templates substitute $context values; the result must be JSON.
			filled := strings.NewReplacer(`$context.error.messageString`, `"Missing required request parameters: [items]"`, `$context.requestId`, "r-1").Replace(body)
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(filled), &v), "%s: %s", g.Name, body)
			assert.NotEmpty(t, v["message"])
			assert.Equal(t, "r-1", v["requestId"])
		}
		assert.Equal(t, want, got, stack)
	}
}

// No per-route API Gateway resource remains: the document holds them all.
func TestNoPerRouteResources(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		for _, typ := range []string{tResource, tMethod, tIntegration, tIntegrationRes, tMethodRes, tValidator, tGatewayRes} {
			assert.Empty(t, run.All(typ), "%s: %s", stack, typ)
		}
	}
}

// API Gateway may invoke exactly the stage's endpoints (stable and canary), each through a
// policy of its own that the stage waits for: a new endpoint is allowed before the stage names
// it, and a removed one stays allowed until the stage update is done (its policy is deleted at
// the end of the run).
func TestInvokeRolePolicies(t *testing.T) {
	t.Parallel()
	endpoints := map[string][]string{
		"dev":  {"posters", "propensity", "ratings", "recommendations"},
		"prod": {"propensity", "ratings", "ratings-canary", "recommendations"},
	}
	for _, stack := range stacks {
		run := runStack(t, stack)
		assertEndpointArns(t, run, endpoints[stack])
		goldenJSON(t, stack+"/iam-api-trust.json", run.Get(tRole, "api-role").Str("assumeRolePolicy"))
	}
}

func TestStage(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		retention float64
		level     string
		rate      float64
		burst     float64
		account   bool
	}{
		"dev":  {7, "INFO", 20, 40, false},
		"prod": {90, "ERROR", 500, 1000, false},
	}
	for _, stack := range stacks {
		w := want[stack]
		run := runStack(t, stack)
		api := run.Get(tRestAPI, "api-rest")
		dep := run.Get(tDeployment, "api-deployment")
		assert.Nil(t, dep.In("stageName"), "never the deprecated Deployment.StageName")
		// The trigger is the document's hash; the deployment names the REST API, so it is created
		// after PutRestApi applied the document.
		assert.Equal(t, restapi.DocumentHash(api.Str("body")), dep.Map("triggers")["document"])
		assert.Equal(t, api.ID, dep.In("restApi"))
		st := run.Get(tStage, "api-stage")
		assert.Equal(t, stack, st.In("stageName"))
		assert.Equal(t, dep.ID, st.In("deployment"))
		assert.Equal(t, api.ID, st.In("restApi"))
		assert.Equal(t, true, st.In("xrayTracingEnabled"))
		maxK := map[string]string{"dev": "100", "prod": "50"}[stack]
		vars := st.Map("variables")
		assert.Equal(t, fmt.Sprintf("ml-rest-api-%s-ratings", stack), vars["ratingsEndpoint"])
		assert.Equal(t, fmt.Sprintf("ml-rest-api-%s-recommendations", stack), vars["recommendationsEndpoint"])
		assert.Equal(t, fmt.Sprintf("ml-rest-api-%s-propensity", stack), vars["propensityEndpoint"])
		assert.Equal(t, "100", vars["maxItems"])
		assert.Equal(t, maxK, vars["maxK"])

		logs := run.Get(tLogGroup, "api-access-logs")
		assert.Equal(t, w.retention, logs.In("retentionInDays"))
		als := st.Map("accessLogSettings")
		assert.Equal(t, logs.Out("arn"), als["destinationArn"])
		var format map[string]string
		require.NoError(t, json.Unmarshal([]byte(als["format"].(string)), &format))
		for field, v := range map[string]string{"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
			"caller": "$context.identity.caller", "apiKeyId": "$context.identity.apiKeyId", "httpMethod": "$context.httpMethod",
			"path": "$context.path", "status": "$context.status", "responseLatency": "$context.responseLatency",
			"integrationLatency": "$context.integration.latency", "errorMessage": "$context.error.message",
			"isCanaryRequest": "$context.isCanaryRequest", "integrationStatus": "$context.integration.status"} {
			assert.Equal(t, v, format[field], field)
		}
		exec := run.Get(tLogGroup, "api-execution-logs")
		assert.Equal(t, fmt.Sprintf("API-Gateway-Execution-Logs_%s/%s", api.ID, stack), exec.In("name"))
		assert.Equal(t, w.retention, exec.In("retentionInDays"))

		ms := run.Get(tMethodSettings, "api-settings")
		assert.Equal(t, "*/*", ms.In("methodPath"))
		assert.Equal(t, stack, ms.In("stageName"))
		want := map[string]any{"metricsEnabled": true, "loggingLevel": w.level, "dataTraceEnabled": false,
			"throttlingRateLimit": w.rate, "throttlingBurstLimit": w.burst}
		if stack == "prod" {
			want["cachingEnabled"] = false // the cache is per route; nothing else is cached
		}
		assert.Equal(t, want, ms.In("settings"))

		assert.Equal(t, w.account, run.Has(tAccount, "api-account"), "the account singleton only where configured")
	}
	// The account singleton, where a stack is configured to own it (the bootstrap does by default).
	owner := runStack(t, "dev", withConfig(func(c map[string]any) { obj(c, "api")["manageAccountCloudWatchRole"] = true }))
	acct := owner.Get(tAccount, "api-account")
	assert.Equal(t, owner.Get(tRole, "api-cloudwatch-role").Out("arn"), acct.In("cloudwatchRoleArn"))
	assert.True(t, owner.Get(tStage, "api-stage").DependsOnRes(acct), "the stage waits for the account setting")
	goldenJSON(t, "dev/iam-api-cloudwatch.json", owner.Get(tRolePolicy, "api-cloudwatch-role-policy").Str("policy"))

	prod := runStack(t, "prod")
	rs := prod.Get(tMethodSettings, "api-settings-recommended-movies")
	// API Gateway takes the resource path with "/" escaped as "~1" (awscontract.MethodSettingsPath).
	assert.Equal(t, "~1recommended-movies~1{user_id}/GET", rs.In("methodPath"))
	assert.Equal(t, 200.0, rs.Map("settings")["throttlingRateLimit"])
	assert.Equal(t, 400.0, rs.Map("settings")["throttlingBurstLimit"])
	assert.Len(t, prod.All(tMethodSettings), 3, "*/*, the recommendations throttle, the cached ratings route")
}

func TestAPIOutputs(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		id := run.Get(tRestAPI, "api-rest").ID
		base := fmt.Sprintf("https://%s.execute-api.eu-west-1.amazonaws.com/%s", id, stack)
		assert.Equal(t, base, run.Output(infra.OutInvokeURL))
		assert.Equal(t, id, run.Output(infra.OutRestAPIID))
		assert.Equal(t, stack, run.Output(infra.OutStageName))
		urls := map[string]any{
			"predicted-ratings":  base + "/predicted-ratings/{user_id}",
			"recommended-movies": base + "/recommended-movies/{user_id}",
			"propensity-scores":  base + "/propensity-scores",
		}
		kinds := map[string]any{"predicted-ratings": "ratings", "recommended-movies": "recommendations", "propensity-scores": "csv"}
		for _, path := range wantBinaryRoutes[stack] {
			urls[path], kinds[path] = base+"/"+path, "binary"
		}
		assert.Equal(t, urls, run.Output(infra.OutRouteURLs))
		assert.Equal(t, kinds, run.Output(infra.OutRouteKinds))
	}
}

// Editing one template changes exactly the document (the RestApi's body), the deployment and
// the stage's deployment id; nothing in the SageMaker tier or elsewhere.
func TestEditingATemplateRedeploysOnlyTheAPI(t *testing.T) {
	t.Parallel()
	edited := fstest.MapFS{}
	names, err := templates.Names()
	require.NoError(t, err)
	for _, n := range names {
		text := tmpl(t, n)
		if n == templates.RatingsResponse {
			text = "## reviewed 2026-11\n" + text
		}
		edited[n] = &fstest.MapFile{Data: []byte(text)}
	}
	for _, stack := range stacks {
		before := runStack(t, stack)
		after := runStack(t, stack, withDeployOptions(infra.WithTemplates(edited)))
		assert.Equal(t, []string{
			tDeployment + "::api-deployment",
			tRestAPI + "::api-rest",
			tStage + "::api-stage",
		}, changedInputs(t, before, after), stack)
		for _, k := range []string{"name", "description", "apiKeySource", "endpointConfiguration", "tags"} {
			assert.Equal(t, before.Get(tRestAPI, "api-rest").In(k), after.Get(tRestAPI, "api-rest").In(k), k)
		}
		// The stage only moves to the new deployment (and its canary with it).
		sb, sa := before.Get(tStage, "api-stage"), after.Get(tStage, "api-stage")
		assert.NotEqual(t, sb.In("deployment"), sa.In("deployment"))
		assert.Equal(t, after.Get(tDeployment, "api-deployment").ID, sa.In("deployment"))
		for _, k := range []string{"variables", "accessLogSettings", "stageName", "xrayTracingEnabled", "tags"} {
			assert.Equal(t, sb.In(k), sa.In(k), k)
		}
		assert.NotEqual(t, before.Get(tDeployment, "api-deployment").Map("triggers")["document"],
			after.Get(tDeployment, "api-deployment").Map("triggers")["document"])
		// Exactly the integration response that uses the template changed in the document.
		changed := []string{}
		b, a := importAPI(t, before), importAPI(t, after)
		for _, x := range b.list {
			if toJSON(t, x.Inputs) != toJSON(t, a.get(x.Type, x.Name)) {
				changed = append(changed, x.Name)
			}
		}
		sort.Strings(changed)
		assert.Equal(t, []string{"GET /predicted-ratings/{user_id} 200"}, changed, stack)
	}
}

// Issue 17, item 1: with the raised quota declared, the integration timeout may exceed 29 s (up
// to SageMaker's 60 s); the document carries it and the AWS contract accepts it.
func TestRaisedIntegrationTimeout(t *testing.T) {
	t.Parallel()
	run := runStack(t, "dev", withConfig(func(c map[string]any) {
		obj(c, "api")["raisedIntegrationTimeoutQuota"] = true
		obj(c, "api")["integrationTimeoutMs"] = 55000
	}))
	doc := importAPI(t, run)
	for _, w := range wantRoutes {
		assert.Equal(t, 55000.0, doc.get(tIntegration, w.method+" "+w.resourcePath)["timeoutMilliseconds"])
	}
	assert.Empty(t, findings(t, run))
}
