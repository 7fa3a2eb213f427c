package awscontract

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

// Field maps one pulumi-aws input to what the provider sends AWS. Reviewed as data: each row
// says which API member an input becomes (terraform-provider-aws v5, the provider pulumi-aws
// v6.83.2 bridges, internal/service/<service>/<resource>.go: the Create/Update functions build
// the request from these inputs).
type Field struct {
	// Member is the API member of the parent shape the input becomes.
	Member string
	// Shape checks the input against a named shape instead of a member's (values the provider
	// sends as UpdateStage/UpdateAccount patch operations, which the model types as strings).
	Shape string
	// Fields maps an object input (or each object of a list input) key by key.
	Fields map[string]Field
	// Convert reshapes the provider's form into the API's (a tag map into a tag list, JSON text
	// into its value) before the check.
	Convert func(any) (any, error)
	// NotSent says why the input is no API member (the provider or the engine consumes it).
	NotSent string
}

// Fill is a required request member the provider fills when no input sets it.
type Fill struct {
	Why string
	// AutoName: Pulumi generates "<logical name>-<7 hex>"; the contract checks that form.
	AutoName bool
}

// Mapping is how one resource type reaches one API request shape.
type Mapping struct {
	Service string // model directory
	Shape   string // the create request shape
	Fields  map[string]Field
	Filled  map[string]Fill
}

func m(member string) Field                       { return Field{Member: member} }
func blk(member string, f map[string]Field) Field { return Field{Member: member, Fields: f} }
func conv(member string, fn func(any) (any, error)) Field {
	return Field{Member: member, Convert: fn}
}
func notSent(why string) Field { return Field{NotSent: why} }

// same maps inputs to members of the same name.
func same(names ...string) map[string]Field {
	out := map[string]Field{}
	for _, n := range names {
		out[n] = m(n)
	}
	return out
}

var autoName = Fill{Why: "auto-named by Pulumi when no name is set", AutoName: true}

// Tag converters: pulumi-aws takes tags as a map; most APIs take a list of {Key, Value}.
func tagList(v any) (any, error)       { return pairs(v, "Key", "Value") }
func dimensionList(v any) (any, error) { return pairs(v, "Name", "Value") }

func pairs(v any, key, value string) (any, error) {
	mv, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a map, got %T", v)
	}
	var out []any
	for _, k := range slices.Sorted(maps.Keys(mv)) {
		out = append(out, map[string]any{key: k, value: mv[k]})
	}
	return out, nil
}

// jsonText decodes an input the provider sends as parsed JSON (WAF rules).
func jsonText(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("expected JSON text, got %T", v)
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return out, nil
}

func listOf(v any) (any, error) { return []any{v}, nil }

var apigwTags = m("tags") // MapOfStringToString; the tag rule checks AWS's tag limits

