package collector

import (
	"bytes"
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/ea"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenMetrics are the metrics the golden files hold: everything but the
// self-metrics that measure time.
var goldenMetrics = []string{
	"azure_ea_credit_beginning_balance", "azure_ea_credit_new_purchases", "azure_ea_credit_adjustments",
	"azure_ea_credit_utilized", "azure_ea_credit_ending_balance", "azure_ea_overage_service_charges",
	"azure_ea_overage_billed_separately_charges", "azure_ea_overage_charges", "azure_ea_usage_charges",
	"azure_ea_marketplace_service_charges", "azure_ea_usage_cost", "azure_ea_usage_quantity",
	"azure_ea_usage_daily_cost", "azure_ea_usage_cost_forecast", "azure_ea_marketplace_cost",
	"azure_ea_usage_records", "azure_ea_usage_latest_day_timestamp_seconds",
	"azure_ea_price_unit_price", "azure_ea_price_included_quantity",
	"azure_ea_billing_period_start_timestamp_seconds", "azure_ea_billing_period_end_timestamp_seconds",
	"azure_ea_credit_exhaustion_timestamp_seconds", "azure_ea_budget_amount", "azure_ea_budget_cost",
	"azure_ea_budget_forecast_cost", "azure_ea_up", "azure_ea_refresh_success",
	"azure_ea_api_key_expiry_timestamp_seconds",
}

// goldenNow is a fixed clock for the fake and the exporter.
var goldenNow = time.Date(2026, 3, 17, 9, 30, 0, 0, time.UTC)

// fakeRefresher returns a refresher of enrollment cfg reading from a fakeapi
// server with opts, through the real EA client.
func fakeRefresher(t *testing.T, opts fakeapi.Options, ec config.Enrollment) (*refresher, *fakeapi.Server) {
	t.Helper()
	opts.Now = func() time.Time { return goldenNow }
	key := fakeapi.NewJWTKey(goldenNow.Add(30 * 24 * time.Hour))
	opts.Keys = map[string]time.Time{key: goldenNow.Add(30 * 24 * time.Hour)}
	fake := fakeapi.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	ec.Enrollment = fakeapi.DefaultEnrollment
	ec.APIKeyFile = keyFile
	ec.BaseURL = srv.URL
	cfg := mustConfig(t, ec)
	src, err := ea.New(ea.Config{BaseURL: srv.URL, Enrollment: ec.Enrollment, KeyFile: keyFile, Observer: apiclient.NopObserver{}})
	if err != nil {
		t.Fatal(err)
	}
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return goldenNow }, time.Minute)
	return r, fake
}

func TestGoldenAgainstFakeAPI(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		name string
		opts fakeapi.Options
		ec   config.Enrollment
	}{
		{"default", fakeapi.Options{}, config.Enrollment{}},
		{"every-dataset", fakeapi.Options{PriceSheetMeters: 20, Currency: "EUR"}, config.Enrollment{
			Dimensions: []string{"department", "meter_category"},
			TagLabels:  []string{"env", "cost-center"},
			Datasets:   config.Datasets{PriceSheet: &yes},
			Budgets: []config.Budget{
				{Name: "total", Amount: 50000},
				{Name: "eng", Amount: 9000, ScopeType: "department", Scope: "Engineering"},
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := fakeRefresher(t, tc.opts, tc.ec)
			r.refresh(context.Background())
			c := snapCollector{r}
			golden := filepath.Join("testdata", tc.name+".prom")
			if *update {
				writeGolden(t, c, golden)
			}
			f, err := os.Open(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden ./collector/ -update to create it)", err)
			}
			defer f.Close()
			if err := testutil.CollectAndCompare(c, f, goldenMetrics...); err != nil {
				t.Error(err)
			}
			if probs, err := testutil.CollectAndLint(c); err != nil || len(probs) > 0 {
				t.Errorf("lint: %v %v", err, probs)
			}
		})
	}
}

