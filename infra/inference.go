package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// VariantName is the fixed production variant name: deployment guardrails need the same name
// across endpoint configurations, and the autoscaling resource id contains it.
const VariantName = "AllTraffic"

// ModelEndpointArgs configures one model version and its real-time endpoint.
type ModelEndpointArgs struct {
	// Model is the config name of the model (tags); EndpointName the physical endpoint name.
	Model        string
	EndpointName string
	Config       ModelConfig
	Platform     iampolicy.Platform
	Tags         pulumi.StringMap
	// Alarms creates the endpoint's alarms (nil: none); AlarmActions are notified.
	Alarms       *AlarmsConfig
	AlarmActions pulumi.ArrayInput
	// Protect guards the endpoint against deletion; KMSKeyArn encrypts instance volumes and the
	// endpoint's log group.
	Protect   bool
	KMSKeyArn string
	// LogRetentionDays is the endpoint log group's retention; ProtectLogs and RetainLogs guard
	// it (never for a canary: rollback and promotion delete it).
	LogRetentionDays        int
	ProtectLogs, RetainLogs bool
}

// ModelEndpoint is a SageMaker model, its endpoint configuration and endpoint, its execution
// role and, for instance variants, its autoscaling; with guardrails, its rollback alarms.
type ModelEndpoint struct {
	pulumi.ResourceState

	EndpointName pulumi.StringOutput `pulumi:"endpointName"`
	EndpointArn  pulumi.StringOutput `pulumi:"endpointArn"`
	ModelName    pulumi.StringOutput `pulumi:"modelName"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn"`
}

