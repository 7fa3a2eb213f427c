package infra

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

// BuiltinAlgorithms are the SageMaker built-in algorithm repositories that serve real-time
// inference and that config may name in models.<name>.image.algorithm.
var BuiltinAlgorithms = []string{
	"blazingtext", "factorization-machines", "forecasting-deepar", "image-classification",
	"ipinsights", "kmeans", "knn", "lda", "linear-learner", "ntm", "object-detection",
	"object2vec", "pca", "randomcutforest", "sagemaker-xgboost", "semantic-segmentation", "seq2seq",
}

var (
	reModelName  = regexp.MustCompile(`^[a-z][a-zA-Z0-9]{0,23}$`)
	reS3ModelURL = regexp.MustCompile(`^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^\s]+\.tar\.gz)$`)
	reECRImage   = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9][a-z0-9._/-]*)(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$`)
	reImageTag   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// SageMaker's EnvironmentKey pattern (ContainerDefinition.Environment).
	reEnvName      = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	reEndpointName = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	// CreateStage stageName: "Stage names can only contain alphanumeric characters, hyphens, and
	// underscores. Maximum length is 128 characters." (API reference).
	reStageName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	// A route path is one resource path part; this is a lower-case subset of what API Gateway
	// accepts (awscontract.ValidPathPart: letters, digits and ._-:), so it also reads well in
	// stage variable names (inferenceTypes_<path>) and WAF rules.
	reRoutePath   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	reAccessName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	reOrigin      = regexp.MustCompile(`^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)
	reAPIKeyValue = regexp.MustCompile(`^[A-Za-z0-9]{20,128}$`)
	reEmail       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// cacheClusterSizes are the sizes API Gateway offers, in GB.
var cacheClusterSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

// logRetentionDays are the values CloudWatch Logs accepts.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var serverlessMemory = []int{1024, 2048, 3072, 4096, 5120, 6144}

// problems collects validation errors; every message names the key path and the fix.
type problems []error

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", keyPath(path), fmt.Sprintf(format, args...)))
}

// Validate checks the decoded, defaulted configuration and reports every problem at once.
func (c *StackConfig) Validate() error {
	var p problems
	c.validateModels(&p)
	c.validateAPI(&p)
	c.validateAccess(&p)
	c.validateCanary(&p)
	c.validateTags(&p)
	c.validateOperations(&p)
	c.validateStageVariables(&p)
	if len(p) > 0 {
		return configError(p)
	}
	return nil
}

