package fakeapi

import (
	"net/http"
	"time"
)

// serveBalanceSummary answers the balance summary of the current period or
// of billingPeriods/{p}: a one-element array (an object under
// Quirks.BalanceAsObject); 404 for a period without data.
func (c *call) serveBalanceSummary() {
	m, ok := c.periodParam()
	if !ok {
		return
	}
	if !c.win.hasPeriod(m) {
		c.notFound("No balance summary found for billing period " + periodID(m) + ".")
		return
	}
	if c.notModified(c.etag()) {
		return
	}
	b, mv := c.s.balance(m, c.win)
	bw := c.body(http.StatusOK, jsonType)
	defer c.done(bw)
	w := jsonWriter{b: bw.buf, q: &c.q}
	if !c.q.BalanceAsObject {
		w.open('[')
	}
	c.appendBalanceJSON(&w, m, &b, &mv)
	if !c.q.BalanceAsObject {
		w.close(']')
	}
	bw.buf = w.b
}

func (c *call) appendBalanceJSON(w *jsonWriter, m time.Time, b *Balance, mv *creditMoves) {
	p := periodID(m)
	w.open('{')
	w.str("id", "enrollments/"+c.s.opts.Enrollment+"/billingperiods/"+p+"/balancesummaries")
	c.periodIDField(w, p)
	w.str("currencyCode", c.currency())
	w.float("beginningBalance", b.BeginningBalance)
	w.float("endingBalance", b.EndingBalance)
	w.float("newPurchases", b.NewPurchases)
	w.float("adjustments", b.Adjustments)
	w.float("utilized", b.Utilized)
	w.float("serviceOverage", b.ServiceOverage)
	w.float("chargesBilledSeparately", b.ChargesBilledSeparately)
	w.float("totalOverage", b.TotalOverage)
	w.float("totalUsage", b.TotalUsage)
	w.float("azureMarketplaceServiceCharges", b.AzureMarketplaceServiceCharges)
	appendDetails(w, "newPurchasesDetails", mv.purchaseDetails)
	appendDetails(w, "adjustmentDetails", mv.adjustmentDetails)
	w.close('}')
}

func appendDetails(w *jsonWriter, key string, items []nameValue) {
	w.key(key)
	w.open('[')
	for _, it := range items {
		w.open('{')
		w.str("name", it.name)
		w.float("value", it.value)
		w.close('}')
	}
	w.close(']')
}

// periodIDField writes billingPeriodId as a string, or as a number under
// Quirks.BillingPeriodIDAsNumber.
func (c *call) periodIDField(w *jsonWriter, p string) {
	if c.q.BillingPeriodIDAsNumber {
		w.raw("billingPeriodId", []byte(p))
		return
	}
	w.str("billingPeriodId", p)
}
