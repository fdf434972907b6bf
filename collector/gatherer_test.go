package collector

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// startedExporter is an Exporter of two enrollments on memSources, after
// its first refresh; live holds its API metrics and a gauge of its own.
func startedExporter(t *testing.T) (*Exporter, *prometheus.Registry, *memSource) {
	t.Helper()
	live := prometheus.NewRegistry()
	live.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "live_gauge", Help: "A live metric."}))
	src := testSource()
	e := New(context.Background(), Options{
		Interval: time.Hour, Registerer: live, Now: fixedNow,
		NewSource: func(config.Enrollment, apiclient.Observer, log.Logger) (apiclient.Source, error) { return src, nil },
	})
	t.Cleanup(e.Stop)
	if err := e.Apply(mustConfig(t, config.Enrollment{Enrollment: "100"}, config.Enrollment{Enrollment: "200"})); err != nil {
		t.Fatal(err)
	}
	waitFirstRefresh(t, e)
	return e, live, src
}

func exposition(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "azure_ea_refresh_duration") {
			continue // measured, not computed
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func TestGathererServesWhatARegistryServes(t *testing.T) {
	e, live, _ := startedExporter(t)
	both := prometheus.NewRegistry()
	both.MustRegister(e)
	want := exposition(t, prometheus.Gatherers{live, both})
	if got := exposition(t, e.Gatherer(live)); got != want {
		t.Errorf("Gatherer serves\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(want, "live_gauge 0") || !strings.Contains(want, `azure_ea_usage_cost{`) || !strings.Contains(want, `enrollment="200"`) {
		t.Errorf("exposition lacks live or snapshot metrics:\n%s", want)
	}
}

func TestGathererGathersSnapshotsOnce(t *testing.T) {
	e, live, src := startedExporter(t)
	g := e.Gatherer(live)
	family := func(name string) *dto.MetricFamily {
		t.Helper()
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf
			}
		}
		t.Fatalf("no family %s", name)
		return nil
	}
	first := family("azure_ea_usage_cost")
	if again := family("azure_ea_usage_cost"); again != first {
		t.Error("unchanged snapshots were gathered again")
	}
	src.mu.Lock()
	src.rows[0].cost += 1000
	src.version++
	src.mu.Unlock()
	(*e.current.Load())[0].refresh(context.Background())
	if after := family("azure_ea_usage_cost"); after == first || after.String() == first.String() {
		t.Error("a new snapshot was not gathered")
	}
}

func TestGathererConcurrentScrapes(t *testing.T) {
	e, live, _ := startedExporter(t)
	g := e.Gatherer(live)
	var wg sync.WaitGroup
	results := make([]int, 8)
	for i := range results {
		wg.Go(func() {
			if i%2 == 0 {
				(*e.current.Load())[i%2].refresh(context.Background())
			}
			mfs, err := g.Gather()
			if err != nil {
				t.Error(err)
			}
			results[i] = len(mfs)
		})
	}
	wg.Wait()
	for _, n := range results {
		if n != results[0] || n == 0 {
			t.Fatalf("concurrent scrapes saw %v families", results)
		}
	}
}

func TestGathererRefusesADuplicateFamily(t *testing.T) {
	e, live, _ := startedExporter(t)
	live.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "azure_ea_up", Help: "A clash."}))
	_, err := e.Gatherer(live).Gather()
	if err == nil || !strings.Contains(err.Error(), "azure_ea_up") {
		t.Errorf("err %v, want the clash named", err)
	}
}
