package ea

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func date(y int, m time.Month, d, h, min, s, ns int) time.Time {
	return time.Date(y, m, d, h, min, s, ns, time.UTC)
}

func TestBillingPeriods(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []apiclient.BillingPeriod
	}{
		{"documented example", `[{"billingPeriodId":"201704","billingStart":"2017-04-01T00:00:00Z","billingEnd":"2017-04-30T11:59:59Z",
			"balanceSummary":"/v1/enrollments/100/billingperiods/201704/balancesummary","usageDetails":"/v1/enrollments/100/billingperiods/201704/usagedetails",
			"marketplaceCharges":"/v1/enrollments/100/billingperiods/201704/marketplacecharges","priceSheet":"/v1/enrollments/100/billingperiods/201704/pricesheet"}]`,
			[]apiclient.BillingPeriod{{ID: "201704", Start: date(2017, 4, 1, 0, 0, 0, 0), End: date(2017, 4, 30, 11, 59, 59, 0),
				HasBalanceSummary: true, HasUsageDetails: true, HasMarketplaceCharges: true, HasPriceSheet: true}}},
		{"number id, null and empty links, no-zone and fractional dates, unsorted", `[
			{"billingPeriodId":201703,"billingStart":"2017-03-01T00:00:00","billingEnd":"2017-03-31T23:59:59.1290704Z","balanceSummary":null,"usageDetails":"","marketplaceCharges":null,"priceSheet":"/p"},
			null,
			{"billingPeriodId":" 201705 ","billingStart":"2017-05-01T00:00:00+02:00","billingEnd":"2017-05-31","usageDetails":"/u"}]`,
			[]apiclient.BillingPeriod{
				{ID: "201705", Start: date(2017, 4, 30, 22, 0, 0, 0), End: date(2017, 5, 31, 0, 0, 0, 0), HasUsageDetails: true},
				{ID: "201703", Start: date(2017, 3, 1, 0, 0, 0, 0), End: date(2017, 3, 31, 23, 59, 59, 129070400), HasPriceSheet: true},
			}},
		{"empty", `[]`, []apiclient.BillingPeriod{}},
		{"byte order mark and unknown fields", "\ufeff" + ` [{"billingPeriodId":"201801","billingStart":null,"extra":{"a":[1,2]}}] `,
			[]apiclient.BillingPeriod{{ID: "201801"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, jsonReply(tt.body), nil)
			got, err := hs.BillingPeriods(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			req := hs.requests()[0]
			if req.method != "GET" || req.path != "/v2/enrollments/100/billingperiods" || req.auth != "bearer "+testKey {
				t.Errorf("request %+v", req)
			}
		})
	}
}

func TestBadBodies(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		retried bool
		want    string
	}{
		{"HTML with 200", reply(200, "text/html", "<html><body>Sign in</body></html>"), true, "HTML page"},
		{"HTML as JSON", reply(200, "application/json", "\n <!DOCTYPE html>"), true, "HTML page"},
		{"truncated JSON", jsonReply(`[{"billingPeriodId":"2017`), true, "unexpected end of JSON input"},
		{"not JSON", jsonReply(`Service Unavailable`), true, "invalid character"},
		{"trailing garbage", jsonReply(`[]]`), true, "invalid character ']' after top-level value"},
		{"empty body", jsonReply(""), true, "empty body"},
		{"object", jsonReply(`{"value":[]}`), false, "want a JSON array"},
		{"bad period id", jsonReply(`[{"billingPeriodId":"../../x"}]`), false, `billingPeriodId "../../x" is not yyyyMM`},
		{"bad date", jsonReply(`[{"billingPeriodId":"201701","billingStart":"yesterday"}]`), false, `billingStart "yesterday" is not a date`},
		{"object for a string", jsonReply(`[{"billingPeriodId":{"a":1}}]`), false, "object or array where a string belongs"},
		{"1 MB string", jsonReply(`[{"billingPeriodId":"201701","priceSheet":"` + strings.Repeat("x", 1<<20) + `"}]`), false, "over the 65536-byte limit"},
		{"10 MB string", jsonReply(`[{"billingPeriodId":"201701","priceSheet":"` + strings.Repeat("x", 10<<20) + `"}]`), false, "body larger than the 4194304-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.handler, nil)
			_, err := hs.BillingPeriods(context.Background())
			if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), tt.want) ||
				!strings.HasPrefix(err.Error(), "billing_periods: ") {
				t.Fatalf("err %v, want ErrBadResponse with %q", err, tt.want)
			}
			if n := len(hs.requests()); (n > 1) != tt.retried {
				t.Errorf("%d requests; retried should be %v", n, tt.retried)
			}
			noSecret(t, err)
		})
	}
}

