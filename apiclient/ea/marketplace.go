package ea

import (
	"context"
	"fmt"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// marketplaceJSON is one marketplace store charge (reference 3.6).
type marketplaceJSON struct {
	UsageStartDate   flexString `json:"usageStartDate"`
	DepartmentName   flexString `json:"departmentName"`
	SubscriptionGUID flexString `json:"subscriptionGuid"`
	SubscriptionName flexString `json:"subscriptionName"`
	PublisherName    flexString `json:"publisherName"`
	OfferName        flexString `json:"offerName"`
	PlanName         flexString `json:"planName"`
	ExtendedCost     flexFloat  `json:"extendedCost"`
	Cost             flexFloat  `json:"cost"`
	ConsumedQuantity flexFloat  `json:"consumedQuantity"`
}

// MarketplaceCharges streams the marketplace store charges of period
// (yyyyMM), or of the current period when period is "". A 400 or 404, or
// the "Usage Data Extract" text, is "no data". The whole list is decoded
// before the first call of fn.
func (c *Client) MarketplaceCharges(ctx context.Context, period string, fn func(*apiclient.MarketplaceCharge) error) error {
	return streamPeriodList(ctx, c, apiclient.EndpointMarketplaceCharges, "marketplacecharges", period, decodeMarketplace, fn)
}

// streamPeriodList reads one of the bare, unpaged per-period arrays
// (marketplace charges, price sheet) through the ETag cache, decodes it
// whole, so that a damaged answer delivers nothing, and streams its records
// to fn. A 400 or 404, or the "Usage Data Extract" text, is "no data".
func streamPeriodList[T any](ctx context.Context, c *Client, endpoint, route, period string, decode func([]byte) ([]T, error), fn func(*T) error) error {
	path, err := periodPath(period)
	if err != nil {
		return err
	}
	auth, err := c.authorizer()
	if err != nil {
		return err
	}
	var items []T
	err = c.getCachedJSON(ctx, endpoint, c.apiURL("v3", path+"/"+route, nil), 0, auth,
		orNoDataText(func(payload []byte) error {
			items, err = decode(payload)
			return err
		}))
	if isNoData(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for i := range items {
		if err := fn(&items[i]); err != nil {
			return err
		}
	}
	return nil
}

// decodeMarketplace decodes the bare marketplace charges array.
func decodeMarketplace(payload []byte) ([]apiclient.MarketplaceCharge, error) {
	items, err := decodeArray[marketplaceJSON](payload, "marketplace charges")
	if err != nil {
		return nil, err
	}
	charges := make([]apiclient.MarketplaceCharge, 0, len(items))
	for _, item := range items {
		if item == nil {
			continue
		}
		date, err := parseTime("usageStartDate", item.UsageStartDate)
		if err != nil {
			return nil, fmt.Errorf("marketplace charges: %w", err)
		}
		cost := item.ExtendedCost
		if !cost.Set {
			cost = item.Cost
		}
		charges = append(charges, apiclient.MarketplaceCharge{
			Date:           date,
			Department:     string(item.DepartmentName),
			SubscriptionID: string(item.SubscriptionGUID),
			Subscription:   string(item.SubscriptionName),
			Publisher:      string(item.PublisherName),
			Offer:          string(item.OfferName),
			Plan:           string(item.PlanName),
			Cost:           cost.Value,
			Quantity:       item.ConsumedQuantity.Value,
		})
	}
	return charges, nil
}