// Mappings: every resource type the program and the bootstrap can register. A type or an input
// missing here is a finding, so a new property cannot slip past unchecked.
var Mappings = map[string]Mapping{
	// ---- API Gateway (apigateway/2015-07-09; members are camelCase) ----
	awstypes.APIGatewayDomainName: {Service: "apigateway", Shape: "CreateDomainNameRequest", Fields: map[string]Field{
		"domainName": m("domainName"), "regionalCertificateArn": m("regionalCertificateArn"), "securityPolicy": m("securityPolicy"),
		"endpointConfiguration": blk("endpointConfiguration", map[string]Field{"types": conv("types", listOf)}),
		"tags":                  apigwTags,
	}},
	awstypes.APIGatewayBasePathMapping: {Service: "apigateway", Shape: "CreateBasePathMappingRequest", Fields: map[string]Field{
		"domainName": m("domainName"), "basePath": m("basePath"), "restApi": m("restApiId"), "stageName": m("stage"),
	}},
	awstypes.APIGatewayRestApi: {Service: "apigateway", Shape: "CreateRestApiRequest", Filled: map[string]Fill{"name": autoName}, Fields: map[string]Field{
		"name": m("name"), "description": m("description"), "apiKeySource": m("apiKeySource"), "disableExecuteApiEndpoint": m("disableExecuteApiEndpoint"),
		"endpointConfiguration": blk("endpointConfiguration", map[string]Field{"types": conv("types", listOf)}),
		"tags":                  apigwTags,
		// The provider sends these with PutRestApi after CreateRestApi (rest_api.go, resourceRestAPICreate).
		"body":           notSent("the PutRestApi body: imported by awscontract.Import, each object it creates checked against its own request shape (rule apigateway-openapi-document)"),
		"putRestApiMode": {Shape: "PutMode"},
		"failOnWarnings": {Shape: "Boolean"},
	}},
	awstypes.APIGatewayResource: {Service: "apigateway", Shape: "CreateResourceRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "parentId": m("parentId"), "pathPart": m("pathPart"),
	}},
	awstypes.APIGatewayMethod: {Service: "apigateway", Shape: "PutMethodRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "resourceId": m("resourceId"), "httpMethod": m("httpMethod"),
		"authorization": m("authorizationType"), "apiKeyRequired": m("apiKeyRequired"),
		"requestParameters": m("requestParameters"), "requestValidatorId": m("requestValidatorId"),
		"requestModels": m("requestModels"),
	}},
	awstypes.APIGatewayIntegration: {Service: "apigateway", Shape: "PutIntegrationRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "resourceId": m("resourceId"), "httpMethod": m("httpMethod"),
		"type": m("type"), "integrationHttpMethod": m("integrationHttpMethod"), "uri": m("uri"),
		"credentials": m("credentials"), "passthroughBehavior": m("passthroughBehavior"),
		"requestParameters": m("requestParameters"), "requestTemplates": m("requestTemplates"),
		"timeoutMilliseconds": m("timeoutInMillis"), "cacheKeyParameters": m("cacheKeyParameters"),
		"cacheNamespace": m("cacheNamespace"), "contentHandling": m("contentHandling"),
	}},
	awstypes.APIGatewayIntegrationResponse: {Service: "apigateway", Shape: "PutIntegrationResponseRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "resourceId": m("resourceId"), "httpMethod": m("httpMethod"),
		"statusCode": m("statusCode"), "selectionPattern": m("selectionPattern"),
		"responseParameters": m("responseParameters"), "responseTemplates": m("responseTemplates"),
		"contentHandling": m("contentHandling"),
	}},
	awstypes.APIGatewayMethodResponse: {Service: "apigateway", Shape: "PutMethodResponseRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "resourceId": m("resourceId"), "httpMethod": m("httpMethod"),
		"statusCode": m("statusCode"), "responseModels": m("responseModels"), "responseParameters": m("responseParameters"),
	}},
	awstypes.APIGatewayRequestValidator: {Service: "apigateway", Shape: "CreateRequestValidatorRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "name": m("name"),
		"validateRequestBody": m("validateRequestBody"), "validateRequestParameters": m("validateRequestParameters"),
	}},
	awstypes.APIGatewayResponse: {Service: "apigateway", Shape: "PutGatewayResponseRequest", Fields: same(
		"restApiId", "responseType", "statusCode", "responseParameters", "responseTemplates")},
	awstypes.APIGatewayDeployment: {Service: "apigateway", Shape: "CreateDeploymentRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "description": m("description"), "variables": m("variables"),
		"triggers": notSent("Pulumi/Terraform-side replacement trigger; never sent to AWS"),
	}},
	awstypes.APIGatewayStage: {Service: "apigateway", Shape: "CreateStageRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "stageName": m("stageName"), "deployment": m("deploymentId"),
		"description": m("description"), "variables": m("variables"), "xrayTracingEnabled": m("tracingEnabled"),
		"cacheClusterEnabled": m("cacheClusterEnabled"), "cacheClusterSize": m("cacheClusterSize"),
		"canarySettings": blk("canarySettings", same("deploymentId", "percentTraffic", "stageVariableOverrides", "useStageCache")),
		// Sent by UpdateStage right after CreateStage as /accessLogSettings/* patch operations.
		"accessLogSettings": {Shape: "AccessLogSettings", Fields: same("destinationArn", "format")},
		"tags":              apigwTags,
	}},
	awstypes.APIGatewayMethodSettings: {Service: "apigateway", Shape: "UpdateStageRequest", Fields: map[string]Field{
		"restApi": m("restApiId"), "stageName": m("stageName"),
		"methodPath": notSent("the patch path /<methodPath>/<setting> of UpdateStage; checked by rule apigateway-method-settings-path"),
		// Each setting is one UpdateStage patch operation; MethodSetting types their values.
		"settings": {Shape: "MethodSetting", Fields: same("metricsEnabled", "loggingLevel", "dataTraceEnabled",
			"throttlingBurstLimit", "throttlingRateLimit", "cachingEnabled", "cacheTtlInSeconds", "cacheDataEncrypted",
			"requireAuthorizationForCacheControl", "unauthorizedCacheControlHeaderStrategy")},
	}},
	awstypes.APIGatewayAccount: {Service: "apigateway", Shape: "UpdateAccountRequest", Fields: map[string]Field{
		"cloudwatchRoleArn": notSent("UpdateAccount patch operation /cloudwatchRoleArn; checked by rule arn-format"),
	}},
	awstypes.APIGatewayApiKey: {Service: "apigateway", Shape: "CreateApiKeyRequest", Fields: map[string]Field{
		"name": m("name"), "description": m("description"), "enabled": m("enabled"), "value": m("value"), "tags": apigwTags,
	}},
	awstypes.APIGatewayUsagePlan: {Service: "apigateway", Shape: "CreateUsagePlanRequest", Filled: map[string]Fill{"name": autoName}, Fields: map[string]Field{
		"name": m("name"), "description": m("description"), "tags": apigwTags,
		"apiStages": blk("apiStages", map[string]Field{"apiId": m("apiId"), "stage": m("stage"),
			// The provider turns the throttles list into ApiStage.throttle, keyed by path.
			"throttles": conv("throttle", throttleMap)}),
		"throttleSettings": blk("throttle", same("burstLimit", "rateLimit")),
		"quotaSettings":    blk("quota", same("limit", "offset", "period")),
	}},
	awstypes.APIGatewayUsagePlanKey: {Service: "apigateway", Shape: "CreateUsagePlanKeyRequest", Fields: same("usagePlanId", "keyId", "keyType")},

	// ---- SageMaker (sagemaker/2017-07-24) ----
	awstypes.SageMakerModel: {Service: "sagemaker", Shape: "CreateModelInput", Filled: map[string]Fill{"ModelName": autoName}, Fields: map[string]Field{
		"name": m("ModelName"), "executionRoleArn": m("ExecutionRoleArn"), "tags": conv("Tags", tagList),
		"enableNetworkIsolation": m("EnableNetworkIsolation"),
		"primaryContainer": blk("PrimaryContainer", map[string]Field{"image": m("Image"), "modelDataUrl": m("ModelDataUrl"),
			"environment": m("Environment"), "mode": m("Mode"), "modelPackageName": m("ModelPackageName")}),
		"vpcConfig": blk("VpcConfig", same2("subnets", "Subnets", "securityGroupIds", "SecurityGroupIds")),
	}},
	awstypes.SageMakerEndpointConfiguration: {Service: "sagemaker", Shape: "CreateEndpointConfigInput", Filled: map[string]Fill{"EndpointConfigName": autoName}, Fields: map[string]Field{
		"name": m("EndpointConfigName"), "kmsKeyArn": m("KmsKeyId"), "tags": conv("Tags", tagList),
		"dataCaptureConfig": blk("DataCaptureConfig", map[string]Field{
			"enableCapture": m("EnableCapture"), "initialSamplingPercentage": m("InitialSamplingPercentage"),
			"destinationS3Uri": m("DestinationS3Uri"), "kmsKeyId": m("KmsKeyId"),
			"captureOptions":           blk("CaptureOptions", map[string]Field{"captureMode": m("CaptureMode")}),
			"captureContentTypeHeader": blk("CaptureContentTypeHeader", same2("csvContentTypes", "CsvContentTypes", "jsonContentTypes", "JsonContentTypes")),
		}),
		"productionVariants":       blk("ProductionVariants", productionVariantFields),
		"shadowProductionVariants": blk("ShadowProductionVariants", productionVariantFields),
	}},
	awstypes.SageMakerEndpoint: {Service: "sagemaker", Shape: "CreateEndpointInput", Filled: map[string]Fill{"EndpointName": autoName}, Fields: map[string]Field{
		"name": m("EndpointName"), "endpointConfigName": m("EndpointConfigName"), "tags": conv("Tags", tagList),
		"deploymentConfig": blk("DeploymentConfig", map[string]Field{
			"blueGreenUpdatePolicy": blk("BlueGreenUpdatePolicy", map[string]Field{
				"terminationWaitInSeconds": m("TerminationWaitInSeconds"), "maximumExecutionTimeoutInSeconds": m("MaximumExecutionTimeoutInSeconds"),
				"trafficRoutingConfiguration": blk("TrafficRoutingConfiguration", map[string]Field{
					"type": m("Type"), "waitIntervalInSeconds": m("WaitIntervalInSeconds"),
					"canarySize": blk("CanarySize", same2("type", "Type", "value", "Value")), "linearStepSize": blk("LinearStepSize", same2("type", "Type", "value", "Value")),
				}),
			}),
			"autoRollbackConfiguration": blk("AutoRollbackConfiguration", map[string]Field{"alarms": blk("Alarms", same2("alarmName", "AlarmName"))}),
		}),
	}},

	// ---- Application Auto Scaling (application-autoscaling/2016-02-06) ----
	awstypes.AppAutoscalingTarget: {Service: "application-autoscaling", Shape: "RegisterScalableTargetRequest", Fields: map[string]Field{
		"serviceNamespace": m("ServiceNamespace"), "resourceId": m("ResourceId"), "scalableDimension": m("ScalableDimension"),
		"minCapacity": m("MinCapacity"), "maxCapacity": m("MaxCapacity"), "tags": m("Tags"),
	}},
	awstypes.AppAutoscalingPolicy: {Service: "application-autoscaling", Shape: "PutScalingPolicyRequest", Filled: map[string]Fill{"PolicyName": autoName}, Fields: map[string]Field{
		"name": m("PolicyName"), "policyType": m("PolicyType"), "serviceNamespace": m("ServiceNamespace"),
		"resourceId": m("ResourceId"), "scalableDimension": m("ScalableDimension"),
		"targetTrackingScalingPolicyConfiguration": blk("TargetTrackingScalingPolicyConfiguration", map[string]Field{
			"targetValue": m("TargetValue"), "scaleInCooldown": m("ScaleInCooldown"), "scaleOutCooldown": m("ScaleOutCooldown"),
			"disableScaleIn":                m("DisableScaleIn"),
			"predefinedMetricSpecification": blk("PredefinedMetricSpecification", same2("predefinedMetricType", "PredefinedMetricType")),
		}),
	}},

	awstypes.AppAutoscalingScheduledAction: {Service: "application-autoscaling", Shape: "PutScheduledActionRequest", Filled: map[string]Fill{"ScheduledActionName": autoName}, Fields: map[string]Field{
		"name": m("ScheduledActionName"), "serviceNamespace": m("ServiceNamespace"), "resourceId": m("ResourceId"),
		"scalableDimension": m("ScalableDimension"), "schedule": m("Schedule"), "timezone": m("Timezone"),
		"startTime": m("StartTime"), "endTime": m("EndTime"),
		"scalableTargetAction": blk("ScalableTargetAction", map[string]Field{"minCapacity": m("MinCapacity"), "maxCapacity": m("MaxCapacity")}),
	}},

	// ---- CloudWatch (monitoring/2010-08-01) and CloudWatch Logs (logs/2014-03-28) ----
	awstypes.CloudWatchMetricAlarm: {Service: "monitoring", Shape: "PutMetricAlarmInput", Filled: map[string]Fill{"AlarmName": autoName}, Fields: map[string]Field{
		"name": m("AlarmName"), "alarmDescription": m("AlarmDescription"), "comparisonOperator": m("ComparisonOperator"),
		"evaluationPeriods": m("EvaluationPeriods"), "datapointsToAlarm": m("DatapointsToAlarm"), "metricName": m("MetricName"),
		"namespace": m("Namespace"), "period": m("Period"), "statistic": m("Statistic"), "extendedStatistic": m("ExtendedStatistic"),
		"threshold": m("Threshold"), "treatMissingData": m("TreatMissingData"), "alarmActions": m("AlarmActions"),
		"okActions": m("OKActions"), "dimensions": conv("Dimensions", dimensionList), "tags": conv("Tags", tagList),
	}},
	awstypes.CloudWatchDashboard: {Service: "monitoring", Shape: "PutDashboardInput", Fields: same2("dashboardName", "DashboardName", "dashboardBody", "DashboardBody")},
	awstypes.CloudWatchLogGroup: {Service: "logs", Shape: "CreateLogGroupRequest", Filled: map[string]Fill{"logGroupName": autoName}, Fields: map[string]Field{
		"name": m("logGroupName"), "kmsKeyId": m("kmsKeyId"), "tags": m("tags"),
		// PutRetentionPolicy after CreateLogGroup; the model types it as a plain integer, the rule
		// logs-retention checks the values AWS accepts.
		"retentionInDays": {Shape: "Days"},
	}},
	awstypes.CloudWatchLogMetricFilter: {Service: "logs", Shape: "PutMetricFilterRequest", Filled: map[string]Fill{"filterName": autoName}, Fields: map[string]Field{
		"name": m("filterName"), "logGroupName": m("logGroupName"), "pattern": m("filterPattern"),
		"metricTransformation": conv("metricTransformations", metricTransformations),
	}},

	// ---- SNS (sns/2010-03-31) ----
	awstypes.SNSTopic: {Service: "sns", Shape: "CreateTopicInput", Filled: map[string]Fill{"Name": autoName}, Fields: map[string]Field{
		"name": m("Name"), "tags": conv("Tags", tagList),
	}},
	awstypes.SNSTopicSubscription: {Service: "sns", Shape: "SubscribeInput", Fields: same2("topic", "TopicArn", "protocol", "Protocol", "endpoint", "Endpoint")},

	// ---- WAFv2 (wafv2/2019-07-29) ----
	awstypes.WAFv2WebAcl: {Service: "wafv2", Shape: "CreateWebACLRequest", Filled: map[string]Fill{"Name": autoName}, Fields: map[string]Field{
		"name": m("Name"), "description": m("Description"), "scope": m("Scope"), "tags": conv("Tags", tagList),
		"defaultAction":        blk("DefaultAction", map[string]Field{"allow": conv("Allow", emptyAction), "block": conv("Block", emptyAction)}),
		"ruleJson":             conv("Rules", jsonText),
		"customResponseBodies": conv("CustomResponseBodies", responseBodies),
		"visibilityConfig": blk("VisibilityConfig", same2("cloudwatchMetricsEnabled", "CloudWatchMetricsEnabled",
			"metricName", "MetricName", "sampledRequestsEnabled", "SampledRequestsEnabled")),
	}},
	awstypes.WAFv2WebAclAssociation: {Service: "wafv2", Shape: "AssociateWebACLRequest", Fields: same2("resourceArn", "ResourceArn", "webAclArn", "WebACLArn")},

	// ---- IAM (iam/2010-05-08) ----
	awstypes.IAMRole: {Service: "iam", Shape: "CreateRoleRequest", Filled: map[string]Fill{"RoleName": autoName}, Fields: map[string]Field{
		"name": m("RoleName"), "description": m("Description"), "assumeRolePolicy": m("AssumeRolePolicyDocument"),
		"maxSessionDuration": m("MaxSessionDuration"), "path": m("Path"), "tags": conv("Tags", tagList),
		"forceDetachPolicies": notSent("provider-side: on delete, list and delete the role's policies first (role.go, deleteRole)"),
	}},
	awstypes.IAMRolePolicy: {Service: "iam", Shape: "PutRolePolicyRequest", Filled: map[string]Fill{"PolicyName": autoName}, Fields: map[string]Field{
		"name": m("PolicyName"), "role": m("RoleName"), "policy": m("PolicyDocument"),
	}},
	awstypes.IAMOpenIdConnectProvider: {Service: "iam", Shape: "CreateOpenIDConnectProviderRequest", Fields: map[string]Field{
		"url": m("Url"), "clientIdLists": m("ClientIDList"), "thumbprintLists": m("ThumbprintList"), "tags": conv("Tags", tagList),
	}},
}

