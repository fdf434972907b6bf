package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// dims builds a row's dimension values in the default dimensions' order.
func dims(dept, subID, sub, cat, subcat, meter, uom string) map[apiclient.Dimension]string {
	return map[apiclient.Dimension]string{
		apiclient.DimDepartment: dept, apiclient.DimSubscriptionID: subID, apiclient.DimSubscription: sub,
		apiclient.DimMeterCategory: cat, apiclient.DimMeterSubcategory: subcat, apiclient.DimMeterName: meter,
		apiclient.DimUnitOfMeasure: uom,
	}
}

func testSource() *memSource {
	a := dims("Dept A", "g1", "Sub 1", "Compute", "D2", "D2 v3", "Hours")
	a10 := dims("Dept A", "g1", "Sub 1", "Compute", "D2", "D2 v3", "10 Hours")
	b := dims("Dept B", "g2", "Sub 2", "Storage", "LRS", "Blob", "GB")
	return &memSource{
		periods: []apiclient.BillingPeriod{
			{ID: "202611", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC)},
			{ID: "202610", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 31, 23, 59, 59, 0, time.UTC)},
			{ID: "202609", Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 9, 30, 23, 59, 59, 0, time.UTC)},
		},
		balances: map[string]*apiclient.BalanceSummary{
			"202611": {BillingPeriod: "202611", Currency: "EUR ", BeginningBalance: 1100, Utilized: 100, EndingBalance: 1000, TotalUsage: 107, ChargesBilledSeparately: 7, TotalOverage: 7},
			"202610": {BillingPeriod: "202610", Currency: "EUR", BeginningBalance: 1200, Utilized: 100, EndingBalance: 1100, TotalUsage: 100},
		},
		rows: []memRow{
			{period: "202611", date: "2026-11-18", cost: 10, qty: 5, values: a, tags: map[string]string{"env": "prod"}},
			{period: "202611", date: "2026-11-18", cost: 2.5, qty: 1, values: a, tags: map[string]string{"env": "prod"}},
			{period: "202611", date: "2026-11-19", cost: 20, qty: 10, values: a, tags: map[string]string{"env": "prod"}},
			{period: "202611", date: "2026-11-19", cost: 1, qty: 2, values: a10, tags: map[string]string{"env": "prod"}},
			{period: "202611", date: "2026-11-19", cost: 7, qty: 100, values: b, billedSeparately: true},
			{period: "202610", date: "2026-10-31", cost: 100, qty: 50, values: a, tags: map[string]string{"env": "dev"}},
		},
		market: map[string][]apiclient.MarketplaceCharge{
			"202611": {
				{Department: "Dept A", SubscriptionID: "g1", Subscription: "Sub 1", Publisher: "Acme", Offer: "Widget™", Plan: "basic", Cost: 3},
				{Department: "Dept A", SubscriptionID: "g1", Subscription: "Sub 1", Publisher: "Acme", Offer: "Widget™", Plan: "basic", Cost: 4},
			},
		},
		prices: []apiclient.PriceSheetItem{
			{MeterID: "m1", MeterName: "D2 v3", PartNumber: "P1", UnitOfMeasure: "1 Hour", UnitPrice: 0.5, IncludedQuantity: 0, Currency: "EUR"},
			{MeterID: "m1", MeterName: "D2 v3", PartNumber: "P1", UnitOfMeasure: "1 Hour", UnitPrice: 9, Currency: "EUR"},
		},
		expiry: time.Unix(1800000000, 0),
	}
}

func mustConfig(t *testing.T, es ...config.Enrollment) *config.Config {
	t.Helper()
	c, err := config.New(es...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// snapCollector exposes one refresher's snapshot.
type snapCollector struct{ r *refresher }

func (s snapCollector) Describe(chan<- *prometheus.Desc) {}
func (s snapCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s.r.snap.Load().metrics {
		ch <- m
	}
}

func newTestRefresher(t *testing.T, src apiclient.Source, ec config.Enrollment) *refresher {
	t.Helper()
	cfg := mustConfig(t, ec)
	l := newLayout(cfg)
	return newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), fixedNow, time.Hour)
}

