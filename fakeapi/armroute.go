package fakeapi

import "net/http"

// armRequest is a parsed ARM side request.
type armRequest struct {
	route      Route
	tenant     string // Entra routes
	enrollment string
	dept       string // departments/{id}
	period     string // billingPeriods/{p}
	id         string // operation id
	budget     string // budgets/{name}
	costMgmt   bool   // a Microsoft.CostManagement route
}

// parseEntraPath matches /{tenant}/v2.0/.well-known/openid-configuration and
// /{tenant}/oauth2/v2.0/token.
func parseEntraPath(segs []string) (*armRequest, bool) {
	switch {
	case len(segs) == 4 && segs[1] == "v2.0" && segs[2] == ".well-known" && segs[3] == "openid-configuration":
		return &armRequest{route: RouteARMMetadata, tenant: segs[0]}, true
	case len(segs) == 4 && segs[1] == "oauth2" && segs[2] == "v2.0" && segs[3] == "token":
		return &armRequest{route: RouteARMToken, tenant: segs[0]}, true
	}
	return nil, false
}

// parseARMPath matches the management routes, case-insensitively (segs are
// lower-case): /providers/Microsoft.Billing/billingAccounts/{e}, then an
// optional departments/{id} or billing period, then the provider's route.
func parseARMPath(segs []string) (*armRequest, bool) {
	if len(segs) < 4 || segs[0] != "providers" || segs[1] != "microsoft.billing" || segs[2] != "billingaccounts" {
		return nil, false
	}
	ar := &armRequest{enrollment: segs[3]}
	rest := segs[4:]
	switch {
	case len(rest) >= 2 && rest[0] == "departments":
		ar.dept, rest = rest[1], rest[2:]
	case len(rest) >= 4 && rest[0] == "providers" && rest[1] == "microsoft.billing" && rest[2] == "billingperiods":
		ar.period, rest = rest[3], rest[4:]
	case len(rest) >= 2 && rest[0] == "billingperiods":
		ar.period, rest = rest[1], rest[2:]
	}
	if len(rest) < 3 || rest[0] != "providers" {
		return nil, false
	}
	switch rest[1] {
	case "microsoft.consumption":
		return ar, ar.matchConsumption(rest[2:])
	case "microsoft.costmanagement":
		ar.costMgmt = true
		return ar, ar.matchCostManagement(rest[2:])
	}
	return nil, false
}

func (ar *armRequest) matchConsumption(rest []string) bool {
	switch {
	case len(rest) == 1 && rest[0] == "balances" && ar.dept == "":
		ar.route = RouteARMBalance
		return true
	case rest[0] == "budgets":
		return ar.matchBudgets(rest)
	}
	return false
}

func (ar *armRequest) matchCostManagement(rest []string) bool {
	scoped := ar.dept != "" || ar.period != ""
	switch {
	case len(rest) == 1 && rest[0] == "generatecostdetailsreport" && !scoped:
		ar.route = RouteARMCostReport
	case len(rest) == 2 && !scoped && (rest[0] == "costdetailsoperationresults" || rest[0] == "costdetailsoperationstatus"):
		ar.route, ar.id = RouteARMReportStatus, rest[1]
	case len(rest) == 3 && rest[0] == "pricesheets" && rest[1] == "default" && rest[2] == "download" &&
		ar.period != "" && ar.dept == "":
		ar.route = RouteARMPriceSheet
	case len(rest) == 2 && rest[0] == "operationresults" && !scoped:
		ar.route, ar.id = RouteARMPriceSheetStatus, rest[1]
	case rest[0] == "budgets":
		return ar.matchBudgets(rest)
	default:
		return false
	}
	return true
}

func (ar *armRequest) matchBudgets(rest []string) bool {
	if ar.period != "" || len(rest) > 2 {
		return false
	}
	ar.route = RouteARMBudgets
	if len(rest) == 2 {
		ar.budget = rest[1]
	}
	return true
}

// armMethod is the method a route takes.
func armMethod(r Route) string {
	switch r {
	case RouteARMToken, RouteARMCostReport, RouteARMPriceSheet:
		return http.MethodPost
	}
	return http.MethodGet
}
