package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// report is everything a soak run counted.
type report struct {
	opts     options
	elapsed  time.Duration
	versions []dataVersion

	fake                          fakeapi.Stats
	keys                          keyEvents
	versionsServed                int
	foreignRequests, foreignKeyed int64

	logs      logCounts
	scrapes   scrapeCounts
	restarts  int
	exits     []string
	stopError string

	samples       []sample
	restBefore    float64 // goroutines at rest before the load
	restAfter     float64 // and after it
	pageLeaks     int
	samplerErrors int
	refused       map[string]float64
	retries       map[string]float64
	requests      map[string]float64
}

// growth is a figure at the start and at the end of the run.
type growth struct {
	start, end float64
	n          int // samples behind each median
}

// growthOf compares a figure under load early and late in the run: the
// medians of the first and of the last tenth of the samples taken after a
// warm-up of a fifth of the run.
func (r *report) growthOf(field func(sample) float64) growth {
	var loaded []float64
	for _, s := range r.samples {
		if s.at >= r.elapsed/5 && s.at <= r.elapsed {
			loaded = append(loaded, field(s))
		}
	}
	if len(loaded) < 2 {
		return growth{}
	}
	k := max(1, len(loaded)/10)
	return growth{start: medianOf(loaded[:k]), end: medianOf(loaded[len(loaded)-k:]), n: k}
}

func (r *report) rss() growth { return r.growthOf(func(s sample) float64 { return s.rss }) }

