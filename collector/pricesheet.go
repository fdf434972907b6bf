package collector

import (
	"context"
	"fmt"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// priceKey is the label set of a price sheet series.
type priceKey struct{ meterID, meterName, partNumber, unit string }

// priceSheet is the current period's price sheet, one entry per label set.
type priceSheet struct {
	currency string
	items    map[priceKey]apiclient.PriceSheetItem
}

// fetchPriceSheet reads the current period's price sheet. Entries that repeat
// a label set keep the first one, so that no series is ever duplicated.
func fetchPriceSheet(ctx context.Context, src apiclient.Source) (*priceSheet, error) {
	ps := &priceSheet{items: map[priceKey]apiclient.PriceSheetItem{}}
	err := src.PriceSheet(ctx, "", func(it *apiclient.PriceSheetItem) error {
		k := priceKey{
			meterID:    sanitizeLabelValue([]byte(it.MeterID)),
			meterName:  sanitizeLabelValue([]byte(it.MeterName)),
			partNumber: sanitizeLabelValue([]byte(it.PartNumber)),
			unit:       sanitizeLabelValue([]byte(it.UnitOfMeasure)),
		}
		if _, dup := ps.items[k]; !dup {
			ps.items[k] = *it
		}
		if ps.currency == "" {
			ps.currency = strings.TrimSpace(it.Currency)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("price sheet: %w", err)
	}
	return ps, nil
}

// prices emits the price sheet series.
func (b *builder) prices() {
	if b.res.prices == nil {
		return
	}
	for k, it := range b.res.prices.items {
		b.gauge(b.d.unitPrice, it.UnitPrice, b.enrollment(), b.currency, k.meterID, k.meterName, k.partNumber, k.unit)
		b.gauge(b.d.includedQuantity, it.IncludedQuantity, b.enrollment(), b.currency, k.meterID, k.meterName, k.partNumber, k.unit)
	}
}
