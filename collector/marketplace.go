package collector

import (
	"context"
	"fmt"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// marketKey is the label set of a marketplace cost series.
type marketKey struct {
	department, subscriptionID, subscription, publisher, offer, plan string
}

// marketAgg is one period's marketplace cost per label set.
type marketAgg map[marketKey]*sum

// fetchMarketplace sums the marketplace charges of each period by label set.
// A period without charges whose last good data, last, has some keeps
// those, and is returned as lost (see noDataLoss).
func fetchMarketplace(ctx context.Context, src apiclient.Source, last map[string]marketAgg, periods ...string) (map[string]marketAgg, noDataLoss, error) {
	out := make(map[string]marketAgg, len(periods))
	var lost noDataLoss
	for _, p := range periods {
		agg := marketAgg{}
		err := src.MarketplaceCharges(ctx, p, func(c *apiclient.MarketplaceCharge) error {
			k := marketKey{
				department:     sanitizeLabelValue([]byte(c.Department)),
				subscriptionID: sanitizeLabelValue([]byte(c.SubscriptionID)),
				subscription:   sanitizeLabelValue([]byte(c.Subscription)),
				publisher:      sanitizeLabelValue([]byte(c.Publisher)),
				offer:          sanitizeLabelValue([]byte(c.Offer)),
				plan:           sanitizeLabelValue([]byte(c.Plan)),
			}
			s := agg[k]
			if s == nil {
				s = &sum{}
				agg[k] = s
			}
			s.add(c.Cost)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("marketplace charges of %s: %w", p, err)
		}
		if len(agg) == 0 && len(last[p]) > 0 {
			agg = last[p]
			lost = append(lost, "marketplace charges of "+p)
		}
		out[p] = agg
	}
	return out, lost, nil
}

// marketplace emits the marketplace cost series of each period.
func (b *builder) marketplace() {
	for _, p := range []string{b.cur, b.prev} {
		for k, s := range b.res.market[p] {
			b.gauge(b.d.marketplaceCost, s.value(), b.enrollment(), p, b.currency,
				k.department, k.subscriptionID, k.subscription, k.publisher, k.offer, k.plan)
		}
	}
}
