// Command preview shows what a route does with a sample request, like the console's Test
// button: what the model receives and what the client gets back, rendered with the templates
// and stage variables exactly as the program deploys them (nothing is sent to AWS).
//
//	go run ./cmd/preview -stack dev -route predicted-ratings user_id=321 items=101,131,162
//	go run ./cmd/preview -stack prod -route recommended-movies user_id=U:114521 k=5 inference_type=stochastic_epsilon_greedy
//	go run ./cmd/preview -stack dev -route propensity-scores -body-file rows.csv
//	go run ./cmd/preview -stack dev -route predicted-ratings -model-status 424 -model-response '{"OriginalMessage":"x"}' user_id=1 items=2
//
// Arguments name=value set the path parameter of that name, else a query-string parameter
// (repeat a name for several values); header:Name=value sets a request header. Without
// -model-response the model answers with a plausible sample for the route kind.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o Options
	flag.StringVar(&o.Stack, "stack", "dev", "stack whose Pulumi.<stack>.yaml configures the route")
	flag.StringVar(&o.Route, "route", "", "route path, e.g. predicted-ratings (required)")
	flag.StringVar(&o.BodyFile, "body-file", "", "request body file (CSV routes)")
	flag.IntVar(&o.ModelStatus, "model-status", 200, "status SageMaker answers with")
	flag.StringVar(&o.ModelResponse, "model-response", "", "body SageMaker answers with (default: a sample for the route kind)")
	flag.Parse()
	o.Args = flag.Args()
	if o.Route == "" {
		fmt.Fprintln(os.Stderr, "preview: -route is required (e.g. -route predicted-ratings)")
		os.Exit(2)
	}
	t, err := Run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "preview:", err)
		os.Exit(1)
	}
	fmt.Print(t.String())
}
