package tests

// The Go side of the template renderer (tests/vtl/Render.java): batch rendering through
// tests/vtl/render, and the conformance corpus recorded on real AWS.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

// vtlRequest is the renderer's REQUEST.json.
type vtlRequest = vtl.Request

type vtlCase struct {
	ID             string  `json:"id"`
	Template       string  `json:"template"`
	Request        any     `json:"request"`
	ResponseBody   *string `json:"responseBody,omitempty"`
	ResponseStatus int     `json:"responseStatus,omitempty"`
}

type vtlOverrides struct {
	RequestOverride  map[string]any `json:"requestOverride"`
	ResponseOverride map[string]any `json:"responseOverride"`
	Status           int            `json:"status"`
	Conflicts        []string       `json:"conflicts"`
}

type vtlResult struct {
	ID        string       `json:"id"`
	Output    string       `json:"output"`
	Error     string       `json:"error"`
	Overrides vtlOverrides `json:"overrides"`
}

// renderAll renders every case in one JVM and returns the results by id.
func renderAll(t testing.TB, cases []vtlCase) map[string]vtlResult {
	t.Helper()
	needRenderer(t)
	var in bytes.Buffer
	for _, c := range cases {
		b, err := json.Marshal(c)
		require.NoError(t, err)
		in.Write(b)
		in.WriteByte('\n')
	}
	file := filepath.Join(t.TempDir(), "cases.jsonl")
	require.NoError(t, os.WriteFile(file, in.Bytes(), 0o644))
	cmd := exec.Command(filepath.Join("vtl", "render"), "--batch", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "tests/vtl/render failed: %s", stderr.String())
	results := map[string]vtlResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r vtlResult
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		results[r.ID] = r
	}
	require.Len(t, results, len(cases), "one result per case")
	return results
}

// conformanceCase is one line of tests/vtl/testdata/conformance/cases.jsonl (a copy of
// shared/conformance/vtl/cases.jsonl).
type conformanceCase struct {
	ID                  string         `json:"id"`
	ExpectedKind        string         `json:"expected_kind"`
	Kind                string         `json:"kind"`
	Template            *string        `json:"template"`
	ResponseTemplate    *string        `json:"response_template"`
	Request             map[string]any `json:"request"`
	IntegrationResponse *struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	} `json:"integration_response"`
	Expected          any            `json:"expected"`
	ExpectedOverrides map[string]any `json:"expected_overrides"`
	Compare           string         `json:"compare"`
	Confidence        string         `json:"confidence"`
}

func loadConformance(t *testing.T) []conformanceCase {
	t.Helper()
	f, err := os.Open(filepath.Join("vtl", "testdata", "conformance", "cases.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []conformanceCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var c conformanceCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		out = append(out, c)
	}
	return out
}

// TestRendererConformance renders every render-request, render-response and pipeline case of
// the corpus and requires every aws-recorded one to match; aws-docs and inferred cases must
// match too (they are derived from the same documented rules).
func TestRendererConformance(t *testing.T) {
	t.Parallel()
	all := loadConformance(t)
	var first, cases []conformanceCase
	for _, c := range all {
		if c.Kind == "render-request" || c.Kind == "render-response" || c.Kind == "pipeline" {
			cases = append(cases, c)
		}
	}
	byKind := map[string]int{}
	for _, c := range cases {
		byKind[c.ExpectedKind]++
	}
	require.GreaterOrEqual(t, byKind["aws-recorded"], 40, "the corpus must hold the aws-recorded render cases")
	t.Logf("render cases: %v (e2e cases need a whole gateway and are not render cases)", byKind)

	// Phase 1: request templates (render-request, and the first half of pipelines) and
	// response templates.
	var batch []vtlCase
	for _, c := range cases {
		vc := vtlCase{ID: c.ID, Template: *c.Template, Request: c.Request}
		if c.Kind == "render-response" {
			body := c.IntegrationResponse.Body
			vc.ResponseBody, vc.ResponseStatus = &body, c.IntegrationResponse.Status
		}
		batch = append(batch, vc)
		if c.Kind == "pipeline" {
			first = append(first, c)
		}
	}
	results := renderAll(t, batch)

	// Phase 2: pipelines. The echo backend returns the integration request body unchanged.
	var second []vtlCase
	for _, c := range first {
		body := results[c.ID].Output
		second = append(second, vtlCase{ID: c.ID, Template: *c.ResponseTemplate, Request: c.Request, ResponseBody: &body, ResponseStatus: 200})
	}
	for id, r := range renderAll(t, second) {
		if results[id].Error != "" {
			continue
		}
		results[id] = r
	}

	for _, c := range cases {
		t.Run(c.ExpectedKind+"/"+c.ID, func(t *testing.T) {
			r := results[c.ID]
			require.Empty(t, r.Error, "render error")
			if c.Confidence == "low" {
				// The source contradicts itself (see the case's notes); render only.
				t.Logf("low-confidence case, not compared; rendered %q", r.Output)
				return
			}
			checkConformance(t, c, r)
		})
	}
}

func checkConformance(t *testing.T, c conformanceCase, r vtlResult) {
	t.Helper()
	if c.ExpectedOverrides != nil {
		got := map[string]any{"requestOverride": r.Overrides.RequestOverride, "responseOverride": r.Overrides.ResponseOverride}
		assert.True(t, subsetJSON(c.ExpectedOverrides, normalizeJSON(got)), "overrides: want %v within %v", c.ExpectedOverrides, got)
	}
	switch c.Compare {
	case "overrides-only":
	case "exact":
		assert.Equal(t, c.Expected, r.Output)
	case "json", "json-placeholders":
		var want, got any
		require.NoError(t, json.Unmarshal([]byte(c.Expected.(string)), &want), "expected")
		require.NoError(t, json.Unmarshal([]byte(r.Output), &got), "rendered output is not JSON: %q", r.Output)
		if c.Compare == "json" {
			assert.Equal(t, want, got)
		} else {
			assert.True(t, matchPlaceholders(want, got), "want %v\n got %v", want, got)
		}
	default:
		t.Fatalf("unknown compare %q", c.Compare)
	}
}

func normalizeJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// subsetJSON: every key of want is in got with an equal (or, for maps, subset) value.
func subsetJSON(want, got any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, got)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range wm {
		if !subsetJSON(v, gm[k]) {
			return false
		}
	}
	return true
}

// matchPlaceholders compares JSON where an expected "<...>" string matches any value.
func matchPlaceholders(want, got any) bool {
	if s, ok := want.(string); ok && strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		return true
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok || !matchPlaceholders(v, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matchPlaceholders(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
