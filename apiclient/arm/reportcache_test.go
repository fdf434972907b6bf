package arm

import (
	"net/http"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// A report that takes longer than ReportMaxAge to generate is fresh when it
// is ready: the reads of one refresh that follow it use it, instead of
// asking for a new one and waiting as long again.
func TestSlowReportIsFreshWhenReady(t *testing.T) {
	f := newFakeARM(t)
	link := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1)
	var polls []func(http.ResponseWriter)
	for range 11 {
		polls = append(polls, accepted("60"))
	}
	rs := f.scriptReport(t, append(polls, finished(completed(link)))...)
	env := newTestEnv(t, f, func(c *Config) { c.ReportTimeout = time.Hour })
	day := func(d int) time.Time { return time.Date(2024, 5, d, 0, 0, 0, 0, time.UTC) }

	start := env.clock.Now()
	collectUsage(t, env.c, apiclient.UsageQuery{Start: day(1), End: day(11)})
	if waited := env.clock.Now().Sub(start); waited <= env.c.cfg.ReportMaxAge {
		t.Fatalf("the report took %s, not longer than ReportMaxAge %s", waited, env.c.cfg.ReportMaxAge)
	}
	collectUsage(t, env.c, apiclient.UsageQuery{Start: day(12), End: day(15)})
	if len(rs.bodies) != 1 {
		t.Errorf("%d reports for two reads of one period right after each other, want 1", len(rs.bodies))
	}

	// Its age still ends its use.
	env.clock.Advance(env.c.cfg.ReportMaxAge)
	collectUsage(t, env.c, apiclient.UsageQuery{Start: day(12), End: day(15)})
	if len(rs.bodies) != 2 {
		t.Errorf("%d reports after ReportMaxAge since the first was ready, want 2", len(rs.bodies))
	}
}
