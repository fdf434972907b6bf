package transport

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// recorder is an apiclient.Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	requests []observedRequest
	retries  []string
	refused  []string
}

type observedRequest struct {
	endpoint string
	code     int
}

func (r *recorder) ObserveRequest(endpoint string, code int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, observedRequest{endpoint, code})
}

func (r *recorder) ObserveRetry(endpoint, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, reason)
}

func (r *recorder) ObserveRefused(endpoint string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused = append(r.refused, endpoint)
}

func (r *recorder) snapshot() (reqs []observedRequest, retries, refused []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observedRequest(nil), r.requests...), append([]string(nil), r.retries...),
		append([]string(nil), r.refused...)
}

// sleeps records the waits the client asks for and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// bearer is an Authorizer with a fixed key.
type bearer string

func (b bearer) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "bearer "+string(b))
	return nil
}

const testKey = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.c2VjcmV0LWtleS1wYXlsb2Fk.c2lnbmF0dXJl"

// testClient is a Client on srv's URL that records observations and waits.
type testClient struct {
	*Client
	rec    *recorder
	sleeps *sleeps
}

func newTestClient(t *testing.T, base string, tweak func(*Config)) testClient {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rec, sl := &recorder{}, &sleeps{}
	cfg := Config{BaseURL: u, Observer: rec, Sleep: sl.sleep, MaxAttempts: 4,
		BackoffBase: time.Millisecond, BackoffMax: 8 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return testClient{Client: c, rec: rec, sleeps: sl}
}

// get sends an authorized GET of path on the client's base URL.
func (tc testClient) get(ctx context.Context, base, path string) (*Response, error) {
	var buf bytes.Buffer
	return tc.Do(ctx, Request{Endpoint: "billing_periods", URL: base + path, Auth: bearer(testKey)}, &buf)
}

// scripted serves the given handlers in turn, the last one for ever, and
// counts the requests.
type scripted struct {
	mu    sync.Mutex
	steps []http.HandlerFunc
	n     int
	auth  []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	step := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	step(w, r)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *scripted) authHeaders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

func serve(t *testing.T, steps ...http.HandlerFunc) (*httptest.Server, *scripted) {
	t.Helper()
	s := &scripted{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func status(code int, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(code int, contentType, text string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		w.Write([]byte(text))
	}
}

var ok = body(200, "application/json", `[]`)
