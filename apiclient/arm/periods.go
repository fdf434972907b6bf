package arm

import (
	"context"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// listedPeriods is how many billing periods BillingPeriods lists: the
// current one and the 12 before it, the 13 months of history that Cost
// Management keeps (reference 6.5.3).
const listedPeriods = 13

// BillingPeriods lists the current calendar month and the 12 before it,
// newest first. No Resource Manager API lists an EA billing account's
// periods; they are calendar months (reference 6.5.7), so they are derived
// from the clock without a request. Every dataset is assumed present.
func (c *Client) BillingPeriods(context.Context) ([]apiclient.BillingPeriod, error) {
	now := c.cfg.now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	periods := make([]apiclient.BillingPeriod, 0, listedPeriods)
	for i := range listedPeriods {
		start := first.AddDate(0, -i, 0)
		periods = append(periods, apiclient.BillingPeriod{
			ID: start.Format("200601"), Start: start, End: start.AddDate(0, 1, 0).Add(-time.Second),
			HasBalanceSummary: true, HasUsageDetails: true, HasMarketplaceCharges: true, HasPriceSheet: true,
		})
	}
	return periods, nil
}
