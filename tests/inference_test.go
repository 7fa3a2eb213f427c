package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
	"github.com/ml-rest-api/ml-rest-api/internal/iampolicy"
)

const (
	tModel          = awstypes.SageMakerModel
	tEndpointConfig = awstypes.SageMakerEndpointConfiguration
	tEndpoint       = awstypes.SageMakerEndpoint
	tRole           = awstypes.IAMRole
	tRolePolicy     = awstypes.IAMRolePolicy
	tScalingTarget  = awstypes.AppAutoscalingTarget
	tScalingPolicy  = awstypes.AppAutoscalingPolicy
	tSchedule       = awstypes.AppAutoscalingScheduledAction
	tAlarm          = awstypes.CloudWatchMetricAlarm
	tPrebuiltImage  = "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage"
)

// expected per-stack facts, written out rather than derived from the program.
var wantModels = map[string]map[string]struct {
	image      string
	dataURL    string
	instance   string // "" for serverless
	count      int
	memory     int
	concurrent int
	minCap     int
	maxCap     int
	target     float64
}{
	"dev": {
		"ratings":         {image: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/object2vec:1", dataURL: "s3://ml-rest-api-artifacts-dev/models/ratings/v1/model.tar.gz", memory: 2048, concurrent: 5},
		"recommendations": {image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/movie-recommender:1.4.0", dataURL: "s3://ml-rest-api-artifacts-dev/models/recommendations/v1/model.tar.gz", memory: 3072, concurrent: 5},
		"propensity":      {image: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/linear-learner:1", dataURL: "s3://ml-rest-api-artifacts-dev/models/propensity/v3/model.tar.gz", memory: 1024, concurrent: 2},
		"posters":         {image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/poster-classifier:2.0.1", dataURL: "s3://ml-rest-api-artifacts-dev/models/posters/v2/model.tar.gz", memory: 3072, concurrent: 2},
	},
	"prod": {
		"ratings":         {image: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/object2vec:1", dataURL: "s3://ml-rest-api-artifacts-prod/models/ratings/v1/model.tar.gz", instance: "ml.m5.large", count: 2, minCap: 2, maxCap: 6, target: 300},
		"recommendations": {image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/movie-recommender:1.4.0", dataURL: "s3://ml-rest-api-artifacts-prod/models/recommendations/v1/model.tar.gz", instance: "ml.c5.xlarge", count: 1, minCap: 1, maxCap: 4, target: 150},
		"propensity":      {image: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/linear-learner:1", dataURL: "s3://ml-rest-api-artifacts-prod/models/propensity/v3/model.tar.gz", memory: 2048, concurrent: 20},
	},
}

func TestInferenceTier(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			run := runStack(t, stack)
			for model, want := range wantModels[stack] {
				endpointName := fmt.Sprintf("ml-rest-api-%s-%s", stack, model)
				comp := run.Get(names.TypeModelEndpoint, model)
				assert.False(t, comp.Custom)

				role := run.Get(tRole, model+"-role")
				m := run.Get(tModel, model+"-model")
				assert.Equal(t, role.Out("arn"), m.In("executionRoleArn"))
				pc := m.Map("primaryContainer")
				assert.Equal(t, want.image, pc["image"], model)
				assert.Equal(t, want.dataURL, pc["modelDataUrl"], model)
				assert.Equal(t, "SingleModel", pc["mode"])

				cfg := run.Get(tEndpointConfig, model+"-config")
				assert.Nil(t, cfg.In("name"), "endpoint configurations are never fixed-named")
				assert.Nil(t, cfg.In("namePrefix"))
				variants := cfg.In("productionVariants").([]any)
				require.Len(t, variants, 1)
				v := variants[0].(map[string]any)
				assert.Equal(t, "AllTraffic", v["variantName"])
				assert.Equal(t, m.Out("name"), v["modelName"])
				if want.instance != "" {
					assert.Equal(t, want.instance, v["instanceType"])
					assert.Equal(t, float64(want.count), v["initialInstanceCount"])
					assert.Nil(t, v["serverlessConfig"])
				} else {
					assert.Nil(t, v["instanceType"])
					assert.Nil(t, v["initialInstanceCount"])
					sc := v["serverlessConfig"].(map[string]any)
					assert.Equal(t, float64(want.memory), sc["memorySizeInMb"])
					assert.Equal(t, float64(want.concurrent), sc["maxConcurrency"])
				}

				ep := run.Get(tEndpoint, model+"-endpoint")
				assert.Equal(t, endpointName, ep.Str("name"))
				assert.Equal(t, cfg.Out("name"), ep.In("endpointConfigName"))

				hasTarget := run.Has(tScalingTarget, model+"-scaling-target")
				hasPolicy := run.Has(tScalingPolicy, model+"-scaling-policy")
				if want.instance == "" {
					assert.False(t, hasTarget, "serverless variants get no autoscaling")
					assert.False(t, hasPolicy)
					continue
				}
				tg := run.Get(tScalingTarget, model+"-scaling-target")
				assert.Equal(t, "sagemaker", tg.In("serviceNamespace"))
				assert.Equal(t, "endpoint/"+endpointName+"/variant/AllTraffic", tg.In("resourceId"))
				assert.Equal(t, "sagemaker:variant:DesiredInstanceCount", tg.In("scalableDimension"))
				assert.Equal(t, float64(want.minCap), tg.In("minCapacity"))
				assert.Equal(t, float64(want.maxCap), tg.In("maxCapacity"))
				pol := run.Get(tScalingPolicy, model+"-scaling-policy")
				assert.Equal(t, "TargetTrackingScaling", pol.In("policyType"))
				assert.Equal(t, tg.In("resourceId"), pol.In("resourceId"))
				tt := pol.Map("targetTrackingScalingPolicyConfiguration")
				assert.Equal(t, want.target, tt["targetValue"])
				assert.Equal(t, "SageMakerVariantInvocationsPerInstance", tt["predefinedMetricSpecification"].(map[string]any)["predefinedMetricType"])
				assert.True(t, pol.DependsOnRes(tg), "the scaling policy depends on its target")
			}
		})
	}
}

func TestBuiltinImagesAreLookedUpPerRegion(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	var got []string
	for _, c := range run.Calls(tPrebuiltImage) {
		got = append(got, fmt.Sprintf("%s:%s@%s", c["repositoryName"], c["imageTag"], c["region"]))
	}
	sort.Strings(got)
	// object2vec twice: the stable ratings model and its canary; the ECR-URI model needs no lookup.
	assert.Equal(t, []string{"linear-learner:1@eu-west-1", "object2vec:1@eu-west-1", "object2vec:1@eu-west-1"}, got)
}

func TestProdRatingsHasBlueGreenGuardrails(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	ep := run.Get(tEndpoint, "ratings-endpoint")
	dc := ep.Map("deploymentConfig")
	bg := dc["blueGreenUpdatePolicy"].(map[string]any)
	routing := bg["trafficRoutingConfiguration"].(map[string]any)
	assert.Equal(t, "CANARY", routing["type"])
	// One instance of a fleet of at least two: SageMaker shifts whole instances (10 % of 2 is not one).
	assert.Equal(t, map[string]any{"type": "INSTANCE_COUNT", "value": 1.0}, routing["canarySize"])
	assert.Equal(t, 600.0, routing["waitIntervalInSeconds"])
	assert.Equal(t, 300.0, bg["terminationWaitInSeconds"])
	assert.Equal(t, 3600.0, bg["maximumExecutionTimeoutInSeconds"])
	// It rolls back on the endpoint's own 5XX and latency alarms (not on CPU).
	alarms := dc["autoRollbackConfiguration"].(map[string]any)["alarms"].([]any)
	assert.Equal(t, []any{
		map[string]any{"alarmName": "ml-rest-api-prod-ratings-invocation-5xx"},
		map[string]any{"alarmName": "ml-rest-api-prod-ratings-model-latency-p99"},
	}, alarms)
	assert.True(t, ep.DependsOnRes(run.Get(tAlarm, "ratings-alarm-invocation-5xx")), "the alarms exist before the endpoint is updated")
	assert.True(t, ep.DependsOnRes(run.Get(tAlarm, "ratings-alarm-model-latency")))

	// The other models have no guardrails (their alarms only notify).
	assert.Nil(t, run.Get(tEndpoint, "recommendations-endpoint").In("deploymentConfig"))
	assert.Nil(t, run.Get(tEndpoint, "propensity-endpoint").In("deploymentConfig"))
	guarded := runStack(t, "prod", withConfig(func(c map[string]any) {
		g := obj(c, "models", "ratings", "deploymentGuardrails")
		// One instance of the smallest fleet (2) per step; up to six steps of 300 s fit the
		// provider's 3600 s waiter (600 s would not).
		g["type"], g["stepPercent"], g["waitIntervalSeconds"] = "LINEAR", 50, 300
		delete(g, "stepInstances")
	}))
	routing = guarded.Get(tEndpoint, "ratings-endpoint").Map("deploymentConfig")["blueGreenUpdatePolicy"].(map[string]any)["trafficRoutingConfiguration"].(map[string]any)
	assert.Equal(t, "LINEAR", routing["type"])
	assert.Equal(t, map[string]any{"type": "CAPACITY_PERCENT", "value": 50.0}, routing["linearStepSize"])
	assert.Nil(t, routing["canarySize"])
}

func TestModelExecutionPoliciesGolden(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		for model := range wantModels[stack] {
			trust := run.Get(tRole, model+"-role").Str("assumeRolePolicy")
			goldenJSON(t, fmt.Sprintf("%s/iam-%s-trust.json", stack, model), trust)
			policy := run.Get(tRolePolicy, model+"-role-policy")
			assert.Equal(t, run.Get(tRole, model+"-role").ID, policy.In("role"))
			goldenJSON(t, fmt.Sprintf("%s/iam-%s-execution.json", stack, model), policy.Str("policy"))
		}
	}
}

// F13: every endpoint's log group (the one SageMaker writes to) is owned, with the stack's
// retention, created before the endpoint, and guarded like the API log groups except the
// canary's, which rollback and promotion delete.
func TestEndpointLogGroupsAreOwned(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack)
		for _, ep := range run.All(tEndpoint) {
			component := strings.TrimSuffix(ep.Name, "-endpoint")
			lg := run.Get(tLogGroup, component+"-logs")
			assert.Equal(t, "/aws/sagemaker/Endpoints/"+ep.Str("name"), lg.In("name"), ep.Name)
			assert.Equal(t, float64(run.Config.API.LogRetentionDays), lg.In("retentionInDays"), ep.Name)
			assert.True(t, ep.DependsOnRes(lg), "%s: the group exists before SageMaker writes to it", ep.Name)
			canary := strings.HasSuffix(component, names.CanarySuffix)
			guarded := stack == "prod" && !canary
			assert.Equal(t, guarded, lg.Protect, ep.Name)
			assert.Equal(t, guarded, lg.RetainOnDelete, ep.Name)
		}
	}
}

// Auto-rollback needs cloudwatch:DescribeAlarms on the rollback alarms (SageMaker guardrails
// guide): the guarded endpoints' roles read exactly their own two alarms; the others nothing.
func TestRollbackAlarmsAreReadable(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	for _, name := range []string{"ratings", "ratings-canary", "recommendations", "propensity"} {
		var doc iampolicy.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(run.Get(tRolePolicy, name+"-role-policy").Str("policy")), &doc))
		var read []string
		for _, st := range doc.Statement {
			if slices.Contains(st.Action, "cloudwatch:DescribeAlarms") {
				read = append(read, st.Resource...)
			}
		}
		var want []string
		if dc := run.Get(tEndpoint, name+"-endpoint").Map("deploymentConfig"); dc != nil {
			for _, a := range dc["autoRollbackConfiguration"].(map[string]any)["alarms"].([]any) {
				want = append(want, "arn:aws:cloudwatch:eu-west-1:"+mockAccount+":alarm:"+a.(map[string]any)["alarmName"].(string))
			}
		}
		assert.Equal(t, want, read, "%s reads exactly its rollback alarms", name)
	}
	assert.NotEmpty(t, run.Get(tEndpoint, "ratings-endpoint").Map("deploymentConfig"), "prod's ratings endpoint is guarded")
}

