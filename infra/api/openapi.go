package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// The REST API is one OpenAPI 3.0 document in RestApi.body, imported by PutRestApi in mode
// overwrite: a route, a CORS preflight or a response removed from the document is removed from
// the API before the Deployment snapshots it (pulumi/pulumi-aws#3289, aws/aws-cdk#14660; F3 in
// the lifecycle analysis). awscontract.Import reads a document the way API Gateway imports it;
// the tests compare that with what the per-route resources used to set.

// OpenAPIVersion is the document's OpenAPI version (API Gateway imports 3.0.x).
const OpenAPIVersion = "3.0.1"

// apiKeyScheme names the API key security scheme: the x-api-key header (API Gateway's
// x-amazon-apigateway-api-key-source HEADER).
const apiKeyScheme = "api_key"

// requestIDHeader returns API Gateway's request id on every answer of a route. Integration
// requests and responses may map context.* ("Parameter mapping source reference for REST APIs",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html);
// gateway responses may not (request parameters or literals only), so their bodies carry it.
const requestIDHeader = "method.response.header.X-Request-Id"

// emptyModel is API Gateway's default response model (a JSON object, not validated).
const emptyModel = "Empty"

// APIDescription is the REST API's description (the document's info.description too, so the
// import never changes it).
func APIDescription(cfg Spec) string {
	return cfg.Project + " (" + cfg.Stack + "): SageMaker models behind mapping templates"
}

// APIDocument is the REST API as an OpenAPI 3.0 document with API Gateway's extensions: one
// operation per route (an AWS integration with SageMaker's runtime, the route's templates,
// parameters, validator and API key), a MOCK preflight per route when CORS is on, the gateway
// responses and the request validator. tmpl holds the templates (templates.Files); roleArn is the integration role. The JSON is
// deterministic (keys sorted, no HTML escaping), so its hash is the deployment trigger.
func APIDocument(cfg Spec, routes []Route, tmpl fs.FS, roleArn string) (string, error) {
	preflightRequest, err := templates.Read(tmpl, templates.PreflightRequest)
	if err != nil {
		return "", err
	}
	preflightResponse, err := templates.Read(tmpl, templates.PreflightResponse)
	if err != nil {
		return "", err
	}
	cors := corsResponseParameters(cfg.CORS)
	binaryTypes := BinaryMediaTypes(routes)
	paths := map[string]any{}
	for _, r := range routes {
		item := map[string]any{strings.ToLower(r.HTTPMethod): routeOperation(r, roleArn, cors)}
		if cfg.CORS != nil {
			item["options"] = preflightOperation(r, cors, preflightRequest, preflightResponse)
		}
		if len(binaryTypes) > 0 {
			answerAsText(item)
		}
		paths[r.ResourcePath] = item
	}
	doc := map[string]any{
		"openapi": OpenAPIVersion,
		"info": map[string]any{
			"title":       names.APIName(cfg.Project, cfg.Stack),
			"description": APIDescription(cfg),
			"version":     cfg.Stack,
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{apiKeyScheme: map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header"}},
			"schemas":         map[string]any{emptyModel: map[string]any{"type": "object", "title": "Empty Schema"}},
		},
		"x-amazon-apigateway-api-key-source": "HEADER",
		"x-amazon-apigateway-request-validators": map[string]any{
			validatorName: map[string]any{"validateRequestParameters": true, "validateRequestBody": false},
		},
		"x-amazon-apigateway-gateway-responses": gatewayResponsesExtension(cfg.CORS),
	}
	if len(binaryTypes) > 0 {
		doc[binaryMediaTypesExtension] = binaryTypes
	}
	return marshalDocument(doc)
}

// binaryMediaTypesExtension sets the REST API's binaryMediaTypes on import. Only the document
// sets them (not RestApi's binaryMediaTypes input): PutRestApi in overwrite mode replaces the
// API's configuration with the document's, so the document stays the one source.
const binaryMediaTypesExtension = "x-amazon-apigateway-binary-media-types"

// answerAsText sets contentHandling CONVERT_TO_TEXT on every integration response of a path's
// operations. With binary media types set, a client whose Accept names one of them would
// otherwise have every JSON answer base64-decoded (and a 500 when that fails): "Text data, a
// binary type [Accept], set with matching media types, contentHandling undefined ->
// Base64-decoded blob"; CONVERT_TO_TEXT gives "UTF8-encoded string" for every text answer
// ("Content type conversions in API Gateway",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html).
func answerAsText(item map[string]any) {
	for _, op := range item {
		integration := op.(map[string]any)["x-amazon-apigateway-integration"].(map[string]any)
		for _, resp := range integration["responses"].(map[string]any) {
			resp.(map[string]any)["contentHandling"] = "CONVERT_TO_TEXT"
		}
	}
}

// marshalDocument writes compact JSON with sorted keys and without HTML escaping (templates
// keep their < > & as written).
func marshalDocument(doc any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// DocumentHash is the deployment trigger: any change to the document redeploys.
func DocumentHash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

// operationParameters declares a route's parameters (only the path's with path: every
// operation of a path must declare its path parameters, OpenAPI 3.0 "Path Templating").
func operationParameters(r Route, pathOnly bool) []any {
	var params []any
	for _, p := range r.Parameters {
		if !pathOnly || p.In == "path" {
			params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required, "schema": map[string]any{"type": "string"}})
		}
	}
	return params
}

