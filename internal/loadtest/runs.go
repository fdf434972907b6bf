package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// hierarchy of the simulated enrollment of the refresh run: 72
// subscriptions, a large enrollment's few thousand usage series.
const refreshDepartments, refreshAccounts, refreshSubscriptions = 8, 3, 3

// refreshResult is what the refresh run measured.
type refreshResult struct {
	rows, rowsPerDay        int
	days                    int
	firstUsage, firstWall   time.Duration
	secondUsage             time.Duration
	firstBytes, secondBytes int64
	firstRequests           int
	secondRequests          int
	notModified             int
	peakRSS                 int64
	series                  int
	exporterRows            float64
	exporterCost            float64
	naive                   []*naiveResult // streaming, then keeping the rows
	method                  string
	truthCost               float64
}

// periodsNow are the two periods the exporter exports now (yyyyMM).
func periodsNow() (cur, prev string) {
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.Format("200601"), first.AddDate(0, -1, 0).Format("200601")
}

// dataDays is the number of days with usage data in both periods, as the
// fake serves them now.
func dataDays(opts fakeapi.Options) int {
	opts.RowsPerDay = 1
	f := fakeapi.New(opts)
	cur, prev := periodsNow()
	return f.Truth(cur).UsageRows + f.Truth(prev).UsageRows
}

// refreshRun measures two refreshes of an enrollment with o.rows usage rows,
// and the naive client on the same data.
func refreshRun(ctx context.Context, o options, bin, work string) (*refreshResult, error) {
	opts := fakeapi.Options{Departments: refreshDepartments, AccountsPerDepartment: refreshAccounts,
		SubscriptionsPerAccount: refreshSubscriptions, PageSize: fakeapi.DefaultPageSize}
	res := &refreshResult{days: dataDays(opts), method: o.method}
	if res.days == 0 {
		return nil, fmt.Errorf("the fake has no usage days now")
	}
	res.rowsPerDay = (o.rows + res.days - 1) / res.days
	opts.RowsPerDay = res.rowsPerDay
	f, err := serveFake(opts)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cur, prev := periodsNow()
	for _, p := range []string{cur, prev} {
		t := f.Truth(p)
		res.rows += t.UsageRows
		res.truthCost += t.UsageCost
	}
	cfg, err := writeSetup(work, "refresh", f, nil, o.method)
	if err != nil {
		return nil, err
	}
	if err := res.measureExporter(ctx, o, f, bin, cfg, filepath.Join(work, "refresh.log")); err != nil {
		return nil, err
	}
	if !o.naive {
		return res, nil
	}
	for _, keep := range []bool{false, true} {
		before := f.Stats().BytesServed
		n, err := runNaive(ctx, f, work, keep, cur, prev)
		if err != nil {
			return nil, err
		}
		n.bytes = f.Stats().BytesServed - before
		res.naive = append(res.naive, n)
	}
	return res, nil
}

// measureExporter runs the exporter through two refreshes.
func (res *refreshResult) measureExporter(ctx context.Context, o options, f *fakeAPI, bin, cfg, logPath string) error {
	p, err := startExporter(ctx, bin, cfg, logPath, o.interval)
	if err != nil {
		return err
	}
	defer p.stop()
	first, err := p.waitRefresh(ctx, nil, o.interval)
	if err != nil {
		return err
	}
	res.firstWall = time.Since(p.started)
	res.firstUsage = first["usage_details"].duration
	st1 := f.Stats()
	res.firstBytes, res.firstRequests = st1.BytesServed, total(st1.Requests)
	second, err := p.waitRefresh(ctx, first, 2*o.interval)
	if err != nil {
		return err
	}
	st2 := f.Stats()
	res.secondUsage = second["usage_details"].duration
	res.secondBytes, res.secondRequests = st2.BytesServed-st1.BytesServed, total(st2.Requests)-res.firstRequests
	res.notModified = st2.NotModified - st1.NotModified
	if res.peakRSS, err = p.peakRSS(); err != nil {
		return err
	}
	body, err := p.get(ctx, "/metrics")
	if err != nil {
		return err
	}
	u, err := parseUsage(bytes.NewReader(body))
	if err != nil {
		return err
	}
	res.series, res.exporterRows, res.exporterCost = u.series, u.rows, u.cost
	return nil
}

