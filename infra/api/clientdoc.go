package api

import (
	"fmt"
	"maps"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
)

// The client document: the public API of a stack as plain OpenAPI 3.0 (no AWS extensions),
// for client generators and API catalogues. docs/openapi.<stack>.json is generated from it and
// a test keeps the committed file equal to what the program deploys.

// errorSchema is every error body: fixed JSON with a message (and API Gateway's request id for
// the gateway's own errors).
var errorSchema = map[string]any{
	"type":     "object",
	"required": []any{"message"},
	"properties": map[string]any{
		"message":   map[string]any{"type": "string"},
		"requestId": map[string]any{"type": "string", "description": "API Gateway's request id (gateway errors)"},
	},
}

// clientErrors are the error statuses every route can answer (the README's error table).
var clientErrors = map[string]string{
	"400": "invalid input (a fixed message names the parameter) or a missing required parameter",
	"403": "missing or invalid API key",
	"429": "throttled, or the API key's quota is used up",
	"502": "the model answered with an error or an answer that breaks its contract, or could not be reached",
	"503": "the model is temporarily unavailable; retry with backoff",
	"504": "the model did not answer in time",
}

// ClientDocument is the public API of a stack: paths, parameters with what the templates
// accept, response and error bodies, and the API key scheme. region is the stack's region.
func ClientDocument(cfg Spec, routes []Route, region string) (string, error) {
	paths := map[string]any{}
	schemas := map[string]any{"Error": errorSchema}
	for _, r := range routes {
		kind := kinds[r.Kind]
		schemas[kind.SchemaName] = kind.Schema
		op := map[string]any{
			"operationId": operationID(r.Path),
			"summary":     fmt.Sprintf("%s (route kind %s, model %s)", r.Path, r.Kind, r.Model),
			"responses":   clientResponses(kind),
		}
		var params []any
		for _, p := range r.Parameters {
			if p.In == "header" && strings.EqualFold(p.Name, "Content-Type") {
				continue // OpenAPI describes the content type as the request body's
			}
			params = append(params, clientParameter(cfg, r, p))
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if kind.RequestBody != "" {
			schema := map[string]any{"type": "string"}
			if kind.ContentTypes {
				schema["format"] = "binary"
			}
			content := map[string]any{}
			for _, ct := range r.ContentTypes {
				content[ct] = map[string]any{"schema": schema}
			}
			op["requestBody"] = map[string]any{"required": true, "description": kind.RequestBody, "content": content}
		}
		paths[r.ResourcePath] = map[string]any{strings.ToLower(r.HTTPMethod): op}
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       names.APIName(cfg.Project, cfg.Stack),
			"description": APIDescription(cfg) + ". Every error body is fixed JSON; nothing from the model's errors reaches clients.",
			"version":     cfg.Stack,
		},
		"servers": []any{map[string]any{
			"url":         "https://{restApiId}.execute-api." + region + ".amazonaws.com/" + cfg.StageName,
			"description": "the stack's invokeUrl output",
			"variables":   map[string]any{"restApiId": map[string]any{"default": "restApiId", "description": "the stack's restApiId output"}},
		}},
		"security": []any{map[string]any{apiKeyScheme: []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{apiKeyScheme: map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header",
				"description": "an API key from the stack's apiKeyValues output"}},
			"schemas": schemas,
		},
	}
	out, err := marshalDocument(doc)
	if err != nil {
		return "", err
	}
	return out, nil
}

// clientResponses are a kind's answers: its 200 body, every route's errors and the kind's own,
// with the headers each carries.
func clientResponses(kind Kind) map[string]any {
	responses := map[string]any{"200": map[string]any{
		"description": "the model's answer",
		"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + kind.SchemaName}}},
	}}
	errs := maps.Clone(clientErrors)
	maps.Copy(errs, kind.Errors)
	for code, why := range errs {
		responses[code] = map[string]any{
			"description": why,
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
		}
	}
	for code, resp := range responses {
		headers := map[string]any{}
		if code != "403" && code != "429" && code != "504" { // API Gateway's own errors carry requestId in the body
			headers["X-Request-Id"] = map[string]any{"description": "API Gateway's request id (also the model's inference id)", "schema": map[string]any{"type": "string"}}
		}
		if code == "503" {
			headers["Retry-After"] = map[string]any{"description": "seconds to wait before retrying", "schema": map[string]any{"type": "integer"}}
		}
		if len(headers) > 0 {
			resp.(map[string]any)["headers"] = headers
		}
	}
	return responses
}

// clientParameter describes a parameter with the stack's own limits.
func clientParameter(cfg Spec, r Route, p Parameter) map[string]any {
	schema := map[string]any{"type": "string"}
	if p.Pattern != "" {
		schema["pattern"] = p.Pattern
	}
	if p.MaxLength > 0 {
		schema["maxLength"] = p.MaxLength
	}
	desc := strings.NewReplacer("maxItems", fmt.Sprint(cfg.MaxItems), "maxK", fmt.Sprint(cfg.MaxK)).Replace(p.Description)
	if p.Name == "inference_type" && len(r.InferenceTypes) > 0 {
		var enum []any
		for _, t := range r.InferenceTypes {
			enum = append(enum, t)
		}
		schema["enum"] = enum
		schema["default"] = r.InferenceTypes[0]
	}
	return map[string]any{"name": p.Name, "in": p.In, "required": p.Required, "description": desc, "schema": schema}
}

// operationID is the route path in camel case (predicted-ratings → predictedRatings).
func operationID(path string) string {
	parts := strings.Split(path, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
