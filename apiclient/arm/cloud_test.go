package arm

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// hostRecorder sends requests to one host only and records every host asked
// for, so that a request meant for Entra's public cloud fails here instead
// of leaving the machine.
type hostRecorder struct {
	allowed string
	next    http.RoundTripper

	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	if r.URL.Host != h.allowed {
		return nil, errors.New("test: refused a request to " + r.URL.Host)
	}
	return h.next.RoundTrip(r)
}

// Without a named cloud the default chain authenticates at
// AZURE_AUTHORITY_HOST, as azidentity does, and the credential and the
// token go nowhere but that host and the management endpoint.
func TestAuthorityFromTheEnvironmentWithoutANamedCloud(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
	})
	t.Setenv("AZURE_TENANT_ID", testTenant)
	t.Setenv("AZURE_CLIENT_ID", testClient)
	t.Setenv("AZURE_CLIENT_SECRET", testSecret)
	t.Setenv("AZURE_AUTHORITY_HOST", f.mgmt.URL)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
	u, _ := url.Parse(f.mgmt.URL)
	rec := &hostRecorder{allowed: u.Host, next: trustingClient(f).Transport}
	env := newTestEnv(t, f, func(c *Config) {
		c.TenantID, c.ClientID, c.ClientSecretFile, c.AuthorityHost, c.Cloud = "", "", "", "", ""
		c.HTTPClient, c.getenv = &http.Client{Transport: rec}, nil
	})
	if _, err := env.c.BalanceSummary(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, h := range rec.hosts {
		if h != u.Host {
			t.Errorf("a request went to %s, not to AZURE_AUTHORITY_HOST and the management endpoint %s", h, u.Host)
		}
	}
	if calls, _ := f.tokens(); calls != 1 {
		t.Errorf("%d token requests at AZURE_AUTHORITY_HOST, want 1", calls)
	}
}