// Changing one model's artifact changes that model alone: its Model's inputs, and its artifact
// grant, which is a new policy (named after the new artifact) rather than the old one narrowed.
func TestChangingOneArtifactTouchesOnlyThatModel(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		v1 := "s3://ml-rest-api-artifacts-" + stack + "/models/recommendations/v1/model.tar.gz"
		v2 := "s3://ml-rest-api-artifacts-" + stack + "/models/recommendations/v2/model.tar.gz"
		before := runStack(t, stack)
		after := runStack(t, stack, withConfig(func(c map[string]any) { obj(c, "models", "recommendations")["modelDataUrl"] = v2 }))
		oldGrant, newGrant := inference.ArtifactPolicyName("recommendations", v1), inference.ArtifactPolicyName("recommendations", v2)
		require.NotEqual(t, oldGrant, newGrant)
		assert.True(t, before.Has(tRolePolicy, oldGrant) && !before.Has(tRolePolicy, newGrant), stack)
		assert.True(t, after.Has(tRolePolicy, newGrant) && !after.Has(tRolePolicy, oldGrant), stack)
		assert.Equal(t, []string{"aws:sagemaker/model:Model::recommendations-model"},
			changedInputs(t, before, after, tRolePolicy+"::"+oldGrant, tRolePolicy+"::"+newGrant), stack)
	}
}

