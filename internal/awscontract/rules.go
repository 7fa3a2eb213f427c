package awscontract

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

// Rule is one AWS rule the API models cannot express, with its source.
type Rule struct {
	ID     string
	Source string
	// Types are the resource types it applies to; nil means every type.
	Types []string
	Check func(env *Env, r Resource) []Finding
}

// Env is what a rule may consult besides the resource: the models and every other resource.
type Env struct {
	Models *Models
	All    []Resource
}

// Applies reports whether the rule checks resources of typ.
func (r Rule) Applies(typ string) bool { return r.Types == nil || slices.Contains(r.Types, typ) }

func finding(path, format string, args ...any) Finding {
	return Finding{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Resource types the rules name.
const (
	tRestAPI        = awstypes.APIGatewayRestApi
	tStage          = awstypes.APIGatewayStage
	tDeployment     = awstypes.APIGatewayDeployment
	tMethodSettings = awstypes.APIGatewayMethodSettings
	tUsagePlan      = awstypes.APIGatewayUsagePlan
	tResource       = awstypes.APIGatewayResource
	tIntegration    = awstypes.APIGatewayIntegration
	tAccount        = awstypes.APIGatewayAccount
	tRole           = awstypes.IAMRole
	tRolePolicy     = awstypes.IAMRolePolicy
	tModel          = awstypes.SageMakerModel
	tEndpointConfig = awstypes.SageMakerEndpointConfiguration
	tEndpoint       = awstypes.SageMakerEndpoint
	tScalingTarget  = awstypes.AppAutoscalingTarget
	tWebACL         = awstypes.WAFv2WebAcl
	tWebACLAssoc    = awstypes.WAFv2WebAclAssociation
	tDomainName     = awstypes.APIGatewayDomainName
	tAlarm          = awstypes.CloudWatchMetricAlarm
	tDashboard      = awstypes.CloudWatchDashboard
	tLogGroup       = awstypes.CloudWatchLogGroup
	tSubscription   = awstypes.SNSTopicSubscription
)

// ---- Rules the program's own validation shares (one definition, cited once) ----

// Stage variables: "Variable names can have alphanumeric and underscore characters, and the
// values must match [A-Za-z0-9-._~:/?#&=,]+" (API reference, CreateStage `variables`; the same
// text in aws-sdk-go models/apis/apigateway/2015-07-09/docs-2.json). Canary
// stageVariableOverrides are stage variables too. AWS answers BadRequestException: Invalid stage
// variable value.
const SourceStageVariables = "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html#apigw-CreateStage-request-variables"

var (
	reStageVariableName  = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	reStageVariableValue = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=,]+$`)
)

// StageVariable reports why API Gateway would refuse a stage variable (nil: it accepts it).
func StageVariable(name, value string) error {
	if !reStageVariableName.MatchString(name) {
		return fmt.Errorf("stage variable name %q: only letters, digits and underscores", name)
	}
	if !reStageVariableValue.MatchString(value) {
		return fmt.Errorf("stage variable %s = %q: API Gateway accepts only non-empty values of letters, digits and -._~:/?#&=,", name, value)
	}
	return nil
}

// MethodSettingsPath is the stage's method-settings key for one method: the resource path with
// every "/" escaped as "~1" (JSON Pointer), then "/" and the HTTP method; "*/*" means every
// method. The provider sends method_path verbatim as the UpdateStage patch path
// /<methodPath>/<setting> (terraform-provider-aws#9738: "the method_path is not processed by the
// provider in any way"; get-stage returns "~1some~1api~1endpoint/POST"); an unescaped path fails
// with "Invalid method setting path" (#15855). Sources: the UpdateStage PatchOperation reference
// ("escape '/' as '~1'") and CloudFormation's AWS::ApiGateway::Stage MethodSetting.ResourcePath.
func MethodSettingsPath(resourcePath, httpMethod string) string {
	return strings.ReplaceAll(resourcePath, "/", "~1") + "/" + httpMethod
}

const SourceMethodSettingsPath = "https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateStage-Patch; https://github.com/hashicorp/terraform-provider-aws/issues/9738"

var reMethodSettingsPath = regexp.MustCompile(`^(?:\*/\*|(?:~1(?:[A-Za-z0-9._:-]+|\{[A-Za-z0-9_]+\+?\})?)+/(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|\*))$`)

// UsagePlanThrottlePath is a usage plan's per-method throttle key: the resource path as it is
// (leading slash, no escaping), "/", the HTTP method — "/pets/GET". Sources: the
// terraform-provider-aws docs for aws_api_gateway_usage_plan api_stages.throttle.path ("for
// example /test/GET") and aws-cdk-lib aws-apigateway/lib/usage-plan.ts renderThrottlePerMethod
// ("this methodId is resource path and method for example /GET or /pets/GET").
func UsagePlanThrottlePath(resourcePath, httpMethod string) string {
	return resourcePath + "/" + httpMethod
}

const SourceUsagePlanThrottlePath = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_usage_plan#path; https://github.com/aws/aws-cdk/blob/main/packages/aws-cdk-lib/aws-apigateway/lib/usage-plan.ts"

var reUsagePlanThrottlePath = regexp.MustCompile(`^(?:/(?:[A-Za-z0-9._:-]+|\{[A-Za-z0-9_]+\+?\}))*/(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|\*)$`)

// PathPart: a resource path part is letters, digits and ._-: or a whole-part {param} /
// greedy {param+} (API Gateway developer guide, "Set up API resources"; CreateResource pathPart).
var rePathPart = regexp.MustCompile(`^(?:[A-Za-z0-9._:-]+|\{[A-Za-z0-9_]+\+?\})$`)

const SourcePathPart = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-create-api-as-simple-proxy.html; https://docs.aws.amazon.com/apigateway/latest/api/API_CreateResource.html"

// ValidPathPart reports whether API Gateway accepts a resource path part.
func ValidPathPart(part string) bool { return rePathPart.MatchString(part) }

// Tags: keys 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@; keys may
// not start with aws:; at most 50 user tags per resource ("Tag naming limits and requirements",
// Tagging AWS resources; the same pattern is in the sagemaker and logs models' TagKey/TagValue).
const SourceTags = "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions"

var reTagText = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// MaxTags is AWS's limit of user tags per resource.
const MaxTags = 50

// Tag reports why AWS would refuse a tag (nil: accepted).
func Tag(key, value string) error {
	switch {
	case len([]rune(key)) < 1 || len([]rune(key)) > 128:
		return fmt.Errorf("tag key %q: 1 to 128 characters", key)
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		return fmt.Errorf("tag key %q: the aws: prefix is reserved for AWS", key)
	case !reTagText.MatchString(key):
		return fmt.Errorf("tag key %q: only letters, digits, spaces and _.:/=+-@", key)
	case len([]rune(value)) > 256:
		return fmt.Errorf("tag %q: values are at most 256 characters", key)
	case !reTagText.MatchString(value):
		return fmt.Errorf("tag %q: values may hold only letters, digits, spaces and _.:/=+-@", key)
	}
	return nil
}

// Blue/green guardrails. The bundled provider (terraform-provider-aws v5,
// internal/service/sagemaker/endpoint.go) validates maximum_execution_timeout_in_seconds as
// 600-14400 although the API allows 28800, and waits for InService with a fixed 60-minute
// timeout that customTimeouts cannot change (hashicorp/terraform-provider-aws #39040, #39090).
// AWS: the canary step is at most 50 % of the variant's instances, a linear step 10-50 %
// (TrafficRoutingConfig CanarySize / LinearStepSize), and a step is whole instances; the
// maximum execution timeout "should be larger than the total waiting time"
// (BlueGreenUpdatePolicy).
const (
	SourceGuardrails = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html; https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html; https://github.com/hashicorp/terraform-provider-aws/issues/39040"
	// ProviderMaxExecutionTimeout is the provider's upper bound for maximumExecutionTimeoutInSeconds.
	ProviderMaxExecutionTimeout = 14400
	// ProviderEndpointWaitSeconds is the provider's fixed InService waiter.
	ProviderEndpointWaitSeconds = 3600
)

// GuardrailSteps is how many wait intervals a blue/green rollout bakes: one for CANARY (then the
// rest shifts at once), one per linear step for LINEAR (a step of stepInstances of fleet).
func GuardrailSteps(routing string, stepInstances, fleet int) int {
	if routing != "LINEAR" || stepInstances < 1 {
		return 1
	}
	return (fleet + stepInstances - 1) / stepInstances
}

// Guardrail problem fields: which setting a GuardrailProblem is about.
const (
	GuardrailStep    = "step"
	GuardrailTiming  = "timing"
	GuardrailTimeout = "maximumExecutionTimeout"
)

// GuardrailProblem is one thing AWS or the provider refuse in a blue/green policy.
type GuardrailProblem struct {
	Field   string // GuardrailStep, GuardrailTiming or GuardrailTimeout
	Message string
}

// GuardrailProblems lists what AWS or the provider refuse in a blue/green policy: stepInstances
// is the step in instances (a CAPACITY_PERCENT step converted with the smallest fleet), minFleet
// and maxFleet the variant's instance bounds, the rest in seconds.
func GuardrailProblems(routing string, stepInstances float64, minFleet, maxFleet, wait, termination, maxExec int) []GuardrailProblem {
	var out []GuardrailProblem
	add := func(field, format string, args ...any) {
		out = append(out, GuardrailProblem{field, fmt.Sprintf(format, args...)})
	}
	if stepInstances < 1 {
		add(GuardrailStep, "the step is %.2g instance of the smallest fleet (%d instances); SageMaker shifts whole instances, at least one", stepInstances, minFleet)
	} else if stepInstances > float64(minFleet)/2 {
		add(GuardrailStep, "the step is %.2g instance(s), more than 50%% of the smallest fleet (%d instances)", stepInstances, minFleet)
	}
	if routing == "LINEAR" && stepInstances >= 1 && stepInstances < float64(maxFleet)/10 {
		add(GuardrailStep, "a linear step of %.2g instance(s) is under 10%% of the largest fleet (%d instances)", stepInstances, maxFleet)
	}
	total := GuardrailSteps(routing, int(math.Max(1, math.Floor(stepInstances))), maxFleet)*wait + termination
	if total > ProviderEndpointWaitSeconds {
		add(GuardrailTiming, "the rollout waits %d s (wait intervals and termination wait), longer than the provider's fixed %d s InService waiter", total, ProviderEndpointWaitSeconds)
	}
	if maxExec > ProviderMaxExecutionTimeout {
		add(GuardrailTimeout, "%d s is above the provider's limit of %d s (AWS allows 28800; the bundled provider does not)", maxExec, ProviderMaxExecutionTimeout)
	}
	if maxExec <= total {
		add(GuardrailTimeout, "%d s must be larger than the total waiting time of %d s", maxExec, total)
	}
	return out
}

// ---- The rule table ----

// Rules are checked on every resource of their types.
var Rules = []Rule{
	{ID: "apigateway-stage-variables", Source: SourceStageVariables, Types: []string{tStage, tDeployment}, Check: func(_ *Env, r Resource) []Finding {
		var out []Finding
		for _, path := range []string{"variables", "canarySettings.stageVariableOverrides"} {
			vars, _ := at(r.Inputs, path).(map[string]any)
			for _, k := range slices.Sorted(maps.Keys(vars)) {
				if s, _ := vars[k].(string); s != Unknown {
					if err := StageVariable(k, s); err != nil {
						out = append(out, finding(path+"."+k, "%v", err))
					}
				}
			}
		}
		return out
	}},
	{ID: "apigateway-method-settings-path", Source: SourceMethodSettingsPath, Types: []string{tMethodSettings}, Check: func(_ *Env, r Resource) []Finding {
		if p := str(r.Inputs, "methodPath"); !reMethodSettingsPath.MatchString(p) {
			return []Finding{finding("methodPath", "%q is not */* or an escaped <~1resource~1path>/<METHOD>; API Gateway answers \"Invalid method setting path\"", p)}
		}
		return nil
	}},
	{ID: "apigateway-usage-plan-throttle-path", Source: SourceUsagePlanThrottlePath, Types: []string{tUsagePlan}, Check: func(_ *Env, r Resource) []Finding {
		var out []Finding
		stages, _ := r.Inputs["apiStages"].([]any)
		for i, s := range stages {
			ts, _ := at(s.(map[string]any), "throttles").([]any)
			for j, t := range ts {
				if p := str(t.(map[string]any), "path"); !reUsagePlanThrottlePath.MatchString(p) {
					out = append(out, finding(fmt.Sprintf("apiStages[%d].throttles[%d].path", i, j), "%q is not /<resource path>/<METHOD>", p))
				}
			}
		}
		return out
	}},
	{ID: "apigateway-path-part", Source: SourcePathPart, Types: []string{tResource}, Check: func(_ *Env, r Resource) []Finding {
		if p := str(r.Inputs, "pathPart"); !ValidPathPart(p) {
			return []Finding{finding("pathPart", "%q: a path part is letters, digits and ._-: or a whole {param}", p)}
		}
		return nil
	}},
	// 50-29,000 ms by default; REGIONAL and private APIs may go higher once the account's quota is
	// raised, up to the provider's 300,000 (aws_api_gateway_integration timeout_milliseconds). The
	// quota is account state the contract cannot see: config validation refuses more than 29,000
	// unless the stack declares the raised quota (api.raisedIntegrationTimeoutQuota).
	{ID: "apigateway-integration-timeout", Source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#api-gateway-execution-service-limits-table; https://aws.amazon.com/about-aws/whats-new/2024/06/amazon-api-gateway-integration-timeout-limit-29-seconds/",
		Types: []string{tIntegration}, Check: func(_ *Env, r Resource) []Finding {
			if n, ok := num(r.Inputs, "timeoutMilliseconds"); ok && (n < 50 || n > 300000) {
				return []Finding{finding("timeoutMilliseconds", "%g: the integration timeout is 50-29,000 ms, or up to 300,000 with a raised quota", n)}
			}
			return nil
		}},
	{ID: "apigateway-integration-uri", Source: "https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html#apigw-PutIntegration-request-uri",
		Types: []string{tIntegration}, Check: func(_ *Env, r Resource) []Finding {
			if str(r.Inputs, "type") != "AWS" {
				return nil
			}
			if u := str(r.Inputs, "uri"); !reAWSIntegrationURI.MatchString(u) {
				return []Finding{finding("uri", "%q is not arn:aws:apigateway:<region>:<service>:path|action/<api>", u)}
			}
			return nil
		}},
	// PutIntegration's passthroughBehavior is a plain String in the API model; its documentation
	// (Integration.passthroughBehavior) lists the three values. The import upper-cases the
	// document's lower-case ones (awscontract.Import).
	{ID: "apigateway-integration-passthrough", Source: "https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html#apigw-Type-Integration-passthroughBehavior",
		Types: []string{tIntegration}, Check: func(_ *Env, r Resource) []Finding {
			if p := str(r.Inputs, "passthroughBehavior"); p != "" && !slices.Contains([]string{"WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"}, p) {
				return []Finding{finding("passthroughBehavior", "%q: WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER", p)}
			}
			return nil
		}},
	// A mapping from the method request names a parameter the method declares, and one to the
	// method response a header its method response declares; PutIntegration and
	// PutIntegrationResponse refuse anything else ("Invalid mapping expression parameter
	// specified: method.request.header.Authorization", Testlio/lambda-tools#56; "No method
	// response exists for method", amazon-archives/aws-apigateway-importer#121).
	{ID: "apigateway-parameter-mapping-declared", Source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html; Testlio/lambda-tools#56; amazon-archives/aws-apigateway-importer#121",
		Types: []string{tIntegration, awstypes.APIGatewayIntegrationResponse}, Check: declaredMappings},
	{ID: "apigateway-method-settings-values", Source: "https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html; https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html",
		Types: []string{tMethodSettings}, Check: func(_ *Env, r Resource) []Finding {
			var out []Finding
			if l := str(r.Inputs, "settings.loggingLevel"); l != "" && !slices.Contains([]string{"OFF", "ERROR", "INFO"}, l) {
				out = append(out, finding("settings.loggingLevel", "%q: OFF, ERROR or INFO", l))
			}
			if n, ok := num(r.Inputs, "settings.cacheTtlInSeconds"); ok && (n < 0 || n > 3600) {
				out = append(out, finding("settings.cacheTtlInSeconds", "%g: 0-3600 seconds", n))
			}
			return out
		}},
	{ID: "iam-trust-policy-keys", Source: "https://github.com/aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws/pull/479; https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html",
		Types: []string{tRole}, Check: func(_ *Env, r Resource) []Finding { return trustPolicyKeys(r) }},
	{ID: "iam-actions-exist", Source: "aws-sdk-go " + SDKVersion + " models (operations); IAM-only actions: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
		Types: []string{tRole, tRolePolicy}, Check: iamActions},
	{ID: "arn-format", Source: "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html (resource types and ARN formats per service)",
		Check: arnFormats},
	{ID: "sagemaker-guardrails", Source: SourceGuardrails, Types: []string{tEndpoint}, Check: guardrails},
	{ID: "sagemaker-serverless", Source: "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions",
		Types: []string{tEndpointConfig}, Check: serverless},
	{ID: "wafv2-regex-support", Source: "https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html",
		Types: []string{tWebACL}, Check: wafRegex},
	{ID: "cloudwatch-dashboard-body", Source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html",
		Types: []string{tDashboard}, Check: dashboardBody},
	{ID: "cloudwatch-alarm", Source: "aws-sdk-go " + SDKVersion + " models/apis/monitoring docs-2.json: PutMetricAlarmInput Period, EvaluationPeriods, ExtendedStatistic",
		Types: []string{tAlarm}, Check: alarm},
	{ID: "logs-retention", Source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
		Types: []string{tLogGroup}, Check: func(_ *Env, r Resource) []Finding {
			if n, ok := num(r.Inputs, "retentionInDays"); ok && !slices.Contains(RetentionDays, int(n)) {
				return []Finding{finding("retentionInDays", "%g is not one of %v", n, RetentionDays)}
			}
			return nil
		}},
	{ID: "tags", Source: SourceTags, Check: func(_ *Env, r Resource) []Finding {
		tags, _ := r.Inputs["tags"].(map[string]any)
		var out []Finding
		if len(tags) > MaxTags {
			out = append(out, finding("tags", "%d tags; AWS allows %d per resource", len(tags), MaxTags))
		}
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			if s, _ := tags[k].(string); s != Unknown {
				if err := Tag(k, s); err != nil {
					out = append(out, finding("tags."+k, "%v", err))
				}
			}
		}
		return out
	}},
}

// RetentionDays are the values PutRetentionPolicy accepts (its reference lists them).
var RetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var reAWSIntegrationURI = regexp.MustCompile(`^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:[a-z0-9.-]+:(?:path|action)/.+$`)

// ---- IAM ----

type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []json.RawMessage `json:"Statement"`
}

type statement struct {
	Sid       string                     `json:"Sid"`
	Effect    string                     `json:"Effect"`
	Principal map[string]json.RawMessage `json:"Principal"`
	Action    json.RawMessage            `json:"Action"`
	Resource  json.RawMessage            `json:"Resource"`
	Condition map[string]map[string]any  `json:"Condition"`
}

func stringOrList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func statements(text string) ([]statement, error) {
	var d policyDoc
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return nil, fmt.Errorf("not a policy document: %v", err)
	}
	if d.Version != "2012-10-17" {
		return nil, fmt.Errorf("Version %q; use 2012-10-17 (policy variables and current grammar)", d.Version)
	}
	var out []statement
	for _, raw := range d.Statement {
		var s statement
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func policyInput(r Resource) (string, string) {
	if r.Type == tRole {
		return "assumeRolePolicy", str(r.Inputs, "assumeRolePolicy")
	}
	return "policy", str(r.Inputs, "policy")
}

// ServicesWithoutSourceKeys are service principals that do not put aws:SourceAccount or
// aws:SourceArn into the request when they assume a role, so a trust policy conditioned on
// those keys denies them. API Gateway assuming an integration's credentials role: observed live
// ("API Gateway does not have permission to assume the provided role") and fixed by removing the
// condition in aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws
// PR #479 (2026-07-13). SageMaker is different: its confused-deputy guide documents both keys for
// execution roles, so the program keeps them there.
var ServicesWithoutSourceKeys = []string{"apigateway.amazonaws.com"}

func trustPolicyKeys(r Resource) []Finding {
	text := str(r.Inputs, "assumeRolePolicy")
	if text == "" || text == Unknown {
		return nil
	}
	sts, err := statements(text)
	if err != nil {
		return []Finding{finding("assumeRolePolicy", "%v", err)}
	}
	var out []Finding
	for i, s := range sts {
		services := stringOrList(s.Principal["Service"])
		for _, svc := range services {
			if !slices.Contains(ServicesWithoutSourceKeys, svc) {
				continue
			}
			for op, keys := range s.Condition {
				for k := range keys {
					if strings.EqualFold(k, "aws:SourceAccount") || strings.EqualFold(k, "aws:SourceArn") {
						out = append(out, finding(fmt.Sprintf("assumeRolePolicy.Statement[%d].Condition.%s.%s", i, op, k),
							"%s does not send %s when it assumes a role: AssumeRole would be denied on every request", svc, k))
					}
				}
			}
		}
	}
	return out
}

// IAMOnlyActions are actions that authorize something other than one API operation of the
// service's model, each with its source.
var IAMOnlyActions = map[string]string{
	"iam:PassRole":                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
	"apigateway:GET":                "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html",
	"apigateway:POST":               "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html",
	"apigateway:PUT":                "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html",
	"apigateway:PATCH":              "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html",
	"apigateway:DELETE":             "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html",
	"apigateway:SetWebACL":          "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html (SetWebACL)",
	"sts:AssumeRole":                "an STS operation (also in the sts model)",
	"sts:AssumeRoleWithWebIdentity": "an STS operation (also in the sts model)",
}

// ActionModels maps IAM service prefixes to the model directories that hold their operations.
var ActionModels = map[string][]string{
	"apigateway": {"apigateway"}, "application-autoscaling": {"application-autoscaling"}, "cloudwatch": {"monitoring"}, "ec2": {"ec2"},
	"ecr": {"ecr"}, "iam": {"iam"}, "kms": {"kms"}, "logs": {"logs"}, "s3": {"s3"},
	"sagemaker": {"sagemaker", "runtime.sagemaker"}, "sns": {"sns"}, "sts": {"sts"}, "wafv2": {"wafv2"},
}

// ActionExists reports whether an IAM action names a real operation (or a sourced IAM-only action).
func ActionExists(ms *Models, action string) error {
	if _, ok := IAMOnlyActions[action]; ok {
		return nil
	}
	prefix, op, ok := strings.Cut(action, ":")
	if !ok || op == "" {
		return fmt.Errorf("action %q is not service:Operation", action)
	}
	dirs, ok := ActionModels[prefix]
	if !ok {
		return fmt.Errorf("action %q: service prefix %q has no model in the contract; add it to ActionModels", action, prefix)
	}
	for _, d := range dirs {
		svc, ok := ms.Service(d)
		if !ok {
			continue
		}
		if strings.Contains(op, "*") {
			re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(op), `\*`, ".*") + "$")
			for name := range svc.Operations {
				if re.MatchString(name) {
					return nil
				}
			}
			continue
		}
		if _, ok := svc.Operations[op]; ok {
			return nil
		}
	}
	return fmt.Errorf("action %q is no operation of %s (models %v) and not a known IAM-only action", action, prefix, dirs)
}

func iamActions(env *Env, r Resource) []Finding {
	key, text := policyInput(r)
	if text == "" || text == Unknown {
		return nil
	}
	sts, err := statements(text)
	if err != nil {
		return []Finding{finding(key, "%v", err)}
	}
	var out []Finding
	for i, s := range sts {
		for _, a := range stringOrList(s.Action) {
			if err := ActionExists(env.Models, a); err != nil {
				out = append(out, finding(fmt.Sprintf("%s.Statement[%d].Action", key, i), "%v", err))
			}
		}
	}
	return out
}

// ---- ARNs ----

// arnFormats are the ARN shapes of the resource types the program references, per the Service
// Authorization Reference ("Resource types defined by …" for each service). A "*" may stand in a
// name (policy resources); the wildcard allowlists decide where that is allowed.
var arnPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/*-]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/[A-Za-z0-9./_-]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:(?:endpoint|endpoint-config|model)/[A-Za-z0-9*-]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[A-Za-z0-9*-]+(?:/[0-9]+)?$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/.*)?$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9][a-z0-9._/*-]*$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[.\-_/#A-Za-z0-9*]+(?::\*|:log-stream:[^:]*)?$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:apigateway:[a-z0-9-]+::/[A-Za-z0-9/*_{}.-]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/(?:webacl|managedruleset)/[A-Za-z0-9_*-]+/[A-Za-z0-9*-]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:[^:]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch::[0-9]{12}:dashboard/[A-Za-z0-9_*-]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_*-]{1,256}(?::[A-Za-z0-9*-]+)?$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:application-autoscaling:[a-z0-9-]+:[0-9]{12}:scalable-target/[A-Za-z0-9*]+$`),
	regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$`),
	// EC2 (a VPC-attached model's network interfaces, subnets and security groups).
	regexp.MustCompile(`^arn:aws[a-z-]*:ec2:[a-z0-9-]+:[0-9]{12}:(?:network-interface|subnet|security-group)/[a-z0-9*-]+$`),
}

// ValidARN reports whether s has the ARN format of one of the services the program uses ("*"
// alone is the wildcard of actions without resource types).
func ValidARN(s string) bool {
	if s == "*" {
		return true
	}
	for _, re := range arnPatterns {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// arnInputs are the inputs that carry ARNs, per type.
var arnInputs = map[string][]string{
	tIntegration:    {"credentials"},
	tModel:          {"executionRoleArn"},
	tAccount:        {"cloudwatchRoleArn"},
	tStage:          {"accessLogSettings.destinationArn"},
	tWebACLAssoc:    {"resourceArn", "webAclArn"},
	tSubscription:   {"topic"},
	tEndpointConfig: {"kmsKeyArn"},
	tDomainName:     {"regionalCertificateArn"},
}

// A KMS key ARN: CloudWatch Logs' CreateLogGroup kmsKeyId must be "the ARN of the KMS key" (at
// most 256 characters), which SageMaker's KmsKeyId also accepts (^[a-zA-Z0-9:/_-]*$).
var reKMSKey = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$`)

