package e2e

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/grafana"
	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/proc"
)

// minSamples is how many scrapes of the exporter Prometheus must hold
// before the dashboard queries run: rate() and increase() need two.
const minSamples = 3

// shortBuiltins stand in for Grafana's interval and range variables with
// values that the few seconds of data in the test's Prometheus satisfy
// (assets.BuiltinStandIns has the ones a real dashboard would see).
func shortBuiltins() map[string]string {
	return map[string]string{
		"__rate_interval":    "20s",
		"__rate_interval_ms": "20000",
		"__interval":         "2s",
		"__interval_ms":      "2000",
		"__range":            "1h",
		"__range_s":          "3600",
		"__range_ms":         "3600000",
	}
}

// testDashboardQueries runs every dashboard's variable queries and then
// every panel query, with the variables set as Grafana sets them when the
// dashboard opens, and requires each to return data.
func (e *endToEnd) testDashboardQueries(t *testing.T) {
	builtins := shortBuiltins()
	for name := range assets.BuiltinStandIns() {
		if _, ok := builtins[name]; !ok {
			t.Fatalf("shortBuiltins has no stand-in for $%s", name)
		}
	}
	ctx := phase(t)
	if err := e.waitForSamples(ctx); err != nil {
		t.Fatal(err)
	}
	dashboards := loadDashboards(t)
	at := time.Now()
	queries := 0
	for _, d := range dashboards {
		vars, failures := e.resolveVariables(ctx, d, at, builtins)
		for _, f := range failures {
			t.Errorf("%s: %s", d.Path, f)
		}
		t.Logf("%s: variables %v", d.Path, vars)
		for _, p := range d.AllPanels() {
			for _, target := range p.Targets {
				if target.Expr == "" {
					continue
				}
				queries++
				expr := assets.Expand(target.Expr, vars)
				if err := e.requireData(ctx, expr, at); err != nil {
					t.Errorf("%s: panel %d %q, query %s: %v\n  query: %s", d.Path, p.ID, p.Title, target.RefID, err, expr)
				}
			}
		}
	}
	if queries == 0 {
		t.Fatal("no panel queries")
	}
	t.Logf("%d panel queries in %d dashboards", queries, len(dashboards))
}

// waitForSamples waits until Prometheus holds minSamples scrapes of every
// enrollment's data.
func (e *endToEnd) waitForSamples(ctx context.Context) error {
	expr := fmt.Sprintf("count(count_over_time(azure_ea_up[1h]) >= %d)", minSamples)
	want := len(e.scenario.enrollments())
	var last string
	err := proc.Poll(ctx, 200*time.Millisecond, func() (bool, error) {
		res, err := e.prom.Query(ctx, expr, time.Now())
		if err != nil {
			return false, err
		}
		last = fmt.Sprint(res.Series)
		return len(res.Series) == 1 && res.Series[0].Value == fmt.Sprint(want), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d enrollments with %d samples each (%s): %w; last: %s", want, minSamples, expr, err, last)
	}
	return nil
}

// requireData runs expr and fails unless it returns at least one series.
func (e *endToEnd) requireData(ctx context.Context, expr string, at time.Time) error {
	res, err := e.prom.Query(ctx, expr, at)
	if err != nil {
		return err
	}
	if len(res.Series) == 0 {
		return fmt.Errorf("no data (%s)", res.Type)
	}
	return nil
}

// resolveVariables gives d's template variables their default selection
// (see package grafana), running each query variable's label_values
// against Prometheus with the variables before it expanded. It returns the
// values for assets.Expand, builtins included, and one message per
// variable that does not resolve.
func (e *endToEnd) resolveVariables(ctx context.Context, d assets.Dashboard, at time.Time, builtins map[string]string) (map[string]string, []string) {
	vars := maps.Clone(builtins)
	list, err := grafana.Variables(d.Raw)
	if err != nil {
		return vars, []string{err.Error()}
	}
	var failures []string
	for _, v := range list {
		value, ok, err := e.variableValue(ctx, v, vars, at)
		switch {
		case err != nil:
			failures = append(failures, err.Error())
		case ok:
			vars[v.Name] = value
		}
	}
	return vars, failures
}

// variableValue resolves one variable; ok is false for a variable that
// stands for no value in a query (a data source).
func (e *endToEnd) variableValue(ctx context.Context, v grafana.Variable, vars map[string]string, at time.Time) (string, bool, error) {
	if value, ok, err := v.Fixed(); ok {
		return value, true, err
	}
	if v.Type != "query" {
		return "", false, nil
	}
	selector, label, ok := v.LabelValues()
	if !ok {
		return "", false, fmt.Errorf("variable %s: query %q is not label_values(selector, label), the form this test resolves", v.Name, v.QueryText())
	}
	expr := assets.Expand(selector, vars)
	res, err := e.prom.Query(ctx, expr, at)
	if err != nil {
		return "", false, fmt.Errorf("variable %s: %w\n  query: %s", v.Name, err, expr)
	}
	var values []string
	for _, s := range res.Series {
		if val, ok := s.Labels[label]; ok {
			values = append(values, val)
		}
	}
	opts, err := v.Options(values)
	if err != nil {
		return "", false, err
	}
	value, err := v.Selection(opts)
	if err != nil {
		return "", false, fmt.Errorf("variable %s: label_values(%s, %s) returns no values\n  query: %s", v.Name, selector, label, expr)
	}
	return value, true, nil
}
