package tests

// The project's own templates, rendered through tests/vtl/render exactly as the program
// deploys them (restapi.Routes and restapi.StageVariables of the committed stacks), end to end:
// client request → request template → model payload; model answer → integration response
// selected by SageMaker's status → response template → client status and body.

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// call is one client request to a route plus the model's answer to it.
type call struct {
	name        string
	user        string              // path user_id (GET routes)
	query       map[string][]string // query string
	headers     map[string][]string
	body        *string // request body (CSV routes)
	modelStatus int
	modelBody   string
}

// exchange is what happened to a call.
type exchange struct {
	Payload      string // what the model received
	ClientStatus int
	ClientBody   string
	Headers      map[string]any // response header overrides
}

var platform = iampolicy.Platform{Partition: "aws", Region: "eu-west-1", AccountID: mockAccount}

// deployedRoute is a route and its operation as the stack's document deploys it.
type deployedRoute struct {
	restapi.Route
	restapi.DeployedOperation
}

// stackRoutes returns the routes (with the templates read from the generated document) and the
// stage variables of a stack as the program deploys them.
func stackRoutes(t testing.TB, stack string, opts ...runOpt) (map[string]deployedRoute, map[string]string) {
	t.Helper()
	cfg, err := loadConfig(t, stack, opts...)
	require.NoError(t, err)
	routes, err := restapi.Routes(cfg.APISpec(), platform, templates.Files)
	require.NoError(t, err)
	ops, err := restapi.DeployedOperations(cfg.APISpec(), routes, templates.Files)
	require.NoError(t, err)
	byPath := map[string]deployedRoute{}
	for _, r := range routes {
		byPath[r.Path] = deployedRoute{r, ops[r.Path]}
	}
	return byPath, restapi.StageVariables(cfg.API, cfg.EndpointNames())
}

// runCalls renders every call of a route in one batch.
func runCalls(t *testing.T, stack, path string, calls []call, opts ...runOpt) map[string]exchange {
	t.Helper()
	routes, vars := stackRoutes(t, stack, opts...)
	r, ok := routes[path]
	require.True(t, ok, "no route %s in %s", path, stack)
	var batch []vtlCase
	passed := map[string]string{} // calls whose body API Gateway passes unchanged
	refused := map[string]bool{}  // calls API Gateway answers 415 itself
	for _, c := range calls {
		req := vtlRequest{
			Method: r.HTTPMethod, Resource: r.ResourcePath, Path: "/" + path,
			PathParameters: map[string]string{}, QueryStringParameters: c.query, Headers: c.headers,
			Body: c.body, StageVariables: vars, Context: map[string]any{"stage": stack},
		}
		if req.QueryStringParameters == nil {
			req.QueryStringParameters = map[string][]string{}
		}
		if req.Headers == nil {
			req.Headers = map[string][]string{}
		}
		if strings.Contains(r.ResourcePath, "{user_id}") {
			req.PathParameters["user_id"] = c.user
			req.Path += "/" + c.user
		}
		ir := r.Select(c.modelStatus)
		status, err := strconv.Atoi(ir.StatusCode)
		require.NoError(t, err)
		body := c.modelBody
		// What API Gateway does with the body, read from the deployed operation.
		tmpl, err := r.DeployedOperation.RequestTemplateFor(req.ContentType())
		switch {
		case errors.Is(err, restapi.ErrUnsupportedMediaType):
			refused[c.name] = true
			continue
		case err != nil:
			require.NoError(t, err, c.name)
		case tmpl == "":
			passed[c.name] = *c.body
		default:
			batch = append(batch, vtlCase{ID: c.name + "/request", Template: tmpl, Request: req})
		}
		batch = append(batch, vtlCase{ID: c.name + "/response", Template: ir.Template, Request: req, ResponseBody: &body, ResponseStatus: status})
	}
	res := renderAll(t, batch)
	out := map[string]exchange{}
	for _, c := range calls {
		if refused[c.name] {
			out[c.name] = exchange{ClientStatus: 415}
			continue
		}
		rq, rs := res[c.name+"/request"], res[c.name+"/response"]
		if p, ok := passed[c.name]; ok {
			rq.Output = p
		}
		require.Empty(t, rq.Error, "%s: request template", c.name)
		require.Empty(t, rs.Error, "%s: response template", c.name)
		require.Empty(t, rs.Overrides.Conflicts, "%s: an override was set twice (AWS answers 5XX)", c.name)
		hdr, _ := rs.Overrides.ResponseOverride["header"].(map[string]any)
		out[c.name] = exchange{Payload: rq.Output, ClientStatus: rs.Overrides.Status, ClientBody: rs.Output, Headers: hdr}
	}
	return out
}

