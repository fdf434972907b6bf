package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// scrapeResult is what a scrape run measured.
type scrapeResult struct {
	series      int
	latencies   []time.Duration
	bodyBytes   int64
	peakRSS     int64
	target      int
	rowsFetched int
	gzip        bool
}

// scrapeHierarchy is the enrollment of the scrape runs: 4,000
// subscriptions, so that resource group and location make most resources a
// label set of their own.
const scrapeDepartments, scrapeAccounts, scrapeSubscriptions = 40, 10, 10

// scrapeDims are the usage labels of the scrape runs.
var scrapeDims = []string{"department", "subscription_id", "subscription", "resource_group", "location",
	"meter_category", "meter_subcategory", "meter_name"}

// scrapeRun serves about target usage series and scrapes them concurrently.
func scrapeRun(ctx context.Context, o options, bin, work string, target int) (*scrapeResult, error) {
	// Two days of the previous period only: each resource of a day is a
	// label set, with a cost and a quantity series. A few resources fall
	// on the same label set; the factor makes up for them.
	now := time.Now().UTC()
	prevStart := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	labelSets := target / 2
	opts := fakeapi.Options{Departments: scrapeDepartments, AccountsPerDepartment: scrapeAccounts,
		SubscriptionsPerAccount: scrapeSubscriptions, MarketplacePerDay: -1,
		LatencyDays: int(now.Sub(prevStart)/(24*time.Hour)) - 1,
		RowsPerDay:  int(float64(labelSets) * (1 + float64(labelSets)/1.2e6))}
	f, err := serveFake(opts)
	if err != nil {
		return nil, err
	}
	defer f.close()
	name := fmt.Sprintf("scrape-%d", target)
	cfg, err := writeSetup(work, name, f, scrapeDims, "")
	if err != nil {
		return nil, err
	}
	// No second refresh during the scrapes.
	p, err := startExporter(ctx, bin, cfg, filepath.Join(work, name+".log"), time.Hour, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if _, err := p.waitRefresh(ctx, nil, 10*time.Minute); err != nil {
		return nil, err
	}
	body, err := p.get(ctx, "/metrics")
	if err != nil {
		return nil, err
	}
	u, err := parseUsage(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	res := &scrapeResult{series: u.series, target: target, rowsFetched: int(u.rows)}
	res.latencies, res.bodyBytes, err = scrapeConcurrently(ctx, p, o.scrapers, o.maxScrapes, o.scrapeTime, o.gzip)
	res.gzip = o.gzip
	if err != nil {
		return nil, err
	}
	res.peakRSS, err = p.peakRSS()
	return res, err
}

// scrapeConcurrently runs n scrapers until max scrapes are done or d has
// passed, and returns every scrape's latency and the last body's size.
func scrapeConcurrently(ctx context.Context, p *exporterProc, n, maxScrapes int, d time.Duration, gzip bool) ([]time.Duration, int64, error) {
	// DisableCompression: the transport would otherwise ask for gzip and
	// decompress on its own.
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(d)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		size      int64
		firstErr  error
		taken     atomic.Int64
		wg        sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for taken.Add(1) <= int64(maxScrapes) && time.Now().Before(deadline) && ctx.Err() == nil {
				start := time.Now()
				bytes, err := p.scrape(ctx, client, gzip)
				lat := time.Since(start)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				latencies, size = append(latencies, lat), bytes
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return latencies, size, firstErr
}

// percentile returns the q-quantile (0..1) of sorted latencies, nearest
// rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func (r *scrapeResult) printRow(w io.Writer) {
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	encoding := "plain"
	if r.gzip {
		encoding = "gzip"
	}
	fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %.1f (%s) | %.1f |\n", r.series, len(s), ms(percentile(s, 0.5)),
		ms(percentile(s, 0.99)), ms(percentile(s, 1)), float64(r.bodyBytes)/mib, encoding, float64(r.peakRSS)/mib)
}
