package ea

import (
	"context"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// priceSheetJSON is one price sheet item (reference 3.7).
type priceSheetJSON struct {
	MeterID          flexString `json:"meterId"`
	MeterName        flexString `json:"meterName"`
	PartNumber       flexString `json:"partNumber"`
	UnitOfMeasure    flexString `json:"unitOfMeasure"`
	UnitPrice        flexFloat  `json:"unitPrice"`
	IncludedQuantity flexFloat  `json:"includedQuantity"`
	CurrencyCode     flexString `json:"currencyCode"`
}

// PriceSheet streams the price sheet of period (yyyyMM), or of the current
// period when period is "". A 400 or 404, or the "Usage Data Extract" text,
// is "no data". The whole sheet is decoded before the first call of fn.
func (c *Client) PriceSheet(ctx context.Context, period string, fn func(*apiclient.PriceSheetItem) error) error {
	return streamPeriodList(ctx, c, apiclient.EndpointPriceSheet, "pricesheet", period, decodePriceSheet, fn)
}

// decodePriceSheet decodes the bare price sheet array.
func decodePriceSheet(payload []byte) ([]apiclient.PriceSheetItem, error) {
	raw, err := decodeArray[priceSheetJSON](payload, "price sheet")
	if err != nil {
		return nil, err
	}
	items := make([]apiclient.PriceSheetItem, 0, len(raw))
	for _, r := range raw {
		if r == nil {
			continue
		}
		items = append(items, apiclient.PriceSheetItem{
			MeterID:          string(r.MeterID),
			MeterName:        string(r.MeterName),
			PartNumber:       string(r.PartNumber),
			UnitOfMeasure:    string(r.UnitOfMeasure),
			UnitPrice:        r.UnitPrice.Value,
			IncludedQuantity: r.IncludedQuantity.Value,
			Currency:         strings.TrimSpace(string(r.CurrencyCode)),
		})
	}
	return items, nil
}
