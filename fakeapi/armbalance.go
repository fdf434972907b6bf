package fakeapi

import (
	"net/http"
	"time"
)

// serveBalance answers the Consumption balances of the current period or of
// billingPeriods/{p}: one object with the figures of the EA balance summary
// under properties (reference 6.5.2); 404 for a period without data.
func (c *armCall) serveBalance() {
	m := dayTime(c.win.curStart)
	if c.ar.period != "" {
		var ok bool
		if m, ok = parsePeriod(c.ar.period); !ok {
			writeARMError(c.w, http.StatusBadRequest, "BadRequest", "Invalid billing period '"+c.ar.period+"': expected yyyyMM.")
			return
		}
	}
	if !c.win.hasPeriod(m) {
		writeARMError(c.w, http.StatusNotFound, "NotFound", "No balance found for billing period "+periodID(m)+".")
		return
	}
	b, mv := c.s.balance(m, c.win)
	bw, w := c.json(http.StatusOK)
	defer c.end(bw, w)
	c.appendBalance(w, m, &b, &mv)
}

func (c *armCall) appendBalance(w *jsonWriter, m time.Time, b *Balance, mv *creditMoves) {
	p := periodID(m)
	w.open('{')
	w.str("id", "/"+c.accountPath()+"/providers/Microsoft.Billing/billingPeriods/"+p+"/providers/Microsoft.Consumption/balances/"+p)
	w.str("name", p)
	w.str("type", "Microsoft.Consumption/balances")
	w.key("properties")
	w.open('{')
	w.str("currency", c.paddedCurrency())
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
	w.str("billingFrequency", "Month")
	w.bool("priceHidden", false)
	w.float("overageRefund", 0)
	appendDetails(w, "newPurchasesDetails", mv.purchaseDetails)
	appendDetails(w, "adjustmentDetails", mv.adjustmentDetails)
	w.close('}')
	w.close('}')
}
