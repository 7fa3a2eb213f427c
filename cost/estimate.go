package cost

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/internal/awstypes"
)

// HoursPerMonth is the average month (365 × 24 / 12 hours).
const HoursPerMonth = 730

// The resource types the estimate prices; every other type of the program is free or billed
// only through these (IAM, API Gateway methods and keys, scaling policies, SNS topics).
const (
	typeEndpointConfig  = awstypes.SageMakerEndpointConfiguration
	typeEndpoint        = awstypes.SageMakerEndpoint
	typeScalingTarget   = awstypes.AppAutoscalingTarget
	typeRestAPI         = awstypes.APIGatewayRestApi
	typeStage           = awstypes.APIGatewayStage
	typeWebACL          = awstypes.WAFv2WebAcl
	typeMetricAlarm     = awstypes.CloudWatchMetricAlarm
	typeDashboard       = awstypes.CloudWatchDashboard
	typeLogMetricFilter = awstypes.CloudWatchLogMetricFilter
	typeLogGroup        = awstypes.CloudWatchLogGroup
)

// Resource is what the estimate reads of one registered resource.
type Resource struct {
	Type, Name string
	// Inputs are the values the program set, as plain Go values (numbers are float64).
	Inputs map[string]any
	// Outputs are provider-computed values; only an auto-generated "name" is read.
	Outputs map[string]any
}

// Basis says how a line is billed.
type Basis int

const (
	// Monthly lines are billed every month whether or not traffic arrives.
	Monthly Basis = iota
	// PerMillionRequests lines are billed for each million API requests.
	PerMillionRequests
	// PerUse lines are billed per unit of use that the configuration does not fix (inference
	// seconds, log GB).
	PerUse
)

// Line is one billed item: Min to Max units of Price a month (Monthly) or per million requests
// (PerMillionRequests); PerUse lines carry no quantity.
type Line struct {
	Basis    Basis
	Item     string
	Min, Max float64
	Price    string
}

// Estimate returns the billed lines of a stack's resources: Monthly lines first, then
// PerMillionRequests, then PerUse, each group in a stable order.
func Estimate(resources []Resource) ([]Line, error) {
	byType := map[string][]Resource{}
	for _, r := range resources {
		byType[r.Type] = append(byType[r.Type], r)
	}
	lines, err := endpointLines(byType)
	if err != nil {
		return nil, err
	}
	for _, r := range byType[typeRestAPI] {
		lines = append(lines, Line{Basis: PerMillionRequests, Item: "REST API requests", Min: 1e6, Max: 1e6, Price: "apigateway.rest.requests"})
		if strings.Contains(str(r.Inputs["body"]), `"x-amazon-apigateway-binary-media-types"`) {
			lines = append(lines, Line{Basis: PerUse, Item: "data processed in by the endpoints (binary routes send whole files, up to 6 MB a request)", Price: "sagemaker.data-in"})
		}
	}
	for _, r := range byType[typeStage] {
		if on, _ := r.Inputs["cacheClusterEnabled"].(bool); on {
			size, _ := r.Inputs["cacheClusterSize"].(string)
			lines = append(lines, Line{Basis: Monthly, Item: fmt.Sprintf("stage %s: response cache (%s GB)", str(r.Inputs["stageName"]), size),
				Min: HoursPerMonth, Max: HoursPerMonth, Price: "apigateway.cache." + size + "GB"})
		}
	}
	for _, r := range byType[typeWebACL] {
		acl, err := webACLLines(r)
		if err != nil {
			return nil, err
		}
		lines = append(lines, acl...)
	}
	lines = append(lines, cloudWatchLines(byType)...)
	slices.SortStableFunc(lines, func(a, b Line) int { return int(a.Basis) - int(b.Basis) })
	return lines, nil
}

