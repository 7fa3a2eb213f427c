package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DashboardEndpoint is one endpoint on the dashboard.
type DashboardEndpoint struct {
	Model, Name string
	Canary      bool
}

// MonitoringArgs configures the stack's API alarms and dashboard.
type MonitoringArgs struct {
	Config    *StackConfig
	Region    string
	Routes    []Route
	Endpoints []DashboardEndpoint
	// AccessLogGroup is the API access log group (for the throttled-requests metric).
	AccessLogGroup pulumi.StringInput
	AlarmActions   pulumi.ArrayInput
	Tags           pulumi.StringMap
}

// Monitoring is the API alarms, the throttled-requests metric and the dashboard.
type Monitoring struct {
	pulumi.ResourceState

	DashboardURL pulumi.StringOutput `pulumi:"dashboardUrl"`
}

// ThrottledMetric is the metric counting 429 answers, from the access logs.
const ThrottledMetric = "ThrottledRequests"

// MetricsNamespace is the stack's own CloudWatch namespace.
func MetricsNamespace(project, stack string) string { return project + "/" + stack }

// NewMonitoring registers the API alarms (when monitoring.alarms is set) and the dashboard
// (when monitoring.dashboard is true).
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil || args.Config == nil || args.Config.Monitoring == nil {
		return nil, fmt.Errorf("monitoring %s: Config with monitoring is required", name)
	}
	cfg := args.Config
	m := cfg.Monitoring
	comp := &Monitoring{}
	if err := ctx.RegisterComponentResource(TypeMonitoring, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	apiName := APIName(cfg.Project, cfg.Stack)

	// 429s (throttle and quota) appear in the access logs only; count them as a metric.
	if _, err := cloudwatch.NewLogMetricFilter(ctx, child(name, "throttled"), &cloudwatch.LogMetricFilterArgs{
		LogGroupName: args.AccessLogGroup,
		Pattern:      pulumi.String(`{ $.status = "429" }`),
		MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
			Name: pulumi.String(ThrottledMetric), Namespace: pulumi.String(MetricsNamespace(cfg.Project, cfg.Stack)),
			Value: pulumi.String("1"), DefaultValue: pulumi.String("0"),
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("monitoring %s: throttled metric: %w", name, err)
	}

	if a := m.Alarms; a != nil {
		dims := pulumi.StringMap{"ApiName": pulumi.String(apiName), "Stage": pulumi.String(cfg.API.StageName)}
		for _, sp := range []alarmSpec{
			{role: "api-5xx-rate", metric: "5XXError", statistic: "Average", threshold: a.API5xxRate, what: "share of requests answered 5XX"},
			{role: "api-4xx-rate", metric: "4XXError", statistic: "Average", threshold: a.API4xxRate, what: "share of requests answered 4XX"},
			{role: "api-latency-p99", metric: "Latency", statistic: "p99", threshold: a.APILatencyP99Ms, what: "Latency p99 in ms", periods: 2},
		} {
			sp.namespace, sp.comparison, sp.period = "AWS/ApiGateway", "GreaterThanThreshold", 300
			if sp.periods == 0 {
				sp.periods = 1
			}
			if _, err := newMetricAlarm(ctx, child(name, sp.role), apiName+"-"+sp.role, apiName+" stage "+cfg.API.StageName, sp, dims, args.AlarmActions, args.Tags, parent); err != nil {
				return nil, fmt.Errorf("monitoring %s: alarm %s: %w", name, sp.role, err)
			}
		}
	}

	comp.DashboardURL = pulumi.String("").ToStringOutput()
	if m.Dashboard {
		body, err := DashboardBody(cfg, args.Region, args.Routes, args.Endpoints)
		if err != nil {
			return nil, fmt.Errorf("monitoring %s: dashboard body: %w", name, err)
		}
		dashboard, err := cloudwatch.NewDashboard(ctx, child(name, "dashboard"), &cloudwatch.DashboardArgs{
			DashboardName: pulumi.String(apiName),
			DashboardBody: pulumi.String(body),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("monitoring %s: dashboard: %w", name, err)
		}
		comp.DashboardURL = pulumi.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s", args.Region, args.Region, dashboard.DashboardName)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"dashboardUrl": comp.DashboardURL}); err != nil {
		return nil, err
	}
	return comp, nil
}

// widget is one dashboard widget. Properties differ per widget type ("Dashboard Body Structure
// and Syntax"): a text widget has markdown (and background), a metric widget its metrics, title,
// view, stacked, region and period; each type emits only its own (awscontract rule
// cloudwatch-dashboard-body).
type widget struct {
	Type       string `json:"type"`
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties any    `json:"properties"`
}

type textProperties struct {
	Markdown string `json:"markdown"`
}

type metricProperties struct {
	Title   string  `json:"title,omitempty"`
	Region  string  `json:"region"`
	View    string  `json:"view"`
	Stacked bool    `json:"stacked"`
	Period  int     `json:"period"`
	Metrics [][]any `json:"metrics"`
}

// DashboardBody is the dashboard as CloudWatch's JSON: per route requests, 4XX/5XX, latency
// and integration latency (p50/p99); per model invocations, model latency and errors with the
// stable and canary endpoints side by side; throttled requests.
func DashboardBody(cfg *StackConfig, region string, routes []Route, endpoints []DashboardEndpoint) (string, error) {
	apiName, stage := APIName(cfg.Project, cfg.Stack), cfg.API.StageName
	var widgets []widget
	y := 0
	add := func(x, w, h int, title string, metrics [][]any) {
		widgets = append(widgets, widget{Type: "metric", X: x, Y: y, Width: w, Height: h, Properties: metricProperties{
			Title: title, Region: region, View: "timeSeries", Period: 60, Metrics: metrics,
		}})
	}
	widgets = append(widgets, widget{Type: "text", X: 0, Y: y, Width: 24, Height: 2, Properties: textProperties{
		Markdown: fmt.Sprintf("# %s — stage %s\nAPI Gateway per route, SageMaker per endpoint (stable and canary side by side).", apiName, stage),
	}})
	y += 2

	route := func(r Route, metric, stat, label string) []any {
		return []any{"AWS/ApiGateway", metric, "ApiName", apiName, "Stage", stage, "Resource", r.ResourcePath, "Method", r.HTTPMethod,
			map[string]any{"stat": stat, "label": label}}
	}
	var requests, errs, latency, integration [][]any
	for _, r := range routes {
		requests = append(requests, route(r, "Count", "Sum", r.Path))
		errs = append(errs, route(r, "4XXError", "Sum", r.Path+" 4XX"), route(r, "5XXError", "Sum", r.Path+" 5XX"))
		latency = append(latency, route(r, "Latency", "p50", r.Path+" p50"), route(r, "Latency", "p99", r.Path+" p99"))
		integration = append(integration, route(r, "IntegrationLatency", "p50", r.Path+" p50"), route(r, "IntegrationLatency", "p99", r.Path+" p99"))
	}
	add(0, 6, 6, "Requests per route", requests)
	add(6, 6, 6, "4XX / 5XX per route", errs)
	add(12, 6, 6, "Latency per route (ms)", latency)
	add(18, 6, 6, "Integration latency per route (ms)", integration)
	y += 6
	add(0, 6, 6, "Throttled requests (429: throttle or quota)", [][]any{
		{MetricsNamespace(cfg.Project, cfg.Stack), ThrottledMetric, map[string]any{"stat": "Sum", "label": "429"}},
	})
	y += 6

	byModel := map[string][]DashboardEndpoint{}
	for _, e := range endpoints {
		byModel[e.Model] = append(byModel[e.Model], e)
	}
	for _, model := range sortedKeys(byModel) {
		var inv, lat, merr [][]any
		for _, e := range byModel[model] {
			label := "stable"
			if e.Canary {
				label = "canary"
			}
			ep := func(metric, stat, l string) []any {
				return []any{"AWS/SageMaker", metric, "EndpointName", e.Name, "VariantName", VariantName, map[string]any{"stat": stat, "label": l}}
			}
			inv = append(inv, ep("Invocations", "Sum", label))
			lat = append(lat, ep("ModelLatency", "p50", label+" p50"), ep("ModelLatency", "p99", label+" p99"))
			merr = append(merr, ep("Invocation4XXErrors", "Sum", label+" 4XX"), ep("Invocation5XXErrors", "Sum", label+" 5XX"))
		}
		add(0, 8, 6, model+": invocations", inv)
		add(8, 8, 6, model+": model latency (µs)", lat)
		add(16, 8, 6, model+": errors", merr)
		y += 6
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}
