package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
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
	paths := map[string]any{}
	for _, r := range routes {
		item := map[string]any{strings.ToLower(r.HTTPMethod): routeOperation(r, roleArn, cors)}
		if cfg.CORS != nil {
			item["options"] = preflightOperation(r, cors, preflightRequest, preflightResponse)
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
	return marshalDocument(doc)
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

// DeployedOperation is one operation as a document deploys it (read through
// awscontract.Import): the request template of the content type the route sends and the
// integration responses. The template tests and the preview command render these, not the
// files, so they render what is deployed.
type DeployedOperation struct {
	RequestTemplate string
	Responses       []IntegrationResponse
}

// DeployedOperations reads every route's operation from the stack's document, imported once
// (awscontract.Import). The integration role's ARN reaches no template, so a placeholder
// stands in for it: the preview, the conformance command and the template tests call this
// before any role exists.
func DeployedOperations(cfg Spec, routes []Route, tmpl fs.FS) (map[string]DeployedOperation, error) {
	doc, err := APIDocument(cfg, routes, tmpl, "arn:aws:iam::111111111111:role/placeholder")
	if err != nil {
		return nil, err
	}
	imported, err := awscontract.Import(doc)
	if err != nil {
		return nil, err
	}
	out := map[string]DeployedOperation{}
	for _, r := range routes {
		op, err := readOperation(imported, r)
		if err != nil {
			return nil, err
		}
		out[r.Path] = op
	}
	return out, nil
}

// readOperation finds the route's operation among the imported objects.
func readOperation(imported []awscontract.Resource, r Route) (DeployedOperation, error) {
	var op DeployedOperation
	found := false
	for _, x := range imported {
		if x.Inputs["httpMethod"] != r.HTTPMethod || x.Inputs["resourceId"] != r.ResourcePath {
			continue
		}
		switch x.Type {
		case awstypes.APIGatewayIntegration:
			found = true
			tmpls, _ := x.Inputs["requestTemplates"].(map[string]any)
			op.RequestTemplate, _ = tmpls[r.ContentType].(string)
		case awstypes.APIGatewayIntegrationResponse:
			ir := IntegrationResponse{StatusCode: x.Inputs["statusCode"].(string)}
			ir.SelectionPattern, _ = x.Inputs["selectionPattern"].(string)
			tmpls, _ := x.Inputs["responseTemplates"].(map[string]any)
			ir.Template, _ = tmpls["application/json"].(string)
			for _, want := range r.IntegrationResponses { // the file it came from, as a label
				if want.SelectionPattern == ir.SelectionPattern {
					ir.TemplateName = want.TemplateName
				}
			}
			op.Responses = append(op.Responses, ir)
		}
	}
	if !found {
		return op, fmt.Errorf("the document has no %s %s", r.HTTPMethod, r.ResourcePath)
	}
	return op, nil
}

// Select picks the integration response API Gateway uses for SageMaker's status: a selection
// pattern must match the whole status code (Java regex, as the AWS examples assume); otherwise
// the default response (no pattern) applies.
func (o DeployedOperation) Select(status int) IntegrationResponse {
	var def IntegrationResponse
	for _, ir := range o.Responses {
		if ir.SelectionPattern == "" {
			def = ir
			continue
		}
		if regexp.MustCompile(`^(?:` + ir.SelectionPattern + `)$`).MatchString(strconv.Itoa(status)) {
			return ir
		}
	}
	return def
}
