package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ml-rest-api/ml-rest-api/infra/api"
)

// Outputs are the stack outputs the smoke test reads (`pulumi stack output --json --show-secrets`).
type Outputs struct {
	RouteURLs    map[string]string `json:"routeUrls"`
	RouteKinds   map[string]string `json:"routeKinds"`
	APIKeyValues map[string]string `json:"apiKeyValues"`
}

// Config is one smoke run.
type Config struct {
	Outputs Outputs
	// Client names the API key to use (default: the first client).
	Client string
	// Requests is how many valid requests per route are timed.
	Requests int
	// CSV is a request body for CSV routes; without it their valid call is skipped.
	CSV string
	// Binary is a file for binary routes, sent as BinaryType (default: sniffed from the bytes,
	// net/http.DetectContentType); without it their valid call is skipped.
	Binary, BinaryType string
}

// body is the request body a route kind's valid call sends, and its type ("" when the kind
// takes the example's own body).
func (c Config) body(kind api.Kind) (body, contentType string) {
	switch {
	case kind.ContentTypes:
		if c.BinaryType == "" && c.Binary != "" {
			return c.Binary, http.DetectContentType([]byte(c.Binary))
		}
		return c.Binary, c.BinaryType
	case kind.ContentType == "text/csv":
		return c.CSV, kind.ContentType
	}
	return "", ""
}

// Check is one checked call.
type Check struct {
	Route, Name string
	OK          bool
	Skipped     bool
	Detail      string
}

// Latency summarises the timed requests of a route.
type Latency struct {
	Route    string
	N        int
	P50, P99 time.Duration
}

// Report is the outcome of a run.
type Report struct {
	Checks    []Check
	Latencies []Latency
}

// Failed counts the failed checks.
func (r Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if !c.OK && !c.Skipped {
			n++
		}
	}
	return n
}

