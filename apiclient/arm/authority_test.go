package arm

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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
