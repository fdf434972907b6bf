package ea

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// testKey is shaped like a real key, so that a leak is easy to grep for.
const testKey = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3MzU2ODk2MDB9.TESTKEYSIGNATURExyz"

// recorder is an apiclient.Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	requests map[string]int
	retries  []string
	refused  []string
}

func (r *recorder) ObserveRequest(endpoint string, _ int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests == nil {
		r.requests = map[string]int{}
	}
	r.requests[endpoint]++
}

func (r *recorder) ObserveRetry(_, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, reason)
}

func (r *recorder) ObserveRefused(endpoint string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused = append(r.refused, endpoint)
}

func (r *recorder) retryReasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.retries...)
}

func (r *recorder) refusals() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.refused...)
}

// harness is a client against an httptest server, with its key in a file.
type harness struct {
	*Client
	// t is the test the harness serves, for helpers that take one.
	t       *testing.T
	srv     *httptest.Server
	rec     *recorder
	keyFile string
	mu      sync.Mutex
	waits   []time.Duration
	seen    []seenRequest
}

// seenRequest is what the server saw of one request.
type seenRequest struct {
	method, path, query, auth string
}

func newHarness(t *testing.T, h http.Handler, tweak func(*Config)) *harness {
	t.Helper()
	hs := &harness{t: t, rec: &recorder{}}
	hs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.mu.Lock()
		hs.seen = append(hs.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
		hs.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.srv.Close)
	hs.keyFile = filepath.Join(t.TempDir(), "key")
	writeFile(t, hs.keyFile, testKey+"\n")
	cfg := Config{
		BaseURL: hs.srv.URL, Enrollment: "100", KeyFile: hs.keyFile, Observer: hs.rec,
		Retry:        RetryConfig{MaxAttempts: 3, BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond},
		PollInterval: time.Second,
		now:          func() time.Time { return time.Date(2024, 3, 15, 8, 0, 0, 0, time.UTC) },
		sleep: func(ctx context.Context, d time.Duration) error {
			hs.mu.Lock()
			hs.waits = append(hs.waits, d)
			hs.mu.Unlock()
			return ctx.Err()
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs.Client = c
	return hs
}

func (hs *harness) requests() []seenRequest {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]seenRequest(nil), hs.seen...)
}

func (hs *harness) sleeps() []time.Duration {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]time.Duration(nil), hs.waits...)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// noSecret fails the test when err's text holds the key or a part of it.
func noSecret(t testing.TB, err error) { noKeyIn(t, err, testKey) }

// noKeyIn fails the test when err's text holds key or one of its parts.
func noKeyIn(t testing.TB, err error, key string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, part := range append(strings.Split(key, "."), key) {
		if len(part) >= 8 && strings.Contains(err.Error(), part) {
			t.Errorf("error holds the key: %q", err)
		}
	}
}

// reply answers with a fixed status, content type and body.
func reply(code int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

// sequence answers with each handler in turn, the last one for ever.
func sequence(steps ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		step := steps[min(n, len(steps)-1)]
		n++
		mu.Unlock()
		step(w, r)
	}
}

func jsonReply(body string) http.HandlerFunc {
	return reply(200, "application/json; charset=utf-8", body)
}

var _ apiclient.Observer = (*recorder)(nil)
