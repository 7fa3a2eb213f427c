package tests

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Hostile or broken model answers (issue 16), through the renderer with the templates the
// document deploys: every answer is a fixed, valid JSON body with the right status; nothing
// the model wrote reaches the client unless it is exactly the container contract; a 503 says
// when to retry; an allowed Origin is echoed on every answer.
//
// Contract (README, "Container contracts"): ratings — "predictions" is an array of exactly one
// object per item, each exactly {"scores":[<finite number>]}; recommendations — exactly one
// prediction with "movie_ids" (strings or integers) and "scores" (finite numbers), as many
// scores as ids, at most k; a body that is not strict JSON is refused. SageMaker status: 429
// and 5XX are transient (503 + Retry-After), any other 4XX a model error (502; 400 for CSV).
// Invalid client input is always the fixed 400, whatever the model answered.

const (
	msgScore   = `{"message":"The model could not score this request"}`
	msgRank    = `{"message":"The model could not rank movies for this request"}`
	msgUnavail = `{"message":"The model is temporarily unavailable; retry with backoff"}`
	msgCSV     = `{"message":"The model rejected the CSV payload; send rows in the column order the model expects"}`
	msgProdK   = `{"message":"k must be a whole number from 1 to 50"}`
	leakARN    = "arn:aws:iam::123456789012:role/x"
)

type hostile struct {
	name       string
	status     int
	body       string
	user       string
	query      map[string][]string
	wantStatus int
	want       string // exact JSON; "" = any valid JSON (checked for the 200s by decoding)
}

