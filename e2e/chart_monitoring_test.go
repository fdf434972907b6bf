package e2e

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Prometheus's default lookback: instant selectors see a series only with a
// sample this recent, so the scrape interval must leave room for a miss.
const lookbackDelta = 5 * time.Minute

// selectorLabel is the label values-all.yaml gives the monitoring objects
// for a kube-prometheus-stack Prometheus to select them.
const selectorLabel, selectorValue = "release", "kube-prometheus-stack"

func TestChartServiceMonitorScrapesTheService(t *testing.T) {
	objs := renderChart(t, "values-all.yaml")
	sm := exactlyOne(t, "ServiceMonitors", objs.serviceMonitors)
	svc := exactlyOne(t, "Services", objs.services)
	if sm.Labels[selectorLabel] != selectorValue {
		t.Errorf("ServiceMonitor labels %v lack serviceMonitor.labels %s=%s", sm.Labels, selectorLabel, selectorValue)
	}
	sel := sm.Spec.Selector
	if len(sel.MatchLabels) == 0 || len(sel.MatchExpressions) > 0 || !labelsWithin(sel.MatchLabels, svc.Labels) {
		t.Errorf("ServiceMonitor selector %+v does not select the Service's labels %v", sel, svc.Labels)
	}
	if ns := sm.Spec.NamespaceSelector; !ns.Any && !slices.Contains(ns.MatchNames, svc.Namespace) {
		t.Errorf("ServiceMonitor namespaceSelector %+v misses the Service's namespace %s", ns, svc.Namespace)
	}
	ep := exactlyOne(t, "ServiceMonitor endpoints", sm.Spec.Endpoints)
	port := exactlyOne(t, "Service ports", svc.Spec.Ports)
	if ep.Port != port.Name || ep.TargetPort != nil || ep.Path != "/metrics" {
		t.Errorf("ServiceMonitor scrapes port %q (targetPort %v) path %q, want the Service's port %q and /metrics", ep.Port, ep.TargetPort, ep.Path, port.Name)
	}
	interval, timeout := parseOperatorDuration(t, ep.Interval), parseOperatorDuration(t, ep.ScrapeTimeout)
	if interval > lookbackDelta/2 || timeout <= 0 || timeout > interval {
		t.Errorf("interval %s, scrapeTimeout %s: want an interval of at most %s (two samples per lookback) and a timeout within it", interval, timeout, lookbackDelta/2)
	}
	job := alertsJob(t)
	if got := svc.Labels[sm.Spec.JobLabel]; sm.Spec.JobLabel == "" || got != job {
		t.Errorf("ServiceMonitor jobLabel %q gives job=%q (the Service's label), but the shipped alerts select job=%q", sm.Spec.JobLabel, got, job)
	}
}

func parseOperatorDuration(t *testing.T, d monitoringv1.Duration) time.Duration {
	t.Helper()
	return parsePromDuration(t, string(d))
}

// parsePromDuration parses a duration as Prometheus writes them (1d, 5m).
func parsePromDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	parsed, err := model.ParseDuration(s)
	if err != nil {
		t.Errorf("duration %q: %v", s, err)
	}
	return time.Duration(parsed)
}

// alertsJob returns the one job the shipped rules select by.
func alertsJob(t *testing.T) string {
	t.Helper()
	p := assets.NewParser()
	jobs := map[string]bool{}
	for _, f := range loadRuleFiles(t, p) {
		for _, q := range f.Queries() {
			expr, err := p.ParseExpr(q.Expr)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok {
					for _, m := range vs.LabelMatchers {
						if m.Name == model.JobLabel && m.Type == labels.MatchEqual {
							jobs[m.Value] = true
						}
					}
				}
				return nil
			})
		}
	}
	if len(jobs) != 1 {
		t.Fatalf("the shipped rules select jobs %v, want exactly one", slices.Sorted(maps.Keys(jobs)))
	}
	return slices.Collect(maps.Keys(jobs))[0]
}

