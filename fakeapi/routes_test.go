package fakeapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEveryRouteAnswers(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 3, PriceSheetMeters: 10})
	for _, tc := range []struct {
		path  string
		route Route
		shape byte // first byte of the body
	}{
		{"/v2/enrollments/8608480/billingperiods", RouteBillingPeriods, '['},
		{"/V2/Enrollments/8608480/BillingPeriods", RouteBillingPeriods, '['},
		{"/v1/enrollments/8608480/billingPeriods/", RouteBillingPeriods, '['},
		{"/v3/enrollments/8608480/balancesummary", RouteBalanceSummary, '['},
		{"/v2/enrollments/8608480/balanceSummary", RouteBalanceSummary, '['},
		{"/v3/enrollments/8608480/billingPeriods/202610/balancesummary", RouteBalanceSummary, '['},
		{"/v3/enrollments/8608480/billingperiods/202611/BalanceSummary", RouteBalanceSummary, '['},
		{"/v3/enrollments/8608480/usagedetails", RouteUsageDetails, '{'},
		{"/v2/enrollments/8608480/UsageDetails", RouteUsageDetails, '{'},
		{"/v1/enrollments/8608480/usagedetails", RouteUsageDetails, '{'},
		{"/v3/enrollments/8608480/billingPeriods/202610/usagedetails", RouteUsageDetails, '{'},
		{"/v3/enrollments/8608480/usagedetailsbycustomdate?startTime=2026-11-01&endTime=2026-11-02", RouteUsageDetails, '{'},
		{"/v3/enrollments/8608480/UsageDetailsByCustomDate?STARTTIME=2026-11-01&endtime=2026-11-02", RouteUsageDetails, '{'},
		{"/v3/enrollments/8608480/usagedetails/download?billingPeriod=202610", RouteUsageDownload, 'U'},
		{"/v2/enrollments/8608480/usagedetails/download?billingperiod=202610", RouteUsageDownload, 'U'},
		{"/v3/enrollments/8608480/usagedetails/download?startTime=2026-11-01&endTime=2026-11-10", RouteUsageDownload, 'U'},
		{"/v3/enrollments/8608480/marketplacecharges", RouteMarketplace, '['},
		{"/v2/enrollments/8608480/billingPeriods/202610/marketplacecharges", RouteMarketplace, '['},
		{"/v3/enrollments/8608480/marketplacechargesbycustomdate?startTime=2026-10-30&endTime=2026-11-02", RouteMarketplace, '['},
		{"/v3/enrollments/8608480/pricesheet", RoutePriceSheet, '['},
		{"/v2/enrollments/8608480/billingPeriods/202610/PriceSheet", RoutePriceSheet, '['},
		{"/v1/enrollments/8608480/pricesheet", RoutePriceSheet, '['},
	} {
		before := f.s.Stats().Requests[tc.route]
		r := f.get(tc.path)
		if r.status != 200 || len(r.body) == 0 || r.body[0] != tc.shape {
			t.Errorf("%s: %d %.80q", tc.path, r.status, r.body)
		}
		if r.header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", tc.path)
		}
		if got := f.s.Stats().Requests[tc.route]; got != before+1 {
			t.Errorf("%s: route %s counted %d -> %d", tc.path, tc.route, before, got)
		}
		if tc.shape != 'U' && !json.Valid(r.body) {
			t.Errorf("%s: invalid JSON", tc.path)
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	for _, p := range []string{"/", "/v3/enrollments/8608480", "/v4/enrollments/8608480/usagedetails",
		"/v3/enrollments/8608480/nothing", "/v3/enrollments/8608480/billingPeriods/202610/nothing",
		"/v3/departments/1/usagedetails", "/blob"} {
		if r := f.get(p); r.status != 404 {
			t.Errorf("%s: %d, want 404", p, r.status)
		}
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t, Options{})
	path := enr("v3") + "/balancesummary"
	key := f.s.Key()
	for _, tc := range []struct {
		name, header string
		want         int
	}{
		{"lower-case scheme", "bearer " + key, 200},
		{"capitalised scheme", "Bearer " + key, 200},
		{"upper-case scheme", "BEARER " + key, 200},
		{"missing", "", 401},
		{"no scheme", key, 401},
		{"basic", "Basic " + key, 401},
		{"unknown key", "bearer " + NewJWTKey(testNow.AddDate(0, 1, 0)), 401},
		{"key with a character changed", "bearer x" + key[1:], 401},
	} {
		h := map[string]string{"Authorization": tc.header}
		if r := f.do(http.MethodGet, path, h); r.status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.status, tc.want)
		}
	}
	if got := f.s.Stats().Unauthorized; got != 5 {
		t.Errorf("Unauthorized counted %d, want 5", got)
	}
}

