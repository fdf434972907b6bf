package arm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// The test credentials are distinctive, so that a leak is easy to grep for.
const (
	testSecret  = "s3cr3t-Q8~cLientSecretValue-DoNotLeak"
	testToken   = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ0ZXN0In0.TESTTOKENsignatureXYZ"
	testTenant  = "00000000-1111-2222-3333-444444444444"
	testClient  = "55555555-6666-7777-8888-999999999999"
	testAccount = "8608480"
	// accountPath is the billing account's scope path.
	accountPath = "/providers/Microsoft.Billing/billingAccounts/" + testAccount
)

// fakeARM serves the management API, Entra ID's metadata and token
// endpoints on one TLS host, and report blobs on another.
type fakeARM struct {
	t     testing.TB
	mgmt  *httptest.Server
	blobs *httptest.Server
	mux   *http.ServeMux
	bmux  *http.ServeMux

	mu          sync.Mutex
	tokenCalls  int
	tokenScopes []string
	tokenForm   []url.Values
	// calls counts management requests by "METHOD path".
	calls       map[string]int
	clientTypes []string
	blobCalls   int
	// secretEcho makes the token endpoint reject the secret and echo it.
	secretEcho bool
	// tokenStatus, when set, is the status of every token answer, with an
	// HTML page (a proxy's, or a wrong authority host's).
	tokenStatus int
}

func newFakeARM(t testing.TB) *fakeARM {
	t.Helper()
	f := &fakeARM{t: t, mux: http.NewServeMux(), bmux: http.NewServeMux(), calls: map[string]int{}}
	f.mgmt = httptest.NewTLSServer(http.HandlerFunc(f.serveManagement))
	f.blobs = httptest.NewTLSServer(http.HandlerFunc(f.serveBlob))
	t.Cleanup(f.mgmt.Close)
	t.Cleanup(f.blobs.Close)
	return f
}

func (f *fakeARM) serveManagement(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		f.serveOpenID(w)
		return
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		f.serveToken(w, r)
		return
	}
	f.mu.Lock()
	f.calls[r.Method+" "+r.URL.Path]++
	f.clientTypes = append(f.clientTypes, r.Header.Get("ClientType"))
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}`)
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, `{"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter (?api-version=) is required for all requests."}}`)
		return
	}
	f.mux.ServeHTTP(w, r)
}

func (f *fakeARM) serveOpenID(w http.ResponseWriter) {
	base := f.mgmt.URL + "/" + testTenant
	writeJSON(w, http.StatusOK, `{"authorization_endpoint":"`+base+`/oauth2/v2.0/authorize","token_endpoint":"`+
		base+`/oauth2/v2.0/token","issuer":"`+base+`/v2.0"}`)
}

func (f *fakeARM) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request"}`)
		return
	}
	f.mu.Lock()
	f.tokenCalls++
	f.tokenScopes = append(f.tokenScopes, r.PostForm.Get("scope"))
	f.tokenForm = append(f.tokenForm, r.PostForm)
	echo, status := f.secretEcho, f.tokenStatus
	f.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		w.Write([]byte("<html><body>Not here: see https://proxy.example/help</body></html>"))
		return
	}
	assertion := r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
		strings.Count(r.PostForm.Get("client_assertion"), ".") == 2
	if echo || (r.PostForm.Get("client_secret") != testSecret && !assertion) || r.PostForm.Get("client_id") != testClient {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: `+
			r.PostForm.Get("client_secret")+`. Trace ID: 1 Correlation ID: 2 Timestamp: 2024-05-01 00:00:00Z","error_codes":[7000215]}`)
		return
	}
	writeJSON(w, http.StatusOK, `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"`+testToken+`"}`)
}

func (f *fakeARM) serveBlob(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		f.t.Errorf("the blob host got an Authorization header on %s", r.URL.Path)
	}
	if r.Header.Get("ClientType") != "" {
		f.t.Errorf("the blob host got a ClientType header")
	}
	f.mu.Lock()
	f.blobCalls++
	f.mu.Unlock()
	f.bmux.ServeHTTP(w, r)
}

func (f *fakeARM) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

// serveBlobFile serves content on the blob host at path.
func (f *fakeARM) serveBlobFile(path, contentType, content string) string {
	body := []byte(content)
	f.bmux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sig") == "" {
			f.t.Errorf("blob %s fetched without its SAS signature", path)
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
	return f.blobs.URL + path + "?sv=2022-11-02&sr=b&sig=SASsignature"
}