func (c *StackConfig) validateModels(p *problems) {
	if len(c.Models) == 0 {
		p.add(KeyModels, "declare at least one model (e.g. ratings)")
	}
	for _, name := range sortedKeys(c.Models) {
		m := c.Models[name]
		path := KeyModels + "." + name
		if !reModelName.MatchString(name) {
			p.add(path, "model names must match %s (they name the stage variable <model>Endpoint)", reModelName)
		}
		for _, suffix := range []string{"", "-canary"} {
			if ep := EndpointName(c.Project, c.Stack, name) + suffix; !reEndpointName.MatchString(ep) {
				p.add(path, "endpoint name %q is longer than 63 characters or malformed; shorten the model or stack name", ep)
			}
		}
		validateImage(p, path+".image", m.Image)
		validateModelDataURL(p, path+".modelDataUrl", m.ModelDataURL, true)
		validateEnvironment(p, path+".environment", m.Environment)
		switch {
		case m.Instance != nil && m.Serverless != nil:
			p.add(path, "set either instance or serverless, not both")
		case m.Instance == nil && m.Serverless == nil:
			p.add(path, "set instance {type, initialCount} or serverless {memorySizeInMb, maxConcurrency}")
		case m.Instance != nil:
			validateInstance(p, path, m)
			for _, t := range []struct {
				key string
				v   int
			}{{"startupHealthCheckTimeoutSeconds", m.Instance.StartupHealthCheckTimeoutSeconds}, {"modelDownloadTimeoutSeconds", m.Instance.ModelDownloadTimeoutSeconds}} {
				// ProductionVariantContainerStartupHealthCheckTimeoutInSeconds and
				// ProductionVariantModelDataDownloadTimeoutInSeconds: 60-3600 (API model).
				if t.v != 0 && (t.v < 60 || t.v > 3600) {
					p.add(path+".instance."+t.key, "must be between 60 and 3600 seconds, or left out for SageMaker's default (got %d)", t.v)
				}
			}
		default:
			validateServerless(p, path, m)
			if m.Capture != nil {
				p.add(path+".capture", "serverless variants do not support data capture (SageMaker's serverless exclusions); use an instance variant")
			}
			if m.NetworkIsolation != nil && *m.NetworkIsolation {
				// https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions
				p.add(path+".networkIsolation", "serverless variants do not support network isolation (SageMaker's serverless exclusions); remove it or use an instance variant")
			}
		}
		if c := m.Capture; c != nil {
			// DataCaptureConfig: InitialSamplingPercentage 0-100 (API model); 0 would capture nothing.
			if c.SamplingPercent < 1 || c.SamplingPercent > 100 {
				p.add(path+".capture.samplingPercent", "must be between 1 and 100 (got %d)", c.SamplingPercent)
			}
			if _, err := iampolicy.ParseS3Prefix(c.S3URI); err != nil {
				p.add(path+".capture.s3Uri", "%v; e.g. s3://my-captures/%s", err, name)
			}
			if c.KMSKeyArn != "" && !awscontract.ValidKMSKeyARN(c.KMSKeyArn) {
				p.add(path+".capture.kmsKeyArn", "must be a KMS key ARN arn:aws:kms:<region>:<account>:key/<id> (got %q)", c.KMSKeyArn)
			}
		}
		if g := m.Guardrails; g != nil {
			validateGuardrails(p, path+".deploymentGuardrails", g, m)
			if c.Monitoring == nil || c.Monitoring.Alarms == nil {
				p.add(path+".deploymentGuardrails", "rolls back on the endpoint alarms: set %s.alarms", keyPath(KeyMonitoring))
			}
		}
	}
}

// SageMaker container environment limits: the API model's EnvironmentMap (at most 100
// entries), EnvironmentKey ([a-zA-Z_][a-zA-Z0-9_]*, at most 1024 characters) and
// EnvironmentValue (at most 1024 characters). A test compares these with the model.
const (
	MaxEnvironmentEntries = 100
	MaxEnvironmentKey     = 1024
	MaxEnvironmentValue   = 1024
)

func validateEnvironment(p *problems, path string, env map[string]string) {
	if len(env) > MaxEnvironmentEntries {
		p.add(path, "at most %d variables (SageMaker's limit), got %d", MaxEnvironmentEntries, len(env))
	}
	for _, k := range sortedKeys(env) {
		switch {
		case !reEnvName.MatchString(k) || len(k) > MaxEnvironmentKey:
			p.add(path+"."+k, "environment variable names must match %s and have at most %d characters", reEnvName, MaxEnvironmentKey)
		case utf8.RuneCountInString(env[k]) > MaxEnvironmentValue:
			p.add(path+"."+k, "the value has %d characters; SageMaker allows at most %d", utf8.RuneCountInString(env[k]), MaxEnvironmentValue)
		}
	}
}

func validateImage(p *problems, path string, img ImageConfig) {
	switch {
	case img.Algorithm != "" && img.URI != "":
		p.add(path, "set either algorithm (a SageMaker built-in) or uri (an ECR image), not both")
	case img.Algorithm == "" && img.URI == "":
		p.add(path, "set algorithm (one of %s) or uri (an ECR image URI)", strings.Join(BuiltinAlgorithms, ", "))
	case img.Algorithm != "":
		if !slices.Contains(BuiltinAlgorithms, img.Algorithm) {
			p.add(path+".algorithm", "unknown algorithm %q; use one of %s, or set uri to an ECR image", img.Algorithm, strings.Join(BuiltinAlgorithms, ", "))
		}
		if !reImageTag.MatchString(img.Tag) {
			p.add(path+".tag", "invalid image tag %q; use letters, digits, '.', '_' or '-'", img.Tag)
		}
	default:
		if img.Tag != "" {
			p.add(path+".tag", "tag applies to algorithm images only; put the tag in uri (…/repo:tag)")
		}
		if !reECRImage.MatchString(img.URI) {
			p.add(path+".uri", "must be an ECR image URI like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag (got %q)", img.URI)
		}
	}
}

