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
func fetchMarketplace(ctx context.Context, src apiclient.Source, periods ...string) (map[string]marketAgg, error) {
	out := make(map[string]marketAgg, len(periods))
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
			return nil, fmt.Errorf("marketplace charges of %s: %w", p, err)
		}
		out[p] = agg
	}
	return out, nil
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
