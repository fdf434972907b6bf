package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"github.com/prometheus/prometheus/promql/parser"
)

// recordName is level:metric:operations, with the metric one of ours.
var recordName = regexp.MustCompile(`^[a-z][a-z_]*:azure_ea_[a-z0-9_]+:[a-z0-9_]+$`)

func TestRuleQueriesNameOnlyKnownMetrics(t *testing.T) {
	p := assets.NewParser()
	files := loadRuleFiles(t, p)
	known := knownMetrics(t, files)
	var queries []assets.Query
	for _, f := range files {
		queries = append(queries, f.Queries()...)
	}
	checkQueries(t, p, queries, known)
}

func TestRecordingRulesAreNamedLevelMetricOperations(t *testing.T) {
	files := loadRuleFiles(t, assets.NewParser())
	for _, name := range assets.RecordedNames(files) {
		if !recordName.MatchString(name) {
			t.Errorf("recording rule %q is not named level:azure_ea_metric:operations", name)
		}
	}
}

// TestAlertsAreRunbooks holds every alert to what Alertmanager receivers and
// on-call people rely on: a routable severity, a one-line summary, a
// description that says what to check and what to do, and a for: duration so
// that one odd refresh does not notify anyone.
func TestAlertsAreRunbooks(t *testing.T) {
	files := loadRuleFiles(t, assets.NewParser())
	severities := []string{"critical", "warning", "info"}
	count := 0
	for _, f := range files {
		for _, a := range f.Alerts() {
			count++
			where := fmt.Sprintf("%s: alert %s", f.Path, a.Alert)
			if !slices.Contains(severities, a.Labels["severity"]) {
				t.Errorf("%s: severity %q, want one of %v", where, a.Labels["severity"], severities)
			}
			summary := strings.TrimSpace(a.Annotations["summary"])
			if summary == "" || !strings.HasSuffix(summary, ".") || strings.Contains(summary, "\n") {
				t.Errorf("%s: summary %q must be one line ending in a period", where, summary)
			}
			desc := a.Annotations["description"]
			for _, part := range []string{"Check:", "Do:"} {
				if !strings.Contains(desc, part) {
					t.Errorf("%s: description lacks %q (what to check, what to do): %q", where, part, desc)
				}
			}
			if a.For <= 0 {
				t.Errorf("%s: no for: duration; billing data changes daily, so an alert must outlast a refresh", where)
			}
		}
	}
	if count == 0 {
		t.Fatalf("no alerts in %s", alertsDir)
	}
}

// TestUnitTestsCoverEveryRule checks the promtool unit tests, which promtool
// itself does not: every alert has a test where it fires and one where it
// does not, every recording rule's output is checked, and no test names an
// alert that does not exist (a misspelt name in a "does not fire" test would
// pass for ever).
func TestUnitTestsCoverEveryRule(t *testing.T) {
	p := assets.NewParser()
	files := loadRuleFiles(t, p)
	tests, err := assets.LoadUnitTests(alertsDir)
	if err != nil {
		t.Fatal(err)
	}
	cov := newCoverage(files)
	for _, tf := range tests {
		cov.add(t, p, tf)
	}
	for _, f := range files {
		path := filepath.Clean(f.Path)
		for _, a := range f.Alerts() {
			c := cov.alerts[ruleKey{path, a.Alert}]
			if c.firing == 0 || c.silent == 0 {
				t.Errorf("%s: alert %s has %d firing and %d non-firing test cases, want at least one of each",
					path, a.Alert, c.firing, c.silent)
			}
		}
		for _, r := range f.Records() {
			if !cov.records[ruleKey{path, r.Record}] {
				t.Errorf("%s: recording rule %s appears in no promql_expr_test of a test file that loads it", path, r.Record)
			}
		}
	}
}

// ruleKey names a rule within a rule file.
type ruleKey struct{ file, name string }

// alertCases counts the test cases of one alert.
type alertCases struct{ firing, silent int }

// coverage gathers what the unit test files check of each rule file they load.
type coverage struct {
	defined map[ruleKey]bool // alerts the rule files define
	alerts  map[ruleKey]alertCases
	records map[ruleKey]bool
}

func newCoverage(files []assets.RuleFile) *coverage {
	c := &coverage{defined: map[ruleKey]bool{}, alerts: map[ruleKey]alertCases{}, records: map[ruleKey]bool{}}
	for _, f := range files {
		for _, a := range f.Alerts() {
			c.defined[ruleKey{filepath.Clean(f.Path), a.Alert}] = true
		}
	}
	return c
}

func (c *coverage) add(t *testing.T, p parser.Parser, tf assets.UnitTestFile) {
	t.Helper()
	ruleFiles := tf.RuleFilePaths()
	for _, group := range tf.Tests {
		for _, at := range group.AlertRuleTests {
			c.addAlertTest(t, tf.Path, ruleFiles, at)
		}
		for _, et := range group.PromQLExprTests {
			expr, err := p.ParseExpr(et.Expr)
			if err != nil {
				t.Errorf("%s: promql_expr_test %q: %v", tf.Path, et.Expr, err)
				continue
			}
			for _, name := range assets.MetricNames(expr) {
				for _, rf := range ruleFiles {
					c.records[ruleKey{rf, name}] = true
				}
			}
		}
	}
}

// addAlertTest counts one alert_rule_test for the rule file that defines the
// alert, and reports a test whose rule files define no such alert.
func (c *coverage) addAlertTest(t *testing.T, testPath string, ruleFiles []string, at assets.AlertRuleTest) {
	t.Helper()
	for _, rf := range ruleFiles {
		k := ruleKey{rf, at.Alertname}
		if !c.defined[k] {
			continue
		}
		cases := c.alerts[k]
		if len(at.ExpAlerts) > 0 {
			cases.firing++
		} else {
			cases.silent++
		}
		c.alerts[k] = cases
		return
	}
	t.Errorf("%s: alert_rule_test at %s names alert %q, which none of its rule files %v defines",
		testPath, at.EvalTime, at.Alertname, ruleFiles)
}

// TestUnitTestsOrderGroups: promtool evaluates the rule groups of a test file
// in random order unless group_eval_order lists them, and alerts that read
// another group's records then pass or fail by chance.
func TestUnitTestsOrderGroups(t *testing.T) {
	files := loadRuleFiles(t, assets.NewParser())
	groupsOf := map[string][]string{}
	for _, f := range files {
		for _, g := range f.Groups {
			groupsOf[filepath.Clean(f.Path)] = append(groupsOf[filepath.Clean(f.Path)], g.Name)
		}
	}
	tests, err := assets.LoadUnitTests(alertsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tf := range tests {
		var groups []string
		for _, rf := range tf.RuleFilePaths() {
			groups = append(groups, groupsOf[rf]...)
		}
		if len(groups) < 2 {
			continue
		}
		for _, g := range groups {
			if !slices.Contains(tf.GroupEvalOrder, g) {
				t.Errorf("%s: loads groups %v, but group_eval_order %v lacks %q", tf.Path, groups, tf.GroupEvalOrder, g)
			}
		}
	}
}
