// Command loadtest measures the exporter the way a large EA enrollment uses
// it. It serves fakeapi on a loopback port in its own process, runs the real
// exporter binary against it as a child process, and reports:
//
//   - the first refresh: its time and the bytes fetched, for an enrollment
//     whose two exported periods hold -rows usage rows;
//   - the second refresh, with unchanged data: the bytes fetched (ETags and
//     If-None-Match, the settle window);
//   - the same first refresh done by a naive client (cmd/naive: pages through
//     the same JSON with encoding/json into full structs, summing cost),
//     streaming and then keeping the rows, in a process of its own: its time
//     and peak heap, and whether its sums equal the exporter's;
//   - the memory of both: peak RSS (VmHWM), and the peaks of anonymous
//     (private) memory and file-backed memory (binary pages), sampled from
//     /proc/<pid>/status every 2 ms: the exporter from its start to its first
//     complete snapshot, the naive client over its whole run. Both are built
//     as the exporter ships (static, no cgo) unless -exporter or -naive-bin
//     name other binaries;
//   - /metrics latency (p50, p99) with 10,000 and 100,000 usage series under
//     concurrent scrapers.
//
// Everything runs on 127.0.0.1. Usage:
//
//	go run ./internal/loadtest -rows 1000000
//	go run ./internal/loadtest -rows 0 -series 10000,100000 -scrapers 4
//
// The fake's clock is the real one: a run that crosses midnight UTC sees the
// data change (a new day arrives) between the two refreshes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	rows        int
	series      []int
	scrapers    int
	scrapeTime  time.Duration
	maxScrapes  int
	interval    time.Duration
	exporterBin string
	naiveBin    string
	naive       bool
	keep        bool
	gzip        bool
	method      string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, err := os.MkdirTemp("", "azure-ea-loadtest-")
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	if err := measure(ctx, o, work, stdout); err != nil {
		// The work directory holds the exporter's log: keep it.
		fmt.Fprintf(stderr, "loadtest: %v (configuration and logs in %s)\n", err, work)
		return 1
	}
	if o.keep {
		fmt.Fprintf(stderr, "loadtest: configuration and logs in %s\n", work)
	} else {
		os.RemoveAll(work)
	}
	return 0
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var series string
	fs.IntVar(&o.rows, "rows", 100000, "usage rows in the two exported billing periods (0: skip the refresh measurement)")
	fs.StringVar(&series, "series", "10000,100000", "usage series counts to measure /metrics latency with, comma-separated (empty: skip)")
	fs.IntVar(&o.scrapers, "scrapers", 4, "concurrent scrapers")
	fs.DurationVar(&o.scrapeTime, "scrape-time", 15*time.Second, "how long the scrapers run per series count")
	fs.IntVar(&o.maxScrapes, "max-scrapes", 400, "at most this many scrapes per series count")
	fs.DurationVar(&o.interval, "interval", 0, "the exporter's --refresh.interval (default: 20s plus 40s per million rows)")
	fs.StringVar(&o.exporterBin, "exporter", "", "exporter binary (default: a static build of the module root, as the Dockerfile's)")
	fs.StringVar(&o.naiveBin, "naive-bin", "", "naive client binary (default: a static build of "+naivePkg+")")
	fs.BoolVar(&o.naive, "naive", true, "also run the naive client")
	fs.BoolVar(&o.gzip, "gzip", true, "scrape with Accept-Encoding: gzip, as Prometheus does")
	fs.StringVar(&o.method, "usage-method", "auto", "the exporter's usage_method for the refresh run: auto, json, csv or async")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (configuration, logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.rows < 0 || o.scrapers < 1 || o.maxScrapes < 1 || o.scrapeTime <= 0 {
		return o, errors.New("-rows must be 0 or more, -scrapers, -max-scrapes and -scrape-time positive")
	}
	for _, s := range strings.Split(series, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 4 {
			return o, fmt.Errorf("-series: %q is not a series count", s)
		}
		o.series = append(o.series, n)
	}
	if o.interval == 0 {
		o.interval = 20*time.Second + time.Duration(float64(40*time.Second)*float64(o.rows)/1e6)
	}
	return o, nil
}

// measure runs every measurement that o asks for and prints the report.
func measure(ctx context.Context, o options, work string, out io.Writer) error {
	bin := o.exporterBin
	if bin == "" {
		bin = filepath.Join(work, "azure-ea-exporter")
		if err := buildStatic(ctx, exporterPkg, bin); err != nil {
			return err
		}
	}
	if o.rows > 0 && o.naive && o.naiveBin == "" {
		o.naiveBin = filepath.Join(work, "naive")
		if err := buildStatic(ctx, naivePkg, o.naiveBin); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "# azure-ea-exporter load test, %s, %d CPUs\n\n", time.Now().UTC().Format(time.RFC3339), numCPU())
	if o.rows > 0 {
		res, err := refreshRun(ctx, o, bin, work)
		if err != nil {
			return err
		}
		res.print(out)
	}
	if len(o.series) > 0 {
		fmt.Fprintf(out, "\n## /metrics latency: %d concurrent scrapers, at most %d scrapes or %s per series count\n\n", o.scrapers, o.maxScrapes, o.scrapeTime)
		fmt.Fprintln(out, "| usage series | scrapes | p50 | p99 | max | body MiB | exporter peak RSS MiB |")
		fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|")
		for _, n := range o.series {
			res, err := scrapeRun(ctx, o, bin, work, n)
			if err != nil {
				return err
			}
			res.printRow(out)
		}
	}
	return nil
}
