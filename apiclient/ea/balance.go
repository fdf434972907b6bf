package ea

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
)

// balanceJSON is one balance summary (reference 3.2).
type balanceJSON struct {
	BillingPeriodID flexString `json:"billingPeriodId"`
	CurrencyCode    flexString `json:"currencyCode"`
	flex.BalanceFigures
}

// BalanceSummary reads the balance summary of period (yyyyMM), or of the
// current period when period is "". A 400 or 404, or an empty answer, is
// "no data": nil and a nil error.
func (c *Client) BalanceSummary(ctx context.Context, period string) (*apiclient.BalanceSummary, error) {
	path, err := periodPath(period)
	if err != nil {
		return nil, err
	}
	auth, err := c.authorizer()
	if err != nil {
		return nil, err
	}
	var summary *apiclient.BalanceSummary
	err = c.getCachedJSON(ctx, apiclient.EndpointBalanceSummary, c.apiURL("v3", path+"/balancesummary", nil), maxSmallBody, auth,
		func(payload []byte) error {
			summary, err = decodeBalanceSummary(payload, period)
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

// decodeBalanceSummary accepts the documented object and the array that
// the real API sends; from an array it takes the element of period, else
// the first.
func decodeBalanceSummary(payload []byte, period string) (*apiclient.BalanceSummary, error) {
	var items []*balanceJSON
	switch payload[0] {
	case '[':
		if err := json.Unmarshal(payload, &items); err != nil {
			return nil, decodeError("balance summary", err)
		}
	case '{':
		var one balanceJSON
		if err := json.Unmarshal(payload, &one); err != nil {
			return nil, decodeError("balance summary", err)
		}
		items = append(items, &one)
	default:
		if string(payload) == "null" {
			return nil, nil
		}
		return nil, wrongShape(payload, "balance summary", "a JSON object or array")
	}
	chosen := pickBalance(items, period)
	if chosen == nil {
		return nil, nil
	}
	return chosen.record(), nil
}

func pickBalance(items []*balanceJSON, period string) *balanceJSON {
	var first *balanceJSON
	for _, item := range items {
		if item == nil {
			continue
		}
		if period != "" && strings.TrimSpace(string(item.BillingPeriodID)) == period {
			return item
		}
		if first == nil {
			first = item
		}
	}
	return first
}

func (j *balanceJSON) record() *apiclient.BalanceSummary {
	return j.Record(strings.TrimSpace(string(j.BillingPeriodID)), j.CurrencyCode)
}
