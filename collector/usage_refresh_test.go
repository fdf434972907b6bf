package collector

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"

	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// ranges lists the usage queries made since the last call, as day ranges.
func (m *memSource) takeRanges() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, q := range m.usageCalls {
		r := q.Start.Format("01-02") + ".." + q.End.Format("01-02")
		if q.IfNoneMatch != "" {
			r += " (conditional)"
		}
		out = append(out, r)
	}
	m.usageCalls = nil
	return out
}

// usageCostMetrics are the usage cost series of r's snapshot.
func usageCostMetrics(r *refresher) []prometheus.Metric {
	var out []prometheus.Metric
	for _, m := range r.snap.Load().metrics {
		if m.Desc() == r.descs.usageCost {
			out = append(out, m)
		}
	}
	return out
}

// sameMetrics reports whether a and b are the very same metric values.
func sameMetrics(a, b []prometheus.Metric) bool {
	return len(a) > 0 && slices.Equal(a, b)
}

func TestIncrementalUsageRefresh(t *testing.T) {
	src := testSource()
	now := testNow // 2026-11-20 12:00 UTC
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100"})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Hour)
	c := snapCollector{r}
	cost := func(dept string) float64 {
		v, _ := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": dept})
		return v
	}
	expect := func(step string, want ...string) {
		t.Helper()
		got := src.takeRanges()
		if len(got) != len(want) {
			t.Fatalf("%s: usage reads %q, want %q", step, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: usage reads %q, want %q", step, got, want)
			}
		}
	}

	r.refresh(context.Background())
	// The current period as settled days and the 3-day window up to today;
	// the previous period, settled, in one read.
	expect("first refresh", "11-01..11-16", "11-17..11-20", "10-01..10-31")
	if got := cost("Dept A"); got != 33.5 {
		t.Fatalf("first refresh: cost %v, want 33.5", got)
	}

	agg, series := r.res.usage.agg, usageCostMetrics(r)
	r.refresh(context.Background())
	expect("unchanged data", "11-17..11-20 (conditional)")
	if got := cost("Dept A"); got != 33.5 {
		t.Fatalf("after a 304: cost %v, want 33.5 kept", got)
	}
	// Nothing read again: the aggregation and its series are reused.
	if r.res.usage.agg != agg || !sameMetrics(usageCostMetrics(r), series) {
		t.Errorf("a refresh that read nothing again built a new aggregation (%v) or new series (%v)",
			r.res.usage.agg != agg, !sameMetrics(usageCostMetrics(r), series))
	}

	// Late data: day 19 (in the window) and day 10 (settled) change.
	src.mu.Lock()
	src.rows[2].cost = 30 // Nov 19: 20 -> 30
	src.rows = append(src.rows, memRow{period: "202611", date: "2026-11-10", cost: 1000, values: src.rows[0].values})
	src.version++
	src.mu.Unlock()
	r.refresh(context.Background())
	expect("changed window", "11-17..11-20 (conditional)")
	if got := cost("Dept A"); got != 43.5 {
		t.Fatalf("after the window changed: cost %v, want 43.5 (day 10 is settled and not read yet)", got)
	}
	if r.res.usage.agg == agg || sameMetrics(usageCostMetrics(r), series) {
		t.Error("a refresh that read changed days kept the old aggregation or series")
	}

	// A day later the settled days are due again; the window has moved.
	now = now.Add(25 * time.Hour)
	r.refresh(context.Background())
	expect("next day", "11-01..11-17", "11-18..11-21", "10-01..10-31 (conditional)")
	if got := cost("Dept A"); got != 1043.5 {
		t.Fatalf("after the settled days were read again: cost %v, want 1043.5", got)
	}
	if up, _ := gaugeValue(t, c, "azure_ea_up", nil); up != 1 {
		t.Error("azure_ea_up != 1")
	}
}

