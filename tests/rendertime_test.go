package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Render time of the deployed templates at the caps (issue 16, item 8): dev's maxItems and maxK
// (100 each) and a 6 MB model body (SageMaker's real-time payload limit). Each case is rendered
// once and four times in one renderer process; (t4 - t1) / 3 is the time of one request plus
// response render without the JVM's start. The figures are logged for the README; the bound
// only catches a pathological template (the README's figures are the logged ones).
func TestTemplateRenderTimeAtTheCaps(t *testing.T) {
	t.Parallel()
	ids := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprint(i + 1)
		}
		return strings.Join(l, ",")
	}
	repeat := func(s string, n int) string { return strings.TrimSuffix(strings.Repeat(s+",", n), ",") }
	sixMB := 6 << 20
	bigRatings := `{"predictions":[` + repeat(`{"scores":[3.527499437332153]}`, sixMB/31) + `]}`
	bigRecs := `{"predictions":[{"movie_ids":[` + repeat(`"m1234567"`, sixMB/22) + `],"scores":[` + repeat(`0.5`, sixMB/22) + `]}]}`
	cases := []struct {
		name, path string
		c          call
		status     int
	}{
		{"ratings, 100 items", "predicted-ratings", call{user: "1", query: q("items", ids(100)), modelStatus: 200, modelBody: `{"predictions":[` + repeat(`{"scores":[3.527499437332153]}`, 100) + `]}`}, 200},
		{"recommendations, k=100", "recommended-movies", call{user: "U:1", query: q("k", "100"), modelStatus: 200,
			modelBody: `{"predictions":[{"movie_ids":[` + repeat(`"m1234567"`, 100) + `],"scores":[` + repeat(`0.5`, 100) + `]}]}`}, 200},
		{"ratings, 6 MB model body", "predicted-ratings", call{user: "1", query: q("items", ids(100)), modelStatus: 200, modelBody: bigRatings}, 502},
		{"recommendations, 6 MB model body", "recommended-movies", call{user: "U:1", query: q("k", "100"), modelStatus: 200, modelBody: bigRecs}, 502},
		// 100 valid movies in a 6 MB body: the template parses the body once, not once per movie.
		{"recommendations, k=100 in a 6 MB body", "recommended-movies", call{user: "U:1", query: q("k", "100"), modelStatus: 200,
			modelBody: `{"predictions":[{"movie_ids":[` + repeat(`"m1234567"`, 100) + `],"scores":[` + repeat(`0.5`, 100) + `]}],"padding":"` + strings.Repeat("x", sixMB) + `"}`}, 200},
	}
	for _, c := range cases {
		timed := func(n int) time.Duration {
			var calls []call
			for i := 0; i < n; i++ {
				cl := c.c
				cl.name = fmt.Sprint(i)
				calls = append(calls, cl)
			}
			start := time.Now()
			ex := runCalls(t, "dev", c.path, calls)
			d := time.Since(start)
			assert.Equal(t, c.status, ex["0"].ClientStatus, c.name)
			return d
		}
		one, four := timed(1), timed(4)
		per := (four - one) / 3
		t.Logf("render %-34s %6d ms per request+response (1 case: %d ms, 4 cases: %d ms)", c.name, per.Milliseconds(), one.Milliseconds(), four.Milliseconds())
		assert.Less(t, per, 5*time.Second, c.name)
	}
}