func routeOperation(r Route, roleArn string, cors map[string]string) map[string]any {
	params := operationParameters(r, false)
	integration := map[string]any{
		"type":                "aws",
		"httpMethod":          "POST",
		"uri":                 r.IntegrationURI,
		"credentials":         roleArn,
		"passthroughBehavior": "never",
		"requestParameters": map[string]any{
			"integration.request.header.Content-Type": "'" + r.ContentType + "'",
			"integration.request.header.Accept":       "'application/json'",
			// SageMaker's InferenceId: the model's logs and data capture carry API Gateway's
			// request id, which clients get back as X-Request-Id.
			"integration.request.header.X-Amzn-SageMaker-Inference-Id": "context.requestId",
		},
		"requestTemplates": map[string]any{r.ContentType: r.RequestTemplate},
		"timeoutInMillis":  r.TimeoutMs,
		"responses":        integrationResponses(r, cors),
	}
	if r.RequestTemplate == "" {
		// The client's bytes pass unchanged: no request template, passthrough "when there are
		// no templates", no contentHandling ("Binary data, a binary data type, set with
		// matching media types, undefined -> Binary data"; "To have the binary payload passed
		// through without modification, you must enable the passthrough behaviors"), and the
		// client's Content-Type goes with them (the validator requires it).
		integration["passthroughBehavior"] = "when_no_templates"
		integration["requestParameters"].(map[string]any)["integration.request.header.Content-Type"] = "method.request.header.Content-Type"
		delete(integration, "requestTemplates")
	}
	if r.Cached() {
		integration["cacheKeyParameters"] = r.CacheKeyParameters
		integration["cacheNamespace"] = r.Path
	}
	return map[string]any{
		"parameters":                            params,
		"security":                              []any{map[string]any{apiKeyScheme: []any{}}},
		"x-amazon-apigateway-request-validator": validatorName,
		"responses":                             methodResponses(r.MethodStatusCodes(), cors, true),
		"x-amazon-apigateway-integration":       integration,
	}
}

// integrationResponses are keyed by selection pattern ("default" for none).
func integrationResponses(r Route, cors map[string]string) map[string]any {
	out := map[string]any{}
	for _, ir := range r.IntegrationResponses {
		key := ir.SelectionPattern
		if key == "" {
			key = "default"
		}
		params := map[string]string{requestIDHeader: "context.requestId"}
		for k, v := range cors {
			params[k] = v
		}
		out[key] = map[string]any{
			"statusCode":         ir.StatusCode,
			"responseTemplates":  map[string]any{"application/json": ir.Template},
			"responseParameters": params,
		}
	}
	return out
}

// methodResponses declares each status with the Empty model and the headers the integration
// responses (or, for Access-Control-Allow-Origin, the templates) may set.
func methodResponses(codes []string, headers map[string]string, withRequestID bool) map[string]any {
	out := map[string]any{}
	for _, code := range codes {
		resp := map[string]any{
			"description": code + " response",
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + emptyModel}}},
		}
		declared := map[string]any{}
		if headers != nil {
			declared["Access-Control-Allow-Origin"] = map[string]any{"schema": map[string]any{"type": "string"}}
			for k := range headers {
				declared[strings.TrimPrefix(k, "method.response.header.")] = map[string]any{"schema": map[string]any{"type": "string"}}
			}
		}
		if withRequestID {
			declared["X-Request-Id"] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		if code == "503" { // the templates set Retry-After on every 503
			declared["Retry-After"] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		if len(declared) > 0 {
			resp["headers"] = declared
		}
		out[code] = resp
	}
	return out
}

// preflightOperation answers OPTIONS with a MOCK integration (no API key).
func preflightOperation(r Route, cors map[string]string, request, response string) map[string]any {
	params := map[string]string{}
	for k, v := range cors {
		params[k] = v
	}
	params["method.response.header.Access-Control-Allow-Methods"] = "'" + r.HTTPMethod + ",OPTIONS'"
	params["method.response.header.Access-Control-Allow-Headers"] = "'" + corsAllowHeaders + "'"
	params["method.response.header.Access-Control-Max-Age"] = "'" + corsMaxAge + "'"
	op := map[string]any{
		"responses": methodResponses([]string{"200"}, params, false),
		"x-amazon-apigateway-integration": map[string]any{
			"type":                "mock",
			"passthroughBehavior": "never",
			"requestTemplates":    map[string]any{"application/json": request},
			"responses": map[string]any{"default": map[string]any{
				"statusCode":         "200",
				"responseParameters": params,
				"responseTemplates":  map[string]any{"application/json": response},
			}},
		},
	}
	if p := operationParameters(r, true); len(p) > 0 {
		op["parameters"] = p
	}
	return op
}

// corsResponseParameters are the static CORS headers of every response. With "*" the origin
// is a static header; with a list, the response templates echo an allowed Origin.
func corsResponseParameters(c *CORSConfig) map[string]string {
	if c == nil {
		return nil
	}
	if c.AnyOrigin() {
		return map[string]string{"method.response.header.Access-Control-Allow-Origin": "'*'"}
	}
	return map[string]string{"method.response.header.Vary": "'Origin'"}
}

// gatewayResponsesExtension replaces API Gateway's own error bodies with fixed JSON.
func gatewayResponsesExtension(c *CORSConfig) map[string]any {
	var headers map[string]any
	if c != nil {
		if c.AnyOrigin() {
			headers = map[string]any{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
		} else {
			headers = map[string]any{
				"gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
				"gatewayresponse.header.Vary":                        "'Origin'",
			}
		}
	}
	out := map[string]any{}
	for _, g := range GatewayResponses() {
		resp := map[string]any{"responseTemplates": map[string]any{"application/json": g.Body}}
		if g.StatusCode != "" {
			resp["statusCode"] = g.StatusCode
		}
		if headers != nil {
			resp["responseParameters"] = headers
		}
		out[g.Type] = resp
	}
	return out
}