// ValidKMSKeyARN reports whether s is a KMS key ARN (not an alias) both services accept.
func ValidKMSKeyARN(s string) bool { return reKMSKey.MatchString(s) }

func arnFormats(_ *Env, r Resource) []Finding {
	var out []Finding
	check := func(path, s string) {
		if s == "" || s == Unknown || ValidARN(s) || ValidKMSKeyARN(s) {
			return
		}
		out = append(out, finding(path, "%q is not an ARN of its service's documented format", s))
	}
	for _, k := range arnInputs[r.Type] {
		check(k, str(r.Inputs, k))
	}
	if r.Type == tAlarm {
		for _, k := range []string{"alarmActions", "okActions"} {
			l, _ := r.Inputs[k].([]any)
			for i, a := range l {
				s, _ := a.(string)
				check(fmt.Sprintf("%s[%d]", k, i), s)
			}
		}
	}
	if r.Type == tRolePolicy {
		if sts, err := statements(str(r.Inputs, "policy")); err == nil {
			for i, s := range sts {
				for _, res := range stringOrList(s.Resource) {
					check(fmt.Sprintf("policy.Statement[%d].Resource", i), res)
				}
			}
		}
	}
	return out
}

// ---- SageMaker ----

// variantOf finds the endpoint configuration an endpoint names and its (single) variant.
func variantOf(env *Env, endpoint Resource) (map[string]any, bool) {
	cfg, ok := lookup(env.All, tEndpointConfig, "name", str(endpoint.Inputs, "endpointConfigName"))
	if !ok {
		return nil, false
	}
	vs, _ := cfg.Inputs["productionVariants"].([]any)
	if len(vs) != 1 {
		return nil, false
	}
	v, ok := vs[0].(map[string]any)
	return v, ok
}