// endpointLines prices each endpoint's variants: instance-hours between the scaling bounds,
// or serverless provisioned concurrency (Monthly) and inference seconds (PerUse).
func endpointLines(byType map[string][]Resource) ([]Line, error) {
	endpointOf := map[string]string{} // endpoint configuration name → endpoint name
	for _, e := range byType[typeEndpoint] {
		endpointOf[str(e.Inputs["endpointConfigName"])] = str(e.Inputs["name"])
	}
	bounds := map[string][2]float64{} // scaling resource id + dimension → min, max capacity
	for _, t := range byType[typeScalingTarget] {
		bounds[str(t.Inputs["resourceId"])+" "+str(t.Inputs["scalableDimension"])] = [2]float64{num(t.Inputs["minCapacity"]), num(t.Inputs["maxCapacity"])}
	}
	var monthly, perUse []Line
	for _, c := range byType[typeEndpointConfig] {
		name := str(c.Outputs["name"])
		if name == "" {
			name = str(c.Inputs["name"])
		}
		endpoint, used := endpointOf[name]
		if !used {
			continue // a configuration no endpoint runs costs nothing
		}
		variants, _ := c.Inputs["productionVariants"].([]any)
		shadows, _ := c.Inputs["shadowProductionVariants"].([]any) // a shadow test's instances bill like production's
		variants = append(slices.Clone(variants), shadows...)
		for _, v := range variants {
			v, _ := v.(map[string]any)
			variant := str(v["variantName"])
			if typ := str(v["instanceType"]); typ != "" {
				lo, hi := num(v["initialInstanceCount"]), num(v["initialInstanceCount"])
				if b, ok := bounds["endpoint/"+endpoint+"/variant/"+variant+" sagemaker:variant:DesiredInstanceCount"]; ok {
					lo, hi = b[0], b[1]
				}
				if lo <= 0 || hi < lo {
					return nil, fmt.Errorf("cost: endpoint %s variant %s: instance count %v–%v is not a range this estimate understands", endpoint, variant, lo, hi)
				}
				who := endpoint
				if variant != "AllTraffic" {
					who += " (" + variant + " variant)"
				}
				monthly = append(monthly, Line{Basis: Monthly, Item: fmt.Sprintf("%s: %s, %s", who, typ, instances(lo, hi)),
					Min: lo * HoursPerMonth, Max: hi * HoursPerMonth, Price: "sagemaker.hosting." + typ})
				continue
			}
			sc, ok := v["serverlessConfig"].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("cost: endpoint %s variant %s has neither an instance type nor a serverless configuration", endpoint, variant)
			}
			mem := fmt.Sprintf("%.0fMB", num(sc["memorySizeInMb"]))
			gb := fmt.Sprintf("%g GB", num(sc["memorySizeInMb"])/1024)
			if pc := num(sc["provisionedConcurrency"]); pc > 0 {
				// Scaled provisioned concurrency costs between its bounds, like an instance count.
				lo, hi, what := pc, pc, fmt.Sprintf("%g", pc)
				if b, ok := bounds["endpoint/"+endpoint+"/variant/"+variant+" sagemaker:variant:DesiredProvisionedConcurrency"]; ok {
					lo, hi, what = b[0], b[1], fmt.Sprintf("%g–%g (scaled)", b[0], b[1])
				}
				monthly = append(monthly, Line{Basis: Monthly, Item: fmt.Sprintf("%s: serverless %s, provisioned concurrency %s", endpoint, gb, what),
					Min: lo * HoursPerMonth * 3600, Max: hi * HoursPerMonth * 3600, Price: "sagemaker.serverless.provisioned." + mem})
				perUse = append(perUse, Line{Basis: PerUse, Item: fmt.Sprintf("%s: inference on provisioned concurrency (%s)", endpoint, gb),
					Price: "sagemaker.serverless.provisioned-inference." + mem})
			}
			perUse = append(perUse, Line{Basis: PerUse, Item: fmt.Sprintf("%s: serverless inference (%s, up to %g concurrent)", endpoint, gb, num(sc["maxConcurrency"])),
				Price: "sagemaker.serverless.inference." + mem})
		}
	}
	byItem := func(a, b Line) int { return strings.Compare(a.Item, b.Item) }
	slices.SortFunc(monthly, byItem)
	slices.SortFunc(perUse, byItem)
	return append(monthly, perUse...), nil
}

