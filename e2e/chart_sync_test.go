package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
)

// The chart's copies of the shipped files: Helm cannot read files outside the chart.
const (
	chartAlertsDir     = chartDir + "/files/alerts"
	chartDashboardsDir = chartDir + "/files/dashboards"
	syncHint           = "run scripts/sync-chart.sh and commit the copies"
)

// TestChartCopiesMatchAlertsAndDashboards: the chart's PrometheusRule and
// dashboard ConfigMaps are generated from files/, which must hold exactly the
// rule files (not the unit tests) and the dashboards, byte for byte.
func TestChartCopiesMatchAlertsAndDashboards(t *testing.T) {
	rules, err := assets.RuleFilePaths(alertsDir)
	if err != nil {
		t.Fatal(err)
	}
	compareCopies(t, rules, chartAlertsDir)
	compareCopies(t, chartDashboardFiles(t), chartDashboardsDir)
}

// chartDashboardFiles lists the shipped dashboards.
func chartDashboardFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dashboardsDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboards in %s (%v)", dashboardsDir, err)
	}
	return paths
}

// compareCopies checks that dir holds a copy of each of originals and
// nothing else.
func compareCopies(t *testing.T, originals []string, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v: %s", err, syncHint)
	}
	var copies []string
	for _, e := range entries {
		copies = append(copies, e.Name())
	}
	var names []string
	for _, path := range originals {
		name := filepath.Base(path)
		names = append(names, name)
		if !slices.Contains(copies, name) {
			t.Errorf("%s has no copy of %s: %s", dir, path, syncHint)
			continue
		}
		if string(slurp(t, path)) != string(slurp(t, filepath.Join(dir, name))) {
			t.Errorf("%s/%s differs from %s: %s", dir, name, path, syncHint)
		}
	}
	for _, c := range copies {
		if !slices.Contains(names, c) {
			t.Errorf("%s/%s has no original: %s", dir, c, syncHint)
		}
	}
}

// slurp returns the contents of a file, failing the test when it cannot be read.
func slurp(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