func validateModelDataURL(p *problems, path, url string, required bool) {
	switch {
	case url == "" && required:
		p.add(path, "missing; set it to the model artifact, e.g. s3://my-bucket/models/ratings/model.tar.gz")
	case url == "":
	case !reS3ModelURL.MatchString(url):
		p.add(path, "must be an S3 URL of a .tar.gz artifact like s3://my-bucket/models/ratings/model.tar.gz (got %q)", url)
	}
}

func validateInstance(p *problems, path string, m ModelConfig) {
	in := m.Instance
	if !slices.Contains(SageMakerInstanceTypes, in.Type) {
		p.add(path+".instance.type", "%q is not a SageMaker real-time instance type (AWS's ProductionVariantInstanceType, e.g. ml.m5.large, ml.c5.xlarge, ml.g5.xlarge)", in.Type)
	}
	if in.InitialCount < 1 {
		p.add(path+".instance.initialCount", "must be at least 1 (got %d)", in.InitialCount)
	}
	a := m.Autoscaling
	if a == nil {
		p.add(path+".autoscaling", "required for instance variants: set minCapacity, maxCapacity and targetInvocationsPerInstance")
		return
	}
	ap := path + ".autoscaling"
	if a.MinCapacity < 1 {
		p.add(ap+".minCapacity", "must be at least 1 (got %d)", a.MinCapacity)
	}
	if a.MaxCapacity < a.MinCapacity {
		p.add(ap, "minCapacity (%d) must not exceed maxCapacity (%d)", a.MinCapacity, a.MaxCapacity)
	}
	if in.InitialCount >= 1 && a.MinCapacity >= 1 && a.MaxCapacity >= a.MinCapacity &&
		(in.InitialCount < a.MinCapacity || in.InitialCount > a.MaxCapacity) {
		p.add(path+".instance.initialCount", "must lie within autoscaling minCapacity..maxCapacity (%d..%d), got %d", a.MinCapacity, a.MaxCapacity, in.InitialCount)
	}
	if a.TargetInvocationsPerInstance <= 0 {
		p.add(ap+".targetInvocationsPerInstance", "must be greater than 0 (invocations per instance per minute)")
	}
	if a.ScaleInCooldownSeconds < 0 || a.ScaleInCooldownSeconds > 3600 {
		p.add(ap+".scaleInCooldownSeconds", "must be between 0 and 3600")
	}
	if a.ScaleOutCooldownSeconds < 0 || a.ScaleOutCooldownSeconds > 3600 {
		p.add(ap+".scaleOutCooldownSeconds", "must be between 0 and 3600")
	}
}

