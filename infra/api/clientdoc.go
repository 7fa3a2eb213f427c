package api

import (
	"fmt"
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

// kindSchemas are the 200 bodies per route kind, as the response templates write them.
var kindSchemas = map[string]map[string]any{
	RouteRatings: {
		"type": "object", "required": []any{"ratings"},
		"properties": map[string]any{"ratings": map[string]any{
			"type": "array", "items": map[string]any{"type": "number"},
			"description": "one predicted rating per item, in the order of items",
		}},
	},
	RouteRecommendations: {
		"type": "object", "required": []any{"user_id", "inference_type", "movies"},
		"properties": map[string]any{
			"user_id":        map[string]any{"type": "string"},
			"inference_type": map[string]any{"type": "string"},
			"movies": map[string]any{"type": "array", "description": "at most k movies, best first", "items": map[string]any{
				"type": "object", "required": []any{"id", "score"},
				"properties": map[string]any{"id": map[string]any{"type": "string"}, "score": map[string]any{"type": "number"}},
			}},
		},
	},
	RouteCSV: {"description": "the model's JSON answer, unchanged"},
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
		schemaName := clientSchemaName(r.Kind)
		schemas[schemaName] = kindSchemas[r.Kind]
		responses := map[string]any{"200": map[string]any{
			"description": "the model's answer",
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + schemaName}}},
		}}
		errs := clientErrors
		if r.Kind == RouteCSV {
			errs = withCSVErrors()
		}
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
		op := map[string]any{
			"operationId": operationID(r.Path),
			"summary":     fmt.Sprintf("%s (route kind %s, model %s)", r.Path, r.Kind, r.Model),
			"responses":   responses,
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
		if r.Kind == RouteCSV {
			op["requestBody"] = map[string]any{
				"required":    true,
				"description": "CSV rows in the column order the model expects, forwarded unchanged",
				"content":     map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}},
			}
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

func withCSVErrors() map[string]string {
	out := map[string]string{}
	for k, v := range clientErrors {
		out[k] = v
	}
	out["400"] = "the model rejected the CSV rows, or Content-Type is missing"
	out["413"] = "request too large"
	out["415"] = "Content-Type is not text/csv"
	return out
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

// clientSchemaName names a route kind's 200 body (Ratings, Recommendations, CSVAnswer).
func clientSchemaName(kind string) string {
	switch kind {
	case RouteCSV:
		return "CSVAnswer"
	default:
		return strings.ToUpper(kind[:1]) + kind[1:]
	}
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