func TestKeyLifecycle(t *testing.T) {
	exp := testNow.Add(time.Hour)
	old := NewJWTKey(exp)
	f := newFixture(t, Options{Keys: map[string]time.Time{old: exp}})
	path := enr("v3") + "/balancesummary"
	with := func(k string) int {
		return f.do(http.MethodGet, path, map[string]string{"Authorization": "bearer " + k}).status
	}
	if f.s.Key() != old || with(old) != 200 {
		t.Fatal("configured key not accepted")
	}
	f.clock.Set(exp)
	if with(old) != 401 {
		t.Error("expired key accepted")
	}
	fresh := NewJWTKey(time.Time{})
	f.s.AddKey(fresh, time.Time{})
	if with(fresh) != 200 || f.s.Key() != fresh {
		t.Error("added key not accepted or not preferred")
	}
	f.s.RevokeKey(fresh)
	if with(fresh) != 401 {
		t.Error("revoked key accepted")
	}
}

func TestNewJWTKey(t *testing.T) {
	exp := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	k := NewJWTKey(exp)
	if k == NewJWTKey(exp) {
		t.Error("two keys are equal")
	}
	if len(k) < 700 || len(k) > 820 || !strings.HasPrefix(k, "eyJ0eXAiOiJKV1Qi") {
		t.Errorf("key of %d chars: %.40s", len(k), k)
	}
	parts := strings.Split(k, ".")
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	var header struct{ Typ, Alg string }
	var payload struct {
		Exp int64 `json:"exp"`
	}
	for i, v := range []any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	if header.Typ != "JWT" || header.Alg != "RS256" || payload.Exp != exp.Unix() {
		t.Errorf("header %+v exp %d", header, payload.Exp)
	}
	var noExp map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(NewJWTKey(time.Time{}), ".")[1])
	if err := json.Unmarshal(raw, &noExp); err != nil || noExp["exp"] != nil {
		t.Errorf("key without expiry: %v %v", noExp, err)
	}
}

func TestDefaultKeyExpiresInSixMonths(t *testing.T) {
	f := newFixture(t, Options{})
	if r := f.get(enr("v3") + "/pricesheet"); r.status != 200 {
		t.Fatal(r.status)
	}
	f.clock.Set(testNow.Add(181 * 24 * time.Hour))
	if r := f.get(enr("v3") + "/pricesheet"); r.status != 401 {
		t.Errorf("after 181 days: %d", r.status)
	}
}

func TestValidation(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/v3/enrollments/1234567/usagedetails", 400},
		{"/v3/enrollments/1234567/billingperiods", 400},
		{enr("v3") + "/billingPeriods/2026-10/usagedetails", 400},
		{enr("v3") + "/billingPeriods/202613/usagedetails", 400},
		{enr("v3") + "/billingPeriods/abcdef/balancesummary", 400},
		{enr("v3") + "/billingPeriods/20261/pricesheet", 400},
		{enr("v3") + "/billingPeriods/202609/balancesummary", 404},
		{enr("v3") + "/usagedetailsbycustomdate", 400},
		{enr("v3") + "/usagedetailsbycustomdate?startTime=2026-11-01", 400},
		{enr("v3") + "/usagedetailsbycustomdate?startTime=2026-11-01&endTime=2026-11-1", 400},
		{enr("v3") + "/usagedetailsbycustomdate?startTime=11/01/2026&endTime=2026-11-02", 400},
		{enr("v3") + "/usagedetailsbycustomdate?startTime=2026-11-02&endTime=2026-11-01", 400},
		{enr("v3") + "/usagedetailsbycustomdate?startTime=2023-11-01&endTime=2026-11-01", 400},
		{enr("v3") + "/usagedetailsbycustomdate?startTime=2023-11-02&endTime=2026-11-01", 200},
		{enr("v3") + "/marketplacechargesbycustomdate?startTime=2026-11-02&endTime=2026-11-01", 400},
		{enr("v3") + "/usagedetails/download", 400},
		{enr("v3") + "/usagedetails/download?billingPeriod=26010", 400},
		{enr("v3") + "/usagedetails/download?startTime=2026-10-01&endTime=2026-11-01", 400},
		{enr("v3") + "/usagedetails/download?startTime=2026-10-01&endTime=2026-10-31", 200},
		{enr("v3") + "/usagedetails/reports/0123456789abcdef", 404},
	} {
		if r := f.get(tc.path); r.status != tc.want {
			t.Errorf("%s: %d, want %d (%s)", tc.path, r.status, tc.want, r.body)
		} else if tc.want == 400 {
			var e struct {
				Error struct{ Code, Message string }
			}
			decodeJSON(t, r.body, &e)
			if e.Error.Code != "400" || e.Error.Message == "" {
				t.Errorf("%s: error body %s", tc.path, r.body)
			}
		}
	}
}

func TestMethods(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, enr("v3") + "/usagedetails", 405},
		{http.MethodGet, enr("v3") + "/usagedetails/submit?billingPeriod=202610", 405},
		{http.MethodHead, enr("v3") + "/pricesheet", 200},
		{http.MethodDelete, enr("v3") + "/pricesheet", 405},
	} {
		if r := f.do(tc.method, tc.path, nil); r.status != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, r.status, tc.want)
		}
	}
}
