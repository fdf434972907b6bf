package fakeapi

import (
	"archive/zip"
	"net/http"
	"strconv"
)

// servePriceSheetDownload starts a price sheet download for
// billingPeriods/{p}: 202 with Location and Retry-After.
func (c *armCall) servePriceSheetDownload() {
	m, ok := parsePeriod(c.ar.period)
	if !ok {
		writeARMError(c.w, http.StatusBadRequest, "BadRequest", "Invalid billing period '"+c.ar.period+"': expected yyyyMM.")
		return
	}
	op := c.newOperation(opPriceSheet, 1)
	op.month = m
	if c.win.hasPeriod(m) {
		op.rows = int64(c.s.opts.PriceSheetMeters)
	}
	c.accepted(op)
}

// writePriceSheetResult writes a finished download: Completed with the
// downloadUrl, or Failed.
func (c *armCall) writePriceSheetResult(op *armOperation) {
	if op.outcome == ARMFailed {
		c.writeFailed(op)
		return
	}
	bw, w := c.json(http.StatusOK)
	defer c.end(bw, w)
	w.open('{')
	w.str("id", c.operationResourceID(op))
	w.str("name", op.id)
	w.str("status", "Completed")
	w.key("properties")
	w.open('{')
	w.str("downloadUrl", op.blobLink(0))
	w.str("validTill", op.validTill().UTC().Format("2006-01-02T15:04:05.0000000Z"))
	w.key("downloadFileProperties")
	w.open('{')
	w.str("fileFormat", "Csv")
	w.str("compression", "Zip")
	w.close('}')
	w.close('}')
	w.close('}')
}

// priceSheetHeader is the header of the EA price sheet CSV, version
// 2023-05-01 (reference 6.5.5).
const priceSheetHeader = "BasePrice,CurrencyCode,EffectiveEndDate,EffectiveStartDate,IncludedQuantity,MarketPrice," +
	"MeterId,MeterCategory,MeterName,MeterSubCategory,MeterRegion,MeterType,PartNumber,priceType,Product," +
	"ProductID,ServiceFamily,SkuID,Term,UnitOfMeasure,UnitPrice\r\n"

// bodySink lets an io.Writer (the zip writer) stream into a bodyWriter.
type bodySink struct{ bw *bodyWriter }

func (s bodySink) Write(p []byte) (int, error) {
	s.bw.buf = append(s.bw.buf, p...)
	if err := s.bw.flushIfFull(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writePriceSheetZip streams the zip of a download: PriceSheetFiles CSV
// files (one when there are no items) sharing out the EA price sheet's
// items, with the same meters and prices.
func (c *call) writePriceSheetZip(op *armOperation) {
	bw := c.body(http.StatusOK, "application/zip")
	defer c.done(bw)
	zw := zip.NewWriter(bodySink{bw})
	n := op.rows
	files := min(int64(c.s.opts.ARM.PriceSheetFiles), max(n, 1))
	p := periodID(op.month)
	var line []byte
	var it priceItem
	for k := int64(0); k < files; k++ {
		name := "EA_PriceSheet_" + c.s.opts.Enrollment + "_" + p + "_" + strconv.FormatInt(k+1, 10) + ".csv"
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: op.month})
		if err != nil {
			return
		}
		line = append(append(line[:0], utf8BOM...), priceSheetHeader...)
		for i := n * k / files; i < n*(k+1)/files; i++ {
			c.s.ent.fillPriceItem(&it, int(i))
			line = c.appendPriceLine(line, &it, op)
			if len(line) >= flushThreshold {
				if _, err := fw.Write(line); err != nil {
					return
				}
				line = line[:0]
			}
		}
		if _, err := fw.Write(line); err != nil {
			return
		}
	}
	_ = zw.Close()
}

// appendPriceLine writes one item in priceSheetHeader's order. Product is
// the EA sheet's meterName; MeterName is the meter alone.
func (c *call) appendPriceLine(b []byte, it *priceItem, op *armOperation) []byte {
	t := it.tmpl
	start, end := monthRange(op.month)
	meterName := t.name
	if it.variant > 0 {
		meterName += " - Variant " + strconv.Itoa(it.variant)
	}
	b = appendCSVFloat(b, it.unitPrice)
	b = append(b, ',')
	b = append(b, c.s.opts.Currency...)
	b = append(appendUSDay(append(b, ','), end), ',')
	b = append(appendUSDay(b, start), ',')
	b = append(appendCSVFloat(b, it.includedQuantity), ',')
	b = append(appendCSVFloat(b, it.unitPrice), ',')
	b = append(append(b, it.meterID...), ',')
	for _, s := range []string{t.category, meterName, t.subCategory, it.meterRegion, "Consumption", it.partNumber,
		"Consumption", it.meterName} {
		b = append(appendCSV(b, s), ',')
	}
	b = append(strconv.AppendInt(b, int64(it.productID), 10), ',')
	b = append(appendCSV(b, serviceFamily(t.category)), ',', ',', ',') // SkuID and Term are empty
	b = append(appendCSV(b, it.unit), ',')
	b = appendCSVFloat(b, it.unitPrice)
	return append(b, '\r', '\n')
}