// NewModelEndpoint registers the inference tier of one model version.
func NewModelEndpoint(ctx *pulumi.Context, name string, args *ModelEndpointArgs, opts ...pulumi.ResourceOption) (*ModelEndpoint, error) {
	if args == nil || args.EndpointName == "" {
		return nil, fmt.Errorf("model endpoint %s: EndpointName is required", name)
	}
	cfg := args.Config
	artifact, err := iampolicy.ParseS3URL(cfg.ModelDataURL)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: %w", name, err)
	}
	comp := &ModelEndpoint{}
	if err := ctx.RegisterComponentResource(TypeModelEndpoint, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	image, err := resolveImage(ctx, cfg.Image, args.Platform.Region, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: image: %w", name, err)
	}
	role, rolePolicies, err := newExecutionRole(ctx, name, args, image, artifact, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: role: %w", name, err)
	}

	// A blue/green rollout can roll back to the previous configuration while the provider reports
	// success; Pulumi would then delete the configuration, model and artifact grant the endpoint
	// runs on again (F1: terraform-provider-aws#48997, #46663; UpdateEndpoint: "You must not
	// delete an EndpointConfig in use"). With guardrails they are retained: replaced versions
	// leave the state but stay in the account (README, "Cleaning up retained model versions").
	retain := pulumi.RetainOnDelete(cfg.Guardrails != nil)
	model, err := sagemaker.NewModel(ctx, child(name, "model"), &sagemaker.ModelArgs{
		ExecutionRoleArn:       role.Arn,
		EnableNetworkIsolation: pulumi.Bool(cfg.Isolated()),
		PrimaryContainer: &sagemaker.ModelPrimaryContainerArgs{
			Image:        pulumi.String(image.URI),
			ModelDataUrl: pulumi.String(cfg.ModelDataURL),
			Environment:  pulumi.ToStringMap(cfg.Environment),
			Mode:         pulumi.String("SingleModel"),
		},
		Tags: args.Tags,
	}, parent, pulumi.DependsOn(rolePolicies), retain)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: model: %w", name, err)
	}

	// Never a fixed name: every field is ForceNew, so a change replaces the configuration and
	// the new one must exist before the old one is deleted.
	configArgs := &sagemaker.EndpointConfigurationArgs{
		ProductionVariants: sagemaker.EndpointConfigurationProductionVariantArray{productionVariant(cfg, model.Name)},
		Tags:               args.Tags,
	}
	if args.KMSKeyArn != "" && cfg.Instance != nil {
		// Serverless variants have no storage volume to encrypt.
		configArgs.KmsKeyArn = pulumi.String(args.KMSKeyArn)
	}
	if c := cfg.Capture; c != nil {
		// Requests and answers, JSON and CSV decoded as text; each record carries the inference id
		// (API Gateway's request id, sent as X-Amzn-SageMaker-Inference-Id).
		dc := &sagemaker.EndpointConfigurationDataCaptureConfigArgs{
			EnableCapture:             pulumi.Bool(true),
			InitialSamplingPercentage: pulumi.Int(c.SamplingPercent),
			DestinationS3Uri:          pulumi.String(c.S3URI),
			CaptureOptions: sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArray{
				sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs{CaptureMode: pulumi.String("Input")},
				sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs{CaptureMode: pulumi.String("Output")},
			},
			CaptureContentTypeHeader: &sagemaker.EndpointConfigurationDataCaptureConfigCaptureContentTypeHeaderArgs{
				JsonContentTypes: pulumi.ToStringArray([]string{"application/json"}),
				CsvContentTypes:  pulumi.ToStringArray([]string{"text/csv"}),
			},
		}
		if c.KMSKeyArn != "" {
			dc.KmsKeyId = pulumi.String(c.KMSKeyArn)
		}
		configArgs.DataCaptureConfig = dc
	}
	endpointConfig, err := sagemaker.NewEndpointConfiguration(ctx, child(name, "config"), configArgs, parent, retain)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: endpoint configuration: %w", name, err)
	}

	endpointArgs := &sagemaker.EndpointArgs{
		Name:               pulumi.String(args.EndpointName),
		EndpointConfigName: endpointConfig.Name,
		Tags:               args.Tags,
	}
	if args.Alarms != nil {
		rollback, err := newEndpointAlarms(ctx, name, args, parent)
		if err != nil {
			return nil, fmt.Errorf("model endpoint %s: alarms: %w", name, err)
		}
		if g := cfg.Guardrails; g != nil {
			endpointArgs.DeploymentConfig = guardrails(g, rollback)
		}
	}
	// SageMaker writes the endpoint's container logs to /aws/sagemaker/Endpoints/<name> and,
	// left to itself, creates that group with no retention: it would never expire and would
	// outlive the endpoint (a canary's, after every rollback). Owning it, created before the
	// endpoint, sets the retention and deletes it after the endpoint (F13).
	logArgs := &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(EndpointLogGroup(args.EndpointName)),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            args.Tags,
	}
	if args.KMSKeyArn != "" {
		logArgs.KmsKeyId = pulumi.String(args.KMSKeyArn)
	}
	logs, err := cloudwatch.NewLogGroup(ctx, child(name, "logs"), logArgs, parent,
		pulumi.Protect(args.ProtectLogs), pulumi.RetainOnDelete(args.RetainLogs))
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: log group: %w", name, err)
	}
	// The endpoint's name is fixed (the stage variables name it), so a replacement can only be
	// delete-first: create-first fails on CreateEndpoint's unique name. Replacements are rare
	// and explicit — renaming, or adding or removing the rollback configuration (guardrails on
	// or off; ForceNew in the provider, F8) — and protected endpoints refuse them at preview
	// (README, "Changes that need pulumi state unprotect").
	endpoint, err := sagemaker.NewEndpoint(ctx, child(name, "endpoint"), endpointArgs, parent, pulumi.Protect(args.Protect),
		pulumi.DependsOn([]pulumi.Resource{logs}), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: endpoint: %w", name, err)
	}

	if cfg.Instance != nil {
		if err := newAutoscaling(ctx, name, cfg.Autoscaling, endpoint, args.Tags, parent); err != nil {
			return nil, fmt.Errorf("model endpoint %s: autoscaling: %w", name, err)
		}
	}

	comp.EndpointName = endpoint.Name
	comp.EndpointArn = endpoint.Arn
	comp.ModelName = model.Name
	comp.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpointName": endpoint.Name,
		"endpointArn":  endpoint.Arn,
		"modelName":    model.Name,
		"roleArn":      role.Arn,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// resolveImage looks up a built-in algorithm's image for the region, or parses an explicit URI.
