package main

// Tested against a local HTTP server that speaks the TestInvokeMethod and GetResources REST
// shapes of AWS's API reference (GET /restapis/{id}/resources → {"item":[{"id","path"}]};
// POST /restapis/{id}/resources/{rid}/methods/{method} → {"status","body","headers","log"}),
// with the SDK pointed at it. These are not runs on AWS.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

const (
	blogPayload = `{"instances":[{"in0":[321],"in1":[101]},{"in0":[321],"in1":[131]},{"in0":[321],"in1":[162]}]}`
	blogModel   = `{"predictions":[{"scores":[3.527499437332153]},{"scores":[3.951640844345093]},{"scores":[3.658416271209717]}]}`
	blogClient  = `{"ratings":[3.527499437332153,3.951640844345093,3.658416271209717]}`
	secretKey   = "SecretKeyValue0123456789abcdef"
)

// fakeAWS answers GetResources for dev's routes and TestInvokeMethod with what answer returns.
type fakeAWS struct {
	mu     sync.Mutex
	calls  []map[string]any
	answer func(path string) map[string]any
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/resources"):
		json.NewEncoder(w).Encode(map[string]any{"item": []map[string]any{
			{"id": "root", "path": "/"}, {"id": "r1", "path": "/predicted-ratings"}, {"id": "r2", "path": "/predicted-ratings/{user_id}"},
			{"id": "r3", "path": "/recommended-movies"}, {"id": "r4", "path": "/recommended-movies/{user_id}"}, {"id": "r5", "path": "/propensity-scores"},
			{"id": "r6", "path": "/poster-genres"},
		}})
	case r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/methods/"):
		var in map[string]any
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		f.calls = append(f.calls, in)
		f.mu.Unlock()
		json.NewEncoder(w).Encode(f.answer(in["pathWithQueryString"].(string)))
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"not found"}`))
	}
}

// invoked is a TestInvokeMethod answer: a log with the transformed request, SageMaker's status
// and answer, then the client's status, body and headers.
func invoked(payload string, modelStatus int, modelBody string, status int, body string, headers map[string]string) map[string]any {
	log := "Execution log for request test-request\n" +
		"Thu Dec 02 10:00:00 UTC 2026 : Endpoint request body after transformations: " + payload + "\n" +
		"Thu Dec 02 10:00:00 UTC 2026 : Received response. Status: " + itoa(modelStatus) + ", Integration latency: 31 ms\n" +
		"Thu Dec 02 10:00:00 UTC 2026 : Endpoint response body before transformations: " + modelBody + "\n" +
		"Thu Dec 02 10:00:00 UTC 2026 : Method completed with status: " + itoa(status) + "\n"
	if headers == nil {
		headers = map[string]string{}
	}
	headers["X-Request-Id"] = "test-request"
	return map[string]any{"status": status, "body": body, "headers": headers, "log": log, "latency": 40}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// conformance runs the command against the fake for dev's outputs.
func conformance(t *testing.T, answer func(path string) map[string]any, args options) (bool, string, *fakeAWS, error) {
	t.Helper()
	if err := vtl.Check(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the template renderer is missing: %v", err)
		}
		t.Skipf("the template renderer is missing: %v", err)
	}
	fake := &fakeAWS{answer: answer}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	outputs := `{"restApiId":"a1b2c3d4e5","stageName":"dev","invokeUrl":"https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev",
"routeKinds":{"predicted-ratings":"ratings","recommended-movies":"recommendations","propensity-scores":"csv","poster-genres":"binary"},
"apiKeyValues":{"tv-app-dev":"` + secretKey + `"}}`
	args.stack, args.endpoint = "dev", srv.URL
	var out bytes.Buffer
	ok, err := run(context.Background(), args, strings.NewReader(outputs), &out)
	t.Log("\n" + out.String())
	assert.NotContains(t, out.String(), secretKey, "never prints API key values")
	return ok, out.String(), fake, err
}

func valid(path string) map[string]any {
	return invoked(blogPayload, 200, blogModel, 200, blogClient, nil)
}

func TestSame(t *testing.T) {
	ok, out, fake, err := conformance(t, valid, options{route: "predicted-ratings", cas: "valid"})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Contains(t, out, "predicted-ratings      valid            same       model 200 → client 200 (ratings.response.vtl)")
	assert.Contains(t, out, "1 same, 0 different (one model call per case)")
	require.Len(t, fake.calls, 1, "one TestInvokeMethod (one model call) per case")
	assert.Equal(t, "/predicted-ratings/321?items=101%2C131%2C162", fake.calls[0]["pathWithQueryString"])
	assert.Equal(t, "ml-rest-api-dev-ratings", fake.calls[0]["stageVariables"].(map[string]any)["ratingsEndpoint"], "the stage's variables are sent")
}

func TestDifferences(t *testing.T) {
	for name, c := range map[string]struct {
		answer func(string) map[string]any
		want   string
	}{
		"payload": {func(string) map[string]any {
			return invoked(`{"instances":[{"in0":[321],"in1":[101]}]}`, 200, blogModel, 200, blogClient, nil)
		}, `model payload: local "{\"instances\":[{\"in0\":[321],\"in1\":[101]},`},
		"payload whitespace": {func(string) map[string]any {
			return invoked(strings.ReplaceAll(blogPayload, ",", ", "), 200, blogModel, 200, blogClient, nil)
		}, "model payload: same JSON, different text"},
		"status": {func(string) map[string]any { return invoked(blogPayload, 200, blogModel, 500, blogClient, nil) },
			"client status: local 200, AWS 500"},
		"body": {func(string) map[string]any {
			return invoked(blogPayload, 200, blogModel, 200, `{"ratings":[3.5]}`, nil)
		},
			`client body: local "{\"ratings\":[3.527499437332153`},
		"header": {func(string) map[string]any {
			return invoked(blogPayload, 503, `{}`, 503, `{"message":"The model is temporarily unavailable; retry with backoff"}`, nil)
		}, `header Retry-After: local "1", AWS ""`},
		"no transformed body in the log": {func(string) map[string]any {
			a := invoked(blogPayload, 200, blogModel, 200, blogClient, nil)
			a["log"] = "Execution log for request test-request\nThu Dec 02 10:00:00 UTC 2026 : Method request body before transformations: \n"
			return a
		}, `the execution log has no "Endpoint request body after transformations"`},
	} {
		t.Run(name, func(t *testing.T) {
			ok, out, _, err := conformance(t, c.answer, options{route: "predicted-ratings", cas: "valid"})
			require.NoError(t, err)
			assert.False(t, ok, "a difference fails the run")
			assert.Contains(t, out, "DIFFERENT")
			assert.Contains(t, out, c.want)
		})
	}
}

