package awscontract

import (
	"strings"
	"testing"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

func models(t *testing.T) *Models {
	t.Helper()
	ms, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// A valid baseline per type, then one defect at a time: each must produce exactly the expected
// finding (and the baseline none), so no rule or model check can silently stop working.
func stage(vars map[string]any) Resource {
	return Resource{Type: tStage, Name: "api-stage", Inputs: map[string]any{
		"restApi": "a1b2c3", "stageName": "prod", "deployment": "d1", "variables": vars,
	}}
}

const apigwTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":["sts:AssumeRole"]}]}`

func role(trust string) Resource {
	return Resource{Type: tRole, Name: "api-role", Inputs: map[string]any{"assumeRolePolicy": trust, "description": "invoke"}}
}

func policy(doc string) Resource {
	return Resource{Type: tRolePolicy, Name: "api-role-policy", Inputs: map[string]any{"role": "api-role-1234567", "policy": doc}}
}

const invokeDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sagemaker:InvokeEndpoint"],"Resource":["arn:aws:sagemaker:eu-west-1:123456789012:endpoint/ml-rest-api-prod-ratings"]}]}`

func endpointWithGuardrails(step map[string]any, wait, term float64) []Resource {
	return []Resource{
		{Type: tEndpointConfig, Name: "ratings-config", Outputs: map[string]any{"name": "ratings-config-1234567"}, Inputs: map[string]any{
			"productionVariants": []any{map[string]any{"variantName": "AllTraffic", "modelName": "m-1", "instanceType": "ml.m5.large", "initialInstanceCount": 2.0, "initialVariantWeight": 1.0}},
		}},
		{Type: tScalingTarget, Name: "ratings-scaling-target", Inputs: map[string]any{
			"serviceNamespace": "sagemaker", "resourceId": "endpoint/ep/variant/AllTraffic", "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
			"minCapacity": 2.0, "maxCapacity": 6.0,
		}},
		{Type: tEndpoint, Name: "ratings-endpoint", Inputs: map[string]any{"name": "ep", "endpointConfigName": "ratings-config-1234567",
			"deploymentConfig": map[string]any{
				"blueGreenUpdatePolicy": map[string]any{"terminationWaitInSeconds": term, "maximumExecutionTimeoutInSeconds": 3600.0,
					"trafficRoutingConfiguration": map[string]any{"type": "CANARY", "waitIntervalInSeconds": wait, "canarySize": step}},
				"autoRollbackConfiguration": map[string]any{"alarms": []any{map[string]any{"alarmName": "ep-5xx"}}},
			}}},
	}
}

func TestCheck(t *testing.T) {
	ms := models(t)
	cases := []struct {
		name string
		res  []Resource
		want []string // substrings, one per expected finding ("" = none)
	}{
		{"valid stage", []Resource{stage(map[string]any{"maxItems": "100", "corsOrigins": "https://a.example.com,https://b.example.com:8443"})}, nil},
		{"stage variable *", []Resource{stage(map[string]any{"corsOrigins": "*"})}, []string{`variables.corsOrigins: stage variable corsOrigins = "*"`}},
		{"stage variable empty", []Resource{stage(map[string]any{"x": ""})}, []string{`stage variable x = ""`}},
		{"stage variable name", []Resource{stage(map[string]any{"a-b": "1"})}, []string{`stage variable name "a-b"`}},
		{"canary override", []Resource{func() Resource {
			r := stage(nil)
			r.Inputs["canarySettings"] = map[string]any{"percentTraffic": 10.0, "stageVariableOverrides": map[string]any{"ratingsEndpoint": "a b"}}
			return r
		}()}, []string{`canarySettings.stageVariableOverrides.ratingsEndpoint`}},
		{"enum", []Resource{func() Resource { r := stage(nil); r.Inputs["cacheClusterSize"] = "0.7"; return r }()},
			[]string{`cacheClusterSize: "0.7" is not one of the 8 values of CacheClusterSize`}},
		{"unmapped input", []Resource{func() Resource { r := stage(nil); r.Inputs["clientCertificateId"] = "x"; return r }()},
			[]string{`input "clientCertificateId" has no contract mapping`}},
		{"unmapped type", []Resource{{Type: awstypes.LambdaFunction, Name: "f"}}, []string{"no contract mapping for this resource type"}},
		{"required member", []Resource{{Type: tStage, Name: "s", Inputs: map[string]any{"restApi": "a", "stageName": "s"}}},
			[]string{"required member deploymentId is not sent"}},
		{"method settings path unescaped", []Resource{{Type: tMethodSettings, Name: "ms", Inputs: map[string]any{
			"restApi": "a", "stageName": "prod", "methodPath": "predicted-ratings/{user_id}/GET", "settings": map[string]any{"metricsEnabled": true}}}},
			[]string{`methodPath: "predicted-ratings/{user_id}/GET" is not */* or an escaped`}},
		{"method settings path escaped", []Resource{{Type: tMethodSettings, Name: "ms", Inputs: map[string]any{
			"restApi": "a", "stageName": "prod", "methodPath": MethodSettingsPath("/predicted-ratings/{user_id}", "GET"), "settings": map[string]any{"loggingLevel": "ERROR"}}}}, nil},
		{"usage plan throttle path", []Resource{{Type: tUsagePlan, Name: "p", Inputs: map[string]any{"name": "p", "apiStages": []any{map[string]any{
			"apiId": "a", "stage": "prod", "throttles": []any{
				map[string]any{"path": UsagePlanThrottlePath("/recommended-movies/{user_id}", "GET"), "rateLimit": 5.0, "burstLimit": 10.0},
				map[string]any{"path": "~1recommended-movies~1{user_id}/GET", "rateLimit": 5.0, "burstLimit": 10.0}}}}}}},
			[]string{`apiStages[0].throttles[1].path: "~1recommended-movies~1{user_id}/GET"`}},
		{"API Gateway trust with SourceAccount", []Resource{role(strings.Replace(apigwTrust, `"Action":["sts:AssumeRole"]`, `"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}`, 1))},
			[]string{"apigateway.amazonaws.com does not send aws:SourceAccount"}},
		{"API Gateway trust without condition", []Resource{role(apigwTrust)}, nil},
		{"IAM action that is no operation", []Resource{policy(strings.Replace(invokeDoc, "InvokeEndpoint", "InvokeEndpoints", 1))},
			[]string{`action "sagemaker:InvokeEndpoints" is no operation`}},
		{"IAM wildcard action matching nothing", []Resource{policy(strings.Replace(invokeDoc, "sagemaker:InvokeEndpoint", "sagemaker:Invoke*Foo", 1))},
			[]string{`action "sagemaker:Invoke*Foo"`}},
		{"ARN of the wrong shape", []Resource{policy(strings.Replace(invokeDoc, "endpoint/ml-rest-api-prod-ratings", "endpoints/ml-rest-api-prod-ratings", 1))},
			[]string{"is not an ARN of its service's documented format"}},
		{"policy document pattern (control character)", []Resource{policy(strings.Replace(invokeDoc, "2012-10-17", "2012-10-17\u0001", 1))},
			[]string{"PolicyDocument", "Version"}},
		{"role max session out of range", []Resource{func() Resource { r := role(apigwTrust); r.Inputs["maxSessionDuration"] = 600.0; return r }()},
			[]string{"600 is below roleMaxSessionDurationType's minimum 3600"}},
		{"auto-name too long for SageMaker", []Resource{{Type: tModel, Name: strings.Repeat("m", 60), Inputs: map[string]any{"executionRoleArn": "arn:aws:iam::123456789012:role/r"}}},
			[]string{"(auto-name of " + strings.Repeat("m", 60) + ")"}},
		{"WAF capturing group", []Resource{{Type: tWebACL, Name: "waf-acl", Inputs: map[string]any{"scope": "REGIONAL",
			"defaultAction":    map[string]any{"allow": map[string]any{}},
			"visibilityConfig": map[string]any{"cloudwatchMetricsEnabled": true, "metricName": "m", "sampledRequestsEnabled": true},
			"ruleJson":         `[{"Name":"r","Priority":0,"Action":{"Block":{}},"VisibilityConfig":{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"r"},"Statement":{"RegexMatchStatement":{"RegexString":"^(a|b)$","FieldToMatch":{"UriPath":{}},"TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}]`}}},
			[]string{"has a capturing group"}},
		{"WAF rule member the API lacks", []Resource{{Type: tWebACL, Name: "waf-acl", Inputs: map[string]any{"scope": "REGIONAL",
			"defaultAction":    map[string]any{"allow": map[string]any{}},
			"visibilityConfig": map[string]any{"cloudwatchMetricsEnabled": true, "metricName": "m", "sampledRequestsEnabled": true},
			"ruleJson":         `[{"Name":"r","Priority":0,"Colour":"red","Action":{"Block":{}},"VisibilityConfig":{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"r"},"Statement":{"RateBasedStatement":{"Limit":100,"AggregateKeyType":"IP","EvaluationWindowSec":300}}}]`}}},
			[]string{`Rule has no member "Colour"`}},
		{"dashboard text widget with stacked", []Resource{{Type: tDashboard, Name: "d", Inputs: map[string]any{"dashboardName": "d",
			"dashboardBody": `{"widgets":[{"type":"text","x":0,"y":0,"width":24,"height":2,"properties":{"markdown":"# hi","stacked":false}}]}`}}},
			[]string{`a text widget has no property "stacked"`}},
		{"guardrails: 10 % of two instances", endpointWithGuardrails(map[string]any{"type": "CAPACITY_PERCENT", "value": 10.0}, 600, 300),
			[]string{"step: the step is 0.2 instance"}},
		{"guardrails: one instance", endpointWithGuardrails(map[string]any{"type": "INSTANCE_COUNT", "value": 1.0}, 600, 300), nil},
		{"guardrails: waits past the waiter", endpointWithGuardrails(map[string]any{"type": "INSTANCE_COUNT", "value": 1.0}, 3600, 600),
			[]string{"timing: the rollout waits 4200 s", "must be larger than the total waiting time"}},
		{"integration passthrough behavior", []Resource{{Type: tIntegration, Name: "i", Inputs: map[string]any{"restApi": "a", "resourceId": "r", "httpMethod": "POST",
			"type": "AWS", "integrationHttpMethod": "POST", "uri": "arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/e/invocations", "passthroughBehavior": "WHEN_NO_TEMPLATE"}}},
			[]string{`passthroughBehavior: "WHEN_NO_TEMPLATE": WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER`}},
		{"integration passthrough behavior when no templates", []Resource{{Type: tIntegration, Name: "i", Inputs: map[string]any{"restApi": "a", "resourceId": "r", "httpMethod": "POST",
			"type": "AWS", "integrationHttpMethod": "POST", "uri": "arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/e/invocations", "passthroughBehavior": "WHEN_NO_TEMPLATES"}}}, nil},
		{"mapping from an undeclared method request parameter", []Resource{
			{Type: awstypes.APIGatewayMethod, Name: "m", Inputs: map[string]any{"restApi": "a", "resourceId": "/p", "httpMethod": "POST", "authorization": "NONE",
				"requestParameters": map[string]any{"method.request.header.Content-Type": true}}},
			{Type: tIntegration, Name: "i", Inputs: map[string]any{"restApi": "a", "resourceId": "/p", "httpMethod": "POST", "type": "AWS", "integrationHttpMethod": "POST",
				"uri": "arn:aws:apigateway:eu-west-1:runtime.sagemaker:path/endpoints/e/invocations", "requestParameters": map[string]any{
					"integration.request.header.Content-Type": "method.request.header.Content-Type",
					"integration.request.header.Accept":       "method.request.header.Accept",
					"integration.request.header.X-Id":         "context.requestId"}}}},
			[]string{`requestParameters.integration.request.header.Accept: method.request.header.Accept is not a request parameter of the method`}},
		{"mapping to an undeclared method response header", []Resource{
			{Type: awstypes.APIGatewayMethodResponse, Name: "mr", Inputs: map[string]any{"restApi": "a", "resourceId": "/p", "httpMethod": "POST", "statusCode": "200",
				"responseParameters": map[string]any{"method.response.header.X-Request-Id": false}}},
			{Type: awstypes.APIGatewayIntegrationResponse, Name: "ir", Inputs: map[string]any{"restApi": "a", "resourceId": "/p", "httpMethod": "POST", "statusCode": "200",
				"responseParameters": map[string]any{"method.response.header.X-Request-Id": "context.requestId", "method.response.header.Retry-After": "'1'"}}}},
			[]string{`responseParameters.method.response.header.Retry-After: the 200 method response does not declare method.response.header.Retry-After`}},
		{"log retention", []Resource{{Type: tLogGroup, Name: "lg", Inputs: map[string]any{"retentionInDays": 10.0}}}, []string{"10 is not one of"}},
		{"alarm period and statistic", []Resource{{Type: tAlarm, Name: "a", Inputs: map[string]any{"comparisonOperator": "GreaterThanThreshold",
			"evaluationPeriods": 2000.0, "period": 45.0, "statistic": "Sum", "extendedStatistic": "p99", "metricName": "m", "namespace": "n", "threshold": 1.0}}},
			[]string{"set exactly one of statistic and extendedStatistic", "45: valid periods", "exceed one day"}},
		{"tags", []Resource{func() Resource {
			r := stage(nil)
			r.Inputs["tags"] = map[string]any{"aws:team": "x", "ok": "a<b"}
			return r
		}()},
			[]string{"the aws: prefix is reserved", `tag "ok": values may hold only`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(ms, tc.res)
			var lines []string
			for _, f := range got {
				lines = append(lines, f.String())
			}
			all := strings.Join(lines, "\n")
			if len(tc.want) == 0 && len(got) > 0 {
				t.Fatalf("want no finding, got:\n%s", all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("want a finding containing %q, got:\n%s", w, all)
				}
			}
			for _, f := range got {
				if f.Rule == "" || f.Resource == "" {
					t.Errorf("finding without rule or resource: %+v", f)
				}
			}
		})
	}
}

// Every mapped input names a member the model defines (a typo in the table would otherwise
// only show when that input is set).
func TestMappingsNameRealMembers(t *testing.T) {
	ms := models(t)
	var walk func(svc *Model, shape string, fields map[string]Field, where string)
	walk = func(svc *Model, shape string, fields map[string]Field, where string) {
		sh, ok := svc.Shapes[shape]
		if !ok {
			t.Errorf("%s: shape %s is not in %s", where, shape, svc.Service)
			return
		}
		for in, f := range fields {
			if f.NotSent != "" {
				continue
			}
			target := f.Shape
			if target == "" {
				ref, ok := sh.Members[f.Member]
				if !ok {
					t.Errorf("%s.%s: %s has no member %q", where, in, shape, f.Member)
					continue
				}
				target = ref.Shape
			}
			if f.Fields != nil {
				ts := svc.Shapes[target]
				if ts.Type == "list" {
					target = ts.Member.Shape
				}
				walk(svc, target, f.Fields, where+"."+in)
			}
		}
	}
	for typ, mp := range Mappings {
		svc, ok := ms.Service(mp.Service)
		if !ok {
			t.Errorf("%s: model %s not loaded", typ, mp.Service)
			continue
		}
		walk(svc, mp.Shape, mp.Fields, typ)
		for member := range mp.Filled {
			if _, ok := svc.Shapes[mp.Shape].Members[member]; !ok {
				t.Errorf("%s: filled member %s is not in %s", typ, member, mp.Shape)
			}
		}
	}
}

func TestPatternsAreFullMatches(t *testing.T) {
	re, err := compilePattern(`[\w+=,.@-]+`)
	if err != nil {
		t.Fatal(err)
	}
	if re.MatchString("ok name") || !re.MatchString("ok-name") {
		t.Fatal("IAM name patterns must match the whole value")
	}
	if _, err := compilePattern(`(?!^[.-])^([a-zA-Z0-9-_.]+)$`); err == nil {
		t.Fatal("a lookahead RE2 cannot express must be reported, not skipped")
	}
	re, err = compilePattern(`^(?!\s*$).+`)
	if err != nil || re.MatchString("   ") || !re.MatchString(" a ") {
		t.Fatalf("the not-only-space equivalent: %v", err)
	}
	// Model package names and ARNs: the name may not end with "-".
	re, err = compilePattern(`(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,5})?$`)
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"arn:aws:sagemaker:eu-west-1:123456789012:model-package/movie-recommender/7": true, "movie-recommender": true, "a": true,
		"movie-recommender-": false, "arn:aws:sagemaker:eu-west-1:123456789012:model-package/movie-/7": false, "-a": false,
	} {
		if re.MatchString(s) != want {
			t.Errorf("model package %q: match %v, want %v", s, !want, want)
		}
	}
	// Application Auto Scaling names: what Java's lookahead accepts and refuses.
	re, err = compilePattern(`(?!((^[ ]+.*)|(.*([\u0000-\u001f]|[\u007f-\u009f]|[:/|])+.*)|(.*[ ]+$))).+`)
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"ml-rest-api-prod-propensity-business-hours": true, "a": true, "a b": true, "é": true,
		"": false, " a": false, "a ": false, "a:b": false, "a/b": false, "a|b": false, "a\tb": false, "a\u0085b": false, "a\u2028b": false,
	} {
		if re.MatchString(s) != want {
			t.Errorf("application-autoscaling name %q: match %v, want %v", s, !want, want)
		}
	}
}

func TestGuardrailSteps(t *testing.T) {
	for _, c := range []struct {
		routing     string
		step, fleet int
		want        int
	}{{"CANARY", 1, 6, 1}, {"LINEAR", 1, 6, 6}, {"LINEAR", 2, 5, 3}} {
		if got := GuardrailSteps(c.routing, c.step, c.fleet); got != c.want {
			t.Errorf("%+v: got %d", c, got)
		}
	}
}
