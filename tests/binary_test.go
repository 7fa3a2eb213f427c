package tests

// Issue 17, item 2: the binary route kind. dev's poster-genres route passes image bytes to the
// posters model unchanged; the API's binary media types are exactly the route's; every answer
// is the JSON template's (CONVERT_TO_TEXT), a model 413 (or a serverless "oversize body") is the
// fixed 413, and a Content-Type the route does not take (multipart/form-data above all) the
// fixed 415. The templates are rendered with real binary bodies (a PNG, a JPEG header).

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

const binaryRoute = "poster-genres"

// The document: binary media types, the passthrough integration, the 413 and 415 answers, and
// every answer of every route kept as text.
func TestBinaryRoute(t *testing.T) {
	t.Parallel()
	run := runStack(t, "dev")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(run.Get(tRestAPI, "api-rest").Str("body")), &doc))
	assert.Equal(t, []any{"image/jpeg", "image/png"}, doc["x-amazon-apigateway-binary-media-types"], "exactly the route's types")
	assert.Nil(t, run.Get(tRestAPI, "api-rest").In("binaryMediaTypes"), "the document is the one source (PutRestApi overwrite)")

	api := importAPI(t, run)
	op := "POST /" + binaryRoute
	m := api.get(tMethod, op)
	assert.Equal(t, map[string]any{"method.request.header.Content-Type": true}, m["requestParameters"], "no Content-Type: the validator's 400")
	in := api.get(tIntegration, op)
	assert.Equal(t, "WHEN_NO_TEMPLATES", in["passthroughBehavior"])
	assert.Nil(t, in["requestTemplates"], "no request template: the bytes pass unchanged")
	assert.Nil(t, in["contentHandling"], "no conversion: binary stays binary")
	assert.Equal(t, "method.request.header.Content-Type", in["requestParameters"].(map[string]any)["integration.request.header.Content-Type"], "the model gets the client's type")
	assert.Equal(t, "arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/${stageVariables.postersEndpoint}/invocations", in["uri"])

	want := map[string][2]string{
		"200": {"", templates.BinaryResponse},
		"400": {restapi.SelectModelErrorNot413, templates.BinaryRejected},
		"413": {"413", templates.BinaryTooLarge},
		"503": {transient, templates.BinaryUnavailable},
	}
	for status, w := range want {
		ir := api.get(tIntegrationRes, op+" "+status)
		if w[0] == "" {
			assert.Nil(t, ir["selectionPattern"], status)
		} else {
			assert.Equal(t, w[0], ir["selectionPattern"], status)
		}
		assert.Equal(t, tmpl(t, w[1]), ir["responseTemplates"].(map[string]any)["application/json"], status)
	}
	for _, status := range []string{"200", "400", "413", "415", "502", "503"} {
		assert.True(t, api.has(tMethodRes, op+" "+status), "%s is declared", status)
	}
	// With binary media types, a client's Accept could make API Gateway base64-decode a JSON
	// answer; every integration response of every operation keeps it text.
	for _, x := range api.all(tIntegrationRes) {
		assert.Equal(t, "CONVERT_TO_TEXT", x.Inputs["contentHandling"], x.Name)
	}
	assert.Equal(t, "image/jpeg,image/png", run.Get(tStage, "api-stage").Map("variables")["contentTypes_poster_genres"])
	assert.Empty(t, findings(t, run), "the AWS contract")

	// prod has no binary route: no binary media types, no conversions.
	var prodDoc map[string]any
	prod := runStack(t, "prod")
	require.NoError(t, json.Unmarshal([]byte(prod.Get(tRestAPI, "api-rest").Str("body")), &prodDoc))
	assert.NotContains(t, prodDoc, "x-amazon-apigateway-binary-media-types")
	for _, x := range importAPI(t, prod).all(tIntegrationRes) {
		assert.Nil(t, x.Inputs["contentHandling"], x.Name)
	}
}

