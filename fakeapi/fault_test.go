package fakeapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFaultsReplaceTheAnswer(t *testing.T) {
	f := newFixture(t, Options{})
	f.s.SetRetryAfter(7)
	path := enr("v3") + "/billingPeriods/202610/pricesheet"
	for _, tc := range []struct {
		fault  Fault
		status int
		header [2]string // a header and its value
		body   string    // a substring of the body
	}{
		{FaultThrottle, 429, [2]string{"x-ms-ratelimit-microsoft.consumption-retry-after", "7"}, `"code":"429"`},
		{FaultUnavailable, 503, [2]string{"Retry-After", "7"}, `"code":"503"`},
		{FaultServerError, 500, [2]string{"Content-Type", jsonType}, `{"error":{"code":"500","message":"DB didn't`},
		{FaultGarbage, 200, [2]string{"Content-Type", "text/html; charset=utf-8"}, "<!DOCTYPE html>"},
		{FaultUnauthorized, 401, [2]string{}, `"code":"401"`},
		{FaultNoData400, 400, [2]string{}, `"code":"400"`},
		{FaultNoData404, 404, [2]string{}, `"code":"404"`},
		{FaultUsageDataExtract, 200, [2]string{}, `"Usage Data Extract"`},
		{FaultWrongContentType, 200, [2]string{"Content-Type", "text/html; charset=utf-8"}, `"currencyCode":"USD"`},
	} {
		f.s.Inject(RoutePriceSheet, tc.fault)
		r := f.get(path)
		if r.status != tc.status || (tc.header[0] != "" && r.header.Get(tc.header[0]) != tc.header[1]) ||
			!strings.Contains(string(r.body), tc.body) {
			t.Errorf("%v: %d %v %.120s", tc.fault, r.status, r.header, r.body)
		}
		if tc.fault == FaultUsageDataExtract && !strings.HasPrefix(string(r.body), `"Usage Data Extract"`) {
			t.Errorf("usage data extract body %q", r.body)
		}
		if r := f.get(path); r.status != 200 || r.header.Get("Content-Type") != jsonType {
			t.Errorf("after %v: %d", tc.fault, r.status)
		}
	}
	if got := f.s.Stats().FaultsInjected; got != 9 {
		t.Errorf("FaultsInjected %d", got)
	}
}

func TestInjectAppliesInOrderToOneRoute(t *testing.T) {
	f := newFixture(t, Options{})
	f.s.Inject(RouteBalanceSummary, FaultThrottle, FaultNone, FaultServerError)
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, f.get(enr("v3")+"/balancesummary").status)
		if r := f.get(enr("v3") + "/pricesheet"); r.status != 200 {
			t.Errorf("another route got %d", r.status)
		}
	}
	if want := []int{429, 200, 500, 200}; !equalInts(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultTimeout(t *testing.T) {
	f := newFixture(t, Options{})
	path := f.ts.URL + enr("v3") + "/pricesheet"
	// A client that gives up before the stall ends.
	f.s.SetFaultDelay(time.Minute)
	f.s.Inject(RoutePriceSheet, FaultTimeout)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "bearer "+f.s.Key())
	start := time.Now()
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("no timeout")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	// A patient client gets the answer after the delay.
	f.s.SetFaultDelay(50 * time.Millisecond)
	f.s.Inject(RoutePriceSheet, FaultTimeout)
	start = time.Now()
	if r := f.get(path); r.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("patient client: %d after %v", r.status, time.Since(start))
	}
}

func TestFaultSlowBody(t *testing.T) {
	f := newFixture(t, Options{PriceSheetMeters: 2000})
	path := f.ts.URL + enr("v3") + "/pricesheet"
	f.s.SetFaultDelay(80 * time.Millisecond)
	normal := f.get(path)
	f.s.Inject(RoutePriceSheet, FaultSlowBody)
	start := time.Now()
	slow := f.get(path)
	if slow.status != 200 || slow.err != nil || string(slow.body) != string(normal.body) || time.Since(start) < 80*time.Millisecond {
		t.Errorf("slow body: %d %v, %d bytes after %v", slow.status, slow.err, len(slow.body), time.Since(start))
	}
	// A client with a short deadline fails while reading the body.
	f.s.SetFaultDelay(time.Minute)
	f.s.Inject(RoutePriceSheet, FaultSlowBody)
	client := &http.Client{Timeout: 150 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "bearer "+f.s.Key())
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("headers should arrive: %v", err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("body read did not time out")
	}
}

func TestFaultTruncated(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 100, PageSize: 1000})
	for _, path := range []string{
		enr("v3") + "/balancesummary",                             // small, whole body at hand
		enr("v3") + "/usagedetails",                               // streamed in chunks
		enr("v3") + "/usagedetails/download?billingPeriod=202610", // CSV
	} {
		route := RouteBalanceSummary
		switch {
		case strings.Contains(path, "download"):
			route = RouteUsageDownload
		case strings.Contains(path, "usage"):
			route = RouteUsageDetails
		}
		f.s.Inject(route, FaultTruncated)
		r := f.get(path)
		if r.status != 200 || !errors.Is(r.err, io.ErrUnexpectedEOF) || len(r.body) == 0 {
			t.Errorf("%s: %d %v after %d bytes", path, r.status, r.err, len(r.body))
		}
		if r := f.get(path); r.err != nil {
			t.Errorf("%s after the fault: %v", path, r.err)
		}
	}
}

