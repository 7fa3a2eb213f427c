package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Namespace is the project's config namespace; it equals Pulumi.yaml's `name`.
const Namespace = "ml-rest-api"

// Config keys (each one structured value per concern, declared in Pulumi.yaml's `config:`).
const (
	KeyModels       = "models"
	KeyAPI          = "api"
	KeyAccess       = "access"
	KeyCanary       = "canary"
	KeyAPIKeyValues = "apiKeyValues"
	KeyTags         = "tags"
	KeyMonitoring   = "monitoring"
	KeyWAF          = "waf"
	KeyProtection   = "protection"
)

// configKeys lists every key the program reads; any other key in the project namespace is an error.
var configKeys = []string{KeyModels, KeyAPI, KeyAccess, KeyCanary, KeyAPIKeyValues, KeyTags, KeyMonitoring, KeyWAF, KeyProtection}

// StackConfig is the whole validated configuration of one stack.
type StackConfig struct {
	Project string
	Stack   string

	Models map[string]ModelConfig
	API    APIConfig
	Access AccessConfig
	// Canary is nil when no model canary is running.
	Canary *CanaryConfig
	// APIKeyValues holds client API key values supplied as Pulumi secrets (client name → value).
	APIKeyValues map[string]string
	// Tags are added to every taggable resource, after the project/stack/model tags.
	Tags map[string]string
	// Monitoring, WAF and Protection are nil when the stack turns them off.
	Monitoring *MonitoringConfig
	WAF        *WAFConfig
	Protection *ProtectionConfig
}

// ModelConfig describes one SageMaker model and its real-time endpoint.
type ModelConfig struct {
	Image        ImageConfig       `json:"image"`
	ModelDataURL string            `json:"modelDataUrl"`
	Environment  map[string]string `json:"environment,omitempty"`
	// Exactly one of Instance and Serverless.
	Instance    *InstanceConfig    `json:"instance,omitempty"`
	Serverless  *ServerlessConfig  `json:"serverless,omitempty"`
	Autoscaling *AutoscalingConfig `json:"autoscaling,omitempty"`
	Guardrails  *GuardrailsConfig  `json:"deploymentGuardrails,omitempty"`
	// NetworkIsolation runs the container without network access (SageMaker still downloads
	// the artifact). Default: on for built-in algorithm images on instance variants, off
	// otherwise; serverless variants do not support it.
	NetworkIsolation *bool `json:"networkIsolation,omitempty"`
	// Capture records a share of requests and answers in S3 (instance variants only). With the
	// request id as the inference id, a captured prediction is found from a client's
	// X-Request-Id.
	Capture *CaptureConfig `json:"capture,omitempty"`
}

// CaptureConfig is SageMaker data capture for a model's endpoint.
type CaptureConfig struct {
	SamplingPercent int    `json:"samplingPercent"`
	S3URI           string `json:"s3Uri"`
	KMSKeyArn       string `json:"kmsKeyArn,omitempty"`
}

// Isolated reports whether the model's container runs with network isolation.
func (m ModelConfig) Isolated() bool {
	if m.NetworkIsolation != nil {
		return *m.NetworkIsolation
	}
	return m.Image.Algorithm != "" && m.Instance != nil
}

// ImageConfig is either a SageMaker built-in algorithm (looked up per region) or an explicit ECR image URI.
type ImageConfig struct {
	Algorithm string `json:"algorithm,omitempty"`
	Tag       string `json:"tag,omitempty"`
	URI       string `json:"uri,omitempty"`
}

// InstanceConfig is an instance-backed production variant.
type InstanceConfig struct {
	Type         string `json:"type"`
	InitialCount int    `json:"initialCount"`
	// Startup tuning for large models (seconds, 60-3600; 0 = SageMaker's default): how long a
	// container may take to pass its health check, and the model artifact to download.
	StartupHealthCheckTimeoutSeconds int `json:"startupHealthCheckTimeoutSeconds,omitempty"`
	ModelDownloadTimeoutSeconds      int `json:"modelDownloadTimeoutSeconds,omitempty"`
}

