package arm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const balanceBody = `{"id":"providers/Microsoft.Billing/billingAccounts/8608480/providers/Microsoft.Billing/billingPeriods/202404/providers/Microsoft.Consumption/balances/balanceId1",
 "name":"balanceId1","type":"Microsoft.Consumption/balances",
 "properties":{"currency":"USD  ","beginningBalance":3396469.19,"endingBalance":"2796469.19","newPurchases":0,
  "newPurchasesDetails":[{"name":"","value":1}],"adjustments":"-12.5","adjustmentDetails":[{"name":"Promo Credit","value":1.1}],
  "utilized":600000,"serviceOverage":null,"chargesBilledSeparately":21.75,"totalOverage":"21.75","totalUsage":600021.75,
  "azureMarketplaceServiceCharges":42.5,"billingFrequency":"Month","priceHidden":false,"overageRefund":0}}`

func TestBalanceSummary(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+accountPath+"/providers/Microsoft.Consumption/balances", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api-version") != "2023-05-01" {
			t.Errorf("api-version %q", r.URL.Query().Get("api-version"))
		}
		writeJSON(w, http.StatusOK, balanceBody)
	})
	f.handle("GET "+accountPath+"/providers/Microsoft.Billing/billingPeriods/202403/providers/Microsoft.Consumption/balances",
		func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"id":"x","properties":{"currency":" EUR","endingBalance":10,"totalUsage":"5.5"}}`)
		})
	env := newTestEnv(t, f)
	ctx := context.Background()

	cur, err := env.c.BalanceSummary(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := apiclient.BalanceSummary{BillingPeriod: "202404", Currency: "USD", BeginningBalance: 3396469.19, EndingBalance: 2796469.19,
		Adjustments: -12.5, Utilized: 600000, ChargesBilledSeparately: 21.75, TotalOverage: 21.75, TotalUsage: 600021.75,
		AzureMarketplaceServiceCharges: 42.5}
	if *cur != want {
		t.Errorf("current balance\n got %+v\nwant %+v", *cur, want)
	}
	prev, err := env.c.BalanceSummary(ctx, "202403")
	if err != nil {
		t.Fatal(err)
	}
	if prev.BillingPeriod != "202403" || prev.Currency != "EUR" || prev.EndingBalance != 10 || prev.TotalUsage != 5.5 {
		t.Errorf("by period: %+v", *prev)
	}
	none, err := env.c.BalanceSummary(ctx, "202201")
	if err != nil || none != nil {
		t.Errorf("404 period: %v, %v; want nil, nil", none, err)
	}
	if _, err := env.c.BalanceSummary(ctx, "2024-4"); err == nil {
		t.Error("a malformed period was accepted")
	}
	calls, scopes := f.tokens()
	if calls != 1 {
		t.Errorf("%d token requests for 3 calls, want 1 (cached)", calls)
	}
	if len(scopes) != 1 || !strings.Contains(scopes[0], "https://management.core.windows.net//.default") {
		t.Errorf("token scopes %q", scopes)
	}
}

func TestDecodeBalance(t *testing.T) {
	tests := []struct {
		name, body string
		want       *apiclient.BalanceSummary
		bad        bool
	}{
		{"empty", `{}`, nil, false},
		{"null properties", `{"properties":null}`, nil, false},
		{"null properties and an id", `{"id":"a","Properties":null}`, nil, false},
		{"no properties but an id", `{"id":"a"}`, nil, true},
		{"error object", `{"error":{"code":"InternalError","message":"The service is unavailable."}}`, nil, true},
		{"list", `{"value":[{"properties":{"endingBalance":5}}]}`, nil, true},
		{"strings and nulls", `{"properties":{"currency":null,"utilized":"","totalUsage":"1e2"}}`, &apiclient.BalanceSummary{TotalUsage: 100}, false},
		{"array", `[{"properties":{}}]`, nil, true},
		{"text in a number", `{"properties":{"utilized":"lots"}}`, nil, true},
		{"object in a string", `{"properties":{"currency":{"code":"USD"}}}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeBalance([]byte(tt.body), "")
			if tt.bad {
				if !errors.Is(err, apiclient.ErrBadResponse) {
					t.Fatalf("err %v, want ErrBadResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPeriodInID(t *testing.T) {
	for id, want := range map[string]string{
		"/providers/Microsoft.Billing/billingAccounts/1/providers/Microsoft.Billing/billingPeriods/202402/providers/x": "202402",
		"billingperiods/202402":    "202402",
		"billingPeriods/2024021/x": "",
		"billingPeriods/20240":     "",
		"balances/balanceId1":      "",
	} {
		if got := periodInID(id); got != want {
			t.Errorf("periodInID(%q) = %q, want %q", id, got, want)
		}
	}
}

// A 200 whose body is not the balances resource, an error object or a
// list, is refused as EA's balances are: read as "no data", it would hide
// the credit. The error says what came instead.
func TestBalanceSummaryRefusesOtherObjects(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"code":"InternalError","message":"The service is unavailable."}}`: "an error instead of the balances: InternalError: The service is unavailable.",
		`{"value":[{"properties":{"endingBalance":5}}]}`:                             `no properties, but "value"`,
		`{"nextLink":null,"value":[],"id":"x","name":"y"}`:                           `no properties, but "id", "name", "nextLink", …`,
	} {
		f := newFakeARM(t)
		f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, body) })
		env := newTestEnv(t, f)
		got, err := env.c.BalanceSummary(context.Background(), "")
		if !errors.Is(err, apiclient.ErrBadResponse) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: %+v, %v; want ErrBadResponse ending %q", body, got, err, want)
		}
	}
}

// Balances whose properties set none of the figures (an empty object, only
// the currency, nulls) are refused rather than exported as a used-up
// credit; a 404, a 204 and an empty object stay "no data".
func TestBalanceSummaryWithoutFiguresIsRefused(t *testing.T) {
	f := newFakeARM(t)
	periods := map[string]func(w http.ResponseWriter){
		"202401": func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, `{"id":"x","properties":{}}`) },
		"202402": func(w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, `{"id":"x","properties":{"currency":"USD","billingFrequency":"Month","priceHidden":false}}`)
		},
		"202403": func(w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, `{"properties":{"currency":"USD","beginningBalance":null,"endingBalance":null,"utilized":""}}`)
		},
		"202404": func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
		"202406": func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, `{}`) },
		"202405": func(w http.ResponseWriter) {
			writeJSON(w, http.StatusNotFound, `{"error":{"code":"NotFound","message":"no balances"}}`)
		},
	}
	for p, answer := range periods {
		f.handle("GET "+accountPath+"/providers/Microsoft.Billing/billingPeriods/"+p+"/providers/Microsoft.Consumption/balances",
			func(w http.ResponseWriter, _ *http.Request) { answer(w) })
	}
	env := newTestEnv(t, f)
	for _, p := range []string{"202401", "202402", "202403"} {
		got, err := env.c.BalanceSummary(context.Background(), p)
		if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "no figures") {
			t.Errorf("%s: %+v, %v; want ErrBadResponse: no figures", p, got, err)
		}
	}
	for _, p := range []string{"202404", "202405", "202406"} {
		got, err := env.c.BalanceSummary(context.Background(), p)
		if got != nil || err != nil {
			t.Errorf("%s: %+v, %v; want no data (nil, nil)", p, got, err)
		}
	}
}