// clock is a test clock that moves only when told to, or when the client
// sleeps.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// recorder is an apiclient.Observer and QuotaObserver that keeps what it is
// told.
type recorder struct {
	mu       sync.Mutex
	requests map[string]int
	retries  []string
	refused  []string
	quotas   map[string]float64
}

func (r *recorder) ObserveRequest(endpoint string, _ int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests == nil {
		r.requests = map[string]int{}
	}
	r.requests[endpoint]++
}

func (r *recorder) ObserveRetry(endpoint, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, endpoint+"/"+reason)
}

func (r *recorder) ObserveRefused(endpoint string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused = append(r.refused, endpoint)
}

func (r *recorder) ObserveQuota(endpoint, quota string, remaining float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.quotas == nil {
		r.quotas = map[string]float64{}
	}
	r.quotas[endpoint+" "+quota] = remaining
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a client wired to a fakeARM with a test clock, an observer
// and a captured debug log.
type testEnv struct {
	f     *fakeARM
	c     *Client
	clock *clock
	obs   *recorder
	logs  *syncBuffer
}

// trustingClient trusts the test servers' certificate.
func trustingClient(f *fakeARM) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(f.mgmt.Certificate())
	pool.AddCert(f.blobs.Certificate())
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func writeSecretFile(t testing.TB, secret string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newTestEnv builds a service-principal client against f, with pacing off
// and no real sleeping; mods adjust its config.
func newTestEnv(t testing.TB, f *fakeARM, mods ...func(*Config)) *testEnv {
	t.Helper()
	env := &testEnv{f: f, clock: &clock{now: time.Date(2024, 5, 15, 10, 0, 0, 0, time.UTC)}, obs: &recorder{}, logs: &syncBuffer{}}
	cfg := Config{
		BillingAccount: testAccount, ManagementURL: f.mgmt.URL,
		TenantID: testTenant, ClientID: testClient, ClientSecretFile: writeSecretFile(t, testSecret),
		AuthorityHost: f.mgmt.URL, HTTPClient: trustingClient(f),
		Observer: env.obs, Logger: log.NewLogfmtLogger(env.logs),
		Retry:         RetryConfig{MaxAttempts: 3, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond},
		ScopeInterval: -1, MinPollInterval: time.Second, MaxPollInterval: time.Minute, PollInterval: 10 * time.Second,
		now: env.clock.Now, sleep: env.clock.Sleep, getenv: func(string) string { return "" },
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.c = c
	return env
}

// handle serves a management route; pattern is "METHOD path".
func (f *fakeARM) handle(pattern string, h http.HandlerFunc) { f.mux.HandleFunc(pattern, h) }

// checkNoLeak fails when a credential appears in s.
func checkNoLeak(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testSecret, testToken} {
		if strings.Contains(s, secret) {
			t.Errorf("%s holds a credential: %s", what, s)
		}
	}
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var _ apiclient.QuotaObserver = (*recorder)(nil)

func (f *fakeARM) blobCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blobCalls
}

func (f *fakeARM) tokens() (calls int, scopes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls, append([]string(nil), f.tokenScopes...)
}

func (f *fakeARM) seenClientTypes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.clientTypes...)
}

// newFakeAPIClient is a client of fake's ARM side, served over TLS, with
// the test clock fixed at now, no pacing and no real sleeping.
func newFakeAPIClient(t testing.TB, fake *fakeapi.Server, now time.Time, mods ...func(*Config)) *Client {
	t.Helper()
	fake.SetARMOperations(fakeapi.ARMOperations{Polls: 1})
	srv := httptest.NewTLSServer(fake.ARMHandler())
	t.Cleanup(srv.Close)
	tenant, client, secret := fake.ARMCredentials()
	cfg := Config{BillingAccount: fakeapi.DefaultEnrollment, ManagementURL: srv.URL, AuthorityHost: srv.URL,
		TenantID: tenant, ClientID: client, ClientSecretFile: writeSecretFile(t, secret), HTTPClient: srv.Client(),
		ScopeInterval: -1, Retry: RetryConfig{MaxAttempts: 2, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond},
		getenv: func(string) string { return "" }, now: func() time.Time { return now },
		sleep: func(context.Context, time.Duration) error { return nil }}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tokenForms returns the forms of the token requests so far.
func (f *fakeARM) tokenForms() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.tokenForm...)
}

// containsAll reports whether s holds every one of parts.
func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
