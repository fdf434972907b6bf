package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// errAPIDown is what every dataset of a source answers while the API is down.
var errAPIDown = errors.New("API down")

// reloadEnv is an Exporter whose enrollments read memSources that the test
// holds, and that can all be made to fail at once.
type reloadEnv struct {
	e   *Exporter
	reg *prometheus.Registry

	mu      sync.Mutex
	down    bool
	sources map[string][]*memSource // per enrollment, in the order made
	logs    bytes.Buffer
}

func newReloadEnv(t *testing.T) *reloadEnv {
	t.Helper()
	env := &reloadEnv{reg: prometheus.NewPedanticRegistry(), sources: map[string][]*memSource{}}
	logger := log.NewLogfmtLogger(log.NewSyncWriter(&lockedWriter{mu: &env.mu, w: &env.logs}))
	env.e = New(context.Background(), Options{
		Interval: time.Hour, Registerer: env.reg, Now: fixedNow, Logger: logger,
		NewSource: func(ec config.Enrollment, _ apiclient.Observer, _ log.Logger) (apiclient.Source, error) {
			src := testSource()
			env.mu.Lock()
			defer env.mu.Unlock()
			if env.down {
				failAll(src)
			}
			env.sources[ec.Enrollment] = append(env.sources[ec.Enrollment], src)
			return src, nil
		},
	})
	t.Cleanup(env.e.Stop)
	env.reg.MustRegister(env.e)
	return env
}

// lockedWriter writes under the env's lock, so that tests can read the logs.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func failAll(src *memSource) {
	for _, ds := range config.AllDatasets {
		src.setFail(ds, errAPIDown)
	}
}

// apiDown makes every source, made or to be made, fail.
func (env *reloadEnv) apiDown() {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.down = true
	for _, list := range env.sources {
		for _, src := range list {
			failAll(src)
		}
	}
}

// made returns how many sources were made for enrollment id.
func (env *reloadEnv) made(id string) int {
	env.mu.Lock()
	defer env.mu.Unlock()
	return len(env.sources[id])
}

// source returns the i-th source made for enrollment id.
func (env *reloadEnv) source(id string, i int) *memSource {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.sources[id][i]
}

// usageReads counts the usage queries not yet taken by takeRanges.
func (m *memSource) usageReads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.usageCalls)
}

func (env *reloadEnv) logged() string {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.logs.String()
}

func (env *reloadEnv) apply(t *testing.T, es ...config.Enrollment) {
	t.Helper()
	if err := env.e.Apply(mustConfig(t, es...)); err != nil {
		t.Fatal(err)
	}
}

// series returns the series of name whose labels include want.
func (env *reloadEnv) series(t *testing.T, name string, want map[string]string) []*dto.Metric {
	t.Helper()
	mfs, err := env.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return matching(mfs, name, want)
}

func matching(mfs []*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	var out []*dto.Metric
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
			out = append(out, m)
		}
	}
	return out
}

// value returns the value of the one series of name whose labels include
// want.
func (env *reloadEnv) value(t *testing.T, name string, want map[string]string) (float64, bool) {
	t.Helper()
	s := env.series(t, name, want)
	if len(s) != 1 {
		return 0, false
	}
	return s[0].GetGauge().GetValue(), true
}

// eventually polls cond until it holds, or fails the test after 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReloadOfBudgetsKeepsRunningRefresherAndData(t *testing.T) {
	env := newReloadEnv(t)
	env.apply(t, config.Enrollment{Enrollment: "100", Budgets: []config.Budget{{Name: "all", Amount: 500}}})
	waitRefreshed(t, env.e)
	env.apiDown()

	env.apply(t, config.Enrollment{Enrollment: "100", Currency: "USD", Budgets: []config.Budget{{Name: "all", Amount: 900}}})
	if n := env.made("100"); n != 1 {
		t.Errorf("%d sources made: a budget change must keep the running refresher", n)
	}
	if v, ok := env.value(t, "azure_ea_budget_amount", map[string]string{"budget": "all"}); !ok || v != 900 {
		t.Errorf("budget amount right after the reload = %v (present %v), want the new 900", v, ok)
	}
	if v, ok := env.value(t, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); !ok || v != 33.5 {
		t.Errorf("usage cost right after the reload = %v (present %v), want 33.5 kept", v, ok)
	}
	if v, ok := env.value(t, "azure_ea_budget_cost", map[string]string{"budget": "all"}); !ok || v != 40.5 {
		t.Errorf("budget cost right after the reload = %v (present %v), want 40.5", v, ok)
	}
	if v, _ := env.value(t, "azure_ea_up", nil); v != 1 {
		t.Errorf("azure_ea_up = %v right after a budget change, want 1: nothing was refreshed", v)
	}
}

