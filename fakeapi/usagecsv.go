package fakeapi

import (
	"net/http"
	"strconv"
	"strings"
)

// csvHeader is the CSV report's header line: the 33 v2 fields in
// alphabetical order (reference 3.4), then for v3 the 7 later ones.
func csvHeader(v3 bool) string {
	h := "AccountId,AccountName,AccountOwnerEmail,AdditionalInfo,ConsumedQuantity,ConsumedService," +
		"ConsumedServiceId,Cost,CostCenter,Date,DepartmentId,DepartmentName,InstanceId,MeterCategory," +
		"MeterId,MeterName,MeterRegion,MeterSubCategory,Product,ProductId,ResourceGroup,ResourceLocation," +
		"ResourceLocationId,ResourceRate,ServiceAdministratorId,ServiceInfo1,ServiceInfo2," +
		"StoreServiceIdentifier,SubscriptionGuid,SubscriptionId,SubscriptionName,Tags,UnitOfMeasure"
	if v3 {
		h += ",PartNumber,ResourceGuid,OfferId,ChargesBilledSeparately,Location,ServiceName,ServiceTier"
	}
	return h + "\r\n"
}

// appendCSV writes a CSV field, quoted when it holds a comma, a quote or a
// line break.
func appendCSV(b []byte, s string) []byte {
	if !needsCSVQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// needsCSVQuotes is strings.ContainsAny(s, ",\"\r\n") without its per-call
// setup, which showed in profiles of million-row reports.
func needsCSVQuotes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

func appendCSVFloat(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendUsageCSV writes one usage row as a CSV line in csvHeader's order.
func appendUsageCSV(b []byte, r *usageRow, v3 bool, q *Quirks) []byte {
	m, t, sub := r.meter, r.meter.tmpl, r.sub
	a := sub.acct
	b = strconv.AppendInt(b, int64(a.id), 10)
	b = append(b, ',')
	b = appendCSV(b, a.name)
	b = append(b, ',')
	b = appendCSV(b, a.ownerEmail)
	b = append(b, ',')
	b = appendCSV(b, t.additionalInfo)
	b = append(b, ',')
	b = appendCSVFloat(b, r.qty)
	b = append(b, ',')
	b = appendCSV(b, r.consumedService())
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(t.serviceID), 10)
	b = append(b, ',')
	b = appendCSVFloat(b, r.cost)
	b = append(b, ',')
	b = appendCSV(b, a.costCenter)
	b = append(b, ',')
	b = appendUSDay(b, r.day)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(a.dept.id), 10)
	b = append(b, ',')
	b = appendCSV(b, a.dept.name)
	b = append(b, ',')
	b = appendInstanceID(b, r)
	b = append(b, ',')
	b = appendCSV(b, t.category)
	b = append(b, ',')
	b = append(b, m.guid...)
	b = append(b, ',')
	b = appendCSV(b, t.name)
	b = append(b, ',')
	b = appendCSV(b, m.meterRgn)
	b = append(b, ',')
	b = appendCSV(b, t.subCategory)
	b = append(b, ',')
	b = appendCSV(b, m.product)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(m.productID), 10)
	b = append(b, ',')
	b = appendCSV(b, r.rg)
	b = append(b, ',')
	b = appendCSV(b, r.loc.resourceLocation)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.loc.id), 10)
	b = append(b, ',')
	b = appendCSVFloat(b, t.rate)
	b = append(b, ',')
	b = appendCSV(b, sub.admin)
	b = append(b, ",,,,"...) // ServiceInfo1, ServiceInfo2, StoreServiceIdentifier are empty
	b = append(b, sub.guid...)
	b = append(b, ',')
	b = strconv.AppendInt(b, sub.id, 10)
	b = append(b, ',')
	b = appendCSV(b, sub.name)
	b = append(b, ',')
	b = appendCSV(b, tagsText(r, q))
	b = append(b, ',')
	b = appendCSV(b, t.unit)
	if v3 {
		b = append(b, ',')
		b = appendCSV(b, m.partNumber)
		b = append(b, ',')
		b = append(b, r.resourceGUID()...)
		b = append(b, ',')
		b = append(b, sub.offerID...)
		b = append(b, ',')
		b = append(b, dotnetBool(r.billedSeparately)...)
		b = append(b, ',')
		b = appendCSV(b, r.loc.location)
		b = append(b, ',')
		b = appendCSV(b, t.serviceName)
		b = append(b, ',')
		b = appendCSV(b, t.serviceTier)
	}
	return append(b, '\r', '\n')
}

// csvRange reads a download's range: billingPeriod, or startTime/endTime of
// at most maxMonths. It answers 400 itself when the parameters are invalid.
func (c *call) csvRange(maxMonths int) (from, to int64, ok bool) {
	if p, has := c.req.query["billingperiod"]; has {
		m, valid := parsePeriod(p)
		if !valid {
			c.badRequest("Invalid billing period '" + p + "': expected yyyyMM.")
			return 0, 0, false
		}
		from, to = monthRange(m)
		return from, to, true
	}
	return c.dateRange(maxMonths)
}

// serveUsageDownload answers the synchronous CSV report (at most a month).
func (c *call) serveUsageDownload() {
	from, to, ok := c.csvRange(1)
	if !ok {
		return
	}
	if a, b := c.win.clip(from, to); b < a {
		c.notFound("No records found for the requested range.")
		return
	}
	if c.notModified(c.etag()) {
		return
	}
	c.w.Header().Set("Content-Disposition", `attachment; filename="usage-`+c.s.opts.Enrollment+`.csv"`)
	c.writeCSV(from, to, c.req.version >= 3)
}

// writeCSV streams the CSV report of days [from, to] (clipped to the
// available data): a preamble line, the header, the rows.
func (c *call) writeCSV(from, to int64, v3 bool) {
	bw := c.body(http.StatusOK, "application/octet-stream")
	defer c.done(bw)
	b := bw.buf
	if c.q.CSVByteOrderMark {
		b = append(b, 0xef, 0xbb, 0xbf)
	}
	b = append(b, "Usage Data Extract for enrollment "...)
	b = append(b, c.s.opts.Enrollment...)
	b = append(b, ", "...)
	b = appendISODay(b, from)
	b = append(b, " to "...)
	b = appendISODay(b, to)
	b = append(b, '\r', '\n')
	b = append(b, csvHeader(v3)...)
	if c.q.CSVRowsOutsideRange {
		from, to = from-1, to+1
	}
	from, to = c.win.clip(from, to)
	perDay := c.s.opts.RowsPerDay
	var row usageRow
	var n int64
	defer func() { c.s.rowsServed.Add(n) }()
	for day := from; day <= to; day++ {
		di := newDayInfo(day)
		for i := 0; i < perDay; i++ {
			c.s.ent.fillUsageRow(&row, &di, i)
			b = appendUsageCSV(b, &row, v3, &c.q)
			n++
			if len(b) >= flushThreshold {
				bw.buf = b
				err := bw.flushIfFull()
				b = bw.buf
				if err != nil {
					return
				}
			}
		}
	}
	bw.buf = b
}
