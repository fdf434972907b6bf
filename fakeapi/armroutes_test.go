package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// armRouteCase is one management route with a valid request.
type armRouteCase struct {
	method, path, body string
	route              Route
	status             int
}

func armRouteCases(acct string) []armRouteCase {
	cm := acct + "/providers/Microsoft.CostManagement"
	return []armRouteCase{
		{"GET", acct + "/providers/Microsoft.Consumption/balances", "", RouteARMBalance, 200},
		{"GET", acct + "/providers/Microsoft.Billing/billingPeriods/202610/providers/Microsoft.Consumption/balances", "", RouteARMBalance, 200},
		{"GET", acct + "/billingPeriods/202611/providers/Microsoft.Consumption/balances", "", RouteARMBalance, 200},
		{"GET", strings.ToUpper(acct) + "/PROVIDERS/microsoft.consumption/Balances", "", RouteARMBalance, 200},
		{"POST", cm + "/generateCostDetailsReport", `{"metric":"ActualCost","billingPeriod":"202610"}`, RouteARMCostReport, 202},
		{"POST", acct + "/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download", "", RouteARMPriceSheet, 202},
		{"GET", acct + "/providers/Microsoft.Consumption/budgets", "", RouteARMBudgets, 200},
		{"GET", acct + "/departments/3456/providers/Microsoft.Consumption/budgets", "", RouteARMBudgets, 200},
		{"GET", cm + "/budgets", "", RouteARMBudgets, 200},
		{"GET", acct + "/providers/Microsoft.Consumption/budgets/EnrollmentMonthly", "", RouteARMBudgets, 200},
	}
}

func TestEveryARMRouteAnswers(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3, PriceSheetMeters: 10})
	for _, tc := range armRouteCases(f.account()) {
		before := f.s.Stats().Requests[tc.route]
		r := f.do(tc.method, tc.path+"?api-version=2023-11-01", tc.body, nil)
		if r.status != tc.status {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
		if tc.status == 200 && (!json.Valid(r.body) || r.header.Get("Content-Type") != jsonType) {
			t.Errorf("%s: not JSON: %.100s", tc.path, r.body)
		}
		if r.header.Get("x-ms-request-id") == "" {
			t.Errorf("%s: no x-ms-request-id", tc.path)
		}
		if got := f.s.Stats().Requests[tc.route]; got != before+1 {
			t.Errorf("%s: route %s counted %d -> %d", tc.path, tc.route, before, got)
		}
	}
}

func TestARMRoutesNeedTokenAndAPIVersion(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	for _, tc := range armRouteCases(f.account()) {
		r := f.do(tc.method, tc.path+"?api-version=2023-11-01", tc.body, map[string]string{"Authorization": ""})
		if r.status != 401 || r.header.Get("WWW-Authenticate") == "" || !strings.Contains(string(r.body), `"code":"AuthenticationFailed"`) {
			t.Errorf("%s without token: %d %v %s", tc.path, r.status, r.header, r.body)
		}
		r = f.do(tc.method, tc.path, tc.body, nil)
		if r.status != 400 || !strings.Contains(string(r.body), `"code":"MissingApiVersionParameter"`) {
			t.Errorf("%s without api-version: %d %s", tc.path, r.status, r.body)
		}
		r = f.do(tc.method, tc.path+"?API-VERSION=2019-10-01-preview", tc.body, nil)
		if r.status != tc.status {
			t.Errorf("%s with API-VERSION: %d %s", tc.path, r.status, r.body)
		}
		r = f.do(tc.method, tc.path+"?api-version=latest", tc.body, nil)
		if r.status != 400 || !strings.Contains(string(r.body), "InvalidApiVersionParameter") {
			t.Errorf("%s with a bad api-version: %d %s", tc.path, r.status, r.body)
		}
	}
	if st := f.s.Stats(); st.ARMUnauthorized != len(armRouteCases("")) {
		t.Errorf("ARMUnauthorized %d", st.ARMUnauthorized)
	}
}

