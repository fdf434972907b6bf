package fakeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const managementScope = "https://management.azure.com/.default"

// fakeCloud points Entra ID and Resource Manager at the fixture's host.
func (f *armFixture) fakeCloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: f.ts.URL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: f.ts.URL, Audience: "https://management.azure.com"},
		},
	}
}

// credential is a real azidentity client secret credential against the
// fake, with instance discovery off (the host is not an Entra host).
func (f *armFixture) credential(tenant, client, secret string) *azidentity.ClientSecretCredential {
	f.t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, client, secret, &azidentity.ClientSecretCredentialOptions{
		DisableInstanceDiscovery: true,
		ClientOptions: azcore.ClientOptions{
			Cloud:     f.fakeCloud(),
			Transport: f.ts.Client(),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return cred
}

func TestAzidentityGetsATokenFromTheFake(t *testing.T) {
	f := newARMFixture(t, Options{})
	tenant, client, secret := f.s.ARMCredentials()
	cred := f.credential(tenant, client, secret)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, cae := range []bool{false, true} {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{managementScope}, EnableCAE: cae})
		if err != nil {
			t.Fatalf("GetToken (CAE %v): %v", cae, err)
		}
		if strings.Count(tok.Token, ".") != 2 || time.Until(tok.ExpiresOn) < 50*time.Minute {
			t.Errorf("token %.40s... expires %v", tok.Token, tok.ExpiresOn)
		}
		claims := jwtClaims(t, tok.Token)
		if claims["aud"] != "https://management.azure.com" || claims["tid"] != tenant || claims["appid"] != client {
			t.Errorf("claims %v", claims)
		}
		if _, hasCC := claims["xms_cc"]; hasCC != cae {
			t.Errorf("CAE %v: xms_cc %v", cae, claims["xms_cc"])
		}
		f.token = tok.Token
		if r := f.get(f.account() + "/providers/Microsoft.Consumption/balances?api-version=2023-05-01"); r.status != 200 {
			t.Errorf("balances with the azidentity token: %d %s", r.status, r.body)
		}
	}
	// MSAL caches: a second GetToken issues nothing new.
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{managementScope}}); err != nil {
		t.Fatal(err)
	}
	st := f.s.Stats()
	if st.ARMTokensIssued != 2 || st.Requests[RouteARMToken] != 2 || st.ARMTokenErrors != 0 {
		t.Errorf("tokens issued %d, token requests %d, errors %d", st.ARMTokensIssued, st.Requests[RouteARMToken], st.ARMTokenErrors)
	}
	if st.Requests[RouteARMMetadata] == 0 {
		t.Error("MSAL did not read the OpenID configuration")
	}
}

func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("token claims: %v", err)
	}
	return claims
}