func total(m map[fakeapi.Route]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// runNaive runs the naive client in a child process of its own, so that its
// peak RSS is its own.
func runNaive(ctx context.Context, f *fakeAPI, work string, keepRows bool, cur, prev string) (*naiveResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(work, "naive.key")
	if err := os.WriteFile(keyFile, []byte(f.Key()), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, naiveChildArg, "-base-url", f.url, "-enrollment", f.Enrollment(),
		"-key-file", keyFile, "-periods", cur+","+prev, "-keep-rows="+strconv.FormatBool(keepRows))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("naive client: %v: %s", err, stderr.Bytes())
	}
	var r naiveResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("naive client's report %q: %w", out, err)
	}
	return &r, nil
}

const mib = 1 << 20

func (res *refreshResult) print(w io.Writer) {
	fmt.Fprintf(w, "## Refresh: %d usage rows (%d days x %d rows), 2 periods, usage_method %s\n\n", res.rows, res.days, res.rowsPerDay, res.method)
	fmt.Fprintln(w, "| measure | value |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| first refresh, usage_details (exporter's own timing) | %.2f s |\n", res.firstUsage.Seconds())
	fmt.Fprintf(w, "| start to first complete snapshot | %.2f s |\n", res.firstWall.Seconds())
	fmt.Fprintf(w, "| bytes fetched, first refresh | %.1f MiB in %d requests |\n", float64(res.firstBytes)/mib, res.firstRequests)
	fmt.Fprintf(w, "| bytes fetched, second refresh (unchanged data) | %.1f KiB in %d requests, %d answered 304 (%.3f%% of the first) |\n",
		float64(res.secondBytes)/1024, res.secondRequests, res.notModified, 100*float64(res.secondBytes)/float64(max(res.firstBytes, 1)))
	fmt.Fprintf(w, "| second refresh, usage_details | %.3f s |\n", res.secondUsage.Seconds())
	fmt.Fprintf(w, "| exporter peak RSS (VmHWM) | %.1f MiB |\n", float64(res.peakRSS)/mib)
	fmt.Fprintf(w, "| usage series (cost + quantity) | %d |\n", res.series)
	check := "rows and cost equal the fake's"
	if res.exporterRows != float64(res.rows) || !near(res.exporterCost, res.truthCost) {
		check = fmt.Sprintf("MISMATCH: %v rows, cost %v; the fake served %d rows, cost %v", res.exporterRows, res.exporterCost, res.rows, res.truthCost)
	}
	fmt.Fprintf(w, "| exporter's figures | %s |\n", check)
	for _, n := range res.naive {
		name := "naive client, streaming"
		if n.KeptRows > 0 {
			name = "naive client, keeping the rows"
		}
		fmt.Fprintf(w, "| %s: refresh | %.2f s (the exporter is %.1fx faster) |\n", name, n.Seconds, n.Seconds/res.firstUsage.Seconds())
		fmt.Fprintf(w, "| %s: peak heap (sampled), peak RSS | %.1f MiB, %.1f MiB (the exporter's peak RSS is %.0f%% of it) |\n",
			name, float64(n.PeakHeap)/mib, float64(n.PeakRSS)/mib, 100*float64(res.peakRSS)/float64(max(n.PeakRSS, 1)))
		check := "equal the exporter's"
		if float64(n.Rows) != res.exporterRows || !near(n.Cost, res.exporterCost) {
			check = fmt.Sprintf("MISMATCH: %d rows, cost %v", n.Rows, n.Cost)
		}
		fmt.Fprintf(w, "| %s: rows, cost, bytes | %d, %.2f, %.1f MiB: %s |\n", name, n.Rows, n.Cost, float64(n.bytes)/mib, check)
	}
}

// near compares sums made in different orders.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

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
	p, err := startExporter(ctx, bin, cfg, filepath.Join(work, name+".log"), time.Hour)
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