// F4: while a model change rolls out, the running fleet must still read its artifact. The grant
// is a policy per artifact: the new one exists before the new model (which waits for it); the
// old one is a removed resource, deleted at the end of the run, after the endpoint update.
func TestArtifactGrantsArePerArtifact(t *testing.T) {
	t.Parallel()
	run := runStack(t, "prod")
	for model, url := range map[string]string{
		"ratings":        "s3://ml-rest-api-artifacts-prod/models/ratings/v1/model.tar.gz",
		"ratings-canary": canaryURL,
	} {
		grant := run.Get(tRolePolicy, inference.ArtifactPolicyName(model, url))
		var doc iampolicy.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(grant.Str("policy")), &doc))
		require.Len(t, doc.Statement, 1)
		assert.Equal(t, []string{"s3:GetObject"}, doc.Statement[0].Action)
		assert.Equal(t, []string{"arn:aws:s3:::" + strings.TrimPrefix(url, "s3://")}, doc.Statement[0].Resource, model)
		assert.Equal(t, run.Get(tRole, model+"-role").ID, grant.In("role"))
		assert.True(t, run.Get(tModel, model+"-model").DependsOnRes(grant), "%s's model waits for its artifact grant", model)
		policy := run.Get(tRolePolicy, model+"-role-policy").Str("policy")
		assert.NotContains(t, policy, "s3:GetObject", "%s: the artifact is granted only by its own policy", model)
	}
}