func validateServerless(p *problems, path string, m ModelConfig) {
	s := m.Serverless
	if !slices.Contains(serverlessMemory, s.MemorySizeInMB) {
		p.add(path+".serverless.memorySizeInMb", "must be one of 1024, 2048, 3072, 4096, 5120, 6144 (got %d)", s.MemorySizeInMB)
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > 200 {
		p.add(path+".serverless.maxConcurrency", "must be between 1 and 200 (got %d)", s.MaxConcurrency)
	}
	if s.ProvisionedConcurrency < 0 || s.ProvisionedConcurrency > s.MaxConcurrency {
		p.add(path+".serverless.provisionedConcurrency", "must be between 0 and maxConcurrency (%d)", s.MaxConcurrency)
	}
	if m.Autoscaling != nil {
		p.add(path+".autoscaling", "serverless variants scale by themselves; remove autoscaling or use instance")
	}
}

// validateGuardrails checks a blue/green policy against AWS's step rules and the bundled
// provider's limits (awscontract.GuardrailProblems, with their sources), against the fleet the
// rollout meets: between autoscaling minCapacity and maxCapacity instances.
func validateGuardrails(p *problems, path string, g *GuardrailsConfig, m ModelConfig) {
	if m.Instance == nil {
		p.add(path, "blue/green guardrails need an instance variant; remove deploymentGuardrails or use instance")
	}
	if g.Type != "CANARY" && g.Type != "LINEAR" {
		p.add(path+".type", "must be CANARY or LINEAR (got %q)", g.Type)
	}
	switch {
	case g.StepInstances != 0 && g.StepPercent != 0:
		p.add(path, "set stepInstances or stepPercent, not both")
	case g.StepInstances == 0 && g.StepPercent == 0:
		p.add(path, "set stepInstances (instances shifted per step, e.g. 1) or stepPercent (percent of capacity)")
	case g.StepPercent != 0 && (g.StepPercent < 1 || g.StepPercent > 50):
		p.add(path+".stepPercent", "must be between 1 and 50 percent of capacity (got %d)", g.StepPercent)
	case g.StepInstances < 0:
		p.add(path+".stepInstances", "must be at least 1 (got %d)", g.StepInstances)
	}
	if g.WaitIntervalSeconds < 0 || g.WaitIntervalSeconds > 3600 {
		p.add(path+".waitIntervalSeconds", "must be between 0 and 3600 (got %d)", g.WaitIntervalSeconds)
	}
	if g.TerminationWaitSeconds < 0 || g.TerminationWaitSeconds > 3600 {
		p.add(path+".terminationWaitSeconds", "must be between 0 and 3600 (got %d)", g.TerminationWaitSeconds)
	}
	if g.MaximumExecutionTimeoutSeconds < 600 {
		p.add(path+".maximumExecutionTimeoutSeconds", "must be at least 600 (got %d)", g.MaximumExecutionTimeoutSeconds)
	}
	a := m.Autoscaling
	if m.Instance == nil || a == nil || a.MinCapacity < 1 || a.MaxCapacity < a.MinCapacity ||
		(g.StepInstances == 0) == (g.StepPercent == 0) || g.StepInstances < 0 || g.StepPercent < 0 || g.StepPercent > 50 {
		return // the fleet or the step is already reported
	}
	step, stepKey := float64(g.StepInstances), path+".stepInstances"
	if g.StepPercent != 0 {
		step, stepKey = float64(g.StepPercent)*float64(a.MinCapacity)/100, path+".stepPercent"
	}
	for _, pr := range awscontract.GuardrailProblems(g.Type, step, a.MinCapacity, a.MaxCapacity,
		g.WaitIntervalSeconds, g.TerminationWaitSeconds, g.MaximumExecutionTimeoutSeconds) {
		switch pr.Field {
		case awscontract.GuardrailStep:
			p.add(stepKey, "%s; set stepInstances to a whole number of instances between 1 and half of autoscaling.minCapacity (%d)", pr.Message, a.MinCapacity)
		case awscontract.GuardrailTiming:
			p.add(path+".waitIntervalSeconds", "%s; shorten waitIntervalSeconds or terminationWaitSeconds", pr.Message)
		default:
			p.add(path+".maximumExecutionTimeoutSeconds", "%s", pr.Message)
		}
	}
}

func (c *StackConfig) validateAPI(p *problems) {
	a := c.API
	if !reStageName.MatchString(a.StageName) {
		p.add(KeyAPI+".stageName", "must match %s (got %q)", reStageName, a.StageName)
	}
	// API Gateway: 50-29,000 ms, or more for REGIONAL and private APIs once the account's quota
	// is raised (AWS, 2024-06-04; the API is always REGIONAL). SageMaker gives a real-time
	// container 60 s to answer an invocation ("Your model containers must respond to requests
	// within 60 seconds", https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html),
	// so more than 60,000 ms would only keep clients waiting for a model that has failed.
	switch {
	case !a.RaisedIntegrationTimeoutQuota && (a.IntegrationTimeoutMs < 50 || a.IntegrationTimeoutMs > 29000):
		p.add(KeyAPI+".integrationTimeoutMs", "must be between 50 and 29000 (got %d); more needs the raised quota (Service Quotas, API Gateway \"Maximum integration timeout in milliseconds\") and api.raisedIntegrationTimeoutQuota: true", a.IntegrationTimeoutMs)
	case a.RaisedIntegrationTimeoutQuota && (a.IntegrationTimeoutMs < 50 || a.IntegrationTimeoutMs > 60000):
		p.add(KeyAPI+".integrationTimeoutMs", "must be between 50 and 60000 with the raised quota: SageMaker gives a real-time container 60 seconds to answer (got %d)", a.IntegrationTimeoutMs)
	}
	if a.MaxItems < 1 || a.MaxItems > 500 {
		p.add(KeyAPI+".maxItems", "must be between 1 and 500 (got %d)", a.MaxItems)
	}
	if a.MaxK < DefaultK || a.MaxK > 1000 {
		p.add(KeyAPI+".maxK", "must be between %d (the default k) and 1000 (got %d)", DefaultK, a.MaxK)
	}
	if !slices.Contains(logRetentionDays, a.LogRetentionDays) {
		p.add(KeyAPI+".logRetentionDays", "must be a CloudWatch retention value (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, …) (got %d)", a.LogRetentionDays)
	}
	if !slices.Contains([]string{"OFF", "ERROR", "INFO"}, a.LoggingLevel) {
		p.add(KeyAPI+".loggingLevel", "must be OFF, ERROR or INFO (got %q)", a.LoggingLevel)
	}
	if a.Throttle != nil {
		validateThrottle(p, KeyAPI+".throttle", *a.Throttle)
	}
	if a.CORS != nil {
		validateCORS(p, KeyAPI+".cors", a.CORS)
	}
	if len(a.Routes) == 0 {
		p.add(KeyAPI+".routes", "declare at least one route {path, kind, model}")
	}
	seen := map[string]bool{}
	for i, r := range a.Routes {
		path := fmt.Sprintf("%s.routes[%d]", KeyAPI, i)
		if !reRoutePath.MatchString(r.Path) {
			p.add(path+".path", "must be one lower-case path segment like predicted-ratings (got %q)", r.Path)
		}
		if seen[r.Path] {
			p.add(path+".path", "duplicate route path %q; each path may appear once", r.Path)
		}
		seen[r.Path] = true
		if !slices.Contains([]string{RouteRatings, RouteRecommendations, RouteCSV}, r.Kind) {
			p.add(path+".kind", "must be ratings, recommendations or csv (got %q)", r.Kind)
		}
		if _, ok := c.Models[r.Model]; !ok {
			p.add(path+".model", "model %q is not declared under %s; use one of %s", r.Model, keyPath(KeyModels), strings.Join(sortedKeys(c.Models), ", "))
		}
		if r.Throttle != nil {
			validateThrottle(p, path+".throttle", *r.Throttle)
		}
		if r.Kind != RouteRecommendations && len(r.InferenceTypes) > 0 {
			p.add(path+".inferenceTypes", "applies to recommendations routes only; remove it")
		}
		for j, ty := range r.InferenceTypes {
			if !slices.Contains(InferenceTypes, ty) {
				p.add(fmt.Sprintf("%s.inferenceTypes[%d]", path, j), "unknown inference type %q; use %s", ty, strings.Join(InferenceTypes, ", "))
			}
		}
	}
	if ca := a.Cache; ca != nil {
		c.validateCache(p, ca)
	}
}

func (c *StackConfig) validateCache(p *problems, ca *CacheConfig) {
	path := KeyAPI + ".cache"
	if !slices.Contains(cacheClusterSizes, ca.ClusterSizeGB) {
		p.add(path+".clusterSizeGb", "must be one of %s (got %q)", strings.Join(cacheClusterSizes, ", "), ca.ClusterSizeGB)
	}
	if ca.TTLSeconds < 1 || ca.TTLSeconds > 3600 {
		p.add(path+".ttlSeconds", "must be between 1 and 3600 (got %d)", ca.TTLSeconds)
	}
	if len(ca.Routes) == 0 {
		p.add(path+".routes", "list the GET routes to cache, or remove cache")
	}
	for i, name := range ca.Routes {
		rp := fmt.Sprintf("%s.routes[%d]", path, i)
		r, ok := c.route(name)
		switch {
		case !ok:
			p.add(rp, "no route has path %q; use one of %s", name, strings.Join(c.routePaths(), ", "))
		case r.Kind == RouteCSV:
			p.add(rp, "route %q is a POST (csv) route; only GET routes are cached", name)
		case r.Kind == RouteRecommendations && slices.ContainsFunc(r.InferenceTypes, func(t string) bool { return t != InferenceTypes[0] }):
			p.add(rp, "route %q serves stochastic inference types, and API Gateway caches per method, not per parameter value: set its inferenceTypes to [deterministic] (serve stochastic types on another route) or do not cache it", name)
		}
	}
}

func (c *StackConfig) validateOperations(p *problems) {
	if m := c.Monitoring; m != nil {
		for i, e := range m.NotifyEmails {
			// SNS Subscribe: "For the email protocol, the endpoint is an email address" — a bare
			// address, no display name.
			if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" || !reEmail.MatchString(e) {
				p.add(fmt.Sprintf("%s.notifyEmails[%d]", KeyMonitoring, i), "not an e-mail address like ml-oncall@example.com (got %q)", e)
			}
		}
		if len(m.NotifyEmails) > 0 && m.Alarms == nil {
			p.add(KeyMonitoring+".notifyEmails", "notifications need alarms: set %s.alarms", keyPath(KeyMonitoring))
		}
		if a := m.Alarms; a != nil {
			ap := KeyMonitoring + ".alarms"
			for _, rate := range []struct {
				key string
				v   float64
			}{{"api5xxRate", a.API5xxRate}, {"api4xxRate", a.API4xxRate}} {
				if rate.v <= 0 || rate.v > 1 {
					p.add(ap+"."+rate.key, "must be a share of requests greater than 0 and at most 1, e.g. 0.01 for 1%% (got %g)", rate.v)
				}
			}
			for _, pos := range []struct {
				key string
				v   float64
			}{{"apiLatencyP99Ms", a.APILatencyP99Ms}, {"endpointInvocation5xxPerMinute", a.EndpointInvocation5xxPerMinute},
				{"endpointModelLatencyP99Ms", a.EndpointModelLatencyP99Ms}, {"endpointCpuPercent", a.EndpointCPUPercent}} {
				if pos.v <= 0 {
					p.add(ap+"."+pos.key, "must be greater than 0 (got %g)", pos.v)
				}
			}
			if a.EndpointModelSetupTimeMs < 0 {
				p.add(ap+".endpointModelSetupTimeMs", "must be greater than 0, or left out for no cold-start alarm (got %g)", a.EndpointModelSetupTimeMs)
			}
		}
		if !m.Dashboard && m.Alarms == nil {
			p.add(KeyMonitoring, "turns nothing on: set dashboard: true and/or alarms, or remove the key")
		}
	}
	if w := c.WAF; w != nil {
		if w.RateLimitPerIP < 100 || w.RateLimitPerIP > 2000000000 {
			p.add(KeyWAF+".rateLimitPerIp", "must be between 100 and 2000000000 requests per 5 minutes (got %d)", w.RateLimitPerIP)
		}
	}
	if pr := c.Protection; pr != nil && pr.KMSKeyArn != "" && !awscontract.ValidKMSKeyARN(pr.KMSKeyArn) {
		p.add(KeyProtection+".kmsKeyArn", "must be a KMS key ARN like arn:aws:kms:eu-west-1:123456789012:key/<uuid> (got %q)", pr.KMSKeyArn)
	}
}