// fleetBounds are an instance variant's smallest and largest instance counts: its scalable
// target's bounds, or its initial count when it is not autoscaled.
func fleetBounds(env *Env, endpointName string, variant map[string]any) (int, int) {
	n, _ := num(variant, "initialInstanceCount")
	lo, hi := int(n), int(n)
	for _, t := range env.All {
		if t.Type == tScalingTarget && strings.HasPrefix(str(t.Inputs, "resourceId"), "endpoint/"+endpointName+"/variant/") {
			mn, _ := num(t.Inputs, "minCapacity")
			mx, _ := num(t.Inputs, "maxCapacity")
			lo, hi = int(mn), int(mx)
		}
	}
	return lo, hi
}

func guardrails(env *Env, r Resource) []Finding {
	bg, ok := at(r.Inputs, "deploymentConfig.blueGreenUpdatePolicy").(map[string]any)
	if !ok {
		return nil
	}
	const path = "deploymentConfig.blueGreenUpdatePolicy"
	if str(r.Inputs, "endpointConfigName") == Unknown {
		return nil // a preview: the configuration's name is not known yet
	}
	variant, ok := variantOf(env, r)
	if !ok {
		return []Finding{finding(path, "cannot resolve the endpoint configuration %q to check the guardrails against its fleet", str(r.Inputs, "endpointConfigName"))}
	}
	if variant["serverlessConfig"] != nil {
		return []Finding{finding(path, "blue/green guardrails are not supported on serverless variants")}
	}
	routing := str(bg, "trafficRoutingConfiguration.type")
	sizeKey := "trafficRoutingConfiguration.canarySize"
	if routing == "LINEAR" {
		sizeKey = "trafficRoutingConfiguration.linearStepSize"
	}
	lo, hi := fleetBounds(env, str(r.Inputs, "name"), variant)
	value, _ := num(bg, sizeKey+".value")
	step := value
	if str(bg, sizeKey+".type") == "CAPACITY_PERCENT" {
		step = value * float64(lo) / 100
	}
	wait, _ := num(bg, "trafficRoutingConfiguration.waitIntervalInSeconds")
	term, _ := num(bg, "terminationWaitInSeconds")
	maxExec, ok := num(bg, "maximumExecutionTimeoutInSeconds")
	if !ok {
		maxExec = 3600 // AWS's default
	}
	var out []Finding
	for _, p := range GuardrailProblems(routing, step, lo, hi, int(wait), int(term), int(maxExec)) {
		out = append(out, finding(path, "%s: %s", p.Field, p.Message))
	}
	return out
}

