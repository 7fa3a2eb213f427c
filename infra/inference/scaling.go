package inference

import (
	"fmt"
	"slices"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/alarm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newScaling scales the variant: the instance count of an instance variant, the provisioned
// concurrency of a serverless one when configured.
func newScaling(ctx *pulumi.Context, name string, cfg Config, endpoint *sagemaker.Endpoint, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) error {
	if cfg.Instance != nil {
		if err := newAutoscaling(ctx, name, cfg.Autoscaling, endpoint, tags, parent); err != nil {
			return fmt.Errorf("autoscaling: %w", err)
		}
	}
	if s := cfg.Serverless; s != nil && s.ProvisionedScaling != nil {
		if err := newProvisionedScaling(ctx, name, s.ProvisionedScaling, endpoint, tags, parent); err != nil {
			return fmt.Errorf("provisioned concurrency scaling: %w", err)
		}
	}
	return nil
}

func newAutoscaling(ctx *pulumi.Context, name string, a *AutoscalingConfig, endpoint *sagemaker.Endpoint, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) error {
	_, err := newTargetTracking(ctx, name, trackingSpec{
		targetRole: "scaling-target", policyRole: "scaling-policy",
		dimension: "sagemaker:variant:DesiredInstanceCount", metric: "SageMakerVariantInvocationsPerInstance",
		min: a.MinCapacity, max: a.MaxCapacity, value: a.TargetInvocationsPerInstance,
		scaleIn: a.ScaleInCooldownSeconds, scaleOut: a.ScaleOutCooldownSeconds,
	}, endpoint, tags, parent)
	return err
}

// trackingSpec is a scalable dimension of the endpoint's variant with a target-tracking policy
// on a predefined metric.
type trackingSpec struct {
	targetRole, policyRole, dimension, metric string
	min, max                                  int
	value                                     float64
	scaleIn, scaleOut                         int
}

// newTargetTracking registers the variant's dimension as a scalable target and its
// target-tracking policy (after the target).
func newTargetTracking(ctx *pulumi.Context, name string, sp trackingSpec, endpoint *sagemaker.Endpoint, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*appautoscaling.Target, error) {
	target, err := appautoscaling.NewTarget(ctx, names.Child(name, sp.targetRole), &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("sagemaker"),
		ResourceId:        pulumi.Sprintf("endpoint/%s/variant/%s", endpoint.Name, names.VariantName),
		ScalableDimension: pulumi.String(sp.dimension),
		MinCapacity:       pulumi.Int(sp.min),
		MaxCapacity:       pulumi.Int(sp.max),
		Tags:              tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	_, err = appautoscaling.NewPolicy(ctx, names.Child(name, sp.policyRole), &appautoscaling.PolicyArgs{
		PolicyType:        pulumi.String("TargetTrackingScaling"),
		ServiceNamespace:  target.ServiceNamespace,
		ResourceId:        target.ResourceId,
		ScalableDimension: target.ScalableDimension,
		TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
			TargetValue: pulumi.Float64(sp.value),
			PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
				PredefinedMetricType: pulumi.String(sp.metric),
			},
			ScaleInCooldown:  pulumi.Int(sp.scaleIn),
			ScaleOutCooldown: pulumi.Int(sp.scaleOut),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{target}))
	return target, err
}

// Endpoint alarm kinds; names are <endpoint name>-<kind>.
const (
	alarm5xx     = "invocation-5xx"
	alarmLatency = "model-latency-p99"
	alarmCPU     = "cpu"
	// alarmSetupTime is a serverless variant's cold-start alarm.
	alarmSetupTime = "model-setup-time"
)

// rollbackAlarmKinds are the endpoint alarms the blue/green guardrails roll back on (CPU only
// notifies: load is no reason to return to the old model).
var rollbackAlarmKinds = []string{alarm5xx, alarmLatency}

// newEndpointAlarms creates the endpoint's alarms: 5XX invocation errors, ModelLatency p99 and,
// for instance variants, CPU. It returns the first two's Name outputs (the blue/green rollback
// alarms; naming them through outputs makes them exist before the endpoint is updated).
func newEndpointAlarms(ctx *pulumi.Context, name string, args *ModelEndpointArgs, parent pulumi.ResourceOrInvokeOption) ([]pulumi.StringInput, error) {
	a := args.Alarms
	dims := pulumi.StringMap{"EndpointName": pulumi.String(args.EndpointName), "VariantName": pulumi.String(names.VariantName)}
	specs := []alarm.Spec{
		{Role: "alarm-invocation-5xx", Kind: alarm5xx, Namespace: "AWS/SageMaker", Metric: "Invocation5XXErrors", Statistic: "Sum",
			Comparison: "GreaterThanOrEqualToThreshold", Threshold: a.Invocation5xxPerMinute, Period: 60, Periods: 2, What: "5XX invocation errors per minute"},
		// ModelLatency is reported in microseconds.
		{Role: "alarm-model-latency", Kind: alarmLatency, Namespace: "AWS/SageMaker", Metric: "ModelLatency", Statistic: "p99",
			Comparison: "GreaterThanThreshold", Threshold: a.ModelLatencyP99Ms * 1000, Period: 60, Periods: 3, What: "ModelLatency p99"},
	}
	if args.Config.Serverless != nil && a.ModelSetupTimeMs > 0 {
		// ModelSetupTime is reported in microseconds when a serverless endpoint launches compute
		// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html).
		specs = append(specs, alarm.Spec{Role: "alarm-model-setup-time", Kind: alarmSetupTime, Namespace: "AWS/SageMaker", Metric: "ModelSetupTime", Statistic: "Maximum",
			Comparison: "GreaterThanThreshold", Threshold: a.ModelSetupTimeMs * 1000, Period: 60, Periods: 1, What: "serverless cold start (ModelSetupTime)"})
	}
	if args.Config.Instance != nil {
		specs = append(specs, alarm.Spec{Role: "alarm-cpu", Kind: alarmCPU, Namespace: "/aws/sagemaker/Endpoints", Metric: "CPUUtilization", Statistic: "Average",
			Comparison: "GreaterThanThreshold", Threshold: a.CPUPercent, Period: 60, Periods: 5, What: "CPU utilisation"})
	}
	var rollback []pulumi.StringInput
	for _, sp := range specs {
		alarm, err := alarm.New(ctx, names.Child(name, sp.Role), names.EndpointAlarmName(args.EndpointName, sp.Kind), args.EndpointName, sp, dims, args.AlarmActions, args.Tags, parent)
		if err != nil {
			return nil, err
		}
		if slices.Contains(rollbackAlarmKinds, sp.Kind) {
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