func validateThrottle(p *problems, path string, t ThrottleConfig) {
	if t.RateLimit <= 0 {
		p.add(path+".rateLimit", "must be greater than 0 requests per second (got %g)", t.RateLimit)
	}
	if t.BurstLimit < 1 {
		p.add(path+".burstLimit", "must be at least 1 (got %d)", t.BurstLimit)
	}
}

func validateCORS(p *problems, path string, c *CORSConfig) {
	if len(c.AllowedOrigins) == 0 {
		p.add(path+".allowedOrigins", "list at least one origin (e.g. https://app.example.com), or \"*\", or remove cors")
	}
	for i, o := range c.AllowedOrigins {
		op := fmt.Sprintf("%s.allowedOrigins[%d]", path, i)
		switch {
		case o == "*" && len(c.AllowedOrigins) > 1:
			p.add(op, "\"*\" must be the only origin when used")
		case o == "*":
		case !reOrigin.MatchString(o):
			p.add(op, "must be an origin like https://app.example.com (scheme, host, optional port; no path) (got %q)", o)
		}
	}
}

func (c *StackConfig) validateAccess(p *problems) {
	a := c.Access
	if len(a.Plans) == 0 {
		p.add(KeyAccess+".plans", "declare at least one usage plan: every method requires an API key")
	}
	for _, name := range sortedKeys(a.Plans) {
		pl := a.Plans[name]
		path := KeyAccess + ".plans." + name
		if !reAccessName.MatchString(name) {
			p.add(path, "plan names must match %s", reAccessName)
		}
		validateThrottle(p, path+".throttle", pl.Throttle)
		if q := pl.Quota; q != nil {
			validateQuota(p, path+".quota", *q)
		}
		for _, route := range sortedKeys(pl.RouteThrottles) {
			if _, ok := c.route(route); !ok {
				p.add(path+".routeThrottles."+route, "no route has path %q; use one of %s", route, strings.Join(c.routePaths(), ", "))
			}
			validateThrottle(p, path+".routeThrottles."+route, pl.RouteThrottles[route])
		}
	}
	if len(a.Clients) == 0 {
		p.add(KeyAccess+".clients", "declare at least one client {plan}; each gets an API key")
	}
	for _, name := range sortedKeys(a.Clients) {
		cl := a.Clients[name]
		path := KeyAccess + ".clients." + name
		if !reAccessName.MatchString(name) {
			p.add(path, "client names must match %s", reAccessName)
		}
		// API Gateway publishes no length or character rules for API key descriptions; the
		// program refuses control characters (line breaks, tabs), which no console shows.
		if strings.IndexFunc(cl.Description, unicode.IsControl) >= 0 {
			p.add(path+".description", "must be one line of printable text")
		}
		if _, ok := a.Plans[cl.Plan]; !ok {
			p.add(path+".plan", "plan %q does not exist; use one of %s", cl.Plan, strings.Join(sortedKeys(a.Plans), ", "))
		}
	}
	for _, name := range sortedKeys(c.APIKeyValues) {
		path := KeyAPIKeyValues + "." + name
		if _, ok := a.Clients[name]; !ok {
			p.add(path, "no client %q under %s; remove the value or add the client", name, keyPath(KeyAccess+".clients"))
		}
		if !reAPIKeyValue.MatchString(c.APIKeyValues[name]) {
			p.add(path, "an API key value must be 20-128 letters or digits (value not shown)")
		}
	}
}