// ServerlessConfig is a serverless production variant.
type ServerlessConfig struct {
	MemorySizeInMB         int `json:"memorySizeInMb"`
	MaxConcurrency         int `json:"maxConcurrency"`
	ProvisionedConcurrency int `json:"provisionedConcurrency,omitempty"`
}

// AutoscalingConfig is target tracking on SageMakerVariantInvocationsPerInstance.
type AutoscalingConfig struct {
	MinCapacity                  int     `json:"minCapacity"`
	MaxCapacity                  int     `json:"maxCapacity"`
	TargetInvocationsPerInstance float64 `json:"targetInvocationsPerInstance"`
	ScaleInCooldownSeconds       int     `json:"scaleInCooldownSeconds,omitempty"`
	ScaleOutCooldownSeconds      int     `json:"scaleOutCooldownSeconds,omitempty"`
}

// GuardrailsConfig is SageMaker's blue/green deployment with traffic shifting and auto-rollback.
type GuardrailsConfig struct {
	// Type is CANARY or LINEAR.
	Type string `json:"type"`
	// The canary size or linear step: StepInstances (INSTANCE_COUNT) or StepPercent
	// (CAPACITY_PERCENT of the fleet); exactly one. A step is whole instances: a percentage of
	// the smallest fleet (autoscaling.minCapacity) under one instance is refused.
	StepInstances                  int `json:"stepInstances,omitempty"`
	StepPercent                    int `json:"stepPercent,omitempty"`
	WaitIntervalSeconds            int `json:"waitIntervalSeconds"`
	TerminationWaitSeconds         int `json:"terminationWaitSeconds,omitempty"`
	MaximumExecutionTimeoutSeconds int `json:"maximumExecutionTimeoutSeconds,omitempty"`
	// The rollback alarms are the endpoint's alarms (monitoring.alarms).
}

// APIConfig describes the REST API, its routes and its stage.
type APIConfig struct {
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
	Throttle *ThrottleConfig `json:"throttle,omitempty"`
	CORS     *CORSConfig     `json:"cors,omitempty"`
	// Cache is the stage response cache; nil turns it off.
	Cache *CacheConfig `json:"cache,omitempty"`
	// ManageAccountCloudWatchRole creates the per-account, per-region apigateway.Account singleton.
	// Turn it on in exactly one stack per account and region.
	ManageAccountCloudWatchRole bool `json:"manageAccountCloudWatchRole,omitempty"`
}

// Route kinds.
const (
	RouteRatings         = "ratings"
	RouteRecommendations = "recommendations"
	RouteCSV             = "csv"
)

// RouteConfig is one public route and the model it targets.
type RouteConfig struct {
	// Path is the first path segment, e.g. predicted-ratings.
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Model string `json:"model"`
	// Throttle is a per-method stage throttle for this route.
	Throttle *ThrottleConfig `json:"throttle,omitempty"`
	// InferenceTypes limits a recommendations route's inference_type values (default: all).
	InferenceTypes []string `json:"inferenceTypes,omitempty"`
}

// InferenceTypes are the recommendation inference types; only the first is deterministic.
var InferenceTypes = []string{
	"deterministic", "stochastic_plackett_luce", "stochastic_plackett_luce_cached",
	"stochastic_gumbel_softmax_trick", "stochastic_epsilon_greedy",
}

// CacheConfig is the stage cache: cluster size, TTL, and the routes cached.
type CacheConfig struct {
	ClusterSizeGB string   `json:"clusterSizeGb"`
	TTLSeconds    int      `json:"ttlSeconds,omitempty"`
	Routes        []string `json:"routes"`
}

// MonitoringConfig is alarms (with optional e-mail notifications) and a dashboard.
type MonitoringConfig struct {
	Dashboard    bool          `json:"dashboard,omitempty"`
	NotifyEmails []string      `json:"notifyEmails,omitempty"`
	Alarms       *AlarmsConfig `json:"alarms,omitempty"`
}

