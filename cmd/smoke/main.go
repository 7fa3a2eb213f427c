// Command smoke checks a deployed stack end to end after `pulumi up` (a workstation or a
// Pulumi Deployments post-run step): for every route a valid request, a malformed one (400)
// and one without an API key (403), status and body shape, and p50/p99 latency over -n
// requests. It exits 1 on any failed check.
//
//	pulumi stack output --stack dev --json --show-secrets | go run ./cmd/smoke -n 20
//	go run ./cmd/smoke -outputs outputs.json -client tv-app-dev -csv rows.csv
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	var cfg Config
	outputs := flag.String("outputs", "-", "stack outputs JSON file (`pulumi stack output --json --show-secrets`), - for stdin")
	csvFile := flag.String("csv", "", "CSV body for CSV routes (without it their valid call is skipped)")
	binaryFile := flag.String("binary", "", "a file for binary routes, e.g. an image the model takes (without it their valid call is skipped)")
	flag.StringVar(&cfg.BinaryType, "binary-type", "", "the -binary file's media type, one of the route's contentTypes (default: sniffed from its bytes)")
	flag.StringVar(&cfg.Client, "client", "", "client whose API key is used (default: the first)")
	flag.IntVar(&cfg.Requests, "n", 10, "timed valid requests per route")
	timeout := flag.Duration("timeout", 30*time.Second, "timeout per request")
	flag.Parse()

	if err := run(&cfg, *outputs, *csvFile, *binaryFile, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(1)
	}
}

func run(cfg *Config, outputs, csvFile, binaryFile string, timeout time.Duration) error {
	in := io.Reader(os.Stdin)
	if outputs != "-" {
		f, err := os.Open(outputs)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	if err := json.NewDecoder(in).Decode(&cfg.Outputs); err != nil {
		return fmt.Errorf("reading stack outputs: %w", err)
	}
	if csvFile != "" {
		b, err := os.ReadFile(csvFile)
		if err != nil {
			return err
		}
		cfg.CSV = string(b)
	}
	if binaryFile != "" {
		b, err := os.ReadFile(binaryFile)
		if err != nil {
			return err
		}
		cfg.Binary = string(b)
	}
	rep, err := Run(context.Background(), *cfg, &http.Client{Timeout: timeout})
	if err != nil {
		return err
	}
	fmt.Print(rep.String())
	if rep.Failed() > 0 {
		return fmt.Errorf("%d check(s) failed", rep.Failed())
	}
	return nil
}
