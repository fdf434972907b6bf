package ea

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// billingPeriodJSON is one element of the billing periods array
// (reference 3.1). A link is null when the period has no such data.
type billingPeriodJSON struct {
	BillingPeriodID    flexString `json:"billingPeriodId"`
	BillingStart       flexString `json:"billingStart"`
	BillingEnd         flexString `json:"billingEnd"`
	BalanceSummary     flexString `json:"balanceSummary"`
	UsageDetails       flexString `json:"usageDetails"`
	MarketplaceCharges flexString `json:"marketplaceCharges"`
	PriceSheet         flexString `json:"priceSheet"`
}

// BillingPeriods lists the enrollment's billing periods, newest first.
func (c *Client) BillingPeriods(ctx context.Context) ([]apiclient.BillingPeriod, error) {
	auth, err := c.authorizer()
	if err != nil {
		return nil, err
	}
	var periods []apiclient.BillingPeriod
	err = c.getCachedJSON(ctx, apiclient.EndpointBillingPeriods, c.apiURL("v2", "/billingperiods", nil), maxSmallBody, auth,
		func(payload []byte) error {
			periods, err = decodeBillingPeriods(payload)
			return err
		})
	if err != nil {
		return nil, err
	}
	return periods, nil
}

// decodeBillingPeriods decodes the billing periods array, newest first
// whatever the order it arrives in.
func decodeBillingPeriods(payload []byte) ([]apiclient.BillingPeriod, error) {
	items, err := decodeArray[billingPeriodJSON](payload, "billing periods")
	if err != nil {
		return nil, err
	}
	periods := make([]apiclient.BillingPeriod, 0, len(items))
	for _, item := range items {
		if item == nil {
			continue
		}
		p, err := item.record()
		if err != nil {
			return nil, fmt.Errorf("billing periods: %w", err)
		}
		periods = append(periods, p)
	}
	slices.SortStableFunc(periods, func(a, b apiclient.BillingPeriod) int { return strings.Compare(b.ID, a.ID) })
	return periods, nil
}

func (j *billingPeriodJSON) record() (apiclient.BillingPeriod, error) {
	id := strings.TrimSpace(string(j.BillingPeriodID))
	if err := validPeriod(id); err != nil {
		return apiclient.BillingPeriod{}, fmt.Errorf("%w: billingPeriodId %s is not yyyyMM", apiclient.ErrBadResponse, quoteShort(id))
	}
	start, err := parseTime("billingStart", j.BillingStart)
	if err != nil {
		return apiclient.BillingPeriod{}, err
	}
	end, err := parseTime("billingEnd", j.BillingEnd)
	if err != nil {
		return apiclient.BillingPeriod{}, err
	}
	return apiclient.BillingPeriod{
		ID: id, Start: start, End: end,
		HasBalanceSummary:     hasLink(j.BalanceSummary),
		HasUsageDetails:       hasLink(j.UsageDetails),
		HasMarketplaceCharges: hasLink(j.MarketplaceCharges),
		HasPriceSheet:         hasLink(j.PriceSheet),
	}, nil
}

func hasLink(s flexString) bool { return strings.TrimSpace(string(s)) != "" }
