package collector

import (
	"context"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/arm"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/ea"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// parityMetrics are compared between the two sources. Left out, as
// documented in the README: the price sheet (the ARM price sheet names a
// meter alone, the EA one joins category, name and region), Azure budgets
// (the EA API has none) and the self-metrics (their dataset and endpoint sets
// differ).
var parityMetrics = []string{
	"azure_ea_credit_beginning_balance", "azure_ea_credit_new_purchases", "azure_ea_credit_adjustments",
	"azure_ea_credit_utilized", "azure_ea_credit_ending_balance", "azure_ea_overage_service_charges",
	"azure_ea_overage_billed_separately_charges", "azure_ea_overage_charges", "azure_ea_usage_charges",
	"azure_ea_marketplace_service_charges", "azure_ea_usage_cost", "azure_ea_usage_quantity",
	"azure_ea_usage_daily_cost", "azure_ea_usage_cost_forecast", "azure_ea_marketplace_cost",
	"azure_ea_usage_records", "azure_ea_usage_latest_day_timestamp_seconds",
	"azure_ea_billing_period_start_timestamp_seconds", "azure_ea_billing_period_end_timestamp_seconds",
	"azure_ea_credit_exhaustion_timestamp_seconds", "azure_ea_budget_amount", "azure_ea_budget_cost",
	"azure_ea_budget_forecast_cost", "azure_ea_up",
}

// TestParityEAandARM serves one simulated enrollment through the EA side and
// the ARM side of fakeapi, and requires identical metrics from both.
func TestParityEAandARM(t *testing.T) {
	now := goldenNow
	key := fakeapi.NewJWTKey(now.Add(30 * 24 * time.Hour))
	fake := fakeapi.New(fakeapi.Options{
		Now: func() time.Time { return now }, Keys: map[string]time.Time{key: now.Add(30 * 24 * time.Hour)},
	})
	fake.SetARMOperations(fakeapi.ARMOperations{Polls: 1, RetryAfter: 0})
	eaSrv := httptest.NewServer(fake)
	defer eaSrv.Close()
	armSrv := httptest.NewTLSServer(fake.ARMHandler())
	defer armSrv.Close()

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	secretFile := filepath.Join(dir, "secret")
	tenant, client, secret := fake.ARMCredentials()
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	common := config.Enrollment{
		Enrollment: fakeapi.DefaultEnrollment,
		Dimensions: []string{"department", "subscription_id", "subscription", "meter_category", "meter_subcategory", "meter_name", "resource_group", "location", "unit_of_measure"},
		TagLabels:  []string{"env"},
		Budgets:    []config.Budget{{Name: "total", Amount: 10000}, {Name: "eng", Amount: 3000, ScopeType: "department", Scope: "Engineering"}},
	}
	eaCfg := common
	eaCfg.APIKeyFile, eaCfg.BaseURL = keyFile, eaSrv.URL
	no := false
	armCfg := common
	armCfg.Source = "arm"
	armCfg.Datasets.Budgets = &no
	armCfg.ARM = config.ARM{ManagementURL: armSrv.URL, AuthorityHost: armSrv.URL, TenantID: tenant, ClientID: client, ClientSecretFile: secretFile}
	cfg := mustConfig(t, eaCfg)
	cfgARM := mustConfig(t, armCfg)

	eaSource, err := ea.New(ea.Config{BaseURL: eaSrv.URL, Enrollment: eaCfg.Enrollment, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	a := cfgARM.Enrollments[0].ARM
	armSource, err := arm.New(arm.Config{
		BillingAccount: a.BillingAccount, ManagementURL: a.ManagementURL, AuthorityHost: a.AuthorityHost,
		TenantID: a.TenantID, ClientID: a.ClientID, ClientSecretFile: a.ClientSecretFile,
		HTTPClient: armSrv.Client(), ScopeInterval: -1, MinPollInterval: time.Millisecond,
		Observer: apiclient.NopObserver{},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := newLayout(cfg)
	clock := func() time.Time { return now }
	viaEA := newRefresher(cfg.Enrollments[0], l, newDescs(l), eaSource, log.NewNopLogger(), clock, time.Minute)
	viaARM := newRefresher(cfgARM.Enrollments[0], l, newDescs(l), armSource, log.NewNopLogger(), clock, time.Minute)
	viaEA.refresh(context.Background())
	viaARM.refresh(context.Background())

	for name, r := range map[string]*refresher{"EA": viaEA, "ARM": viaARM} {
		if up, _ := gaugeValue(t, snapCollector{r}, "azure_ea_up", nil); up != 1 {
			t.Fatalf("azure_ea_up via %s = %v: %+v", name, up, r.status)
		}
	}
	got, want := flatten(t, snapCollector{viaARM}), flatten(t, snapCollector{viaEA})
	t.Logf("%d series compared", len(want))
	if len(want) < 100 {
		t.Fatalf("only %d series through the EA side", len(want))
	}
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, "missing via ARM: "+k)
		case math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)):
			diffs = append(diffs, k+": ARM "+ftoa(g)+", EA "+ftoa(w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "only via ARM: "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d differences between the EA and the ARM side, e.g.:\n%s", len(diffs), strings.Join(diffs[:min(len(diffs), 20)], "\n"))
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// flatten gathers the parity metrics as "name{labels}" -> value.
func flatten(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, n := range parityMetrics {
		keep[n] = true
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if !keep[mf.GetName()] {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[mf.GetName()+labelString(m)] = m.GetGauge().GetValue()
		}
	}
	return out
}

func labelString(m *dto.Metric) string {
	var parts []string
	for _, lp := range m.GetLabel() {
		parts = append(parts, lp.GetName()+"="+lp.GetValue())
	}
	return "{" + strings.Join(parts, ",") + "}"
}