func q(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func assertJSONEqual(t *testing.T, want, got, msg string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w), "want")
	require.NoError(t, json.Unmarshal([]byte(got), &g), "%s: not JSON: %q", msg, got)
	assert.Equal(t, w, g, msg)
}

const blogPredictions = `{"predictions":[{"scores":[3.527499437332153]},{"scores":[3.951640844345093]},{"scores":[3.658416271209717]}]}`

// The AWS blog example, both directions, in both stacks.
func TestBlogExample(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		ex := runCalls(t, stack, "predicted-ratings", []call{{
			name: "blog", user: "321", query: q("items", "101,131,162"), modelStatus: 200, modelBody: blogPredictions,
		}})["blog"]
		assertJSONEqual(t, `{"instances":[{"in0":[321],"in1":[101]},{"in0":[321],"in1":[131]},{"in0":[321],"in1":[162]}]}`, ex.Payload, "model payload")
		assert.Equal(t, `{"instances":[{"in0":[321],"in1":[101]},{"in0":[321],"in1":[131]},{"in0":[321],"in1":[162]}]}`+"\n", ex.Payload, "byte-compatible with the blog's JSON")
		assert.Equal(t, 200, ex.ClientStatus)
		assertJSONEqual(t, `{"ratings":[3.527499437332153,3.951640844345093,3.658416271209717]}`, ex.ClientBody, "client body")
	}
}

func TestRatingsLimitsComeFromTheStage(t *testing.T) {
	t.Parallel()
	ids := func(n int) string {
		var l []string
		for i := 1; i <= n; i++ {
			l = append(l, strconv.Itoa(i))
		}
		return strings.Join(l, ",")
	}
	preds := func(n int) string {
		var l []string
		for i := 0; i < n; i++ {
			l = append(l, `{"scores":[4.0]}`)
		}
		return `{"predictions":[` + strings.Join(l, ",") + `]}`
	}
	ex := runCalls(t, "dev", "predicted-ratings", []call{
		{name: "max", user: "0", query: q("items", ids(100)), modelStatus: 200, modelBody: preds(100)},
		{name: "over", user: "0", query: q("items", ids(101)), modelStatus: 200, modelBody: `{"predictions":[]}`},
		{name: "short", user: "7", query: q("items", "1,2"), modelStatus: 200, modelBody: preds(1)},
		{name: "no-predictions", user: "7", query: q("items", "1"), modelStatus: 200, modelBody: `{"outputs":[1]}`},
		{name: "order", user: "7", query: q("items", "3,1,2"), modelStatus: 200, modelBody: `{"predictions":[{"scores":[0.3]},{"scores":[0.1]},{"scores":[0.2]}]}`},
	})
	var payload struct{ Instances []map[string][]int }
	require.NoError(t, json.Unmarshal([]byte(ex["max"].Payload), &payload))
	assert.Len(t, payload.Instances, 100)
	assert.Equal(t, 200, ex["max"].ClientStatus)
	assert.Equal(t, `{"instances":[]}`+"\n", ex["over"].Payload)
	assert.Equal(t, 400, ex["over"].ClientStatus)
	assertJSONEqual(t, `{"message":"items must be 1-100 comma-separated numeric ids"}`, ex["over"].ClientBody, "over")
	assert.Equal(t, 502, ex["short"].ClientStatus, "one score per item or a 502")
	assertJSONEqual(t, `{"message":"The model could not score this request"}`, ex["short"].ClientBody, "short")
	assert.Equal(t, 502, ex["no-predictions"].ClientStatus)
	assertJSONEqual(t, `{"ratings":[0.3,0.1,0.2]}`, ex["order"].ClientBody, "ratings follow the model's order, which follows items")
}

