package collector

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// labelRows renders metrics as "family{values}" lines, in their order.
func labelRows(t *testing.T, metrics []prometheus.Metric) []string {
	t.Helper()
	var rows []string
	for _, m := range metrics {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		var vals []string
		for _, lp := range pb.GetLabel() {
			vals = append(vals, lp.GetName()+"="+lp.GetValue())
		}
		name := m.Desc().String()
		name = name[strings.Index(name, `"`)+1:]
		rows = append(rows, name[:strings.Index(name, `"`)]+"{"+strings.Join(vals, ",")+"}")
	}
	return rows
}

// gatheredRows renders what Gather returns in the same form.
func gatheredRows(t *testing.T, metrics []prometheus.Metric) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(constCollector(metrics))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var vals []string
			for _, lp := range m.GetLabel() {
				vals = append(vals, lp.GetName()+"="+lp.GetValue())
			}
			rows = append(rows, mf.GetName()+"{"+strings.Join(vals, ",")+"}")
		}
	}
	return rows
}

func TestPresortIsGatherOrder(t *testing.T) {
	r := newTestRefresher(t, manySeriesSource(2000), config.Enrollment{Enrollment: "100", TagLabels: []string{"env"}})
	r.refresh(context.Background())
	metrics := slices.Clone(r.snap.Load().metrics)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(metrics), func(i, j int) { metrics[i], metrics[j] = metrics[j], metrics[i] })

	sorted := presort(metrics)
	if len(sorted) != len(metrics) {
		t.Fatalf("%d metrics after presort, want %d", len(sorted), len(metrics))
	}
	// Families may come in any order; within each, the order must be
	// Gather's.
	got := labelRows(t, sorted)
	byFamily := map[string][]string{}
	for _, row := range got {
		f := row[:strings.IndexByte(row, '{')]
		byFamily[f] = append(byFamily[f], row)
	}
	want := gatheredRows(t, metrics)
	wantByFamily := map[string][]string{}
	for _, row := range want {
		f := row[:strings.IndexByte(row, '{')]
		wantByFamily[f] = append(wantByFamily[f], row)
	}
	if len(byFamily) != len(wantByFamily) {
		t.Fatalf("%d families, Gather has %d", len(byFamily), len(wantByFamily))
	}
	for f, rows := range wantByFamily {
		if !slices.Equal(byFamily[f], rows) {
			t.Errorf("family %s: presort order differs from Gather's (%d metrics, Gather %d)", f, len(byFamily[f]), len(rows))
		}
	}
	if !slices.IsSortedFunc(got, func(a, b string) int {
		return strings.Compare(a[:strings.IndexByte(a, '{')], b[:strings.IndexByte(b, '{')])
	}) {
		t.Error("a family's metrics are not contiguous")
	}
}

func TestSnapshotIsPresorted(t *testing.T) {
	r := newTestRefresher(t, manySeriesSource(300), config.Enrollment{Enrollment: "100"})
	r.refresh(context.Background())
	metrics := r.snap.Load().metrics
	if got := labelRows(t, metrics); !slices.Equal(got, labelRows(t, presort(metrics))) {
		t.Error("the snapshot is not in Gather's order")
	}
}
