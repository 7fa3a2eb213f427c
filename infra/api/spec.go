package api

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/templates"
)

// Route is everything that shapes one public route, as plain data. It drives the API Gateway
// resources, the deployment trigger and the template preview, so all three agree.
type Route struct {
	Path  string // first path segment, e.g. predicted-ratings
	Kind  string
	Model string
	// HTTPMethod is GET for ratings/recommendations, POST for csv.
	HTTPMethod string
	// ResourcePath is the full resource path, e.g. /predicted-ratings/{user_id}.
	ResourcePath      string
	RequestParameters map[string]bool
	// IntegrationURI reads the endpoint name from the stage variable <model>Endpoint, so a
	// canary can override it.
	IntegrationURI string
	// ContentType selects the request template and is sent to the model. A route of a kind
	// with ContentTypes (binary) has no request template: the client's bytes and Content-Type
	// pass to the model unchanged, ContentTypes lists what the route takes, ContentType is the
	// first (its examples').
	ContentType          string
	ContentTypes         []string
	RequestTemplateName  string
	RequestTemplate      string
	IntegrationResponses []IntegrationResponse
	TimeoutMs            int
	// CacheKeyParameters are set when the route is cached (api.cache.routes); the cache key is
	// the parameters that shape the answer.
	CacheKeyParameters []string
	// InferenceTypes is the allowlist of a recommendations route (a stage variable).
	InferenceTypes []string
	// Parameters are the route kind's request parameters (RequestParameters derives from them).
	Parameters []Parameter
}

// IntegrationResponse maps SageMaker's status (SelectionPattern, "" = default) to a method
// status with a response template.
type IntegrationResponse struct {
	StatusCode       string
	SelectionPattern string
	TemplateName     string
	Template         string
}