// same2 maps pairs of (input, member).
func same2(kv ...string) map[string]Field {
	out := map[string]Field{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = m(kv[i+1])
	}
	return out
}

// emptyAction: an empty action block ({}) becomes the API's empty structure.
func emptyAction(v any) (any, error) {
	if mv, ok := v.(map[string]any); ok && len(mv) == 0 {
		return map[string]any{}, nil
	}
	return v, nil
}

// throttleMap: usage-plan throttles [{path, burstLimit, rateLimit}] → {path: {burstLimit, rateLimit}}.
func throttleMap(v any) (any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of throttles, got %T", v)
	}
	out := map[string]any{}
	for _, e := range l {
		t, _ := e.(map[string]any)
		path, _ := t["path"].(string)
		entry := map[string]any{}
		for _, k := range []string{"burstLimit", "rateLimit"} {
			if x, ok := t[k]; ok {
				entry[k] = x
			}
		}
		for k := range t {
			if k != "path" && k != "burstLimit" && k != "rateLimit" {
				return nil, fmt.Errorf("throttle input %q has no contract mapping", k)
			}
		}
		out[path] = entry
	}
	return out, nil
}

// responseBodies: WAF custom response bodies [{key, content, contentType}] → {key: {Content, ContentType}}.
func responseBodies(v any) (any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of bodies, got %T", v)
	}
	out := map[string]any{}
	for _, e := range l {
		b, _ := e.(map[string]any)
		key, _ := b["key"].(string)
		out[key] = map[string]any{"Content": b["content"], "ContentType": b["contentType"]}
	}
	return out, nil
}