func TestUsageAggregation(t *testing.T) {
	r := newTestRefresher(t, testSource(), config.Enrollment{Enrollment: "100"})
	r.refresh(context.Background())
	c := snapCollector{r}
	want := `
# HELP azure_ea_usage_cost Usage cost of the billing period to date, summed over usage details rows by the configured dimensions. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_cost gauge
azure_ea_usage_cost{billing_period="202610",currency="EUR",department="Dept A",enrollment="100",meter_category="Compute",meter_name="D2 v3",meter_subcategory="D2",subscription="Sub 1",subscription_id="g1"} 100
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="Dept A",enrollment="100",meter_category="Compute",meter_name="D2 v3",meter_subcategory="D2",subscription="Sub 1",subscription_id="g1"} 33.5
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="Dept B",enrollment="100",meter_category="Storage",meter_name="Blob",meter_subcategory="LRS",subscription="Sub 2",subscription_id="g2"} 7
# HELP azure_ea_usage_quantity Consumed quantity of the billing period to date, in unit_of_measure units, summed over usage details rows. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_quantity gauge
azure_ea_usage_quantity{billing_period="202610",department="Dept A",enrollment="100",meter_category="Compute",meter_name="D2 v3",meter_subcategory="D2",subscription="Sub 1",subscription_id="g1",unit_of_measure="Hours"} 50
azure_ea_usage_quantity{billing_period="202611",department="Dept A",enrollment="100",meter_category="Compute",meter_name="D2 v3",meter_subcategory="D2",subscription="Sub 1",subscription_id="g1",unit_of_measure="10 Hours"} 2
azure_ea_usage_quantity{billing_period="202611",department="Dept A",enrollment="100",meter_category="Compute",meter_name="D2 v3",meter_subcategory="D2",subscription="Sub 1",subscription_id="g1",unit_of_measure="Hours"} 16
azure_ea_usage_quantity{billing_period="202611",department="Dept B",enrollment="100",meter_category="Storage",meter_name="Blob",meter_subcategory="LRS",subscription="Sub 2",subscription_id="g2",unit_of_measure="GB"} 100
# HELP azure_ea_usage_daily_cost Usage cost of the latest UTC day that has usage data (see azure_ea_usage_latest_day_timestamp_seconds), per department. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_daily_cost gauge
azure_ea_usage_daily_cost{billing_period="202611",currency="EUR",department="Dept A",enrollment="100"} 21
azure_ea_usage_daily_cost{billing_period="202611",currency="EUR",department="Dept B",enrollment="100"} 7
# HELP azure_ea_usage_records Usage details rows aggregated into the current data for the billing period. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_records gauge
azure_ea_usage_records{billing_period="202610",enrollment="100"} 1
azure_ea_usage_records{billing_period="202611",enrollment="100"} 5
# HELP azure_ea_usage_latest_day_timestamp_seconds Start (UTC midnight) of the latest day that has usage data. Azure usage data arrives with up to 3 days latency. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_latest_day_timestamp_seconds gauge
azure_ea_usage_latest_day_timestamp_seconds{enrollment="100"} 1.7950464e+09
# HELP azure_ea_marketplace_cost Marketplace store charges of the billing period to date. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_marketplace_cost gauge
azure_ea_marketplace_cost{billing_period="202611",currency="EUR",department="Dept A",enrollment="100",offer="Widget™",plan="basic",publisher="Acme",subscription="Sub 1",subscription_id="g1"} 7
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"azure_ea_usage_cost", "azure_ea_usage_quantity", "azure_ea_usage_daily_cost",
		"azure_ea_usage_records", "azure_ea_usage_latest_day_timestamp_seconds", "azure_ea_marketplace_cost"); err != nil {
		t.Error(err)
	}
	if probs, err := testutil.CollectAndLint(c); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %v", err, probs)
	}
}

// gaugeValue returns the value of the one series of name whose labels
// include want.
func gaugeValue(t *testing.T, c prometheus.Collector, name string, want map[string]string) (float64, bool) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := labelMap(m)
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestForecastAndExhaustion(t *testing.T) {
	r := newTestRefresher(t, testSource(), config.Enrollment{Enrollment: "100"})
	r.refresh(context.Background())
	c := snapCollector{r}
	// Latest day is Nov 19: the window is Nov 13..19 (7 days), 11 days remain.
	wantA := 33.5 + 33.5/7*11
	if v, ok := gaugeValue(t, c, "azure_ea_usage_cost_forecast", map[string]string{"department": "Dept A"}); !ok || !near(v, wantA) {
		t.Errorf("forecast Dept A = %v, %v; want %v", v, ok, wantA)
	}
	if v, ok := gaugeValue(t, c, "azure_ea_usage_cost_forecast", map[string]string{"department": "Dept B"}); !ok || !near(v, 18) {
		t.Errorf("forecast Dept B = %v, %v; want 18", v, ok)
	}
	// Credit-eligible burn leaves out Dept B's billed-separately 7.
	burn := 33.5 / 7
	wantTS := float64(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Unix()) + 1000/burn*86400
	if v, ok := gaugeValue(t, c, "azure_ea_credit_exhaustion_timestamp_seconds", map[string]string{"billing_period": "202611", "currency": "EUR"}); !ok || !near(v, wantTS) {
		t.Errorf("exhaustion = %v, %v; want %v", v, ok, wantTS)
	}
}

func TestForecastIgnoresLatency(t *testing.T) {
	// Constant spend of 10 a day: whatever day the data stops at, the
	// forecast is 10 times the days of the period.
	for latest := int32(5); latest <= 20; latest++ {
		daily := func(d int32) float64 {
			if d <= latest {
				return 10
			}
			return 0
		}
		got := forecast(daily, 10*float64(latest), 1, 30, latest)
		if !near(got, 300) {
			t.Errorf("latest day %d: forecast %v, want 300", latest, got)
		}
	}
	// The first days of a period average over the days there are.
	if got := forecast(func(int32) float64 { return 4 }, 8, 1, 30, 2); !near(got, 120) {
		t.Errorf("early forecast %v, want 120", got)
	}
}

func TestBalanceAndPeriods(t *testing.T) {
	r := newTestRefresher(t, testSource(), config.Enrollment{Enrollment: "100"})
	r.refresh(context.Background())
	want := `
# HELP azure_ea_credit_ending_balance Prepaid credit balance at the end of the billing period, or now for the open period (endingBalance). Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_credit_ending_balance gauge
azure_ea_credit_ending_balance{billing_period="202610",currency="EUR",enrollment="100"} 1100
azure_ea_credit_ending_balance{billing_period="202611",currency="EUR",enrollment="100"} 1000
# HELP azure_ea_billing_period_start_timestamp_seconds Start of the billing period (billingStart). Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_billing_period_start_timestamp_seconds gauge
azure_ea_billing_period_start_timestamp_seconds{billing_period="202610",enrollment="100"} 1.7908128e+09
azure_ea_billing_period_start_timestamp_seconds{billing_period="202611",enrollment="100"} 1.7934912e+09
# HELP azure_ea_api_key_expiry_timestamp_seconds Expiry of the EA API key, from its exp claim (the key is a JWT). EA keys last 6 months; renew before this time.
# TYPE azure_ea_api_key_expiry_timestamp_seconds gauge
azure_ea_api_key_expiry_timestamp_seconds{enrollment="100"} 1.8e+09
`
	if err := testutil.CollectAndCompare(snapCollector{r}, strings.NewReader(want),
		"azure_ea_credit_ending_balance", "azure_ea_billing_period_start_timestamp_seconds",
		"azure_ea_api_key_expiry_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

// A source that answers the summary of another period than the one asked
// for fails the dataset: its figures are not exported under the period
// asked for.
func TestBalanceOfAnotherPeriodIsNotExported(t *testing.T) {
	src := testSource()
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100"})
	r.refresh(context.Background())
	c := snapCollector{r}
	src.balances["202611"] = &apiclient.BalanceSummary{BillingPeriod: "202610", Currency: "EUR", EndingBalance: 1100, BeginningBalance: 1200}
	r.refresh(context.Background())
	if v, _ := gaugeValue(t, c, "azure_ea_credit_ending_balance", map[string]string{"billing_period": "202611"}); v != 1000 {
		t.Errorf("azure_ea_credit_ending_balance{billing_period=\"202611\"} = %v, want the last good 1000, not 202610's figures", v)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "balance_summary"}); v != 0 {
		t.Errorf("refresh_success{balance_summary} = %v, want 0", v)
	}
}

func TestFailedRefreshKeepsLastGoodData(t *testing.T) {
	src := testSource()
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100"})
	r.refresh(context.Background())
	c := snapCollector{r}
	before, _ := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"})
	if up, _ := gaugeValue(t, c, "azure_ea_up", nil); up != 1 {
		t.Fatalf("azure_ea_up = %v after a good refresh", up)
	}

	src.setFail("usage_details", fmt.Errorf("usage: %w", apiclient.ErrBadResponse))
	src.rows = nil // would empty the metrics if the refresh were used
	r.refresh(context.Background())
	after, ok := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"})
	if !ok || after != before {
		t.Errorf("usage cost after a failed refresh = %v (present %v), want the last good %v", after, ok, before)
	}
	if up, _ := gaugeValue(t, c, "azure_ea_up", nil); up != 0 {
		t.Errorf("azure_ea_up = %v after a failed refresh, want 0", up)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "usage_details"}); v != 0 {
		t.Errorf("refresh_success{usage_details} = %v, want 0", v)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "balance_summary"}); v != 1 {
		t.Errorf("refresh_success{balance_summary} = %v, want 1: one failure must not stop the others", v)
	}
	if _, ok := gaugeValue(t, c, "azure_ea_refresh_last_success_timestamp_seconds", map[string]string{"dataset": "usage_details"}); !ok {
		t.Error("the last success time of usage_details went missing")
	}
}

func TestNothingBeforeFirstRefresh(t *testing.T) {
	r := newTestRefresher(t, testSource(), config.Enrollment{Enrollment: "100"})
	c := snapCollector{r}
	if up, ok := gaugeValue(t, c, "azure_ea_up", nil); !ok || up != 0 {
		t.Errorf("azure_ea_up before the first refresh = %v (present %v), want 0", up, ok)
	}
	if n := testutil.CollectAndCount(c, "azure_ea_usage_cost"); n != 0 {
		t.Errorf("%d usage series before the first refresh", n)
	}
	if n := testutil.CollectAndCount(c, "azure_ea_refresh_success"); n != 0 {
		t.Errorf("%d refresh_success series before the first refresh: unknown is not a failure", n)
	}
}

func TestBudgets(t *testing.T) {
	ec := config.Enrollment{Enrollment: "100", Budgets: []config.Budget{
		{Name: "all", Amount: 500},
		{Name: "a", Amount: 30, ScopeType: "department", Scope: "Dept A"},
		{Name: "sub2", Amount: 5, ScopeType: "subscription", Scope: "G2"},
		{Name: "storage", Amount: 5, ScopeType: "meter_category", Scope: "Storage"},
	}}
	r := newTestRefresher(t, testSource(), ec)
	r.refresh(context.Background())
	c := snapCollector{r}
	for _, tc := range []struct {
		budget         string
		cost, forecast float64
	}{
		{"all", 40.5, 40.5 + 40.5/7*11},
		{"a", 33.5, 33.5 + 33.5/7*11},
		{"sub2", 7, 18},
		{"storage", 7, 18},
	} {
		l := map[string]string{"budget": tc.budget, "billing_period": "202611"}
		if v, ok := gaugeValue(t, c, "azure_ea_budget_cost", l); !ok || !near(v, tc.cost) {
			t.Errorf("budget %s cost = %v (%v), want %v", tc.budget, v, ok, tc.cost)
		}
		if v, ok := gaugeValue(t, c, "azure_ea_budget_forecast_cost", l); !ok || !near(v, tc.forecast) {
			t.Errorf("budget %s forecast = %v (%v), want %v", tc.budget, v, ok, tc.forecast)
		}
	}
	if v, _ := gaugeValue(t, c, "azure_ea_budget_amount", map[string]string{"budget": "a", "scope_type": "department", "scope": "Dept A"}); v != 30 {
		t.Errorf("budget amount = %v, want 30", v)
	}
}

func TestPriceSheetDeduplicated(t *testing.T) {
	yes := true
	r := newTestRefresher(t, testSource(), config.Enrollment{Enrollment: "100", Datasets: config.Datasets{PriceSheet: &yes}})
	r.refresh(context.Background())
	c := snapCollector{r}
	if n := testutil.CollectAndCount(c, "azure_ea_price_unit_price"); n != 1 {
		t.Errorf("%d unit price series, want 1", n)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_price_unit_price", map[string]string{"meter_id": "m1"}); v != 0.5 {
		t.Errorf("unit price %v, want the first entry's 0.5", v)
	}
}

func TestTagLabelsAndUnionLayout(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e := New(context.Background(), Options{
		Interval: time.Hour, Registerer: reg, Now: fixedNow,
		NewSource: func(config.Enrollment, apiclient.Observer, log.Logger) (apiclient.Source, error) {
			return testSource(), nil
		},
	})
	defer e.Stop()
	reg.MustRegister(e)
	cfg := mustConfig(t,
		config.Enrollment{Enrollment: "100", Dimensions: []string{"department"}, TagLabels: []string{"Env"}},
		config.Enrollment{Enrollment: "200", Dimensions: []string{"meter_category", "unit_of_measure"}},
	)
	if err := e.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitRefreshed(t, e)
	want := `
# HELP azure_ea_usage_cost Usage cost of the billing period to date, summed over usage details rows by the configured dimensions. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_usage_cost gauge
azure_ea_usage_cost{billing_period="202610",currency="EUR",department="",enrollment="200",meter_category="Compute",tag_env="",unit_of_measure="Hours"} 100
azure_ea_usage_cost{billing_period="202610",currency="EUR",department="Dept A",enrollment="100",meter_category="",tag_env="dev",unit_of_measure=""} 100
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="",enrollment="200",meter_category="Compute",tag_env="",unit_of_measure="10 Hours"} 1
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="",enrollment="200",meter_category="Compute",tag_env="",unit_of_measure="Hours"} 32.5
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="",enrollment="200",meter_category="Storage",tag_env="",unit_of_measure="GB"} 7
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="Dept A",enrollment="100",meter_category="",tag_env="prod",unit_of_measure=""} 33.5
azure_ea_usage_cost{billing_period="202611",currency="EUR",department="Dept B",enrollment="100",meter_category="",tag_env="",unit_of_measure=""} 7
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "azure_ea_usage_cost"); err != nil {
		t.Error(err)
	}
	// Quantities of enrollment 100 still say their unit.
	if n, err := testutil.GatherAndCount(reg, "azure_ea_usage_quantity"); err != nil || n != 8 {
		t.Errorf("%d quantity series (%v), want 8", n, err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("gather: %v", err)
	}
}

