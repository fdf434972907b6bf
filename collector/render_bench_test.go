package collector

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// renderLabelSets is the number of usage label sets per period: each gives
// an azure_ea_usage_cost and an azure_ea_usage_quantity series, so two
// periods make 100,000 usage series.
const renderLabelSets = 25000

// manySeriesSource is a memSource with n label sets in each of the current
// and the previous period of testNow.
func manySeriesSource(n int) *memSource {
	src := testSource()
	src.rows = nil
	for _, p := range []struct{ period, date string }{{"202611", "2026-11-18"}, {"202610", "2026-10-18"}} {
		for i := range n {
			v := dims(fmt.Sprintf("Dept %d", i%20), fmt.Sprintf("%08d-0000-4000-8000-000000000000", i%500),
				fmt.Sprintf("Subscription %d", i%500), fmt.Sprintf("Category %d", i%40), fmt.Sprintf("Subcategory %d", i%200),
				fmt.Sprintf("Meter %d", i), "1 Hour")
			src.rows = append(src.rows, memRow{period: p.period, date: p.date, cost: float64(i) / 7, qty: float64(i), values: v})
		}
	}
	return src
}

// discardResponse is a ResponseWriter that drops the body and counts it.
type discardResponse struct {
	h http.Header
	n int64
}

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) WriteHeader(int)             {}
func (d *discardResponse) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

// constCollector sends prebuilt const metrics: client_golang's own cost of
// exposing them, with nothing of the exporter's.
type constCollector []prometheus.Metric

func (c constCollector) Describe(chan<- *prometheus.Desc) {}

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// BenchmarkRender100k serves /metrics with 100,000 usage series: from the
// Exporter as main.go serves it (Exporter.Handler), and from a trivial
// collector of the same metrics made as const metrics, which is what
// client_golang costs by itself; uncompressed, then with gzip.
func BenchmarkRender100k(b *testing.B) {
	reg := prometheus.NewRegistry()
	src := manySeriesSource(renderLabelSets)
	e := New(context.Background(), Options{
		Interval: time.Hour, Registerer: reg, Now: fixedNow,
		NewSource: func(config.Enrollment, apiclient.Observer, log.Logger) (apiclient.Source, error) { return src, nil },
	})
	defer e.Stop()
	served := e.Gatherer(reg) // as main.go serves it
	cfg, err := config.New(config.Enrollment{Enrollment: "100"})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	waitFirstRefresh(b, e)
	metrics := (*e.current.Load())[0].snap.Load().metrics
	mfs, err := served.Gather()
	if err != nil {
		b.Fatal(err)
	}
	usage := 0
	for _, mf := range mfs {
		if n := mf.GetName(); n == "azure_ea_usage_cost" || n == "azure_ea_usage_quantity" {
			usage += len(mf.GetMetric())
		}
	}
	if usage != 4*renderLabelSets {
		b.Fatalf("%d usage series, want %d", usage, 4*renderLabelSets)
	}
	// The snapshot is in Gather's order (presort), its gauges share label
	// pairs (gaugeMaker). The baselines are the same gauges made by
	// MustNewConstMetric. A collector that builds its const metrics from
	// maps sends them in no particular order: that is client_golang's cost;
	// client_golang_sorted gets them in the snapshot's order, to show what
	// the exporter adds to client_golang's best case.
	metrics = constGauges(b, metrics)
	shuffled := slices.Clone(metrics)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	plain := prometheus.NewRegistry()
	plain.MustRegister(constCollector(shuffled))
	sorted := prometheus.NewRegistry()
	sorted.MustRegister(constCollector(metrics))
	// Without gzip, the exporter's Handler is promhttp over its Gatherer;
	// with gzip (as Prometheus scrapes), it compresses the snapshots once
	// per refresh where promhttp compresses every scrape.
	exporter := e.Handler(reg, HandlerOptions{})
	promhttpOf := func(g prometheus.Gatherer) http.Handler { return promhttp.HandlerFor(g, promhttp.HandlerOpts{}) }
	for _, bm := range []struct {
		name     string
		h        http.Handler
		encoding string
	}{
		{"exporter", exporter, ""}, {"client_golang", promhttpOf(plain), ""}, {"client_golang_sorted", promhttpOf(sorted), ""},
		{"exporter_gzip", exporter, "gzip"}, {"client_golang_gzip", promhttpOf(plain), "gzip"},
		{"client_golang_sorted_gzip", promhttpOf(sorted), "gzip"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if bm.encoding != "" {
				req.Header.Set("Accept-Encoding", bm.encoding)
			}
			var bytes int64
			// A first scrape gathers (and compresses) the snapshots, as the
			// first scrape after each refresh does; then start from a clean
			// heap: the setup leaves garbage.
			bm.h.ServeHTTP(&discardResponse{h: http.Header{}}, req)
			runtime.GC()
			b.ReportAllocs()
			for b.Loop() {
				w := &discardResponse{h: http.Header{}}
				bm.h.ServeHTTP(w, req)
				bytes = w.n
			}
			b.SetBytes(bytes)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(metrics)), "ns/series")
		})
	}
}

// waitFirstRefresh waits until every dataset of every enrollment has been
// refreshed once.
func waitFirstRefresh(tb testing.TB, e *Exporter) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		done := true
		for _, s := range e.Status() {
			for _, d := range s.Datasets {
				done = done && d.Attempted
			}
		}
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatal("no refresh finished within a minute")
}

// constGauges makes each gauge again with prometheus.MustNewConstMetric.
func constGauges(tb testing.TB, metrics []prometheus.Metric) []prometheus.Metric {
	var gm gaugeMaker
	out := make([]prometheus.Metric, 0, len(metrics))
	for _, m := range metrics {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			tb.Fatal(err)
		}
		l := gm.layout(m.Desc())
		values := make([]string, l.variables)
		for i, from := range l.from {
			if from >= 0 {
				values[from] = pb.GetLabel()[i].GetValue()
			}
		}
		out = append(out, prometheus.MustNewConstMetric(m.Desc(), prometheus.GaugeValue, pb.GetGauge().GetValue(), values...))
	}
	return out
}