// metricTransformations: the provider's single metricTransformation block → the API's list of
// one MetricTransformation (defaultValue is text in pulumi-aws and a double in the API).
func metricTransformations(v any) (any, error) {
	t, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected an object, got %T", v)
	}
	out := map[string]any{}
	names := map[string]string{"name": "metricName", "namespace": "metricNamespace", "value": "metricValue", "unit": "unit", "dimensions": "dimensions"}
	for k, x := range t {
		switch k {
		case "defaultValue":
			s, _ := x.(string)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("defaultValue %q is not a number", s)
			}
			out["defaultValue"] = f
		default:
			n, ok := names[k]
			if !ok {
				return nil, fmt.Errorf("metricTransformation input %q has no contract mapping", k)
			}
			out[n] = x
		}
	}
	return []any{out}, nil
}

// productionVariantFields map a production or shadow variant (both ProductionVariant shapes).
var productionVariantFields = map[string]Field{
	"variantName": m("VariantName"), "modelName": m("ModelName"), "initialInstanceCount": m("InitialInstanceCount"),
	"instanceType": m("InstanceType"), "initialVariantWeight": m("InitialVariantWeight"),
	"containerStartupHealthCheckTimeoutInSeconds": m("ContainerStartupHealthCheckTimeoutInSeconds"),
	"modelDataDownloadTimeoutInSeconds":           m("ModelDataDownloadTimeoutInSeconds"),
	"serverlessConfig": blk("ServerlessConfig", map[string]Field{"memorySizeInMb": m("MemorySizeInMB"),
		"maxConcurrency": m("MaxConcurrency"), "provisionedConcurrency": m("ProvisionedConcurrency")}),
}
