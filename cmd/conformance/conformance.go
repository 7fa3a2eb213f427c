package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/config"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

// Outputs are the stack outputs the command needs (`pulumi stack output --json`; never the
// secret apiKeyValues, which it does not read).
type Outputs struct {
	RestAPIID  string            `json:"restApiId"`
	StageName  string            `json:"stageName"`
	InvokeURL  string            `json:"invokeUrl"`
	RouteKinds map[string]string `json:"routeKinds"`
	// CanaryEndpointName is set while a canary runs.
	CanaryEndpointName string `json:"canaryEndpointName"`
}

// ReadOutputs parses the outputs and refuses what it cannot use, naming the missing output.
func ReadOutputs(r io.Reader) (Outputs, string, error) {
	var o Outputs
	if err := json.NewDecoder(r).Decode(&o); err != nil {
		return o, "", fmt.Errorf("cannot read the stack outputs (run `pulumi stack output --json --stack <stack>`): %w", err)
	}
	for _, out := range []struct {
		name string
		ok   bool
	}{{"restApiId", o.RestAPIID != ""}, {"stageName", o.StageName != ""}, {"invokeUrl", o.InvokeURL != ""}, {"routeKinds", len(o.RouteKinds) > 0}} {
		if !out.ok {
			return o, "", fmt.Errorf("the stack outputs have no %s: is this an ml-rest-api stack after `pulumi up`?", out.name)
		}
	}
	m := regexp.MustCompile(`^https://[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/`).FindStringSubmatch(o.InvokeURL)
	if m == nil {
		return o, "", fmt.Errorf("invokeUrl %q is not an execute-api URL", o.InvokeURL)
	}
	return o, m[1], nil
}

// Case is one request of a route, with the stage-variable overrides it runs under (the
// canary's endpoint override, for a canary case).
type Case struct {
	Route, Name string
	PathParams  map[string]string
	Query       map[string][]string
	Headers     map[string][]string
	Body        *string
	Overrides   map[string]string
}

// Cases are the golden cases of each route kind (the template tests' shapes: a valid request,
// hostile input, the limits), plus, while a canary runs, the canary's valid request.
func Cases(routes []api.Route, cfg *config.StackConfig, canaryEndpoint string) []Case {
	var out []Case
	limits := api.Limits{MaxItems: cfg.API.MaxItems, MaxK: cfg.API.MaxK}
	for _, r := range routes {
		kind, _ := api.LookupKind(r.Kind)
		for i, ex := range kind.Examples(limits) {
			out = append(out, exampleCase(r, kind, ex))
			// While a canary runs, its model's valid request again, with the canary's endpoint.
			if cn := cfg.Canary; i == 0 && cn != nil && canaryEndpoint != "" && cn.Model == r.Model {
				c := exampleCase(r, kind, ex)
				c.Name = "canary"
				c.Overrides = map[string]string{names.StageVariableEndpoint(r.Model): canaryEndpoint}
				out = append(out, c)
			}
		}
	}
	return out
}

// exampleCase is a kind's example request on a route.
func exampleCase(r api.Route, kind api.Kind, ex api.Example) Case {
	c := Case{Route: r.Path, Name: ex.Name, Query: map[string][]string{}}
	if kind.UserPath {
		c.PathParams = map[string]string{"user_id": ex.UserID}
	}
	for k, v := range ex.Query {
		c.Query[k] = []string{v}
	}
	if ex.Body != "" {
		body, contentType := ex.Body, ex.ContentType
		if contentType == "" {
			contentType = r.ContentType
		}
		c.Headers, c.Body = map[string][]string{"Content-Type": {contentType}}, &body
	}
	return c
}

// Sendable reports whether TestInvokeMethod can send the case's body: its body is a string
// (apigateway TestInvokeMethodRequest), so bytes that are not UTF-8 (a binary route's image)
// cannot be; the smoke test sends those (cmd/smoke -binary).
func (c Case) Sendable() bool { return c.Body == nil || utf8.ValidString(*c.Body) }

