package api

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/internal/problems"
	"github.com/ml-rest-api/ml-rest-api/internal/throttle"
)

// Config describes the REST API, its routes and its stage (api).
type Config struct {
	StageName            string `json:"stageName,omitempty"`
	IntegrationTimeoutMs int    `json:"integrationTimeoutMs,omitempty"`
	// RaisedIntegrationTimeoutQuota declares that the account's "Maximum integration timeout"
	// quota was raised above 29 s (Service Quotas; REGIONAL APIs only), allowing up to 60 s.
	RaisedIntegrationTimeoutQuota bool          `json:"raisedIntegrationTimeoutQuota,omitempty"`
	MaxItems                      int           `json:"maxItems,omitempty"`
	MaxK                          int           `json:"maxK,omitempty"`
	Routes                        []RouteConfig `json:"routes"`
	LogRetentionDays              int           `json:"logRetentionDays,omitempty"`
	LoggingLevel                  string        `json:"loggingLevel,omitempty"`
	MetricsEnabled                *bool         `json:"metricsEnabled,omitempty"`
	XRayTracing                   *bool         `json:"xrayTracing,omitempty"`
	// Throttle applies to every method of the stage (MethodSettings */*).
	Throttle *throttle.Config `json:"throttle,omitempty"`
	CORS     *CORSConfig      `json:"cors,omitempty"`
	// Cache is the stage response cache; nil turns it off.
	Cache *CacheConfig `json:"cache,omitempty"`
	// Domain is a custom domain for the stage; nil: the execute-api URL only.
	Domain *DomainConfig `json:"domain,omitempty"`
	// ManageAccountCloudWatchRole creates the per-account, per-region apigateway.Account singleton.
	// Turn it on in exactly one stack per account and region.
	ManageAccountCloudWatchRole bool `json:"manageAccountCloudWatchRole,omitempty"`
}

// RouteConfig is one public route and the model it targets.
type RouteConfig struct {
	// Path is the first path segment, e.g. predicted-ratings.
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Model string `json:"model"`
	// Throttle is a per-method stage throttle for this route.
	Throttle *throttle.Config `json:"throttle,omitempty"`
	// InferenceTypes limits a recommendations route's inference_type values (default: all).
	InferenceTypes []string `json:"inferenceTypes,omitempty"`
	// ContentTypes are the media types a binary route passes to its model (required there).
	ContentTypes []string `json:"contentTypes,omitempty"`
}

// CacheConfig is the stage cache: cluster size, TTL, and the routes cached.
type CacheConfig struct {
	ClusterSizeGB string   `json:"clusterSizeGb"`
	TTLSeconds    int      `json:"ttlSeconds,omitempty"`
	Routes        []string `json:"routes"`
}

// CORSConfig lists the browser origins allowed to call the API ("*" for any).
type CORSConfig struct {
	AllowedOrigins []string `json:"allowedOrigins"`
}

// AnyOrigin reports whether every origin is allowed (allowedOrigins ["*"]).
func (c *CORSConfig) AnyOrigin() bool {
	return len(c.AllowedOrigins) == 1 && c.AllowedOrigins[0] == "*"
}

// Route returns the route with the path.
func (a *Config) Route(path string) (RouteConfig, bool) {
	for _, r := range a.Routes {
		if r.Path == path {
			return r, true
		}
	}
	return RouteConfig{}, false
}

// RoutePaths lists the routes' paths, in order.
func (a *Config) RoutePaths() []string {
	var out []string
	for _, r := range a.Routes {
		out = append(out, r.Path)
	}
	return out
}

// Spec is the API's settings with the stack they belong to: everything the pure functions
// (routes, the document, stage variables) read.
type Spec struct {
	Project, Stack string
	Config
}

// Defaults.
const (
	DefaultIntegrationTimeoutMs = 29000
	DefaultMaxItems             = 100
	DefaultMaxK                 = 100
	DefaultK                    = 10
	DefaultLogRetentionDays     = 14
	DefaultLoggingLevel         = "ERROR"
	DefaultCacheTTLSeconds      = 300
)

// ApplyDefaults fills what the stack leaves out; the stage is named after the stack.
func (a *Config) ApplyDefaults(stack string) {
	if a.StageName == "" {
		a.StageName = stack
	}
	if a.IntegrationTimeoutMs == 0 {
		a.IntegrationTimeoutMs = DefaultIntegrationTimeoutMs
	}
	if a.MaxItems == 0 {
		a.MaxItems = DefaultMaxItems
	}
	if a.MaxK == 0 {
		a.MaxK = DefaultMaxK
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = DefaultLogRetentionDays
	}
	if a.LoggingLevel == "" {
		a.LoggingLevel = DefaultLoggingLevel
	}
	yes := true
	if a.MetricsEnabled == nil {
		a.MetricsEnabled = &yes
	}
	if a.XRayTracing == nil {
		a.XRayTracing = &yes
	}
	for i := range a.Routes {
		if kinds[a.Routes[i].Kind].InferenceTypes && len(a.Routes[i].InferenceTypes) == 0 {
			a.Routes[i].InferenceTypes = append([]string(nil), InferenceTypes...)
		}
	}
	if a.Cache != nil && a.Cache.TTLSeconds == 0 {
		a.Cache.TTLSeconds = DefaultCacheTTLSeconds
	}
}

