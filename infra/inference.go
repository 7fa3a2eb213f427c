package infra

import (
	"fmt"

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
	Platform     Platform
	Tags         pulumi.StringMap
}

// ModelEndpoint is a SageMaker model, its endpoint configuration and endpoint, its execution
// role and, for instance variants, its autoscaling; with guardrails, its rollback alarms.
type ModelEndpoint struct {
	pulumi.ResourceState

	EndpointName pulumi.StringOutput `pulumi:"endpointName"`
	EndpointArn  pulumi.StringOutput `pulumi:"endpointArn"`
	ModelName    pulumi.StringOutput `pulumi:"modelName"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn"`
	// Image is the resolved image URI (built-in algorithms are looked up per region).
	Image string
	// AlarmNames are the rollback alarms (empty without guardrails).
	AlarmNames []string
}

// NewModelEndpoint registers the inference tier of one model version.
func NewModelEndpoint(ctx *pulumi.Context, name string, args *ModelEndpointArgs, opts ...pulumi.ResourceOption) (*ModelEndpoint, error) {
	if args == nil || args.EndpointName == "" {
		return nil, fmt.Errorf("model endpoint %s: EndpointName is required", name)
	}
	cfg := args.Config
	artifact, err := ParseS3URL(cfg.ModelDataURL)
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
	comp.Image = image.URI

	role, rolePolicy, err := newExecutionRole(ctx, name, args, image, artifact, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: role: %w", name, err)
	}

	model, err := sagemaker.NewModel(ctx, child(name, "model"), &sagemaker.ModelArgs{
		ExecutionRoleArn: role.Arn,
		PrimaryContainer: &sagemaker.ModelPrimaryContainerArgs{
			Image:        pulumi.String(image.URI),
			ModelDataUrl: pulumi.String(cfg.ModelDataURL),
			Environment:  pulumi.ToStringMap(cfg.Environment),
			Mode:         pulumi.String("SingleModel"),
		},
		Tags: args.Tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: model: %w", name, err)
	}

	// Never a fixed name: every field is ForceNew, so a change replaces the configuration and
	// the new one must exist before the old one is deleted.
	endpointConfig, err := sagemaker.NewEndpointConfiguration(ctx, child(name, "config"), &sagemaker.EndpointConfigurationArgs{
		ProductionVariants: sagemaker.EndpointConfigurationProductionVariantArray{productionVariant(cfg, model.Name)},
		Tags:               args.Tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("model endpoint %s: endpoint configuration: %w", name, err)
	}

	endpointArgs := &sagemaker.EndpointArgs{
		Name:               pulumi.String(args.EndpointName),
		EndpointConfigName: endpointConfig.Name,
		Tags:               args.Tags,
	}
	if g := cfg.Guardrails; g != nil {
		alarms, err := newRollbackAlarms(ctx, name, args, parent)
		if err != nil {
			return nil, fmt.Errorf("model endpoint %s: alarms: %w", name, err)
		}
		endpointArgs.DeploymentConfig = guardrails(g, alarms)
		comp.AlarmNames = []string{rollbackAlarmName(args.EndpointName, alarm5xx), rollbackAlarmName(args.EndpointName, alarmLatency)}
	}
	endpoint, err := sagemaker.NewEndpoint(ctx, child(name, "endpoint"), endpointArgs, parent)
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
func resolveImage(ctx *pulumi.Context, img ImageConfig, region string, opts ...pulumi.InvokeOption) (ImageRef, error) {
	if img.URI != "" {
		return ParseImage(img.URI)
	}
	res, err := sagemaker.GetPrebuiltEcrImage(ctx, &sagemaker.GetPrebuiltEcrImageArgs{
		RepositoryName: img.Algorithm,
		ImageTag:       pulumi.StringRef(img.Tag),
		Region:         pulumi.StringRef(region),
	}, opts...)
	if err != nil {
		return ImageRef{}, fmt.Errorf("looking up built-in algorithm %q:%s in %s: %w", img.Algorithm, img.Tag, region, err)
	}
	return ParseImage(res.RegistryPath)
}

func newExecutionRole(ctx *pulumi.Context, name string, args *ModelEndpointArgs, image ImageRef, artifact S3Object, parent pulumi.ResourceOrInvokeOption) (*iam.Role, *iam.RolePolicy, error) {
	trust, err := ServiceAssumeRolePolicy("sagemaker.amazonaws.com", args.Platform.AccountID).JSON()
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, child(name, "role"), &iam.RoleArgs{
		Description:      pulumi.Sprintf("SageMaker execution role for %s", args.EndpointName),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             args.Tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	doc, err := ModelExecutionPolicy(args.Platform, args.EndpointName, image, artifact).JSON()
	if err != nil {
		return nil, nil, err
	}
	policy, err := iam.NewRolePolicy(ctx, child(name, "role-policy"), &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: pulumi.String(doc),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return role, policy, nil
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

const (
	alarm5xx     = "invocation-5xx"
	alarmLatency = "model-latency-p99"
)

// rollbackAlarmName derives an alarm's name from the endpoint name (known before the endpoint
// exists), so the alarms can name the endpoint in their dimensions without a dependency cycle.
func rollbackAlarmName(endpointName, kind string) string { return endpointName + "-" + kind }

// newRollbackAlarms creates the alarms a blue/green deployment rolls back on; the endpoint
// names them through their Name outputs, so they exist before the endpoint is updated.
func newRollbackAlarms(ctx *pulumi.Context, name string, args *ModelEndpointArgs, parent pulumi.ResourceOrInvokeOption) ([]pulumi.StringInput, error) {
	g := args.Config.Guardrails
	errorsName, latencyName := rollbackAlarmName(args.EndpointName, alarm5xx), rollbackAlarmName(args.EndpointName, alarmLatency)
	dims := pulumi.StringMap{"EndpointName": pulumi.String(args.EndpointName), "VariantName": pulumi.String(VariantName)}
	errorsAlarm, err := cloudwatch.NewMetricAlarm(ctx, child(name, "alarm-invocation-5xx"), &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(errorsName),
		AlarmDescription:   pulumi.Sprintf("%s: 5XX invocation errors; rolls back a blue/green deployment", args.EndpointName),
		Namespace:          pulumi.String("AWS/SageMaker"),
		MetricName:         pulumi.String("Invocation5XXErrors"),
		Dimensions:         dims,
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(2),
		Threshold:          pulumi.Float64(g.Invocation5xxThreshold),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		Tags:               args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	latencyAlarm, err := cloudwatch.NewMetricAlarm(ctx, child(name, "alarm-model-latency"), &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(latencyName),
		AlarmDescription:   pulumi.Sprintf("%s: ModelLatency p99; rolls back a blue/green deployment", args.EndpointName),
		Namespace:          pulumi.String("AWS/SageMaker"),
		MetricName:         pulumi.String("ModelLatency"),
		Dimensions:         dims,
		ExtendedStatistic:  pulumi.String("p99"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(3),
		Threshold:          pulumi.Float64(g.ModelLatencyP99Ms * 1000), // ModelLatency is in microseconds
		ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		Tags:               args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	return []pulumi.StringInput{errorsAlarm.Name, latencyAlarm.Name}, nil
}

func guardrails(g *GuardrailsConfig, alarmNames []pulumi.StringInput) *sagemaker.EndpointDeploymentConfigArgs {
	routing := &sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs{
		Type:                  pulumi.String(g.Type),
		WaitIntervalInSeconds: pulumi.Int(g.WaitIntervalSeconds),
	}
	step := &sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySizeArgs{
		Type: pulumi.String("CAPACITY_PERCENT"), Value: pulumi.Int(g.StepPercent),
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
