package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI answers like the deployed API: key check, the templates' validation, model answers.
func fakeAPI(t *testing.T, broken map[string]bool) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("x-api-key") != "K1234567890123456789" {
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"Missing or invalid API key; send it in the x-api-key header","requestId":"r"}`)
			return
		}
		switch {
		case strings.HasPrefix(r.URL.Path, "/dev/predicted-ratings/"):
			if r.URL.Query().Get("items") != "101,131,162" {
				w.WriteHeader(400)
				io.WriteString(w, `{"message":"items must be 1-100 comma-separated numeric ids"}`)
				return
			}
			if broken["ratings"] {
				io.WriteString(w, `{"ratings":[1.0]}`)
				return
			}
			io.WriteString(w, `{"ratings":[3.5,3.9,3.6]}`)
		case strings.HasPrefix(r.URL.Path, "/dev/recommended-movies/"):
			if r.URL.Query().Get("k") == "0" {
				w.WriteHeader(400)
				io.WriteString(w, `{"message":"k must be a whole number from 1 to 100"}`)
				return
			}
			assert.Equal(t, "/dev/recommended-movies/U:114521", r.URL.Path)
			io.WriteString(w, `{"user_id":"U:114521","inference_type":"deterministic","movies":[{"id":"m1","score":0.9}]}`)
		case r.URL.Path == "/dev/poster-genres":
			b, _ := io.ReadAll(r.Body)
			if ct := r.Header.Get("Content-Type"); ct != "image/png" && ct != "image/jpeg" {
				w.WriteHeader(415)
				io.WriteString(w, `{"message":"Unsupported Content-Type; send the bytes as one of: image/jpeg,image/png"}`)
				return
			}
			assert.Equal(t, poster, string(b), "the file's bytes, unchanged")
			io.WriteString(w, `{"predictions":[{"label":"drama","score":0.82}]}`)
		case r.URL.Path == "/dev/propensity-scores":
			if r.Header.Get("Content-Type") != "text/csv" {
				w.WriteHeader(415)
				io.WriteString(w, `{"message":"Unsupported Content-Type"}`)
				return
			}
			io.WriteString(w, `{"predictions":[{"score":0.8}]}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"No such route"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func outputsFor(base string) Outputs {
	return Outputs{
		RouteURLs: map[string]string{
			"predicted-ratings":  base + "/dev/predicted-ratings/{user_id}",
			"recommended-movies": base + "/dev/recommended-movies/{user_id}",
			"propensity-scores":  base + "/dev/propensity-scores",
		},
		RouteKinds:   map[string]string{"predicted-ratings": "ratings", "recommended-movies": "recommendations", "propensity-scores": "csv"},
		APIKeyValues: map[string]string{"a-client": "K1234567890123456789", "b-client": "other"},
	}
}

func TestSmokePassesAgainstAHealthyAPI(t *testing.T) {
	srv, calls := fakeAPI(t, nil)
	rep, err := Run(context.Background(), Config{Outputs: outputsFor(srv.URL), Requests: 5, CSV: "1,2\n"}, &http.Client{Timeout: 5 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Failed(), rep.String())
	// 3 checks per route + one timed-requests check per route; 5 timed requests per route.
	assert.Len(t, rep.Checks, 12)
	assert.Equal(t, int64(9+15), calls.Load())
	require.Len(t, rep.Latencies, 3)
	for _, l := range rep.Latencies {
		assert.Equal(t, 5, l.N)
		assert.LessOrEqual(t, l.P50, l.P99)
		assert.Greater(t, l.P99, time.Duration(0))
	}
	assert.Contains(t, rep.String(), "12 checks, 0 failed")
}

func TestSmokeFailsOnAWrongBodyAndSkipsCSVWithoutABody(t *testing.T) {
	srv, _ := fakeAPI(t, map[string]bool{"ratings": true})
	rep, err := Run(context.Background(), Config{Outputs: outputsFor(srv.URL), Requests: 2}, &http.Client{Timeout: 5 * time.Second})
	require.NoError(t, err)
	var failed []string
	for _, c := range rep.Checks {
		if !c.OK && !c.Skipped {
			failed = append(failed, c.Route+"/"+c.Name)
		}
	}
	assert.Equal(t, []string{"predicted-ratings/valid request"}, failed)
	assert.Contains(t, rep.String(), "skip propensity-scores")
	assert.Contains(t, rep.String(), `want {"ratings":[3 numbers]}`)
}

func TestSmokeFailsOnAnOpenAPIAndBadInput(t *testing.T) {
	// An API that accepts anything (no key check, no validation) fails the 400 and 403 checks.
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ratings":[1,2,3]}`)
	}))
	defer open.Close()
	out := outputsFor(open.URL)
	out.RouteURLs = map[string]string{"predicted-ratings": out.RouteURLs["predicted-ratings"]}
	rep, err := Run(context.Background(), Config{Outputs: out, Requests: 1}, http.DefaultClient)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Failed(), rep.String())

	_, err = Run(context.Background(), Config{Outputs: Outputs{RouteURLs: out.RouteURLs}}, http.DefaultClient)
	assert.EqualError(t, err, "no apiKeyValues in the outputs; read them with --show-secrets")
	_, err = Run(context.Background(), Config{Outputs: out, Client: "nobody"}, http.DefaultClient)
	assert.EqualError(t, err, `no API key for client "nobody"`)
	bad := out
	bad.RouteKinds = map[string]string{"predicted-ratings": "graphql"}
	_, err = Run(context.Background(), Config{Outputs: bad}, http.DefaultClient)
	assert.EqualError(t, err, `route predicted-ratings: unknown route kind "graphql" (routeKinds output)`)
}

// poster is the start of a real PNG file (binary: a NUL, bytes above 0x7F).
const poster = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

// Issue 17, item 2: a binary route sends the -binary file as its sniffed type, a multipart
// form for the 415, and is skipped without a file.
func TestSmokeBinaryRoute(t *testing.T) {
	srv, _ := fakeAPI(t, nil)
	out := Outputs{RouteURLs: map[string]string{"poster-genres": srv.URL + "/dev/poster-genres"},
		RouteKinds: map[string]string{"poster-genres": "binary"}, APIKeyValues: map[string]string{"a-client": "K1234567890123456789"}}
	rep, err := Run(context.Background(), Config{Outputs: out, Requests: 2, Binary: poster}, &http.Client{Timeout: 5 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Failed(), rep.String())
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"valid request", "wrong content type (multipart)", "missing key", "timed requests"}, names)

	rep, err = Run(context.Background(), Config{Outputs: out, Requests: 2}, &http.Client{Timeout: 5 * time.Second})
	require.NoError(t, err)
	assert.Contains(t, rep.String(), "skip poster-genres        valid request            no -csv or -binary body given")
	rep, err = Run(context.Background(), Config{Outputs: out, Requests: 1, Binary: poster, BinaryType: "image/gif"}, &http.Client{Timeout: 5 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Failed(), "a type the route does not take: the valid and timed checks fail\n%s", rep.String())
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var d []time.Duration
		for _, x := range n {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	assert.Equal(t, 3*time.Millisecond, percentile(ms(5, 1, 3, 2, 4), 50))
	assert.Equal(t, 5*time.Millisecond, percentile(ms(5, 1, 3, 2, 4), 99))
	assert.Equal(t, time.Duration(0), percentile(nil, 50))
}