func TestReloadWithNewTagLabelKeepsWhatDoesNotDependOnIt(t *testing.T) {
	env := newReloadEnv(t)
	env.apply(t, config.Enrollment{Enrollment: "100", Dimensions: []string{"department"}},
		config.Enrollment{Enrollment: "200"})
	waitRefreshed(t, env.e)
	env.apiDown()

	env.apply(t, config.Enrollment{Enrollment: "100", Dimensions: []string{"department"}, TagLabels: []string{"Env"}},
		config.Enrollment{Enrollment: "200"})
	if n := env.made("200"); n != 1 {
		t.Errorf("%d sources made for enrollment 200, whose configuration did not change: want 1", n)
	}
	check := func(when string) {
		t.Helper()
		cost := env.series(t, "azure_ea_usage_cost", map[string]string{"enrollment": "200", "billing_period": "202611", "department": "Dept A"})
		if len(cost) != 1 || cost[0].GetGauge().GetValue() != 33.5 {
			t.Errorf("%s: enrollment 200's usage cost = %v, want 33.5 kept", when, cost)
		} else if _, ok := labelMap(cost[0])["tag_env"]; !ok {
			t.Errorf("%s: enrollment 200's usage cost lacks the new layout's tag_env label: %v", when, labelMap(cost[0]))
		}
		for _, name := range []string{"azure_ea_credit_ending_balance", "azure_ea_billing_period_start_timestamp_seconds",
			"azure_ea_marketplace_cost"} {
			if s := env.series(t, name, map[string]string{"enrollment": "100", "billing_period": "202611"}); len(s) != 1 {
				t.Errorf("%s: %d series of %s for enrollment 100, want its last good one", when, len(s), name)
			}
		}
		for _, ds := range []string{"billing_periods", "balance_summary", "marketplace_charges"} {
			if s := env.series(t, "azure_ea_refresh_last_success_timestamp_seconds", map[string]string{"enrollment": "100", "dataset": ds}); len(s) != 1 {
				t.Errorf("%s: the last success time of enrollment 100's %s went missing", when, ds)
			}
		}
		// Its usage, dropped, is not successful as of the old data.
		usage := map[string]string{"enrollment": "100", "dataset": "usage_details"}
		if s := env.series(t, "azure_ea_refresh_last_success_timestamp_seconds", usage); len(s) != 0 {
			t.Errorf("%s: enrollment 100's usage details, dropped, keep their last success time", when)
		}
		if v, ok := env.value(t, "azure_ea_refresh_success", usage); ok && v != 0 {
			t.Errorf("%s: refresh_success of enrollment 100's dropped usage details = %v", when, v)
		}
		if v, _ := env.value(t, "azure_ea_up", map[string]string{"enrollment": "100"}); v != 0 {
			t.Errorf("%s: azure_ea_up of enrollment 100 = %v without its usage details, want 0", when, v)
		}
	}
	check("right after the reload")
	// The new refresher of enrollment 100 refreshes at once, and fails.
	eventually(t, "a failed refresh of enrollment 100", func() bool {
		v, ok := env.value(t, "azure_ea_refresh_success", map[string]string{"enrollment": "100", "dataset": "balance_summary"})
		return ok && v == 0
	})
	check("after a failed refresh")
	if n := len(env.series(t, "azure_ea_usage_cost", map[string]string{"enrollment": "100"})); n != 0 {
		t.Errorf("%d usage cost series of enrollment 100 in the old layout: its usage must be read again", n)
	}
	if got := env.logged(); !bytes.Contains([]byte(got), []byte("usage details are read again")) {
		t.Errorf("no log line says enrollment 100's usage is read again; logs:\n%s", got)
	}
}

