package arm

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

func TestClaimsChallenge(t *testing.T) {
	claims := `{"access_token":{"nbf":{"essential":true,"value":"1714521600"}}}`
	enc := base64.StdEncoding.EncodeToString([]byte(claims))
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"none", nil, ""},
		{"invalid token", []string{`Bearer authorization_uri="https://login.example/t", error="invalid_token", error_description="expired"`}, ""},
		{"challenge", []string{`Bearer authorization_uri="https://login.example/t", error="insufficient_claims", claims="` + enc + `"`}, claims},
		{"any case, no spaces", []string{`bearer ERROR="Insufficient_Claims",Claims="` + enc + `"`}, claims},
		{"unpadded", []string{`Bearer error="insufficient_claims", claims="` + base64.RawStdEncoding.EncodeToString([]byte(claims)) + `"`}, claims},
		{"second value", []string{`Basic realm="x"`, `Bearer error="insufficient_claims", claims="` + enc + `"`}, claims},
		{"not base64", []string{`Bearer error="insufficient_claims", claims="{not base64}"`}, ""},
		{"not JSON", []string{`Bearer error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte("nbf")) + `"`}, ""},
		{"other scheme", []string{`PoP error="insufficient_claims", claims="` + enc + `"`}, ""},
		{"unterminated", []string{`Bearer error="insufficient_claims", claims="` + enc}, ""},
		// As Resource Manager sends it (azcore's "multiple challenges" test).
		{"after another challenge in the value", []string{`PoP realm="", authorization_uri="http://localhost", client_id="...", nonce="ey==", ` +
			`Bearer realm="", error="insufficient_claims", authorization_uri="http://localhost", client_id="...", ` +
			`error_description="Continuous access evaluation resulted in challenge with result: InteractionRequired", claims="` + enc + `"`}, claims},
		{"before another challenge in the value", []string{`Bearer error="insufficient_claims", claims="` + enc + `", PoP nonce="ey=="`}, claims},
		{"after a token68", []string{`Negotiate YWxhZGRpbjpvcGVuc2VzYW1l==, Bearer error="insufficient_claims",claims="` + enc + `"`}, claims},
		{"spaces around =", []string{`Bearer error = "insufficient_claims" , claims = ` + enc}, claims},
		{"escaped quotes", []string{`Bearer error_description="say \"Bearer claims=x\"", error="insufficient_claims", claims="` + enc + `"`}, claims},
		{"only in another challenge's quoted value", []string{`PoP nonce="Bearer error=insufficient_claims, claims=` + enc + `"`}, ""},
		{"claims of the PoP challenge", []string{`PoP error="insufficient_claims", claims="` + enc + `", Bearer error="invalid_token"`}, ""},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.values {
			h.Add("WWW-Authenticate", v)
		}
		if got := claimsChallenge(h); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A token the API revokes before its expiry is refused with a claims
// challenge: the call is made once more with a token asked for with those
// claims, which the credential cannot answer from its cache.
func TestRevokedTokenIsReplacedAfterTheClaimsChallenge(t *testing.T) {
	now := time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)
	fake := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }})
	c := newFakeAPIClient(t, fake, now)
	ctx := context.Background()
	if _, err := c.BalanceSummary(ctx, ""); err != nil {
		t.Fatal(err)
	}
	fake.RevokeARMTokens()
	if _, err := c.BalanceSummary(ctx, ""); err != nil {
		t.Errorf("the call after the revocation: %v", err)
	}
	if _, err := c.BalanceSummary(ctx, ""); err != nil {
		t.Errorf("the next call: %v", err)
	}
	if st := fake.Stats(); st.ARMTokensIssued != 2 || st.ARMUnauthorized != 1 {
		t.Errorf("%d tokens issued, %d refused; want 2 and 1", st.ARMTokensIssued, st.ARMUnauthorized)
	}
}

// The token requests ask for continuous access evaluation (capability cp1),
// and the one after a challenge carries its claims; a 401 without a
// challenge is not tried again.
func TestTokenRequestsCarryTheChallengeClaims(t *testing.T) {
	f := newFakeARM(t)
	claims := `{"access_token":{"nbf":{"essential":true,"value":"1715767200"}}}`
	challenge := `Bearer authorization_uri="` + f.mgmt.URL + `/` + testTenant + `", error="insufficient_claims", claims="` +
		base64.StdEncoding.EncodeToString([]byte(claims)) + `"`
	refusals := 1
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		refuse := refusals > 0
		refusals--
		f.mu.Unlock()
		if refuse {
			w.Header().Set("WWW-Authenticate", challenge)
			writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token has been revoked."}}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
	})
	env := newTestEnv(t, f)
	if _, err := env.c.BalanceSummary(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	forms := f.tokenForms()
	if len(forms) != 2 {
		t.Fatalf("%d token requests, want 2", len(forms))
	}
	if got := forms[0].Get("claims"); got != `{"access_token":{"xms_cc":{"values":["CP1"]}}}` {
		t.Errorf("first token request's claims %q: continuous access evaluation not asked for", got)
	}
	if got := forms[1].Get("claims"); got == "" || !containsAll(got, `"nbf"`, `"1715767200"`, `"CP1"`) {
		t.Errorf("token request after the challenge has claims %q, want the challenge's with cp1", got)
	}
	if n := f.count("GET " + balancesPath); n != 2 {
		t.Errorf("%d balance requests, want the refused one and one more", n)
	}

	// A plain 401 (no challenge) fails the call.
	f.handle("GET "+accountPath+"/providers/Microsoft.Billing/billingPeriods/202404/providers/Microsoft.Consumption/balances",
		func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}`)
		})
	if _, err := env.c.BalanceSummary(context.Background(), "202404"); err == nil {
		t.Error("a plain 401 succeeded")
	}
	if n := len(f.tokenForms()); n != 2 {
		t.Errorf("%d token requests after a plain 401, want no new one within the call", n)
	}
}

// Resource Manager's challenge to a revoked token comes after a PoP
// challenge in the same WWW-Authenticate value: the token is replaced all
// the same, with the Bearer challenge's claims.
func TestRevokedTokenIsReplacedWhenTheChallengeFollowsAnother(t *testing.T) {
	f := newFakeARM(t)
	claims := `{"access_token":{"nbf":{"essential":true, "value":"1726258122"}}}`
	challenge := `PoP realm="", authorization_uri="http://localhost", client_id="...", nonce="ey==", ` +
		`Bearer realm="", error="insufficient_claims", authorization_uri="http://localhost", client_id="...", ` +
		`error_description="Continuous access evaluation resulted in challenge with result: InteractionRequired", ` +
		`claims="` + base64.StdEncoding.EncodeToString([]byte(claims)) + `"`
	// The API refuses every token until one was asked for with the
	// challenge's claims.
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		for _, form := range f.tokenForms() {
			if strings.Contains(form.Get("claims"), "1726258122") {
				writeJSON(w, http.StatusOK, `{"properties":{"endingBalance":1}}`)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", challenge)
		writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token has been revoked."}}`)
	})
	env := newTestEnv(t, f)
	if _, err := env.c.BalanceSummary(context.Background(), ""); err != nil {
		t.Fatalf("the call the challenge refused once: %v", err)
	}
	if n, calls := len(f.tokenForms()), f.count("GET "+balancesPath); n != 2 || calls != 2 {
		t.Errorf("%d token requests and %d calls, want 2 and 2 (the refused one, then one with the new token)", n, calls)
	}
}