func TestNextLinkFaults(t *testing.T) {
	foreign := httptest.NewServer(http.NotFoundHandler())
	defer foreign.Close()
	f := newFixture(t, Options{RowsPerDay: 10, PageSize: 25})
	f.s.SetForeignBaseURL(foreign.URL)
	path := enr("v3") + "/billingPeriods/202610/usagedetails?foo=Bar"
	first := func(fault Fault) usagePage {
		f.s.Inject(RouteUsageDetails, fault)
		var p usagePage
		decodeJSON(t, f.mustGet(path).body, &p)
		return p
	}
	normal := first(FaultNone)
	if normal.NextLink == nil || !strings.HasPrefix(*normal.NextLink, f.ts.URL+enr("v3")+"/billingPeriods/202610/usagedetails?foo=Bar&skiptoken=") {
		t.Fatalf("nextLink %v", normal.NextLink)
	}
	if p := first(FaultRepeatNextLink); p.NextLink == nil || *p.NextLink != f.ts.URL+path {
		t.Errorf("repeat: %v", p.NextLink)
	}
	if p := first(FaultForeignNextLink); p.NextLink == nil || !strings.HasPrefix(*p.NextLink, foreign.URL+"/") {
		t.Errorf("foreign: %v", p.NextLink)
	}
	if p := first(FaultEmptyNextLink); p.NextLink == nil || *p.NextLink != "" || len(p.Data) != 25 {
		t.Errorf("empty: %v", p.NextLink)
	}
	// The default foreign host is a loopback address where nothing listens.
	g := newFixture(t, Options{RowsPerDay: 10, PageSize: 25})
	g.s.Inject(RouteUsageDetails, FaultForeignNextLink)
	var p usagePage
	decodeJSON(t, g.mustGet(path).body, &p)
	if p.NextLink == nil || !strings.HasPrefix(*p.NextLink, "http://127.0.0.2:9/") {
		t.Errorf("default foreign: %v", p.NextLink)
	}
	// A foreign reportUrl.
	f.s.Inject(RouteUsageSubmit, FaultForeignNextLink)
	if st := f.submit("billingPeriod=202610"); !strings.HasPrefix(st.ReportURL, foreign.URL+"/") {
		t.Errorf("foreign reportUrl %q", st.ReportURL)
	}
}

func TestFaultsOnTheBlobRoute(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 3})
	f.s.SetReportStates(3)
	st := f.submit("billingPeriod=202611")
	blob := f.poll(st.ReportURL).BlobPath
	f.s.Inject(RouteBlob, FaultUnavailable, FaultTruncated)
	noAuth := map[string]string{"Authorization": ""}
	if r := f.do(http.MethodGet, blob, noAuth); r.status != 503 {
		t.Errorf("blob 503: %d", r.status)
	}
	if r := f.do(http.MethodGet, blob, noAuth); !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("blob truncated: %v", r.err)
	}
	if r := f.do(http.MethodGet, blob, noAuth); r.status != 200 || r.err != nil {
		t.Errorf("blob: %d %v", r.status, r.err)
	}
}

func TestBodyFaultsOnReportRoutes(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 3})
	f.s.Inject(RouteUsageSubmit, FaultWrongContentType)
	r := f.do(http.MethodPost, enr("v3")+"/usagedetails/submit?billingPeriod=202611", nil)
	if r.status != 202 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("submit: %d %q", r.status, r.header.Get("Content-Type"))
	}
	var st reportStatus
	decodeJSON(t, r.body, &st)
	f.s.Inject(RouteReportStatus, FaultTruncated)
	if r := f.get(st.ReportURL); !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("poll: %v", r.err)
	}
	if p := f.poll(st.ReportURL); p.Status != 2 {
		t.Errorf("second poll: status %d", p.Status)
	}
}

func TestRandomFaults(t *testing.T) {
	f := newFixture(t, Options{})
	f.s.SetRandomFaults(1, []Fault{FaultThrottle, FaultUnavailable})
	for i := 0; i < 10; i++ {
		if r := f.get(enr("v3") + "/pricesheet"); r.status != 429 && r.status != 503 {
			t.Fatalf("rate 1: %d", r.status)
		}
	}
	f.s.SetRandomFaults(0.3, []Fault{FaultServerError})
	faulted := 0
	for i := 0; i < 200; i++ {
		if f.get(enr("v2")+"/billingperiods").status == 500 {
			faulted++
		}
	}
	if faulted < 30 || faulted > 90 {
		t.Errorf("rate 0.3: %d of 200 faulted", faulted)
	}
	f.s.SetRandomFaults(0, nil)
	if r := f.get(enr("v3") + "/pricesheet"); r.status != 200 {
		t.Errorf("off: %d", r.status)
	}
	if got := f.s.Stats().FaultsInjected; got != 10+faulted {
		t.Errorf("FaultsInjected %d, want %d", got, 10+faulted)
	}
}

func TestFaultNames(t *testing.T) {
	seen := map[string]bool{}
	for _, fl := range AllFaults() {
		n := fl.String()
		if n == "" || seen[n] || strings.HasPrefix(n, "fault(") {
			t.Errorf("fault %d name %q", int(fl), n)
		}
		seen[n] = true
	}
	if len(seen) != 15 || Fault(99).String() != "fault(99)" {
		t.Errorf("%d names", len(seen))
	}
}
