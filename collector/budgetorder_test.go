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
	// release, when set, holds Budgets until it is closed; held, when
	// set, is closed when Budgets is held (see holdBudgets).
	release, held chan struct{}
}

// holdBudgets makes o's next Budgets call close held and wait until
// release is closed (or its context ends).
func holdBudgets(o *orderSource) (release, held chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.release, o.held = make(chan struct{}), make(chan struct{})
	return o.release, o.held
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
	release, held := o.release, o.held
	o.held = nil
	o.mu.Unlock()
	if held != nil {
		close(held)
	}
	if release != nil {
		select {
		case <-release:
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

// A refresh publishes one snapshot, at its end: while its budgets are
// listed, after its usage and marketplace reads, scrapes see the previous
// refresh whole, never its usage with the previous budgets.
func TestARefreshPublishesOneSnapshotAtItsEnd(t *testing.T) {
	src := newOrderSource()
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Source: "arm"})
	r.refresh(context.Background())
	c := snapCollector{r}
	first := r.snap.Load()
	release, held := holdBudgets(src)
	src.memSource.mu.Lock()
	src.memSource.rows = append(src.memSource.rows, memRow{period: "202611", date: "2026-11-19", cost: 1000, qty: 1, values: src.memSource.rows[0].values})
	src.memSource.azureBudgets = []apiclient.Budget{{Name: "azure", ScopeType: "enrollment", Amount: 50, CurrentSpend: 1040.5, TimeGrain: "Monthly"}}
	src.memSource.version++
	src.memSource.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.refresh(context.Background())
	}()
	waitClosed(t, held, "the budgets were not listed")
	// The other datasets end moments after the budgets are called: watch
	// for a snapshot published meanwhile.
	for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline); {
		if r.snap.Load() != first {
			close(release)
			t.Fatal("a snapshot was published while the refresh's budgets were listed")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	waitClosed(t, done, "the refresh did not end")
	usage, _ := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"})
	spend, _ := gaugeValue(t, c, "azure_ea_budget_cost", map[string]string{"budget": "azure"})
	if usage != 1033.5 || spend != 1040.5 {
		t.Errorf("after the refresh: usage cost %v and budget spend %v, want 1033.5 and 1040.5", usage, spend)
	}
}

// waitClosed waits for ch to be closed, and fails the test with what if it
// is not within 10 s.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal(what)
	}
}

// A refresh cancelled while its budgets are listed (shutting down, or
// replaced by a reload) publishes nothing and records nothing: the snapshot
// stays the one before.
func TestCancelledRefreshPublishesNothing(t *testing.T) {
	src := newOrderSource()
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Source: "arm"})
	before := r.snap.Load()
	_, held := holdBudgets(src)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.refresh(ctx)
	}()
	waitClosed(t, held, "the budgets were not listed")
	cancel()
	waitClosed(t, done, "the cancelled refresh did not end")
	if r.snap.Load() != before {
		t.Error("the cancelled refresh published a snapshot")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.status[config.DatasetUsageDetails]; st.attempted || r.res.usage != nil {
		t.Errorf("usage status %+v, data kept %v after a cancelled refresh, want neither", st, r.res.usage != nil)
	}
}

// hungUsageSource's usage reads hang until the refresh deadline (an API
// slow or hung); its budgets, like a real call, fail on a context that has
// ended.
type hungUsageSource struct{ *memSource }

func (h hungUsageSource) Usage(ctx context.Context, _ apiclient.UsageQuery, _ func(*apiclient.UsageRow) error) error {
	<-ctx.Done()
	return ctx.Err()
}

func (h hungUsageSource) Budgets(ctx context.Context) ([]apiclient.Budget, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return h.memSource.Budgets(ctx)
}

// A usage read that hangs until the refresh deadline fails the usage
// dataset alone: the budgets stop waiting for it in the last quarter of the
// refresh's time, and are listed.
func TestBudgetsDoNotWaitForAHungUsageRead(t *testing.T) {
	src := testSource()
	src.azureBudgets = []apiclient.Budget{{Name: "azure", ScopeType: "enrollment", Amount: 50, CurrentSpend: 5, TimeGrain: "Monthly"}}
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100", Source: "arm"})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), hungUsageSource{src}, log.NewNopLogger(), fixedNow, 300*time.Millisecond)
	r.refresh(context.Background())
	c := snapCollector{r}
	for ds, want := range map[string]float64{config.DatasetUsageDetails: 0, config.DatasetMarketplaceCharges: 1, config.DatasetBudgets: 1} {
		if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": ds}); v != want {
			t.Errorf("refresh_success{dataset=%q} = %v, want %v", ds, v, want)
		}
	}
	if v, ok := gaugeValue(t, c, "azure_ea_budget_cost", map[string]string{"budget": "azure"}); !ok || v != 5 {
		t.Errorf("Azure budget spend = %v (present %v), want 5", v, ok)
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
