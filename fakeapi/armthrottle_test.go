package fakeapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestCostManagementQuotaHeaders(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	f.s.SetARMQuota(5, false)
	report := f.account() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01"
	var remaining []string
	for i := 0; i < 7; i++ {
		r := f.do(http.MethodPost, report, "", nil)
		if r.status != 202 || r.header.Get("x-ms-ratelimit-microsoft.costmanagement-qpu-consumed") != "1" ||
			!strings.HasPrefix(r.header.Get("x-ms-ratelimit-microsoft.costmanagement-qpu-remaining"), "QueriesPerHour:") {
			t.Fatalf("call %d: %d %v", i, r.status, r.header)
		}
		remaining = append(remaining, r.header.Get(HeaderCostManagementRemaining))
	}
	want := "DefaultQuota:4 DefaultQuota:3 DefaultQuota:2 DefaultQuota:1 DefaultQuota:0 DefaultQuota:0 DefaultQuota:0"
	if got := strings.Join(remaining, " "); got != want {
		t.Errorf("remaining %s", got)
	}
	// A ClientType has its own bucket; Consumption answers carry no quota.
	r := f.do(http.MethodGet, f.account()+"/providers/Microsoft.CostManagement/budgets?api-version=2023-11-01", "",
		map[string]string{"ClientType": "exporter"})
	if r.header.Get(HeaderCostManagementRemaining) != "DefaultQuota:4" || r.header.Get("x-ms-ratelimit-microsoft.costmanagement-qpu-consumed") != "" {
		t.Errorf("ClientType bucket: %v", r.header)
	}
	if r := f.get(f.account() + "/providers/Microsoft.Consumption/balances?api-version=2023-05-01"); r.header.Get(HeaderCostManagementRemaining) != "" {
		t.Errorf("Consumption answer with a Cost Management quota: %v", r.header)
	}
}

func TestCostManagementQuotaEnforced(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	f.s.SetARMQuota(2, true)
	f.s.SetARMThrottleHeader(HeaderCostManagementTenantRetryAfter)
	loc := f.startReport("")
	if r := f.get(loc); r.status != 202 {
		t.Fatalf("second call: %d", r.status)
	}
	r := f.get(loc)
	wait, err := strconv.Atoi(r.header.Get(HeaderCostManagementTenantRetryAfter))
	if r.status != 429 || err != nil || wait < 1 || wait > 60 || r.header.Get("Retry-After") != "" ||
		r.header.Get(HeaderCostManagementRemaining) != "DefaultQuota:0" {
		t.Fatalf("third call: %d %v %s", r.status, r.header, r.body)
	}
	// The throttled poll did not consume the operation's 202.
	f.s.SetARMQuota(2, false)
	if r := f.get(loc); r.status != 200 {
		t.Errorf("after the quota: %d", r.status)
	}
	if st := f.s.Stats(); st.ARMThrottled != 1 || st.FaultsInjected != 0 {
		t.Errorf("throttled %d, faults %d", st.ARMThrottled, st.FaultsInjected)
	}
}

func TestARMFaults(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	f.s.SetRetryAfter(9)
	report := f.account() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01"
	balances := f.account() + "/providers/Microsoft.Consumption/balances?api-version=2023-05-01"
	tenant, _, _ := f.s.ARMCredentials()
	for _, tc := range []struct {
		route        Route
		method, path string
		fault        Fault
		status       int
		header       [2]string
		body         string
	}{
		{RouteARMCostReport, "POST", report, FaultThrottle, 429, [2]string{HeaderCostManagementEntityRetryAfter, "9"}, `"code":"429"`},
		{RouteARMBalance, "GET", balances, FaultThrottle, 429, [2]string{HeaderConsumptionRetryAfter, "9"}, `"code":"429"`},
		{RouteARMMetadata, "GET", "/" + tenant + "/v2.0/.well-known/openid-configuration", FaultThrottle, 429, [2]string{"Retry-After", "9"}, `"error":"temporarily_unavailable"`},
		{RouteARMCostReport, "POST", report, FaultUnavailable, 503, [2]string{"Retry-After", "9"}, `"code":"ServiceUnavailable"`},
		{RouteARMBalance, "GET", balances, FaultServerError, 500, [2]string{"Content-Type", jsonType}, `"code":"InternalServerError"`},
		{RouteARMBalance, "GET", balances, FaultUnauthorized, 401, [2]string{"WWW-Authenticate", ""}, `"code":"InvalidAuthenticationToken"`},
		{RouteARMBudgets, "GET", f.account() + "/providers/Microsoft.Consumption/budgets?api-version=2023-05-01", FaultNoData404, 404, [2]string{}, `"code":"NotFound"`},
		{RouteARMBalance, "GET", balances, FaultGarbage, 200, [2]string{"Content-Type", "text/html; charset=utf-8"}, "<!DOCTYPE html>"},
		{RouteARMBalance, "GET", balances, FaultWrongContentType, 200, [2]string{"Content-Type", "text/html; charset=utf-8"}, `"currency":"USD  "`},
		{RouteARMCostReport, "POST", report, FaultForeignNextLink, 202, [2]string{"Location", "http://127.0.0.2:9/providers/"}, ""},
	} {
		f.s.Inject(tc.route, tc.fault)
		r := f.do(tc.method, tc.path, "", nil)
		h := r.header.Get(tc.header[0])
		if r.status != tc.status || (tc.header[0] != "" && !strings.HasPrefix(h, tc.header[1])) || (tc.header[0] != "" && h == "") ||
			!strings.Contains(string(r.body), tc.body) {
			t.Errorf("%v on %s: %d %v %.120s", tc.fault, tc.route, r.status, r.header, r.body)
		}
		if tc.fault == FaultThrottle && tc.route == RouteARMCostReport && r.header.Get("Retry-After") != "" {
			t.Errorf("Cost Management 429 with Retry-After")
		}
		if r := f.do(tc.method, tc.path, "", nil); r.status >= 300 && r.status != 202 {
			t.Errorf("after %v: %d", tc.fault, r.status)
		}
	}
	if got := f.s.Stats().FaultsInjected; got != 10 {
		t.Errorf("FaultsInjected %d", got)
	}
}

func TestARMBodyFaults(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 50})
	m, _ := f.pollReport(f.startReport(`{"billingPeriod":"202610"}`))
	link := m.Manifest.Blobs[0].BlobLink
	f.s.Inject(RouteARMBlob, FaultTruncated)
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if readErr == nil {
		t.Error("truncated blob read without error")
	}
	if r := f.do(http.MethodGet, link, "", noAuth); r.status != 200 || int64(len(r.body)) != m.Manifest.Blobs[0].ByteCount {
		t.Errorf("blob after the fault: %d, %d bytes", r.status, len(r.body))
	}
}
