package infra

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// alarmSpec describes one CloudWatch metric alarm; statistic pNN means a percentile.
type alarmSpec struct {
	role, kind, namespace, metric, statistic, comparison string
	threshold                                            float64
	period, periods                                      int
	what                                                 string
}

// newMetricAlarm creates one alarm (missing data does not breach; alarm and OK notify actions).
func newMetricAlarm(ctx *pulumi.Context, logical, alarmName, subject string, sp alarmSpec, dims pulumi.StringMap,
	actions pulumi.ArrayInput, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*cloudwatch.MetricAlarm, error) {
	args := &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(alarmName),
		AlarmDescription:   pulumi.Sprintf("%s: %s", subject, sp.what),
		Namespace:          pulumi.String(sp.namespace),
		MetricName:         pulumi.String(sp.metric),
		Dimensions:         dims,
		Period:             pulumi.Int(sp.period),
		EvaluationPeriods:  pulumi.Int(sp.periods),
		Threshold:          pulumi.Float64(sp.threshold),
		ComparisonOperator: pulumi.String(sp.comparison),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       actions,
		OkActions:          actions,
		Tags:               tags,
	}
	if strings.HasPrefix(sp.statistic, "p") {
		args.ExtendedStatistic = pulumi.String(sp.statistic)
	} else {
		args.Statistic = pulumi.String(sp.statistic)
	}
	return cloudwatch.NewMetricAlarm(ctx, logical, args, parent)
}
