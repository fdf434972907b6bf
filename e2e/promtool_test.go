package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"go.yaml.in/yaml/v3"
)

// promtool returns the path of promtool, and fails the test when there is
// none: these checks must not pass quietly on a machine without it.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not on PATH (%v). The rule and dashboard checks need it: install Prometheus 2.42's "+
			"promtool with `apt-get install -y --no-install-recommends prometheus` (CI does), then run the tests again.", err)
	}
	return path
}

// runPromtool runs promtool with args and fails the test with its output if
// it does not succeed.
func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), promtool(t), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	paths, err := assets.RuleFilePaths(alertsDir)
	if err != nil {
		t.Fatal(err)
	}
	runPromtool(t, append([]string{"check", "rules"}, paths...)...)
}

func TestPromtoolTestRules(t *testing.T) {
	paths, err := assets.UnitTestPaths(alertsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			runPromtool(t, "test", "rules", path)
		})
	}
}

// TestPromtoolAcceptsDashboardQueries hands every dashboard query, variables
// expanded, to promtool as a recording rule: promtool 2.42 then checks them
// with the PromQL grammar of the Prometheus users run, which the newer Go
// parser only approximates.
func TestPromtoolAcceptsDashboardQueries(t *testing.T) {
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	type group struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	}
	var rules []rule
	var where []string
	for _, d := range loadDashboards(t) {
		for _, q := range d.Queries() {
			rules = append(rules, rule{Record: fmt.Sprintf("dashboard_query_%d", len(rules)), Expr: assets.Expand(q.Expr, nil)})
			where = append(where, fmt.Sprintf("dashboard_query_%d: %s", len(where), q))
		}
	}
	out, err := yaml.Marshal(map[string][]group{"groups": {{Name: "dashboard-queries", Rules: rules}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d dashboard queries:\n%s", len(rules), strings.Join(where, "\n"))
	runPromtool(t, "check", "rules", path)
}
