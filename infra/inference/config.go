package inference

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

// Config describes one SageMaker model and its real-time endpoint (models.<name>).
type Config struct {
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
func (m Config) Isolated() bool {
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

// Defaults.
const (
	DefaultImageTag              = "1"
	DefaultScaleCooldownSeconds  = 300
	DefaultGuardrailTermination  = 600
	DefaultGuardrailMaxExecution = 3600
)

// ApplyDefaults fills what the stack leaves out.
func (m *Config) ApplyDefaults() {
	m.Image.ApplyDefaults()
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
}

// ApplyDefaults sets a built-in algorithm's default tag.
func (i *ImageConfig) ApplyDefaults() {
	if i.Algorithm != "" && i.Tag == "" {
		i.Tag = DefaultImageTag
	}
}

// BuiltinAlgorithms are the SageMaker built-in algorithm repositories that serve real-time
// inference and that config may name in models.<name>.image.algorithm.
var BuiltinAlgorithms = []string{
	"blazingtext", "factorization-machines", "forecasting-deepar", "image-classification",
	"ipinsights", "kmeans", "knn", "lda", "linear-learner", "ntm", "object-detection",
	"object2vec", "pca", "randomcutforest", "sagemaker-xgboost", "semantic-segmentation", "seq2seq",
}

var (
	reImageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// SageMaker's EnvironmentKey pattern (ContainerDefinition.Environment).
	reEnvName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

var serverlessMemory = []int{1024, 2048, 3072, 4096, 5120, 6144}

// Validate reports every problem of one model's settings (path: its key, e.g.
// ml-rest-api:models.ratings). Rules that involve other keys (the endpoint name's length, the
// guardrails' alarms) are the stack config's.
func (m Config) Validate(p *problems.List, path string) {
	ValidateImage(p, path+".image", m.Image)
	ValidateModelDataURL(p, path+".modelDataUrl", m.ModelDataURL, true)
	validateEnvironment(p, path+".environment", m.Environment)
	switch {
	case m.Instance != nil && m.Serverless != nil:
		p.Add(path, "set either instance or serverless, not both")
	case m.Instance == nil && m.Serverless == nil:
		p.Add(path, "set instance {type, initialCount} or serverless {memorySizeInMb, maxConcurrency}")
	case m.Instance != nil:
		validateInstance(p, path, m)
		for _, t := range []struct {
			key string
			v   int
		}{{"startupHealthCheckTimeoutSeconds", m.Instance.StartupHealthCheckTimeoutSeconds}, {"modelDownloadTimeoutSeconds", m.Instance.ModelDownloadTimeoutSeconds}} {
			// ProductionVariantContainerStartupHealthCheckTimeoutInSeconds and
			// ProductionVariantModelDataDownloadTimeoutInSeconds: 60-3600 (API model).
			if t.v != 0 && (t.v < 60 || t.v > 3600) {
				p.Add(path+".instance."+t.key, "must be between 60 and 3600 seconds, or left out for SageMaker's default (got %d)", t.v)
			}
		}
	default:
		validateServerless(p, path, m)
		if m.Capture != nil {
			p.Add(path+".capture", "serverless variants do not support data capture (SageMaker's serverless exclusions); use an instance variant")
		}
		if m.NetworkIsolation != nil && *m.NetworkIsolation {
			// https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions
			p.Add(path+".networkIsolation", "serverless variants do not support network isolation (SageMaker's serverless exclusions); remove it or use an instance variant")
		}
	}
	if c := m.Capture; c != nil {
		// DataCaptureConfig: InitialSamplingPercentage 0-100 (API model); 0 would capture nothing.
		if c.SamplingPercent < 1 || c.SamplingPercent > 100 {
			p.Add(path+".capture.samplingPercent", "must be between 1 and 100 (got %d)", c.SamplingPercent)
		}
		if _, err := iampolicy.ParseS3Prefix(c.S3URI); err != nil {
			p.Add(path+".capture.s3Uri", "%v; e.g. s3://my-captures/%s", err, path[strings.LastIndexByte(path, '.')+1:])
		}
		if c.KMSKeyArn != "" && !awscontract.ValidKMSKeyARN(c.KMSKeyArn) {
			p.Add(path+".capture.kmsKeyArn", "must be a KMS key ARN arn:aws:kms:<region>:<account>:key/<id> (got %q)", c.KMSKeyArn)
		}
	}
	if g := m.Guardrails; g != nil {
		validateGuardrails(p, path+".deploymentGuardrails", g, m)
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

func validateEnvironment(p *problems.List, path string, env map[string]string) {
	if len(env) > MaxEnvironmentEntries {
		p.Add(path, "at most %d variables (SageMaker's limit), got %d", MaxEnvironmentEntries, len(env))
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		switch {
		case !reEnvName.MatchString(k) || len(k) > MaxEnvironmentKey:
			p.Add(path+"."+k, "environment variable names must match %s and have at most %d characters", reEnvName, MaxEnvironmentKey)
		case utf8.RuneCountInString(env[k]) > MaxEnvironmentValue:
			p.Add(path+"."+k, "the value has %d characters; SageMaker allows at most %d", utf8.RuneCountInString(env[k]), MaxEnvironmentValue)
		}
	}
}

// ValidateImage checks an image (a model's, or a canary's).
func ValidateImage(p *problems.List, path string, img ImageConfig) {
	switch {
	case img.Algorithm != "" && img.URI != "":
		p.Add(path, "set either algorithm (a SageMaker built-in) or uri (an ECR image), not both")
	case img.Algorithm == "" && img.URI == "":
		p.Add(path, "set algorithm (one of %s) or uri (an ECR image URI)", strings.Join(BuiltinAlgorithms, ", "))
	case img.Algorithm != "":
		if !slices.Contains(BuiltinAlgorithms, img.Algorithm) {
			p.Add(path+".algorithm", "unknown algorithm %q; use one of %s, or set uri to an ECR image", img.Algorithm, strings.Join(BuiltinAlgorithms, ", "))
		}
		if !reImageTag.MatchString(img.Tag) {
			p.Add(path+".tag", "invalid image tag %q; use letters, digits, '.', '_' or '-'", img.Tag)
		}
	default:
		if img.Tag != "" {
			p.Add(path+".tag", "tag applies to algorithm images only; put the tag in uri (…/repo:tag)")
		}
		if _, err := iampolicy.ParseImage(img.URI); err != nil {
			p.Add(path+".uri", "must be an ECR image URI like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag (got %q)", img.URI)
		}
	}
}

// ValidateModelDataURL checks an artifact URL (a model's, or a canary's).
func ValidateModelDataURL(p *problems.List, path, url string, required bool) {
	switch {
	case url == "" && required:
		p.Add(path, "missing; set it to the model artifact, e.g. s3://my-bucket/models/ratings/model.tar.gz")
	case url == "":
	case !validArtifact(url):
		p.Add(path, "must be an S3 URL of a .tar.gz artifact like s3://my-bucket/models/ratings/model.tar.gz (got %q)", url)
	}
}

func validArtifact(url string) bool {
	_, err := iampolicy.ParseS3URL(url)
	return err == nil
}

func validateInstance(p *problems.List, path string, m Config) {
	in := m.Instance
	if !slices.Contains(SageMakerInstanceTypes, in.Type) {
		p.Add(path+".instance.type", "%q is not a SageMaker real-time instance type (AWS's ProductionVariantInstanceType, e.g. ml.m5.large, ml.c5.xlarge, ml.g5.xlarge)", in.Type)
	}
	if in.InitialCount < 1 {
		p.Add(path+".instance.initialCount", "must be at least 1 (got %d)", in.InitialCount)
	}
	a := m.Autoscaling
	if a == nil {
		p.Add(path+".autoscaling", "required for instance variants: set minCapacity, maxCapacity and targetInvocationsPerInstance")
		return
	}
	ap := path + ".autoscaling"
	if a.MinCapacity < 1 {
		p.Add(ap+".minCapacity", "must be at least 1 (got %d)", a.MinCapacity)
	}
	if a.MaxCapacity < a.MinCapacity {
		p.Add(ap, "minCapacity (%d) must not exceed maxCapacity (%d)", a.MinCapacity, a.MaxCapacity)
	}
	if in.InitialCount >= 1 && a.MinCapacity >= 1 && a.MaxCapacity >= a.MinCapacity &&
		(in.InitialCount < a.MinCapacity || in.InitialCount > a.MaxCapacity) {
		p.Add(path+".instance.initialCount", "must lie within autoscaling minCapacity..maxCapacity (%d..%d), got %d", a.MinCapacity, a.MaxCapacity, in.InitialCount)
	}
	if a.TargetInvocationsPerInstance <= 0 {
		p.Add(ap+".targetInvocationsPerInstance", "must be greater than 0 (invocations per instance per minute)")
	}
	if a.ScaleInCooldownSeconds < 0 || a.ScaleInCooldownSeconds > 3600 {
		p.Add(ap+".scaleInCooldownSeconds", "must be between 0 and 3600")
	}
	if a.ScaleOutCooldownSeconds < 0 || a.ScaleOutCooldownSeconds > 3600 {
		p.Add(ap+".scaleOutCooldownSeconds", "must be between 0 and 3600")
	}
}

func validateServerless(p *problems.List, path string, m Config) {
	s := m.Serverless
	if !slices.Contains(serverlessMemory, s.MemorySizeInMB) {
		p.Add(path+".serverless.memorySizeInMb", "must be one of 1024, 2048, 3072, 4096, 5120, 6144 (got %d)", s.MemorySizeInMB)
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > 200 {
		p.Add(path+".serverless.maxConcurrency", "must be between 1 and 200 (got %d)", s.MaxConcurrency)
	}
	if s.ProvisionedConcurrency < 0 || s.ProvisionedConcurrency > s.MaxConcurrency {
		p.Add(path+".serverless.provisionedConcurrency", "must be between 0 and maxConcurrency (%d)", s.MaxConcurrency)
	}
	if m.Autoscaling != nil {
		p.Add(path+".autoscaling", "serverless variants scale by themselves; remove autoscaling or use instance")
	}
}

// validateGuardrails checks a blue/green policy against AWS's step rules and the bundled
// provider's limits (awscontract.GuardrailProblems, with their sources), against the fleet the
// rollout meets: between autoscaling minCapacity and maxCapacity instances.
func validateGuardrails(p *problems.List, path string, g *GuardrailsConfig, m Config) {
	if m.Instance == nil {
		p.Add(path, "blue/green guardrails need an instance variant; remove deploymentGuardrails or use instance")
	}
	if g.Type != "CANARY" && g.Type != "LINEAR" {
		p.Add(path+".type", "must be CANARY or LINEAR (got %q)", g.Type)
	}
	switch {
	case g.StepInstances != 0 && g.StepPercent != 0:
		p.Add(path, "set stepInstances or stepPercent, not both")
	case g.StepInstances == 0 && g.StepPercent == 0:
		p.Add(path, "set stepInstances (instances shifted per step, e.g. 1) or stepPercent (percent of capacity)")
	case g.StepPercent != 0 && (g.StepPercent < 1 || g.StepPercent > 50):
		p.Add(path+".stepPercent", "must be between 1 and 50 percent of capacity (got %d)", g.StepPercent)
	case g.StepInstances < 0:
		p.Add(path+".stepInstances", "must be at least 1 (got %d)", g.StepInstances)
	}
	if g.WaitIntervalSeconds < 0 || g.WaitIntervalSeconds > 3600 {
		p.Add(path+".waitIntervalSeconds", "must be between 0 and 3600 (got %d)", g.WaitIntervalSeconds)
	}
	if g.TerminationWaitSeconds < 0 || g.TerminationWaitSeconds > 3600 {
		p.Add(path+".terminationWaitSeconds", "must be between 0 and 3600 (got %d)", g.TerminationWaitSeconds)
	}
	if g.MaximumExecutionTimeoutSeconds < 600 {
		p.Add(path+".maximumExecutionTimeoutSeconds", "must be at least 600 (got %d)", g.MaximumExecutionTimeoutSeconds)
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
			p.Add(stepKey, "%s; set stepInstances to a whole number of instances between 1 and half of autoscaling.minCapacity (%d)", pr.Message, a.MinCapacity)
		case awscontract.GuardrailTiming:
			p.Add(path+".waitIntervalSeconds", "%s; shorten waitIntervalSeconds or terminationWaitSeconds", pr.Message)
		default:
			p.Add(path+".maximumExecutionTimeoutSeconds", "%s", pr.Message)
		}
	}
}
