package fakeapi

import (
	"math"
	"net/http"
	"strconv"
)

// priceItem is one price sheet entry.
type priceItem struct {
	meterID, meterName, unit, partNumber string
	productID                            int
	includedQuantity, unitPrice          float64
	// The meter's parts, which the ARM side's price sheet writes apart.
	tmpl        *meterTemplate
	meterRegion string
	variant     int
}

// fillPriceItem generates item k: the usage meters first (with the rates
// usage is charged at), then further meters of the same kinds in more
// regions and variants.
func (e *enrollment) fillPriceItem(it *priceItem, k int) {
	if k < len(e.meters) {
		m := e.meters[k]
		*it = priceItem{meterID: m.guid, meterName: m.product, unit: m.tmpl.unit, partNumber: m.partNumber,
			productID: m.productID, includedQuantity: m.tmpl.includedQuantity, unitPrice: m.tmpl.rate,
			tmpl: m.tmpl, meterRegion: m.meterRgn}
		return
	}
	regions := priceSheetRegions()
	tm := &e.templates[k%len(e.templates)]
	r := (k / len(e.templates)) % len(regions)
	variant := k / (len(e.templates) * len(regions))
	name := productName(tm, regions[r])
	if variant > 0 {
		name += " - Variant " + strconv.Itoa(variant)
	}
	factor := 1 + 0.03*float64(r%5) + 0.1*float64(variant%4)
	*it = priceItem{meterID: guid(e.seed, domMeter, uint64(k)), meterName: name, unit: tm.unit,
		partNumber: partNumber(e.seed, tm.partPrefix, uint64(k)), productID: 1000 + k,
		includedQuantity: tm.includedQuantity, unitPrice: math.Round(tm.rate*factor*1e6) / 1e6,
		tmpl: tm, meterRegion: regions[r], variant: variant}
}

// servePriceSheet answers the price sheet of the current period or of
// billingPeriods/{p}: a bare array, empty for a period without data.
func (c *call) servePriceSheet() {
	m, ok := c.periodParam()
	if !ok || c.notModified(c.etag()) {
		return
	}
	n := c.s.opts.PriceSheetMeters
	if !c.win.hasPeriod(m) {
		n = 0
	}
	p := periodID(m)
	idPrefix := "enrollments/" + c.s.opts.Enrollment + "/billingperiods/" + p + "/products/"
	bw := c.body(http.StatusOK, jsonType)
	defer c.done(bw)
	w := jsonWriter{b: bw.buf, q: &c.q}
	w.open('[')
	var it priceItem
	for k := 0; k < n; k++ {
		c.s.ent.fillPriceItem(&it, k)
		w.open('{')
		w.str("id", idPrefix+strconv.Itoa(it.productID)+"/pricesheets")
		c.periodIDField(&w, p)
		if c.req.version >= 2 {
			w.str("meterId", it.meterID)
		}
		w.str("meterName", it.meterName)
		w.str("unitOfMeasure", it.unit)
		w.float("includedQuantity", it.includedQuantity)
		w.str("partNumber", it.partNumber)
		w.float("unitPrice", it.unitPrice)
		w.str("currencyCode", c.currency())
		w.close('}')
		if len(w.b) >= flushThreshold {
			bw.buf = w.b
			err := bw.flushIfFull()
			w.b = bw.buf
			if err != nil {
				return
			}
		}
	}
	w.close(']')
	bw.buf = w.b
}