const recsModel = `{"predictions":[{"movie_ids":["m1","m2","m3"],"scores":[0.91,0.5,0.25]}]}`

func TestRecommendations(t *testing.T) {
	t.Parallel()
	types := []string{"deterministic", "stochastic_plackett_luce", "stochastic_plackett_luce_cached", "stochastic_gumbel_softmax_trick", "stochastic_epsilon_greedy"}
	var calls []call
	for _, ty := range types {
		calls = append(calls, call{name: ty, user: "U:114521", query: q("k", "3", "inference_type", ty), modelStatus: 200, modelBody: recsModel})
	}
	calls = append(calls,
		call{name: "defaults", user: "U:114521", modelStatus: 200, modelBody: recsModel},
		call{name: "k=1", user: "42", query: q("k", "1"), modelStatus: 200, modelBody: `{"predictions":[{"movie_ids":[7],"scores":[1]}]}`},
		call{name: "k=max", user: "a.b_c-d", query: q("k", "50"), modelStatus: 200, modelBody: recsModel},
		call{name: "k=max+1", user: "a", query: q("k", "51"), modelStatus: 200, modelBody: recsModel},
		call{name: "more-than-k", user: "a", query: q("k", "2"), modelStatus: 200, modelBody: recsModel},
		call{name: "mismatched", user: "a", modelStatus: 200, modelBody: `{"predictions":[{"movie_ids":["m1","m2"],"scores":[0.9]}]}`},
		call{name: "odd-ids", user: "a", modelStatus: 200, modelBody: `{"predictions":[{"movie_ids":["x\"y","it's","ü/\\",7],"scores":[1,0.5,2,3]}]}`},
	)
	ex := runCalls(t, "prod", "recommended-movies", calls)
	for _, ty := range types {
		assertJSONEqual(t, `{"instances":[{"user_id":"U:114521","k":3,"inference_type":"`+ty+`"}]}`, ex[ty].Payload, ty)
		assert.Equal(t, 200, ex[ty].ClientStatus, ty)
		assertJSONEqual(t, `{"user_id":"U:114521","inference_type":"`+ty+`","movies":[{"id":"m1","score":0.91},{"id":"m2","score":0.5},{"id":"m3","score":0.25}]}`, ex[ty].ClientBody, ty)
	}
	assertJSONEqual(t, `{"instances":[{"user_id":"U:114521","k":10,"inference_type":"deterministic"}]}`, ex["defaults"].Payload, "k defaults to 10, inference_type to deterministic")
	assertJSONEqual(t, `{"user_id":"42","inference_type":"deterministic","movies":[{"id":"7","score":1}]}`, ex["k=1"].ClientBody, "k=1")
	assertJSONEqual(t, `{"instances":[{"user_id":"a.b_c-d","k":50,"inference_type":"deterministic"}]}`, ex["k=max"].Payload, "prod maxK is 50")
	assert.Equal(t, 400, ex["k=max+1"].ClientStatus)
	assertJSONEqual(t, `{"message":"k must be a whole number from 1 to 50"}`, ex["k=max+1"].ClientBody, "k over max")
	assert.Equal(t, 502, ex["more-than-k"].ClientStatus, "at most k movies")
	assert.Equal(t, 502, ex["mismatched"].ClientStatus, "one score per movie")
	assert.Equal(t, 200, ex["odd-ids"].ClientStatus)
	assertJSONEqual(t, `{"user_id":"a","inference_type":"deterministic","movies":[{"id":"x\"y","score":1},{"id":"it's","score":0.5},{"id":"ü/\\","score":2},{"id":"7","score":3}]}`, ex["odd-ids"].ClientBody, "ids are escaped JSON strings")
}