func TestAzidentityCredentialErrors(t *testing.T) {
	f := newARMFixture(t, Options{})
	tenant, client, secret := f.s.ARMCredentials()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, tenant, client, secret, want string
	}{
		{"wrong secret", tenant, client, secret + "x", "AADSTS7000215"},
		{"unknown client", tenant, "00000000-0000-4000-8000-000000000000", secret, "unauthorized_client"},
		{"unknown tenant", "11111111-0000-4000-8000-000000000000", client, secret, "invalid_tenant"},
	} {
		_, err := f.credential(tc.tenant, tc.client, tc.secret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{managementScope}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if st := f.s.Stats(); st.ARMTokensIssued != 0 || st.ARMTokenErrors != 3 {
		t.Errorf("issued %d, errors %d", st.ARMTokensIssued, st.ARMTokenErrors)
	}
}

// TestCAEChallengeThroughAzcore drives the fake with azcore's ARM pipeline:
// a revoked cp1 token draws an insufficient_claims challenge, which the
// bearer policy answers with a new token, transparently.
func TestCAEChallengeThroughAzcore(t *testing.T) {
	f := newARMFixture(t, Options{})
	pl := f.pipeline()
	get := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, err := runtime.NewRequest(ctx, http.MethodGet, f.ts.URL+f.account()+"/providers/Microsoft.Consumption/balances?api-version=2023-05-01")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := pl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != 200 {
		t.Fatalf("first call %d", code)
	}
	f.s.RevokeARMTokens()
	if code := get(); code != 200 {
		t.Fatalf("after revocation %d", code)
	}
	if st := f.s.Stats(); st.ARMTokensIssued != 2 || st.ARMUnauthorized != 1 {
		t.Errorf("tokens issued %d, unauthorized %d", st.ARMTokensIssued, st.ARMUnauthorized)
	}
}

// pipeline is azcore's Resource Manager pipeline (bearer policy with CAE)
// with a real credential, against the fake.
func (f *armFixture) pipeline() runtime.Pipeline {
	f.t.Helper()
	tenant, client, secret := f.s.ARMCredentials()
	pl, err := armruntime.NewPipeline("fakeapitest", "v0.0.1", f.credential(tenant, client, secret), runtime.PipelineOptions{},
		&arm.ClientOptions{ClientOptions: azcore.ClientOptions{Cloud: f.fakeCloud(), Transport: f.ts.Client(),
			Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return pl
}

// TestAzcorePollerFollowsOperations runs both asynchronous operations with
// azcore's generic long-running-operation poller.
func TestAzcorePollerFollowsOperations(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 5})
	f.s.SetARMOperations(ARMOperations{Polls: 2})
	pl := f.pipeline()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := func(path, body string) *http.Response {
		req, err := runtime.NewRequest(ctx, http.MethodPost, f.ts.URL+f.account()+path)
		if err == nil && body != "" {
			err = req.SetBody(streaming.NopCloser(strings.NewReader(body)), "application/json")
		}
		if err != nil {
			t.Fatal(err)
		}
		resp, err := pl.Do(req)
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		return resp
	}
	resp := start("/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01", `{"billingPeriod":"202611"}`)
	report, err := runtime.NewPoller[costManifest](resp, pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := report.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Millisecond})
	if err != nil || m.Status != "Completed" || len(m.Manifest.Blobs) != 2 {
		t.Fatalf("report: %+v %v", m, err)
	}
	resp = start("/billingPeriods/202611/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2023-11-01", "")
	sheet, err := runtime.NewPoller[priceSheetOperation](resp, pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	op, err := sheet.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Millisecond})
	if err != nil || op.Status != "Completed" || op.Properties.DownloadURL == "" {
		t.Fatalf("price sheet: %+v %v", op, err)
	}
	if st := f.s.Stats(); st.Requests[RouteARMReportStatus] != 3 || st.Requests[RouteARMPriceSheetStatus] != 3 {
		t.Errorf("polls %v", st.Requests)
	}
}

