package main

import (
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/internal/naive"
)

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b float64
		want string
	}{{1, 2, "0.50"}, {30, 20, "1.50"}, {1, 3, "0.33"}, {1, 0, "n/a"}, {0, 5, "0.00"}} {
		if got := ratio(tc.a, tc.b); got != tc.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPrintMemory(t *testing.T) {
	res := &refreshResult{rows: 100, days: 2, rowsPerDay: 50, method: "auto", firstUsage: 2 * time.Second,
		exporterRows: 100, exporterCost: 12.5, truthCost: 12.5, peakRSS: 31 * mib, naiveBinary: 6 * mib,
		exporter: processMemory{binary: 17 * mib, hwm: 30 * mib,
			rss: rssPeaks{samples: 900, anon: 13 * mib, file: 16 * mib, total: 28 * mib, totalAnon: 12 * mib}}}
	res.naive = []*naiveResult{
		{Report: naive.Report{Rows: 100, Cost: 12.5, Seconds: 8, PeakHeap: 9 * mib, PeakRSS: 20 * mib},
			rss: rssPeaks{samples: 4000, anon: 26 * mib, file: 5 * mib, total: 30 * mib, totalAnon: 25 * mib}},
		{Report: naive.Report{Rows: 99, Cost: 12.5, Seconds: 10, PeakHeap: 90 * mib, PeakRSS: 120 * mib, KeptRows: 99},
			rss: rssPeaks{samples: 5000, anon: 104 * mib, file: 5 * mib, total: 108 * mib, totalAnon: 103 * mib}, keepRows: true},
	}
	var b strings.Builder
	res.print(&b)
	out := b.String()
	for _, line := range []string{
		"| exporter peak RSS (VmHWM), through the second refresh | 31.0 MiB |",
		"| exporter's figures | rows and cost equal the fake's |",
		"| naive client, streaming: refresh | 8.00 s (the exporter is 4.0x faster) |",
		"| naive client, streaming: rows, cost, bytes | 100, 12.50, 0.0 MiB: equal the exporter's |",
		"| naive client, keeping the rows: rows, cost, bytes | 99, 12.50, 0.0 MiB: MISMATCH: 99 rows, cost 12.5 |",
		"| exporter | 17.0 MiB | 2.00 s | 30.0 MiB | 13.0 MiB | 16.0 MiB | 28.0 = 12.0 + 16.0 MiB | - | 900 |",
		"| naive client, streaming | 6.0 MiB | 8.00 s | 20.0 MiB | 26.0 MiB | 5.0 MiB | 30.0 = 25.0 + 5.0 MiB | 9.0 MiB | 4000 |",
		"| naive client, keeping the rows | 6.0 MiB | 10.00 s | 120.0 MiB | 104.0 MiB | 5.0 MiB | 108.0 = 103.0 + 5.0 MiB | 90.0 MiB | 5000 |",
		"| naive client, streaming | 0.25 | 1.50 | 0.50 |",
		"| naive client, keeping the rows | 0.20 | 0.25 | 0.12 |",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("no line %q in\n%s", line, out)
		}
	}
	for _, words := range []string{"anonymous (private) memory", "file-backed (binary pages)"} {
		if !strings.Contains(out, words) {
			t.Errorf("the report does not say %q", words)
		}
	}
}

func TestPrintMemoryWithoutNaive(t *testing.T) {
	res := &refreshResult{firstUsage: time.Second, exporter: processMemory{hwm: mib}}
	var b strings.Builder
	res.printMemory(&b)
	if out := b.String(); !strings.Contains(out, "| exporter |") || strings.Contains(out, "exporter / naive") {
		t.Errorf("memory table without a naive client:\n%s", out)
	}
}