// SageMaker's status picks one integration response: 413 its own, 429 with the 5XX, any other
// 4XX the rejected answer; no two patterns match the same status (API Gateway's patterns must
// not overlap).
func TestBinarySelectionPatterns(t *testing.T) {
	t.Parallel()
	routes, _ := stackRoutes(t, "dev")
	op := routes[binaryRoute].DeployedOperation
	for status := 200; status < 600; status++ {
		var matched []string
		for _, ir := range op.Responses {
			if ir.SelectionPattern != "" && regexp.MustCompile(`^(?:`+ir.SelectionPattern+`)$`).MatchString(strconv.Itoa(status)) {
				matched = append(matched, ir.StatusCode)
			}
		}
		require.LessOrEqual(t, len(matched), 1, "status %d matches %v", status, matched)
		want := "" // the default (200) response
		switch {
		case status == 413:
			want = "413"
		case status == 429 || status >= 500:
			want = "503"
		case status >= 400:
			want = "400"
		}
		assert.Equal(t, want, strings.Join(matched, ""), "SageMaker %d", status)
	}
}

// Real binary bodies through the deployed operation and the renderer: what the model receives
// and what the client gets for every answer the model (or SageMaker) can give.
func TestBinaryBodiesThroughTheTemplates(t *testing.T) {
	t.Parallel()
	kind, _ := restapi.LookupKind(restapi.RouteBinary)
	png := kind.Examples(restapi.Limits{})[0]
	require.False(t, utf8.ValidString(png.Body), "the example is real binary (not UTF-8)")
	require.Contains(t, png.Body, "\x00")
	jpeg := "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\t\t\x08\n\x0c\x14\r\x0c\x0b\x0b\x0c\x19\x12\x13\x0f\xff\xd9"
	multipart := kind.Examples(restapi.Limits{})[1]
	answer := `{"predictions":[{"label":"drama","score":0.82},{"label":"comedy","score":0.11}]}`
	modelError := `{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","LogStreamArn":"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/ml-rest-api-dev-posters","Message":"Received client error (400) from primary with message \"cannot identify image file\"","OriginalMessage":"PIL.UnidentifiedImageError: cannot identify image file","OriginalStatusCode":400}`
	ct := func(v string) map[string][]string { return map[string][]string{"Content-Type": {v}} }
	body := func(s string) *string { return &s }
	unsupported := `{"message":"Unsupported Content-Type; send the bytes as one of: image/jpeg,image/png"}`
	tooLarge := `{"message":"The body is larger than the model accepts (6 MB; 4 MB for a serverless model)"}`
	unavailable := `{"message":"The model is temporarily unavailable; retry with backoff"}`
	cases := []struct {
		call
		status int
		want   string
	}{
		{call{name: "png", headers: ct("image/png"), body: body(png.Body), modelStatus: 200, modelBody: answer}, 200, answer},
		{call{name: "jpeg", headers: ct("image/jpeg"), body: body(jpeg), modelStatus: 200, modelBody: answer}, 200, answer},
		{call{name: "http2 header", headers: map[string][]string{"content-type": {"image/png"}}, body: body(png.Body), modelStatus: 200, modelBody: answer}, 200, answer},
		{call{name: "answer array", headers: ct("image/png"), body: body(png.Body), modelStatus: 200, modelBody: "[0.1, 0.9]"}, 200, "[0.1, 0.9]"},
		// The model runs (no request template can refuse a type), but its answer never passes.
		{call{name: "multipart", headers: ct(multipart.ContentType), body: body(multipart.Body), modelStatus: 200, modelBody: answer}, 415, unsupported},
		{call{name: "multipart model 4xx", headers: ct(multipart.ContentType), body: body(multipart.Body), modelStatus: 424, modelBody: modelError}, 415, unsupported},
		{call{name: "json", headers: ct("application/json"), body: body(`{"image":"iVBORw0KGgo="}`), modelStatus: 200, modelBody: answer}, 415, unsupported},
		{call{name: "unlisted type", headers: ct("image/gif"), body: body("GIF89a\x01\x00\x01\x00\x80\x00\x00"), modelStatus: 200, modelBody: answer}, 415, unsupported},
		{call{name: "type with parameters", headers: ct("image/png; charset=binary"), body: body(png.Body), modelStatus: 200, modelBody: answer}, 415, unsupported},
		{call{name: "type in capitals", headers: ct("IMAGE/PNG"), body: body(png.Body), modelStatus: 200, modelBody: answer}, 415, unsupported},
		{call{name: "unlisted type unavailable", headers: ct("image/gif"), body: body("GIF89a"), modelStatus: 503, modelBody: `{"ErrorCode":"ServiceUnavailable"}`}, 415, unsupported},
		// Above the payload limit: a real-time endpoint's 413, a serverless endpoint's 400.
		{call{name: "too large", headers: ct("image/png"), body: body(png.Body), modelStatus: 413, modelBody: `HTTP content length exceeded 6291456 bytes.`}, 413, tooLarge},
		{call{name: "too large serverless", headers: ct("image/png"), body: body(png.Body), modelStatus: 400, modelBody: `{"ErrorCode":"ValidationError","Message":"Request 2f1c0b7e-9d6a-4c1e-8f3b-5a7d9e0c1b2a has oversize body."}`}, 413, tooLarge},
		{call{name: "model rejects", headers: ct("image/png"), body: body(png.Body), modelStatus: 424, modelBody: modelError}, 400, `{"message":"The model rejected the payload; send the bytes of a file the model takes"}`},
		{call{name: "throttled", headers: ct("image/png"), body: body(png.Body), modelStatus: 429, modelBody: `{"message":"ThrottlingException"}`}, 503, unavailable},
		{call{name: "unavailable", headers: ct("image/jpeg"), body: body(jpeg), modelStatus: 500, modelBody: `{"ErrorCode":"InternalFailure","Message":"internal error in ml-rest-api-dev-posters"}`}, 503, unavailable},
		{call{name: "answer not json", headers: ct("image/png"), body: body(png.Body), modelStatus: 200, modelBody: "drama 0.82"}, 502, `{"message":"The model's answer was not JSON"}`},
		{call{name: "answer base64", headers: ct("image/png"), body: body(png.Body), modelStatus: 200, modelBody: "iVBORw0KGgoAAAANSUhEUg=="}, 502, `{"message":"The model's answer was not JSON"}`},
	}
	var calls []call
	for _, c := range cases {
		calls = append(calls, c.call)
	}
	got := runCalls(t, "dev", binaryRoute, calls)
	for _, c := range cases {
		ex := got[c.name]
		assert.Equal(t, *c.body, ex.Payload, "%s: the model receives the client's bytes unchanged", c.name)
		assert.Equal(t, c.status, orOK(ex.ClientStatus), c.name)
		if c.status == 200 {
			assert.Equal(t, c.want+"\n", ex.ClientBody, c.name)
		} else {
			assertJSONEqual(t, c.want, ex.ClientBody, c.name)
		}
		for _, secret := range []string{"LogStream", "PIL", "123456789012", "ml-rest-api-dev", "Original", "2f1c0b7e"} {
			assert.NotContains(t, ex.ClientBody, secret, "%s leaks %s", c.name, secret)
		}
		assert.Equal(t, c.status == 503, ex.Headers["Retry-After"] == "1", "%s: Retry-After on the 503 only", c.name)
	}
}