var (
	// CreateStage stageName: "Stage names can only contain alphanumeric characters, hyphens, and
	// underscores. Maximum length is 128 characters." (API reference).
	reStageName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	// A route path is one resource path part; this is a lower-case subset of what API Gateway
	// accepts (awscontract.ValidPathPart: letters, digits and ._-:), so it also reads well in
	// stage variable names (inferenceTypes_<path>) and WAF rules.
	reRoutePath = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	reOrigin    = regexp.MustCompile(`^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)
)

// cacheClusterSizes are the sizes API Gateway offers, in GB.
var cacheClusterSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

// logRetentionDays are the values CloudWatch Logs accepts.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Validate reports every problem of the API's settings (path: ml-rest-api:api). A route's
// model must be declared under models: that rule is the stack config's.
func (a *Config) Validate(p *problems.List, path string) {
	root := path
	if !reStageName.MatchString(a.StageName) {
		p.Add(root+".stageName", "must match %s (got %q)", reStageName, a.StageName)
	}
	// API Gateway: 50-29,000 ms, or more for REGIONAL and private APIs once the account's quota
	// is raised (AWS, 2024-06-04; the API is always REGIONAL). SageMaker gives a real-time
	// container 60 s to answer an invocation ("Your model containers must respond to requests
	// within 60 seconds", https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html),
	// so more than 60,000 ms would only keep clients waiting for a model that has failed.
	switch {
	case !a.RaisedIntegrationTimeoutQuota && (a.IntegrationTimeoutMs < 50 || a.IntegrationTimeoutMs > 29000):
		p.Add(root+".integrationTimeoutMs", "must be between 50 and 29000 (got %d); more needs the raised quota (Service Quotas, API Gateway \"Maximum integration timeout in milliseconds\") and api.raisedIntegrationTimeoutQuota: true", a.IntegrationTimeoutMs)
	case a.RaisedIntegrationTimeoutQuota && (a.IntegrationTimeoutMs < 50 || a.IntegrationTimeoutMs > 60000):
		p.Add(root+".integrationTimeoutMs", "must be between 50 and 60000 with the raised quota: SageMaker gives a real-time container 60 seconds to answer (got %d)", a.IntegrationTimeoutMs)
	}
	if a.MaxItems < 1 || a.MaxItems > 500 {
		p.Add(root+".maxItems", "must be between 1 and 500 (got %d)", a.MaxItems)
	}
	if a.MaxK < DefaultK || a.MaxK > 1000 {
		p.Add(root+".maxK", "must be between %d (the default k) and 1000 (got %d)", DefaultK, a.MaxK)
	}
	if !slices.Contains(logRetentionDays, a.LogRetentionDays) {
		p.Add(root+".logRetentionDays", "must be a CloudWatch retention value (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, …) (got %d)", a.LogRetentionDays)
	}
	if !slices.Contains([]string{"OFF", "ERROR", "INFO"}, a.LoggingLevel) {
		p.Add(root+".loggingLevel", "must be OFF, ERROR or INFO (got %q)", a.LoggingLevel)
	}
	if a.Throttle != nil {
		a.Throttle.Validate(p, root+".throttle")
	}
	if a.CORS != nil {
		a.CORS.validate(p, root+".cors")
	}
	if len(a.Routes) == 0 {
		p.Add(root+".routes", "declare at least one route {path, kind, model}")
	}
	seen := map[string]bool{}
	for i, r := range a.Routes {
		path := fmt.Sprintf("%s.routes[%d]", root, i)
		if !reRoutePath.MatchString(r.Path) {
			p.Add(path+".path", "must be one lower-case path segment like predicted-ratings (got %q)", r.Path)
		}
		if seen[r.Path] {
			p.Add(path+".path", "duplicate route path %q; each path may appear once", r.Path)
		}
		seen[r.Path] = true
		kind, ok := kinds[r.Kind]
		if !ok {
			p.Add(path+".kind", "must be one of %s (got %q)", strings.Join(KindNames(), ", "), r.Kind)
		}
		if r.Throttle != nil {
			r.Throttle.Validate(p, path+".throttle")
		}
		if !kind.InferenceTypes && len(r.InferenceTypes) > 0 {
			p.Add(path+".inferenceTypes", "applies to routes of kind %s only; remove it", strings.Join(kindsWith(func(k Kind) bool { return k.InferenceTypes }), ", "))
		}
		for j, ty := range r.InferenceTypes {
			if !slices.Contains(InferenceTypes, ty) {
				p.Add(fmt.Sprintf("%s.inferenceTypes[%d]", path, j), "unknown inference type %q; use %s", ty, strings.Join(InferenceTypes, ", "))
			}
		}
		validateContentTypes(p, path+".contentTypes", kind, r.ContentTypes)
	}
	if ca := a.Cache; ca != nil {
		a.validateCache(p, root+".cache", ca)
	}
	if d := a.Domain; d != nil {
		d.validate(p, root+".domain")
	}
}

// reMediaType is a media type a binary route may take: RFC 6838's type/subtype, in lower case,
// without parameters or wildcards, of the characters a stage variable value may hold
// (contentTypes_<path>; awscontract.StageVariable: no "+").
var reMediaType = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,126}/[a-z0-9][a-z0-9._-]{0,126}$`)

// validateContentTypes checks a route's contentTypes. API Gateway's binary media types are
// API-wide ("Binary media types for REST APIs"): a type another kind's templates read (JSON,
// which is also what API Gateway assumes without a Content-Type, and CSV) would reach those
// templates as bytes, and a wildcard would also match what browsers send in Accept.
func validateContentTypes(p *problems.List, path string, kind Kind, types []string) {
	if !kind.ContentTypes {
		if len(types) > 0 {
			p.Add(path, "applies to routes of kind %s only; remove it", strings.Join(kindsWith(func(k Kind) bool { return k.ContentTypes }), ", "))
		}
		return
	}
	if len(types) == 0 {
		p.Add(path, "list the media types the model takes, e.g. [image/jpeg, image/png]")
	}
	textTypes := map[string]bool{}
	for _, k := range kinds {
		if k.ContentType != "" {
			textTypes[k.ContentType] = true
		}
	}
	for i, t := range types {
		tp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case strings.HasPrefix(t, "multipart/"):
			p.Add(tp, "%q: a multipart form wraps the file in text the model cannot read; clients send the file's bytes with its own type (e.g. image/png), and multipart/form-data is answered 415", t)
		case textTypes[t]:
			p.Add(tp, "%q is read by the other route kinds' templates as text; binary media types are API-wide, so it cannot be one", t)
		case !reMediaType.MatchString(t):
			p.Add(tp, "must be a media type like image/png: lower case, no wildcard (*/* would turn every JSON answer and CORS preflight into binary), no parameters, no \"+\" (stage variable values cannot hold it) (got %q)", t)
		case slices.Contains(types[:i], t):
			p.Add(tp, "duplicate media type %q", t)
		}
	}
}