// malicious is the table of hostile or malformed requests. Each must end as a 400 with the
// fixed message, and the raw value must never reach the model.
var maliciousRatings = []struct {
	name, user string
	query      map[string][]string
	headers    map[string][]string
	message    string
}{
	{"items structure injection", "321", q("items", `1]},{"in0":[999],"in1":[2`), nil, msgItems},
	{"user_id structure injection", `321]},{"in0":[999`, q("items", "101"), nil, msgUser},
	{"items JSON object", "321", q("items", `{"a":1}`), nil, msgItems},
	{"over-long list", "321", q("items", strings.Repeat("1,", 100)+"1"), nil, msgItems},
	{"very long list", "321", q("items", strings.Repeat("123456789,", 2000)+"1"), nil, msgItems},
	{"empty items", "321", q("items", ""), nil, msgItems},
	{"items missing", "321", nil, nil, msgItems},
	{"header named items, no query", "321", nil, map[string][]string{"items": {"101,131"}}, msgItems},
	{"repeated items, last one hostile", "321", q("items", "101", "items", `1],"in0":[9`), nil, msgItems},
	{"non-numeric item", "321", q("items", "abc"), nil, msgItems},
	{"leading zero", "321", q("items", "0101"), nil, msgItems},
	{"ten digits", "321", q("items", "1234567890"), nil, msgItems},
	{"negative", "321", q("items", "-5"), nil, msgItems},
	{"decimal", "321", q("items", "1.5"), nil, msgItems},
	{"exponent", "321", q("items", "1e5"), nil, msgItems},
	{"unicode digits", "321", q("items", "١٢٣"), nil, msgItems},
	{"fullwidth digits", "321", q("items", "１２３"), nil, msgItems},
	{"quotes", "321", q("items", `"101"`), nil, msgItems},
	{"trailing comma", "321", q("items", "101,"), nil, msgItems},
	{"double comma", "321", q("items", "101,,131"), nil, msgItems},
	{"spaces", "321", q("items", "101, 131"), nil, msgItems},
	{"newline", "321", q("items", "101\n131"), nil, msgItems},
	{"VTL in items", "321", q("items", "$context.requestId"), nil, msgItems},
	{"empty user", "", q("items", "101"), nil, msgUser},
	{"alphanumeric user on ratings", "U:114521", q("items", "101"), nil, msgUser},
	{"user with leading zero", "0321", q("items", "101"), nil, msgUser},
	{"user with quote", `3"21`, q("items", "101"), nil, msgUser},
}

const (
	msgItems   = `{"message":"items must be 1-100 comma-separated numeric ids"}`
	msgUser    = `{"message":"user_id must be a numeric id (at most 9 digits, no leading zeros)"}`
	msgRecUser = `{"message":"user_id must be 1-64 letters, digits or : _ . - starting with a letter or digit"}`
	msgK       = `{"message":"k must be a whole number from 1 to 100"}`
	msgType    = `{"message":"inference_type must be one of deterministic, stochastic_plackett_luce, stochastic_plackett_luce_cached, stochastic_gumbel_softmax_trick, stochastic_epsilon_greedy"}`
)

var maliciousRecommendations = []struct {
	name, user string
	query      map[string][]string
	message    string
}{
	{"k injection", "U:1", q("k", `10,"inference_type":"x`), msgK},
	{"k zero", "U:1", q("k", "0"), msgK},
	{"k over max", "U:1", q("k", "101"), msgK},
	{"k huge", "U:1", q("k", "99999999999999999999"), msgK},
	{"k leading zero", "U:1", q("k", "010"), msgK},
	{"k negative", "U:1", q("k", "-1"), msgK},
	{"k empty", "U:1", q("k", ""), msgK},
	{"k decimal", "U:1", q("k", "2.5"), msgK},
	{"inference_type injection", "U:1", q("inference_type", `deterministic","k":100000,"x":"`), msgType},
	{"inference_type unknown", "U:1", q("inference_type", "greedy"), msgType},
	{"inference_type case", "U:1", q("inference_type", "Deterministic"), msgType},
	{"inference_type empty", "U:1", q("inference_type", ""), msgType},
	{"user quote injection", `U"1","k":9999,"x":"`, nil, msgRecUser},
	{"user unicode", "Ü:1", nil, msgRecUser},
	{"user too long", strings.Repeat("a", 65), nil, msgRecUser},
	{"user space", "a b", nil, msgRecUser},
	{"user backslash", `a\b`, nil, msgRecUser},
	{"user starting with colon", ":1", nil, msgRecUser},
	{"user VTL", "$util", nil, msgRecUser},
}

