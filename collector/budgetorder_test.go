package collector

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/arm"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// orderSource is a memSource that records which usage and marketplace reads
// were still running, or had not run, when the budgets were listed. Its
// usage reads wait a little for a budgets call that must not come, so that
// one made too early meets them running.
type orderSource struct {
	*memSource
	mu            sync.Mutex
	running       map[string]int
	ended         map[string]int
	early         []string // reads running or not yet run when Budgets was called
	budgetsCalled chan struct{}
	calledOnce    sync.Once
	// release, when set, holds Budgets until it is closed.
	release chan struct{}
}

func newOrderSource() *orderSource {
	src := testSource()
	src.azureBudgets = []apiclient.Budget{{Name: "azure", ScopeType: "enrollment", Amount: 50, TimeGrain: "Monthly"}}
	return &orderSource{memSource: src, running: map[string]int{}, ended: map[string]int{}, budgetsCalled: make(chan struct{})}
}

func (o *orderSource) track(what string) func() {
	o.mu.Lock()
	o.running[what]++
	o.mu.Unlock()
	return func() {
		o.mu.Lock()
		o.running[what]--
		o.ended[what]++
		o.mu.Unlock()
	}
}

func (o *orderSource) Usage(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	defer o.track("usage")()
	select {
	case <-o.budgetsCalled:
	case <-time.After(50 * time.Millisecond):
	}
	return o.memSource.Usage(ctx, q, fn)
}

func (o *orderSource) MarketplaceCharges(ctx context.Context, p string, fn func(*apiclient.MarketplaceCharge) error) error {
	defer o.track("marketplace")()
	return o.memSource.MarketplaceCharges(ctx, p, fn)
}

func (o *orderSource) Budgets(ctx context.Context) ([]apiclient.Budget, error) {
	o.calledOnce.Do(func() { close(o.budgetsCalled) })
	o.mu.Lock()
	for _, what := range []string{"usage", "marketplace"} {
		if o.running[what] > 0 || o.ended[what] == 0 {
			o.early = append(o.early, what)
		}
	}
	o.mu.Unlock()
	if o.release != nil {
		select {
		case <-o.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return o.memSource.Budgets(ctx)
}

// The budgets of a refresh are listed once its usage and marketplace reads
// have ended: the arm source lists the budgets of the departments those
// reads name.
func TestBudgetsRunAfterUsageAndMarketplaceOfTheSameRefresh(t *testing.T) {
	src := newOrderSource()
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Source: "arm"})
	r.refresh(context.Background())
	if len(src.early) > 0 {
		t.Errorf("budgets listed while %q had not ended", src.early)
	}
	if v, ok := gaugeValue(t, snapCollector{r}, "azure_ea_budget_amount", map[string]string{"budget": "azure"}); !ok || v != 50 {
		t.Errorf("Azure budget amount = %v (present %v), want 50", v, ok)
	}
	if v, _ := gaugeValue(t, snapCollector{r}, "azure_ea_up", nil); v != 1 {
		t.Errorf("azure_ea_up = %v: %+v", v, r.status)
	}
}

// While the budgets wait, and while they are listed, the other datasets'
// new data is published: a scrape sees it without waiting for the budgets,
// which then follow in a second snapshot of the same refresh.
func TestOtherDatasetsArePublishedBeforeTheBudgets(t *testing.T) {
	src := newOrderSource()
	src.release = make(chan struct{})
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Source: "arm"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.refresh(context.Background())
	}()
	waitForSnapshot(t, r, done, src.release)
	if _, ok := gaugeValue(t, snapCollector{r}, "azure_ea_refresh_success", map[string]string{"dataset": "budgets"}); ok {
		t.Error("the budgets' refresh shows before they were listed")
	}
	close(src.release)
	<-done
	if v, ok := gaugeValue(t, snapCollector{r}, "azure_ea_refresh_success", map[string]string{"dataset": "budgets"}); !ok || v != 1 {
		t.Errorf("refresh_success{budgets} = %v (present %v), want 1", v, ok)
	}
	if _, ok := gaugeValue(t, snapCollector{r}, "azure_ea_budget_amount", map[string]string{"budget": "azure"}); !ok {
		t.Error("the Azure budget is missing after the refresh")
	}
}