func TestBodyLimit(t *testing.T) {
	hs := newHarness(t, jsonReply("["+strings.Repeat(`{"billingPeriodId":"201701"},`, 1<<16)+"null]"),
		func(c *Config) { c.MaxBodyBytes = 1 << 20 })
	_, err := hs.BillingPeriods(context.Background())
	if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("err %v", err)
	}
}

func TestBalanceSummary(t *testing.T) {
	full := apiclient.BalanceSummary{BillingPeriod: "201507", Currency: "USD", BeginningBalance: 1, EndingBalance: 2,
		NewPurchases: 3, Adjustments: 4, Utilized: 5, ServiceOverage: 6, ChargesBilledSeparately: 7, TotalOverage: 8,
		TotalUsage: 9, AzureMarketplaceServiceCharges: 10}
	const fullJSON = `{"id":"enrollments/100/billingperiods/201507/balancesummaries","billingPeriodId":201507,"currencyCode":"USD",
		"beginningBalance":1,"endingBalance":2,"newPurchases":3,"adjustments":4,"utilized":5,"serviceOverage":6,
		"chargesBilledSeparately":7,"totalOverage":8,"totalUsage":9,"azureMarketplaceServiceCharges":10,
		"newPurchasesDetails":[{"name":"","value":1}],"adjustmentDetails":[{"name":"Promo Credit","value":1.1}]}`
	tests := []struct {
		name    string
		period  string
		handler http.HandlerFunc
		path    string
		want    *apiclient.BalanceSummary
	}{
		{"object", "", jsonReply(fullJSON), "/v3/enrollments/100/balancesummary", &full},
		{"one-element array", "201507", jsonReply("[" + fullJSON + "]"), "/v3/enrollments/100/billingPeriods/201507/balancesummary", &full},
		{"array: the period's element", "201508", jsonReply(`[{"billingPeriodId":"201507","totalUsage":1},{"billingPeriodId":"201508","totalUsage":2}]`),
			"/v3/enrollments/100/billingPeriods/201508/balancesummary", &apiclient.BalanceSummary{BillingPeriod: "201508", TotalUsage: 2}},
		{"array: the period's element, number or string", "201508", jsonReply(`[{"billingPeriodId":"201507","totalUsage":1},{"billingPeriodId":201508.0,"totalUsage":2}]`),
			"/v3/enrollments/100/billingPeriods/201508/balancesummary", &apiclient.BalanceSummary{BillingPeriod: "201508", TotalUsage: 2}},
		{"array: else the first, when it names no period", "201509", jsonReply(`[null,{"totalUsage":1},{"billingPeriodId":"201508","totalUsage":2}]`),
			"/v3/enrollments/100/billingPeriods/201509/balancesummary", &apiclient.BalanceSummary{TotalUsage: 1}},
		{"current period: the first", "", jsonReply(`[{"billingPeriodId":"201507","totalUsage":1},{"billingPeriodId":"201508","totalUsage":2}]`),
			"/v3/enrollments/100/balancesummary", &apiclient.BalanceSummary{BillingPeriod: "201507", TotalUsage: 1}},
		{"only zero figures", "", jsonReply(`[{"billingPeriodId":"201507","endingBalance":0}]`),
			"/v3/enrollments/100/balancesummary", &apiclient.BalanceSummary{BillingPeriod: "201507"}},
		{"strings, nulls and padded currency", "", jsonReply(`{"billingPeriodId":"201507","currencyCode":"EUR  ","beginningBalance":"1.5",
			"endingBalance":null,"utilized":" -2e3 ","totalUsage":""}`), "/v3/enrollments/100/balancesummary",
			&apiclient.BalanceSummary{BillingPeriod: "201507", Currency: "EUR", BeginningBalance: 1.5, Utilized: -2000}},
		{"empty array", "", jsonReply(`[]`), "/v3/enrollments/100/balancesummary", nil},
		{"null", "", jsonReply(`null`), "/v3/enrollments/100/balancesummary", nil},
		{"400", "", reply(400, "application/json", `{"error":{"code":"400","message":"no data"}}`), "/v3/enrollments/100/balancesummary", nil},
		{"404", "", reply(404, "text/plain", `Unavailable`), "/v3/enrollments/100/balancesummary", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.handler, nil)
			got, err := hs.BalanceSummary(context.Background(), tt.period)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if req := hs.requests()[0]; req.path != tt.path || req.auth != "bearer "+testKey {
				t.Errorf("request %+v", req)
			}
		})
	}
}

