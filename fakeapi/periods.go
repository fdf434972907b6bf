package fakeapi

import (
	"net/http"
	"strconv"
	"time"
)

// serveBillingPeriods answers the billing periods list: newest first, links
// as relative paths, null where a dataset has no data (marketplace, when
// MarketplacePerDay is negative).
func (c *call) serveBillingPeriods() {
	if c.notModified(c.etag()) {
		return
	}
	bw := c.body(http.StatusOK, jsonType)
	defer c.done(bw)
	w := jsonWriter{b: bw.buf, q: &c.q}
	version := c.req.version
	if c.q.V1LinksInBillingPeriods {
		version = 1
	}
	prefix := "/v" + strconv.Itoa(version) + "/enrollments/" + c.s.opts.Enrollment + "/billingperiods/"
	w.open('[')
	for _, m := range c.win.periods() {
		p := periodID(m)
		w.open('{')
		c.periodIDField(&w, p)
		w.timestamp("billingStart", m)
		w.timestamp("billingEnd", billingEnd(m, &c.q))
		w.str("balanceSummary", prefix+p+"/balancesummary")
		w.str("usageDetails", prefix+p+"/usagedetails")
		if c.s.opts.MarketplacePerDay < 0 {
			w.null("marketplaceCharges")
		} else {
			w.str("marketplaceCharges", prefix+p+"/marketplacecharges")
		}
		w.str("priceSheet", prefix+p+"/pricesheet")
		w.close('}')
	}
	w.close(']')
	bw.buf = w.b
}

// appendTimestamp writes t as a quoted UTC date-time with Z.
func appendTimestamp(b []byte, t time.Time, q *Quirks) []byte {
	t = t.UTC()
	b = append(b, '"')
	b = appendISODay(b, unixDay(t))
	b = append(b, 'T')
	b = appendDigits(b, t.Hour(), 2)
	b = append(b, ':')
	b = appendDigits(b, t.Minute(), 2)
	b = append(b, ':')
	b = appendDigits(b, t.Second(), 2)
	if q.SevenFractionDigits {
		b = appendDigits(append(b, '.'), t.Nanosecond()/100, 7)
	}
	return append(b, 'Z', '"')
}