// MethodStatusCodes lists the method response status codes of a route: every integration
// response's, plus 400 (set by the response templates for invalid input).
func (r Route) MethodStatusCodes() []string {
	seen := map[string]bool{"400": true}
	for _, ir := range r.IntegrationResponses {
		seen[ir.StatusCode] = true
	}
	for _, code := range kinds[r.Kind].TemplateStatuses {
		seen[code] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// MethodSettingsPath is the route's key in the stage's method settings: the resource path with
// "/" escaped as "~1", then /METHOD (~1predicted-ratings~1{user_id}/GET); see
// awscontract.MethodSettingsPath for AWS's rule and its sources.
func (r Route) MethodSettingsPath() string {
	return awscontract.MethodSettingsPath(r.ResourcePath, r.HTTPMethod)
}

// UsagePlanPath is the route's key in a usage plan's per-method throttles: the plain resource
// path, then /METHOD (/predicted-ratings/{user_id}/GET); see awscontract.UsagePlanThrottlePath.
func (r Route) UsagePlanPath() string {
	return awscontract.UsagePlanThrottlePath(r.ResourcePath, r.HTTPMethod)
}

// Stage variables read by the templates (besides <model>Endpoint).
const (
	StageVarMaxItems    = "maxItems"
	StageVarMaxK        = "maxK"
	StageVarCORSOrigins = "corsOrigins"
)

// Routes builds the route specifications of a stack, with templates read from tmpl
// (templates.Files in a real run).
func Routes(cfg Spec, p iampolicy.Platform, tmpl fs.FS) ([]Route, error) {
	var out []Route
	for _, rc := range cfg.Routes {
		kind, ok := kinds[rc.Kind]
		if !ok {
			return nil, fmt.Errorf("route %s: unknown kind %q", rc.Path, rc.Kind)
		}
		r := Route{
			Path:           rc.Path,
			Kind:           rc.Kind,
			Model:          rc.Model,
			HTTPMethod:     kind.Method,
			ResourcePath:   "/" + rc.Path,
			ContentType:    kind.ContentType,
			IntegrationURI: fmt.Sprintf("arn:%s:apigateway:%s:runtime.sagemaker:path/endpoints/${stageVariables.%s}/invocations", p.Partition, p.Region, names.StageVariableEndpoint(rc.Model)),
			TimeoutMs:      cfg.IntegrationTimeoutMs,
			Parameters:     slices.Clone(kind.Parameters),
			InferenceTypes: rc.InferenceTypes,
		}
		if kind.UserPath {
			r.ResourcePath += "/{user_id}"
		}
		r.RequestParameters = map[string]bool{}
		for _, prm := range r.Parameters {
			r.RequestParameters[prm.requestParameter()] = prm.Required
		}
		var err error
		switch {
		case kind.ContentTypes && len(rc.ContentTypes) == 0:
			return nil, fmt.Errorf("route %s: a %s route needs contentTypes", rc.Path, rc.Kind)
		case kind.ContentTypes: // no request template: the bytes pass
			r.ContentTypes, r.ContentType = slices.Clone(rc.ContentTypes), rc.ContentTypes[0]
		default:
			if r.RequestTemplateName, r.RequestTemplate, err = named(tmpl, kind.Request); err != nil {
				return nil, err
			}
			r.ContentTypes = []string{kind.ContentType}
		}
		// SageMaker's status selects: 429 (throttled, a serverless endpoint scaling from zero) is
		// transient like a 5XX (503 with Retry-After); any other 4XX is a model error (424, a
		// validation error), and 413 (a body above InvokeEndpoint's limit) its own answer where
		// the kind has one. Integration responses are keyed by status code, so 429 joins the 5XX
		// pattern, and the 4XX pattern leaves it out (patterns must not overlap).
		responses := []IntegrationResponse{
			{StatusCode: "200", SelectionPattern: "", TemplateName: kind.Response},
			{StatusCode: kind.RejectStatus, SelectionPattern: SelectModelError, TemplateName: kind.Rejected},
			{StatusCode: "503", SelectionPattern: SelectTransient, TemplateName: kind.Unavailable},
		}
		if kind.TooLarge != "" {
			responses[1].SelectionPattern = SelectModelErrorNot413
			responses = append(responses, IntegrationResponse{StatusCode: "413", SelectionPattern: SelectTooLarge, TemplateName: kind.TooLarge})
		}
		for _, ir := range responses {
			if _, ir.Template, err = named(tmpl, ir.TemplateName); err != nil {
				return nil, err
			}
			r.IntegrationResponses = append(r.IntegrationResponses, ir)
		}
		if cfg.Cache != nil && slices.Contains(cfg.Cache.Routes, rc.Path) {
			r.CacheKeyParameters = slices.Sorted(maps.Keys(r.RequestParameters))
		}
		out = append(out, r)
	}
	return out, nil
}

// Selection patterns (Java regex, matched against SageMaker's whole status code).
const (
	SelectModelError       = `4(?:[0-1]\d|2[0-8]|[3-9]\d)`
	SelectModelErrorNot413 = `4(?:0\d|1[0-24-9]|2[0-8]|[3-9]\d)`
	SelectTooLarge         = `413`
	SelectTransient        = `429|5\d{2}`
)

// BinaryMediaTypes are the API's binary media types: every route's passed-through media types,
// sorted, each once (API Gateway's binaryMediaTypes are API-wide).
func BinaryMediaTypes(routes []Route) []string {
	var out []string
	for _, r := range routes {
		if kinds[r.Kind].ContentTypes {
			out = append(out, r.ContentTypes...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// NumericItems reports whether the route's items parameter is a list of numeric ids.
func (r Route) NumericItems() bool { return kinds[r.Kind].NumericItems }

// TakesBody reports whether the route's requests carry a body (CSV rows, a file's bytes).
func (r Route) TakesBody() bool { return kinds[r.Kind].RequestBody != "" }

// Cached reports whether the route is served from the stage cache.
func (r Route) Cached() bool { return len(r.CacheKeyParameters) > 0 }

// StageVariableContentTypes names the stage variable holding a binary route's media types.
func StageVariableContentTypes(path string) string { return routeStageVariable("contentTypes_", path) }

// StageVariableInferenceTypes names the stage variable holding a recommendations route's
// allowed inference types.
func StageVariableInferenceTypes(path string) string {
	return routeStageVariable("inferenceTypes_", path)
}

// routeStageVariable names a route's own stage variable: the prefix, then the path with "-"
// as "_" (stage variable names are letters, digits and underscores). The templates derive the
// same name from $context.resourcePath.
func routeStageVariable(prefix, path string) string {
	return prefix + strings.ReplaceAll(path, "-", "_")
}

func named(tmpl fs.FS, name string) (string, string, error) {
	text, err := templates.Read(tmpl, name)
	return name, text, err
}

// StageVariables are the stage's variables: the endpoint per model and the limits the
// templates read. endpointNames maps model → endpoint name.
func StageVariables(cfg Config, endpointNames map[string]string) map[string]string {
	v := map[string]string{
		StageVarMaxItems: strconv.Itoa(cfg.MaxItems),
		StageVarMaxK:     strconv.Itoa(cfg.MaxK),
	}
	// Only a list of origins is a stage variable (the templates echo a listed Origin). "Any
	// origin" is a static '*' header instead: "*" is no value API Gateway accepts for a stage
	// variable, and the templates read a missing variable as "" and echo nothing.
	if c := cfg.CORS; c != nil && !c.AnyOrigin() {
		v[StageVarCORSOrigins] = strings.Join(c.AllowedOrigins, ",")
	}
	for model, name := range endpointNames {
		v[names.StageVariableEndpoint(model)] = name
	}
	for _, r := range cfg.Routes {
		if kinds[r.Kind].InferenceTypes {
			v[StageVariableInferenceTypes(r.Path)] = strings.Join(r.InferenceTypes, ",")
		}
		if kinds[r.Kind].ContentTypes {
			v[StageVariableContentTypes(r.Path)] = strings.Join(r.ContentTypes, ",")
		}
	}
	return v
}

// CheckStageVariables returns every variable API Gateway would refuse (awscontract.StageVariable:
// names of letters, digits and underscores; non-empty values of [A-Za-z0-9-._~:/?#&=,]),
// sorted by name; nil when all are accepted. Stage variables and canary overrides both go
// through it before the stage is registered.
func CheckStageVariables(vars map[string]string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if err := awscontract.StageVariable(k, vars[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// GatewayResponse is a fixed JSON body for one of API Gateway's own error responses.
type GatewayResponse struct {
	Type       string
	StatusCode string
	Body       string
}

// GatewayResponses: no default AWS text reaches clients for these types. Bodies are gateway
// response templates (simple $context substitution, not VTL).
func GatewayResponses() []GatewayResponse {
	const rid = `,"requestId":"$context.requestId"}`
	return []GatewayResponse{
		{"BAD_REQUEST_PARAMETERS", "400", `{"message":$context.error.messageString` + rid},
		{"BAD_REQUEST_BODY", "400", `{"message":"Invalid request body"` + rid},
		{"INVALID_API_KEY", "403", `{"message":"Missing or invalid API key; send it in the x-api-key header"` + rid},
		{"MISSING_AUTHENTICATION_TOKEN", "404", `{"message":"No such route; check the method and path"` + rid},
		{"ACCESS_DENIED", "403", `{"message":"Access denied"` + rid},
		{"THROTTLED", "429", `{"message":"Too many requests; retry with backoff"` + rid},
		{"QUOTA_EXCEEDED", "429", `{"message":"Quota exceeded for this API key"` + rid},
		{"UNSUPPORTED_MEDIA_TYPE", "415", `{"message":"Unsupported Content-Type"` + rid},
		{"REQUEST_TOO_LARGE", "413", `{"message":"Request too large"` + rid},
		{"INTEGRATION_TIMEOUT", "504", `{"message":"The model did not answer in time"` + rid},
		{"INTEGRATION_FAILURE", "502", `{"message":"The model could not be reached"` + rid},
		{"DEFAULT_4XX", "", `{"message":$context.error.messageString` + rid},
		{"DEFAULT_5XX", "", `{"message":"Internal error"` + rid},
	}
}

// validatorName names the request validator (parameters only).
const validatorName = "params"

// CORS headers.
const (
	corsAllowHeaders = "Content-Type,X-Api-Key"
	corsMaxAge       = "600"
)
