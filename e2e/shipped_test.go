package e2e

import (
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"github.com/prometheus/prometheus/promql/parser"
)

// Where the shipped files and the name lists live, relative to this package.
const (
	alertsDir             = "../alerts"
	dashboardsDir         = "../dashboards"
	exportedMetricsFile   = "testdata/exported_metrics.txt"
	prometheusMetricsFile = "testdata/prometheus_metrics.txt"
)

func loadDashboards(t *testing.T) []assets.Dashboard {
	t.Helper()
	dashboards, err := assets.LoadDashboards(dashboardsDir)
	if err != nil {
		t.Fatal(err)
	}
	return dashboards
}

func loadRuleFiles(t *testing.T, p parser.Parser) []assets.RuleFile {
	t.Helper()
	files, err := assets.LoadRuleFiles(alertsDir, p)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// knownMetrics maps every metric name a shipped query may select to where it
// comes from: the exporter, Prometheus itself, or a recording rule.
func knownMetrics(t *testing.T, rules []assets.RuleFile) map[string]string {
	t.Helper()
	known := map[string]string{}
	for _, list := range []struct{ path, source string }{
		{exportedMetricsFile, "exporter"},
		{prometheusMetricsFile, "prometheus"},
	} {
		names, err := assets.LoadNameList(list.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			known[n] = list.source
		}
	}
	for _, n := range assets.RecordedNames(rules) {
		known[n] = "recording rule"
	}
	return known
}

// checkQueries parses every query and reports, per query, a parse error or
// each metric name it selects that is not in known.
func checkQueries(t *testing.T, p parser.Parser, queries []assets.Query, known map[string]string) {
	t.Helper()
	if len(queries) == 0 {
		t.Fatal("no queries found")
	}
	for _, q := range queries {
		expr, err := assets.ParseQuery(p, q, nil)
		if err != nil {
			t.Errorf("does not parse: %v\n  expr: %s", err, q.Expr)
			continue
		}
		names := assets.MetricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: selects no metric by name: %s", q, q.Expr)
		}
		for _, n := range names {
			if _, ok := known[n]; !ok {
				t.Errorf("%s: metric %q is neither exported (%s) nor recorded in %s", q, n, exportedMetricsFile, alertsDir)
			}
		}
	}
}