// sentinel is the only payload invalid input may produce.
const sentinel = `{"instances":[]}` + "\n"

// modelAnswersToSentinel: what a model may answer to an empty instance list; the client must
// get the same 400 whichever it is.
var modelAnswersToSentinel = []struct {
	status int
	body   string
}{
	{200, `{"predictions":[]}`},
	{424, `{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","LogStreamArn":"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/ml-rest-api-dev-ratings","Message":"Received client error (400) from model","OriginalMessage":"empty instances","OriginalStatusCode":400}`},
	{400, `{"message":"Validation error"}`},
}

func TestMaliciousInputsEndAs400WithoutReachingTheModel(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(maliciousRatings)+len(maliciousRecommendations), 20)
	var ratingCalls, recCalls []call
	for _, m := range maliciousRatings {
		for _, a := range modelAnswersToSentinel {
			ratingCalls = append(ratingCalls, call{name: fmt.Sprintf("%s@%d", m.name, a.status), user: m.user, query: m.query, headers: m.headers, modelStatus: a.status, modelBody: a.body})
		}
	}
	for _, m := range maliciousRecommendations {
		for _, a := range modelAnswersToSentinel {
			recCalls = append(recCalls, call{name: fmt.Sprintf("%s@%d", m.name, a.status), user: m.user, query: m.query, modelStatus: a.status, modelBody: a.body})
		}
	}
	ratings := runCalls(t, "dev", "predicted-ratings", ratingCalls)
	recs := runCalls(t, "dev", "recommended-movies", recCalls)
	check := func(name, message string, raw []string, ex exchange) {
		assert.Equal(t, sentinel, ex.Payload, "%s: invalid input sends only the empty instance list", name)
		for _, r := range raw {
			if len(r) > 2 {
				assert.NotContains(t, ex.Payload, r, "%s: raw input reached the model", name)
			}
		}
		assert.Equal(t, 400, ex.ClientStatus, name)
		assertJSONEqual(t, message, ex.ClientBody, name)
		assert.NotContains(t, ex.ClientBody, "LogStream", name)
	}
	for _, m := range maliciousRatings {
		raw := []string{m.user}
		for _, vs := range m.query {
			raw = append(raw, vs...)
		}
		for _, a := range modelAnswersToSentinel {
			n := fmt.Sprintf("%s@%d", m.name, a.status)
			check(n, m.message, raw, ratings[n])
		}
	}
	for _, m := range maliciousRecommendations {
		raw := []string{m.user}
		for _, vs := range m.query {
			raw = append(raw, vs...)
		}
		for _, a := range modelAnswersToSentinel {
			n := fmt.Sprintf("%s@%d", m.name, a.status)
			check(n, m.message, raw, recs[n])
		}
	}
}