// webACLLines prices a web ACL, its rules (a managed rule group counts as one) and the
// requests it inspects. The program sets the rules as ruleJson (ops.WAFRules).
func webACLLines(r Resource) ([]Line, error) {
	var rules []struct{ Name string }
	if err := json.Unmarshal([]byte(str(r.Inputs["ruleJson"])), &rules); err != nil {
		return nil, fmt.Errorf("cost: web ACL %s: ruleJson: %w", r.Name, err)
	}
	var names []string
	for _, x := range rules {
		names = append(names, x.Name)
	}
	n := float64(len(rules))
	return []Line{
		{Basis: Monthly, Item: "web ACL", Min: 1, Max: 1, Price: "waf.webacl"},
		{Basis: Monthly, Item: "web ACL rules: " + strings.Join(names, ", "), Min: n, Max: n, Price: "waf.rule"},
		{Basis: PerMillionRequests, Item: "requests inspected by the web ACL", Min: 1e6, Max: 1e6, Price: "waf.requests"},
	}, nil
}

// cloudWatchLines prices alarms per alarm metric, dashboards, the custom metrics of log metric
// filters, and log ingestion and storage.
func cloudWatchLines(byType map[string][]Resource) []Line {
	var lines []Line
	alarms := map[string][2]float64{} // resolution → alarms, alarm metrics
	for _, a := range byType[typeMetricAlarm] {
		metrics := 1.0
		if qs := list(a.Inputs["metricQueries"]); len(qs) > 0 {
			metrics = 0
			for _, q := range qs {
				if m, _ := q.(map[string]any); m["metric"] != nil {
					metrics++
				}
			}
		}
		res := "standard"
		if p := num(a.Inputs["period"]); p > 0 && p < 60 {
			res = "high-resolution"
		}
		c := alarms[res]
		alarms[res] = [2]float64{c[0] + 1, c[1] + metrics}
	}
	for _, res := range []string{"standard", "high-resolution"} {
		if c, ok := alarms[res]; ok {
			lines = append(lines, Line{Basis: Monthly, Item: fmt.Sprintf("%g alarms (%s resolution), per alarm metric", c[0], res),
				Min: c[1], Max: c[1], Price: "cloudwatch.alarm." + res})
		}
	}
	if n := float64(len(byType[typeDashboard])); n > 0 {
		var names []string
		for _, d := range byType[typeDashboard] {
			names = append(names, str(d.Inputs["dashboardName"]))
		}
		lines = append(lines, Line{Basis: Monthly, Item: "dashboards: " + strings.Join(names, ", "), Min: n, Max: n, Price: "cloudwatch.dashboard"})
	}
	if n := float64(len(byType[typeLogMetricFilter])); n > 0 {
		lines = append(lines, Line{Basis: Monthly, Item: "custom metrics from log metric filters", Min: n, Max: n, Price: "cloudwatch.metric"})
	}
	if groups := byType[typeLogGroup]; len(groups) > 0 {
		var days []string
		for _, g := range groups {
			d := "never expire"
			if n := num(g.Inputs["retentionInDays"]); n > 0 {
				d = fmt.Sprintf("%g days", n)
			}
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
		lines = append(lines,
			Line{Basis: PerUse, Item: fmt.Sprintf("log ingestion (%d log groups)", len(groups)), Price: "logs.ingest"},
			Line{Basis: PerUse, Item: "log storage (kept " + strings.Join(days, ", ") + ")", Price: "logs.storage"})
	}
	return lines
}

func instances(lo, hi float64) string {
	switch {
	case lo == hi && lo == 1:
		return "1 instance"
	case lo == hi:
		return fmt.Sprintf("%g instances", lo)
	}
	return fmt.Sprintf("%g–%g instances (autoscaling)", lo, hi)
}

func str(v any) string { s, _ := v.(string); return s }

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	return 0
}

func list(v any) []any { l, _ := v.([]any); return l }