// postForm sends a token request with form and returns the answer.
func (f *armFixture) postForm(tenant string, form url.Values) response {
	f.t.Helper()
	return f.do(http.MethodPost, "/"+tenant+"/oauth2/v2.0/token", form.Encode(),
		map[string]string{"Authorization": "", "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
}

func TestTokenEndpoint(t *testing.T) {
	f := newARMFixture(t, Options{ARM: ARMOptions{TokenLifetime: time.Hour}})
	tenant, client, secret := f.s.ARMCredentials()
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret},
			"scope": {managementScope + " openid offline_access profile"}, "client_info": {"1"},
			"x-client-sku": {"MSAL.Go"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	r := f.postForm(strings.ToUpper(tenant), form())
	var ok struct {
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		ExtExpiresIn int    `json:"ext_expires_in"`
		AccessToken  string `json:"access_token"`
	}
	decodeJSON(t, r.body, &ok)
	if r.status != 200 || ok.TokenType != "Bearer" || ok.ExpiresIn != 3600 || ok.ExtExpiresIn != 3600 || ok.AccessToken == "" {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		err    string
		code   string
	}{
		{"wrong secret", form("client_secret", "nope"), 401, "invalid_client", "7000215"},
		{"no secret", form("client_secret", ""), 401, "invalid_client", "7000216"},
		{"unknown client", form("client_id", "someone-else"), 400, "unauthorized_client", "700016"},
		{"no client", form("client_id", ""), 400, "invalid_request", "900144"},
		{"password grant", form("grant_type", "password"), 400, "unsupported_grant_type", "70003"},
		{"scope without .default", form("scope", "https://management.azure.com/user_impersonation"), 400, "invalid_scope", "1002012"},
		{"two resources", form("scope", managementScope+" https://vault.azure.net/.default"), 400, "invalid_scope", "1002012"},
	} {
		r := f.postForm(tenant, tc.form)
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			Codes       []int  `json:"error_codes"`
			TraceID     string `json:"trace_id"`
		}
		decodeJSON(t, r.body, &e)
		if r.status != tc.status || e.Error != tc.err || !strings.HasPrefix(e.Description, "AADSTS"+tc.code+":") ||
			len(e.Codes) != 1 || e.TraceID == "" {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
		if strings.Contains(string(r.body), secret) {
			t.Errorf("%s: the answer repeats the secret", tc.name)
		}
	}
	if r := f.postForm("other-tenant", form()); r.status != 400 || !strings.Contains(string(r.body), "invalid_tenant") {
		t.Errorf("unknown tenant: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/"+tenant+"/oauth2/v2.0/token", "", noAuth); r.status != 405 {
		t.Errorf("GET token: %d", r.status)
	}
	// client_secret_basic works too.
	basic := form("client_id", "", "client_secret", "")
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(basic.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(secret))
	resp, err := f.ts.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("client_secret_basic: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	f := newARMFixture(t, Options{})
	tenant, _, _ := f.s.ARMCredentials()
	r := f.do(http.MethodGet, "/"+tenant+"/v2.0/.well-known/openid-configuration?", "", noAuth)
	var cfg map[string]any
	decodeJSON(t, r.body, &cfg)
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "issuer"} {
		v, _ := cfg[k].(string)
		if !strings.HasPrefix(v, f.ts.URL+"/"+tenant+"/") {
			t.Errorf("%s = %q, want it on %s", k, v, f.ts.URL)
		}
	}
	if r := f.do(http.MethodGet, "/common/v2.0/.well-known/openid-configuration", "", noAuth); r.status != 400 {
		t.Errorf("unknown tenant: %d", r.status)
	}
}

func TestManagementTokenChecks(t *testing.T) {
	f := newARMFixture(t, Options{ARM: ARMOptions{TokenLifetime: time.Hour}})
	path := f.account() + "/providers/Microsoft.Consumption/balances?api-version=2023-05-01"
	vault := f.s.issueToken("https://vault.azure.net", false, testNow)
	for _, tc := range []struct {
		name, auth, code string
	}{
		{"no header", "", "AuthenticationFailed"},
		{"basic scheme", "Basic " + f.token, "AuthenticationFailed"},
		{"unknown token", "Bearer " + NewJWTKey(time.Time{}), "InvalidAuthenticationToken"},
		{"EA key", "bearer " + f.s.Key(), "InvalidAuthenticationToken"},
		{"other audience", "Bearer " + vault, "InvalidAuthenticationTokenAudience"},
	} {
		r := f.do(http.MethodGet, path, "", map[string]string{"Authorization": tc.auth})
		if r.status != 401 || !strings.Contains(string(r.body), `"code":"`+tc.code+`"`) ||
			!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer authorization_uri=") {
			t.Errorf("%s: %d %v %s", tc.name, r.status, r.header, r.body)
		}
	}
	if r := f.do(http.MethodGet, path, "", map[string]string{"Authorization": "bearer " + f.token}); r.status != 200 {
		t.Errorf("lower-case scheme: %d", r.status)
	}
	f.clock.Set(testNow.Add(time.Hour))
	if r := f.get(path); r.status != 401 || !strings.Contains(string(r.body), "ExpiredAuthenticationToken") {
		t.Errorf("expired: %d %s", r.status, r.body)
	}
	f.token = f.s.ARMToken()
	f.s.RevokeARMTokens()
	r := f.get(path)
	if r.status != 401 || strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_claims") {
		t.Errorf("revoked token without cp1: %d %v", r.status, r.header)
	}
	if st := f.s.Stats(); st.ARMUnauthorized != 7 {
		t.Errorf("ARMUnauthorized %d", st.ARMUnauthorized)
	}
}