func serverless(_ *Env, r Resource) []Finding {
	var out []Finding
	vs, _ := r.Inputs["productionVariants"].([]any)
	for i, v := range vs {
		sc, ok := at(v.(map[string]any), "serverlessConfig").(map[string]any)
		if !ok {
			continue
		}
		p := fmt.Sprintf("productionVariants[%d].serverlessConfig", i)
		if mem, _ := num(sc, "memorySizeInMb"); int(mem)%1024 != 0 {
			out = append(out, finding(p+".memorySizeInMb", "%g: serverless memory comes in 1 GB steps (1024-6144 MB)", mem))
		}
		mx, _ := num(sc, "maxConcurrency")
		if pc, ok := num(sc, "provisionedConcurrency"); ok && pc > mx {
			out = append(out, finding(p+".provisionedConcurrency", "%g exceeds maxConcurrency %g", pc, mx))
		}
	}
	return out
}

// ---- WAF ----

// capturingGroups returns the offsets of every "(" that opens a capturing group (not escaped,
// not "(?", not inside a character class) and of every backreference.
func capturingGroups(re string) []int {
	var out []int
	inClass := false
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\':
			if i+1 < len(re) && re[i+1] >= '1' && re[i+1] <= '9' && !inClass {
				out = append(out, i) // a backreference
			}
			i++
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '(' && !inClass && !strings.HasPrefix(re[i:], "(?"):
			out = append(out, i)
		}
	}
	return out
}