func TestARMUnknownRoutesAndMethods(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	a := f.account()
	for _, p := range []string{
		"/", "/subscriptions/x/providers/Microsoft.Consumption/balances", a, a + "/providers/Microsoft.Consumption/nothing",
		a + "/departments/3456/providers/Microsoft.Consumption/balances",
		a + "/billingPeriods/202610/providers/Microsoft.CostManagement/generateCostDetailsReport",
		a + "/providers/Microsoft.CostManagement/pricesheets/default/download",
		a + "/providers/Microsoft.Consumption/budgets/a/b",
	} {
		if r := f.get(p + "?api-version=2023-05-01"); r.status != 404 || !strings.Contains(string(r.body), `"code":"NotFound"`) {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	if r := f.get(a + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01"); r.status != 405 ||
		r.header.Get("Allow") != "POST" {
		t.Errorf("GET generateCostDetailsReport: %d %v", r.status, r.header)
	}
	if r := f.do(http.MethodPost, a+"/providers/Microsoft.Consumption/balances?api-version=2023-05-01", "", nil); r.status != 405 {
		t.Errorf("POST balances: %d", r.status)
	}
	r := f.get("/providers/Microsoft.Billing/billingAccounts/1234567/providers/Microsoft.Consumption/balances?api-version=2023-05-01")
	if r.status != 401 || !strings.Contains(string(r.body), "No claims present for the caller") {
		t.Errorf("another billing account: %d %s", r.status, r.body)
	}
	if r := f.get(a + "/departments/999/providers/Microsoft.Consumption/budgets?api-version=2023-05-01"); r.status != 404 {
		t.Errorf("unknown department: %d", r.status)
	}
	if r := f.get(a + "/providers/Microsoft.Consumption/budgets/nobudget?api-version=2023-05-01"); r.status != 404 {
		t.Errorf("unknown budget: %d", r.status)
	}
}

// armBalance is the Consumption balances body.
type armBalance struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties struct {
		Currency                       string  `json:"currency"`
		BeginningBalance               float64 `json:"beginningBalance"`
		EndingBalance                  float64 `json:"endingBalance"`
		NewPurchases                   float64 `json:"newPurchases"`
		Adjustments                    float64 `json:"adjustments"`
		Utilized                       float64 `json:"utilized"`
		ServiceOverage                 float64 `json:"serviceOverage"`
		ChargesBilledSeparately        float64 `json:"chargesBilledSeparately"`
		TotalOverage                   float64 `json:"totalOverage"`
		TotalUsage                     float64 `json:"totalUsage"`
		AzureMarketplaceServiceCharges float64 `json:"azureMarketplaceServiceCharges"`
		BillingFrequency               string  `json:"billingFrequency"`
		PriceHidden                    *bool   `json:"priceHidden"`
		NewPurchasesDetails            []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"newPurchasesDetails"`
		AdjustmentDetails []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"adjustmentDetails"`
	} `json:"properties"`
}

func TestARMBalancesEqualTheEASide(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 23, Currency: "EUR"})
	ea := httptestServer(t, f.s)
	for _, tc := range []struct{ path, period string }{
		{"/providers/Microsoft.Consumption/balances", "202611"},
		{"/providers/Microsoft.Billing/billingPeriods/202611/providers/Microsoft.Consumption/balances", "202611"},
		{"/billingPeriods/202610/providers/Microsoft.Consumption/balances", "202610"},
	} {
		r := f.get(f.account() + tc.path + "?api-version=2023-05-01")
		var b armBalance
		decodeJSON(t, r.body, &b)
		p := b.Properties
		want := f.s.Truth(tc.period).Balance
		got := Balance{p.BeginningBalance, p.EndingBalance, p.NewPurchases, p.Adjustments, p.Utilized, p.ServiceOverage,
			p.ChargesBilledSeparately, p.TotalOverage, p.TotalUsage, p.AzureMarketplaceServiceCharges}
		if got != want || p.Currency != "EUR  " || b.Type != "Microsoft.Consumption/balances" ||
			!strings.Contains(b.ID, "/billingPeriods/"+tc.period+"/") || p.BillingFrequency != "Month" || p.PriceHidden == nil {
			t.Errorf("%s: %+v, truth %+v", tc.path, b, want)
		}
		// The EA balance summary of the same period has the same figures.
		var eaRows []struct {
			BeginningBalance float64 `json:"beginningBalance"`
			EndingBalance    float64 `json:"endingBalance"`
			TotalUsage       float64 `json:"totalUsage"`
		}
		decodeJSON(t, ea.mustGet(enr("v3")+"/billingPeriods/"+tc.period+"/balancesummary").body, &eaRows)
		if len(eaRows) != 1 || eaRows[0].BeginningBalance != p.BeginningBalance || eaRows[0].EndingBalance != p.EndingBalance ||
			eaRows[0].TotalUsage != p.TotalUsage {
			t.Errorf("%s: EA side %+v", tc.period, eaRows)
		}
	}
	if r := f.get(f.account() + "/billingPeriods/202609/providers/Microsoft.Consumption/balances?api-version=2023-05-01"); r.status != 404 {
		t.Errorf("period without data: %d", r.status)
	}
	if r := f.get(f.account() + "/billingPeriods/2026-10/providers/Microsoft.Consumption/balances?api-version=2023-05-01"); r.status != 400 {
		t.Errorf("malformed period: %d", r.status)
	}
}

// httptestServer serves s's EA side as a fixture.
func httptestServer(t *testing.T, s *Server) *fixture {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &fixture{t: t, s: s, ts: ts}
}

func TestClientTypeCounted(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	path := f.account() + "/providers/Microsoft.Consumption/balances?api-version=2023-05-01"
	for i := 0; i < 3; i++ {
		f.do(http.MethodGet, path, "", map[string]string{"ClientType": "azure-ea-exporter"})
	}
	f.get(path)
	if got := f.s.Stats().ClientTypes; len(got) != 1 || got["azure-ea-exporter"] != 3 {
		t.Errorf("ClientTypes %v", got)
	}
}