func resolveImage(ctx *pulumi.Context, img ImageConfig, region string, opts ...pulumi.InvokeOption) (iampolicy.ImageRef, error) {
	if img.URI != "" {
		return iampolicy.ParseImage(img.URI)
	}
	res, err := sagemaker.GetPrebuiltEcrImage(ctx, &sagemaker.GetPrebuiltEcrImageArgs{
		RepositoryName: img.Algorithm,
		ImageTag:       pulumi.StringRef(img.Tag),
		Region:         pulumi.StringRef(region),
	}, opts...)
	if err != nil {
		return iampolicy.ImageRef{}, fmt.Errorf("looking up built-in algorithm %q:%s in %s: %w", img.Algorithm, img.Tag, region, err)
	}
	return iampolicy.ParseImage(res.RegistryPath)
}

// newExecutionRole creates the model's execution role, its policy, and the read grant of its
// artifact as a policy of its own whose logical name is derived from the artifact URL (F4):
// changing modelDataUrl creates the new grant before the new model (which waits for it) and
// leaves the old one in place until Pulumi deletes it at the end of the run — after the
// endpoint has moved to the new model — instead of narrowing the one policy to the new artifact
// while the old fleet still runs (and may scale out or be replaced) on the old one.
func newExecutionRole(ctx *pulumi.Context, name string, args *ModelEndpointArgs, image iampolicy.ImageRef, artifact iampolicy.S3Object, parent pulumi.ResourceOrInvokeOption) (*iam.Role, []pulumi.Resource, error) {
	trust, err := iampolicy.SageMakerAssumeRolePolicy(args.Platform.AccountID).JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, child(name, "role"), &iam.RoleArgs{
		Description:      pulumi.Sprintf("SageMaker execution role for %s", args.EndpointName),
		AssumeRolePolicy: pulumi.String(trust),
		// Deleting the role deletes its retained artifact grants too; without this the provider
		// deletes only inline policies it manages itself, and DeleteRole fails with DeleteConflict
		// (terraform-provider-aws internal/service/iam/role.go, deleteRole).
		ForceDetachPolicies: pulumi.Bool(true),
		Tags:                args.Tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	var rollbackAlarms []string
	if args.Alarms != nil && args.Config.Guardrails != nil {
		for _, kind := range rollbackAlarmKinds {
			rollbackAlarms = append(rollbackAlarms, EndpointAlarmName(args.EndpointName, kind))
		}
	}
	var policies []pulumi.Resource
	type policyItem struct {
		name   string
		doc    iampolicy.PolicyDocument
		retain bool
	}
	docs := []policyItem{
		{child(name, "role-policy"), iampolicy.ModelExecutionPolicy(args.Platform, EndpointLogGroup(args.EndpointName), image, rollbackAlarms), false},
		// Retained with guardrails, like the model versions that read it (F1, F4).
		{ArtifactPolicyName(name, args.Config.ModelDataURL), iampolicy.ArtifactReadPolicy(args.Platform, artifact), args.Config.Guardrails != nil},
	}
	if c := args.Config.Capture; c != nil {
		dest, err := iampolicy.ParseS3Prefix(c.S3URI)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, policyItem{child(name, "capture"), iampolicy.CapturePolicy(args.Platform, dest, c.KMSKeyArn), false})
	}
	for _, p := range docs {
		doc, err := p.doc.JSON()
		if err != nil {
			return nil, nil, err
		}
		policy, err := iam.NewRolePolicy(ctx, p.name, &iam.RolePolicyArgs{Role: role.ID(), Policy: pulumi.String(doc)}, parent, pulumi.RetainOnDelete(p.retain))
		if err != nil {
			return nil, nil, err
		}
		policies = append(policies, policy)
	}
	return role, policies, nil
}

// ArtifactPolicyName is the logical name of a model's artifact grant: <model>-artifact-<first 8
// hex of the URL's SHA-256>, one per artifact.
func ArtifactPolicyName(component, modelDataURL string) string {
	sum := sha256.Sum256([]byte(modelDataURL))
	return child(component, "artifact-"+hex.EncodeToString(sum[:4]))
}