// waitRefreshed waits until every enrollment has finished a refresh.
func waitRefreshed(t *testing.T, e *Exporter) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		done := true
		for _, s := range e.Status() {
			for _, d := range s.Datasets {
				done = done && d.Attempted
			}
		}
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no refresh finished within 10s")
}

func TestApplyErrorKeepsRunningConfig(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	fail := false
	e := New(context.Background(), Options{
		Interval: time.Hour, Registerer: reg, Now: fixedNow,
		NewSource: func(config.Enrollment, apiclient.Observer, log.Logger) (apiclient.Source, error) {
			if fail {
				return nil, errors.New("no key")
			}
			return testSource(), nil
		},
	})
	defer e.Stop()
	if err := e.Apply(mustConfig(t, config.Enrollment{Enrollment: "100"})); err != nil {
		t.Fatal(err)
	}
	fail = true
	err := e.Apply(mustConfig(t, config.Enrollment{Enrollment: "300"}))
	if err == nil || err.Error() != "enrollment 300: no key" {
		t.Fatalf("Apply error = %v", err)
	}
	st := e.Status()
	if len(st) != 1 || st[0].Enrollment != "100" {
		t.Errorf("status after a failed Apply = %+v, want enrollment 100 still running", st)
	}
}

func TestAzureBudgets(t *testing.T) {
	src := testSource()
	src.azureBudgets = []apiclient.Budget{
		{Name: "EnrollmentBudget", ScopeType: "enrollment", Amount: 1000, TimeGrain: "BillingMonth", CurrentSpend: 40, ForecastSpend: 90, HasForecast: true, Currency: "EUR"},
		{Name: "DeptBudget", ScopeType: "department", Scope: "Dept A", Amount: 100, TimeGrain: "Monthly", CurrentSpend: 30},
		{Name: "Yearly", ScopeType: "enrollment", Amount: 12000, TimeGrain: "Annually", CurrentSpend: 400},
		{Name: "mine", ScopeType: "enrollment", Amount: 1, TimeGrain: "Monthly"},
	}
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Source: "arm",
		Budgets: []config.Budget{{Name: "mine", Amount: 500}}})
	r.refresh(context.Background())
	c := snapCollector{r}
	want := `
# HELP azure_ea_budget_amount Configured budget amount per billing period. Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_budget_amount gauge
azure_ea_budget_amount{billing_period="202611",budget="DeptBudget",currency="EUR",enrollment="100",scope="Dept A",scope_type="department"} 100
azure_ea_budget_amount{billing_period="202611",budget="EnrollmentBudget",currency="EUR",enrollment="100",scope="",scope_type="enrollment"} 1000
azure_ea_budget_amount{billing_period="202611",budget="mine",currency="EUR",enrollment="100",scope="",scope_type="enrollment"} 500
# HELP azure_ea_budget_forecast_cost Projected usage cost in the budget's scope at the end of the billing period (same method as azure_ea_usage_cost_forecast). Refreshed in the background; scrapes never call Azure.
# TYPE azure_ea_budget_forecast_cost gauge
azure_ea_budget_forecast_cost{billing_period="202611",budget="EnrollmentBudget",currency="EUR",enrollment="100",scope="",scope_type="enrollment"} 90
azure_ea_budget_forecast_cost{billing_period="202611",budget="mine",currency="EUR",enrollment="100",scope="",scope_type="enrollment"} 104.14285714285714
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "azure_ea_budget_amount", "azure_ea_budget_forecast_cost"); err != nil {
		t.Error(err)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "budgets"}); v != 1 {
		t.Errorf("refresh_success{budgets} = %v", v)
	}
}

// The usage rows a source could not use whole are counted per enrollment,
// from 0 before any read, and each read that skipped some logs one warning
// with the count and the first reason, but no row's content.
func TestUsageRowsSkippedCountedAndLogged(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	newAPIMetrics(reg).observer("100")
	want := `
