package fakeapi

import (
	"net/http"
	"strconv"
)

// marketCharge is one generated marketplace store charge.
type marketCharge struct {
	day       int64
	j         int
	offer     *marketplaceOffer
	pubIdx    int
	sub       *subscription
	qty, cost float64
}

// marketplaceCount is the number of charges on a day: MarketplacePerDay
// usage-based ones, plus the recurring one on the first of the month.
func (e *enrollment) marketplaceCount(perDay int, day int64) int {
	if perDay < 0 {
		return 0
	}
	if dayTime(day).Day() == 1 {
		return perDay + 1
	}
	return perDay
}

// fillMarketCharge generates charge j of a day: a pure function of (seed,
// day, j). Charge j is the same customer and offer every day.
func (e *enrollment) fillMarketCharge(mc *marketCharge, perDay int, day int64, j int) {
	h := hash2(e.seed, domMarketplace, uint64(j), 0)
	mc.day, mc.j = day, j
	usageOffers := len(e.offers) - 1 // the last offer is the recurring one
	k := j % usageOffers
	if j >= perDay {
		k = len(e.offers) - 1
	}
	mc.offer, mc.pubIdx = &e.offers[k], e.offerPubIdx[k]
	mc.sub = e.subs[(h>>20)%uint64(len(e.subs))]
	u := unitFloat(hash2(e.seed, domMarketplace, uint64(day), uint64(j)))
	switch {
	case mc.offer.recurring:
		mc.qty = 1
	case mc.offer.unit == "Hours":
		mc.qty = float64(24 * (1 + (h>>40)%4))
	default:
		mc.qty = round6(1 + 99*u)
	}
	mc.cost = mc.qty * mc.offer.rate
}

// serveMarketplace answers the three marketplace routes: a bare array.
func (c *call) serveMarketplace() {
	from, to, ok := c.usageRange(36)
	if !ok || c.notModified(c.etag()) {
		return
	}
	bw := c.body(http.StatusOK, jsonType)
	defer c.done(bw)
	w := jsonWriter{b: bw.buf, q: &c.q}
	w.open('[')
	perDay := c.s.opts.MarketplacePerDay
	var mc marketCharge
	for day := from; day <= to; day++ {
		n := c.s.ent.marketplaceCount(perDay, day)
		for j := 0; j < n; j++ {
			c.s.ent.fillMarketCharge(&mc, perDay, day, j)
			c.appendMarketJSON(&w, &mc)
			if len(w.b) >= flushThreshold {
				bw.buf = w.b
				err := bw.flushIfFull()
				w.b = bw.buf
				if err != nil {
					return
				}
			}
		}
	}
	w.close(']')
	bw.buf = w.b
}

// appendMarketJSON writes one charge (reference 3.6); v3 adds
// isRecurringCharge.
func (c *call) appendMarketJSON(w *jsonWriter, mc *marketCharge) {
	e, of, sub := c.s.ent, mc.offer, mc.sub
	a := sub.acct
	w.open('{')
	w.key("id")
	w.b = append(w.b, '"')
	w.b = appendGUID(w.b, hash2(e.seed, domMarketplace, uint64(mc.day), uint64(mc.j)), hash2(e.seed, domMarketplace, uint64(mc.j), uint64(mc.day)))
	w.b = append(w.b, '"')
	w.comma = true
	w.str("subscriptionGuid", sub.guid)
	w.str("subscriptionName", sub.name)
	w.str("meterId", of.meterID)
	w.dateTime("usageStartDate", mc.day, "00:00:00", true)
	w.dateTime("usageEndDate", mc.day, "23:59:59", true)
	w.str("offerName", of.offer)
	w.str("resourceGroup", "rg-marketplace")
	w.str("instanceId", "/subscriptions/"+sub.guid+"/resourceGroups/rg-marketplace/providers/Microsoft.SaaS/resources/"+of.plan+"-"+strconv.Itoa(mc.j))
	w.str("additionalInfo", `{"ImageType":null,"ServiceType":"Medium"}`)
	w.strOrNull("tags", "")
	w.str("orderNumber", string(appendHex(nil, hash2(e.seed, domMarketplace, uint64(mc.j), 9))))
	w.strOrNull("unitOfMeasure", of.unit)
	w.str("costCenter", a.costCenter)
	w.int("accountId", int64(a.id))
	w.str("accountName", a.name)
	w.str("accountOwnerId", a.ownerEmail)
	w.int("departmentId", int64(a.dept.id))
	w.str("departmentName", a.dept.name)
	w.str("publisherName", of.publisher)
	w.str("planName", of.plan)
	w.float("consumedQuantity", mc.qty)
	w.float("resourceRate", of.rate)
	w.float("extendedCost", mc.cost)
	if c.req.version >= 3 {
		w.str("isRecurringCharge", dotnetBool(of.recurring))
	}
	w.close('}')
}
