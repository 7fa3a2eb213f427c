// Package alarm creates CloudWatch metric alarms the same way for every component.
package alarm

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Spec describes one CloudWatch metric alarm; statistic pNN means a percentile. Role names the
// child resource, Kind the alarm (components derive alarm names from it).
type Spec struct {
	Role, Kind, Namespace, Metric, Statistic, Comparison string
	Threshold                                            float64
	Period, Periods                                      int
	What                                                 string
}

// New creates one alarm (missing data does not breach; alarm and OK notify actions).
func New(ctx *pulumi.Context, logical, alarmName, subject string, sp Spec, dims pulumi.StringMap,
	actions pulumi.ArrayInput, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*cloudwatch.MetricAlarm, error) {
	args := &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(alarmName),
		AlarmDescription:   pulumi.Sprintf("%s: %s", subject, sp.What),
		Namespace:          pulumi.String(sp.Namespace),
		MetricName:         pulumi.String(sp.Metric),
		Dimensions:         dims,
		Period:             pulumi.Int(sp.Period),
		EvaluationPeriods:  pulumi.Int(sp.Periods),
		Threshold:          pulumi.Float64(sp.Threshold),
		ComparisonOperator: pulumi.String(sp.Comparison),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       actions,
		OkActions:          actions,
		Tags:               tags,
	}
	if strings.HasPrefix(sp.Statistic, "p") {
		args.ExtendedStatistic = pulumi.String(sp.Statistic)
	} else {
		args.Statistic = pulumi.String(sp.Statistic)
	}
	return cloudwatch.NewMetricAlarm(ctx, logical, args, parent)
}
