package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// maxBudgetPages bounds the pages of one budget listing.
const maxBudgetPages = 100

// budgetListJSON is a page of the Consumption budgets list (reference
// 6.5.6).
type budgetListJSON struct {
	Value    []*budgetJSON `json:"value"`
	NextLink flexString    `json:"nextLink"`
}

type budgetJSON struct {
	Name       flexString `json:"name"`
	Properties *struct {
		Category      flexString `json:"category"`
		Amount        flexFloat  `json:"amount"`
		TimeGrain     flexString `json:"timeGrain"`
		CurrentSpend  *spendJSON `json:"currentSpend"`
		ForecastSpend *spendJSON `json:"forecastSpend"`
		// Filter is decoded per budget: one that cannot be read skips its
		// budget, not the list.
		Filter json.RawMessage `json:"filter"`
	} `json:"properties"`
}

// The scope types of exported budgets (product.md's scope_type label).
const (
	scopeEnrollment    = "enrollment"
	scopeDepartment    = "department"
	scopeMeterCategory = "meter_category"
)

type spendJSON struct {
	Amount flexFloat  `json:"amount"`
	Unit   flexString `json:"unit"`
}

// Budgets lists the cost budgets of the billing account and of each
// department that a cost details report has named so far (by its
// InvoiceSectionId); departments are skipped until a report names them: no
// API lists an EA billing account's departments (reference 6.5). A
// department without a budget list (404) has no budgets. A budget of the
// billing account filtered to one meter category has that scope; a budget
// with any other filter is left out (see scopeOfFilter).
func (c *Client) Budgets(ctx context.Context) ([]apiclient.Budget, error) {
	budgets, err := c.listBudgets(ctx, c.accountScope(), budgetScope{scopeEnrollment, ""})
	if err != nil {
		return nil, err
	}
	depts := c.depts.snapshot()
	ids := make([]string, 0, len(depts))
	for id := range depts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		scope := depts[id]
		if scope == "" {
			scope = id
		}
		more, err := c.listBudgets(ctx, c.accountScope()+"/departments/"+id, budgetScope{scopeDepartment, scope})
		if isNoData(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("budgets of department %s: %w", quoteShort(scope), err)
		}
		budgets = append(budgets, more...)
	}
	return budgets, nil
}

// listBudgets reads every page of one scope's budget list.
func (c *Client) listBudgets(ctx context.Context, scope string, list budgetScope) ([]apiclient.Budget, error) {
	next := c.mgmtURL(scope+"/providers/Microsoft.Consumption/budgets", apiVersionConsumption)
	seen := map[string]bool{}
	var out []apiclient.Budget
	for page := 1; next != ""; page++ {
		if page > maxBudgetPages || seen[next] {
			return nil, fmt.Errorf("%s: %w", apiclient.EndpointBudgets, apiclient.ErrPageLoop)
		}
		seen[next] = true
		var page budgetListJSON
		_, err := c.call(ctx, mgmtCall{endpoint: apiclient.EndpointBudgets, scope: scope, method: http.MethodGet, url: next},
			func(payload []byte) error { return decodeObject(payload, "budgets", &page) })
		if err != nil {
			return nil, err
		}
		out = append(out, c.budgetRecords(page.Value, list)...)
		if next, err = c.nextLink(string(page.NextLink)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nextLink resolves a list's nextLink like a Location (see resolve); ""
// ends the list.
func (c *Client) nextLink(link string) (string, error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return "", nil
	}
	u, err := c.resolve(link, apiVersionConsumption)
	if err != nil {
		return "", fmt.Errorf("%s: %w: nextLink is not a URL", apiclient.EndpointBudgets, apiclient.ErrBadResponse)
	}
	return u, nil
}

// budgetRecords maps the cost budgets of a page of list; others
// (reservation utilization) have no amount to export.
func (c *Client) budgetRecords(items []*budgetJSON, list budgetScope) []apiclient.Budget {
	var out []apiclient.Budget
	for _, b := range items {
		if b == nil || b.Properties == nil {
			continue
		}
		p := b.Properties
		if cat := strings.TrimSpace(string(p.Category)); cat != "" && !strings.EqualFold(cat, "Cost") {
			continue
		}
		name := strings.TrimSpace(string(b.Name))
		scope, err := scopeOfFilter(p.Filter, list)
		if err != nil {
			level.Debug(c.cfg.Logger).Log("msg", "budget left out: no scope type represents its filter",
				"budget", shorten(name, ""), "reason", shorten(err.Error(), ""))
			continue
		}
		budget := apiclient.Budget{
			Name: name, ScopeType: scope.scopeType, Scope: scope.scope,
			Amount: p.Amount.Value, TimeGrain: strings.TrimSpace(string(p.TimeGrain)),
		}
		if s := p.CurrentSpend; s != nil {
			budget.CurrentSpend, budget.Currency = s.Amount.Value, strings.TrimSpace(string(s.Unit))
		}
		if s := p.ForecastSpend; s != nil && s.Amount.Set {
			budget.ForecastSpend, budget.HasForecast = s.Amount.Value, true
			if budget.Currency == "" {
				budget.Currency = strings.TrimSpace(string(s.Unit))
			}
		}
		out = append(out, budget)
	}
	return out
}
