package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/amwebhook"
)

// alertMatch names alerts by labels: an alert matches when it has every
// label listed, with that value.
type alertMatch map[string]string

func (m alertMatch) matches(a amwebhook.Alert) bool {
	for k, v := range m {
		if a.Labels[k] != v {
			return false
		}
	}
	return true
}

// selector writes m as a PromQL selector of the ALERTS series.
func (m alertMatch) selector() string {
	var matchers []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		matchers = append(matchers, fmt.Sprintf("%s=%q", k, m[k]))
	}
	return "ALERTS{" + strings.Join(matchers, ", ") + "}"
}

func (m alertMatch) String() string { return m.selector() }

// firingAlerts are the alerts the scenario must raise, with the labels
// receivers route on.
func (sc *scenario) firingAlerts() []alertMatch {
	o := sc.overrun
	return []alertMatch{
		{"alertname": "AzureEABudgetExceeded", "enrollment": o.number, "billing_period": o.current,
			"budget": tinyBudget, "scope_type": "enrollment", "severity": "warning"},
		{"alertname": "AzureEAOverageStarted", "enrollment": o.number, "billing_period": o.current, "severity": "warning"},
		{"alertname": "AzureEAAPIKeyExpiringSoon", "enrollment": o.number, "severity": "warning"},
	}
}

// silentAlerts are alerts the scenario must not raise.
func (sc *scenario) silentAlerts() []alertMatch {
	return []alertMatch{
		// Far above the period's cost: neither exceeded nor forecast to be.
		{"budget": hugeBudget},
		{"alertname": "AzureEAAPIKeyExpired"},
		{"alertname": "AzureEARefreshFailing"},
		{"alertname": "AzureEAExporterDown"},
		// Half a year to go, and credit left.
		{"alertname": "AzureEAAPIKeyExpiringSoon", "enrollment": sc.healthy.number},
		{"alertname": "AzureEAOverageStarted", "enrollment": sc.healthy.number},
	}
}

// testAlertsFire waits until Alertmanager has notified the webhook of every
// alert the scenario raises, then checks what receivers rely on.
func (e *endToEnd) testAlertsFire(t *testing.T) {
	want := e.scenario.firingAlerts()
	alerts, err := e.waitForFiring(phase(t))
	if err != nil {
		t.Fatalf("%v\nnot received: %v\nreceived: %s", err, missing(want, alerts), describe(alerts))
	}
	t.Logf("received: %s", describe(alerts))
	_, errs := e.webhook.Alerts()
	for _, err := range errs {
		t.Errorf("webhook: %v", err)
	}
	for _, m := range want {
		for _, a := range alerts {
			if m.matches(a) {
				checkNotification(t, a, m["enrollment"])
			}
		}
	}
}

// checkNotification checks that an alert reads well in a notification.
func checkNotification(t *testing.T, a amwebhook.Alert, enrollment string) {
	t.Helper()
	if a.Status != "firing" {
		t.Errorf("%s: status %q, want firing", a.Name(), a.Status)
	}
	for _, name := range []string{"summary", "description"} {
		text := a.Annotations[name]
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s: no %s annotation: %v", a.Name(), name, a.Annotations)
		}
		// What Prometheus's templates print for a label the alert lacks.
		if strings.Contains(text, "<no value>") {
			t.Errorf("%s: %s names a missing label: %q", a.Name(), name, text)
		}
	}
	if !strings.Contains(a.Annotations["summary"], enrollment) {
		t.Errorf("%s: summary %q does not name enrollment %s", a.Name(), a.Annotations["summary"], enrollment)
	}
}

// testAlertsStaySilent checks, at the end of the run, that no alert the
// scenario must not raise reached the webhook or was ever pending or
// firing in Prometheus.
func (e *endToEnd) testAlertsStaySilent(t *testing.T) {
	ctx := phase(t)
	// The expected alerts come from every rule group: once they are in,
	// every group has evaluated the exporter's data, and silence means
	// something.
	if e.firingMissed {
		t.Fatal("the expected alerts never arrived (see the alerts subtest), so silence proves nothing")
	}
	if _, err := e.waitForFiring(ctx); err != nil {
		t.Fatalf("%v: the rules have not evaluated the exporter's data yet", err)
	}
	alerts, _ := e.webhook.Alerts()
	for _, m := range e.scenario.silentAlerts() {
		for _, a := range alerts {
			if m.matches(a) {
				t.Errorf("%v: the webhook received %s %v", m, a.Name(), a.Labels)
			}
		}
		// The range covers the whole run: Prometheus started with it.
		expr := "count_over_time(" + m.selector() + "[1h])"
		res, err := e.prom.Query(ctx, expr, time.Now())
		if err != nil {
			t.Errorf("%v: %v", m, err)
			continue
		}
		for _, s := range res.Series {
			t.Errorf("%v: Prometheus had it pending or firing in %s evaluations: %v", m, s.Value, s.Labels)
		}
	}
}

// waitForFiring waits until the webhook has received every alert the
// scenario raises, and remembers when they never came.
func (e *endToEnd) waitForFiring(ctx context.Context) ([]amwebhook.Alert, error) {
	want := e.scenario.firingAlerts()
	alerts, err := e.webhook.WaitFor(ctx, func(alerts []amwebhook.Alert) bool {
		return len(missing(want, alerts)) == 0
	})
	e.firingMissed = err != nil
	return alerts, err
}

// missing returns the matches no alert satisfies.
func missing(want []alertMatch, alerts []amwebhook.Alert) []alertMatch {
	var out []alertMatch
	for _, m := range want {
		if !slices.ContainsFunc(alerts, m.matches) {
			out = append(out, m)
		}
	}
	return out
}

func describe(alerts []amwebhook.Alert) string {
	if len(alerts) == 0 {
		return "nothing"
	}
	var b strings.Builder
	for _, a := range alerts {
		fmt.Fprintf(&b, "\n  %s %v", a.Status, a.Labels)
	}
	return b.String()
}
