package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ml-rest-api/ml-rest-api/infra"
	restapi "github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

// Options is one preview request.
type Options struct {
	Stack, Route, BodyFile, ModelResponse string
	ModelStatus                           int
	Args                                  []string
}

// Transcript is what happened to the request.
type Transcript struct {
	Route        restapi.Route
	Endpoint     string
	RequestLine  string
	ContentType  string // the request's (application/json when it has none)
	Passthrough  bool   // no request template: the body passes to the model unchanged
	Payload      string
	ModelStatus  int
	ModelBody    string
	Response     restapi.IntegrationResponse
	ClientStatus int
	ClientBody   string
	Headers      map[string]any
}

type request = vtl.Request

// Run renders the route's request template, then the integration response SageMaker's status
// selects, through tests/vtl/render.
func Run(o Options) (*Transcript, error) {
	root, err := vtl.ModuleRoot()
	if err != nil {
		return nil, err
	}
	stackAPI, err := infra.LoadStackAPI(root, o.Stack, "")
	if err != nil {
		return nil, err
	}
	cfg, routes := stackAPI.Config, stackAPI.Routes
	var route *restapi.Route
	var paths []string
	for i := range routes {
		paths = append(paths, routes[i].Path)
		if routes[i].Path == o.Route {
			route = &routes[i]
		}
	}
	if route == nil {
		return nil, fmt.Errorf("stack %s has no route %q; routes: %s", o.Stack, o.Route, strings.Join(paths, ", "))
	}
	endpoints := cfg.EndpointNames()
	req, err := methodRequest(o, route, stackAPI.StageVariables, cfg.API.StageName)
	if err != nil {
		return nil, err
	}
	// Render what is deployed: the templates as the document carries them.
	op := stackAPI.Operations[route.Path]
	t := &Transcript{Route: *route, Endpoint: endpoints[route.Model], ModelStatus: o.ModelStatus, RequestLine: requestLine(req), ContentType: req.ContentType()}
	renderer := vtl.Renderer(root)
	tmpl, err := op.RequestTemplateFor(t.ContentType)
	switch {
	case err != nil:
		return nil, fmt.Errorf("Content-Type %q: %w", t.ContentType, err)
	case tmpl == "":
		t.Passthrough = true
		if req.Body != nil {
			t.Payload = *req.Body
		}
	default:
		if t.Payload, _, err = vtl.Render(renderer, tmpl, req, nil, 0); err != nil {
			return nil, fmt.Errorf("request template %s: %w", route.RequestTemplateName, err)
		}
	}
	t.ModelBody = o.ModelResponse
	if t.ModelBody == "" {
		kind, _ := restapi.LookupKind(route.Kind)
		t.ModelBody = kind.ModelAnswer(t.Payload)
	}
	t.Response = op.Select(o.ModelStatus)
	status, _ := strconv.Atoi(t.Response.StatusCode)
	var ov vtl.Overrides
	if t.ClientBody, ov, err = vtl.Render(renderer, t.Response.Template, req, &t.ModelBody, status); err != nil {
		return nil, fmt.Errorf("response template %s: %w", t.Response.TemplateName, err)
	}
	t.ClientStatus = ov.Status
	t.Headers, _ = ov.ResponseOverride["header"].(map[string]any)
	return t, nil
}

// methodRequest is the method request the templates see: the route, the name=value arguments
// (path parameters, query parameters, header:Name=value) and the body file, sent as the
// route's content type unless a Content-Type header is given.
func methodRequest(o Options, route *restapi.Route, vars map[string]string, stage string) (request, error) {
	req := request{
		Method: route.HTTPMethod, Resource: route.ResourcePath, PathParameters: map[string]string{},
		QueryStringParameters: map[string][]string{}, Headers: map[string][]string{},
		StageVariables: vars, Context: map[string]any{"stage": stage},
	}
	for _, a := range o.Args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return req, fmt.Errorf("argument %q: write name=value (or header:Name=value)", a)
		}
		switch {
		case strings.HasPrefix(k, "header:"):
			name := strings.TrimPrefix(k, "header:")
			req.Headers[name] = append(req.Headers[name], v)
		case strings.Contains(route.ResourcePath, "{"+k+"}"):
			req.PathParameters[k] = v
		default:
			req.QueryStringParameters[k] = append(req.QueryStringParameters[k], v)
		}
	}
	req.Path = route.ResourcePath
	for k, v := range req.PathParameters {
		req.Path = strings.ReplaceAll(req.Path, "{"+k+"}", v)
	}
	if o.BodyFile != "" {
		b, err := os.ReadFile(o.BodyFile)
		if err != nil {
			return req, err
		}
		body := string(b)
		req.Body = &body
		if _, set := req.Headers["Content-Type"]; !set {
			req.Headers["Content-Type"] = []string{route.ContentType}
		}
	}
	return req, nil
}

func requestLine(r request) string {
	var q []string
	for k, vs := range r.QueryStringParameters {
		for _, v := range vs {
			q = append(q, k+"="+v)
		}
	}
	line := r.Method + " " + r.Path
	if len(q) > 0 {
		sort.Strings(q)
		line += "?" + strings.Join(q, "&")
	}
	return line
}

// String prints the transcript.
func (t *Transcript) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "route        %s %s -> model %s (endpoint %s, stage variable %s)\n", t.Route.HTTPMethod, t.Route.ResourcePath, t.Route.Model, t.Endpoint, names.StageVariableEndpoint(t.Route.Model))
	fmt.Fprintf(&b, "request      %s\n", t.RequestLine)
	switch {
	case t.Passthrough && !utf8.ValidString(t.Payload):
		fmt.Fprintf(&b, "\nmodel receives (%s, no request template): the %d bytes of the body, unchanged\n", t.ContentType, len(t.Payload))
	case t.Passthrough:
		fmt.Fprintf(&b, "\nmodel receives (%s, no request template): the body, unchanged:\n%s\n", t.ContentType, strings.TrimSuffix(t.Payload, "\n"))
	default:
		fmt.Fprintf(&b, "\nmodel receives (%s, %s):\n%s\n", t.Route.ContentType, t.Route.RequestTemplateName, strings.TrimSuffix(t.Payload, "\n"))
	}
	fmt.Fprintf(&b, "\nmodel answers %d:\n%s\n", t.ModelStatus, t.ModelBody)
	pattern := t.Response.SelectionPattern
	if pattern == "" {
		pattern = "default"
	}
	fmt.Fprintf(&b, "\nintegration response %s -> %s (%s)\n", pattern, t.Response.StatusCode, t.Response.TemplateName)
	fmt.Fprintf(&b, "client gets %d:\n%s\n", t.ClientStatus, strings.TrimSuffix(t.ClientBody, "\n"))
	if len(t.Headers) > 0 {
		fmt.Fprintf(&b, "response headers set by the template: %v\n", t.Headers)
	}
	return b.String()
}
