package transport

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-kit/log"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func TestForeignHostRefused(t *testing.T) {
	foreign, foreignScript := serve(t, ok)
	home, _ := serve(t, ok)
	tc := newTestClient(t, home.URL, nil)
	var buf bytes.Buffer
	_, err := tc.Do(context.Background(), Request{Endpoint: "usage_details", URL: foreign.URL + "/next?token=abc",
		Auth: bearer(testKey)}, &buf)
	if !errors.Is(err, apiclient.ErrForeignHost) || strings.Contains(err.Error(), foreign.URL) {
		t.Fatalf("err %v", err)
	}
	if foreignScript.count() != 0 {
		t.Errorf("foreign server got %d requests", foreignScript.count())
	}
	if _, _, refused := tc.rec.snapshot(); len(refused) != 1 || refused[0] != "usage_details" {
		t.Errorf("refused %v", refused)
	}
}

func TestNoCredentialWithoutAuth(t *testing.T) {
	srv, script := serve(t, ok)
	tc := newTestClient(t, srv.URL, nil)
	var buf bytes.Buffer
	if _, err := tc.Do(context.Background(), Request{Endpoint: "usage_blob", URL: srv.URL + "/blob?sig=x"}, &buf); err != nil {
		t.Fatal(err)
	}
	if got := script.authHeaders(); len(got) != 1 || got[0] != "" {
		t.Errorf("Authorization sent: %q", got)
	}
}

func TestOriginComparison(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"https://consumption.azure.com", "https://consumption.azure.com:443/v3/x", true},
		{"https://Consumption.Azure.com", "https://consumption.azure.com/", true},
		{"http://127.0.0.1:80", "http://127.0.0.1/", true},
		{"https://consumption.azure.com", "http://consumption.azure.com", false},
		{"https://consumption.azure.com", "https://consumption.azure.com:8443", false},
		{"https://consumption.azure.com", "https://evil.consumption.azure.com", false},
		{"https://consumption.azure.com", "https://consumption.azure.com.evil.com", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := originOf(a) == originOf(b); got != tt.same {
			t.Errorf("same origin(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}

func TestRedirects(t *testing.T) {
	foreign, foreignScript := serve(t, ok)
	var home *httptest.Server
	home, homeScript := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, foreign.URL+"/landing", http.StatusFound)
		case "/home":
			http.Redirect(w, r, home.URL+"/landing", http.StatusFound)
		default:
			ok(w, r)
		}
	})
	tc := newTestClient(t, home.URL, nil)
	if _, err := tc.get(context.Background(), home.URL, "/away"); err != nil {
		t.Fatal(err)
	}
	if got := foreignScript.authHeaders(); len(got) != 1 || got[0] != "" {
		t.Errorf("foreign host received Authorization %q", got)
	}
	if _, err := tc.get(context.Background(), home.URL, "/home"); err != nil {
		t.Fatal(err)
	}
	got := homeScript.authHeaders()
	if len(got) != 3 || got[2] != "bearer "+testKey {
		t.Errorf("same-origin redirect lost the key: %q", got)
	}
}

// TestRedirectToOtherPortStripsKey: net/http alone keeps Authorization for
// the same host name on another port.
func TestRedirectToOtherPortStripsKey(t *testing.T) {
	other, otherScript := serve(t, ok)
	otherURL, _ := url.Parse(other.URL)
	home, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+otherURL.Port()+"/x", http.StatusTemporaryRedirect)
	})
	tc := newTestClient(t, home.URL, nil)
	if _, err := tc.get(context.Background(), home.URL, "/x"); err != nil {
		t.Fatal(err)
	}
	if got := otherScript.authHeaders(); len(got) != 1 || got[0] != "" {
		t.Errorf("other port received Authorization %q", got)
	}
}

func TestEchoedSecretsScrubbed(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"code":"400","message":"bad key ` + r.Header.Get("Authorization") +
			` for ` + r.URL.String() + ` query ` + r.URL.RawQuery + `"}}`))
	}
	srv, _ := serve(t, echo)
	var logged bytes.Buffer
	tc := newTestClient(t, srv.URL, func(c *Config) { c.Logger = log.NewLogfmtLogger(&logged) })
	_, err := tc.get(context.Background(), srv.URL, "/v3/x?skiptoken=SKIPTOKENVALUE")
	var se *apiclient.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err %v", err)
	}
	for _, secret := range []string{testKey, "SKIPTOKENVALUE"} {
		if strings.Contains(err.Error(), secret) || strings.Contains(logged.String(), secret) {
			t.Errorf("%q leaked: error %q, log %q", secret, err, logged.String())
		}
	}
	if !strings.Contains(se.Message, "[redacted]") {
		t.Errorf("message %q", se.Message)
	}
	if !strings.Contains(logged.String(), "endpoint=billing_periods") || !strings.Contains(logged.String(), "status=400") {
		t.Errorf("debug log lacks the request: %q", logged.String())
	}
}

func TestMessageSanitised(t *testing.T) {
	long := strings.Repeat("é", 500)
	tests := []struct{ body, contentType, want string }{
		{long, "text/plain", strings.Repeat("é", maxMessageRunes) + "…"},
		{"line1\n\tline2\x00\x07", "text/plain", "line1 line2"},
		{"\xff\xfebad utf8", "text/plain", "\uFFFDbad utf8"},
		{`{"message":"top-level"}`, "application/json", "top-level"},
		{`{"error":{"message":"no code"}}`, "application/json", "no code"},
		{"<!DOCTYPE html><p>x</p>", "", "HTML error page"},
		{"plain", "text/html; charset=utf-8", "HTML error page"},
	}
	for _, tt := range tests {
		if got := apiMessage([]byte(tt.body), tt.contentType, "", ""); got != tt.want {
			t.Errorf("apiMessage(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
