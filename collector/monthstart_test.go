package collector

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/ea"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// In the first days of a month the latest day with usage data is the
// previous period's: its cost is the daily cost, under that period. The
// current period has nothing to forecast from yet, so its forecasts are
// absent until it has a day of data.
func TestDailyCostAtMonthStartIsThePreviousPeriodsLatestDay(t *testing.T) {
	src := testSource() // usage up to 2026-11-19
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100", Budgets: []config.Budget{{Name: "all", Amount: 1000}}})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Hour)
	r.refresh(context.Background())
	c := snapCollector{r}
	want := `
# HELP azure_ea_usage_daily_cost Usage cost of the latest UTC day that has usage data (see azure_ea_usage_latest_day_timestamp_seconds), per department. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_daily_cost gauge
azure_ea_usage_daily_cost{billing_period="202611",currency="EUR",department="Dept A",enrollment="100"} 21
azure_ea_usage_daily_cost{billing_period="202611",currency="EUR",department="Dept B",enrollment="100"} 7
# HELP azure_ea_usage_latest_day_timestamp_seconds Start (UTC midnight) of the latest day that has usage data. Azure usage data arrives with up to 3 days latency. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_latest_day_timestamp_seconds gauge
azure_ea_usage_latest_day_timestamp_seconds{enrollment="100"} 1.7950464e+09
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"azure_ea_usage_daily_cost", "azure_ea_usage_latest_day_timestamp_seconds",
		"azure_ea_usage_cost_forecast", "azure_ea_budget_forecast_cost"); err != nil {
		t.Error(err)
	}
	if v, ok := gaugeValue(t, c, "azure_ea_budget_cost", map[string]string{"billing_period": "202612"}); !ok || v != 0 {
		t.Errorf("budget cost of December = %v (present %v), want 0 to date", v, ok)
	}

	// Once December has a day, it alone has the daily cost and forecasts.
	src.mu.Lock()
	src.rows = append(src.rows, memRow{period: "202612", date: "2026-12-01", cost: 5, values: src.rows[0].values})
	src.version++
	src.mu.Unlock()
	now = now.Add(24 * time.Hour)
	r.refresh(context.Background())
	want = `
# HELP azure_ea_usage_daily_cost Usage cost of the latest UTC day that has usage data (see azure_ea_usage_latest_day_timestamp_seconds), per department. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_daily_cost gauge
azure_ea_usage_daily_cost{billing_period="202612",currency="EUR",department="Dept A",enrollment="100"} 5
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "azure_ea_usage_daily_cost"); err != nil {
		t.Error(err)
	}
	if v, ok := gaugeValue(t, c, "azure_ea_usage_cost_forecast", map[string]string{"billing_period": "202612", "department": "Dept A"}); !ok || v != 5*31 {
		t.Errorf("December's forecast = %v (present %v), want %v", v, ok, 5*31)
	}
	if v, ok := gaugeValue(t, c, "azure_ea_budget_forecast_cost", map[string]string{"billing_period": "202612"}); !ok || v != 5*31 {
		t.Errorf("December's budget forecast = %v (present %v), want %v", v, ok, 5*31)
	}
}

// The audit's reproducer: the simulated EA API at 06:00 on the first of a
// month, when the new period has no usage yet.
func TestDailyCostAtMonthStartAgainstFake(t *testing.T) {
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	key := fakeapi.NewJWTKey(now.Add(30 * 24 * time.Hour))
	fake := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }, Keys: map[string]time.Time{key: now.Add(30 * 24 * time.Hour)}})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := mustConfig(t, config.Enrollment{Enrollment: fakeapi.DefaultEnrollment, APIKeyFile: keyFile, BaseURL: srv.URL})
	src, err := ea.New(ea.Config{BaseURL: srv.URL, Enrollment: fakeapi.DefaultEnrollment, KeyFile: keyFile, Observer: apiclient.NopObserver{}})
	if err != nil {
		t.Fatal(err)
	}
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Minute)
	r.refresh(context.Background())
	c := snapCollector{r}
	latest, ok := gaugeValue(t, c, "azure_ea_usage_latest_day_timestamp_seconds", nil)
	if !ok {
		t.Fatal("no latest day with usage data")
	}
	if day := time.Unix(int64(latest), 0).UTC(); day.Month() != time.November {
		t.Fatalf("the fake's latest day with usage is %s: the test needs one in November", day)
	}
	all := testutil.CollectAndCount(c, "azure_ea_usage_daily_cost")
	if all == 0 {
		t.Error("no azure_ea_usage_daily_cost although azure_ea_usage_latest_day_timestamp_seconds names a day with usage data")
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(matching(mfs, "azure_ea_usage_daily_cost", map[string]string{"billing_period": "202611"})); n != all {
		t.Errorf("%d of %d daily costs are of 202611, the period of the latest day: want all", n, all)
	}
	if n := testutil.CollectAndCount(c, "azure_ea_usage_cost_forecast"); n != 0 {
		t.Errorf("%d forecasts for a period without a day of data", n)
	}
}

// The current balance runs out at the rate of the latest days with data:
// in the first days of a month, those of the previous period. With the
// same data and balance, the exhaustion time at 1 December (labelled with
// December) is the one computed on 20 November.
func TestCreditExhaustionAtMonthStartUsesTheLatestDays(t *testing.T) {
	src := testSource() // usage up to 2026-11-19
	src.balances = map[string]*apiclient.BalanceSummary{
		"202611": {BillingPeriod: "202611", Currency: "EUR", EndingBalance: 5000},
		"202612": {BillingPeriod: "202612", Currency: "EUR", EndingBalance: 5000},
	}
	now := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100"})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Hour)
	r.refresh(context.Background())
	c := snapCollector{r}
	inNovember, ok := gaugeValue(t, c, "azure_ea_credit_exhaustion_timestamp_seconds", map[string]string{"billing_period": "202611"})
	if !ok {
		t.Fatal("no credit exhaustion time on 20 November")
	}
	now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	r.refresh(context.Background())
	atMonthStart, ok := gaugeValue(t, c, "azure_ea_credit_exhaustion_timestamp_seconds", map[string]string{"billing_period": "202612"})
	if !ok {
		t.Fatal("no credit exhaustion time on 1 December, before December has a day of usage")
	}
	if atMonthStart != inNovember {
		t.Errorf("exhaustion at 1 December %v, want %v as on 20 November", atMonthStart, inNovember)
	}
	if n := testutil.CollectAndCount(c, "azure_ea_credit_exhaustion_timestamp_seconds"); n != 1 {
		t.Errorf("%d exhaustion series, want 1 (the current period's)", n)
	}
}