func productionVariant(cfg ModelConfig, modelName pulumi.StringOutput) sagemaker.EndpointConfigurationProductionVariantArgs {
	v := sagemaker.EndpointConfigurationProductionVariantArgs{
		ModelName:            modelName,
		VariantName:          pulumi.String(VariantName),
		InitialVariantWeight: pulumi.Float64(1),
	}
	if in := cfg.Instance; in != nil {
		v.InstanceType = pulumi.String(in.Type)
		v.InitialInstanceCount = pulumi.Int(in.InitialCount)
		if in.StartupHealthCheckTimeoutSeconds > 0 {
			v.ContainerStartupHealthCheckTimeoutInSeconds = pulumi.Int(in.StartupHealthCheckTimeoutSeconds)
		}
		if in.ModelDownloadTimeoutSeconds > 0 {
			v.ModelDataDownloadTimeoutInSeconds = pulumi.Int(in.ModelDownloadTimeoutSeconds)
		}
		return v
	}
	s := cfg.Serverless
	sc := &sagemaker.EndpointConfigurationProductionVariantServerlessConfigArgs{
		MemorySizeInMb: pulumi.Int(s.MemorySizeInMB),
		MaxConcurrency: pulumi.Int(s.MaxConcurrency),
	}
	if s.ProvisionedConcurrency > 0 {
		sc.ProvisionedConcurrency = pulumi.Int(s.ProvisionedConcurrency)
	}
	v.ServerlessConfig = sc
	return v
}

func newAutoscaling(ctx *pulumi.Context, name string, a *AutoscalingConfig, endpoint *sagemaker.Endpoint, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) error {
	target, err := appautoscaling.NewTarget(ctx, child(name, "scaling-target"), &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("sagemaker"),
		ResourceId:        pulumi.Sprintf("endpoint/%s/variant/%s", endpoint.Name, VariantName),
		ScalableDimension: pulumi.String("sagemaker:variant:DesiredInstanceCount"),
		MinCapacity:       pulumi.Int(a.MinCapacity),
		MaxCapacity:       pulumi.Int(a.MaxCapacity),
		Tags:              tags,
	}, parent)
	if err != nil {
		return err
	}
	_, err = appautoscaling.NewPolicy(ctx, child(name, "scaling-policy"), &appautoscaling.PolicyArgs{
		PolicyType:        pulumi.String("TargetTrackingScaling"),
		ServiceNamespace:  target.ServiceNamespace,
		ResourceId:        target.ResourceId,
		ScalableDimension: target.ScalableDimension,
		TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
			TargetValue: pulumi.Float64(a.TargetInvocationsPerInstance),
			PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
				PredefinedMetricType: pulumi.String("SageMakerVariantInvocationsPerInstance"),
			},
			ScaleInCooldown:  pulumi.Int(a.ScaleInCooldownSeconds),
			ScaleOutCooldown: pulumi.Int(a.ScaleOutCooldownSeconds),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{target}))
	return err
}

// Endpoint alarm kinds; names are <endpoint name>-<kind>.
const (
	alarm5xx     = "invocation-5xx"
	alarmLatency = "model-latency-p99"
	alarmCPU     = "cpu"
	// alarmSetupTime is a serverless variant's cold-start alarm.
	alarmSetupTime = "model-setup-time"
)

// EndpointLogGroup is the log group SageMaker writes an endpoint's container logs to.
func EndpointLogGroup(endpointName string) string { return "/aws/sagemaker/Endpoints/" + endpointName }

// rollbackAlarmKinds are the endpoint alarms the blue/green guardrails roll back on (CPU only
// notifies: load is no reason to return to the old model).
var rollbackAlarmKinds = []string{alarm5xx, alarmLatency}

// EndpointAlarmName derives an alarm's name from the endpoint name (known before the endpoint
// exists), so the alarms can name the endpoint in their dimensions without a dependency cycle.
func EndpointAlarmName(endpointName, kind string) string { return endpointName + "-" + kind }