func validateQuota(p *problems, path string, q QuotaConfig) {
	if q.Limit < 1 {
		p.add(path+".limit", "must be at least 1 request per period (got %d)", q.Limit)
	}
	maxOffset := map[string]int{"DAY": 0, "WEEK": 6, "MONTH": 27}
	mo, ok := maxOffset[q.Period]
	if !ok {
		p.add(path+".period", "must be DAY, WEEK or MONTH (got %q)", q.Period)
		return
	}
	if q.Offset < 0 || q.Offset > mo {
		p.add(path+".offset", "must be between 0 and %d for period %s (got %d)", mo, q.Period, q.Offset)
	}
}

func (c *StackConfig) validateCanary(p *problems) {
	cn := c.Canary
	if cn == nil {
		return
	}
	stable, ok := c.Models[cn.Model]
	if !ok {
		p.add(KeyCanary+".model", "model %q is not declared under %s; use one of %s", cn.Model, keyPath(KeyModels), strings.Join(sortedKeys(c.Models), ", "))
	}
	if cn.MaxPercentTraffic <= 0 || cn.MaxPercentTraffic > 100 {
		p.add(KeyCanary+".maxPercentTraffic", "must be greater than 0 and at most 100 (got %g)", cn.MaxPercentTraffic)
	}
	if cn.PercentTraffic <= 0 || cn.PercentTraffic > cn.MaxPercentTraffic {
		p.add(KeyCanary+".percentTraffic", "must be greater than 0 and at most %g (maxPercentTraffic) (got %g)", cn.MaxPercentTraffic, cn.PercentTraffic)
	}
	if cn.ModelDataURL == "" && cn.Image == nil {
		p.add(KeyCanary, "set modelDataUrl and/or image for the canary version of %q", cn.Model)
	}
	validateModelDataURL(p, KeyCanary+".modelDataUrl", cn.ModelDataURL, false)
	if cn.Image != nil {
		validateImage(p, KeyCanary+".image", *cn.Image)
	}
	if ok {
		if cm := c.CanaryModel(); cm.ModelDataURL == stable.ModelDataURL && cm.Image == stable.Image {
			p.add(KeyCanary, "the canary is identical to models.%s; change modelDataUrl or image, or remove the canary block", cn.Model)
		}
	}
}

