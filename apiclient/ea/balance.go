package ea

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
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
// current period when period is "". A 400 or 404, an empty answer, or the
// "Usage Data Extract" text is "no data": nil and a nil error. A summary without figures, or of another period, is an error
// wrapping apiclient.ErrBadResponse.
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
		orNoDataText(func(payload []byte) error {
			summary, err = decodeBalanceSummary(payload, period)
			return err
		}))
	if isNoData(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return summary, nil
}

// decodeBalanceSummary accepts the documented object and the array that
// the real API sends; from an array it takes the element of period (the
// first when period is ""), else the first element that names no other
// period.
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
	chosen, err := pickBalance(items, period)
	if chosen == nil || err != nil {
		return nil, err
	}
	if !chosen.Any() {
		return nil, fmt.Errorf("%w: balance summary has no figures (none of beginningBalance, endingBalance, utilized, ...)", apiclient.ErrBadResponse)
	}
	return chosen.record(), nil
}

// pickBalance returns the element of period, else the first one, which
// must then name no other period: exported under the period asked for,
// another period's figures would be wrong without a sign.
func pickBalance(items []*balanceJSON, period string) (*balanceJSON, error) {
	var first *balanceJSON
	for _, item := range items {
		if item == nil {
			continue
		}
		if period != "" && item.period() == period {
			return item, nil
		}
		if first == nil {
			first = item
		}
	}
	if first != nil && period != "" && first.period() != "" {
		return nil, fmt.Errorf("%w: asked for the balance summary of %s, got that of %s", apiclient.ErrBadResponse, period, quoteShort(first.period()))
	}
	return first, nil
}

// period is billingPeriodId as yyyyMM: the reference documents a string,
// its example is a number, and a number may come as 201507.0.
func (j *balanceJSON) period() string {
	id := strings.TrimSpace(string(j.BillingPeriodID))
	if v, err := strconv.ParseFloat(id, 64); err == nil && v == math.Trunc(v) && v > 0 && v < 1e8 {
		return strconv.FormatInt(int64(v), 10)
	}
	return id
}

func (j *balanceJSON) record() *apiclient.BalanceSummary {
	return j.Record(j.period(), j.CurrencyCode)
}
