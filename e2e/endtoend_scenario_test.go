package e2e

import (
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
	"go.yaml.in/yaml/v3"
)

// The scenario: two enrollments behind one exporter.
//
// The overrun enrollment has a prepayment so small that service overage has
// started in the current period, a key that expires in 5 days, a budget far
// below the period's cost ("tiny", which must fire) and one far above it
// ("huge", which must not). The healthy enrollment has credit left (so that
// the credit exhaustion date exists for the overview dashboard) and a key
// that expires in half a year.
const (
	overrunEnrollment = "8608480"
	healthyEnrollment = "8608481"
	tinyBudget        = "tiny"
	hugeBudget        = "huge"
	soonKeyLifetime   = 5 * 24 * time.Hour
	longKeyLifetime   = 180 * 24 * time.Hour
)

// fakeEnrollment is one simulated enrollment, served over loopback HTTP.
type fakeEnrollment struct {
	number  string
	fake    *fakeapi.Server
	url     string
	keyFile string
	// current and previous are the billing periods (yyyyMM) it serves.
	current, previous string
}

type scenario struct {
	overrun, healthy *fakeEnrollment
	// hugeScope is the department the huge budget covers.
	hugeScope  string
	hugeAmount float64
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	overrun := startFake(t, overrunEnrollment, soonKeyLifetime, overrunCommitment(t))
	healthy := startFake(t, healthyEnrollment, longKeyLifetime, 0)
	truth := overrun.fake.Truth(overrun.current)
	if truth.Balance.ServiceOverage <= 0 || truth.Balance.BeginningBalance+truth.Balance.NewPurchases <= 0 {
		t.Fatalf("scenario: enrollment %s should have credit and overage in %s: %+v", overrun.number, overrun.current, truth.Balance)
	}
	if b := healthy.fake.Truth(healthy.current).Balance; b.EndingBalance <= 0 {
		t.Fatalf("scenario: enrollment %s should have credit left in %s: %+v", healthy.number, healthy.current, b)
	}
	sc := &scenario{overrun: overrun, healthy: healthy, hugeScope: biggest(truth.CostByDepartment)}
	sc.hugeAmount = math.Ceil(1000 * truth.UsageCost)
	return sc
}

// options are the fake's settings for enrollment: usage has no latency, so
// the current period has data on its first day too, whatever the date.
func options(enrollment string) fakeapi.Options {
	return fakeapi.Options{Enrollment: enrollment, LatencyDays: -1}
}

func startFake(t *testing.T, enrollment string, keyLifetime time.Duration, commitment float64) *fakeEnrollment {
	t.Helper()
	expires := time.Now().Add(keyLifetime)
	key := fakeapi.NewJWTKey(expires)
	opts := options(enrollment)
	opts.Keys = map[string]time.Time{key: expires}
	opts.Commitment = commitment
	fe := &fakeEnrollment{number: enrollment, fake: fakeapi.New(opts)}
	periods := fe.fake.Periods()
	if len(periods) < 2 {
		t.Fatalf("scenario: fakeapi serves periods %v, want the current and the previous one", periods)
	}
	fe.current, fe.previous = periods[0], periods[1]
	srv := httptest.NewServer(fe.fake)
	t.Cleanup(srv.Close)
	fe.url = srv.URL
	fe.keyFile = filepath.Join(t.TempDir(), "api-key-"+enrollment)
	if err := os.WriteFile(fe.keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return fe
}

// overrunCommitment sizes the prepayment so that the previous period uses
// it up and the current period's new purchase (5% of it, see fakeapi)
// covers at most half of the current period's eligible usage: service
// overage then starts in the current period, on any day of the month.
func overrunCommitment(t *testing.T) float64 {
	t.Helper()
	probe := fakeapi.New(options(overrunEnrollment))
	periods := probe.Periods()
	if len(periods) < 2 {
		t.Fatalf("scenario: fakeapi serves periods %v, want the current and the previous one", periods)
	}
	eligible := func(period string) float64 {
		tr := probe.Truth(period)
		return tr.UsageCost - tr.BilledSeparatelyCost
	}
	return math.Round(min(eligible(periods[1])/2, eligible(periods[0])*10))
}

// biggest returns the key with the largest value.
func biggest(costs map[string]float64) string {
	best, bestCost := "", math.Inf(-1)
	for k, c := range costs {
		if c > bestCost || (c == bestCost && k < best) {
			best, bestCost = k, c
		}
	}
	return best
}

func (sc *scenario) enrollments() []string {
	return []string{sc.overrun.number, sc.healthy.number}
}

// exporterConfig is the exporter's --config.file, written as a user writes
// it (README "Several enrollments: the config file").
type exporterConfig struct {
	Enrollments []configEnrollment `yaml:"enrollments"`
}

type configEnrollment struct {
	Enrollment string          `yaml:"enrollment"`
	APIKeyFile string          `yaml:"api_key_file"`
	BaseURL    string          `yaml:"base_url"`
	Datasets   map[string]bool `yaml:"datasets"`
	Budgets    []configBudget  `yaml:"budgets,omitempty"`
}

type configBudget struct {
	Name      string  `yaml:"name"`
	Amount    float64 `yaml:"amount"`
	ScopeType string  `yaml:"scope_type"`
	Scope     string  `yaml:"scope,omitempty"`
}

func (sc *scenario) exporterConfig(t *testing.T) []byte {
	t.Helper()
	// The price sheet is opt-in; the drill-down dashboard shows it.
	datasets := map[string]bool{"price_sheet": true}
	cfg := exporterConfig{Enrollments: []configEnrollment{
		{
			Enrollment: sc.overrun.number, APIKeyFile: sc.overrun.keyFile, BaseURL: sc.overrun.url, Datasets: datasets,
			Budgets: []configBudget{
				{Name: tinyBudget, Amount: 1, ScopeType: "enrollment"},
				{Name: hugeBudget, Amount: sc.hugeAmount, ScopeType: "department", Scope: sc.hugeScope},
			},
		},
		{Enrollment: sc.healthy.number, APIKeyFile: sc.healthy.keyFile, BaseURL: sc.healthy.url, Datasets: datasets},
	}}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