func wafRegex(_ *Env, r Resource) []Finding {
	rules, err := jsonText(r.Inputs["ruleJson"])
	if err != nil || r.Inputs["ruleJson"] == nil {
		return nil // the model check reports bad JSON
	}
	var out []Finding
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if k == "RegexString" {
					s, _ := x[k].(string)
					if pos := capturingGroups(s); len(pos) > 0 {
						out = append(out, finding(path+"."+k, "%q has a capturing group or backreference at offset %d; AWS WAF does not support them: use (?:...)", s, pos[0]))
					}
				}
				walk(path+"."+k, x[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("ruleJson", rules)
	return out
}

// ---- CloudWatch ----

// dashboardProperties are the documented properties per widget type (Dashboard Body Structure
// and Syntax: "Widgets array object", "Properties of a metric widget object", "… of a text
// widget object"); widget-level keys are type, x, y, width, height, properties.
var dashboardProperties = map[string][]string{
	"text": {"markdown", "background"},
	"metric": {"accountId", "annotations", "liveData", "legend", "metrics", "period", "region", "setPeriodToTimeRange",
		"singleValueFullPrecision", "sparkline", "stacked", "stat", "table", "title", "view", "yAxis", "labels", "trend", "start", "end"},
}

var widgetKeys = []string{"type", "x", "y", "width", "height", "properties"}

func dashboardBody(_ *Env, r Resource) []Finding {
	text := str(r.Inputs, "dashboardBody")
	if text == "" || text == Unknown {
		return nil
	}
	var body struct {
		Widgets []map[string]any `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(text), &body); err != nil {
		return []Finding{finding("dashboardBody", "not JSON: %v", err)}
	}
	var out []Finding
	for i, w := range body.Widgets {
		p := fmt.Sprintf("dashboardBody.widgets[%d]", i)
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if !slices.Contains(widgetKeys, k) {
				out = append(out, finding(p+"."+k, "not a widget property"))
			}
		}
		typ, _ := w["type"].(string)
		allowed, ok := dashboardProperties[typ]
		if !ok {
			out = append(out, finding(p+".type", "widget type %q is not checked by the contract; add its documented properties", typ))
			continue
		}
		props, _ := w["properties"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if !slices.Contains(allowed, k) {
				out = append(out, finding(p+".properties."+k, "a %s widget has no property %q", typ, k))
			}
		}
		if typ == "text" && props["markdown"] == nil {
			out = append(out, finding(p+".properties", "a text widget requires markdown"))
		}
	}
	return out
}

var reExtendedStatistic = regexp.MustCompile(`^(?:p|tm|tc|ts|wm)(?:\d{1,2}(?:\.\d{1,10})?|100)$`)

func alarm(_ *Env, r Resource) []Finding {
	var out []Finding
	stat, ext := str(r.Inputs, "statistic"), str(r.Inputs, "extendedStatistic")
	if (stat == "") == (ext == "") {
		out = append(out, finding("statistic", "set exactly one of statistic and extendedStatistic"))
	}
	if ext != "" && !reExtendedStatistic.MatchString(ext) {
		out = append(out, finding("extendedStatistic", "%q is not a percentile-style statistic like p99", ext))
	}
	period, _ := num(r.Inputs, "period")
	if p := int(period); p != 10 && p != 30 && p%60 != 0 {
		out = append(out, finding("period", "%d: valid periods are 10, 30 and multiples of 60", p))
	}
	if n, _ := num(r.Inputs, "evaluationPeriods"); n*period > 86400 {
		out = append(out, finding("evaluationPeriods", "%g periods of %g s exceed one day (86,400 s)", n, period))
	}
	return out
}

// The document rule checks with CheckOne, which runs Rules: it joins them at init.
func init() {
	Rules = append(Rules, Rule{ID: "apigateway-openapi-document",
		Source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html (how API Gateway imports a document; awscontract.Import)",
		Types:  []string{tRestAPI}, Check: openAPIDocument})
}

// openAPIDocument checks a REST API's body as API Gateway imports it: every method,
// integration, response, validator and gateway response the import creates meets its own
// request shape and rules, as the per-object resources it replaced did.
func openAPIDocument(env *Env, r Resource) []Finding {
	body, ok := r.Inputs["body"].(string)
	if !ok || body == Unknown {
		return nil
	}
	imported, err := Import(body)
	if err != nil {
		return []Finding{finding("body", "%v", err)}
	}
	var out []Finding
	for _, x := range imported {
		for _, f := range CheckOne(env.Models, x, imported) {
			out = append(out, finding("body["+x.Name+"]."+f.Path, "%s [%s]", f.Message, f.Rule))
		}
	}
	return out
}

// declaredMappings checks an integration's (or integration response's) parameter mappings
// against the method (or method response) of the same resource and method among the resources
// checked together (a document's imported objects); without it there is nothing to check.
func declaredMappings(env *Env, r Resource) []Finding {
	same := func(x Resource, typ string) bool {
		return x.Type == typ && x.Inputs["resourceId"] == r.Inputs["resourceId"] && x.Inputs["httpMethod"] == r.Inputs["httpMethod"] &&
			(typ != awstypes.APIGatewayMethodResponse || x.Inputs["statusCode"] == r.Inputs["statusCode"])
	}
	var out []Finding
	if r.Type == tIntegration {
		i := slices.IndexFunc(env.All, func(x Resource) bool { return same(x, awstypes.APIGatewayMethod) })
		if i < 0 {
			return nil
		}
		declared, _ := env.All[i].Inputs["requestParameters"].(map[string]any)
		params, _ := r.Inputs["requestParameters"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(params)) {
			if v, _ := params[k].(string); strings.HasPrefix(v, "method.request.") && declared[v] == nil {
				out = append(out, finding("requestParameters."+k, "%s is not a request parameter of the method; declare it there", v))
			}
		}
		return out
	}
	i := slices.IndexFunc(env.All, func(x Resource) bool { return same(x, awstypes.APIGatewayMethodResponse) })
	if i < 0 {
		return nil
	}
	declared, _ := env.All[i].Inputs["responseParameters"].(map[string]any)
	params, _ := r.Inputs["responseParameters"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if declared[k] == nil {
			out = append(out, finding("responseParameters."+k, "the %s method response does not declare %s; declare the header there", str(r.Inputs, "statusCode"), k))
		}
	}
	return out
}
