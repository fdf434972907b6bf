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

	out []prometheus.Metric
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
	return b.out
}

// pickCurrency takes the currency from the balance summary, else the price
// sheet, else the configuration.
func (b *builder) pickCurrency() string {
	for _, p := range []string{b.cur, b.prev} {
		if s := b.res.balances[p]; s != nil && s.Currency != "" {
			return s.Currency
		}
	}
	if b.res.prices != nil && b.res.prices.currency != "" {
		return b.res.prices.currency
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
		b.gauge(b.d.refreshSuccess, boolValue(st.success), b.enrollment(), ds)
		if st.attempted {
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

func boolValue(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