// writeGolden writes the golden metrics of c in the text format.
func writeGolden(t *testing.T, c prometheus.Collector, path string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, n := range goldenMetrics {
		keep[n] = true
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if keep[mf.GetName()] {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSumsEqualFakeTruth checks the exporter's figures against the fake's own
// for both periods: cost by department, subscription and meter category,
// credit and overage, marketplace totals and period bounds.
func TestSumsEqualFakeTruth(t *testing.T) {
	for _, quirks := range []fakeapi.Quirks{{}, allQuirks()} {
		r, fake := fakeRefresher(t, fakeapi.Options{RowsPerDay: 400, PageSize: 250}, config.Enrollment{
			Dimensions: []string{"department", "subscription_id", "meter_category"},
		})
		fake.SetQuirks(quirks)
		r.refresh(context.Background())
		c := snapCollector{r}
		cur, prev := periodsAround(goldenNow)
		for _, p := range []string{cur, prev} {
			truth := fake.Truth(p)
			checkSums(t, c, p, "department", truth.CostByDepartment)
			checkSums(t, c, p, "subscription_id", truth.CostBySubscription)
			checkSums(t, c, p, "meter_category", truth.CostByMeterCategory)
			for name, want := range map[string]float64{
				"azure_ea_credit_beginning_balance":    truth.Balance.BeginningBalance,
				"azure_ea_credit_ending_balance":       truth.Balance.EndingBalance,
				"azure_ea_credit_utilized":             truth.Balance.Utilized,
				"azure_ea_overage_charges":             truth.Balance.TotalOverage,
				"azure_ea_overage_service_charges":     truth.Balance.ServiceOverage,
				"azure_ea_usage_charges":               truth.Balance.TotalUsage,
				"azure_ea_marketplace_service_charges": truth.Balance.AzureMarketplaceServiceCharges,
			} {
				if got, ok := gaugeValue(t, c, name, map[string]string{"billing_period": p}); !ok || !within(got, want) {
					t.Errorf("%s{%s} = %v (%v), want %v", name, p, got, ok, want)
				}
			}
			checkSums(t, c, p, "publisher", truth.MarketplaceByPublisher, "azure_ea_marketplace_cost")
			if got, _ := gaugeValue(t, c, "azure_ea_billing_period_start_timestamp_seconds", map[string]string{"billing_period": p}); got != float64(truth.Start.Unix()) {
				t.Errorf("period %s start %v, want %v", p, got, truth.Start.Unix())
			}
			if got, _ := gaugeValue(t, c, "azure_ea_billing_period_end_timestamp_seconds", map[string]string{"billing_period": p}); got != float64(truth.End.Unix()) {
				t.Errorf("period %s end %v, want %v", p, got, truth.End.Unix())
			}
		}
		if up, _ := gaugeValue(t, c, "azure_ea_up", nil); up != 1 {
			t.Errorf("azure_ea_up = %v with quirks %+v", up, quirks)
		}
	}
}

// allQuirks turns on every documented quirk the fake can simulate.
func allQuirks() fakeapi.Quirks {
	return fakeapi.Quirks{
		BalanceAsObject: true, NumbersAsStrings: true, CapitalCost: true, DatesWithZone: true,
		SevenFractionDigits: true, TagsWithoutBraces: true, MalformedTags: true, NullStrings: true,
		BillingPeriodIDAsNumber: true, ChargesBilledSeparatelyAsString: true, EmptyNextLink: true,
		CSVRowsOutsideRange: true, UsageDataExtractWhenEmpty: true, TrailingEmptyPage: true,
		PaddedCurrency: true, CSVByteOrderMark: true,
	}
}

func within(got, want float64) bool {
	d := got - want
	return d <= 1e-6 && d >= -1e-6
}

// checkSums sums a cost metric (azure_ea_usage_cost unless named) of period p
// by label and compares the sums with want.
func checkSums(t *testing.T, c prometheus.Collector, p, label string, want map[string]float64, metric ...string) {
	t.Helper()
	name := "azure_ea_usage_cost"
	if len(metric) > 0 {
		name = metric[0]
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := labelMap(m)
			if l["billing_period"] == p {
				got[l[label]] += m.GetGauge().GetValue()
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s of %s by %s: %d values %v, want %d %v", name, p, label, len(got), keys(got), len(want), keys(want))
	}
	for k, w := range want {
		if !within(got[k], w) {
			t.Errorf("%s of %s{%s=%q} = %v, want %v", name, p, label, k, got[k], w)
		}
	}
}

func keys(m map[string]float64) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ",")
}
