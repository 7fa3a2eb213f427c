package inference

import (
	"regexp"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

// Config describes one SageMaker model and its real-time endpoint (models.<name>).
type Config struct {
	Image        ImageConfig `json:"image"`
	ModelDataURL string      `json:"modelDataUrl,omitempty"`
	// ModelPackage creates the model from a versioned package of the SageMaker Model Registry
	// instead of modelDataUrl; image then names the package's image (the pull grant and the
	// network-isolation default).
	ModelPackage *ModelPackageConfig `json:"modelPackage,omitempty"`
	Environment  map[string]string   `json:"environment,omitempty"`
	// Exactly one of Instance and Serverless.
	Instance    *InstanceConfig    `json:"instance,omitempty"`
	Serverless  *ServerlessConfig  `json:"serverless,omitempty"`
	Autoscaling *AutoscalingConfig `json:"autoscaling,omitempty"`
	Guardrails  *GuardrailsConfig  `json:"deploymentGuardrails,omitempty"`
	// NetworkIsolation runs the container without network access (SageMaker still downloads
	// the artifact). Default: on for built-in algorithm images on instance variants, off
	// otherwise; serverless variants do not support it.
	NetworkIsolation *bool `json:"networkIsolation,omitempty"`
	// Shadow runs a candidate version beside the production variant on a copy of a share of
	// its requests (instance variants only); clients only ever get the production answer.
	Shadow *ShadowConfig `json:"shadow,omitempty"`
	// VPC attaches the model's containers to subnets of a VPC (instance variants only).
	VPC *VPCConfig `json:"vpc,omitempty"`
	// Capture records a share of requests and answers in S3 (instance variants only). With the
	// request id as the inference id, a captured prediction is found from a client's
	// X-Request-Id.
	Capture *CaptureConfig `json:"capture,omitempty"`
}

// ModelPackageConfig is a registry model version: its package ARN and the S3 prefix the
// registry keeps this model's artifacts under (the execution role may read objects there).
type ModelPackageConfig struct {
	Arn       string `json:"arn"`
	Artifacts string `json:"artifacts"`
}

// ShadowConfig is a shadow variant: the candidate's artifact, image or registry version (what
// differs from the production model), the share of requests SageMaker copies to it, and its
// instances.
type ShadowConfig struct {
	ModelDataURL    string          `json:"modelDataUrl,omitempty"`
	Image           *ImageConfig    `json:"image,omitempty"`
	ModelPackageArn string          `json:"modelPackageArn,omitempty"`
	SamplingPercent int             `json:"samplingPercent"`
	Instance        *InstanceConfig `json:"instance"`
}

// ShadowModel is the shadow variant's model configuration: the production model with the
// shadow's artifact, image or package version (and no shadow of its own).
func (m Config) ShadowModel() Config {
	s := m.Shadow
	out := m
	out.Shadow = nil
	if s.ModelDataURL != "" {
		out.ModelDataURL = s.ModelDataURL
	}
	if s.Image != nil {
		out.Image = *s.Image
	}
	if s.ModelPackageArn != "" && m.ModelPackage != nil {
		mp := *m.ModelPackage
		mp.Arn = s.ModelPackageArn
		out.ModelPackage = &mp
	}
	return out
}

// VPCConfig is the model's VpcConfig: SageMaker creates network interfaces in these subnets
// with these security groups for the model's containers.
type VPCConfig struct {
	SubnetIDs        []string `json:"subnetIds"`
	SecurityGroupIDs []string `json:"securityGroupIds"`
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
	// ProvisionedScaling scales the provisioned concurrency with Application Auto Scaling
	// (target tracking, optional schedules); provisionedConcurrency is then the starting value.
	ProvisionedScaling *ProvisionedScalingConfig `json:"provisionedScaling,omitempty"`
}

// ProvisionedScalingConfig is target tracking on SageMakerVariantProvisionedConcurrencyUtilization
// (the share of provisioned concurrency in use, 0-1) between MinCapacity and MaxCapacity, with
// optional scheduled changes of those bounds.
type ProvisionedScalingConfig struct {
	MinCapacity             int              `json:"minCapacity"`
	MaxCapacity             int              `json:"maxCapacity"`
	TargetUtilization       float64          `json:"targetUtilization"`
	ScaleInCooldownSeconds  int              `json:"scaleInCooldownSeconds,omitempty"`
	ScaleOutCooldownSeconds int              `json:"scaleOutCooldownSeconds,omitempty"`
	Schedules               []ScheduleConfig `json:"schedules,omitempty"`
}

// ScheduleConfig is a scheduled action: at Schedule (cron, rate or at, in Timezone), the
// provisioned concurrency's bounds become MinCapacity..MaxCapacity.
type ScheduleConfig struct {
	Name        string `json:"name"`
	Schedule    string `json:"schedule"`
	Timezone    string `json:"timezone,omitempty"`
	MinCapacity int    `json:"minCapacity"`
	MaxCapacity int    `json:"maxCapacity"`
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
	if sh := m.Shadow; sh != nil && sh.Image != nil {
		sh.Image.ApplyDefaults()
	}
	if s := m.Serverless; s != nil && s.ProvisionedScaling != nil {
		ps := s.ProvisionedScaling
		if ps.ScaleInCooldownSeconds == 0 {
			ps.ScaleInCooldownSeconds = DefaultScaleCooldownSeconds
		}
		if ps.ScaleOutCooldownSeconds == 0 {
			ps.ScaleOutCooldownSeconds = DefaultScaleCooldownSeconds
		}
	}
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
	if mp := m.ModelPackage; mp != nil {
		if m.ModelDataURL != "" {
			p.Add(path+".modelDataUrl", "remove it: the model package carries its artifact (modelPackage.artifacts names where the registry keeps them)")
		}
		ValidateModelPackageArn(p, path+".modelPackage.arn", mp.Arn)
		if _, err := iampolicy.ParseS3Prefix(mp.Artifacts); err != nil {
			p.Add(path+".modelPackage.artifacts", "%v; the prefix the registry keeps this model's artifacts under, e.g. s3://my-models/%s/", err, path[strings.LastIndexByte(path, '.')+1:])
		}
	} else {
		ValidateModelDataURL(p, path+".modelDataUrl", m.ModelDataURL, true)
	}
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
	if v := m.VPC; v != nil {
		validateVPC(p, path+".vpc", v, m.Serverless != nil)
	}
	if sh := m.Shadow; sh != nil {
		validateShadow(p, path+".shadow", m)
	}
}