// String renders the report.
func (r Report) String() string {
	var b strings.Builder
	for _, c := range r.Checks {
		status := "ok  "
		switch {
		case c.Skipped:
			status = "skip"
		case !c.OK:
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s %-20s %-24s %s\n", status, c.Route, c.Name, c.Detail)
	}
	for _, l := range r.Latencies {
		fmt.Fprintf(&b, "latency %-20s n=%d p50=%s p99=%s\n", l.Route, l.N, l.P50.Round(time.Millisecond), l.P99.Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "%d checks, %d failed\n", len(r.Checks), r.Failed())
	return b.String()
}

type call struct {
	name, method, url, contentType, body string
	key                                  bool
	wantStatus                           int
	check                                func(status int, body []byte) error
}

// Run calls every route: a valid request (timed Requests times), a malformed one expecting
// 400, and one without a key expecting 403; it checks statuses and body shapes.
func Run(ctx context.Context, cfg Config, client *http.Client) (Report, error) {
	var rep Report
	key, err := pickKey(cfg)
	if err != nil {
		return rep, err
	}
	if len(cfg.Outputs.RouteURLs) == 0 {
		return rep, fmt.Errorf("the outputs list no routes (routeUrls); is this the right stack?")
	}
	for _, route := range sortedRoutes(cfg.Outputs.RouteURLs) {
		base := cfg.Outputs.RouteURLs[route]
		kind := cfg.Outputs.RouteKinds[route]
		calls, valid, err := callsFor(kind, base, cfg)
		if err != nil {
			return rep, fmt.Errorf("route %s: %w", route, err)
		}
		for _, c := range calls {
			status, body, _, err := do(ctx, client, c, key)
			ck := Check{Route: route, Name: c.name}
			switch {
			case err != nil:
				ck.Detail = err.Error()
			case status != c.wantStatus:
				ck.Detail = fmt.Sprintf("status %d, want %d: %s", status, c.wantStatus, api.Snippet(body))
			default:
				if cerr := c.check(status, body); cerr != nil {
					ck.Detail = cerr.Error()
				} else {
					ck.OK, ck.Detail = true, fmt.Sprintf("%d", status)
				}
			}
			rep.Checks = append(rep.Checks, ck)
		}
		if valid == nil {
			rep.Checks = append(rep.Checks, Check{Route: route, Name: "valid request", Skipped: true, Detail: "no -csv or -binary body given"})
			continue
		}
		var times []time.Duration
		for i := 0; i < cfg.Requests; i++ {
			status, _, d, err := do(ctx, client, *valid, key)
			if err != nil || status != valid.wantStatus {
				continue
			}
			times = append(times, d)
		}
		if cfg.Requests > 0 {
			l := Latency{Route: route, N: len(times)}
			l.P50, l.P99 = percentile(times, 50), percentile(times, 99)
			rep.Latencies = append(rep.Latencies, l)
			rep.Checks = append(rep.Checks, Check{Route: route, Name: "timed requests", OK: len(times) == cfg.Requests,
				Detail: fmt.Sprintf("%d of %d answered %d", len(times), cfg.Requests, valid.wantStatus)})
		}
	}
	return rep, nil
}

func pickKey(cfg Config) (string, error) {
	keys := cfg.Outputs.APIKeyValues
	if len(keys) == 0 {
		return "", fmt.Errorf("no apiKeyValues in the outputs; read them with --show-secrets")
	}
	if cfg.Client != "" {
		k, ok := keys[cfg.Client]
		if !ok {
			return "", fmt.Errorf("no API key for client %q", cfg.Client)
		}
		return k, nil
	}
	var names []string
	for n := range keys {
		names = append(names, n)
	}
	sort.Strings(names)
	return keys[names[0]], nil
}

// callsFor builds a route's calls from its kind's examples (api.Kind): the valid request, the
// first invalid one (400), for kinds with a body one with the wrong content type (the kind's
// 415 example, else JSON), and the valid request without a key (403). valid is the call to time
// (nil: skipped — a kind with a body needs one from -csv or -binary).
func callsFor(kindName, base string, cfg Config) (calls []call, valid *call, err error) {
	kind, ok := api.LookupKind(kindName)
	if !ok {
		return nil, nil, fmt.Errorf("unknown route kind %q (routeKinds output)", kindName)
	}
	message := func(_ int, body []byte) error {
		var v struct{ Message string }
		if err := json.Unmarshal(body, &v); err != nil || v.Message == "" {
			return fmt.Errorf("want a JSON {\"message\":…} body, got %s", api.Snippet(body))
		}
		return nil
	}
	examples := kind.Examples(api.Limits{MaxItems: 1, MaxK: 1})
	request := func(name string, ex api.Example, key bool, status int) call {
		c := call{name: name, method: kind.Method, url: ex.On(base), key: key, wantStatus: status, check: message}
		if ex.Body != "" {
			c.contentType, c.body = cmp.Or(ex.ContentType, kind.ContentType), ex.Body
		}
		return c
	}
	ex := examples[0]
	if ex.Body != "" {
		ex.Body, ex.ContentType = cfg.body(kind)
	}
	if ex.Body != "" || examples[0].Body == "" {
		v := request("valid request", ex, true, ex.Status)
		v.check = func(_ int, b []byte) error { return kind.CheckAnswer(ex, b) }
		calls = append(calls, v)
	}
	for _, bad := range examples {
		if bad.Status == 400 {
			calls = append(calls, request("invalid input ("+bad.Name+")", bad, true, 400))
			break
		}
	}
	if examples[0].Body != "" {
		wrong := request("wrong content type", examples[0], true, 415)
		wrong.contentType, wrong.body = "application/json", "{}"
		for _, bad := range examples {
			if bad.Status == 415 {
				wrong = request("wrong content type ("+bad.Name+")", bad, true, 415)
				break
			}
		}
		calls = append(calls, wrong)
	}
	missing := examples[0]
	if missing.Body != "" && missing.ContentType == "" && kind.ContentType == "" {
		missing.ContentType = "application/octet-stream" // refused for the key before any type check
	}
	calls = append(calls, request("missing key", missing, false, 403))
	if calls[0].name == "valid request" {
		valid = &calls[0]
	}
	return calls, valid, nil
}

func do(ctx context.Context, client *http.Client, c call, key string) (int, []byte, time.Duration, error) {
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		return 0, nil, 0, err
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.key {
		req.Header.Set("x-api-key", key)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, time.Since(start), err
}

// percentile is the nearest-rank percentile (0 for no samples).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	if rank < 0 {
		rank = 0
	}
	return s[rank]
}

func sortedRoutes(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
