package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// inFlightLimit is what promhttp answers when more scrapes are in flight
// than the exporter allows (its MaxRequestsInFlight): load shedding, not a
// failure.
const inFlightLimit = "Limit of concurrent requests reached"

// scrapeTimeout bounds one scrape, as Prometheus's scrape_timeout would.
const scrapeTimeout = 10 * time.Second

// scrapeCounts is what the scrapers counted.
type scrapeCounts struct {
	ok           int
	shed         int // 503 at the in-flight limit
	errors       int // anything else that is not a parsed 200
	noUsage      int // parsed, but no usage data yet
	inconsistent int
	versionsSeen map[int]int // usage version -> scrapes that showed it
	slowest      time.Duration
	total        time.Duration
	examples     []string
}

// scrapeStats counts the scrapes of every scraper.
type scrapeStats struct {
	mu sync.Mutex
	c  scrapeCounts
}

func newScrapeStats() *scrapeStats { return &scrapeStats{c: scrapeCounts{versionsSeen: map[int]int{}}} }

func (s *scrapeStats) record(d time.Duration, v verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.c
	c.ok++
	c.total += d
	c.slowest = max(c.slowest, d)
	if v.usageVersion < 0 {
		c.noUsage++
	} else {
		c.versionsSeen[v.usageVersion]++
	}
	if len(v.problems) > 0 {
		c.inconsistent++
		for _, p := range v.problems {
			c.keep(p)
		}
	}
}

func (s *scrapeStats) failed(shed bool, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if shed {
		s.c.shed++
		return
	}
	s.c.errors++
	s.c.keep(why)
}

func (c *scrapeCounts) keep(msg string) {
	if len(c.examples) < maxKept {
		c.examples = append(c.examples, truncate(msg, 400))
	}
}

// counts returns a copy of the counts.
func (s *scrapeStats) counts() scrapeCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.c
	c.examples = append([]string(nil), s.c.examples...)
	c.versionsSeen = copyCounts(s.c.versionsSeen)
	return c
}

// fetch GETs url and returns the body of a 200 answer.
func fetch(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(string(bytes.TrimSpace(body)), 200))
	}
	return body, nil
}

// parse reads a text exposition.
func parse(body []byte) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(body))
}

// runScrapers runs n scrapers against url until ctx ends, each pausing
// pause between scrapes, and waits for them.
func runScrapers(ctx context.Context, n int, pause time.Duration, url string, chk *checker, st *scrapeStats) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				scrapeOnce(client, url, chk, st)
				if pause > 0 {
					sleep(ctx, pause)
				}
			}
		})
	}
	wg.Wait()
}

// scrapeOnce scrapes and checks once. The scrape is not cut short when the
// run ends: it finishes, as Prometheus's would.
func scrapeOnce(client *http.Client, url string, chk *checker, st *scrapeStats) {
	start := time.Now()
	body, err := fetch(context.Background(), client, url)
	if err != nil {
		st.failed(bytes.Contains(body, []byte(inFlightLimit)), err.Error())
		return
	}
	mfs, err := parse(body)
	if err != nil {
		st.failed(false, "parsing /metrics: "+err.Error())
		return
	}
	st.record(time.Since(start), chk.check(mfs))
}

// sample is one reading of the exporter's own metrics.
type sample struct {
	at         time.Duration // since the start of the run
	rss        float64
	goroutines float64
	started    float64 // process_start_time_seconds
}

// sampler reads the exporter's process metrics once a second, and checks
// /metrics and the landing page for the key while at it.
type sampler struct {
	client  *http.Client
	base    string
	metrics string
	secrets *secretIndex

	mu      sync.Mutex
	samples []sample
	last    map[string]*dto.MetricFamily
	leaks   int
	errors  int
}

func (s *sampler) run(ctx context.Context, start time.Time) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		s.once(start)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sampler) once(start time.Time) {
	smp, mfs, err := s.read()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == errLeak:
		s.leaks++
	case err != nil:
		s.errors++
		return
	}
	s.last = mfs
	smp.at = time.Since(start)
	s.samples = append(s.samples, smp)
}

// errLeak is read's error for pages that show a key.
var errLeak = errors.New("a page shows the key")

// read scrapes the exporter's process metrics, and its landing page for the
// key.
func (s *sampler) read() (sample, map[string]*dto.MetricFamily, error) {
	body, err := fetch(context.Background(), s.client, s.base+s.metrics)
	if err != nil {
		return sample{}, nil, err
	}
	page, err := fetch(context.Background(), s.client, s.base+"/")
	if err != nil {
		return sample{}, nil, err
	}
	mfs, err := parse(body)
	if err != nil {
		return sample{}, nil, err
	}
	smp := sample{rss: gauge(mfs, "process_resident_memory_bytes"),
		goroutines: gauge(mfs, "go_goroutines"), started: gauge(mfs, "process_start_time_seconds")}
	if s.secrets.find(string(body)) || s.secrets.find(string(page)) {
		return smp, mfs, errLeak
	}
	return smp, mfs, nil
}

// restingGoroutines returns the fewest goroutines the exporter reported over
// d, sampled twice a second: at rest, the count drops back to its floor
// between refreshes, and a leak raises the floor.
func (s *sampler) restingGoroutines(ctx context.Context, d time.Duration) float64 {
	least := math.Inf(1)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if smp, _, err := s.read(); err == nil {
			least = min(least, smp.goroutines)
		}
		sleep(ctx, 500*time.Millisecond)
	}
	if math.IsInf(least, 1) {
		return 0
	}
	return least
}

// gauge returns the value of the first sample of a gauge or counter.
func gauge(mfs map[string]*dto.MetricFamily, name string) float64 {
	for _, m := range mfs[name].GetMetric() {
		if m.Gauge != nil {
			return m.GetGauge().GetValue()
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

// counterSum adds up every sample of a counter, by the value of label.
func counterSum(mfs map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range mfs[name].GetMetric() {
		k := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				k = lp.GetValue()
			}
		}
		out[k] += m.GetCounter().GetValue()
	}
	return out
}

// medianOf returns the median of vals, which it sorts.
func medianOf(vals []float64) float64 {
	sort.Float64s(vals)
	return vals[len(vals)/2]
}