func TestNewMonthStartsAfresh(t *testing.T) {
	src := testSource()
	now := testNow
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100"})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Hour)
	r.refresh(context.Background())
	src.takeRanges()
	now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	r.refresh(context.Background())
	got := src.takeRanges()
	want := []string{"12-01..12-01", "11-01..11-27", "11-28..11-30"}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("reads %q, want %q", got, want)
	}
	v, ok := gaugeValue(t, snapCollector{r}, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"})
	if !ok || v != 33.5 {
		t.Errorf("November after the month turned: %v %v, want 33.5", v, ok)
	}
}

// deadlineOnJSON is a source that runs out of time on any JSON usage read
// of more than two rows, as a huge enrollment paged through as JSON does
// before the refresh deadline; its CSV downloads are fast.
type deadlineOnJSON struct{ *memSource }

func (s deadlineOnJSON) Usage(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	if q.Method == apiclient.UsageCSV {
		return s.memSource.Usage(ctx, q, fn)
	}
	n := 0
	return s.memSource.Usage(ctx, q, func(r *apiclient.UsageRow) error {
		if n++; n > 2 {
			return context.DeadlineExceeded
		}
		return fn(r)
	})
}

// TestUnfinishedReadChoosesCSVNext checks that a period too large to page
// through before the deadline is downloaded as CSV by the next refresh,
// although no refresh has completed to say how large it is.
func TestUnfinishedReadChoosesCSVNext(t *testing.T) {
	src := deadlineOnJSON{testSource()}
	threshold := 1
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100", CSVThresholdRows: &threshold})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return testNow }, time.Hour)
	methods := func() []apiclient.UsageMethod {
		src.mu.Lock()
		defer src.mu.Unlock()
		var out []apiclient.UsageMethod
		for _, q := range src.usageCalls {
			out = append(out, q.Method)
		}
		src.usageCalls = nil
		return out
	}

	r.refresh(context.Background())
	if r.status[config.DatasetUsageDetails].success {
		t.Fatal("the first refresh read every range although JSON reads run out of time")
	}
	if got := methods(); len(got) == 0 || got[0] != apiclient.UsageAuto {
		t.Fatalf("first refresh: methods %v, want the default first", got)
	}

	r.refresh(context.Background())
	if !r.status[config.DatasetUsageDetails].success {
		t.Fatal("the second refresh failed again: it did not switch to CSV")
	}
	if got := methods(); len(got) == 0 || got[0] != apiclient.UsageCSV {
		t.Errorf("second refresh: methods %v, want CSV for the range that did not finish", got)
	}
	if v, _ := gaugeValue(t, snapCollector{r}, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); v != 33.5 {
		t.Errorf("cost %v after the CSV read, want 33.5", v)
	}
}

// TestLargeReadSwitchesToCSV checks that a first read by JSON pages stops
// once its first complete day says it will pass csv_threshold_rows, and
// that the range is downloaded as CSV instead, every row counted once.
func TestLargeReadSwitchesToCSV(t *testing.T) {
	src := testSource()
	a := dims("Dept A", "g1", "Sub 1", "Compute", "D2", "D2 v3", "Hours")
	src.rows = nil
	for day := 1; day <= 16; day++ {
		for range 10 {
			src.rows = append(src.rows, memRow{period: "202611", date: fmt.Sprintf("2026-11-%02d", day), cost: 1, qty: 1, values: a})
		}
	}
	threshold := 100 // the settled days hold 160 rows
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100", CSVThresholdRows: &threshold})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return testNow }, time.Hour)
	r.refresh(context.Background())
	if !r.status[config.DatasetUsageDetails].success {
		t.Fatal("usage refresh failed")
	}
	var settled []apiclient.UsageMethod
	for _, q := range src.usageCalls {
		if q.Start.Day() == 1 && q.Start.Month() == 11 {
			settled = append(settled, q.Method)
		}
	}
	if !slices.Equal(settled, []apiclient.UsageMethod{apiclient.UsageAuto, apiclient.UsageCSV}) {
		t.Errorf("the settled days were read by %v, want the default, then CSV", settled)
	}
	if v, _ := gaugeValue(t, snapCollector{r}, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); v != 160 {
		t.Errorf("cost %v, want 160: each row once", v)
	}
}
