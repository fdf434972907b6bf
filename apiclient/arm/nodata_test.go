package arm

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// writeProxy404 answers as a proxy or gateway in front of the API does.
func writeProxy404(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte("<html><body><h1>404 Not Found</h1>nginx</body></html>"))
}

// A proxy's HTML 404 says nothing of the data: the balances and the price
// sheet fail with it instead of reporting "no data", which would hide the
// credit and the prices. The API's own 404 stays "no data".
func TestProxyHTML404IsAFailureNotNoData(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+balancesPath, writeProxy404)
	priceSheet := accountPath + "/billingPeriods/202404/providers/Microsoft.CostManagement/pricesheets/default/download"
	f.handle("POST "+priceSheet, writeProxy404)
	env := newTestEnv(t, f)
	ctx := context.Background()

	s, err := env.c.BalanceSummary(ctx, "")
	var se *apiclient.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotFound || !se.HTML {
		t.Errorf("balances behind a proxy's 404: %+v, %v; want the HTML 404 as an error", s, err)
	}
	err = env.c.PriceSheet(ctx, "202404", func(*apiclient.PriceSheetItem) error { return nil })
	if !errors.As(err, &se) || se.Code != http.StatusNotFound || !se.HTML {
		t.Errorf("price sheet behind a proxy's 404: %v; want the HTML 404 as an error", err)
	}

	f.handle("GET "+accountPath+"/providers/Microsoft.Billing/billingPeriods/202403/providers/Microsoft.Consumption/balances",
		func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusNotFound, `{"error":{"code":"NotFound","message":"no balances"}}`)
		})
	if s, err := env.c.BalanceSummary(ctx, "202403"); s != nil || err != nil {
		t.Errorf("the API's own 404: %+v, %v; want no data", s, err)
	}
}

func TestIsNoData(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"API's 404", &apiclient.StatusError{Endpoint: apiclient.EndpointBudgets, Code: http.StatusNotFound}, true},
		{"wrapped", errors.Join(errors.New("x"), &apiclient.StatusError{Endpoint: apiclient.EndpointBudgets, Code: http.StatusNotFound}), true},
		{"proxy's HTML 404", &apiclient.StatusError{Endpoint: apiclient.EndpointBudgets, Code: http.StatusNotFound, HTML: true}, false},
		{"Entra ID's 404", &apiclient.StatusError{Endpoint: apiclient.EndpointToken, Code: http.StatusNotFound}, false},
		{"403", &apiclient.StatusError{Endpoint: apiclient.EndpointBudgets, Code: http.StatusForbidden}, false},
		{"nil", nil, false},
	} {
		if got := isNoData(tt.err); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