// Invoker runs one method of the deployed API (apigateway:TestInvokeMethod).
type Invoker interface {
	TestInvokeMethod(ctx context.Context, in *apigateway.TestInvokeMethodInput, opts ...func(*apigateway.Options)) (*apigateway.TestInvokeMethodOutput, error)
	GetResources(ctx context.Context, in *apigateway.GetResourcesInput, opts ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
}

// Result is one case compared.
type Result struct {
	Case        Case
	Differences []string
	Err         error
	// What AWS did: the model payload, SageMaker's status and body, the client's status/body.
	AWSPayload, ModelBody, AWSBody string
	ModelStatus, AWSStatus         int
	Template                       string // the response template's name
}

// Same reports whether AWS and the local renderer agreed.
func (r Result) Same() bool { return r.Err == nil && len(r.Differences) == 0 }

// Runner compares cases on AWS with the local renderer.
type Runner struct {
	API        Invoker
	Outputs    Outputs
	Routes     map[string]api.Route
	Operations map[string]api.DeployedOperation
	StageVars  map[string]string
	Renderer   string // tests/vtl/render
}

// Run runs every case (one TestInvokeMethod, i.e. one model call, per case).
func (rn *Runner) Run(ctx context.Context, cases []Case) ([]Result, error) {
	ids, err := rn.resourceIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, c := range cases {
		out = append(out, rn.one(ctx, ids, c))
	}
	return out, nil
}

func (rn *Runner) resourceIDs(ctx context.Context) (map[string]string, error) {
	ids := map[string]string{}
	in := &apigateway.GetResourcesInput{RestApiId: aws.String(rn.Outputs.RestAPIID), Limit: aws.Int32(500)}
	for {
		page, err := rn.API.GetResources(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("GetResources %s: %w", rn.Outputs.RestAPIID, err)
		}
		for _, r := range page.Items {
			ids[aws.ToString(r.Path)] = aws.ToString(r.Id)
		}
		if page.Position == nil {
			return ids, nil
		}
		in.Position = page.Position
	}
}

// request is the method request of a case, as the templates see it.
func (rn *Runner) request(r api.Route, c Case, vars map[string]string) (vtl.Request, string) {
	path := r.ResourcePath
	for k, v := range c.PathParams {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	q := url.Values{}
	for k, vs := range c.Query {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	withQuery := path
	if len(q) > 0 {
		withQuery += "?" + q.Encode()
	}
	headers := c.Headers
	if headers == nil {
		headers = map[string][]string{}
	}
	query := c.Query
	if query == nil {
		query = map[string][]string{}
	}
	return vtl.Request{Method: r.HTTPMethod, Resource: r.ResourcePath, Path: path, PathParameters: c.PathParams,
		QueryStringParameters: query, Headers: headers, Body: c.Body, StageVariables: vars,
		Context: map[string]any{"stage": rn.Outputs.StageName}}, withQuery
}

func (rn *Runner) one(ctx context.Context, ids map[string]string, c Case) Result {
	res := Result{Case: c}
	r, ok := rn.Routes[c.Route]
	if !ok {
		res.Err = fmt.Errorf("no route %s in the stack", c.Route)
		return res
	}
	op := rn.Operations[c.Route]
	vars := map[string]string{}
	for k, v := range rn.StageVars {
		vars[k] = v
	}
	for k, v := range c.Overrides {
		vars[k] = v
	}
	req, pathWithQuery := rn.request(r, c, vars)
	id, ok := ids[r.ResourcePath]
	if !ok {
		res.Err = fmt.Errorf("the deployed API has no resource %s", r.ResourcePath)
		return res
	}
	in := &apigateway.TestInvokeMethodInput{RestApiId: aws.String(rn.Outputs.RestAPIID), ResourceId: aws.String(id),
		HttpMethod: aws.String(r.HTTPMethod), PathWithQueryString: aws.String(pathWithQuery), StageVariables: vars,
		Headers: map[string]string{}}
	for k, vs := range req.Headers {
		in.Headers[k] = strings.Join(vs, ",")
	}
	if c.Body != nil {
		in.Body = c.Body
	}
	out, err := rn.API.TestInvokeMethod(ctx, in)
	if err != nil {
		res.Err = fmt.Errorf("TestInvokeMethod: %w", err)
		return res
	}
	log := parseLog(aws.ToString(out.Log))
	res.AWSStatus, res.AWSBody = int(out.Status), aws.ToString(out.Body)

	// What API Gateway does with the body (the request template, a passthrough, or its own
	// 415), then the payload the model got.
	contentType := req.ContentType()
	tmpl, err := op.RequestTemplateFor(contentType)
	var payload string
	switch {
	case errors.Is(err, api.ErrUnsupportedMediaType):
		if res.AWSStatus != 415 {
			res.Differences = append(res.Differences, fmt.Sprintf("client status: local 415 (no template for Content-Type %q), AWS %d", contentType, res.AWSStatus))
		}
		return res
	case err != nil:
		res.Err = err
		return res
	case tmpl == "" && c.Body != nil:
		payload = *c.Body
	case tmpl != "":
		if payload, _, err = vtl.Render(rn.Renderer, tmpl, req, nil, 0); err != nil {
			res.Err = fmt.Errorf("local request render: %w", err)
			return res
		}
	}
	if !log.hasRequest {
		res.Differences = append(res.Differences, "the execution log has no \"Endpoint request body after transformations\" (was the model called?)")
		return res
	}
	res.AWSPayload = log.request
	if d := compareText("model payload", payload, log.request); d != "" {
		res.Differences = append(res.Differences, d)
	}
	if !log.hasResponse {
		res.Differences = append(res.Differences, "the execution log has no \"Endpoint response body before transformations\"")
		return res
	}
	rn.compareResponse(&res, op, req, log, out.Headers)
	return res
}

// compareResponse renders the response template SageMaker's status selects, on the model's
// real answer, and compares status, body and headers with AWS's.
func (rn *Runner) compareResponse(res *Result, op api.DeployedOperation, req vtl.Request, log executionLog, headers map[string]string) {
	res.ModelStatus, res.ModelBody = log.status, log.response
	ir := op.Select(log.status)
	res.Template = ir.TemplateName
	selected, _ := strconv.Atoi(ir.StatusCode)
	body, ov, err := vtl.Render(rn.Renderer, ir.Template, req, &log.response, selected)
	if err != nil {
		res.Err = fmt.Errorf("local response render: %w", err)
		return
	}
	status := selected
	if ov.Status != 0 {
		status = ov.Status
	}
	if status != res.AWSStatus {
		res.Differences = append(res.Differences, fmt.Sprintf("client status: local %d, AWS %d", status, res.AWSStatus))
	}
	if d := compareText("client body", body, res.AWSBody); d != "" {
		res.Differences = append(res.Differences, d)
	}
	hdr, _ := ov.ResponseOverride["header"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(hdr)) {
		if got := headers[name]; got != fmt.Sprint(hdr[name]) {
			res.Differences = append(res.Differences, fmt.Sprintf("header %s: local %q, AWS %q", name, hdr[name], got))
		}
	}
}

// compareText compares exactly after trimming surrounding whitespace; a difference says
// whether the two are the same JSON.
func compareText(what, local, remote string) string {
	l, r := strings.TrimSpace(local), strings.TrimSpace(remote)
	if l == r {
		return ""
	}
	var lj, rj any
	if json.Unmarshal([]byte(l), &lj) == nil && json.Unmarshal([]byte(r), &rj) == nil {
		lb, _ := json.Marshal(lj)
		rb, _ := json.Marshal(rj)
		if string(lb) == string(rb) {
			return fmt.Sprintf("%s: same JSON, different text: local %q, AWS %q", what, truncate(l), truncate(r))
		}
	}
	return fmt.Sprintf("%s: local %q, AWS %q", what, truncate(l), truncate(r))
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}

// executionLog is what the command reads from TestInvokeMethod's log.
type executionLog struct {
	request, response       string
	hasRequest, hasResponse bool
	status                  int
}

var (
	// A body runs to the next timestamped line ("Thu Dec 02 10:00:00 UTC 2026 : …") or the end:
	// CSV rows and multipart forms hold newlines of their own.
	reRequestBody  = regexp.MustCompile(`(?s)Endpoint request body after transformations: (.*?)(?:\n[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d{2}:\d{2}:\d{2} UTC \d{4} : |\n?\z)`)
	reResponseBody = regexp.MustCompile(`(?s)Endpoint response body before transformations: (.*?)(?:\n[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d{2}:\d{2}:\d{2} UTC \d{4} : |\n?\z)`)
	reStatus       = regexp.MustCompile(`(?m)Received response\. Status: (\d{3})`)
)

// parseLog reads the execution log's lines "Endpoint request body after transformations: …",
// "Received response. Status: …" and "Endpoint response body before transformations: …"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-test-method.html).
func parseLog(log string) executionLog {
	var l executionLog
	if m := reRequestBody.FindStringSubmatch(log); m != nil {
		l.request, l.hasRequest = m[1], true
	}
	if m := reResponseBody.FindStringSubmatch(log); m != nil {
		l.response, l.hasResponse = m[1], true
	}
	if m := reStatus.FindStringSubmatch(log); m != nil {
		l.status, _ = strconv.Atoi(m[1])
	}
	return l
}

// Table writes one line per case and a summary; it never prints API keys (it has none) or
// model bodies (only the differences, truncated).
func Table(w io.Writer, results []Result) (same, different int) {
	sort.SliceStable(results, func(i, j int) bool { return results[i].Case.Route < results[j].Case.Route })
	fmt.Fprintf(w, "%-22s %-16s %-10s %s\n", "ROUTE", "CASE", "RESULT", "DETAIL")
	for _, r := range results {
		switch {
		case r.Err != nil:
			different++
			fmt.Fprintf(w, "%-22s %-16s %-10s %v\n", r.Case.Route, r.Case.Name, "ERROR", r.Err)
		case r.Same():
			same++
			fmt.Fprintf(w, "%-22s %-16s %-10s model %d → client %d (%s)\n", r.Case.Route, r.Case.Name, "same", r.ModelStatus, r.AWSStatus, r.Template)
		default:
			different++
			fmt.Fprintf(w, "%-22s %-16s %-10s %s\n", r.Case.Route, r.Case.Name, "DIFFERENT", strings.Join(r.Differences, "; "))
		}
	}
	fmt.Fprintf(w, "%d same, %d different (one model call per case)\n", same, different)
	return same, different
}

// corpusCase is a line of the conformance corpus (`../shared/conformance/vtl/cases.jsonl`).
type corpusCase struct {
	ID                  string         `json:"id"`
	Source              string         `json:"source"`
	ExpectedKind        string         `json:"expected_kind"`
	Kind                string         `json:"kind"`
	Template            string         `json:"template"`
	Request             vtl.Request    `json:"request"`
	IntegrationResponse map[string]any `json:"integration_response,omitempty"`
	Expected            string         `json:"expected"`
	ExpectedOverrides   map[string]any `json:"expected_overrides,omitempty"`
	Compare             string         `json:"compare"`
	Notes               string         `json:"notes"`
}

// Record writes what AWS rendered as corpus cases (aws-recorded, with date, region, API id):
// the request template's output and the response template's output with the status.
func (rn *Runner) Record(w io.Writer, results []Result, region string, now time.Time) error {
	enc := json.NewEncoder(w)
	source := fmt.Sprintf("ml-rest-api cmd/conformance, TestInvokeMethod on API %s (%s, stage %s), %s", rn.Outputs.RestAPIID, region, rn.Outputs.StageName, now.UTC().Format("2006-01-02"))
	for _, r := range results {
		if r.Err != nil || r.AWSPayload == "" {
			continue
		}
		route, op := rn.Routes[r.Case.Route], rn.Operations[r.Case.Route]
		vars := map[string]string{}
		for k, v := range rn.StageVars {
			vars[k] = v
		}
		for k, v := range r.Case.Overrides {
			vars[k] = v
		}
		req, _ := rn.request(route, r.Case, vars)
		base := "ml-rest-api-" + r.Case.Route + "-" + r.Case.Name
		if err := enc.Encode(corpusCase{ID: base + "-request", Source: source, ExpectedKind: "aws-recorded", Kind: "render-request",
			Template: op.RequestTemplate, Request: req, Expected: r.AWSPayload, Compare: "exact",
			Notes: "the execution log's \"Endpoint request body after transformations\""}); err != nil {
			return err
		}
		ir := op.Select(r.ModelStatus)
		if err := enc.Encode(corpusCase{ID: base + "-response", Source: source, ExpectedKind: "aws-recorded", Kind: "render-response",
			Template: ir.Template, Request: req, IntegrationResponse: map[string]any{"status": r.ModelStatus, "headers": map[string]any{}, "body": r.ModelBody},
			Expected: r.AWSBody, ExpectedOverrides: map[string]any{"responseOverride": map[string]any{"status": r.AWSStatus}}, Compare: "exact",
			Notes: "TestInvokeMethod's body and status for the model's logged answer"}); err != nil {
			return err
		}
	}
	return nil
}