// Model errors never leak: internals (OriginalMessage, LogStreamArn, account, endpoint name)
// are replaced by fixed bodies.
func TestModelErrorsAreFixedBodies(t *testing.T) {
	t.Parallel()
	modelError := `{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","LogStreamArn":"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/ml-rest-api-prod-ratings","Message":"Received client error (400) from primary with message \"Traceback: KeyError in0\"","OriginalMessage":"Traceback: KeyError in0","OriginalStatusCode":400}`
	answers := []struct {
		status     int
		body       string
		wantStatus int
		want       string
	}{
		{424, modelError, 502, `{"message":"The model could not score this request"}`},
		{400, `{"ErrorCode":"ValidationError","Message":"Endpoint ml-rest-api-prod-ratings of account 123456789012 not found."}`, 502, `{"message":"The model could not score this request"}`},
		// 429: throttled or a serverless endpoint scaling from zero — transient, like a 5XX.
		{429, `{"message":"ThrottlingException"}`, 503, `{"message":"The model is temporarily unavailable; retry with backoff"}`},
		{500, `{"ErrorCode":"InternalFailure","Message":"internal error in ml-rest-api-prod-ratings"}`, 503, `{"message":"The model is temporarily unavailable; retry with backoff"}`},
		{503, `{"ErrorCode":"ServiceUnavailable"}`, 503, `{"message":"The model is temporarily unavailable; retry with backoff"}`},
	}
	var ratingCalls, recCalls, csvCalls []call
	csv := "1,0.5,3\n2,0.1,4\n"
	for _, a := range answers {
		n := strconv.Itoa(a.status)
		ratingCalls = append(ratingCalls, call{name: n, user: "321", query: q("items", "101"), modelStatus: a.status, modelBody: a.body})
		recCalls = append(recCalls, call{name: n, user: "U:1", modelStatus: a.status, modelBody: a.body})
		csvCalls = append(csvCalls, call{name: n, body: &csv, headers: map[string][]string{"Content-Type": {"text/csv"}}, modelStatus: a.status, modelBody: a.body})
	}
	ratings := runCalls(t, "prod", "predicted-ratings", ratingCalls)
	recs := runCalls(t, "prod", "recommended-movies", recCalls)
	csvs := runCalls(t, "prod", "propensity-scores", csvCalls)
	for _, a := range answers {
		n := strconv.Itoa(a.status)
		for route, ex := range map[string]exchange{"ratings": ratings[n], "recommendations": recs[n], "csv": csvs[n]} {
			for _, secret := range []string{"LogStream", "Traceback", "123456789012", "ml-rest-api-prod", "Original", "arn:"} {
				assert.NotContains(t, ex.ClientBody, secret, "%s %d leaks %s", route, a.status, secret)
			}
			var v map[string]any
			assert.NoError(t, json.Unmarshal([]byte(ex.ClientBody), &v), "%s %d: %q", route, a.status, ex.ClientBody)
		}
		assert.Equal(t, a.wantStatus, ratings[n].ClientStatus, n)
		assertJSONEqual(t, a.want, ratings[n].ClientBody, n)
		if a.wantStatus == 502 {
			assert.Equal(t, 502, recs[n].ClientStatus, n)
			assertJSONEqual(t, `{"message":"The model could not rank movies for this request"}`, recs[n].ClientBody, n)
			assert.Equal(t, 400, csvs[n].ClientStatus, n)
			assertJSONEqual(t, `{"message":"The model rejected the CSV payload; send rows in the column order the model expects"}`, csvs[n].ClientBody, n)
		} else {
			assert.Equal(t, 503, recs[n].ClientStatus, n)
			assert.Equal(t, 503, csvs[n].ClientStatus, n)
			for route, ex := range map[string]exchange{"ratings": ratings[n], "recommendations": recs[n], "csv": csvs[n]} {
				assert.Equal(t, "1", ex.Headers["Retry-After"], "%s %d: a 503 says when to retry", route, a.status)
			}
		}
	}
}

func TestCSVRouteForwardsTheBodyUnchanged(t *testing.T) {
	t.Parallel()
	csv := "34,0.5,1,0\n27,0.25,0,1\n"
	ex := runCalls(t, "dev", "propensity-scores", []call{{
		name: "rows", body: &csv, headers: map[string][]string{"Content-Type": {"text/csv"}},
		modelStatus: 200, modelBody: `{"predictions":[{"score":0.81,"predicted_label":1},{"score":0.12,"predicted_label":0}]}`,
	}})["rows"]
	assert.Equal(t, csv, ex.Payload, "the CSV body reaches the model byte for byte")
	assert.Equal(t, 200, ex.ClientStatus)
	assert.Equal(t, `{"predictions":[{"score":0.81,"predicted_label":1},{"score":0.12,"predicted_label":0}]}`+"\n", ex.ClientBody)
}

