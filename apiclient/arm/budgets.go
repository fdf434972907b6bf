package arm

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

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
	} `json:"properties"`
}

type spendJSON struct {
	Amount flexFloat  `json:"amount"`
	Unit   flexString `json:"unit"`
}

// Budgets lists the cost budgets of the billing account and of each
// department that a cost details report has named so far (by its
// InvoiceSectionId); departments are skipped until a report names them. A
// department without a budget list (404) has no budgets.
func (c *Client) Budgets(ctx context.Context) ([]apiclient.Budget, error) {
	budgets, err := c.listBudgets(ctx, c.accountScope(), "enrollment", "")
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
		more, err := c.listBudgets(ctx, c.accountScope()+"/departments/"+id, "department", scope)
		if isStatus(err, http.StatusNotFound) {
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
func (c *Client) listBudgets(ctx context.Context, scope, scopeType, scopeName string) ([]apiclient.Budget, error) {
	next := c.mgmtURL(scope+"/providers/Microsoft.Consumption/budgets", apiVersionConsumption)
	seen := map[string]bool{}
	var out []apiclient.Budget
	for page := 1; next != ""; page++ {
		if page > maxBudgetPages || seen[next] {
			return nil, fmt.Errorf("%s: %w", apiclient.EndpointBudgets, apiclient.ErrPageLoop)
		}
		seen[next] = true
		var list budgetListJSON
		_, err := c.call(ctx, mgmtCall{endpoint: apiclient.EndpointBudgets, scope: scope, method: http.MethodGet, url: next},
			func(payload []byte) error { return decodeObject(payload, "budgets", &list) })
		if err != nil {
			return nil, err
		}
		out = append(out, budgetRecords(list.Value, scopeType, scopeName)...)
		if next, err = c.nextLink(string(list.NextLink)); err != nil {
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

// budgetRecords maps the cost budgets of a page; others (reservation
// utilization) have no amount to export.
func budgetRecords(items []*budgetJSON, scopeType, scopeName string) []apiclient.Budget {
	var out []apiclient.Budget
	for _, b := range items {
		if b == nil || b.Properties == nil {
			continue
		}
		p := b.Properties
		if cat := strings.TrimSpace(string(p.Category)); cat != "" && !strings.EqualFold(cat, "Cost") {
			continue
		}
		budget := apiclient.Budget{
			Name: strings.TrimSpace(string(b.Name)), ScopeType: scopeType, Scope: scopeName,
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
