package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// run runs one soak and reports what happened. An error means the soak
// could not run at all; what the exporter did wrong is in the report.
func run(ctx context.Context, o options) (*report, error) {
	now := time.Now().UTC()
	if end := now.Add(o.duration + time.Minute); end.Month() != now.Month() {
		return nil, fmt.Errorf("the run would cross the end of the month (UTC), when the exporter moves to the next billing period: start it after %s",
			time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339))
	}
	dir, err := os.MkdirTemp("", "azure-ea-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := o.binary
	if bin == "" {
		progress(o, "building the exporter")
		if bin, err = buildExporter(ctx, dir, o.race); err != nil {
			return nil, err
		}
	}
	secrets := newSecretIndex()
	api, err := newSimulatedAPI(apiOptions{now: now, seed: o.seed, pageSize: o.pageSize, faults: o.faults, rate: o.faultRate, faultDelay: o.faultDelay, dir: dir}, secrets)
	if err != nil {
		return nil, err
	}
	defer api.close()
	logs := newLogScanner(secrets)
	sup, base, err := startExporter(ctx, o, bin, api, dir, logs)
	if err != nil {
		return nil, err
	}
	progress(o, fmt.Sprintf("soaking for %s: %d scrapers, fault rate %.2f, %d data versions", o.duration, o.scrapers, o.faultRate, len(api.versions)))

	rep := soak(ctx, o, api, base, secrets)
	if err := sup.stop(15 * time.Second); err != nil {
		rep.stopError = err.Error()
	}
	rep.restarts, rep.exits = sup.restartCount()
	rep.logs = logs.counts()
	rep.fake = api.fake.Stats()
	rep.keys = api.keyEvents()
	rep.foreignRequests, rep.foreignKeyed = api.foreignRequests.Load(), api.foreignKeyed.Load()
	for i := range api.versions {
		if api.wasServed(i) {
			rep.versionsServed++
		}
	}
	return rep, nil
}

// startExporter writes the exporter's configuration, starts it under a
// supervisor and waits until it has refreshed every dataset against a
// healthy API: the chaos starts then, so that every run checks scrapes
// that have data. It returns the supervisor and the exporter's base URL.
func startExporter(ctx context.Context, o options, bin string, api *simulatedAPI, dir string, logs *logScanner) (*supervisor, string, error) {
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(exporterConfig(api, o.dimensions)), 0o600); err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	sup := newSupervisor(bin, []string{
		"--web.listen-address=" + addr, "--config.file=" + cfgFile, "--refresh.interval=" + o.refresh.String(),
		"--log.level=debug", "--log.format=json",
	}, logs)
	if err := sup.start(); err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := waitUp(ctx, base+"/metrics", time.Minute); err != nil {
		_ = sup.stop(10 * time.Second)
		return nil, "", err
	}
	return sup, base, nil
}

// soak runs the scrapers, the faults, the clock, the key churn and the
// sampler for the run's duration, and counts the exporter's goroutines at
// rest before and after.
func soak(ctx context.Context, o options, api *simulatedAPI, base string, secrets *secretIndex) *report {
	smp := &sampler{client: &http.Client{}, base: base, metrics: "/metrics", secrets: secrets}
	rest := max(o.refresh, 3*time.Second)
	restBefore := smp.restingGoroutines(ctx, rest)

	chk := &checker{cur: api.cur, prev: api.prev, versions: api.versions, served: api.wasServed}
	stats := newScrapeStats()
	chaos, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	api.fake.SetRandomFaults(o.faultRate, o.faults)
	start := time.Now()
	var wg sync.WaitGroup
	var keyErr error
	wg.Go(func() { api.advanceDays(chaos, o.dayEvery) })
	wg.Go(func() { keyErr = api.churnKeys(chaos, o.keyEvery, o.refresh*3/2, o.refresh*3/2) })
	wg.Go(func() { smp.run(chaos, start) })
	wg.Go(func() { runScrapers(chaos, o.scrapers, o.scrapePause, base+"/metrics", chk, stats) })
	wg.Wait()
	elapsed := time.Since(start)
	api.fake.SetRandomFaults(0, nil)

	// A refresh held up by a fault ends within its deadline; then the
	// exporter is at rest again.
	sleep(ctx, o.refresh)
	restAfter := smp.restingGoroutines(ctx, rest)
	smp.once(start) // the counters at the end
	rep := &report{opts: o, elapsed: elapsed, versions: api.versions, scrapes: stats.counts(),
		restBefore: restBefore, restAfter: restAfter}
	if keyErr != nil {
		rep.stopError = keyErr.Error()
	}
	smp.mu.Lock()
	defer smp.mu.Unlock()
	rep.samples = smp.samples
	rep.pageLeaks, rep.samplerErrors = smp.leaks, smp.errors
	if smp.last != nil {
		rep.refused = counterSum(smp.last, "azure_ea_api_refused_links_total", "endpoint")
		rep.retries = counterSum(smp.last, "azure_ea_api_retries_total", "reason")
		rep.requests = counterSum(smp.last, "azure_ea_api_requests_total", "code")
	}
	return rep
}

// exporterConfig is the exporter's configuration file. settle_days 31 makes
// every refresh read the whole current month again (conditionally, by
// ETag): the fake's clock moves faster than real days, so late data can
// arrive for any day of the month.
func exporterConfig(api *simulatedAPI, dimensions []string) string {
	cfg := fmt.Sprintf(`enrollments:
  - enrollment: %q
    api_key_file: %s
    base_url: %s
    settle_days: 31
`, fakeapi.DefaultEnrollment, api.keyFile, api.srv.URL)
	if len(dimensions) > 0 {
		cfg += fmt.Sprintf("    dimensions: [%s]\n", strings.Join(dimensions, ", "))
	}
	return cfg
}

// waitUp polls the exporter's metrics at url until azure_ea_up is 1.
func waitUp(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{}
	for {
		if body, err := fetch(ctx, client, url); err == nil {
			if mfs, err := parse(body); err == nil && gauge(mfs, "azure_ea_up") == 1 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("azure_ea_up did not become 1 within %s", timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func progress(o options, msg string) {
	if o.progress != nil {
		fmt.Fprintf(o.progress, "soak: %s\n", msg)
	}
}