func TestCORSOriginEcho(t *testing.T) {
	t.Parallel()
	origin := func(o string) map[string][]string { return map[string][]string{"Origin": {o}} }
	ex := runCalls(t, "prod", "predicted-ratings", []call{
		{name: "allowed", user: "1", query: q("items", "2"), headers: origin("https://partners.example-tv.com"), modelStatus: 200, modelBody: `{"predictions":[{"scores":[1.5]}]}`},
		{name: "other", user: "1", query: q("items", "2"), headers: origin("https://evil.example"), modelStatus: 200, modelBody: `{"predictions":[{"scores":[1.5]}]}`},
		{name: "suffix trick", user: "1", query: q("items", "2"), headers: origin("https://www.example-tv.com,https://evil.example"), modelStatus: 200, modelBody: `{"predictions":[{"scores":[1.5]}]}`},
		{name: "allowed-error", user: "x", query: q("items", "2"), headers: origin("https://www.example-tv.com"), modelStatus: 200, modelBody: `{"predictions":[]}`},
		// HTTP/2 clients send lower-case header names.
		{name: "lower-case header", user: "1", query: q("items", "2"), headers: map[string][]string{"origin": {"https://www.example-tv.com"}}, modelStatus: 200, modelBody: `{"predictions":[{"scores":[1.5]}]}`},
		{name: "lower-case header, 503", user: "1", query: q("items", "2"), headers: map[string][]string{"origin": {"https://www.example-tv.com"}}, modelStatus: 503, modelBody: `{}`},
	})
	lookalikes := []string{"https://www.example-tv.com.evil.io", "https://www.example-tv.com:443", "null", "HTTPS://WWW.EXAMPLE-TV.COM",
		"https://evilwww.example-tv.com", "http://www.example-tv.com", "https://www.example-tv.com/", " https://www.example-tv.com"}
	var calls []call
	for _, o := range lookalikes {
		calls = append(calls, call{name: o, user: "1", query: q("items", "2"), headers: origin(o), modelStatus: 200, modelBody: `{"predictions":[{"scores":[1.5]}]}`})
	}
	looks := runCalls(t, "prod", "predicted-ratings", calls)
	for _, o := range lookalikes {
		assert.Empty(t, looks[o].Headers["Access-Control-Allow-Origin"], "%q is not an allowed origin", o)
	}
	for _, n := range []string{"lower-case header", "lower-case header, 503"} {
		assert.Equal(t, "https://www.example-tv.com", ex[n].Headers["Access-Control-Allow-Origin"], n)
	}
	assert.Equal(t, map[string]any{"Access-Control-Allow-Origin": "https://partners.example-tv.com"}, ex["allowed"].Headers)
	assert.Empty(t, ex["other"].Headers)
	assert.Empty(t, ex["suffix trick"].Headers)
	assert.Equal(t, 400, ex["allowed-error"].ClientStatus)
	assert.Equal(t, map[string]any{"Access-Control-Allow-Origin": "https://www.example-tv.com"}, ex["allowed-error"].Headers, "errors carry the header too")

	dev := runCalls(t, "dev", "predicted-ratings", []call{
		{name: "any", user: "1", query: q("items", "2"), headers: origin("https://x.example"), modelStatus: 200, modelBody: `{"predictions":[{"scores":[1.5]}]}`},
	})
	assert.Empty(t, dev["any"].Headers, `with "*" the header is a static response parameter, not an override`)
}

