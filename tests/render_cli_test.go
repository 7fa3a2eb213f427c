package tests

// tests/vtl/render behaves exactly as its usage says: stdout byte-exact, the override maps as
// one JSON line on stderr or in --overrides-out, the final status for responses, exit 1 with
// "render error: …" on a template error.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cliRun struct {
	stdout, stderr string
	code           int
}

func renderCLI(t *testing.T, args ...string) cliRun {
	t.Helper()
	needRenderer(t)
	cmd := exec.Command(filepath.Join("vtl", "render"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return cliRun{out.String(), errb.String(), code}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestRenderCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	req := writeFile(t, dir, "request.json", `{"method":"GET","resource":"/r/{id}","path":"/r/7","pathParameters":{"id":"7"},
		"queryStringParameters":{"q":["a","b"]},"headers":{"X-Trace":["t-1"]},"body":null,"stageVariables":{"v":"sv"},"context":{"stage":"dev"}}`)
	tmpl := writeFile(t, dir, "t.vtl", "id=$input.params().path.get('id') q=$input.params().querystring.get('q') v=$stageVariables.v stage=$context.stage body=$input.body missing=[$nothing]\n  trailing  ")

	r := renderCLI(t, "--template", tmpl, "--request", req)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "id=7 q=b v=sv stage=dev body={} missing=[]\n  trailing  ", r.stdout, "byte-exact, last value of a repeated parameter, null renders empty")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, 1, "one JSON line on stderr")
	var ov map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ov))
	assert.Equal(t, map[string]any{
		"requestOverride":  map[string]any{"path": map[string]any{}, "header": map[string]any{}, "querystring": map[string]any{}},
		"responseOverride": map[string]any{"header": map[string]any{}},
	}, ov)

	// --overrides-out writes the line to a file instead; overrides set by the template show.
	setter := writeFile(t, dir, "set.vtl", "#set($context.requestOverride.header['X-Model'] = 'v2')ok")
	out := filepath.Join(dir, "ov.json")
	r = renderCLI(t, "--template", setter, "--request", req, "--overrides-out", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "ok", r.stdout)
	assert.Empty(t, r.stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &ov))
	assert.Equal(t, map[string]any{"X-Model": "v2"}, ov["requestOverride"].(map[string]any)["header"])

	// Response mode: $input reads the response body, params() still the request; the final
	// status is responseOverride.status when an integer 100-599, else --response-status.
	body := writeFile(t, dir, "body.json", `{"a":{"b":[1,2]},"s":"x"}`)
	resp := writeFile(t, dir, "resp.vtl", "$input.path('$.a') $input.json('$.s') $input.params('id')#if($stageVariables.v == 'sv')#set($context.responseOverride.status = 418)#end")
	r = renderCLI(t, "--template", resp, "--request", req, "--response-body", body, "--response-status", "502")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, `{b=[1,2]} "x" 7`, r.stdout)
	require.NoError(t, json.Unmarshal([]byte(r.stderr), &ov))
	assert.Equal(t, 418.0, ov["status"])
	for override, want := range map[string]float64{"700": 502, "'abc'": 502, "204": 204} {
		tmplFile := writeFile(t, dir, "s.vtl", "#set($context.responseOverride.status = "+override+")")
		r = renderCLI(t, "--template", tmplFile, "--request", req, "--response-body", body, "--response-status", "502")
		require.Equal(t, 0, r.code, r.stderr)
		require.NoError(t, json.Unmarshal([]byte(r.stderr), &ov))
		assert.Equal(t, want, ov["status"], override)
	}
	r = renderCLI(t, "--template", tmpl, "--request", req, "--response-body", body)
	require.NoError(t, json.Unmarshal([]byte(r.stderr), &ov))
	assert.Equal(t, 200.0, ov["status"], "--response-status defaults to 200")

	// A template error exits 1 with "render error: ...".
	bad := writeFile(t, dir, "bad.vtl", "#if($x")
	r = renderCLI(t, "--template", bad, "--request", req)
	assert.Equal(t, 1, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "render error: "), r.stderr)
	assert.Empty(t, r.stdout)
	throws := writeFile(t, dir, "throws.vtl", "$input.params('id').substring(5)")
	r = renderCLI(t, "--template", throws, "--request", req)
	assert.Equal(t, 1, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "render error: "), r.stderr)

	// Usage errors name the problem.
	r = renderCLI(t, "--template", tmpl)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "render error: --template and --request are required")
}
