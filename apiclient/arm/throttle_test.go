package arm

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const balancesPath = accountPath + "/providers/Microsoft.Consumption/balances"

func TestThrottledRetriesHonourCostManagementHeaders(t *testing.T) {
	for _, header := range []string{
		"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after",
		"x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after",
		"x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after",
		"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after",
	} {
		t.Run(header, func(t *testing.T) {
			f := newFakeARM(t)
			var calls atomic.Int32
			f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set(header, "17")
					writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"429","message":"Too many requests. Please retry."}}`)
					return
				}
				writeJSON(w, http.StatusOK, `{"properties":{"currency":"USD","totalUsage":1}}`)
			})
			env := newTestEnv(t, f)
			b, err := env.c.BalanceSummary(context.Background(), "")
			if err != nil || b == nil || b.TotalUsage != 1 {
				t.Fatalf("%+v, %v", b, err)
			}
			if slept := env.clock.Slept(); !slices.Equal(slept, []time.Duration{17 * time.Second}) {
				t.Errorf("waited %v, want the header's 17s", slept)
			}
			if !slices.Equal(env.obs.retries, []string{"balance_summary/throttled"}) {
				t.Errorf("retries observed %q", env.obs.retries)
			}
			if env.obs.requests[apiclient.EndpointBalanceSummary] != 2 {
				t.Errorf("requests observed %v", env.obs.requests)
			}
		})
	}
}

func TestQuotaHeadersObserved(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests", "DefaultQuota:3")
		w.Header().Set("x-ms-ratelimit-microsoft.costmanagement-qpu-remaining", "QueriesPerHour:577,QueriesPerMin:59")
		w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-clienttype-requests", "12")
		w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-tenant-requests", "Bad Name:1,Quota:-2,Other:x")
		w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "11999")
		writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
	})
	env := newTestEnv(t, f)
	if _, err := env.c.BalanceSummary(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"balance_summary entity-requests/DefaultQuota": 3,
		"balance_summary qpu/QueriesPerHour":           577,
		"balance_summary qpu/QueriesPerMin":            59,
		"balance_summary clienttype-requests":          12,
	}
	if len(env.obs.quotas) != len(want) {
		t.Errorf("quotas %v, want %v", env.obs.quotas, want)
	}
	for k, v := range want {
		if got, ok := env.obs.quotas[k]; !ok || got != v {
			t.Errorf("quota %s = %v (%v), want %v", k, got, ok, v)
		}
	}
	if ct := f.seenClientTypes(); len(ct) != 1 || ct[0] != "azure-ea-exporter" {
		t.Errorf("ClientType headers %q", ct)
	}
}

// A throttled answer reports its quota too: at 0, while every call is
// refused, the remaining quota must not stay at the last successful
// answer's value.
func TestThrottledAnswerReportsItsQuota(t *testing.T) {
	f := newFakeARM(t)
	var n atomic.Int32
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests", "DefaultQuota:5")
			writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
			return
		}
		w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests", "DefaultQuota:0")
		w.Header().Set("x-ms-ratelimit-microsoft.costmanagement-entity-retry-after", "1")
		writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"429","message":"Too many requests."}}`)
	})
	env := newTestEnv(t, f)
	ctx := context.Background()
	if _, err := env.c.BalanceSummary(ctx, ""); err != nil {
		t.Fatal(err)
	}
	const key = "balance_summary entity-requests/DefaultQuota"
	if got := env.obs.quotas[key]; got != 5 {
		t.Fatalf("quota after a success %v, want 5", got)
	}
	if _, err := env.c.BalanceSummary(ctx, ""); err == nil {
		t.Fatal("a call throttled at every attempt succeeded")
	}
	if got := env.obs.quotas[key]; got != 0 {
		t.Errorf("quota %v while the API says 0 and throttles", got)
	}
}

func TestQuotaNamesBounded(t *testing.T) {
	obs := &recorder{}
	q := newQuotaReporter(obs)
	for i := range 100 {
		h := http.Header{}
		h.Set(quotaPrefix+"entity-requests", "Q"+strings.Repeat("x", i%70)+":1")
		q.observe("e", h)
	}
	if n := len(obs.quotas); n > maxQuotaNames {
		t.Errorf("%d quota names reported, more than %d", n, maxQuotaNames)
	}
	if newQuotaReporter(apiclient.NopObserver{}).obs != nil {
		t.Error("an observer without ObserveQuota was given quotas")
	}
}

func TestPacingPerScope(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
	})
	f.handle("GET "+accountPath+"/departments/7"+budgetsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"value":[]}`)
	})
	env := newTestEnv(t, f, func(c *Config) { c.ScopeInterval = 2 * time.Second })
	ctx := context.Background()
	for range 3 {
		if _, err := env.c.BalanceSummary(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	if slept := env.clock.Slept(); !slices.Equal(slept, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("waits %v, want 2s between calls to one scope", slept)
	}
	// Another scope has its own pace.
	if _, err := env.c.listBudgets(ctx, accountPath+"/departments/7", budgetScope{scopeDepartment, "7"}); err != nil {
		t.Fatal(err)
	}
	if n := len(env.clock.Slept()); n != 2 {
		t.Errorf("a call to another scope waited: %v", env.clock.Slept())
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		want       error
		wantMsg    string
	}{
		{"no billing role", `{"error":{"code":"401","message":"No claims present for the caller in the system."}}`, 401,
			apiclient.ErrUnauthorized, "HTTP 401: access token rejected: expired, or for another tenant?: 401: No claims present for the caller in the system. (no EA billing role? The service principal needs EnrollmentReader on the enrollment; DepartmentReader is not enough)"},
		{"bad request", `{"error":{"code":"BadRequest","message":"Invalid billing period."}}`, 400, apiclient.ErrBadRequest, "BadRequest: Invalid billing period."},
		{"long message", `{"error":{"code":"X","message":"` + strings.Repeat("very long ", 100) + `"}}`, 403, nil, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeARM(t)
			f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.code, tt.body) })
			env := newTestEnv(t, f)
			_, err := env.c.BalanceSummary(context.Background(), "")
			var se *apiclient.StatusError
			if !errors.As(err, &se) || se.Code != tt.code || se.Endpoint != apiclient.EndpointBalanceSummary {
				t.Fatalf("err %#v, want a StatusError %d", err, tt.code)
			}
			if (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.wantMsg) || len(se.Message) > 1000 {
				t.Errorf("err %q, want %v with %q", err, tt.want, tt.wantMsg)
			}
		})
	}
}

func TestUnauthorizedTokenIsRenewed(t *testing.T) {
	f := newFakeARM(t)
	var calls atomic.Int32
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"ExpiredAuthenticationToken","message":"The access token expiry has passed."}}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
	})
	cred := &countingCredential{}
	env := newTestEnv(t, f, func(c *Config) { c.Credential = cred })
	ctx := context.Background()
	if _, err := env.c.BalanceSummary(ctx, ""); !errors.Is(err, apiclient.ErrUnauthorized) {
		t.Fatalf("err %v, want ErrUnauthorized", err)
	}
	if _, err := env.c.BalanceSummary(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := env.c.BalanceSummary(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if n := cred.calls.Load(); n != 2 {
		t.Errorf("%d tokens asked for, want one more after the 401 and none after", n)
	}
	if n, _ := f.tokens(); n != 0 {
		t.Errorf("the injected credential was bypassed: %d token requests", n)
	}
}

// countingCredential is an injected credential that counts its tokens.
type countingCredential struct{ calls atomic.Int32 }

func (c *countingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}