func (a *Config) validateCache(p *problems.List, path string, ca *CacheConfig) {
	if !slices.Contains(cacheClusterSizes, ca.ClusterSizeGB) {
		p.Add(path+".clusterSizeGb", "must be one of %s (got %q)", strings.Join(cacheClusterSizes, ", "), ca.ClusterSizeGB)
	}
	if ca.TTLSeconds < 1 || ca.TTLSeconds > 3600 {
		p.Add(path+".ttlSeconds", "must be between 1 and 3600 (got %d)", ca.TTLSeconds)
	}
	if len(ca.Routes) == 0 {
		p.Add(path+".routes", "list the GET routes to cache, or remove cache")
	}
	for i, name := range ca.Routes {
		rp := fmt.Sprintf("%s.routes[%d]", path, i)
		r, ok := a.Route(name)
		switch {
		case !ok:
			p.Add(rp, "no route has path %q; use one of %s", name, strings.Join(a.RoutePaths(), ", "))
		case !kinds[r.Kind].Cacheable:
			p.Add(rp, "route %q is a %s (%s) route; only routes of kind %s are cached", name, kinds[r.Kind].Method, r.Kind, strings.Join(kindsWith(func(k Kind) bool { return k.Cacheable }), ", "))
		case kinds[r.Kind].InferenceTypes && slices.ContainsFunc(r.InferenceTypes, func(t string) bool { return t != InferenceTypes[0] }):
			p.Add(rp, "route %q serves stochastic inference types, and API Gateway caches per method, not per parameter value: set its inferenceTypes to [deterministic] (serve stochastic types on another route) or do not cache it", name)
		}
	}
}

func (c *CORSConfig) validate(p *problems.List, path string) {
	if len(c.AllowedOrigins) == 0 {
		p.Add(path+".allowedOrigins", "list at least one origin (e.g. https://app.example.com), or \"*\", or remove cors")
	}
	for i, o := range c.AllowedOrigins {
		op := fmt.Sprintf("%s.allowedOrigins[%d]", path, i)
		switch {
		case o == "*" && len(c.AllowedOrigins) > 1:
			p.Add(op, "\"*\" must be the only origin when used")
		case o == "*":
		case !reOrigin.MatchString(o):
			p.Add(op, "must be an origin like https://app.example.com (scheme, host, optional port; no path) (got %q)", o)
		}
	}
}
