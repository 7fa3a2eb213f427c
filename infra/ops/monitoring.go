package ops

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/internal/alarm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DashboardEndpoint is one endpoint on the dashboard.
type DashboardEndpoint struct {
	Model, Name string
	Canary      bool
	// Shadow: the endpoint has a shadow variant (names.ShadowVariantName), charted beside the
	// production variant.
	Shadow bool
}

// Route is what monitoring and the firewall know of an API route.
type Route struct {
	Path, ResourcePath, HTTPMethod string
	// NumericItems: the route's items query parameter is a list of numeric ids (the firewall
	// blocks anything else before it reaches the API).
	NumericItems bool
	// Body: the route's requests carry a body (CSV rows, a file's bytes), often above 8 KB.
	Body bool
}

// MonitoringArgs configures the stack's API alarms and dashboard.
type MonitoringArgs struct {
	Config *MonitoringConfig
	// Project, Stack and StageName name the API's metrics (names.APIName) and the stack's own
	// namespace (names.MetricsNamespace).
	Project, Stack, StageName string
	Region                    string
	Routes                    []Route
	Endpoints                 []DashboardEndpoint
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

// NewMonitoring registers the API alarms (when monitoring.alarms is set) and the dashboard
// (when monitoring.dashboard is true).
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil || args.Config == nil {
		return nil, fmt.Errorf("monitoring %s: Config is required", name)
	}
	m := args.Config
	comp := &Monitoring{}
	if err := ctx.RegisterComponentResource(names.TypeMonitoring, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	apiName := names.APIName(args.Project, args.Stack)

	// 429s (throttle and quota) appear in the access logs only; count them as a metric.
	if _, err := cloudwatch.NewLogMetricFilter(ctx, names.Child(name, "throttled"), &cloudwatch.LogMetricFilterArgs{
		LogGroupName: args.AccessLogGroup,
		Pattern:      pulumi.String(`{ $.status = "429" }`),
		MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
			Name: pulumi.String(ThrottledMetric), Namespace: pulumi.String(names.MetricsNamespace(args.Project, args.Stack)),
			Value: pulumi.String("1"), DefaultValue: pulumi.String("0"),
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("monitoring %s: throttled Metric: %w", name, err)
	}

	if a := m.Alarms; a != nil {
		dims := pulumi.StringMap{"ApiName": pulumi.String(apiName), "Stage": pulumi.String(args.StageName)}
		for _, sp := range []alarm.Spec{
			{Role: "api-5xx-rate", Metric: "5XXError", Statistic: "Average", Threshold: a.API5xxRate, What: "share of requests answered 5XX"},
			{Role: "api-4xx-rate", Metric: "4XXError", Statistic: "Average", Threshold: a.API4xxRate, What: "share of requests answered 4XX"},
			{Role: "api-latency-p99", Metric: "Latency", Statistic: "p99", Threshold: a.APILatencyP99Ms, What: "Latency p99 in ms", Periods: 2},
		} {
			sp.Namespace, sp.Comparison, sp.Period = "AWS/ApiGateway", "GreaterThanThreshold", 300
			if sp.Periods == 0 {
				sp.Periods = 1
			}
			if _, err := alarm.New(ctx, names.Child(name, sp.Role), apiName+"-"+sp.Role, apiName+" stage "+args.StageName, sp, dims, args.AlarmActions, args.Tags, parent); err != nil {
				return nil, fmt.Errorf("monitoring %s: alarm %s: %w", name, sp.Role, err)
			}
		}
	}

	comp.DashboardURL = pulumi.String("").ToStringOutput()
	if m.Dashboard {
		body, err := DashboardBody(args)
		if err != nil {
			return nil, fmt.Errorf("monitoring %s: dashboard body: %w", name, err)
		}
		dashboard, err := cloudwatch.NewDashboard(ctx, names.Child(name, "dashboard"), &cloudwatch.DashboardArgs{
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
func DashboardBody(args *MonitoringArgs) (string, error) {
	apiName, stage, region := names.APIName(args.Project, args.Stack), args.StageName, args.Region
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
	for _, r := range args.Routes {
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
		{names.MetricsNamespace(args.Project, args.Stack), ThrottledMetric, map[string]any{"stat": "Sum", "label": "429"}},
	})
	y += 6

	byModel := map[string][]DashboardEndpoint{}
	for _, e := range args.Endpoints {
		byModel[e.Model] = append(byModel[e.Model], e)
	}
	for _, model := range slices.Sorted(maps.Keys(byModel)) {
		var inv, lat, merr [][]any
		for _, e := range byModel[model] {
			for _, v := range variantsOf(e) {
				ep := func(metric, stat, l string) []any {
					return []any{"AWS/SageMaker", metric, "EndpointName", e.Name, "VariantName", v.name, map[string]any{"stat": stat, "label": l}}
				}
				inv = append(inv, ep("Invocations", "Sum", v.label))
				lat = append(lat, ep("ModelLatency", "p50", v.label+" p50"), ep("ModelLatency", "p99", v.label+" p99"))
				merr = append(merr, ep("Invocation4XXErrors", "Sum", v.label+" 4XX"), ep("Invocation5XXErrors", "Sum", v.label+" 5XX"))
			}
		}
		add(0, 8, 6, model+": invocations", inv)
		add(8, 8, 6, model+": model latency (µs)", lat)
		add(16, 8, 6, model+": errors", merr)
		y += 6
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}

type chartedVariant struct{ name, label string }

// variantsOf are an endpoint's variants on the dashboard: production (stable or canary) and,
// with a shadow test, the shadow beside it — latency and errors per variant side by side.
func variantsOf(e DashboardEndpoint) []chartedVariant {
	label := "stable"
	if e.Canary {
		label = "canary"
	}
	out := []chartedVariant{{names.VariantName, label}}
	if e.Shadow {
		out = append(out, chartedVariant{names.ShadowVariantName, label + " shadow"})
	}
	return out
}
