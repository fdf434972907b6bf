package collector

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// fetchBalances reads the balance summaries of the current and the previous
// period. A period without a summary is left out, unless last, the last
// good summaries, has one: that one is kept, and the periods so kept are
// returned as lost (see noDataLoss). The summary of another period than the
// one asked for fails the dataset, since it would be exported under the
// period asked for.
func fetchBalances(ctx context.Context, src apiclient.Source, last map[string]*apiclient.BalanceSummary, periods ...string) (map[string]*apiclient.BalanceSummary, noDataLoss, error) {
	out := make(map[string]*apiclient.BalanceSummary, len(periods))
	var lost noDataLoss
	for _, p := range periods {
		b, err := src.BalanceSummary(ctx, p)
		if err != nil {
			return nil, nil, fmt.Errorf("balance summary of %s: %w", p, err)
		}
		if b == nil && last[p] != nil {
			out[p] = last[p]
			lost = append(lost, "balance summary of "+p)
			continue
		}
		if b != nil && b.BillingPeriod != "" && b.BillingPeriod != p {
			return nil, nil, fmt.Errorf("balance summary of %s: %w: the source answered that of %q", p, apiclient.ErrBadResponse, b.BillingPeriod)
		}
		if b != nil {
			c := *b
			c.Currency = strings.TrimSpace(c.Currency)
			out[p] = &c
		}
	}
	return out, lost, nil
}

// balance emits the credit and overage gauges of each period that has a
// balance summary.
func (b *builder) balance() {
	for _, p := range []string{b.cur, b.prev} {
		s := b.res.balances[p]
		if s == nil {
			continue
		}
		for i, f := range balanceFields {
			b.gauge(b.d.balance[i], f.value(s), b.enrollment(), p, b.currency)
		}
	}
}

// periods emits the start and end of the current and the previous period, as
// the billing periods list gives them.
func (b *builder) periods() {
	for _, bp := range b.res.periods {
		if bp.ID != b.cur && bp.ID != b.prev {
			continue
		}
		if !bp.Start.IsZero() {
			b.gauge(b.d.periodStart, float64(bp.Start.Unix()), b.enrollment(), bp.ID)
		}
		if !bp.End.IsZero() {
			b.gauge(b.d.periodEnd, float64(bp.End.Unix()), b.enrollment(), bp.ID)
		}
	}
}

func (b *builder) gauge(d *prometheus.Desc, v float64, labels ...string) {
	b.out = append(b.out, b.gauges.gauge(d, v, labels...))
}
