// Command soak is the exporter's chaos soak test. It serves fakeapi on
// loopback with random faults on a share of the requests (throttling with
// retry-after, 500, 503, timeouts, slow, truncated and garbage bodies,
// paging loops, foreign nextLinks), a key that is revoked, restored and
// rotated, and a clock moved a day at a time so that the data changes; runs
// the real exporter binary against it with a short refresh interval; and
// has many concurrent scrapers read /metrics meanwhile.
//
// Every scrape is checked against the fake's truth: the usage cost (in total,
// by department, and its row count), the balance summary and the marketplace
// total must each equal those of one data version the fake has served. The
// run counts requests and faults, refreshes, scrapes and scrape errors,
// process restarts and inconsistent scrapes, and compares the exporter's RSS
// and goroutines at the start and at the end. It exits non-zero when the
// exporter restarted, served an inconsistent scrape, failed a scrape, leaked
// the key, or grew beyond noise.
//
//	go run ./internal/soak -duration 10m -fault-rate 0.2
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// defaultFaults are the faults of the soak: each is something the real API
// or the network in front of it does.
const defaultFaults = "throttle,unavailable,server_error,timeout,slow_body,truncated,garbage,repeat_next_link,foreign_next_link"

// options configure a soak run.
type options struct {
	duration   time.Duration
	refresh    time.Duration
	dayEvery   time.Duration
	keyEvery   time.Duration
	faultDelay time.Duration
	faultRate  float64
	faults     []fakeapi.Fault
	scrapers   int
	// scrapePause is each scraper's pause between two scrapes.
	scrapePause time.Duration
	// dimensions are the exporter's usage labels; empty means its default.
	dimensions []string
	pageSize   int
	seed       uint64
	binary     string
	race       bool
	// The limits of growth: RSS under load at the end <= RSS under load
	// after the warm-up * (1 + rssGrowth) + rssSlack bytes (not applied to
	// race builds, whose detector's memory is not the exporter's), and the
	// goroutines at rest after the run <= those at rest before +
	// goroutineSlack.
	rssGrowth      float64
	rssSlack       float64
	goroutineSlack float64
	progress       io.Writer
}

func main() {
	os.Exit(soakMain(os.Args[1:], os.Stdout, os.Stderr))
}

func soakMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o.progress = stderr
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	rep.write(stdout)
	if len(rep.failures()) > 0 {
		return 1
	}
	return 0
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	var faults, dimensions string
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to run")
	fs.DurationVar(&o.refresh, "refresh", 2*time.Second, "the exporter's --refresh.interval")
	fs.DurationVar(&o.dayEvery, "day-every", 15*time.Second, "how often the fake's clock moves a day, changing the data")
	fs.DurationVar(&o.keyEvery, "key-every", 20*time.Second, "how often the key is revoked (and restored) or rotated, in turn")
	fs.DurationVar(&o.faultDelay, "fault-delay", 3*time.Second, "how long timeout and slow-body faults stall")
	fs.Float64Var(&o.faultRate, "fault-rate", 0.2, "share of API requests that get a random fault (0..1)")
	fs.StringVar(&faults, "faults", defaultFaults, "comma-separated faults to draw from (fakeapi fault names)")
	fs.IntVar(&o.scrapers, "scrapers", 50, "concurrent scrapers of /metrics")
	fs.DurationVar(&o.scrapePause, "scrape-pause", 0, "each scraper's pause between scrapes (0: back to back)")
	fs.StringVar(&dimensions, "dimensions", "", "the exporter's usage dimensions, comma-separated; department is needed for the check (default: the exporter's)")
	fs.IntVar(&o.pageSize, "page-size", 1000, "usage rows per page of the fake, as the real API sends")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the fake's data and fault picks")
	fs.StringVar(&o.binary, "binary", "", "exporter binary to run (default: build this module's)")
	fs.BoolVar(&o.race, "race", false, "build the exporter with the race detector")
	fs.Float64Var(&o.rssGrowth, "max-rss-growth", 0.5, "allowed relative RSS growth from start to end")
	fs.Float64Var(&o.rssSlack, "rss-slack-mib", 16, "allowed absolute RSS growth on top, MiB")
	fs.Float64Var(&o.goroutineSlack, "goroutine-slack", 10, "allowed growth of the goroutines at rest, from before to after the load")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.rssSlack *= 1 << 20
	for _, d := range strings.Split(dimensions, ",") {
		if d = strings.TrimSpace(d); d != "" {
			o.dimensions = append(o.dimensions, d)
		}
	}
	if len(o.dimensions) > 0 && !slices.Contains(o.dimensions, "department") {
		return o, fmt.Errorf("-dimensions %q: department is needed to check the split by department", dimensions)
	}
	var err error
	if o.faults, err = parseFaults(faults); err != nil {
		return o, err
	}
	switch {
	case o.duration < 10*time.Second:
		return o, fmt.Errorf("-duration %s: run for 10s or more", o.duration)
	case o.faultRate < 0 || o.faultRate > 1:
		return o, fmt.Errorf("-fault-rate %v: want 0 to 1", o.faultRate)
	case o.scrapers < 1:
		return o, fmt.Errorf("-scrapers %d: want 1 or more", o.scrapers)
	case o.refresh < time.Second:
		return o, fmt.Errorf("-refresh %s: the exporter takes 1s or more", o.refresh)
	case o.dayEvery <= 0 || o.keyEvery <= 0:
		return o, fmt.Errorf("-day-every and -key-every must be positive")
	}
	return o, nil
}

// parseFaults maps fakeapi fault names to faults.
func parseFaults(list string) ([]fakeapi.Fault, error) {
	byName := map[string]fakeapi.Fault{}
	var names []string
	for _, f := range fakeapi.AllFaults() {
		byName[f.String()] = f
		names = append(names, f.String())
	}
	var out []fakeapi.Fault
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		f, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("-faults: unknown fault %q (one of %s)", n, strings.Join(names, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}
