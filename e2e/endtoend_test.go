package e2e

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/amwebhook"
	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/proc"
	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/promapi"
	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/stack"
)

// Settings of the end-to-end run.
const (
	// exporterModuleDir is the exporter's own module, built by the test.
	exporterModuleDir = ".."
	// scrapeJob is the job name alerts/azure-ea-exporter.yml assumes.
	scrapeJob = "azure-ea-exporter"
	// scrapeInterval and evalInterval are Prometheus's, in seconds: short,
	// so that the test sees several of each within seconds. A scrape takes
	// about 0.1 s; the timeout, the interval, leaves room for a busy machine
	// (with for: 0s, one failed scrape fires AzureEAExporterDown).
	scrapeInterval = 2
	evalInterval   = 1
	// exporterRefresh is longer than the test: the first refresh at start-up
	// is the one the test sees.
	exporterRefresh = 10 * time.Minute
	// startTimeout bounds the start of the stack once the exporter is built
	// (a build from a cold cache takes minutes on two cores, and go test's
	// -timeout bounds it); phaseTimeout each wait after it.
	startTimeout = time.Minute
	phaseTimeout = 45 * time.Second
)

// endToEnd is the running stack the subtests look at.
type endToEnd struct {
	scenario *scenario
	exporter *proc.Process
	prom     *promapi.Client
	webhook  *amwebhook.Receiver
	// firingMissed is set when the expected alerts did not arrive in time.
	firingMissed bool
}

// TestEndToEnd runs the shipped rules and dashboards the way users do: the
// exporter binary, built from this repository, refreshes two simulated
// enrollments (fakeapi); real Prometheus scrapes it and evaluates
// ../alerts; real Alertmanager notifies a webhook. The subtests check the
// alerts that reach the webhook (and those that must not), run every
// dashboard query against Prometheus, and check
// testdata/exported_metrics.txt against what the exporter serves.
func TestEndToEnd(t *testing.T) {
	stack.RequireTools(t)
	e := startEndToEnd(t)
	t.Run("exported metric names", e.testExportedMetricNames)
	t.Run("alerts", e.testAlertsFire)
	t.Run("dashboard queries", e.testDashboardQueries)
	// Last, so that every rule has had the whole run to misfire.
	t.Run("silent alerts", e.testAlertsStaySilent)
}

func startEndToEnd(t *testing.T) *endToEnd {
	t.Helper()
	sc := newScenario(t)
	webhook := amwebhook.NewReceiver()
	hook := httptest.NewServer(webhook)
	t.Cleanup(hook.Close)

	// The build takes longest; Alertmanager starts meanwhile.
	type built struct {
		bin string
		err error
	}
	binDir := t.TempDir()
	build := make(chan built, 1)
	go func() {
		bin, err := stack.BuildExporter(t.Context(), exporterModuleDir, binDir)
		build <- built{bin, err}
	}()
	am := stack.StartAlertmanager(t, hook.URL)
	b := <-build
	if b.err != nil {
		t.Fatal(b.err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	exporter := stack.StartExporter(t, b.bin, sc.exporterConfig(t), exporterRefresh)
	// Prometheus starts once every enrollment's first refresh is done:
	// until then refresh_success is 0, which would fire AzureEARefreshFailing
	// with its for: rewritten to 0s (the shipped 2h outlasts any start-up).
	if err := stack.WaitUp(ctx, exporter, sc.enrollments()); err != nil {
		t.Fatal(err)
	}
	// The shipped rule files with every for: set to 0s, so that alerts fire
	// within seconds; the expressions, labels and annotations stay byte for
	// byte the shipped ones (CopyRulesFiringAtOnce checks it).
	rules, err := stack.CopyRulesFiringAtOnce(alertsDir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prom := stack.StartPrometheus(t, stack.PrometheusConfig{
		Job: scrapeJob, Target: exporter.Addr, ScrapeInterval: scrapeInterval, EvalInterval: evalInterval,
		RuleFiles: rules, Alertmanager: am.Addr,
	})
	return &endToEnd{scenario: sc, exporter: exporter, prom: &promapi.Client{BaseURL: prom.URL()}, webhook: webhook}
}

// phase returns a context for one wait of a subtest.
func phase(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), phaseTimeout)
	t.Cleanup(cancel)
	return ctx
}
