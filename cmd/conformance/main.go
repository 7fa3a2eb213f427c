// Command conformance proves the mapping templates on AWS after `pulumi up`: for every golden
// case of every route it calls API Gateway's TestInvokeMethod on the deployed API (which runs
// the method, calls the model once and returns the status, body, headers and execution log),
// renders the same case with the local renderer (tests/vtl/render) on the model's logged
// answer, and compares the model payload, the client status and body, and the headers the
// templates set. It prints a table and exits 1 on any difference.
//
//	pulumi stack output --stack dev --json | go run ./cmd/conformance -stack dev
//	go run ./cmd/conformance -stack prod -outputs outputs.json -route predicted-ratings -case valid -record aws.jsonl
//
// Credentials and region come from the AWS SDK's default chain (the region from the invoke
// URL when AWS_REGION is unset); the caller needs apigateway:GET on the API's resources and
// apigateway:POST on its methods (TestInvokeMethod). Each case calls the model once.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/ml-rest-api/ml-rest-api/infra"
	"github.com/ml-rest-api/ml-rest-api/infra/api"
	"github.com/ml-rest-api/ml-rest-api/tests/vtl"
)

func main() {
	var o options
	flag.StringVar(&o.stack, "stack", "", "the stack (reads Pulumi.<stack>.yaml for its routes and stage variables)")
	flag.StringVar(&o.outputs, "outputs", "-", "stack outputs JSON file (`pulumi stack output --json`), - for stdin")
	flag.StringVar(&o.route, "route", "", "only this route")
	flag.StringVar(&o.cas, "case", "", "only this case")
	flag.StringVar(&o.record, "record", "", "write what AWS rendered as corpus cases (JSON lines) to this file")
	flag.StringVar(&o.endpoint, "endpoint-url", "", "API Gateway endpoint (for a local fake; default: AWS's)")
	flag.Parse()
	ok, err := run(context.Background(), o, os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

type options struct {
	stack, outputs, route, cas, record, endpoint string
	// api replaces the AWS client (tests).
	api Invoker
}

// run returns whether every case was the same.
func run(ctx context.Context, o options, stdin io.Reader, stdout io.Writer) (bool, error) {
	if o.stack == "" {
		return false, fmt.Errorf("-stack is required (the stack whose outputs are read)")
	}
	in := stdin
	if o.outputs != "-" && o.outputs != "" {
		f, err := os.Open(o.outputs)
		if err != nil {
			return false, fmt.Errorf("cannot read the stack outputs: %w", err)
		}
		defer f.Close()
		in = f
	}
	outs, region, err := ReadOutputs(in)
	if err != nil {
		return false, err
	}
	root, err := vtl.ModuleRoot()
	if err != nil {
		return false, err
	}
	stackAPI, err := infra.LoadStackAPI(root, o.stack, region)
	if err != nil {
		return false, err
	}
	cfg, routes := stackAPI.Config, stackAPI.Routes
	rn := &Runner{API: o.api, Outputs: outs, Routes: map[string]api.Route{}, Operations: stackAPI.Operations, Renderer: vtl.Renderer(root),
		StageVars: stackAPI.StageVariables}
	for _, r := range routes {
		if _, deployed := outs.RouteKinds[r.Path]; !deployed {
			return false, fmt.Errorf("route %s of Pulumi.%s.yaml is not in the stack outputs: run `pulumi up --stack %s` first", r.Path, o.stack, o.stack)
		}
		rn.Routes[r.Path] = r
	}
	if rn.API == nil {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
		if err != nil {
			return false, err
		}
		rn.API = apigateway.NewFromConfig(awsCfg, func(a *apigateway.Options) {
			if o.endpoint != "" {
				a.BaseEndpoint = aws.String(o.endpoint)
			}
		})
	}
	var cases []Case
	for _, c := range Cases(routes, cfg, outs.CanaryEndpointName) {
		switch {
		case (o.route != "" && c.Route != o.route) || (o.cas != "" && c.Name != o.cas):
		case !c.Sendable():
			fmt.Fprintf(stdout, "skipped %s %s: a binary body, which TestInvokeMethod (a string body) cannot send; the smoke test sends it (-binary)\n", c.Route, c.Name)
		default:
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return false, fmt.Errorf("no case matches -route %q -case %q", o.route, o.cas)
	}
	results, err := rn.Run(ctx, cases)
	if err != nil {
		return false, err
	}
	_, different := Table(stdout, results)
	if o.record != "" {
		if err := record(o.record, rn, results, region); err != nil {
			return false, err
		}
	}
	return different == 0, nil
}

// record writes the results as golden cases (-record).
func record(path string, rn *Runner, results []Result, region string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return rn.Record(f, results, region, time.Now())
}
