package arm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/redact"
)

// escapingSecret is a client secret with the characters a form body
// escapes, as older (base64) Entra ID secrets have.
const escapingSecret = "ARM+CLIENT/SECRET+Q8~value=DoNotLeak0123"

// TestTokenErrorRedactsEchoedSecret: an Entra ID error that echoed a part
// of the client secret, or the secret as the token request's form body
// carries it (client_secret=ARM%2BCLIENT...), reached errors and logs: only
// the whole literal secret was redacted.
func TestTokenErrorRedactsEchoedSecret(t *testing.T) {
	query := url.QueryEscape(escapingSecret)
	if query == escapingSecret {
		t.Fatal("the test secret does not exercise escaping")
	}
	tests := []struct {
		name string
		// redacted is whether the message kept holds an echo to redact:
		// for a body that is not Entra's JSON, only azidentity's first
		// line is kept.
		redacted bool
		// echo writes the token endpoint's refusal from the request's raw
		// form body.
		echo func(w http.ResponseWriter, body string)
	}{
		{"form body in the description", true, func(w http.ResponseWriter, body string) {
			writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":"AADSTS900144: bad request body: `+body+`"}`)
		}},
		{"escaped prefix in the description", true, func(w http.ResponseWriter, body string) {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: `+query[:20]+`..."}`)
		}},
		{"prefix in the description", true, func(w http.ResponseWriter, body string) {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: `+escapingSecret[:18]+`..."}`)
		}},
		{"form body as plain text", false, func(w http.ResponseWriter, body string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "rejected: "+body)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			authority := newEchoingAuthority(t, tt.echo)
			f := newFakeARM(t)
			env := newTestEnv(t, f, func(c *Config) {
				c.AuthorityHost = authority.URL
				c.ClientSecretFile = writeSecretFile(t, escapingSecret)
				c.HTTPClient = trustingBoth(f, authority)
			})
			_, err := env.c.BalanceSummary(context.Background(), "")
			var se *apiclient.StatusError
			if !errors.As(err, &se) || se.Endpoint != apiclient.EndpointToken {
				t.Fatalf("err %v, want the token endpoint's refusal", err)
			}
			if tt.redacted != strings.Contains(err.Error(), redact.Placeholder) {
				t.Errorf("err %q: redacted %v, want %v", err, !tt.redacted, tt.redacted)
			}
			checkNoSecretPiece(t, "the error", err.Error())
			checkNoSecretPiece(t, "the log", env.logs.String())
		})
	}
}

// TestDefaultChainRedactsTheEnvironmentSecret: the default chain's
// environment credential sends AZURE_CLIENT_SECRET, which an echoing
// authority must not get into errors or logs either.
func TestDefaultChainRedactsTheEnvironmentSecret(t *testing.T) {
	authority := newEchoingAuthority(t, func(w http.ResponseWriter, body string) {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: `+body+`"}`)
	})
	f := newFakeARM(t)
	t.Setenv("AZURE_TENANT_ID", testTenant)
	t.Setenv("AZURE_CLIENT_ID", testClient)
	t.Setenv("AZURE_CLIENT_SECRET", escapingSecret)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
	env := newTestEnv(t, f, func(c *Config) {
		c.TenantID, c.ClientID, c.ClientSecretFile = "", "", ""
		c.AuthorityHost = authority.URL
		c.HTTPClient, c.getenv = trustingBoth(f, authority), nil
	})
	_, err := env.c.BalanceSummary(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), redact.Placeholder) {
		t.Fatalf("err %v, want the token endpoint's refusal with the echo redacted", err)
	}
	checkNoSecretPiece(t, "the error", err.Error())
	checkNoSecretPiece(t, "the log", env.logs.String())
}

// newEchoingAuthority serves Entra ID's metadata, and refuses every token
// request with echo.
func newEchoingAuthority(t *testing.T, echo func(w http.ResponseWriter, body string)) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration") {
			base := srv.URL + "/" + testTenant
			writeJSON(w, http.StatusOK, `{"authorization_endpoint":"`+base+`/oauth2/v2.0/authorize","token_endpoint":"`+
				base+`/oauth2/v2.0/token","issuer":"`+base+`/v2.0"}`)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		if !strings.Contains(string(body), "client_secret=") {
			t.Errorf("token request without a client secret: %s", r.URL.Path)
		}
		echo(w, string(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func trustingBoth(f *fakeARM, authority *httptest.Server) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range []*x509.Certificate{f.mgmt.Certificate(), f.blobs.Certificate(), authority.Certificate()} {
		pool.AddCert(c)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// checkNoSecretPiece fails when s holds a run of redact.MinPiece characters
// of escapingSecret, as sent or URL-escaped.
func checkNoSecretPiece(t *testing.T, what, s string) {
	t.Helper()
	for _, form := range []string{escapingSecret, url.QueryEscape(escapingSecret), url.PathEscape(escapingSecret)} {
		for i := 0; i+redact.MinPiece <= len(form); i++ {
			if piece := form[i : i+redact.MinPiece]; strings.Contains(s, piece) {
				t.Errorf("%s holds %q of the secret: %s", what, piece, s)
				break
			}
		}
	}
}

func TestShortenRedactsSecretForms(t *testing.T) {
	query, path := url.QueryEscape(escapingSecret), url.PathEscape(escapingSecret)
	for _, in := range []string{
		"secret " + escapingSecret,
		"client_secret=" + query + "&scope=x",
		"/s/" + path,
		"cut " + query[:redact.MinPiece+2],
		"split " + escapingSecret[:20] + "\n" + escapingSecret[20:],
	} {
		got := shorten(in, escapingSecret)
		checkNoSecretPiece(t, "shorten("+in+")", got)
		if !strings.Contains(got, redact.Placeholder) || strings.ContainsAny(got, "\n") {
			t.Errorf("shorten(%q) = %q", in, got)
		}
	}
	if got := shorten("no secret here", ""); got != "no secret here" {
		t.Errorf("shorten without a secret = %q", got)
	}
}
