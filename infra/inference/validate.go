package inference

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ml-rest-api/ml-rest-api/internal/awscontract"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

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
		p.Add(path+".autoscaling", "serverless variants scale by themselves; remove autoscaling or use instance (provisioned concurrency scales with serverless.provisionedScaling)")
	}
	if ps := s.ProvisionedScaling; ps != nil {
		validateProvisionedScaling(p, path+".serverless.provisionedScaling", ps, s)
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

var (
	reSubnetID        = regexp.MustCompile(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	reSecurityGroupID = regexp.MustCompile(`^sg-[0-9a-f]{8}([0-9a-f]{9})?$`)
)

// validateVPC: SageMaker's VpcConfig takes 1-16 subnets and 1-5 security groups (API model:
// Subnets, VpcSecurityGroupIds); the ids are EC2's (8 or 17 hex digits). Serverless variants
// cannot have one (SageMaker's serverless exclusions).
func validateVPC(p *problems.List, path string, v *VPCConfig, serverless bool) {
	if serverless {
		p.Add(path, "serverless variants do not support a VPC (SageMaker's serverless exclusions); remove it or use an instance variant")
		return
	}
	lists := []struct {
		key     string
		ids     []string
		max     int
		re      *regexp.Regexp
		example string
	}{{"subnetIds", v.SubnetIDs, 16, reSubnetID, "subnet-0123456789abcdef0"}, {"securityGroupIds", v.SecurityGroupIDs, 5, reSecurityGroupID, "sg-0123456789abcdef0"}}
	for _, l := range lists {
		if len(l.ids) < 1 || len(l.ids) > l.max {
			p.Add(path+"."+l.key, "list 1 to %d ids (got %d)", l.max, len(l.ids))
		}
		seen := map[string]bool{}
		for i, id := range l.ids {
			if !l.re.MatchString(id) || seen[id] {
				p.Add(fmt.Sprintf("%s.%s[%d]", path, l.key, i), "must be a unique id like %s (got %q)", l.example, id)
			}
			seen[id] = true
		}
	}
}

// A versioned model package ARN: SageMaker's CreateModel takes a package version
// (model-package/<group>/<version>); an unversioned package cannot be approved or promoted.
var reModelPackageArn = regexp.MustCompile(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}/[1-9][0-9]{0,4}$`)

// ValidateModelPackageArn checks a registry model version (a model's, or a canary's).
func ValidateModelPackageArn(p *problems.List, path, arn string) {
	if !reModelPackageArn.MatchString(arn) {
		p.Add(path, "must be a versioned model package ARN arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version> (got %q)", arn)
	}
}

// validateShadow: a shadow variant runs on instances beside an instance production variant
// (serverless endpoints have one variant: SageMaker's serverless exclusions), gets 1-100 % of
// the requests, and is a different version of the model: another artifact, image or — for a
// registry model — package version.
func validateShadow(p *problems.List, path string, m Config) {
	sh := m.Shadow
	if m.Instance == nil {
		p.Add(path, "shadow variants need an instance production variant (serverless endpoints have a single variant); remove shadow or use instance")
	}
	if sh.SamplingPercent < 1 || sh.SamplingPercent > 100 {
		p.Add(path+".samplingPercent", "must be between 1 and 100 (the share of requests SageMaker copies to the shadow) (got %d)", sh.SamplingPercent)
	}
	switch {
	case m.ModelPackage != nil && sh.ModelDataURL != "":
		p.Add(path+".modelDataUrl", "the model comes from the model registry: set shadow.modelPackageArn to the candidate version instead")
	case m.ModelPackage != nil && sh.ModelPackageArn == "":
		// The package defines the container: an image alone would shadow the same version.
		p.Add(path+".modelPackageArn", "the model comes from the model registry: set the candidate version (an image alone would shadow the same package)")
	case m.ModelPackage == nil && sh.ModelPackageArn != "":
		p.Add(path+".modelPackageArn", "the model does not come from the model registry (no modelPackage): set modelDataUrl and/or image instead")
	case sh.ModelDataURL == "" && sh.Image == nil && sh.ModelPackageArn == "":
		p.Add(path, "set the candidate's modelDataUrl, image or modelPackageArn")
	}
	ValidateModelDataURL(p, path+".modelDataUrl", sh.ModelDataURL, false)
	if sh.Image != nil {
		ValidateImage(p, path+".image", *sh.Image)
	}
	if sh.ModelPackageArn != "" {
		ValidateModelPackageArn(p, path+".modelPackageArn", sh.ModelPackageArn)
	}
	if in := sh.Instance; in == nil {
		p.Add(path+".instance", "set the shadow's {type, initialCount}")
	} else {
		if !slices.Contains(SageMakerInstanceTypes, in.Type) {
			p.Add(path+".instance.type", "%q is not a SageMaker real-time instance type (AWS's ProductionVariantInstanceType)", in.Type)
		}
		if in.InitialCount < 1 {
			p.Add(path+".instance.initialCount", "must be at least 1 (got %d)", in.InitialCount)
		}
	}
}
