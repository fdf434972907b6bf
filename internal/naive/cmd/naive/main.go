// Command naive is the naive usage client (package naive) as a program of
// its own: the baseline the load test measures the exporter against. It
// pages through the usage of the billing periods it is given, streaming or
// keeping every row, and prints a naive.Report as JSON on stdout.
//
// It is built static with no cgo, as the exporter ships, and links only
// net/http, encoding/json, the naive package and what it needs to report,
// so that its memory floor is what a real naive client's would be.
//
//	naive -base-url URL -enrollment N -key-file F -periods 202611,202610 [-keep-rows]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/internal/loadtest/procstatus"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/naive"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is the command line.
type config struct {
	client   naive.Client
	periods  []string
	keepRows bool
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "naive: %v\n", err)
		return 2
	}
	report, err := refresh(context.Background(), cfg)
	if err == nil {
		err = json.NewEncoder(stdout).Encode(report)
	}
	if err != nil {
		fmt.Fprintf(stderr, "naive: %v\n", err)
		return 1
	}
	return 0
}

func parseArgs(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("naive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("base-url", "", "EA API base URL")
	enrollment := fs.String("enrollment", "", "enrollment number")
	keyFile := fs.String("key-file", "", "API key file")
	periods := fs.String("periods", "", "billing periods (yyyyMM), comma-separated")
	keepRows := fs.Bool("keep-rows", false, "keep every decoded row until the end")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if *baseURL == "" || *enrollment == "" || *keyFile == "" || *periods == "" {
		return config{}, errors.New("-base-url, -enrollment, -key-file and -periods are required")
	}
	key, err := os.ReadFile(*keyFile)
	if err != nil {
		return config{}, fmt.Errorf("reading the API key: %w", err)
	}
	return config{
		client: naive.Client{HTTP: &http.Client{Timeout: 10 * time.Minute}, BaseURL: *baseURL,
			Enrollment: *enrollment, Key: strings.TrimSpace(string(key))},
		periods:  strings.Split(*periods, ","),
		keepRows: *keepRows,
	}, nil
}

// refresh reads the usage of every period, as the exporter's first
// refresh does, and reports what it took.
func refresh(ctx context.Context, cfg config) (naive.Report, error) {
	heap := startHeapSampler()
	start := time.Now()
	sums := naive.Sums{KeepRows: cfg.keepRows}
	for _, p := range cfg.periods {
		if err := cfg.client.Period(ctx, p, &sums); err != nil {
			heap.stop()
			return naive.Report{}, err
		}
	}
	r := naive.Report{Rows: sums.Rows, Cost: sums.Cost, Seconds: time.Since(start).Seconds(),
		PeakHeap: heap.stop(), KeptRows: len(sums.Kept)}
	mem, err := procstatus.ReadSelf()
	if err != nil {
		return naive.Report{}, fmt.Errorf("reading the peak RSS: %w", err)
	}
	r.PeakRSS = mem.HWM
	return r, nil
}
