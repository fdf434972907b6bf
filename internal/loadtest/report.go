package main

import (
	"fmt"
	"io"
	"math"
)

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
	fmt.Fprintf(w, "| exporter peak RSS (VmHWM), through the second refresh | %.1f MiB |\n", float64(res.peakRSS)/mib)
	fmt.Fprintf(w, "| usage series (cost + quantity) | %d |\n", res.series)
	check := "rows and cost equal the fake's"
	if res.exporterRows != float64(res.rows) || !near(res.exporterCost, res.truthCost) {
		check = fmt.Sprintf("MISMATCH: %v rows, cost %v; the fake served %d rows, cost %v", res.exporterRows, res.exporterCost, res.rows, res.truthCost)
	}
	fmt.Fprintf(w, "| exporter's figures | %s |\n", check)
	for _, n := range res.naive {
		name := n.name()
		fmt.Fprintf(w, "| %s: refresh | %.2f s (the exporter is %.1fx faster) |\n", name, n.Seconds, n.Seconds/res.firstUsage.Seconds())
		check := "equal the exporter's"
		if float64(n.Rows) != res.exporterRows || !near(n.Cost, res.exporterCost) {
			check = fmt.Sprintf("MISMATCH: %d rows, cost %v", n.Rows, n.Cost)
		}
		fmt.Fprintf(w, "| %s: rows, cost, bytes | %d, %.2f, %.1f MiB: %s |\n", name, n.Rows, n.Cost, float64(n.bytes)/mib, check)
	}
	fmt.Fprintln(w)
	res.printMemory(w)
}

// near compares sums made in different orders.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func (n *naiveResult) name() string {
	if n.keepRows {
		return "naive client, keeping the rows"
	}
	return "naive client, streaming"
}

// memoryRow is one process's line of the memory table.
type memoryRow struct {
	name    string
	seconds float64
	mem     processMemory
	heap    int64 // the peak heap sampled; 0: not measured
}

func (res *refreshResult) memoryRows() []memoryRow {
	rows := []memoryRow{{name: "exporter", seconds: res.firstUsage.Seconds(), mem: res.exporter}}
	for _, n := range res.naive {
		rows = append(rows, memoryRow{name: n.name(), seconds: n.Seconds, heap: n.PeakHeap,
			mem: processMemory{binary: res.naiveBinary, hwm: n.PeakRSS, rss: n.rss}})
	}
	return rows
}

// printMemory writes the memory table of the exporter and the naive
// client, and the exporter's ratios to the naive client.
func (res *refreshResult) printMemory(w io.Writer) {
	fmt.Fprintln(w, "## Memory: the exporter from its start to its first complete snapshot, the naive client over its whole run")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Peak RSS is VmHWM, the kernel's high-water mark: the total to go by. Anonymous (private) memory (RssAnon) is what the process allocated; file-backed (binary pages) memory (RssFile) is pages of its executable mapped in, shared with the page cache and reclaimable. Both are peaks of /proc/<pid>/status read every %s, each on its own; the largest sampled total is split into the two. The kernel reads its per-CPU counters approximately: a sampled total may pass VmHWM by a few hundred KiB. Both binaries are static builds (no cgo, -trimpath, -s -w).\n\n", rssPeriod)
	fmt.Fprintln(w, "| process | binary | refresh | peak RSS (VmHWM) | peak anonymous (private) memory | peak file-backed (binary pages) | largest sampled total = anonymous + file-backed | peak heap (sampled) | samples |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	rows := res.memoryRows()
	for _, r := range rows {
		heap := "-"
		if r.heap > 0 {
			heap = fmt.Sprintf("%.1f MiB", float64(r.heap)/mib)
		}
		p := r.mem.rss
		fmt.Fprintf(w, "| %s | %.1f MiB | %.2f s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f = %.1f + %.1f MiB | %s | %d |\n",
			r.name, float64(r.mem.binary)/mib, r.seconds, float64(r.mem.hwm)/mib, float64(p.anon)/mib, float64(p.file)/mib,
			float64(p.total)/mib, float64(p.totalAnon)/mib, float64(p.total-p.totalAnon)/mib, heap, p.samples)
	}
	if len(rows) < 2 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| exporter / naive client (below 1: the exporter takes less) | refresh time | peak RSS (VmHWM) | peak anonymous (private) memory |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	exp := rows[0]
	for _, n := range rows[1:] {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", n.name, ratio(exp.seconds, n.seconds),
			ratio(float64(exp.mem.hwm), float64(n.mem.hwm)), ratio(float64(exp.mem.rss.anon), float64(n.mem.rss.anon)))
	}
}

// ratio is a/b to two decimals, "n/a" if b is not positive.
func ratio(a, b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}