func TestBalanceSummaryErrors(t *testing.T) {
	tests := []struct {
		name, period, body string
	}{
		{"string body", "", `"x"`},
		{"number as words", "", `{"totalUsage":"twelve"}`},
		{"NaN", "", `{"totalUsage":"NaN"}`},
		{"infinity", "", `[{"totalUsage":"-Inf"}]`},
		{"bool", "", `{"totalUsage":true}`},
		// An answer with none of the figures is no summary of zeros: it
		// would say that the credit is used up.
		{"empty object", "", `{}`},
		{"array of an empty object", "201507", `[{}]`},
		{"error object with a 200", "", `{"error":{"code":"500","message":"DB didn't return complete data"}}`},
		{"another API's wrapper", "", `{"value":[{"beginningBalance":10}]}`},
		{"only nulls", "", `[{"billingPeriodId":"201507","currencyCode":"USD","endingBalance":null,"utilized":""}]`},
		// The summary of another period is not that of the one asked for.
		{"another period", "201508", `[{"billingPeriodId":201507,"currencyCode":"USD","endingBalance":5}]`},
		{"another period as a string", "201508", `{"billingPeriodId":" 201507 ","endingBalance":5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, jsonReply(tt.body), nil)
			b, err := hs.BalanceSummary(context.Background(), tt.period)
			if !errors.Is(err, apiclient.ErrBadResponse) || b != nil {
				t.Fatalf("summary %+v, err %v; want an error wrapping ErrBadResponse", b, err)
			}
			if n := len(hs.requests()); n != 1 {
				t.Errorf("%d requests: a well-formed answer is not retried", n)
			}
		})
	}
	hs := newHarness(t, jsonReply(`[{"billingPeriodId":201507,"endingBalance":5}]`), nil)
	_, err := hs.BalanceSummary(context.Background(), "201508")
	if err == nil || !strings.Contains(err.Error(), "201507") || !strings.Contains(err.Error(), "201508") {
		t.Errorf("err %v; want both periods named", err)
	}
	hs = newHarness(t, jsonReply(`{}`), nil)
	if _, err := hs.BalanceSummary(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "balance summary has no figures") {
		t.Errorf("err %v", err)
	}
	hs = newHarness(t, jsonReply(`{}`), nil)
	for _, p := range []string{"2017", "201713", "20170a", "../../"} {
		if _, err := hs.BalanceSummary(context.Background(), p); err == nil || !strings.Contains(err.Error(), "yyyyMM") {
			t.Errorf("period %q: err %v", p, err)
		}
	}
	if len(hs.requests()) != 0 {
		t.Error("a bad period was sent")
	}
}

func TestMarketplaceCharges(t *testing.T) {
	const body = `[
	 {"id":"1","subscriptionGuid":"11111111-1111-1111-1111-111111111111","subscriptionName":"Sub","meterId":"2core",
	  "usageStartDate":"2015-09-17T00:00:00Z","usageEndDate":"2015-09-17T23:59:59Z","offerName":"Virtual LoadMaster™ (VLM) for Azure",
	  "departmentName":"Dept","publisherName":"Kemp","planName":"Hourly","consumedQuantity":1.15,"resourceRate":0.1,
	  "extendedCost":1.11,"isRecurringCharge":"False","accountId":100,"tags":""},
	 {"usageStartDate":"2015-09-18T00:00:00","cost":"2.5","consumedQuantity":"3","isRecurringCharge":"True","departmentName":null},
	 {"usageStartDate":"2015-09-19T00:00:00","extendedCost":0,"cost":9}
	]`
	want := []apiclient.MarketplaceCharge{
		{Date: date(2015, 9, 17, 0, 0, 0, 0), Department: "Dept", SubscriptionID: "11111111-1111-1111-1111-111111111111",
			Subscription: "Sub", Publisher: "Kemp", Offer: "Virtual LoadMaster™ (VLM) for Azure", Plan: "Hourly", Cost: 1.11, Quantity: 1.15},
		{Date: date(2015, 9, 18, 0, 0, 0, 0), Cost: 2.5, Quantity: 3},
		{Date: date(2015, 9, 19, 0, 0, 0, 0), Cost: 0},
	}
	hs := newHarness(t, jsonReply(body), nil)
	var got []apiclient.MarketplaceCharge
	err := hs.MarketplaceCharges(context.Background(), "201509", func(c *apiclient.MarketplaceCharge) error {
		got = append(got, *c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if req := hs.requests()[0]; req.path != "/v3/enrollments/100/billingPeriods/201509/marketplacecharges" {
		t.Errorf("path %s", req.path)
	}
}

func TestNoDataAndCallbackErrors(t *testing.T) {
	stop := errors.New("stop")
	for _, code := range []int{400, 404} {
		hs := newHarness(t, reply(code, "text/plain", "no data"), nil)
		calls := 0
		count := func() error { calls++; return nil }
		if err := hs.MarketplaceCharges(context.Background(), "", func(*apiclient.MarketplaceCharge) error { return count() }); err != nil {
			t.Errorf("marketplace %d: %v", code, err)
		}
		if err := hs.PriceSheet(context.Background(), "", func(*apiclient.PriceSheetItem) error { return count() }); err != nil {
			t.Errorf("price sheet %d: %v", code, err)
		}
		if calls != 0 {
			t.Errorf("%d: %d rows", code, calls)
		}
	}
	hs := newHarness(t, jsonReply(`[{"meterId":"a"},{"meterId":"b"}]`), nil)
	calls := 0
	err := hs.PriceSheet(context.Background(), "", func(*apiclient.PriceSheetItem) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("err %v after %d calls, want the callback's error after 1", err, calls)
	}
	err = hs.MarketplaceCharges(context.Background(), "", func(*apiclient.MarketplaceCharge) error { return stop })
	if err != stop {
		t.Errorf("err %v", err)
	}
	hs = newHarness(t, reply(500, "application/json", `{"error":{"code":"500","message":"DB didn't return complete data for MeterInfo."}}`), nil)
	err = hs.PriceSheet(context.Background(), "", func(*apiclient.PriceSheetItem) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "price_sheet: HTTP 500: 500: DB didn't return complete data for MeterInfo.") {
		t.Errorf("err %v", err)
	}
}

// The "Usage Data Extract" text that a JSON endpoint sends for an empty
// range is an empty result (product contract) for every dataset that can be
// empty; an enrollment always has billing periods, so there it is a bad
// answer.
func TestUsageDataExtractIsNoData(t *testing.T) {
	const text = "\ufeff\"Usage Data Extract\",\r\n\"\",\r\n"
	for _, contentType := range []string{"text/csv", "application/json"} {
		t.Run(contentType, func(t *testing.T) {
			hs := newHarness(t, reply(200, contentType, text), nil)
			ctx := context.Background()
			b, err := hs.BalanceSummary(ctx, "202403")
			if b != nil || err != nil {
				t.Errorf("balance summary %+v, err %v; want no data", b, err)
			}
			calls := 0
			if err := hs.MarketplaceCharges(ctx, "202403", func(*apiclient.MarketplaceCharge) error { calls++; return nil }); err != nil {
				t.Errorf("marketplace: %v", err)
			}
			if err := hs.PriceSheet(ctx, "", func(*apiclient.PriceSheetItem) error { calls++; return nil }); err != nil {
				t.Errorf("price sheet: %v", err)
			}
			if calls != 0 || len(hs.requests()) != 3 || len(hs.rec.retryReasons()) != 0 {
				t.Errorf("%d items, %d requests, retries %v; want none, 3, none", calls, len(hs.requests()), hs.rec.retryReasons())
			}
			if _, err := hs.BillingPeriods(ctx); !errors.Is(err, apiclient.ErrBadResponse) {
				t.Errorf("billing periods: err %v, want ErrBadResponse", err)
			}
		})
	}
}

// A 400 or 404 whose body is an HTML page comes from a proxy or gateway,
// not from the API: it says nothing of the data, so it fails the dataset,
// which keeps its last good data, where the API's own 400 or 404 is "no
// data".
func TestHTMLErrorPageIsNotNoData(t *testing.T) {
	routes := map[string]func(*harness) error{
		"balance summary": func(hs *harness) error {
			_, err := hs.BalanceSummary(context.Background(), "202403")
			return err
		},
		"marketplace": func(hs *harness) error {
			return hs.MarketplaceCharges(context.Background(), "202403", func(*apiclient.MarketplaceCharge) error { return nil })
		},
		"price sheet": func(hs *harness) error {
			return hs.PriceSheet(context.Background(), "", func(*apiclient.PriceSheetItem) error { return nil })
		},
	}
	for name, m := range map[string]apiclient.UsageMethod{"usage JSON": apiclient.UsageJSON, "usage CSV": apiclient.UsageCSV, "usage report": apiclient.UsageAsync} {
		routes[name] = func(hs *harness) error {
			_, err := usage(hs.t, hs, apiclient.UsageQuery{Method: m, Start: date(2024, 3, 1, 0, 0, 0, 0), End: date(2024, 3, 10, 0, 0, 0, 0)})
			return err
		}
	}
	pages := map[string]http.HandlerFunc{
		"404 nginx": reply(404, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><h1>404 Not Found</h1>nginx</body></html>"),
		"400 page":  reply(400, "text/plain", "\r\n<html><body>Bad Request</body></html>"),
	}
	for name, run := range routes {
		for pageName, page := range pages {
			t.Run(name+"/"+pageName, func(t *testing.T) {
				hs := newHarness(t, page, nil)
				hs.t = t
				err := run(hs)
				var se *apiclient.StatusError
				if !errors.As(err, &se) || !se.HTML {
					t.Fatalf("err %v; want the StatusError of an HTML page", err)
				}
				if n := len(hs.requests()); n != 1 {
					t.Errorf("%d requests", n)
				}
			})
		}
	}
}

func TestPriceSheet(t *testing.T) {
	const body = `[{"id":"enrollments/57354989/billingperiods/201704/products/343/pricesheets","billingPeriodId":"201704",
		"meterId":"dc210ecb-97e8-4522-8134-2385494233c0","meterName":"A1 VM","unitOfMeasure":"100 Hours","includedQuantity":0,
		"partNumber":"N7H-00015","unitPrice":"0.12","currencyCode":"USD "},
		{"meterName":"no id (v1)","unitPrice":null,"includedQuantity":"5"}]`
	want := []apiclient.PriceSheetItem{
		{MeterID: "dc210ecb-97e8-4522-8134-2385494233c0", MeterName: "A1 VM", PartNumber: "N7H-00015",
			UnitOfMeasure: "100 Hours", UnitPrice: 0.12, Currency: "USD"},
		{MeterName: "no id (v1)", IncludedQuantity: 5},
	}
	hs := newHarness(t, jsonReply(body), nil)
	var got []apiclient.PriceSheetItem
	err := hs.PriceSheet(context.Background(), "", func(p *apiclient.PriceSheetItem) error {
		got = append(got, *p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if req := hs.requests()[0]; req.path != "/v3/enrollments/100/pricesheet" {
		t.Errorf("path %s", req.path)
	}
}