// orOK is the client's status: a template that sets none answers the integration response's
// (200 for the default).
func orOK(status int) int {
	if status == 0 {
		return 200
	}
	return status
}

// The CSV route keeps its request template: API Gateway itself answers another type 415, before
// the model (passthrough NEVER); the binary route has no template, so nothing is refused there.
func TestRequestBodiesByContentType(t *testing.T) {
	t.Parallel()
	routes, _ := stackRoutes(t, "dev")
	csv := routes["propensity-scores"].DeployedOperation
	tmplCSV, err := csv.RequestTemplateFor("text/csv")
	require.NoError(t, err)
	assert.Equal(t, tmpl(t, templates.CSVRequest), tmplCSV)
	for _, other := range []string{"image/png", "application/json", "multipart/form-data; boundary=x", ""} {
		_, err := csv.RequestTemplateFor(other)
		assert.ErrorIs(t, err, restapi.ErrUnsupportedMediaType, "csv route, %q", other)
	}
	bin := routes[binaryRoute].DeployedOperation
	for _, ct := range []string{"image/png", "image/jpeg", "multipart/form-data; boundary=x", "application/json", ""} {
		got, err := bin.RequestTemplateFor(ct)
		assert.NoError(t, err, ct)
		assert.Empty(t, got, "%q passes unchanged", ct)
	}
	// A template for a binary type, or a conversion, would change the bytes: refused here.
	withTemplate := bin
	withTemplate.RequestTemplates = map[string]string{"image/png": "$input.body"}
	_, err = withTemplate.RequestTemplateFor("image/jpeg")
	assert.ErrorIs(t, err, restapi.ErrUnsupportedMediaType, "WHEN_NO_TEMPLATES with a template refuses the other types")
	converted := bin
	converted.ContentHandling = "CONVERT_TO_TEXT"
	_, err = converted.RequestTemplateFor("image/png")
	assert.Error(t, err)
}