// validateTags applies AWS's tag rules (awscontract.Tag: lengths, characters, the reserved
// aws: prefix) and its limit of 50 tags per resource, of which the program sets up to three.
func (c *StackConfig) validateTags(p *problems) {
	if max := awscontract.MaxTags - len(reservedTagKeys); len(c.Tags) > max {
		p.add(KeyTags, "at most %d extra tags (AWS allows %d per resource; the program sets %d) (got %d)", max, awscontract.MaxTags, len(reservedTagKeys), len(c.Tags))
	}
	for _, k := range sortedKeys(c.Tags) {
		if slices.Contains(reservedTagKeys, k) {
			p.add(KeyTags+"."+k, "tag %q is set by the program; choose another key", k)
		} else if err := awscontract.Tag(k, c.Tags[k]); err != nil {
			p.add(KeyTags+"."+k, "%v", err)
		}
	}
}

// validateStageVariables refuses a configuration whose stage variables (or canary override) API
// Gateway would refuse (awscontract.StageVariable), naming the key each variable comes from.
func (c *StackConfig) validateStageVariables(p *problems) {
	names := c.EndpointNames()
	from := map[string]string{
		StageVarMaxItems: KeyAPI + ".maxItems", StageVarMaxK: KeyAPI + ".maxK", StageVarCORSOrigins: KeyAPI + ".cors.allowedOrigins",
	}
	for model := range c.Models {
		from[StageVariableEndpoint(model)] = KeyModels + "." + model
	}
	for i, r := range c.API.Routes {
		from[StageVariableInferenceTypes(r.Path)] = fmt.Sprintf("%s.routes[%d].inferenceTypes", KeyAPI, i)
	}
	vars := StageVariables(c, names)
	for _, k := range sortedKeys(vars) {
		if err := awscontract.StageVariable(k, vars[k]); err != nil {
			p.add(from[k], "%v", err)
		}
	}
	if cn := c.Canary; cn != nil {
		if err := awscontract.StageVariable(StageVariableEndpoint(cn.Model), names[cn.Model]+CanarySuffix); err != nil {
			p.add(KeyCanary+".model", "canary override: %v", err)
		}
	}
}

// StableModel is the configuration the stable endpoint of a model runs: models.<name>, or the
// canary's version while the canary is being promoted (canary.promote).
func (c *StackConfig) StableModel(name string) ModelConfig {
	if cn := c.Canary; cn != nil && cn.Promote && cn.Model == name {
		return c.CanaryModel()
	}
	return c.Models[name]
}

// CanaryModel is the model configuration of the canary version: the stable model with the
// canary's artifact and image.
func (c *StackConfig) CanaryModel() ModelConfig {
	m := c.Models[c.Canary.Model]
	if c.Canary.ModelDataURL != "" {
		m.ModelDataURL = c.Canary.ModelDataURL
	}
	if c.Canary.Image != nil {
		m.Image = *c.Canary.Image
	}
	return m
}

func (c *StackConfig) route(path string) (RouteConfig, bool) {
	for _, r := range c.API.Routes {
		if r.Path == path {
			return r, true
		}
	}
	return RouteConfig{}, false
}

func (c *StackConfig) routePaths() []string {
	var out []string
	for _, r := range c.API.Routes {
		out = append(out, r.Path)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