// processStarts counts the distinct process start times the exporter
// reported: more than one means it restarted, whoever restarted it.
func (r *report) processStarts() int {
	seen := map[float64]bool{}
	for _, s := range r.samples {
		seen[s.started] = true
	}
	return len(seen)
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func (r *report) totalRequests() int {
	n := 0
	for _, v := range r.fake.Requests {
		n += v
	}
	return n
}

// failures lists what makes the run fail.
func (r *report) failures() []string {
	var f []string
	fail := func(cond bool, format string, args ...any) {
		if cond {
			f = append(f, fmt.Sprintf(format, args...))
		}
	}
	fail(r.restarts > 0, "the exporter restarted %d times", r.restarts)
	fail(r.processStarts() > 1, "the exporter reported %d different start times", r.processStarts())
	fail(r.scrapes.inconsistent > 0, "%d scrapes were inconsistent with every data version served", r.scrapes.inconsistent)
	fail(r.scrapes.errors > 0, "%d scrapes failed", r.scrapes.errors)
	fail(r.scrapes.ok == 0, "no scrape succeeded")
	fail(r.logs.crashes > 0, "%d lines of panics, fatal errors or race reports", r.logs.crashes)
	fail(r.logs.leaks+r.pageLeaks > 0, "the key (or part of it) appeared in %d log lines and %d pages", r.logs.leaks, r.pageLeaks)
	fail(r.foreignKeyed > 0, "%d requests carried the key to the foreign host", r.foreignKeyed)
	fail(sumCounts(r.logs.refreshOK) == 0, "no dataset refresh succeeded")
	fail(r.opts.faultRate > 0 && r.fake.FaultsInjected == 0, "no fault was injected")
	fail(r.stopError != "", "%s", r.stopError)
	rss := r.rss()
	limit := rss.start*(1+r.opts.rssGrowth) + r.opts.rssSlack
	fail(rss.n == 0, "too few samples of RSS")
	fail(rss.n > 0 && !r.opts.race && rss.end > limit, "RSS grew from %s to %s (limit %s)", mib(rss.start), mib(rss.end), mib(limit))
	fail(r.restBefore == 0 || r.restAfter == 0, "the goroutines at rest could not be read")
	fail(r.restAfter > r.restBefore+r.opts.goroutineSlack, "goroutines at rest grew from %.0f to %.0f (limit +%.0f)",
		r.restBefore, r.restAfter, r.opts.goroutineSlack)
	return f
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// write prints the report.
func (r *report) write(w io.Writer) {
	o := r.opts
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("soak: %s, %d scrapers (pause %s), refresh every %s, fault rate %.2f (%s), data moves a day every %s, key churn every %s",
		r.elapsed.Round(time.Second), o.scrapers, o.scrapePause, o.refresh, o.faultRate, faultNames(o.faults), o.dayEvery, o.keyEvery)
	total := r.totalRequests()
	p("fake API     %d requests (%s), %d faults injected (%.1f%%), %d answered 401 for a revoked key",
		total, routeCounts(r.fake.Requests), r.fake.FaultsInjected, pct(r.fake.FaultsInjected, total), r.fake.Unauthorized)
	p("             key revoked %d times and restored %d times, rotated %d times; %d of %d data versions served (days %s)",
		r.keys.revoked, r.keys.restored, r.keys.rotated, r.versionsServed, len(r.versions), dayRange(r.versions))
	p("             foreign host: %d requests, %d with the key", r.foreignRequests, r.foreignKeyed)
	ok, failed := sumCounts(r.logs.refreshOK), sumCounts(r.logs.refreshFailed)
	p("refreshes    %d dataset refreshes ok, %d failed, %d skipped while one ran; by dataset ok/failed: %s",
		ok, failed, r.logs.refreshSkipped, datasetCounts(r.logs.refreshOK, r.logs.refreshFailed))
	p("             failed by cause: %s", intCounts(r.logs.causes))
	p("exporter API %s requests by code; retries %s; refused links %s",
		floatCounts(r.requests), floatCounts(r.retries), floatCounts(r.refused))
	s := r.scrapes
	avg := time.Duration(0)
	if s.ok > 0 {
		avg = s.total / time.Duration(s.ok)
	}
	p("scrapes      %d ok (%.0f/s, mean %s, slowest %s), %d errors, %d shed at the in-flight limit (503)",
		s.ok, float64(s.ok)/r.elapsed.Seconds(), avg.Round(time.Microsecond), s.slowest.Round(time.Millisecond), s.errors, s.shed)
	p("             %d inconsistent, %d before any usage data; usage data versions seen: %d (days %s)",
		s.inconsistent, s.noUsage, len(s.versionsSeen), strings.Join(servedDays(r.versions, s.versionsSeen), " "))
	p("process      %d restarts, %d start times, %d panics or races, key seen in %d log lines and %d pages; %d log lines (%d errors besides failed refreshes, %d unstructured)",
		r.restarts, r.processStarts(), r.logs.crashes, r.logs.leaks, r.pageLeaks, r.logs.lines, r.logs.errors, r.logs.unstructured)
	rss := r.rss()
	note := ""
	if o.race {
		note = "; no limit for a race build"
	}
	p("memory       RSS under load %s after the warm-up, %s at the end (%+.1f%%, medians of 1 s samples%s); goroutines at rest %.0f before, %.0f after",
		mib(rss.start), mib(rss.end), growthPct(rss), note, r.restBefore, r.restAfter)
	for _, e := range append(append(append([]string(nil), r.exits...), s.examples...), r.logs.examples...) {
		p("  example: %s", e)
	}
	if f := r.failures(); len(f) > 0 {
		p("verdict      FAIL: %s", strings.Join(f, "; "))
	} else {
		p("verdict      PASS")
	}
}

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

func growthPct(g growth) float64 {
	if g.start == 0 {
		return 0
	}
	return 100 * (g.end - g.start) / g.start
}

func faultNames(faults []fakeapi.Fault) string {
	names := make([]string, len(faults))
	for i, f := range faults {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}

func routeCounts(m map[fakeapi.Route]int) string {
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", r, m[r]))
	}
	return strings.Join(parts, ", ")
}

func datasetCounts(ok, failed map[string]int) string {
	keys := map[string]bool{}
	for k := range ok {
		keys[k] = true
	}
	for k := range failed {
		keys[k] = true
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, ok[k], failed[k]))
	}
	return strings.Join(parts, ", ")
}

func intCounts(m map[string]int) string {
	f := make(map[string]float64, len(m))
	for k, v := range m {
		f[k] = float64(v)
	}
	return floatCounts(f)
}

func floatCounts(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func dayRange(v []dataVersion) string {
	if len(v) == 0 {
		return "none"
	}
	return v[0].day.Format("2006-01-02") + " to " + v[len(v)-1].day.Format("2006-01-02")
}