// With a list of CORS origins, every answer of the binary route — 200, 415, 413, 400, 503 —
// echoes an allowed Origin (dev allows any origin; this runs it with a list).
func TestBinaryRouteEchoesAllowedOrigins(t *testing.T) {
	t.Parallel()
	const origin = "https://www.example-tv.com"
	kind, _ := restapi.LookupKind(restapi.RouteBinary)
	png := kind.Examples(restapi.Limits{})[0].Body
	headers := func(ct, o string) map[string][]string {
		return map[string][]string{"Content-Type": {ct}, "Origin": {o}}
	}
	var calls []call
	for _, a := range []struct {
		name, ct string
		status   int
		body     string
	}{
		{"200", "image/png", 200, `{"predictions":[]}`},
		{"415", "multipart/form-data; boundary=x", 200, `{}`},
		{"413", "image/png", 413, `HTTP content length exceeded`},
		{"400", "image/png", 424, `{"OriginalMessage":"x"}`},
		{"503", "image/png", 503, `{}`},
	} {
		calls = append(calls,
			call{name: a.name, headers: headers(a.ct, origin), body: &png, modelStatus: a.status, modelBody: a.body},
			call{name: a.name + " other origin", headers: headers(a.ct, "https://evil.example"), body: &png, modelStatus: a.status, modelBody: a.body})
	}
	got := runCalls(t, "dev", binaryRoute, calls, withConfig(func(c map[string]any) {
		obj(c, "api", "cors")["allowedOrigins"] = []any{origin}
	}))
	for _, c := range calls {
		want := any(nil)
		if !strings.HasSuffix(c.name, "other origin") {
			want = origin
		}
		assert.Equal(t, want, got[c.name].Headers["Access-Control-Allow-Origin"], c.name)
	}
}

// prod with a binary route (to an instance-backed model, whose limit is SageMaker's 6 MB 413):
// the same document rules, the WAF's body-size rule only counting, zero contract findings.
func TestBinaryRouteInProd(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod", withConfig(func(c map[string]any) {
		obj(c, "api")["routes"] = append(obj(c, "api")["routes"].([]any),
			map[string]any{"path": "poster-genres", "kind": "binary", "model": "recommendations", "contentTypes": []any{"image/png"}})
	}))
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(run.Get(tRestAPI, "api-rest").Str("body")), &doc))
	assert.Equal(t, []any{"image/png"}, doc["x-amazon-apigateway-binary-media-types"])
	api := importAPI(t, run)
	assert.Equal(t, "413", api.get(tIntegrationRes, "POST /poster-genres 413")["selectionPattern"])
	for _, x := range api.all(tIntegrationRes) {
		assert.Equal(t, "CONVERT_TO_TEXT", x.Inputs["contentHandling"], x.Name)
	}
	assert.Equal(t, "image/png", run.Get(tStage, "api-stage").Map("variables")["contentTypes_poster_genres"])
	assert.Contains(t, run.Get(tWebACL, "waf-acl").Str("ruleJson"), `"RuleActionOverrides":[{"ActionToUse":{"Count":{}},"Name":"SizeRestrictions_BODY"}]`)
	assert.Empty(t, findings(t, run), "the AWS contract")
}
