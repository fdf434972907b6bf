package e2e

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/stack"
)

var update = flag.Bool("update", false, "rewrite "+exportedMetricsFile+" from the running exporter's /metrics")

// exportedPrefix selects the exporter's own metrics. The Go runtime and
// process metrics on the same page depend on the Go version and the OS,
// not on this exporter, and no shipped query uses them.
const exportedPrefix = "azure_ea_"

// regenerate says how to bring exportedMetricsFile up to date.
const regenerate = "cd e2e && go test -run 'TestEndToEnd' -update ."

const exportedMetricsHeader = `# Metric names azure-ea-exporter exports (its own ` + exportedPrefix + ` metrics), as they appear in
# /metrics: counters with _total, histograms as their _bucket, _sum and _count series. The static checks
# (shipped_test.go) accept only these, Prometheus's own series and recording rules in shipped queries.
#
# Generated from the running exporter by TestEndToEnd (endtoend_metrics_test.go), which fails when this
# file is stale. Regenerate with:
#   ` + regenerate + `
`

// testExportedMetricNames checks exportedMetricsFile against the names on
// the running exporter's /metrics, with every dataset on and data in every
// metric.
func (e *endToEnd) testExportedMetricNames(t *testing.T) {
	page, err := stack.Scrape(phase(t), e.exporter)
	if err != nil {
		t.Fatal(err)
	}
	served, err := stack.SampleNames(page, exportedPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		text := exportedMetricsHeader + "\n" + strings.Join(served, "\n") + "\n"
		if err := os.WriteFile(exportedMetricsFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d names to %s", len(served), exportedMetricsFile)
		return
	}
	listed, err := assets.LoadNameList(exportedMetricsFile)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	if onlyServed, onlyListed := diff(served, listed), diff(listed, served); len(onlyServed)+len(onlyListed) > 0 {
		t.Errorf("%s is stale: the exporter serves %d %s* names.\n  served but not listed: %v\n  listed but not served: %v\n"+
			"Regenerate it from the exporter with:\n  %s", exportedMetricsFile, len(served), exportedPrefix, onlyServed, onlyListed, regenerate)
	}
}

// diff returns the names of a (sorted) that b lacks.
func diff(a, b []string) []string {
	var out []string
	for _, n := range a {
		if _, found := slices.BinarySearch(b, n); !found {
			out = append(out, n)
		}
	}
	return out
}