// Golden transcripts per route: request → payload, model answer → client, reviewed as diffs.
func TestTemplateGoldenTranscripts(t *testing.T) {
	t.Parallel()
	csv := "34,0.5,1,0\n"
	sets := map[string][]call{
		"predicted-ratings": {
			{name: "01-blog", user: "321", query: q("items", "101,131,162"), modelStatus: 200, modelBody: blogPredictions},
			{name: "02-injection", user: "321", query: q("items", `1]},{"in0":[999],"in1":[2`), modelStatus: 200, modelBody: `{"predictions":[]}`},
			{name: "03-model-error", user: "321", query: q("items", "101"), modelStatus: 424, modelBody: `{"OriginalMessage":"boom","LogStreamArn":"arn:aws:logs:x"}`},
			{name: "04-unavailable", user: "321", query: q("items", "101"), modelStatus: 503, modelBody: `{}`},
		},
		"recommended-movies": {
			{name: "01-defaults", user: "U:114521", modelStatus: 200, modelBody: recsModel},
			{name: "02-stochastic", user: "U:114521", query: q("k", "2", "inference_type", "stochastic_epsilon_greedy"), modelStatus: 200, modelBody: `{"predictions":[{"movie_ids":["m9","m4"],"scores":[0.7,0.6]}]}`},
			{name: "03-bad-k", user: "U:114521", query: q("k", "0"), modelStatus: 200, modelBody: `{"predictions":[]}`},
		},
		"propensity-scores": {
			{name: "01-rows", body: &csv, headers: map[string][]string{"Content-Type": {"text/csv"}}, modelStatus: 200, modelBody: `{"predictions":[{"score":0.81}]}`},
			{name: "02-rejected", body: &csv, headers: map[string][]string{"Content-Type": {"text/csv"}}, modelStatus: 424, modelBody: `{"OriginalMessage":"bad row"}`},
		},
	}
	for route, calls := range sets {
		ex := runCalls(t, "dev", route, calls)
		var names []string
		for n := range ex {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, n := range names {
			var c call
			for _, x := range calls {
				if x.name == n {
					c = x
				}
			}
			fmt.Fprintf(&b, "=== %s\n--- request: user_id=%q query=%v\n--- model receives:\n%s\n--- model answers %d:\n%s\n--- client gets %d:\n%s\n",
				n, c.user, c.query, strings.TrimSuffix(ex[n].Payload, "\n"), c.modelStatus, c.modelBody, ex[n].ClientStatus, strings.TrimSuffix(ex[n].ClientBody, "\n"))
		}
		goldenFile(t, "templates/"+route+".txt", []byte(b.String()))
	}
}

// A recommendations route serves only its configured inference types (stage variable
// inferenceTypes_<path>, read through $context.resourcePath).
func TestInferenceTypeAllowlistPerRoute(t *testing.T) {
	t.Parallel()
	deterministicOnly := withConfig(func(c map[string]any) {
		obj(c, "api", "routes", 1)["inferenceTypes"] = []any{"deterministic"}
	})
	ex := runCalls(t, "dev", "recommended-movies", []call{
		{name: "allowed", user: "U:1", query: q("inference_type", "deterministic"), modelStatus: 200, modelBody: recsModel},
		{name: "default", user: "U:1", modelStatus: 200, modelBody: recsModel},
		{name: "refused", user: "U:1", query: q("inference_type", "stochastic_epsilon_greedy"), modelStatus: 200, modelBody: `{"predictions":[]}`},
		{name: "comma trick", user: "U:1", query: q("inference_type", "deterministic,stochastic_epsilon_greedy"), modelStatus: 200, modelBody: `{"predictions":[]}`},
	}, deterministicOnly)
	assert.Equal(t, 200, ex["allowed"].ClientStatus)
	assert.Equal(t, 200, ex["default"].ClientStatus)
	for _, n := range []string{"refused", "comma trick"} {
		assert.Equal(t, sentinel, ex[n].Payload, n)
		assert.Equal(t, 400, ex[n].ClientStatus, n)
		assertJSONEqual(t, `{"message":"inference_type must be one of deterministic"}`, ex[n].ClientBody, n)
	}

	// A route that does not serve deterministic: a request without inference_type gets the
	// route's first allowed type (it was a 400, though README calls the parameter optional).
	stochasticOnly := withConfig(func(c map[string]any) {
		obj(c, "api", "routes", 1)["inferenceTypes"] = []any{"stochastic_plackett_luce", "stochastic_gumbel_softmax_trick"}
	})
	ex = runCalls(t, "dev", "recommended-movies", []call{
		{name: "default", user: "U:1", modelStatus: 200, modelBody: recsModel},
		{name: "deterministic", user: "U:1", query: q("inference_type", "deterministic"), modelStatus: 200, modelBody: `{"predictions":[]}`},
	}, stochasticOnly)
	assert.Equal(t, `{"instances":[{"user_id":"U:1","k":10,"inference_type":"stochastic_plackett_luce"}]}`+"\n", ex["default"].Payload)
	assert.Equal(t, 200, ex["default"].ClientStatus)
	assert.Contains(t, ex["default"].ClientBody, `"inference_type":"stochastic_plackett_luce"`)
	assert.Equal(t, 400, ex["deterministic"].ClientStatus)
}