// waitForSnapshot polls r's snapshot until it holds usage and marketplace
// data, while a refresh that has not ended (done) holds its budgets until
// release is closed.
func waitForSnapshot(t *testing.T, r *refresher, done, release chan struct{}) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		_, usage := gaugeValue(t, snapCollector{r}, "azure_ea_usage_records", map[string]string{"billing_period": "202611"})
		_, market := gaugeValue(t, snapCollector{r}, "azure_ea_marketplace_cost", nil)
		if usage && market {
			return
		}
		select {
		case <-deadline:
			close(release)
			t.Fatal("no snapshot with the usage and marketplace data while the budgets were held")
		case <-done:
			t.Fatal("the refresh ended while the budgets were held")
		case <-time.After(time.Millisecond):
		}
	}
}

// A refresh that is cancelled while its budgets are listed keeps the other
// datasets' data it published, and records no budgets refresh.
func TestCancelledRefreshKeepsWhatItPublished(t *testing.T) {
	src := newOrderSource()
	src.release = make(chan struct{})
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Source: "arm"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.refresh(ctx)
	}()
	waitForSnapshot(t, r, done, src.release)
	cancel()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.status[config.DatasetBudgets]; st.attempted {
		t.Errorf("budgets status %+v after a cancelled refresh, want not attempted", st)
	}
	if r.res.usage == nil {
		t.Error("the usage data read before the cancel was not kept")
	}
}

// With the fake's ARM side, every department budget shows from the first
// refresh, not from the second only.
func TestDepartmentBudgetsFromTheFirstRefresh(t *testing.T) {
	now := goldenNow
	fake := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }})
	fake.SetARMOperations(fakeapi.ARMOperations{Polls: 1, RetryAfter: 0})
	srv := httptest.NewTLSServer(fake.ARMHandler())
	defer srv.Close()
	tenant, client, secret := fake.ARMCredentials()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := mustConfig(t, config.Enrollment{
		Enrollment: fakeapi.DefaultEnrollment, Source: "arm",
		ARM: config.ARM{ManagementURL: srv.URL, AuthorityHost: srv.URL, TenantID: tenant, ClientID: client, ClientSecretFile: secretFile},
	})
	a := cfg.Enrollments[0].ARM
	src, err := arm.New(arm.Config{
		BillingAccount: a.BillingAccount, ManagementURL: a.ManagementURL, AuthorityHost: a.AuthorityHost,
		TenantID: a.TenantID, ClientID: a.ClientID, ClientSecretFile: a.ClientSecretFile,
		HTTPClient: srv.Client(), ScopeInterval: -1, MinPollInterval: time.Millisecond,
		Observer: apiclient.NopObserver{},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Minute)
	r.refresh(context.Background())
	if up, _ := gaugeValue(t, snapCollector{r}, "azure_ea_up", nil); up != 1 {
		t.Fatalf("azure_ea_up = %v: %+v", up, r.status)
	}
	var want []string
	for _, b := range fake.ARMBudgets() {
		if b.DepartmentID != "" {
			want = append(want, b.Name)
		}
	}
	if len(want) == 0 {
		t.Fatal("the fake serves no department budget")
	}
	got := budgetNames(t, snapCollector{r}, "department")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("department budgets after the first refresh\n got %q\nwant %q", got, want)
	}
}

// budgetNames lists the budget label of the azure_ea_budget_amount series
// of scopeType, sorted.
func budgetNames(t *testing.T, c prometheus.Collector, scopeType string) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		if mf.GetName() != "azure_ea_budget_amount" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if l := labelMap(m); l["scope_type"] == scopeType {
				names = append(names, l["budget"])
			}
		}
	}
	slices.Sort(names)
	return names
}
