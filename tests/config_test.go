package tests

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ml-rest-api/ml-rest-api/infra/inference"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// obj walks a decoded config value by keys (map keys or list indexes as ints).
func obj(v any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v.(map[string]any)
}

func problems(lines ...string) string {
	return "invalid stack configuration (" + strconv.Itoa(len(lines)) + " problem(s)):\n" + strings.Join(lines, "\n")
}

// badConfigs: each edit of the dev stack must fail with exactly these messages, all at once.
var badConfigs = []struct {
	name  string
	edit  func(c map[string]any)
	stack string
	want  []string
}{
	{
		name: "unknown nested key (a typo)",
		edit: func(c map[string]any) {
			r := obj(c, "models", "ratings")
			r["modelDataURL"] = r["modelDataUrl"]
			delete(r, "modelDataUrl")
		},
		want: []string{`ml-rest-api:models.ratings: unknown key "modelDataURL"; valid keys here: image, modelDataUrl, modelPackage, environment, instance, serverless, autoscaling, deploymentGuardrails, networkIsolation, shadow, vpc, capture`},
	},
	{
		name: "unknown top-level key",
		edit: func(c map[string]any) { c["modles"] = map[string]any{} },
		want: []string{`ml-rest-api:modles: unknown key; known keys are models, api, access, canary, apiKeyValues, tags, monitoring, waf, protection`},
	},
	{
		name: "missing model data URL",
		edit: func(c map[string]any) { delete(obj(c, "models", "ratings"), "modelDataUrl") },
		want: []string{`ml-rest-api:models.ratings.modelDataUrl: missing; set it to the model artifact, e.g. s3://my-bucket/models/ratings/model.tar.gz`},
	},
	{
		name: "non-S3 model data URL",
		edit: func(c map[string]any) {
			obj(c, "models", "ratings")["modelDataUrl"] = "https://example.com/model.tar.gz"
		},
		want: []string{`ml-rest-api:models.ratings.modelDataUrl: must be an S3 URL of a .tar.gz artifact like s3://my-bucket/models/ratings/model.tar.gz (got "https://example.com/model.tar.gz")`},
	},
	{
		name:  "autoscaling min greater than max",
		stack: "prod",
		edit: func(c map[string]any) {
			a := obj(c, "models", "recommendations", "autoscaling")
			a["minCapacity"], a["maxCapacity"] = 4, 2
		},
		want: []string{`ml-rest-api:models.recommendations.autoscaling: minCapacity (4) must not exceed maxCapacity (2)`},
	},
	{
		name:  "instance type not ml.*",
		stack: "prod",
		edit:  func(c map[string]any) { obj(c, "models", "ratings", "instance")["type"] = "m5.large" },
		want:  []string{`ml-rest-api:models.ratings.instance.type: "m5.large" is not a SageMaker real-time instance type (AWS's ProductionVariantInstanceType, e.g. ml.m5.large, ml.c5.xlarge, ml.g5.xlarge)`},
	},
	{
		// The old check (any ml.<family>.<size>) let a type AWS does not have reach CreateEndpointConfig.
		name:  "instance type outside AWS's enum",
		stack: "prod",
		edit:  func(c map[string]any) { obj(c, "models", "ratings", "instance")["type"] = "ml.m5.huge" },
		want:  []string{`ml-rest-api:models.ratings.instance.type: "ml.m5.huge" is not a SageMaker real-time instance type (AWS's ProductionVariantInstanceType, e.g. ml.m5.large, ml.c5.xlarge, ml.g5.xlarge)`},
	},
	{
		// 10 % of a two-instance fleet is 0.2 instance: SageMaker's step is whole instances.
		name:  "guardrail step under one instance",
		stack: "prod",
		edit: func(c map[string]any) {
			g := obj(c, "models", "ratings", "deploymentGuardrails")
			delete(g, "stepInstances")
			g["stepPercent"] = 10
		},
		want: []string{`ml-rest-api:models.ratings.deploymentGuardrails.stepPercent: the step is 0.2 instance of the smallest fleet (2 instances); SageMaker shifts whole instances, at least one; set stepInstances to a whole number of instances between 1 and half of autoscaling.minCapacity (2)`},
	},
	{
		name:  "guardrail step over half the fleet, and a timeout above the provider's limit",
		stack: "prod",
		edit: func(c map[string]any) {
			g := obj(c, "models", "ratings", "deploymentGuardrails")
			g["stepInstances"], g["maximumExecutionTimeoutSeconds"] = 2, 20000
		},
		want: []string{
			`ml-rest-api:models.ratings.deploymentGuardrails.stepInstances: the step is 2 instance(s), more than 50% of the smallest fleet (2 instances); set stepInstances to a whole number of instances between 1 and half of autoscaling.minCapacity (2)`,
			`ml-rest-api:models.ratings.deploymentGuardrails.maximumExecutionTimeoutSeconds: 20000 s is above the provider's limit of 14400 s (AWS allows 28800; the bundled provider does not)`,
		},
	},
	{
		name:  "guardrail waits longer than the provider's InService waiter",
		stack: "prod",
		edit: func(c map[string]any) {
			g := obj(c, "models", "ratings", "deploymentGuardrails")
			g["waitIntervalSeconds"], g["terminationWaitSeconds"], g["maximumExecutionTimeoutSeconds"] = 3600, 600, 7200
		},
		want: []string{`ml-rest-api:models.ratings.deploymentGuardrails.waitIntervalSeconds: the rollout waits 4200 s (wait intervals and termination wait), longer than the provider's fixed 3600 s InService waiter; shorten waitIntervalSeconds or terminationWaitSeconds`},
	},
	{
		name: "environment value longer than SageMaker allows",
		edit: func(c map[string]any) {
			obj(c, "models", "recommendations", "environment")["RANKING_CACHE_TTL_SECONDS"] = strings.Repeat("9", 1025)
		},
		want: []string{`ml-rest-api:models.recommendations.environment.RANKING_CACHE_TTL_SECONDS: the value has 1025 characters; SageMaker allows at most 1024`},
	},
	{
		name: "tags AWS refuses",
		edit: func(c map[string]any) {
			obj(c, "tags")["cost-centre!"] = "x"
			obj(c, "tags")["owner"] = "<ml team>"
			obj(c, "tags")["AWS:team"] = "x"
		},
		want: []string{
			`ml-rest-api:tags.AWS:team: tag key "AWS:team": the aws: prefix is reserved for AWS`,
			`ml-rest-api:tags.cost-centre!: tag key "cost-centre!": only letters, digits, spaces and _.:/=+-@`,
			`ml-rest-api:tags.owner: tag "owner": values may hold only letters, digits, spaces and _.:/=+-@`,
		},
	},
	{
		name: "client description on two lines",
		edit: func(c map[string]any) { obj(c, "access", "clients", "tv-app-dev")["description"] = "TV app\ndev build" },
		want: []string{`ml-rest-api:access.clients.tv-app-dev.description: must be one line of printable text`},
	},
	{
		name: "both serverless and instance",
		edit: func(c map[string]any) {
			obj(c, "models", "ratings")["instance"] = map[string]any{"type": "ml.m5.large", "initialCount": 1}
		},
		want: []string{`ml-rest-api:models.ratings: set either instance or serverless, not both`},
	},
	{
		name: "unknown algorithm",
		edit: func(c map[string]any) { obj(c, "models", "ratings", "image")["algorithm"] = "objec2vec" },
		want: []string{`ml-rest-api:models.ratings.image.algorithm: unknown algorithm "objec2vec"; use one of ` + strings.Join(inference.BuiltinAlgorithms, ", ") + `, or set uri to an ECR image`},
	},
	{
		name: "every problem at once",
		edit: func(c map[string]any) {
			r := obj(c, "models", "ratings")
			r["modelDataUrl"] = "s3://bucket/model.zip"
			obj(r, "serverless")["memorySizeInMb"] = 1000
			obj(c, "api")["integrationTimeoutMs"] = 60000
			obj(c, "api", "routes", 1)["model"] = "ranker"
		},
		want: []string{
			`ml-rest-api:models.ratings.modelDataUrl: must be an S3 URL of a .tar.gz artifact like s3://my-bucket/models/ratings/model.tar.gz (got "s3://bucket/model.zip")`,
			`ml-rest-api:models.ratings.serverless.memorySizeInMb: must be one of 1024, 2048, 3072, 4096, 5120, 6144 (got 1000)`,
			`ml-rest-api:api.integrationTimeoutMs: must be between 50 and 29000 (got 60000); more needs the raised quota (Service Quotas, API Gateway "Maximum integration timeout in milliseconds") and api.raisedIntegrationTimeoutQuota: true`,
			`ml-rest-api:api.routes[1].model: model "ranker" is not declared under ml-rest-api:models; use one of posters, propensity, ratings, recommendations`,
		},
	},
	{
		name: "network isolation on a serverless variant",
		edit: func(c map[string]any) { obj(c, "models", "ratings")["networkIsolation"] = true },
		want: []string{`ml-rest-api:models.ratings.networkIsolation: serverless variants do not support network isolation (SageMaker's serverless exclusions); remove it or use an instance variant`},
	},
	{
		name: "startup timeouts out of range",
		edit: func(c map[string]any) {
			delete(obj(c, "models", "ratings"), "serverless")
			obj(c, "models", "ratings")["instance"] = map[string]any{"type": "ml.m5.large", "initialCount": 1, "startupHealthCheckTimeoutSeconds": 30, "modelDownloadTimeoutSeconds": 7200}
			obj(c, "models", "ratings")["autoscaling"] = map[string]any{"minCapacity": 1, "maxCapacity": 2, "targetInvocationsPerInstance": 100}
		},
		want: []string{
			`ml-rest-api:models.ratings.instance.startupHealthCheckTimeoutSeconds: must be between 60 and 3600 seconds, or left out for SageMaker's default (got 30)`,
			`ml-rest-api:models.ratings.instance.modelDownloadTimeoutSeconds: must be between 60 and 3600 seconds, or left out for SageMaker's default (got 7200)`,
		},
	},
	{
		name: "data capture on a serverless variant, and its values",
		edit: func(c map[string]any) {
			obj(c, "models", "ratings")["capture"] = map[string]any{"samplingPercent": 0, "s3Uri": "s3://Bad_Bucket/x", "kmsKeyArn": "alias/captures"}
		},
		want: []string{
			`ml-rest-api:models.ratings.capture: serverless variants do not support data capture (SageMaker's serverless exclusions); use an instance variant`,
			`ml-rest-api:models.ratings.capture.samplingPercent: must be between 1 and 100 (got 0)`,
			`ml-rest-api:models.ratings.capture.s3Uri: "s3://Bad_Bucket/x" is not an s3://bucket/prefix URI; e.g. s3://my-captures/ratings`,
			`ml-rest-api:models.ratings.capture.kmsKeyArn: must be a KMS key ARN arn:aws:kms:<region>:<account>:key/<id> (got "alias/captures")`,
		},
	},
	{
		name: "integration timeout above what SageMaker waits for",
		edit: func(c map[string]any) {
			obj(c, "api")["raisedIntegrationTimeoutQuota"] = true
			obj(c, "api")["integrationTimeoutMs"] = 90000
		},
		want: []string{`ml-rest-api:api.integrationTimeoutMs: must be between 50 and 60000 with the raised quota: SageMaker gives a real-time container 60 seconds to answer (got 90000)`},
	},
	{
		name: "wrong value type",
		edit: func(c map[string]any) { obj(c, "models", "ratings", "serverless")["maxConcurrency"] = "five" },
		want: []string{`ml-rest-api:models.ratings.serverless.maxConcurrency: expected a whole number, got a JSON string; fix the value's type`},
	},
	{
		name: "image with both algorithm and uri",
		edit: func(c map[string]any) {
			obj(c, "models", "ratings", "image")["uri"] = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"
		},
		want: []string{`ml-rest-api:models.ratings.image: set either algorithm (a SageMaker built-in) or uri (an ECR image), not both`},
	},
	{
		name: "malformed image uri",
		edit: func(c map[string]any) {
			obj(c, "models", "recommendations", "image")["uri"] = "docker.io/library/recommender:latest"
		},
		want: []string{`ml-rest-api:models.recommendations.image.uri: must be an ECR image URI like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag (got "docker.io/library/recommender:latest")`},
	},
	{
		name:  "instance variant without autoscaling",
		stack: "prod",
		edit:  func(c map[string]any) { delete(obj(c, "models", "recommendations"), "autoscaling") },
		want:  []string{`ml-rest-api:models.recommendations.autoscaling: required for instance variants: set minCapacity, maxCapacity and targetInvocationsPerInstance`},
	},
	{
		name:  "autoscaling target must be positive, initial count within bounds",
		stack: "prod",
		edit: func(c map[string]any) {
			obj(c, "models", "recommendations", "autoscaling")["targetInvocationsPerInstance"] = 0
			obj(c, "models", "recommendations", "instance")["initialCount"] = 9
		},
		want: []string{
			`ml-rest-api:models.recommendations.instance.initialCount: must lie within autoscaling minCapacity..maxCapacity (1..4), got 9`,
			`ml-rest-api:models.recommendations.autoscaling.targetInvocationsPerInstance: must be greater than 0 (invocations per instance per minute)`,
		},
	},
	{
		name: "serverless with autoscaling",
		edit: func(c map[string]any) {
			obj(c, "models", "ratings")["autoscaling"] = map[string]any{"minCapacity": 1, "maxCapacity": 2, "targetInvocationsPerInstance": 10}
		},
		want: []string{`ml-rest-api:models.ratings.autoscaling: serverless variants scale by themselves; remove autoscaling or use instance (provisioned concurrency scales with serverless.provisionedScaling)`},
	},
	{
		name:  "provisioned concurrency scaling beyond the variant's concurrency, bad target and schedules",
		stack: "prod",
		edit: func(c map[string]any) {
			ps := obj(c, "models", "propensity", "serverless", "provisionedScaling")
			ps["maxCapacity"], ps["targetUtilization"] = 40, 70
			ps["schedules"] = []any{
				map[string]any{"name": "business hours", "schedule": "cron(0 7 * * MON-FRI)", "timezone": "Europe/Atlantis", "minCapacity": 3, "maxCapacity": 2},
				map[string]any{"name": "nights", "schedule": "rate(1 week)", "minCapacity": 0, "maxCapacity": 2},
			}
		},
		want: []string{
			`ml-rest-api:models.propensity.serverless.provisionedScaling.maxCapacity: must not exceed serverless.maxConcurrency (20): provisioned concurrency is at most the variant's maximum concurrency (got 40)`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.targetUtilization: must be a share of the provisioned concurrency in use, greater than 0 and at most 1, e.g. 0.7 (got 70)`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.schedules[0].name: must be a unique name of letters, digits, _ or - (at most 63), e.g. business-hours (got "business hours")`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.schedules[0].schedule: must be cron(minutes hours day-of-month month day-of-week year), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss), e.g. cron(0 7 ? * MON-FRI *) (got "cron(0 7 * * MON-FRI)")`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.schedules[0].timezone: must be an IANA time zone like Europe/Dublin, or left out for UTC (got "Europe/Atlantis")`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.schedules[0]: minCapacity (3) must be at least 1 and at most maxCapacity (2)`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.schedules[1].schedule: must be cron(minutes hours day-of-month month day-of-week year), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss), e.g. cron(0 7 ? * MON-FRI *) (got "rate(1 week)")`,
			`ml-rest-api:models.propensity.serverless.provisionedScaling.schedules[1]: minCapacity (0) must be at least 1 and at most maxCapacity (2)`,
		},
	},
	{
		name:  "provisioned concurrency scaling without a provisioned concurrency",
		stack: "prod",
		edit:  func(c map[string]any) { delete(obj(c, "models", "propensity", "serverless"), "provisionedConcurrency") },
		want: []string{
			`ml-rest-api:models.propensity.serverless.provisionedScaling: scales provisioned concurrency: set serverless.provisionedConcurrency (the starting value, at least 1) first`,
		},
	},
	{
		name:  "provisioned concurrency outside the scaling bounds",
		stack: "prod",
		edit:  func(c map[string]any) { obj(c, "models", "propensity", "serverless")["provisionedConcurrency"] = 12 },
		want: []string{
			`ml-rest-api:models.propensity.serverless.provisionedScaling: serverless.provisionedConcurrency (12) must lie within minCapacity..maxCapacity (1..8)`,
		},
	},
	{
		name:  "guardrails without the alarms they roll back on",
		stack: "prod",
		edit: func(c map[string]any) {
			delete(obj(c, "monitoring"), "alarms")
			delete(obj(c, "monitoring"), "notifyEmails")
		},
		want: []string{`ml-rest-api:models.ratings.deploymentGuardrails: rolls back on the endpoint alarms: set ml-rest-api:monitoring.alarms`},
	},
	{
		name:  "guardrails type and step",
		stack: "prod",
		edit: func(c map[string]any) {
			g := obj(c, "models", "ratings", "deploymentGuardrails")
			g["type"], g["stepPercent"] = "ALL_AT_ONCE", 80
			delete(g, "stepInstances")
		},
		want: []string{
			`ml-rest-api:models.ratings.deploymentGuardrails.type: must be CANARY or LINEAR (got "ALL_AT_ONCE")`,
			`ml-rest-api:models.ratings.deploymentGuardrails.stepPercent: must be between 1 and 50 percent of capacity (got 80)`,
		},
	},
	{
		name:  "a VPC: ids and counts, and not for serverless variants",
		stack: "prod",
		edit: func(c map[string]any) {
			obj(c, "models", "recommendations")["vpc"] = map[string]any{
				"subnetIds":        []any{"subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60718", "vpc-12345678"},
				"securityGroupIds": []any{},
			}
			obj(c, "models", "propensity")["vpc"] = map[string]any{"subnetIds": []any{"subnet-0a1b2c3d4e5f60718"}, "securityGroupIds": []any{"sg-0123456789abcdef0"}}
		},
		want: []string{
			`ml-rest-api:models.propensity.vpc: serverless variants do not support a VPC (SageMaker's serverless exclusions); remove it or use an instance variant`,
			`ml-rest-api:models.recommendations.vpc.subnetIds[1]: must be a unique id like subnet-0123456789abcdef0 (got "subnet-0a1b2c3d4e5f60718")`,
			`ml-rest-api:models.recommendations.vpc.subnetIds[2]: must be a unique id like subnet-0123456789abcdef0 (got "vpc-12345678")`,
			`ml-rest-api:models.recommendations.vpc.securityGroupIds: list 1 to 5 ids (got 0)`,
		},
	},
	{
		name:  "a custom domain: DNS name, certificate, base path",
		stack: "staging",
		edit: func(c map[string]any) {
			d := obj(c, "api", "domain")
			d["name"], d["certificateArn"], d["basePath"] = "ML.Example.com", "arn:aws:iam::123456789012:server-certificate/ml", "v1/ratings"
		},
		want: []string{
			`ml-rest-api:api.domain.name: must be a lower-case DNS name like api.example.com (got "ML.Example.com")`,
			`ml-rest-api:api.domain.certificateArn: must be an ACM certificate ARN arn:aws:acm:<region>:<account>:certificate/<id> in the stack's region (got "arn:aws:iam::123456789012:server-certificate/ml")`,
			`ml-rest-api:api.domain.basePath: must be one path segment of letters, digits, '.', '_' or '-', or left out for the domain's root (got "v1/ratings")`,
		},
	},
	{
		name:  "a model from the registry: no artifact URL, a versioned package, its prefix",
		stack: "staging",
		edit: func(c map[string]any) {
			m := obj(c, "models", "recommendations")
			m["modelDataUrl"] = "s3://ml-rest-api-registry-staging/movie-recommender/7/model.tar.gz"
			obj(c, "models", "recommendations", "modelPackage")["arn"] = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/movie-recommender"
			obj(c, "models", "recommendations", "modelPackage")["artifacts"] = "movie-recommender/"
		},
		want: []string{
			`ml-rest-api:models.recommendations.modelDataUrl: remove it: the model package carries its artifact (modelPackage.artifacts names where the registry keeps them)`,
			`ml-rest-api:models.recommendations.modelPackage.arn: must be a versioned model package ARN arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version> (got "arn:aws:sagemaker:eu-west-1:123456789012:model-package/movie-recommender")`,
			`ml-rest-api:models.recommendations.modelPackage.artifacts: "movie-recommender/" is not an s3://bucket/prefix URI; the prefix the registry keeps this model's artifacts under, e.g. s3://my-models/recommendations/`,
		},
	},
	{
		name:  "a registry model's canary is a package version",
		stack: "staging",
		edit: func(c map[string]any) {
			cn := obj(c, "canary")
			delete(cn, "modelPackageArn")
			cn["modelDataUrl"] = "s3://ml-rest-api-registry-staging/movie-recommender/8/model.tar.gz"
		},
		want: []string{
			`ml-rest-api:canary.modelDataUrl: models.recommendations comes from the model registry: set canary.modelPackageArn to the version to try instead`,
		},
	},
	{
		name:  "a registry model's canary or shadow with an image only would run the same package",
		stack: "staging",
		edit: func(c map[string]any) {
			cn := obj(c, "canary")
			delete(cn, "modelPackageArn")
			cn["image"] = map[string]any{"uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/movie-recommender:1.5.0"}
			obj(c, "models", "recommendations")["shadow"] = map[string]any{
				"image": map[string]any{"uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/movie-recommender:1.5.0"}, "samplingPercent": 10,
				"instance": map[string]any{"type": "ml.c5.xlarge", "initialCount": 1},
			}
		},
		want: []string{
			`ml-rest-api:models.recommendations.shadow.modelPackageArn: the model comes from the model registry: set the candidate version (an image alone would shadow the same package)`,
			`ml-rest-api:canary: set modelPackageArn (the registry version to try) for the canary version of "recommendations"; with a registry model, image only names the package's image for the pull grant`,
		},
	},
	{
		name:  "a package version for a canary of a model outside the registry",
		stack: "prod",
		edit: func(c map[string]any) {
			obj(c, "canary")["modelPackageArn"] = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/ratings/3"
		},
		want: []string{
			`ml-rest-api:canary.modelPackageArn: models.ratings does not come from the model registry (no modelPackage): set modelDataUrl and/or image instead`,
		},
	},
	{
		name:  "shadow tests: instance variants, a sampling share, a different version, instances",
		stack: "staging",
		edit: func(c map[string]any) {
			sh := obj(c, "models", "ratings", "shadow")
			sh["samplingPercent"], sh["modelPackageArn"] = 0, "arn:aws:sagemaker:eu-west-1:123456789012:model-package/ratings/2"
			delete(sh, "instance")
			obj(c, "models", "recommendations")["shadow"] = map[string]any{"samplingPercent": 10, "instance": map[string]any{"type": "ml.m5.huge", "initialCount": 1}}
		},
		want: []string{
			`ml-rest-api:models.ratings.shadow.samplingPercent: must be between 1 and 100 (the share of requests SageMaker copies to the shadow) (got 0)`,
			`ml-rest-api:models.ratings.shadow.modelPackageArn: the model does not come from the model registry (no modelPackage): set modelDataUrl and/or image instead`,
			`ml-rest-api:models.ratings.shadow.instance: set the shadow's {type, initialCount}`,
			`ml-rest-api:models.recommendations.shadow.modelPackageArn: the model comes from the model registry: set the candidate version (an image alone would shadow the same package)`,
			`ml-rest-api:models.recommendations.shadow.instance.type: "ml.m5.huge" is not a SageMaker real-time instance type (AWS's ProductionVariantInstanceType)`,
		},
	},
	{
		name:  "a shadow test on a serverless variant, with no candidate",
		stack: "prod",
		edit: func(c map[string]any) {
			obj(c, "models", "propensity")["shadow"] = map[string]any{"samplingPercent": 10, "instance": map[string]any{"type": "ml.m5.large", "initialCount": 1}}
		},
		want: []string{
			`ml-rest-api:models.propensity.shadow: shadow variants need an instance production variant (serverless endpoints have a single variant); remove shadow or use instance`,
			`ml-rest-api:models.propensity.shadow: set the candidate's modelDataUrl, image or modelPackageArn`,
		},
	},
	{
		name: "missing required key",
		edit: func(c map[string]any) { delete(c, "models") },
		want: []string{`ml-rest-api:models: missing; add it to Pulumi.dev.yaml (see README, Configuration)`},
	},
	// Issue 17, item 2: a binary route's media types (dev's route 3 is poster-genres).
	{
		name: "binary route without media types",
		edit: func(c map[string]any) { delete(obj(c, "api", "routes", 3), "contentTypes") },
		want: []string{`ml-rest-api:api.routes[3].contentTypes: list the media types the model takes, e.g. [image/jpeg, image/png]`},
	},
	{
		name: "media types on a route of another kind",
		edit: func(c map[string]any) { obj(c, "api", "routes", 0)["contentTypes"] = []any{"image/png"} },
		want: []string{`ml-rest-api:api.routes[0].contentTypes: applies to routes of kind binary only; remove it`},
	},
	{
		name: "binary media types other routes, browsers or forms use",
		edit: func(c map[string]any) {
			obj(c, "api", "routes", 3)["contentTypes"] = []any{"*/*", "image/*", "application/json", "text/csv", "multipart/form-data", "image/svg+xml", "Image/PNG", "image/png; q=1", "image/png", "image/png"}
		},
		want: []string{
			`ml-rest-api:api.routes[3].contentTypes[0]: must be a media type like image/png: lower case, no wildcard (*/* would turn every JSON answer and CORS preflight into binary), no parameters, no "+" (stage variable values cannot hold it) (got "*/*")`,
			`ml-rest-api:api.routes[3].contentTypes[1]: must be a media type like image/png: lower case, no wildcard (*/* would turn every JSON answer and CORS preflight into binary), no parameters, no "+" (stage variable values cannot hold it) (got "image/*")`,
			`ml-rest-api:api.routes[3].contentTypes[2]: "application/json" is read by the other route kinds' templates as text; binary media types are API-wide, so it cannot be one`,
			`ml-rest-api:api.routes[3].contentTypes[3]: "text/csv" is read by the other route kinds' templates as text; binary media types are API-wide, so it cannot be one`,
			`ml-rest-api:api.routes[3].contentTypes[4]: "multipart/form-data": a multipart form wraps the file in text the model cannot read; clients send the file's bytes with its own type (e.g. image/png), and multipart/form-data is answered 415`,
			`ml-rest-api:api.routes[3].contentTypes[5]: must be a media type like image/png: lower case, no wildcard (*/* would turn every JSON answer and CORS preflight into binary), no parameters, no "+" (stage variable values cannot hold it) (got "image/svg+xml")`,
			`ml-rest-api:api.routes[3].contentTypes[6]: must be a media type like image/png: lower case, no wildcard (*/* would turn every JSON answer and CORS preflight into binary), no parameters, no "+" (stage variable values cannot hold it) (got "Image/PNG")`,
			`ml-rest-api:api.routes[3].contentTypes[7]: must be a media type like image/png: lower case, no wildcard (*/* would turn every JSON answer and CORS preflight into binary), no parameters, no "+" (stage variable values cannot hold it) (got "image/png; q=1")`,
			`ml-rest-api:api.routes[3].contentTypes[9]: duplicate media type "image/png"`,
		},
	},
	{
		name: "binary route cached",
		edit: func(c map[string]any) {
			obj(c, "api")["cache"] = map[string]any{"clusterSizeGb": "0.5", "ttlSeconds": 60, "routes": []any{"poster-genres"}}
		},
		want: []string{`ml-rest-api:api.cache.routes[0]: route "poster-genres" is a POST (binary) route; only routes of kind ratings, recommendations are cached`},
	},
}

func TestBadConfigurationsFailWithEveryProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range badConfigs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stack := tc.stack
			if stack == "" {
				stack = "dev"
			}
			_, err := loadConfig(t, stack, withConfig(tc.edit))
			require.Error(t, err)
			assert.Equal(t, problems(tc.want...), err.Error())
		})
	}
}

// A bad configuration fails before any resource is registered (under mocks, the real run path).
func TestBadConfigurationRegistersNothing(t *testing.T) {
	t.Parallel()
	run, err := tryRunStack(t, "dev", withConfig(badConfigs[0].edit))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown key "modelDataURL"`)
	assert.Empty(t, run.Resources(), "no resource may be registered before validation passes")
}

func TestCommittedStacksLoadWithDefaults(t *testing.T) {
	t.Parallel()
	dev, err := loadConfig(t, "dev")
	require.NoError(t, err)
	assert.Equal(t, "dev", dev.API.StageName)
	assert.Equal(t, 100, dev.API.MaxItems)
	assert.Equal(t, 7, dev.API.LogRetentionDays)
	assert.Equal(t, "1", dev.Models["propensity"].Image.Tag, "built-in image tag defaults to 1")
	assert.Nil(t, dev.Canary)

	prod, err := loadConfig(t, "prod")
	require.NoError(t, err)
	assert.Equal(t, 300, prod.Models["recommendations"].Autoscaling.ScaleInCooldownSeconds, "cooldowns default to 300 s")
	assert.Equal(t, 600, prod.Models["ratings"].Autoscaling.ScaleInCooldownSeconds)
	assert.Equal(t, 50.0, prod.Canary.MaxPercentTraffic)
	assert.Equal(t, 3600, prod.Models["ratings"].Guardrails.MaximumExecutionTimeoutSeconds)
}

// Pulumi.yaml gives optional keys the default {}: an empty object means "off".
func TestEmptyOptionalKeysAreOff(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(t, "prod", withConfig(func(c map[string]any) {
		for _, k := range []string{"canary", "apiKeyValues", "tags", "waf", "protection"} {
			c[k] = map[string]any{}
		}
	}))
	require.NoError(t, err)
	assert.Nil(t, cfg.Canary)
	assert.Nil(t, cfg.WAF)
	assert.Nil(t, cfg.Protection)
	assert.Empty(t, cfg.APIKeyValues)
	_, err = loadConfig(t, "dev", withConfig(func(c map[string]any) { c["models"] = map[string]any{} }))
	require.Error(t, err, "required keys are not defaulted")
}

// Pulumi.yaml is a valid project file and declares every key the stacks set, with its type.
func TestProjectDeclaresEveryStackKey(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	// The CLI's own loader (schema plus its rules, e.g. no types on other namespaces' keys).
	_, err = workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)

	var project struct {
		Name   string `yaml:"name"`
		Config map[string]struct {
			Type        string `yaml:"type"`
			Description string `yaml:"description"`
		} `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &project))
	assert.Equal(t, names.Namespace, project.Name)
	var declared []string
	for k, d := range project.Config {
		declared = append(declared, k)
		assert.NotEmpty(t, d.Description, "%s needs a description", k)
	}
	sort.Strings(declared)
	for _, k := range []string{"models", "api", "access", "canary", "apiKeyValues", "tags", "monitoring", "waf", "protection"} {
		assert.Contains(t, declared, names.Namespace+":"+k)
		assert.Equal(t, "object", project.Config[names.Namespace+":"+k].Type, k)
	}
	for _, stack := range stacks {
		for k := range stackConfig(t, stack) {
			if strings.HasPrefix(k, names.Namespace+":") {
				assert.Contains(t, declared, k, "Pulumi.%s.yaml sets %s, which Pulumi.yaml does not declare", stack, k)
			}
		}
	}
}