// TestChartPrometheusRuleHoldsTheShippedRules compares the PrometheusRule
// with alerts/, group by group and rule by rule.
func TestChartPrometheusRuleHoldsTheShippedRules(t *testing.T) {
	objs := renderChart(t, "values-all.yaml")
	pr := exactlyOne(t, "PrometheusRules", objs.prometheusRules)
	if pr.Labels[selectorLabel] != selectorValue {
		t.Errorf("PrometheusRule labels %v lack prometheusRule.labels %s=%s", pr.Labels, selectorLabel, selectorValue)
	}
	var want []ruleGroupView
	for _, f := range loadRuleFiles(t, assets.NewParser()) {
		for _, g := range f.Groups {
			want = append(want, viewRulefmtGroup(g))
		}
	}
	var got []ruleGroupView
	for _, g := range pr.Spec.Groups {
		got = append(got, viewOperatorGroup(t, g))
	}
	if len(got) != len(want) {
		t.Fatalf("PrometheusRule has %d groups, alerts/ has %d", len(got), len(want))
	}
	rules := 0
	for i := range want {
		if !slices.EqualFunc(got[i].rules, want[i].rules, ruleView.equal) || got[i].name != want[i].name || got[i].interval != want[i].interval {
			t.Errorf("group %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
		rules += len(want[i].rules)
	}
	t.Logf("%d groups, %d rules", len(want), rules)
}

// ruleGroupView and ruleView hold what Prometheus evaluates of a rule group,
// from either rulefmt or the operator's types.
type ruleGroupView struct {
	name     string
	interval model.Duration
	rules    []ruleView
}

type ruleView struct {
	record, alert, expr string
	forDuration         model.Duration
	labels, annotations map[string]string
}

func (r ruleView) equal(o ruleView) bool {
	return r.record == o.record && r.alert == o.alert && r.expr == o.expr && r.forDuration == o.forDuration &&
		maps.Equal(r.labels, o.labels) && maps.Equal(r.annotations, o.annotations)
}

func viewRulefmtGroup(g rulefmt.RuleGroup) ruleGroupView {
	v := ruleGroupView{name: g.Name, interval: g.Interval}
	for _, r := range g.Rules {
		v.rules = append(v.rules, ruleView{
			record: r.Record, alert: r.Alert, expr: r.Expr, forDuration: r.For,
			labels: nonNil(r.Labels), annotations: nonNil(r.Annotations),
		})
	}
	return v
}

func viewOperatorGroup(t *testing.T, g monitoringv1.RuleGroup) ruleGroupView {
	t.Helper()
	v := ruleGroupView{name: g.Name}
	if g.Interval != nil {
		v.interval = model.Duration(parseOperatorDuration(t, *g.Interval))
	}
	for _, r := range g.Rules {
		rv := ruleView{record: r.Record, alert: r.Alert, expr: r.Expr.String(), labels: nonNil(r.Labels), annotations: nonNil(r.Annotations)}
		if r.For != nil {
			rv.forDuration = model.Duration(parseOperatorDuration(t, *r.For))
		}
		v.rules = append(v.rules, rv)
	}
	return v
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// TestChartDashboardsAreTheShippedOnes: one ConfigMap per file of
// dashboards/, byte for byte, labelled for the Grafana sidecar.
func TestChartDashboardsAreTheShippedOnes(t *testing.T) {
	objs := renderChart(t, "values-all.yaml")
	want := map[string][]byte{}
	for _, path := range chartDashboardFiles(t) {
		want[filepath.Base(path)] = slurp(t, path)
	}
	seen := map[string]bool{}
	for _, cm := range objs.configMaps {
		if cm.Labels["grafana_dashboard"] == "" {
			continue
		}
		if cm.Labels["grafana_dashboard"] != "1" || cm.Annotations["grafana_folder"] != "Azure EA" {
			t.Errorf("ConfigMap %s: label grafana_dashboard=%q and annotation grafana_folder=%q, want 1 and the values' folder",
				cm.Name, cm.Labels["grafana_dashboard"], cm.Annotations["grafana_folder"])
		}
		if len(cm.Data) != 1 || len(cm.BinaryData) != 0 {
			t.Errorf("ConfigMap %s holds %d files, want one dashboard", cm.Name, len(cm.Data)+len(cm.BinaryData))
		}
		for name, text := range cm.Data {
			if seen[name] {
				t.Errorf("dashboard %s is in two ConfigMaps", name)
			}
			seen[name] = true
			if w, ok := want[name]; !ok || string(w) != text {
				t.Errorf("ConfigMap %s: %s is not byte for byte the file in %s", cm.Name, name, dashboardsDir)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("dashboard %s is in no ConfigMap", name)
		}
	}
}