// newEndpointAlarms creates the endpoint's alarms: 5XX invocation errors, ModelLatency p99 and,
// for instance variants, CPU. It returns the first two's Name outputs (the blue/green rollback
// alarms; naming them through outputs makes them exist before the endpoint is updated).
func newEndpointAlarms(ctx *pulumi.Context, name string, args *ModelEndpointArgs, parent pulumi.ResourceOrInvokeOption) ([]pulumi.StringInput, error) {
	a := args.Alarms
	dims := pulumi.StringMap{"EndpointName": pulumi.String(args.EndpointName), "VariantName": pulumi.String(VariantName)}
	specs := []alarmSpec{
		{role: "alarm-invocation-5xx", kind: alarm5xx, namespace: "AWS/SageMaker", metric: "Invocation5XXErrors", statistic: "Sum",
			comparison: "GreaterThanOrEqualToThreshold", threshold: a.EndpointInvocation5xxPerMinute, period: 60, periods: 2, what: "5XX invocation errors per minute"},
		// ModelLatency is reported in microseconds.
		{role: "alarm-model-latency", kind: alarmLatency, namespace: "AWS/SageMaker", metric: "ModelLatency", statistic: "p99",
			comparison: "GreaterThanThreshold", threshold: a.EndpointModelLatencyP99Ms * 1000, period: 60, periods: 3, what: "ModelLatency p99"},
	}
	if args.Config.Serverless != nil && a.EndpointModelSetupTimeMs > 0 {
		// ModelSetupTime is reported in microseconds when a serverless endpoint launches compute
		// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html).
		specs = append(specs, alarmSpec{role: "alarm-model-setup-time", kind: alarmSetupTime, namespace: "AWS/SageMaker", metric: "ModelSetupTime", statistic: "Maximum",
			comparison: "GreaterThanThreshold", threshold: a.EndpointModelSetupTimeMs * 1000, period: 60, periods: 1, what: "serverless cold start (ModelSetupTime)"})
	}
	if args.Config.Instance != nil {
		specs = append(specs, alarmSpec{role: "alarm-cpu", kind: alarmCPU, namespace: "/aws/sagemaker/Endpoints", metric: "CPUUtilization", statistic: "Average",
			comparison: "GreaterThanThreshold", threshold: a.EndpointCPUPercent, period: 60, periods: 5, what: "CPU utilisation"})
	}
	var rollback []pulumi.StringInput
	for _, sp := range specs {
		alarm, err := newMetricAlarm(ctx, child(name, sp.role), EndpointAlarmName(args.EndpointName, sp.kind), args.EndpointName, sp, dims, args.AlarmActions, args.Tags, parent)
		if err != nil {
			return nil, err
		}
		if slices.Contains(rollbackAlarmKinds, sp.kind) {
			rollback = append(rollback, alarm.Name)
		}
	}
	return rollback, nil
}

func guardrails(g *GuardrailsConfig, alarmNames []pulumi.StringInput) *sagemaker.EndpointDeploymentConfigArgs {
	routing := &sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs{
		Type:                  pulumi.String(g.Type),
		WaitIntervalInSeconds: pulumi.Int(g.WaitIntervalSeconds),
	}
	step := &sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySizeArgs{
		Type: pulumi.String("INSTANCE_COUNT"), Value: pulumi.Int(g.StepInstances),
	}
	if g.StepPercent != 0 {
		step.Type, step.Value = pulumi.String("CAPACITY_PERCENT"), pulumi.Int(g.StepPercent)
	}
	if g.Type == "CANARY" {
		routing.CanarySize = step
	} else {
		routing.LinearStepSize = &sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationLinearStepSizeArgs{
			Type: step.Type, Value: step.Value,
		}
	}
	alarms := sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArray{}
	for _, n := range alarmNames {
		alarms = append(alarms, sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArgs{AlarmName: n})
	}
	return &sagemaker.EndpointDeploymentConfigArgs{
		BlueGreenUpdatePolicy: &sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyArgs{
			TrafficRoutingConfiguration:      routing,
			TerminationWaitInSeconds:         pulumi.Int(g.TerminationWaitSeconds),
			MaximumExecutionTimeoutInSeconds: pulumi.Int(g.MaximumExecutionTimeoutSeconds),
		},
		AutoRollbackConfiguration: &sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationArgs{Alarms: alarms},
	}
}