func TestReloadOfSourceSettingsKeepsUsageAndReadsItAllAgain(t *testing.T) {
	env := newReloadEnv(t)
	env.apply(t, config.Enrollment{Enrollment: "100"})
	waitRefreshed(t, env.e)
	first := env.source("100", 0)
	first.takeRanges()

	env.apply(t, config.Enrollment{Enrollment: "100", BaseURL: "http://127.0.0.1:1/mirror"})
	if v, ok := env.value(t, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); !ok || v != 33.5 {
		t.Errorf("usage cost right after the reload = %v (present %v), want 33.5 kept", v, ok)
	}
	eventually(t, "the new source's first refresh", func() bool {
		return env.made("100") == 2 && env.source("100", 1).usageReads() >= 3
	})
	// Another API may hold other data: everything is read again, not
	// conditionally on the ETags the old one sent.
	got := env.source("100", 1).takeRanges()
	want := []string{"11-01..11-16", "11-17..11-20", "10-01..10-31"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("the new source's usage reads = %q, want %q", got, want)
	}
	if n := len(first.takeRanges()); n != 0 {
		t.Errorf("the replaced source was read %d more times", n)
	}
}

func TestReloadOfUsageTuningKeepsUsageState(t *testing.T) {
	env := newReloadEnv(t)
	env.apply(t, config.Enrollment{Enrollment: "100"})
	waitRefreshed(t, env.e)
	three := 3
	env.apply(t, config.Enrollment{Enrollment: "100", UsageMethod: "csv", SettleDays: &three})
	if n := env.made("100"); n != 1 {
		t.Errorf("%d sources made: a change of usage_method keeps the running refresher", n)
	}
	if v, ok := env.value(t, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); !ok || v != 33.5 {
		t.Errorf("usage cost right after the reload = %v (present %v), want 33.5 kept", v, ok)
	}
}

// Scrapes during reloads see every enrollment once, with its data, whatever
// the reload changes and even with the API down.
func TestConcurrentScrapesDuringReloads(t *testing.T) {
	env := newReloadEnv(t)
	a := config.Enrollment{Enrollment: "100", Dimensions: []string{"department"}}
	b := config.Enrollment{Enrollment: "200"}
	env.apply(t, a, b)
	waitRefreshed(t, env.e)
	env.apiDown()

	stop := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := checkScrape(env.reg); err != nil {
				select {
				case errs <- err:
				default:
				}
				return
			}
		}
	})
	for i := range 20 {
		a2, b2 := a, b
		if i%2 == 0 {
			a2.Currency = "USD"
			b2.TagLabels = []string{"team"}
			b2.Budgets = []config.Budget{{Name: "all", Amount: float64(i)}}
		}
		env.apply(t, a2, b2)
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Error(err)
	default:
	}
}

// checkScrape gathers once and checks that each enrollment is there once,
// with its balances and enrollment 100's usage.
func checkScrape(g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	if err != nil {
		return err
	}
	for _, id := range []string{"100", "200"} {
		if n := len(matching(mfs, "azure_ea_up", map[string]string{"enrollment": id})); n != 1 {
			return fmt.Errorf("a scrape saw enrollment %s %d times", id, n)
		}
		if n := len(matching(mfs, "azure_ea_credit_ending_balance", map[string]string{"enrollment": id})); n != 2 {
			return fmt.Errorf("a scrape saw %d balance series of enrollment %s, want 2", n, id)
		}
	}
	if n := len(matching(mfs, "azure_ea_usage_cost", map[string]string{"enrollment": "100"})); n == 0 {
		return errors.New("a scrape saw no usage of enrollment 100")
	}
	return nil
}

// A reload that changes the usage dimensions drops the usage details, read
// again by the new refresher: until then they are pending (no refresh
// success, no last success, up 0), while the other datasets keep theirs.
func TestSeedAfterALayoutChangeLeavesUsagePending(t *testing.T) {
	src := testSource()
	old := newTestRefresher(t, src, config.Enrollment{Enrollment: "100"})
	old.refresh(context.Background())
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Dimensions: []string{"department"}})
	r.seed(old)
	c := snapCollector{r}
	usage := map[string]string{"dataset": "usage_details"}
	if _, ok := gaugeValue(t, c, "azure_ea_refresh_success", usage); ok {
		t.Error("refresh_success{usage_details} shows for usage details dropped and not read again")
	}
	if _, ok := gaugeValue(t, c, "azure_ea_refresh_last_success_timestamp_seconds", usage); ok {
		t.Error("usage details dropped keep their last success time")
	}
	if v, _ := gaugeValue(t, c, "azure_ea_up", nil); v != 0 {
		t.Errorf("azure_ea_up = %v with the usage details pending, want 0", v)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "balance_summary"}); v != 1 {
		t.Errorf("refresh_success{balance_summary} = %v, want the old refresher's 1", v)
	}
	r.refresh(context.Background())
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", usage); v != 1 {
		t.Errorf("refresh_success{usage_details} = %v once read again, want 1", v)
	}
}
