package arm

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// An authority that cannot be reached did not judge the credential: the
// error says the authority is unreachable, is not ErrUnauthorized, and
// names no URL.
func TestUnreachableAuthorityIsNotARejectedCredential(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + l.Addr().String()
	l.Close() // nothing listens there any more
	f := newFakeARM(t)
	env := newTestEnv(t, f, func(c *Config) { c.AuthorityHost = dead })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = env.c.BalanceSummary(ctx, "")
	switch {
	case err == nil:
		t.Fatal("a token from an authority that is not there")
	case errors.Is(err, apiclient.ErrUnauthorized) || strings.Contains(err.Error(), "rejected"):
		t.Errorf("an unreachable authority is reported as a rejected credential: %v", err)
	case !errors.Is(err, errAuthorityUnreachable) || !strings.Contains(err.Error(), "connection refused"):
		t.Errorf("error %q does not say the authority was not reached, and why", err)
	case strings.Contains(err.Error(), "://"):
		t.Errorf("error %q names a URL", err)
	}
	checkNoLeak(t, "error", err.Error())
}

// A workload identity whose projected token file cannot be read never
// reached Entra ID, but not for want of a network: the error says the
// token request failed and why, and neither blames the authority nor the
// credential.
func TestUnreadableWorkloadIdentityFileIsNotAnUnreachableAuthority(t *testing.T) {
	f := newFakeARM(t)
	t.Setenv("AZURE_TENANT_ID", testTenant)
	t.Setenv("AZURE_CLIENT_ID", testClient)
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", filepath.Join(t.TempDir(), "missing-token"))
	t.Setenv("AZURE_AUTHORITY_HOST", f.mgmt.URL)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential")
	env := newTestEnv(t, f, func(c *Config) {
		c.TenantID, c.ClientID, c.ClientSecretFile, c.AuthorityHost, c.Cloud = "", "", "", "", ""
		c.HTTPClient, c.getenv = trustingClient(f), nil
	})
	_, err := env.c.BalanceSummary(context.Background(), "")
	switch {
	case err == nil:
		t.Fatal("a token without its federated token file")
	case errors.Is(err, errAuthorityUnreachable) || errors.Is(err, apiclient.ErrUnauthorized):
		t.Errorf("an unreadable token file is blamed on the authority or the credential: %v", err)
	case !errors.Is(err, errTokenRequestFailed) || !strings.Contains(err.Error(), "missing-token: no such file"):
		t.Errorf("error %q does not say the token request failed, and why", err)
	case strings.Contains(err.Error(), "://"):
		t.Errorf("error %q names a URL", err)
	}
}

// Only a network failure, in the error or in the token requests, makes a
// failure without an answer an unreachable authority.
func TestTokenErrorWithoutAnAnswer(t *testing.T) {
	afe := &azidentity.AuthenticationFailedError{}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	onNetwork := &tokenAttempts{}
	onNetwork.record(&url.Error{Op: "Post", URL: "https://login.example/t", Err: refused})
	answeredLast := &tokenAttempts{}
	answeredLast.record(&url.Error{Op: "Post", URL: "https://login.example/t", Err: refused})
	answeredLast.record(nil)
	for _, tt := range []struct {
		name     string
		err      error
		attempts *tokenAttempts
		want     error
	}{
		{"DNS error in the chain", errors.Join(afe, &net.DNSError{Err: "no such host", Name: "login.example"}), nil, errAuthorityUnreachable},
		{"dial error in the chain", errors.Join(afe, refused), &tokenAttempts{}, errAuthorityUnreachable},
		{"URL error in the chain", errors.Join(afe, &url.Error{Op: "Get", URL: "https://x", Err: errors.New("EOF")}), nil, errAuthorityUnreachable},
		{"a request without an answer", afe, onNetwork, errAuthorityUnreachable},
		{"the last request answered", afe, answeredLast, errTokenRequestFailed},
		{"no request", errors.Join(afe, fs.ErrNotExist), &tokenAttempts{}, errTokenRequestFailed},
	} {
		err := tokenError(context.Background(), tt.err, tt.attempts, "")
		if !errors.Is(err, tt.want) || errors.Is(err, apiclient.ErrUnauthorized) || strings.Contains(err.Error(), "://") {
			t.Errorf("%s: %v; want %v, not ErrUnauthorized, no URL", tt.name, err, tt.want)
		}
	}
}

// An answer other than 400 or 401 (a proxy's page, a wrong host) is not a
// rejected credential either; 400 and 401 are.
func TestOnlyA400Or401RejectsTheCredential(t *testing.T) {
	for _, tt := range []struct {
		status   int
		rejected bool
	}{{http.StatusNotFound, false}, {http.StatusForbidden, false}, {http.StatusBadRequest, true}, {http.StatusUnauthorized, true}} {
		f := newFakeARM(t)
		f.tokenStatus = tt.status
		env := newTestEnv(t, f)
		_, err := env.c.BalanceSummary(context.Background(), "")
		var se *apiclient.StatusError
		if !errors.As(err, &se) || se.Code != tt.status || errors.Is(err, apiclient.ErrUnauthorized) != tt.rejected ||
			strings.Contains(err.Error(), "://") {
			t.Errorf("token answer %d: %v; want HTTP %d, rejected %v, no URL", tt.status, err, tt.status, tt.rejected)
		}
	}
}

func TestWithoutURLs(t *testing.T) {
	tests := map[string]string{
		`Get "https://127.0.0.1:1/t/v2.0/.well-known/openid-configuration?": dial tcp: connection refused`:      `Get "[URL]": dial tcp: connection refused`,
		"see http://a.example/x and https://b.example)":                                                         "see [URL] and [URL])",
		"ends with https://c.example/path":                                                                      "ends with [URL]",
		"unable to resolve. To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#client-secret": "unable to resolve.",
		"no link at all": "no link at all",
	}
	for in, want := range tests {
		if got := withoutURLs(in); got != want {
			t.Errorf("withoutURLs(%q) = %q, want %q", in, got, want)
		}
	}
}