// AlarmsConfig holds the alarm thresholds.
type AlarmsConfig struct {
	// API5xxRate and API4xxRate are shares of requests (0-1) over 5 minutes.
	API5xxRate      float64 `json:"api5xxRate"`
	API4xxRate      float64 `json:"api4xxRate"`
	APILatencyP99Ms float64 `json:"apiLatencyP99Ms"`
	// Per endpoint (stable and canary); the blue/green guardrails roll back on the first two.
	EndpointInvocation5xxPerMinute float64 `json:"endpointInvocation5xxPerMinute"`
	EndpointModelLatencyP99Ms      float64 `json:"endpointModelLatencyP99Ms"`
	// EndpointCPUPercent applies to instance variants (CPUUtilization, 100 per vCPU).
	EndpointCPUPercent float64 `json:"endpointCpuPercent"`
	// EndpointModelSetupTimeMs (optional) alarms when a serverless variant takes longer to set up
	// compute for a request (a cold start: ModelSetupTime, Maximum over a minute); 0 = no alarm.
	EndpointModelSetupTimeMs float64 `json:"endpointModelSetupTimeMs,omitempty"`
}

// WAFConfig is a regional web ACL on the stage.
type WAFConfig struct {
	// RateLimitPerIP is the request limit per client IP per 5 minutes.
	RateLimitPerIP      int   `json:"rateLimitPerIp"`
	BlockMalformedItems *bool `json:"blockMalformedItems,omitempty"`
	AWSCommonRuleSet    bool  `json:"awsCommonRuleSet,omitempty"`
}

// ProtectionConfig guards production resources.
type ProtectionConfig struct {
	// ProtectEndpoints sets Pulumi's protect on the stable SageMaker endpoints.
	ProtectEndpoints bool `json:"protectEndpoints,omitempty"`
	// ProtectLogGroups sets protect on the API log groups; RetainLogGroups keeps them on destroy.
	ProtectLogGroups bool `json:"protectLogGroups,omitempty"`
	// ProtectAPI sets protect on the REST API and its stage (their invoke URL is what apps call).
	ProtectAPI bool `json:"protectApi,omitempty"`
	// ProtectAPIKeys sets protect and retainOnDelete on the API keys (AWS-generated values cannot
	// be recovered) and protect on the usage plans.
	ProtectAPIKeys  bool `json:"protectApiKeys,omitempty"`
	RetainLogGroups bool `json:"retainLogGroups,omitempty"`
	// KMSKeyArn encrypts instance endpoint volumes and the log groups.
	KMSKeyArn string `json:"kmsKeyArn,omitempty"`
}

// ThrottleConfig is a token bucket: steady rate (requests/second) and burst.
type ThrottleConfig struct {
	RateLimit  float64 `json:"rateLimit"`
	BurstLimit int     `json:"burstLimit"`
}

// CORSConfig lists the browser origins allowed to call the API ("*" for any).
type CORSConfig struct {
	AllowedOrigins []string `json:"allowedOrigins"`
}

// AnyOrigin reports whether every origin is allowed (allowedOrigins ["*"]).
func (c *CORSConfig) AnyOrigin() bool {
	return len(c.AllowedOrigins) == 1 && c.AllowedOrigins[0] == "*"
}

// AccessConfig holds usage plans and the clients (API keys) attached to them.
type AccessConfig struct {
	Plans   map[string]PlanConfig   `json:"plans"`
	Clients map[string]ClientConfig `json:"clients"`
}

// PlanConfig is one usage plan.
type PlanConfig struct {
	Throttle ThrottleConfig `json:"throttle"`
	Quota    *QuotaConfig   `json:"quota,omitempty"`
	// RouteThrottles overrides the plan throttle per route path.
	RouteThrottles map[string]ThrottleConfig `json:"routeThrottles,omitempty"`
}

// QuotaConfig is a usage-plan quota.
type QuotaConfig struct {
	Limit  int    `json:"limit"`
	Period string `json:"period"`
	Offset int    `json:"offset,omitempty"`
}

// ClientConfig is one API consumer; its key is generated by AWS unless apiKeyValues supplies one.
type ClientConfig struct {
	Plan        string `json:"plan"`
	Description string `json:"description,omitempty"`
}