func TestEveryCaseOnce(t *testing.T) {
	_, out, fake, err := conformance(t, valid, options{})
	require.NoError(t, err)
	assert.Len(t, fake.calls, 11, "dev: 4 ratings cases, 4 recommendations cases, 1 CSV case, 2 binary cases; one model call each")
	assert.Contains(t, out, "propensity-scores")
	assert.Contains(t, out, "skipped poster-genres image: a binary body, which TestInvokeMethod (a string body) cannot send")
	_, _, _, err = conformance(t, valid, options{route: "nope"})
	assert.EqualError(t, err, `no case matches -route "nope" -case ""`)
}

func TestRecord(t *testing.T) {
	file := filepath.Join(t.TempDir(), "aws.jsonl")
	ok, _, _, err := conformance(t, valid, options{route: "predicted-ratings", cas: "valid", record: file})
	require.NoError(t, err)
	require.True(t, ok)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2, "the request and the response template")
	var req, resp map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &req))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &resp))
	assert.Equal(t, "aws-recorded", req["expected_kind"])
	assert.Equal(t, "render-request", req["kind"])
	assert.Equal(t, blogPayload, req["expected"])
	assert.Contains(t, req["source"], "a1b2c3d4e5 (eu-west-1, stage dev)")
	assert.Equal(t, "render-response", resp["kind"])
	assert.Equal(t, blogClient, resp["expected"])
	assert.Equal(t, blogModel, resp["integration_response"].(map[string]any)["body"])
}

func TestRefusesUnreadableOutputs(t *testing.T) {
	for outputs, want := range map[string]string{
		`not json`: "cannot read the stack outputs",
		`{}`:       "the stack outputs have no restApiId",
		`{"restApiId":"a","stageName":"dev","invokeUrl":"https://a.execute-api.eu-west-1.amazonaws.com/dev"}`: "the stack outputs have no routeKinds",
		`{"restApiId":"a","stageName":"dev","invokeUrl":"http://example.com","routeKinds":{"x":"ratings"}}`:   "is not an execute-api URL",
	} {
		_, err := run(context.Background(), options{stack: "dev"}, strings.NewReader(outputs), &bytes.Buffer{})
		assert.ErrorContains(t, err, want, outputs)
	}
	_, err := run(context.Background(), options{}, strings.NewReader(`{}`), &bytes.Buffer{})
	assert.ErrorContains(t, err, "-stack is required")
}

// A binary route's case: no request template, so the payload AWS logs is the body itself; the
// model's answer is replaced by the route's 415 for a multipart form.
func TestBinaryRouteCase(t *testing.T) {
	const form = "--ml\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nnot an image\r\n--ml--\r\n"
	const unsupported = `{"message":"Unsupported Content-Type; send the bytes as one of: image/jpeg,image/png"}`
	answer := func(payload string) func(string) map[string]any {
		return func(string) map[string]any {
			return invoked(payload, 400, `{"ErrorCode":"CLIENT_ERROR_FROM_MODEL"}`, 415, unsupported, nil)
		}
	}
	ok, out, fake, err := conformance(t, answer(form), options{route: "poster-genres", cas: "multipart"})
	require.NoError(t, err)
	assert.True(t, ok, out)
	require.Len(t, fake.calls, 1)
	assert.Equal(t, form, fake.calls[0]["body"], "the form is sent as the body")
	assert.Equal(t, "multipart/form-data; boundary=ml", fake.calls[0]["headers"].(map[string]any)["Content-Type"])

	// A template applied where none should be (AWS logging another payload) is a difference.
	ok, out, _, err = conformance(t, answer(`{"transformed":true}`), options{route: "poster-genres", cas: "multipart"})
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Contains(t, out, "model payload: local")
}

// CSV rows span lines in the execution log; the whole payload is compared, not its first line.
func TestMultiLinePayloads(t *testing.T) {
	const rows = "34,0.5,1,0\n27,0.25,0,1\n"
	const answer = `{"predictions":[{"score":0.5},{"score":0.5}]}`
	for logged, same := range map[string]bool{rows: true, "34,0.5,1,0\n": false} {
		ok, out, _, err := conformance(t, func(string) map[string]any { return invoked(logged, 200, answer, 200, answer, nil) },
			options{route: "propensity-scores", cas: "rows"})
		require.NoError(t, err)
		assert.Equal(t, same, ok, "AWS logged %q:\n%s", logged, out)
	}
}
