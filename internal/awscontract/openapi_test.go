package awscontract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doc is a minimal document with one AWS operation; edit patches it.
func doc(edit func(d string) string) string {
	d := `{"openapi":"3.0.1","info":{"title":"t","version":"1"},
"components":{"securitySchemes":{"api_key":{"type":"apiKey","name":"x-api-key","in":"header"}},"schemas":{"Empty":{"type":"object"}}},
"x-amazon-apigateway-request-validators":{"params":{"validateRequestParameters":true,"validateRequestBody":false}},
"x-amazon-apigateway-gateway-responses":{"THROTTLED":{"statusCode":"429","responseTemplates":{"application/json":"{}"}}},
"paths":{"/scores/{user_id}":{"get":{
 "parameters":[{"name":"user_id","in":"path","required":true,"schema":{"type":"string"}},{"name":"items","in":"query","required":false,"schema":{"type":"string"}}],
 "security":[{"api_key":[]}],"x-amazon-apigateway-request-validator":"params",
 "responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Empty"}}}},"502":{"description":"bad"}},
 "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","passthroughBehavior":"never","timeoutInMillis":5000,
  "uri":"arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/e/invocations","credentials":"arn:aws:iam::123456789012:role/r",
  "responses":{"default":{"statusCode":"200"},"4\\d{2}":{"statusCode":"502"}}}}}}}`
	if edit != nil {
		d = edit(d)
	}
	return d
}

func restAPI(body string) Resource {
	return Resource{Type: tRestAPI, Name: "api", Inputs: map[string]any{"name": "api", "body": body, "putRestApiMode": "overwrite", "failOnWarnings": true}}
}

func TestImport(t *testing.T) {
	objs, err := Import(doc(nil))
	require.NoError(t, err)
	byName := map[string]Resource{}
	for _, o := range objs {
		byName[o.Type+" "+o.Name] = o
	}
	assert.Equal(t, map[string]any{"restApi": importAPI, "parentId": "/", "pathPart": "scores"}, byName[tResource+" /scores"].Inputs)
	assert.Equal(t, "/scores", byName[tResource+" /scores/{user_id}"].Inputs["parentId"])
	m := byName[tMethod+" GET /scores/{user_id}"].Inputs
	assert.Equal(t, true, m["apiKeyRequired"])
	assert.Equal(t, map[string]any{"method.request.path.user_id": true, "method.request.querystring.items": false}, m["requestParameters"])
	assert.Equal(t, "params", m["requestValidatorId"])
	in := byName[tIntegration+" GET /scores/{user_id}"].Inputs
	assert.Equal(t, "AWS", in["type"], "documented lower case, imported as the API's enum")
	assert.Equal(t, "NEVER", in["passthroughBehavior"])
	assert.Equal(t, "POST", in["integrationHttpMethod"])
	assert.Equal(t, 5000.0, in["timeoutMilliseconds"])
	assert.Equal(t, `4\d{2}`, byName[tIntegResponse+" GET /scores/{user_id} 502"].Inputs["selectionPattern"])
	assert.Nil(t, byName[tIntegResponse+" GET /scores/{user_id} 200"].Inputs["selectionPattern"])
	assert.Equal(t, map[string]any{"application/json": "Empty"}, byName[tMethodResp+" GET /scores/{user_id} 200"].Inputs["responseModels"])
	assert.Equal(t, "429", byName[tGatewayResp+" THROTTLED"].Inputs["statusCode"])
	assert.Equal(t, true, byName[tValidator+" params"].Inputs["validateRequestParameters"])
}

func TestImportRefusesWhatItDoesNotUnderstand(t *testing.T) {
	for name, edit := range map[string]func(string) string{
		"unknown document extension": func(d string) string {
			return strings.Replace(d, `"openapi"`, `"x-amazon-apigateway-policy":{},"openapi"`, 1)
		},
		"unknown integration key":       func(d string) string { return strings.Replace(d, `"type":"aws"`, `"type":"aws","tlsConfig":{}`, 1) },
		"undeclared integration status": func(d string) string { return strings.Replace(d, `{"statusCode":"502"}`, `{"statusCode":"504"}`, 1) },
		"undefined model":               func(d string) string { return strings.Replace(d, `schemas/Empty`, `schemas/Nope`, 1) },
		"unknown security scheme":       func(d string) string { return strings.Replace(d, `[{"api_key":[]}]`, `[{"sigv4":[]}]`, 1) },
		"swagger 2.0":                   func(d string) string { return strings.Replace(d, `"openapi":"3.0.1"`, `"swagger":"2.0"`, 1) },
		"cookie parameter":              func(d string) string { return strings.Replace(d, `"in":"query"`, `"in":"cookie"`, 1) },
	} {
		_, err := Import(doc(edit))
		assert.Error(t, err, name)
	}
}

// The document is checked the way the per-object resources were: shapes, enums and rules.
func TestDocumentRule(t *testing.T) {
	ms := models(t)
	assert.Empty(t, CheckOne(ms, restAPI(doc(nil)), nil))
	for name, c := range map[string]struct {
		edit func(string) string
		want string
	}{
		"timeout":      {func(d string) string { return strings.Replace(d, `5000`, `300001`, 1) }, "or up to 300,000 with a raised quota [apigateway-integration-timeout]"},
		"type":         {func(d string) string { return strings.Replace(d, `"type":"aws"`, `"type":"lambda"`, 1) }, "PutIntegrationRequest$type"},
		"path part":    {func(d string) string { return strings.ReplaceAll(d, `/scores/`, `/sc ores/`) }, "[apigateway-path-part]"},
		"gateway type": {func(d string) string { return strings.Replace(d, `"THROTTLED"`, `"SLOW_DOWN"`, 1) }, "PutGatewayResponseRequest$responseType"},
		"uri":          {func(d string) string { return strings.Replace(d, `arn:aws:apigateway:eu-west-1:`, `sagemaker:`, 1) }, "[apigateway-integration-uri]"},
		"not json":     {func(d string) string { return d + "}" }, "not JSON"},
	} {
		var got []string
		for _, f := range CheckOne(ms, restAPI(doc(c.edit)), nil) {
			got = append(got, f.String())
		}
		assert.Contains(t, strings.Join(got, "\n"), c.want, name)
	}
	mode := restAPI(doc(nil))
	mode.Inputs["putRestApiMode"] = "replace"
	assert.NotEmpty(t, CheckOne(ms, mode, nil), "merge or overwrite")
}