// CanaryConfig routes a share of one model's traffic to a second version of it.
type CanaryConfig struct {
	Model             string       `json:"model"`
	PercentTraffic    float64      `json:"percentTraffic"`
	ModelDataURL      string       `json:"modelDataUrl,omitempty"`
	Image             *ImageConfig `json:"image,omitempty"`
	MaxPercentTraffic float64      `json:"maxPercentTraffic,omitempty"`
	// Promote is step 1 of a promotion: the stable endpoint moves to the canary's version while
	// the canary endpoint keeps running, so a rolled-back stable update still has the proven
	// version live. Step 2 copies the version into models.<model> and removes this block: the
	// stable endpoint is then unchanged and only the canary is deleted (F1).
	Promote bool `json:"promote,omitempty"`
}

// Defaults, in one place.
const (
	DefaultImageTag              = "1"
	DefaultIntegrationTimeoutMs  = 29000
	DefaultMaxItems              = 100
	DefaultMaxK                  = 100
	DefaultK                     = 10
	DefaultLogRetentionDays      = 14
	DefaultLoggingLevel          = "ERROR"
	DefaultScaleCooldownSeconds  = 300
	DefaultCanaryMaxPercent      = 50.0
	DefaultGuardrailTermination  = 600
	DefaultGuardrailMaxExecution = 3600
	DefaultCacheTTLSeconds       = 300
)

