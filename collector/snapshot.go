package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// unknownCurrency labels money when no source says what the currency is.
const unknownCurrency = "unknown"

// builder renders one enrollment's results into const metrics.
type builder struct {
	cfg          *config.Enrollment
	layout       *layout
	d            *descs
	res          *results
	status       map[string]datasetStatus
	cur, prev    string
	currency     string
	keyExpiry    time.Time
	hasKeyExpiry bool

	gauges gaugeMaker
	out    []prometheus.Metric
	// budgetsDone says the configured budgets were emitted (they need usage
	// data).
	budgetsDone bool
	// series, when set, keeps each period's usage series from one build to
	// the next (see usage).
	series map[string]periodSeries
}

// periodSeries are the usage series built from one period's aggregation,
// in one currency. An aggregation never changes once built, and a refresh
// that reads nothing again keeps it: the next snapshot reuses its series
// instead of building them again, which is most of a snapshot's work and
// garbage.
type periodSeries struct {
	from     *periodAgg
	currency string
	metrics  []prometheus.Metric
}

func (b *builder) enrollment() string { return b.cfg.Enrollment }

func (b *builder) build() []prometheus.Metric {
	b.currency = b.pickCurrency()
	b.self()
	b.periods()
	b.balance()
	b.usage()
	b.marketplace()
	b.prices()
	b.configuredBudgetsWithoutUsage()
	b.azureBudgets()
	return b.out
}

// pickCurrency takes the currency from the balance summary, else the price
// sheet, else the configuration. It becomes a label, so it is sanitized like
// every other value from the API.
func (b *builder) pickCurrency() string {
	for _, p := range []string{b.cur, b.prev} {
		if s := b.res.balances[p]; s != nil && s.Currency != "" {
			return sanitizeLabelValue([]byte(s.Currency))
		}
	}
	if b.res.prices != nil && b.res.prices.currency != "" {
		return sanitizeLabelValue([]byte(b.res.prices.currency))
	}
	if b.cfg.Currency != "" {
		return b.cfg.Currency
	}
	return unknownCurrency
}

// self emits the exporter's own view of its refreshes.
func (b *builder) self() {
	up := 1.0
	for _, ds := range config.AllDatasets {
		if !b.cfg.Enabled(ds) {
			continue
		}
		st := b.status[ds]
		if !st.success {
			up = 0
		}
		// Before its first refresh a dataset has no "last refresh": its
		// success is unknown, not 0 (which would read as a failure).
		if st.attempted {
			b.gauge(b.d.refreshSuccess, boolValue(st.success), b.enrollment(), ds)
			b.gauge(b.d.refreshDuration, st.duration.Seconds(), b.enrollment(), ds)
		}
		if !st.lastSuccess.IsZero() {
			b.gauge(b.d.refreshLastGood, float64(st.lastSuccess.UnixNano())/1e9, b.enrollment(), ds)
		}
	}
	b.gauge(b.d.up, up, b.enrollment())
	if b.hasKeyExpiry {
		b.gauge(b.d.keyExpiry, float64(b.keyExpiry.Unix()), b.enrollment())
	}
}

// configuredBudgetsWithoutUsage emits the configured budgets' amounts when
// no usage data has been read yet, so that they show from the start.
func (b *builder) configuredBudgetsWithoutUsage() {
	if b.budgetsDone {
		return
	}
	for _, bg := range b.cfg.Budgets {
		b.gauge(b.d.budgetAmount, bg.Amount, b.enrollment(), b.cur, b.currency, bg.Name, bg.ScopeType, bg.Scope)
	}
}

// monthlyGrains are the Azure budget time grains whose amount is per billing
// period, like the configured budgets'; budgets of other grains are not
// exported, as their amounts would not compare with a period's cost.
var monthlyGrains = map[string]bool{"Monthly": true, "BillingMonth": true}

// azureBudgets emits the budgets defined in Azure with Azure's own figures:
// the amount, the spend Azure last evaluated (once a day) and its forecast
// when Azure has one. A configured budget of the same name and scope wins.
func (b *builder) azureBudgets() {
	type id struct{ name, scopeType, scope string }
	seen := map[id]bool{}
	for _, bg := range b.cfg.Budgets {
		seen[id{bg.Name, bg.ScopeType, bg.Scope}] = true
	}
	for _, az := range b.res.budgets {
		k := id{sanitizeLabelValue([]byte(az.Name)), az.ScopeType, sanitizeLabelValue([]byte(az.Scope))}
		if !monthlyGrains[az.TimeGrain] || seen[k] {
			continue
		}
		seen[k] = true
		currency := b.currency
		if az.Currency != "" {
			currency = az.Currency
		}
		labels := []string{b.enrollment(), b.cur, currency, k.name, k.scopeType, k.scope}
		b.gauge(b.d.budgetAmount, az.Amount, labels...)
		b.gauge(b.d.budgetCost, az.CurrentSpend, labels...)
		if az.HasForecast {
			b.gauge(b.d.budgetForecast, az.ForecastSpend, labels...)
		}
	}
}

func boolValue(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
