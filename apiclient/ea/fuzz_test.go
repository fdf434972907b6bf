package ea

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets feed the decoders what a broken or hostile server might
// send. Bodies go through jsonPayload first, as in the client. None may
// panic; memory stays bounded because every input is held whole and the
// decoders allocate in proportion to it.

func FuzzBillingPeriods(f *testing.F) {
	for _, seed := range []string{
		`[{"billingPeriodId":"201704","billingStart":"2017-04-01T00:00:00Z","billingEnd":"2017-04-30T11:59:59Z","balanceSummary":"/v1/x","usageDetails":null}]`,
		`[{"billingPeriodId":201703,"billingStart":"2017-03-01T00:00:00.1290704Z"},null]`,
		`[]`, `{}`, `[1]`, `[{"billingPeriodId":[]}]`, `<html>`, "\ufeff[]",
	} {
		f.Add([]byte(seed))
	}
	for _, b := range fakeBodies(f, http.MethodGet, enrollmentPath("v2", "/billingperiods")) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		periods, err := decodeBillingPeriods(payload)
		for i := range periods {
			if validPeriod(periods[i].ID) != nil {
				t.Fatalf("invalid period id %q accepted", periods[i].ID)
			}
			if i > 0 && periods[i-1].ID < periods[i].ID {
				t.Fatalf("not newest first: %q before %q", periods[i-1].ID, periods[i].ID)
			}
		}
		if err != nil && periods != nil {
			t.Fatal("periods and an error")
		}
	})
}

func FuzzBalanceSummary(f *testing.F) {
	for _, seed := range []string{
		`{"billingPeriodId":201507,"currencyCode":"USD","beginningBalance":1,"endingBalance":"2","totalUsage":null}`,
		`[{"billingPeriodId":"201507","currencyCode":"EUR  ","utilized":"-1e3"}]`,
		`[null,{}]`, `null`, `[]`, `"x"`, `{"totalUsage":"NaN"}`, `{"totalUsage":1e999}`,
	} {
		f.Add([]byte(seed), "201507")
	}
	for _, path := range []string{"/balancesummary", "/billingPeriods/202402/balancesummary"} {
		for _, b := range fakeBodies(f, http.MethodGet, enrollmentPath("v3", path)) {
			f.Add(b, "202402")
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, period string) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		summary, err := decodeBalanceSummary(payload, period)
		if err != nil && summary != nil {
			t.Fatal("summary and an error")
		}
		if summary != nil && period != "" && summary.BillingPeriod != "" && summary.BillingPeriod != period {
			t.Fatalf("asked for %q, got the summary of %q", period, summary.BillingPeriod)
		}
	})
}

func FuzzReportStatus(f *testing.F) {
	for _, seed := range []string{
		`{"id":"r","status":3,"blobPath":"https://b/x?sig=y","reportUrl":"https://a/r"}`,
		`{"status":"2","blobPath":null}`, `{"status":2.5}`, `{"status":[1]}`, `[]`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	for _, b := range fakeReportBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		st, err := decodeReportStatus(payload)
		if err != nil {
			return
		}
		if done, err := st.outcome(); done && err == nil && st.Status != reportNoDataFound && st.BlobPath == "" {
			t.Fatalf("done without a blob: %+v", st)
		}
	})
}

func FuzzMarketplace(f *testing.F) {
	for _, seed := range []string{
		`[{"usageStartDate":"2015-09-17T00:00:00Z","offerName":"VLM™","extendedCost":1.11,"isRecurringCharge":"False","consumedQuantity":"1.15"}]`,
		`[{"usageStartDate":"2015-09-18T00:00:00","cost":"2.5"},null]`,
		`[{"extendedCost":{}}]`, `[{"usageStartDate":"x"}]`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	for _, b := range fakeBodies(f, http.MethodGet, enrollmentPath("v3", "/billingPeriods/202402/marketplacecharges")) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		charges, err := decodeMarketplace(payload)
		if err != nil && charges != nil {
			t.Fatal("charges and an error")
		}
	})
}

// FuzzPriceSheet: the price sheet decoder never panics, returns items only
// without error, and keeps every string it returns valid UTF-8 (JSON
// decoding replaces invalid bytes).
func FuzzPriceSheet(f *testing.F) {
	for _, seed := range []string{
		`[{"meterId":"m","meterName":"n","partNumber":"p","unitOfMeasure":"1 Hour","unitPrice":"0.5","includedQuantity":null,"currencyCode":"EUR "}]`,
		`[null,{"unitPrice":{}}]`, `{"id":"x"}`, `[{"meterName":"\ud800"}]`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	for _, b := range fakeBodies(f, http.MethodGet, enrollmentPath("v3", "/billingPeriods/202402/pricesheet")) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		items, err := decodePriceSheet(payload)
		if err != nil && items != nil {
			t.Fatal("items and an error")
		}
		for _, it := range items {
			for _, s := range []string{it.MeterID, it.MeterName, it.PartNumber, it.UnitOfMeasure, it.Currency} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
			}
			if it.Currency != strings.TrimSpace(it.Currency) {
				t.Fatalf("currency %q not trimmed", it.Currency)
			}
		}
	})
}

func FuzzJWTExpiry(f *testing.F) {
	for _, seed := range []string{
		testKey, "eyJ0eXAiOiJKV1QifQ.eyJleHAiOiIxNzM1Njg5NjAwIn0=.x", "a.b.c", "opaque", "..", "a.eyJleHAiOjFlMzAwfQ.c",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		exp, ok := jwtExpiry(key)
		if ok && (exp.Unix() <= 0 || exp.Year() > 9999) {
			t.Fatalf("implausible expiry %v", exp)
		}
	})
}
