package ea

import (
	"context"
	"math"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// fakeNow is the clock of the fake and of the client: mid-March, so that
// February is closed and March is the current period.
var fakeNow = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

// fakeEnv is a client against fakeapi.
type fakeEnv struct {
	fake    *fakeapi.Server
	srv     *httptest.Server
	client  *Client
	rec     *recorder
	keyFile string
	mu      sync.Mutex
	waits   []time.Duration
}

func newFakeEnv(t testing.TB, opts fakeapi.Options, tweak func(*Config)) *fakeEnv {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fakeNow }
	}
	env := &fakeEnv{fake: fakeapi.New(opts), rec: &recorder{}}
	env.srv = httptest.NewServer(env.fake)
	t.Cleanup(env.srv.Close)
	env.keyFile = filepath.Join(t.TempDir(), "key")
	writeFile(t, env.keyFile, env.fake.Key()+"\n")
	cfg := Config{
		BaseURL: env.srv.URL, Enrollment: env.fake.Enrollment(), KeyFile: env.keyFile, Observer: env.rec,
		Retry:        RetryConfig{MaxAttempts: 3, BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond},
		PollInterval: 10 * time.Second,
		now:          opts.Now,
		sleep: func(ctx context.Context, d time.Duration) error {
			env.mu.Lock()
			env.waits = append(env.waits, d)
			env.mu.Unlock()
			return ctx.Err()
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.client = c
	return env
}

func (env *fakeEnv) sleeps() []time.Duration {
	env.mu.Lock()
	defer env.mu.Unlock()
	return append([]time.Duration(nil), env.waits...)
}

// sums is what a usage stream added up, in the order rows arrived. It is
// also an apiclient.UsageStaging: staged rows are added when committed.
type sums struct {
	rows             int
	cost, quantity   float64
	billedSeparately float64
	byDept, bySub    map[string]float64
	byCategory       map[string]float64
	staging          bool
	staged           []sumsRow
}

// sumsRow is what sums keeps of a staged row.
type sumsRow struct {
	cost, quantity      float64
	billedSeparately    bool
	dept, sub, category string
}

func newSums() *sums {
	return &sums{byDept: map[string]float64{}, bySub: map[string]float64{}, byCategory: map[string]float64{}}
}

func (s *sums) add(r *apiclient.UsageRow) error {
	row := sumsRow{r.Cost, r.Quantity, r.BilledSeparately, string(r.Values[apiclient.DimDepartment]),
		string(r.Values[apiclient.DimSubscriptionID]), string(r.Values[apiclient.DimMeterCategory])}
	if s.staging {
		s.staged = append(s.staged, row)
		return nil
	}
	s.count(row)
	return nil
}

func (s *sums) count(r sumsRow) {
	s.rows++
	s.cost += r.cost
	s.quantity += r.quantity
	if r.billedSeparately {
		s.billedSeparately += r.cost
	}
	s.byDept[r.dept] += r.cost
	s.bySub[r.sub] += r.cost
	s.byCategory[r.category] += r.cost
}

func (s *sums) Begin() { s.staging = true }

func (s *sums) Commit() {
	for _, r := range s.staged {
		s.count(r)
	}
	s.Rollback()
}

func (s *sums) Rollback() { s.staged, s.staging = s.staged[:0], false }

// close reports whether a and b agree to a relative 1e-9: the fake sums in
// the order it serves, but a split range sums in another order.
func close(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// matches compares s with the fake's truth, exactly when exact.
func (s *sums) matches(t *testing.T, truth fakeapi.PeriodTruth, exact bool) {
	t.Helper()
	eq := close
	if exact {
		eq = func(a, b float64) bool { return a == b }
	}
	if s.rows != truth.UsageRows || !eq(s.cost, truth.UsageCost) || !eq(s.quantity, truth.UsageQuantity) ||
		!eq(s.billedSeparately, truth.BilledSeparatelyCost) {
		t.Errorf("period %s: rows %d cost %v quantity %v billed separately %v; truth %d %v %v %v", truth.Period,
			s.rows, s.cost, s.quantity, s.billedSeparately, truth.UsageRows, truth.UsageCost, truth.UsageQuantity, truth.BilledSeparatelyCost)
	}
	for name, pair := range map[string][2]map[string]float64{
		"department": {s.byDept, truth.CostByDepartment}, "subscription": {s.bySub, truth.CostBySubscription},
		"meter category": {s.byCategory, truth.CostByMeterCategory},
	} {
		got, want := pair[0], pair[1]
		if len(got) != len(want) {
			t.Errorf("period %s: %d values of %s, truth %d", truth.Period, len(got), name, len(want))
		}
		for k, v := range want {
			if !eq(got[k], v) {
				t.Errorf("period %s: %s %q cost %v, truth %v", truth.Period, name, k, got[k], v)
			}
		}
	}
}