# HELP azure_ea_usage_rows_skipped_total Usage rows from the billing API that could not be used whole: dropped because their date or cost could not be read, or counted with quantity 0 because their quantity could not be read. Counted per usage read that succeeded; each read logs a warning with the first reason.
# TYPE azure_ea_usage_rows_skipped_total counter
azure_ea_usage_rows_skipped_total{enrollment="100"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "azure_ea_usage_rows_skipped_total"); err != nil {
		t.Error(err)
	}

	reg = prometheus.NewPedanticRegistry()
	var logged strings.Builder
	src := testSource()
	src.skipped = apiclient.UsageSkipped{Rows: 2, Reason: "quantity not a number: row kept with quantity 0"}
	e := New(context.Background(), Options{
		Interval: time.Hour, Registerer: reg, Now: fixedNow, Logger: log.NewLogfmtLogger(log.NewSyncWriter(&logged)),
		NewSource: func(config.Enrollment, apiclient.Observer, log.Logger) (apiclient.Source, error) { return src, nil },
	})
	defer e.Stop()
	if err := e.Apply(mustConfig(t, config.Enrollment{Enrollment: "100"})); err != nil {
		t.Fatal(err)
	}
	waitRefreshed(t, e)
	e.Stop()
	reads := src.usageReads()
	if reads == 0 {
		t.Fatal("no usage read")
	}
	if v := testutil.ToFloat64(e.api.usageSkipped("100")); v != float64(2*reads) {
		t.Errorf("azure_ea_usage_rows_skipped_total = %v, want 2 for each of %d reads", v, reads)
	}
	var lines []string
	for _, l := range strings.Split(logged.String(), "\n") {
		if strings.Contains(l, "usage rows skipped") {
			lines = append(lines, l)
		}
	}
	if len(lines) != reads {
		t.Fatalf("%d warnings for %d reads: %q", len(lines), reads, logged.String())
	}
	for _, l := range lines {
		for _, part := range []string{"level=warn", "enrollment=100", "dataset=usage_details", "rows=2",
			`first_reason="quantity not a number: row kept with quantity 0"`} {
			if !strings.Contains(l, part) {
				t.Errorf("warning %q lacks %s", l, part)
			}
		}
		if strings.Contains(l, "Dept") || strings.Contains(l, "Sub 1") {
			t.Errorf("warning %q holds a row's content", l)
		}
	}
}

func TestQuotaObserved(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := newAPIMetrics(reg)
	obs := m.observer("100")
	obs.(apiclient.QuotaObserver).ObserveQuota("usage_report", "entity-requests/DefaultQuota", 3)
	want := `
# HELP azure_ea_api_quota_remaining Remaining API quota as the last answer reported it (Cost Management's x-ms-ratelimit-remaining-* headers, arm source), by quota name.
# TYPE azure_ea_api_quota_remaining gauge
azure_ea_api_quota_remaining{endpoint="usage_report",enrollment="100",quota="entity-requests/DefaultQuota"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "azure_ea_api_quota_remaining"); err != nil {
		t.Error(err)
	}
	m.forget("100")
	for _, name := range []string{"azure_ea_api_requests_total", "azure_ea_usage_rows_skipped_total"} {
		if n, _ := testutil.GatherAndCount(reg, name); n != 0 {
			t.Errorf("%d %s series left after forget", n, name)
		}
	}
}