var ratingsHostile = []hostile{
	{name: "NaN score", status: 200, body: `{"predictions":[{"scores":[NaN]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "Infinity score", status: 200, body: `{"predictions":[{"scores":[Infinity]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "-Infinity score", status: 200, body: `{"predictions":[{"scores":[-Infinity]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "1e400 score", status: 200, body: `{"predictions":[{"scores":[1e400]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "null score", status: 200, body: `{"predictions":[{"scores":[null]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "boolean score", status: 200, body: `{"predictions":[{"scores":[true]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "numeric string score", status: 200, body: `{"predictions":[{"scores":["3.5"]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "ARN string score", status: 200, body: `{"predictions":[{"scores":["` + leakARN + `"]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "array score", status: 200, body: `{"predictions":[{"scores":[[1]]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "object score", status: 200, body: `{"predictions":[{"scores":[{"v":1}]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "predictions object", status: 200, body: `{"predictions":{"a":{"scores":[1]},"b":{"scores":[2]}}}`, wantStatus: 502, want: msgScore},
	{name: "extra prediction without scores", status: 200, body: `{"predictions":[{"scores":[1]},{"error":"item 131 unknown"},{"scores":[2]}]}`, wantStatus: 502, want: msgScore},
	{name: "missing prediction", status: 200, body: `{"predictions":[{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "prediction with an extra key", status: 200, body: `{"predictions":[{"scores":[1],"debug":"x"},{"scores":[2]}]}`, wantStatus: 502, want: msgScore},
	{name: "two scores", status: 200, body: `{"predictions":[{"scores":[1,2]},{"scores":[2]}]}`, wantStatus: 502, want: msgScore},
	{name: "empty scores", status: 200, body: `{"predictions":[{"scores":[]},{"scores":[2]}]}`, wantStatus: 502, want: msgScore},
	{name: "trailing text", status: 200, body: `{"predictions":[{"scores":[1]},{"scores":[2]}]} trailing`, wantStatus: 502, want: msgScore},
	{name: "single quotes", status: 200, body: `{'predictions':[{'scores':[1]},{'scores':[2]}]}`, wantStatus: 502, want: msgScore},
	{name: "not JSON", status: 200, body: `hello`, wantStatus: 502, want: msgScore},
	{name: "empty body", status: 200, body: ``, wantStatus: 502, want: msgScore},
	{name: "predictions null", status: 200, body: `{"predictions":null}`, wantStatus: 502, want: msgScore},
	{name: "predictions string", status: 200, body: `{"predictions":"` + leakARN + `"}`, wantStatus: 502, want: msgScore},
	{name: "two documents", status: 200, body: `{"predictions":[{"scores":[1]},{"scores":[2]}]}{"predictions":[]}`, wantStatus: 502, want: msgScore},
	{name: "duplicate key", status: 200, body: `{"predictions":[{"scores":[1]},{"scores":[2]}],"predictions":[{"scores":[9]},{"scores":[9]}]}`, wantStatus: 502, want: msgScore},
	{name: "top-level array", status: 200, body: `[{"scores":[1]},{"scores":[2]}]`, wantStatus: 502, want: msgScore},
	{name: "HTML error page", status: 200, body: `<html><body>502 Bad Gateway</body></html>`, wantStatus: 502, want: msgScore},
	{name: "prediction is a number", status: 200, body: `{"predictions":[1,2]}`, wantStatus: 502, want: msgScore},
	{name: "1e309 score", status: 200, body: `{"predictions":[{"scores":[1e309]},{"scores":[1]}]}`, wantStatus: 502, want: msgScore},
	{name: "negative and integer scores", status: 200, body: `{"predictions":[{"scores":[-1.5]},{"scores":[4]}]}`, wantStatus: 200, want: `{"ratings":[-1.5,4]}`},
	{name: "spaced valid JSON", status: 200, body: "{ \"predictions\" : [ {\"scores\": [0.5]},\n {\"scores\":[2.25]} ] }\n", wantStatus: 200, want: `{"ratings":[0.5,2.25]}`},
	{name: "4XX with a success-shaped body", status: 400, body: `{"predictions":[{"scores":[1]},{"scores":[2]}]}`, wantStatus: 502, want: msgScore},
	{name: "424 model error", status: 424, body: `{"ErrorCode":"ModelError","OriginalMessage":"boom","LogStreamArn":"` + leakARN + `"}`, wantStatus: 502, want: msgScore},
	{name: "404", status: 404, body: `{"message":"not found"}`, wantStatus: 502, want: msgScore},
	{name: "429 throttled", status: 429, body: `{"message":"ThrottlingException: Rate exceeded"}`, wantStatus: 503, want: msgUnavail},
	{name: "500", status: 500, body: `{"ErrorCode":"InternalFailure"}`, wantStatus: 503, want: msgUnavail},
	{name: "503", status: 503, body: `{"ErrorCode":"ServiceUnavailable"}`, wantStatus: 503, want: msgUnavail},
	{name: "invalid user and a 500", status: 500, body: `x`, user: "01", wantStatus: 400, want: msgUser},
	{name: "invalid items and a 429", status: 429, body: `x`, query: q("items", "1,,2"), wantStatus: 400, want: msgItems},
	{name: "invalid user and a 424", status: 424, body: `x`, user: "a", wantStatus: 400, want: msgUser},
	{name: "invalid user and a 200", status: 200, body: `{"predictions":[{"scores":[1]},{"scores":[2]}]}`, user: "-1", wantStatus: 400, want: msgUser},
}

var recsHostile = []hostile{
	{name: "NaN score", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[NaN]}]}`, wantStatus: 502, want: msgRank},
	{name: "Infinity score", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[Infinity]}]}`, wantStatus: 502, want: msgRank},
	{name: "1e400 score", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[1e400]}]}`, wantStatus: 502, want: msgRank},
	{name: "string score", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":["` + leakARN + `"]}]}`, wantStatus: 502, want: msgRank},
	{name: "null score", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[null]}]}`, wantStatus: 502, want: msgRank},
	{name: "boolean score", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[false]}]}`, wantStatus: 502, want: msgRank},
	{name: "object id", status: 200, body: `{"predictions":[{"movie_ids":[{"arn":"` + leakARN + `"}],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "boolean id", status: 200, body: `{"predictions":[{"movie_ids":[true],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "null id", status: 200, body: `{"predictions":[{"movie_ids":[null],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "array id", status: 200, body: `{"predictions":[{"movie_ids":[["m1"]],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "fractional id", status: 200, body: `{"predictions":[{"movie_ids":[1.5],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "movie_ids a string", status: 200, body: `{"predictions":[{"movie_ids":"m1","scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "scores an object", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":{"m1":1}}]}`, wantStatus: 502, want: msgRank},
	{name: "two predictions", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[1]},{"movie_ids":["m2"],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "no prediction", status: 200, body: `{"predictions":[]}`, wantStatus: 502, want: msgRank},
	{name: "fewer scores than ids", status: 200, body: `{"predictions":[{"movie_ids":["m1","m2"],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "more than k", status: 200, body: `{"predictions":[{"movie_ids":["m1","m2","m3"],"scores":[3,2,1]}]}`, query: q("k", "2"), wantStatus: 502, want: msgRank},
	{name: "trailing text", status: 200, body: `{"predictions":[{"movie_ids":["m1"],"scores":[1]}]} and more`, wantStatus: 502, want: msgRank},
	{name: "single-quoted body", status: 200, body: `{'predictions':[{'movie_ids':['m1'],'scores':[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "single-quoted ids", status: 200, body: `{"predictions":[{"movie_ids":['m1'],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "not JSON", status: 200, body: `Traceback (most recent call last): KeyError`, wantStatus: 502, want: msgRank},
	{name: "predictions object", status: 200, body: `{"predictions":{"movie_ids":["m1"],"scores":[1]}}`, wantStatus: 502, want: msgRank},
	{name: "mixed valid ids", status: 200, body: `{"predictions":[{"movie_ids":["m1",2,"x\"y"],"scores":[0.5,-1,1e2]}]}`, wantStatus: 200,
		want: `{"user_id":"U:1","inference_type":"deterministic","movies":[{"id":"m1","score":0.5},{"id":"2","score":-1},{"id":"x\"y","score":100.0}]}`},
	{name: "4XX with a success-shaped body", status: 400, body: `{"predictions":[{"movie_ids":["m1"],"scores":[1]}]}`, wantStatus: 502, want: msgRank},
	{name: "424 model error", status: 424, body: `{"OriginalMessage":"boom","LogStreamArn":"` + leakARN + `"}`, wantStatus: 502, want: msgRank},
	{name: "429 scaling from zero", status: 429, body: `{"message":"ModelNotReadyException"}`, wantStatus: 503, want: msgUnavail},
	{name: "500", status: 500, body: `{}`, wantStatus: 503, want: msgUnavail},
	{name: "invalid k and a 500", status: 500, body: `x`, query: q("k", "0"), wantStatus: 400, want: msgProdK},
	{name: "invalid k and a 424", status: 424, body: `x`, query: q("k", "51"), wantStatus: 400, want: msgProdK},
}

var csvHostile = []hostile{
	{name: "400 rejected rows", status: 400, body: `{"OriginalMessage":"bad row 3"}`, wantStatus: 400, want: msgCSV},
	{name: "424", status: 424, body: `{"LogStreamArn":"` + leakARN + `"}`, wantStatus: 400, want: msgCSV},
	{name: "429", status: 429, body: `throttled`, wantStatus: 503, want: msgUnavail},
	{name: "500", status: 500, body: `boom`, wantStatus: 503, want: msgUnavail},
}

func TestHostileModelAnswers(t *testing.T) {
	t.Parallel()
	const origin = "https://www.example-tv.com" // allowed in prod
	csvBody := "1,0.5,3\n"
	run := func(path string, cases []hostile, defaults hostile) {
		var calls []call
		for _, c := range cases {
			user, query := c.user, c.query
			if user == "" {
				user = defaults.user
			}
			if query == nil {
				query = defaults.query
			}
			cl := call{name: c.name, user: user, query: query, modelStatus: c.status, modelBody: c.body,
				headers: map[string][]string{"Origin": {origin}}}
			if path == "propensity-scores" {
				cl.body, cl.headers["Content-Type"] = &csvBody, []string{"text/csv"}
			}
			calls = append(calls, cl)
		}
		ex := runCalls(t, "prod", path, calls)
		for _, c := range cases {
			got := ex[c.name]
			id := fmt.Sprintf("%s: %s", path, c.name)
			assert.Equal(t, c.wantStatus, got.ClientStatus, id)
			var v any
			if assert.NoError(t, json.Unmarshal([]byte(got.ClientBody), &v), "%s: valid JSON: %q", id, got.ClientBody) && c.want != "" {
				assertJSONEqual(t, c.want, got.ClientBody, id)
			}
			for _, secret := range []string{"arn:", "123456789012", "Traceback", "OriginalMessage", "LogStream", "boom", "ThrottlingException", "ModelNotReady"} {
				assert.NotContains(t, got.ClientBody, secret, "%s leaks %s", id, secret)
			}
			if c.wantStatus == 503 {
				assert.Equal(t, "1", got.Headers["Retry-After"], "%s: Retry-After", id)
			} else {
				assert.Nil(t, got.Headers["Retry-After"], "%s: Retry-After only on 503", id)
			}
			assert.Equal(t, origin, got.Headers["Access-Control-Allow-Origin"], "%s: the allowed origin is echoed", id)
		}
	}
	run("predicted-ratings", ratingsHostile, hostile{user: "321", query: q("items", "131,162")})
	run("recommended-movies", recsHostile, hostile{user: "U:1", query: map[string][]string{}})
	run("propensity-scores", csvHostile, hostile{})
	assert.GreaterOrEqual(t, len(ratingsHostile)+len(recsHostile)+len(csvHostile), 60)
}
