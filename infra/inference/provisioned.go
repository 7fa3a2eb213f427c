package inference

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // timezone names are checked without the machine's zoneinfo

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

// Provisioned concurrency of a serverless variant scales like an instance count: a scalable
// target on sagemaker:variant:DesiredProvisionedConcurrency and target tracking on
// SageMakerVariantProvisionedConcurrencyUtilization
// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html); both
// names are enum values of the Application Auto Scaling API model, which the contract check
// reads. Scheduled actions change the target's bounds
// (https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html).
const (
	dimensionProvisionedConcurrency = "sagemaker:variant:DesiredProvisionedConcurrency"
	metricProvisionedUtilization    = "SageMakerVariantProvisionedConcurrencyUtilization"
)

var (
	// PutScheduledAction ScheduledActionName: 1-256 characters, none of : / |, no leading or
	// trailing space (API model); the program also keeps it a readable logical-name part.
	reScheduleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
	// Application Auto Scaling schedules: at(yyyy-mm-ddThh:mm:ss), rate(value unit) or
	// cron(minutes hours day-of-month month day-of-week year) ("Scheduled scaling for
	// Application Auto Scaling", schedule expressions).
	reScheduleAt   = regexp.MustCompile(`^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$`)
	reScheduleRate = regexp.MustCompile(`^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$`)
	reScheduleCron = regexp.MustCompile(`^cron\(([^ ()]+ ){5}[^ ()]+\)$`)
)

// validateProvisionedScaling: scaling needs a provisioned concurrency to start from; every bound
// lies within 1..maxConcurrency (ProductionVariantServerlessConfig: ProvisionedConcurrency at
// most MaxConcurrency), the starting value within the bounds; schedules are well formed.
func validateProvisionedScaling(p *problems.List, path string, ps *ProvisionedScalingConfig, s *ServerlessConfig) {
	if s.ProvisionedConcurrency < 1 {
		p.Add(path, "scales provisioned concurrency: set serverless.provisionedConcurrency (the starting value, at least 1) first")
	}
	bounds := func(at string, lo, hi int) {
		switch {
		case lo < 1 || hi < lo:
			p.Add(at, "minCapacity (%d) must be at least 1 and at most maxCapacity (%d)", lo, hi)
		case hi > s.MaxConcurrency:
			p.Add(at+".maxCapacity", "must not exceed serverless.maxConcurrency (%d): provisioned concurrency is at most the variant's maximum concurrency (got %d)", s.MaxConcurrency, hi)
		}
	}
	bounds(path, ps.MinCapacity, ps.MaxCapacity)
	if pc := s.ProvisionedConcurrency; pc >= 1 && ps.MinCapacity >= 1 && ps.MaxCapacity >= ps.MinCapacity && (pc < ps.MinCapacity || pc > ps.MaxCapacity) {
		p.Add(path, "serverless.provisionedConcurrency (%d) must lie within minCapacity..maxCapacity (%d..%d)", pc, ps.MinCapacity, ps.MaxCapacity)
	}
	if ps.TargetUtilization <= 0 || ps.TargetUtilization > 1 {
		p.Add(path+".targetUtilization", "must be a share of the provisioned concurrency in use, greater than 0 and at most 1, e.g. 0.7 (got %g)", ps.TargetUtilization)
	}
	for _, c := range []struct {
		key string
		v   int
	}{{"scaleInCooldownSeconds", ps.ScaleInCooldownSeconds}, {"scaleOutCooldownSeconds", ps.ScaleOutCooldownSeconds}} {
		if c.v < 0 || c.v > 3600 {
			p.Add(path+"."+c.key, "must be between 0 and 3600 (got %d)", c.v)
		}
	}
	seen := map[string]bool{}
	for i, sc := range ps.Schedules {
		at := fmt.Sprintf("%s.schedules[%d]", path, i)
		if !reScheduleName.MatchString(sc.Name) || seen[sc.Name] {
			p.Add(at+".name", "must be a unique name of letters, digits, _ or - (at most 63), e.g. business-hours (got %q)", sc.Name)
		}
		seen[sc.Name] = true
		if !reScheduleAt.MatchString(sc.Schedule) && !reScheduleRate.MatchString(sc.Schedule) && !reScheduleCron.MatchString(sc.Schedule) {
			p.Add(at+".schedule", "must be cron(minutes hours day-of-month month day-of-week year), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss), e.g. cron(0 7 ? * MON-FRI *) (got %q)", sc.Schedule)
		}
		if _, err := time.LoadLocation(sc.Timezone); sc.Timezone != "" && (err != nil || strings.EqualFold(sc.Timezone, "local")) {
			p.Add(at+".timezone", "must be an IANA time zone like Europe/Dublin, or left out for UTC (got %q)", sc.Timezone)
		}
		bounds(at, sc.MinCapacity, sc.MaxCapacity)
	}
}

// newProvisionedScaling registers the serverless variant's provisioned concurrency as a
// scalable target with its target-tracking policy and scheduled actions. A scheduled action's
// name is the endpoint's plus the schedule's: it changes exactly when its resource id does.
func newProvisionedScaling(ctx *pulumi.Context, name string, ps *ProvisionedScalingConfig, endpoint *sagemaker.Endpoint, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) error {
	target, err := newTargetTracking(ctx, name, trackingSpec{
		targetRole: "concurrency-target", policyRole: "concurrency-policy",
		dimension: dimensionProvisionedConcurrency, metric: metricProvisionedUtilization,
		min: ps.MinCapacity, max: ps.MaxCapacity, value: ps.TargetUtilization,
		scaleIn: ps.ScaleInCooldownSeconds, scaleOut: ps.ScaleOutCooldownSeconds,
	}, endpoint, tags, parent)
	if err != nil {
		return err
	}
	after := pulumi.DependsOn([]pulumi.Resource{target})
	for _, sc := range ps.Schedules {
		args := &appautoscaling.ScheduledActionArgs{
			Name:              pulumi.Sprintf("%s-%s", endpoint.Name, sc.Name),
			ServiceNamespace:  target.ServiceNamespace,
			ResourceId:        target.ResourceId,
			ScalableDimension: target.ScalableDimension,
			Schedule:          pulumi.String(sc.Schedule),
			ScalableTargetAction: &appautoscaling.ScheduledActionScalableTargetActionArgs{
				MinCapacity: pulumi.Int(sc.MinCapacity),
				MaxCapacity: pulumi.Int(sc.MaxCapacity),
			},
		}
		if sc.Timezone != "" {
			args.Timezone = pulumi.String(sc.Timezone)
		}
		if _, err := appautoscaling.NewScheduledAction(ctx, names.Child(name, "schedule-"+sc.Name), args, parent, after); err != nil {
			return fmt.Errorf("schedule %s: %w", sc.Name, err)
		}
	}
	return nil
}
