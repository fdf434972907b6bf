package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
)

// The api-versions of the routes this client calls (reference 6.5).
const (
	apiVersionConsumption    = "2023-05-01"
	apiVersionCostManagement = "2023-11-01"
)

// balanceJSON is the Consumption balances resource (reference 6.5.2).
type balanceJSON struct {
	ID         flexString             `json:"id"`
	Properties *balancePropertiesJSON `json:"properties"`
}

type balancePropertiesJSON struct {
	Currency flexString `json:"currency"`
	flex.BalanceFigures
}

// BalanceSummary reads the balances of period (yyyyMM), or of the current
// period when period is "". A 404 of the API's (not a proxy's HTML page), a
// 204, an empty object or null properties are "no data": nil and a nil
// error. Properties without any of the figures, and an object with other
// members but no properties (an error object, a list), are errors wrapping
// apiclient.ErrBadResponse: read as zeros, the figures would say the credit
// is used up, and read as no data, the error would hide it.
func (c *Client) BalanceSummary(ctx context.Context, period string) (*apiclient.BalanceSummary, error) {
	path := c.accountScope()
	if period != "" {
		p, err := c.periodOrCurrent(period)
		if err != nil {
			return nil, err
		}
		path += "/providers/Microsoft.Billing/billingPeriods/" + p
	}
	var summary *apiclient.BalanceSummary
	_, err := c.call(ctx, mgmtCall{endpoint: apiclient.EndpointBalanceSummary, scope: c.accountScope(), method: http.MethodGet,
		url: c.mgmtURL(path+"/providers/Microsoft.Consumption/balances", apiVersionConsumption)},
		func(payload []byte) (err error) {
			summary, err = decodeBalance(payload, period)
			return err
		})
	if isNoData(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return summary, nil
}

// decodeBalance decodes the balances object. The period is the one asked
// for, else the one its id names, else "".
func decodeBalance(payload []byte, period string) (*apiclient.BalanceSummary, error) {
	var j balanceJSON
	if err := decodeObject(payload, "balances", &j); err != nil {
		return nil, err
	}
	p := j.Properties
	if p == nil {
		return nil, withoutProperties(payload)
	}
	if !p.Any() {
		return nil, fmt.Errorf("%w: balance summary has no figures (none of beginningBalance, endingBalance, utilized, ...)", apiclient.ErrBadResponse)
	}
	if period == "" {
		period = periodInID(string(j.ID))
	}
	return p.Record(period, p.Currency), nil
}

// periodInID returns the yyyyMM that follows billingPeriods/ in a resource
// id, or "".
func periodInID(id string) string {
	const marker = "billingperiods/"
	i := strings.Index(strings.ToLower(id), marker)
	if i < 0 {
		return ""
	}
	rest := id[i+len(marker):]
	if len(rest) < 6 || strings.Trim(rest[:6], "0123456789") != "" || (len(rest) > 6 && rest[6] != '/') {
		return ""
	}
	return rest[:6]
}

// withoutProperties returns nil for a balances object that is empty or has
// null properties, which is "no data", and an error for one whose other
// members stand for the properties: an error object (its message said) or
// a wrapper such as {"value":[...]}, which EA's balances refuse too.
func withoutProperties(payload []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(payload, &members); err != nil {
		return fmt.Errorf("%w: balances: %w", apiclient.ErrBadResponse, err)
	}
	names := make([]string, 0, len(members))
	for name := range members {
		if strings.EqualFold(name, "properties") {
			return nil
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil
	}
	if msg := errorObjectMessage(members); msg != "" {
		return fmt.Errorf("%w: balances: an error instead of the balances: %s", apiclient.ErrBadResponse, msg)
	}
	slices.Sort(names)
	for i, name := range names {
		names[i] = quoteShort(name)
	}
	if len(names) > 3 {
		names = append(names[:3], "…")
	}
	return fmt.Errorf("%w: balances: no properties, but %s", apiclient.ErrBadResponse, strings.Join(names, ", "))
}

// errorObjectMessage is the code and message of an {"error":{...}} body,
// shortened, or "" when it has none.
func errorObjectMessage(members map[string]json.RawMessage) string {
	var e struct {
		Code    flexString `json:"code"`
		Message flexString `json:"message"`
	}
	raw, ok := members["error"]
	if !ok || json.Unmarshal(raw, &e) != nil || (e.Code == "" && e.Message == "") {
		return ""
	}
	return shorten(strings.Trim(string(e.Code)+": "+string(e.Message), ": "), "")
}
