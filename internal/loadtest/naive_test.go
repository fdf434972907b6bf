package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// TestRunNaive builds the naive client as the load test does and runs it,
// sampled, against a small fake.
func TestRunNaive(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	bin := filepath.Join(work, "naive")
	if err := buildStatic(ctx, naivePkg, bin); err != nil {
		t.Fatal(err)
	}
	f, err := serveFake(fakeapi.Options{RowsPerDay: 40, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	cur, prev := periodsNow()
	want := f.Truth(cur).UsageRows + f.Truth(prev).UsageRows
	for _, keep := range []bool{false, true} {
		r, err := runNaive(ctx, bin, f, work, keep, cur+","+prev)
		if err != nil {
			t.Fatalf("keep %v: %v", keep, err)
		}
		if r.Rows != want || r.keepRows != keep || (r.KeptRows == want) != keep || r.PeakHeap <= 0 || r.PeakRSS <= 0 {
			t.Errorf("keep %v: %+v, want %d rows", keep, r.Report, want)
		}
		// The kernel's RSS counters are per CPU and read approximately (a
		// batch of pages per CPU), VmHWM among them: a sampled total may
		// pass it by a little.
		if p := r.rss; p.samples < 1 || p.anon <= 0 || p.file <= 0 || p.total > r.PeakRSS+2*mib || p.totalAnon > p.anon {
			t.Errorf("keep %v: sampled %+v, VmHWM %d", keep, p, r.PeakRSS)
		}
	}
	if _, err := runNaive(ctx, filepath.Join(work, "none"), f, work, false, cur); err == nil {
		t.Error("a missing naive binary ran")
	}
}