// changedInputs lists the (type::name) registrations whose inputs differ between two runs, and
// fails if the runs registered different sets of resources (besides the keys in expected, which
// one run may register and the other not).
func changedInputs(t *testing.T, a, b *Run, expected ...string) []string {
	t.Helper()
	index := func(r *Run) map[string]*Res {
		m := map[string]*Res{}
		for _, x := range r.Resources() {
			if k := x.Type + "::" + x.Name; !slices.Contains(expected, k) {
				m[k] = x
			}
		}
		return m
	}
	ia, ib := index(a), index(b)
	require.Equal(t, slices.Sorted(maps.Keys(ia)), slices.Sorted(maps.Keys(ib)), "both runs must register the same resources")
	var changed []string
	for k, x := range ia {
		if !x.Inputs.DeepEquals(ib[k].Inputs) {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

func TestDryRunSucceeds(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks {
		run := runStack(t, stack, dryRun())
		assert.NotEmpty(t, run.All(tEndpoint), stack)
	}
}

// Issue 16, item 4: where monitoring alarms are on, a serverless endpoint's cold start
// (ModelSetupTime, microseconds) alarms above monitoring.alarms.endpointModelSetupTimeMs.
func TestServerlessColdStartAlarm(t *testing.T) {
	t.Parallel()
	prod := runStack(t, "prod")
	a := prod.Get(tAlarm, "propensity-alarm-model-setup-time")
	assert.Equal(t, "ml-rest-api-prod-propensity-model-setup-time", a.In("name"))
	assert.Equal(t, "ModelSetupTime", a.In("metricName"))
	assert.Equal(t, "Maximum", a.In("statistic"))
	assert.Equal(t, 10000000.0, a.In("threshold"), "10 s in microseconds")
	assert.False(t, prod.Has(tAlarm, "ratings-alarm-model-setup-time"), "instance variants have no cold start")
	off := runStack(t, "prod", withConfig(func(c map[string]any) { delete(obj(c, "monitoring", "alarms"), "endpointModelSetupTimeMs") }))
	assert.False(t, off.Has(tAlarm, "propensity-alarm-model-setup-time"))
	_, err := loadConfig(t, "prod", withConfig(func(c map[string]any) { obj(c, "monitoring", "alarms")["endpointModelSetupTimeMs"] = -1 }))
	assert.ErrorContains(t, err, "ml-rest-api:monitoring.alarms.endpointModelSetupTimeMs: must be greater than 0, or left out")
}

// Issue 17, item 7: network isolation defaults on for built-in algorithm images on instance
// variants (prod's Object2Vec ratings model and its canary), off for custom images and for
// serverless variants (which cannot have it); startup tuning reaches the variant.
func TestRuntimeIsolationAndStartupTuning(t *testing.T) {
	t.Parallel()
	prod := runStack(t, "prod")
	assert.Equal(t, true, prod.Get(tModel, "ratings-model").In("enableNetworkIsolation"))
	assert.Equal(t, true, prod.Get(tModel, "ratings-canary-model").In("enableNetworkIsolation"))
	assert.Equal(t, false, prod.Get(tModel, "recommendations-model").In("enableNetworkIsolation"), "a custom image may need the network")
	assert.Equal(t, false, prod.Get(tModel, "propensity-model").In("enableNetworkIsolation"), "serverless")
	v := prod.Get(tEndpointConfig, "ratings-config").In("productionVariants").([]any)[0].(map[string]any)
	assert.Equal(t, 600.0, v["containerStartupHealthCheckTimeoutInSeconds"])
	assert.Equal(t, 600.0, v["modelDataDownloadTimeoutInSeconds"])
	r := prod.Get(tEndpointConfig, "recommendations-config").In("productionVariants").([]any)[0].(map[string]any)
	assert.Nil(t, r["containerStartupHealthCheckTimeoutInSeconds"], "SageMaker's default")
	for _, m := range runStack(t, "dev").All(tModel) {
		assert.Equal(t, false, m.In("enableNetworkIsolation"), "dev is serverless: %s", m.Name)
	}
	off := runStack(t, "prod", withConfig(func(c map[string]any) { obj(c, "models", "ratings")["networkIsolation"] = false }))
	assert.Equal(t, false, off.Get(tModel, "ratings-model").In("enableNetworkIsolation"))
	assert.Empty(t, findings(t, prod))
}

// Issue 17, item 4: data capture on prod's ratings endpoint (and its canary, which inherits it):
// requests and answers, JSON and CSV as text, to the configured prefix; the execution role may
// write exactly that prefix.
func TestDataCapture(t *testing.T) {
	t.Parallel()
	prod := runStack(t, "prod")
	dc := prod.Get(tEndpointConfig, "ratings-config").Map("dataCaptureConfig")
	assert.Equal(t, map[string]any{
		"enableCapture": true, "initialSamplingPercentage": 5.0, "destinationS3Uri": "s3://ml-rest-api-captures-prod/ratings",
		"captureOptions":           []any{map[string]any{"captureMode": "Input"}, map[string]any{"captureMode": "Output"}},
		"captureContentTypeHeader": map[string]any{"jsonContentTypes": []any{"application/json"}, "csvContentTypes": []any{"text/csv"}},
	}, dc)
	assert.NotNil(t, prod.Get(tEndpointConfig, "ratings-canary-config").Map("dataCaptureConfig"))
	assert.Nil(t, prod.Get(tEndpointConfig, "recommendations-config").In("dataCaptureConfig"))
	policy := prod.Get(tRolePolicy, "ratings-capture")
	assert.Equal(t, prod.Get(tRole, "ratings-role").ID, policy.In("role"))
	goldenJSON(t, "prod/iam-ratings-capture.json", policy.Str("policy"))
	assert.False(t, prod.Has(tRolePolicy, "recommendations-capture"))

	kms := "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000000"
	withKey := runStack(t, "prod", withConfig(func(c map[string]any) { obj(c, "models", "ratings", "capture")["kmsKeyArn"] = kms }))
	assert.Equal(t, kms, withKey.Get(tEndpointConfig, "ratings-config").Map("dataCaptureConfig")["kmsKeyId"])
	assert.Contains(t, withKey.Get(tRolePolicy, "ratings-capture").Str("policy"), `"Action":["kms:Encrypt","kms:GenerateDataKey"],"Resource":["`+kms+`"]`)
	assert.Empty(t, findings(t, withKey))
}

// Issue 17, item 6: prod's serverless propensity model scales its provisioned concurrency
// (target tracking on the utilization AWS names for it) between 1 and 8, with weekday
// schedules; dev's serverless models have no provisioned concurrency and no scaling.
func TestProvisionedConcurrencyScaling(t *testing.T) {
	t.Parallel()
	prod := runStack(t, "prod")
	tg := prod.Get(tScalingTarget, "propensity-concurrency-target")
	assert.Equal(t, "sagemaker", tg.In("serviceNamespace"))
	assert.Equal(t, "endpoint/ml-rest-api-prod-propensity/variant/AllTraffic", tg.In("resourceId"))
	assert.Equal(t, "sagemaker:variant:DesiredProvisionedConcurrency", tg.In("scalableDimension"))
	assert.Equal(t, 1.0, tg.In("minCapacity"))
	assert.Equal(t, 8.0, tg.In("maxCapacity"))
	assert.Equal(t, 2.0, prod.Get(tEndpointConfig, "propensity-config").In("productionVariants").([]any)[0].(map[string]any)["serverlessConfig"].(map[string]any)["provisionedConcurrency"],
		"the endpoint configuration keeps the starting value")

	pol := prod.Get(tScalingPolicy, "propensity-concurrency-policy")
	assert.Equal(t, "TargetTrackingScaling", pol.In("policyType"))
	assert.Equal(t, tg.In("resourceId"), pol.In("resourceId"))
	assert.Equal(t, tg.In("scalableDimension"), pol.In("scalableDimension"))
	tt := pol.Map("targetTrackingScalingPolicyConfiguration")
	assert.Equal(t, 0.7, tt["targetValue"])
	assert.Equal(t, 600.0, tt["scaleInCooldown"])
	assert.Equal(t, 60.0, tt["scaleOutCooldown"])
	assert.Equal(t, "SageMakerVariantProvisionedConcurrencyUtilization", tt["predefinedMetricSpecification"].(map[string]any)["predefinedMetricType"])
	assert.True(t, pol.DependsOnRes(tg))

	for _, s := range []struct {
		name, cron string
		min, max   float64
	}{{"business-hours", "cron(0 7 ? * MON-FRI *)", 2, 8}, {"nights", "cron(0 19 ? * MON-FRI *)", 1, 2}} {
		a := prod.Get(tSchedule, "propensity-schedule-"+s.name)
		assert.Equal(t, "ml-rest-api-prod-propensity-"+s.name, a.In("name"))
		assert.Equal(t, tg.In("resourceId"), a.In("resourceId"))
		assert.Equal(t, "sagemaker:variant:DesiredProvisionedConcurrency", a.In("scalableDimension"))
		assert.Equal(t, s.cron, a.In("schedule"))
		assert.Equal(t, "Europe/Dublin", a.In("timezone"))
		assert.Equal(t, map[string]any{"minCapacity": s.min, "maxCapacity": s.max}, a.Map("scalableTargetAction"))
		assert.True(t, a.DependsOnRes(tg), "a scheduled action needs its scalable target")
	}
	assert.False(t, prod.Has(tScalingTarget, "ratings-concurrency-target"), "instance variants scale instances")

	dev := runStack(t, "dev")
	for _, r := range dev.Resources() {
		assert.NotEqual(t, tSchedule, r.Type)
		if r.Type == tScalingTarget {
			assert.NotEqual(t, "sagemaker:variant:DesiredProvisionedConcurrency", r.In("scalableDimension"))
		}
	}
}