func (c *StackConfig) applyDefaults() {
	for name, m := range c.Models {
		m.Image.applyDefaults()
		if a := m.Autoscaling; a != nil {
			if a.ScaleInCooldownSeconds == 0 {
				a.ScaleInCooldownSeconds = DefaultScaleCooldownSeconds
			}
			if a.ScaleOutCooldownSeconds == 0 {
				a.ScaleOutCooldownSeconds = DefaultScaleCooldownSeconds
			}
		}
		if g := m.Guardrails; g != nil {
			if g.TerminationWaitSeconds == 0 {
				g.TerminationWaitSeconds = DefaultGuardrailTermination
			}
			if g.MaximumExecutionTimeoutSeconds == 0 {
				g.MaximumExecutionTimeoutSeconds = DefaultGuardrailMaxExecution
			}
		}
		c.Models[name] = m
	}
	a := &c.API
	if a.StageName == "" {
		a.StageName = c.Stack
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
	if a.MetricsEnabled == nil {
		a.MetricsEnabled = boolPtr(true)
	}
	if a.XRayTracing == nil {
		a.XRayTracing = boolPtr(true)
	}
	for i := range a.Routes {
		if a.Routes[i].Kind == RouteRecommendations && len(a.Routes[i].InferenceTypes) == 0 {
			a.Routes[i].InferenceTypes = append([]string(nil), InferenceTypes...)
		}
	}
	if a.Cache != nil && a.Cache.TTLSeconds == 0 {
		a.Cache.TTLSeconds = DefaultCacheTTLSeconds
	}
	if w := c.WAF; w != nil && w.BlockMalformedItems == nil {
		w.BlockMalformedItems = boolPtr(true)
	}
	if cn := c.Canary; cn != nil {
		if cn.MaxPercentTraffic == 0 {
			cn.MaxPercentTraffic = DefaultCanaryMaxPercent
		}
		if cn.Image != nil {
			cn.Image.applyDefaults()
		}
	}
	if c.APIKeyValues == nil {
		c.APIKeyValues = map[string]string{}
	}
}

func (i *ImageConfig) applyDefaults() {
	if i.Algorithm != "" && i.Tag == "" {
		i.Tag = DefaultImageTag
	}
}

func boolPtr(b bool) *bool { return &b }

// ConfigSource is where stack configuration comes from: the Pulumi context in a real run,
// a map in tests.
type ConfigSource interface {
	Project() string
	Stack() string
	// Get returns a key's raw value (structured values arrive as JSON text).
	Get(key string) (string, bool)
	IsSecret(key string) bool
	// Keys lists every configured key, or returns nil when the runtime cannot list them.
	Keys() []string
}

// LoadConfig decodes every key strictly, applies defaults and validates the result. It reports
// every problem at once; each message names the config key path and the fix.
func LoadConfig(src ConfigSource) (*StackConfig, error) {
	c := &StackConfig{Project: src.Project(), Stack: src.Stack()}
	var errs []error
	if src.Project() != Namespace {
		errs = append(errs, fmt.Errorf("project name %q: this program's config namespace is %q; keep Pulumi.yaml's name: %s", src.Project(), Namespace, Namespace))
	}
	errs = append(errs, unknownTopLevelKeys(src.Keys())...)

	decode := func(key string, dst any, required bool) {
		raw, ok := src.Get(Namespace + ":" + key)
		if ok && !required && strings.TrimSpace(raw) == "{}" {
			ok = false // Pulumi.yaml's default for an optional key: off
		}
		if !ok {
			if required {
				errs = append(errs, fmt.Errorf("%s: missing; add it to Pulumi.%s.yaml (see README, Configuration)", keyPath(key), src.Stack()))
			}
			return
		}
		errs = append(errs, decodeStrict(key, raw, dst)...)
	}
	decode(KeyModels, &c.Models, true)
	decode(KeyAPI, &c.API, true)
	decode(KeyAccess, &c.Access, true)
	decode(KeyCanary, &c.Canary, false)
	decode(KeyTags, &c.Tags, false)
	decode(KeyAPIKeyValues, &c.APIKeyValues, false)
	decode(KeyMonitoring, &c.Monitoring, false)
	decode(KeyWAF, &c.WAF, false)
	decode(KeyProtection, &c.Protection, false)
	if len(c.APIKeyValues) > 0 && !src.IsSecret(Namespace+":"+KeyAPIKeyValues) {
		errs = append(errs, fmt.Errorf("%s: must be a secret; set each value with `pulumi config set --secret --path '%s.<client>' <value>`", keyPath(KeyAPIKeyValues), KeyAPIKeyValues))
	}
	if len(errs) > 0 {
		return nil, configError(errs)
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func configError(errs []error) error {
	return fmt.Errorf("invalid stack configuration (%d problem(s)):\n%w", len(errs), errors.Join(errs...))
}

func keyPath(path string) string { return Namespace + ":" + path }

func unknownTopLevelKeys(keys []string) []error {
	var errs []error
	known := map[string]bool{}
	for _, k := range configKeys {
		known[k] = true
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for _, k := range sorted {
		name, ok := strings.CutPrefix(k, Namespace+":")
		if !ok || known[name] {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: unknown key; known keys are %s", k, strings.Join(configKeys, ", ")))
	}
	return errs
}

// decodeStrict decodes JSON into dst and reports unknown keys with their full path.
func decodeStrict(key, raw string, dst any) []error {
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		return []error{fmt.Errorf("%s: not a structured value (%v); write it as a YAML map under %s", keyPath(key), err, keyPath(key))}
	}
	errs := checkShape(generic, reflect.TypeOf(dst).Elem(), key)
	if len(errs) > 0 {
		return errs
	}
	// checkShape has vetted every key and type; the decoder stays strict as a backstop.
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return []error{fmt.Errorf("%s: %v", keyPath(key), err)}
	}
	return nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "a map"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// checkShape walks a decoded JSON value against the Go type and names every unknown key and
// every value of the wrong type, with its full path.
func checkShape(v any, t reflect.Type, path string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	wrong := func(got string) []error {
		return []error{fmt.Errorf("%s: expected %s, got a JSON %s; fix the value's type", keyPath(path), typeName(t), got)}
	}
	var errs []error
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong(jsonKind(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong(jsonKind(v))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return wrong(jsonKind(v))
		}
	case reflect.Float64, reflect.Float32:
		if _, ok := v.(float64); !ok {
			return wrong(jsonKind(v))
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong(jsonKind(v))
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = t.Field(i).Type
			names = append(names, tag)
		}
		for _, k := range sortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown key %q; valid keys here: %s", keyPath(path), k, strings.Join(names, ", ")))
				continue
			}
			errs = append(errs, checkShape(m[k], ft, path+"."+k)...)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong(jsonKind(v))
		}
		for _, k := range sortedKeys(m) {
			errs = append(errs, checkShape(m[k], t.Elem(), path+"."+k)...)
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return wrong(jsonKind(v))
		}
		for i, e := range l {
			errs = append(errs, checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x != float64(int64(x)) {
			return "fractional number"
		}
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return "value"
}
