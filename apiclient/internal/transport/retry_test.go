package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func TestRetryHonoursServerWaits(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		first   http.HandlerFunc
		reason  string
		waitMin time.Duration
		waitMax time.Duration
	}{
		{"429 EA header", status(429, ThrottleHeaderEA, "7"), apiclient.ReasonThrottled, 7 * time.Second, 7 * time.Second},
		{"429 EA header wins over Retry-After", status(429, ThrottleHeaderEA, "2", "Retry-After", "9"),
			apiclient.ReasonThrottled, 2 * time.Second, 2 * time.Second},
		{"429 decimal seconds", status(429, ThrottleHeaderEA, "0.5"), apiclient.ReasonThrottled,
			500 * time.Millisecond, 500 * time.Millisecond},
		{"429 without header backs off", status(429), apiclient.ReasonThrottled, 0, time.Millisecond},
		{"503 Retry-After seconds", status(503, "Retry-After", "3"), apiclient.ReasonUnavailable, 3 * time.Second, 3 * time.Second},
		{"503 Retry-After date", status(503, "Retry-After", now.Add(10*time.Second).Format(http.TimeFormat)),
			apiclient.ReasonUnavailable, 10 * time.Second, 10 * time.Second},
		{"503 Retry-After date in the past", status(503, "Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)),
			apiclient.ReasonUnavailable, 0, 0},
		{"503 garbage Retry-After backs off", status(503, "Retry-After", "soon"), apiclient.ReasonUnavailable, 0, time.Millisecond},
		{"500", body(500, "application/json", `{"error":{"code":"500","message":"DB didn't return complete data"}}`),
			apiclient.ReasonServerError, 0, time.Millisecond},
		{"502", status(502), apiclient.ReasonServerError, 0, time.Millisecond},
		{"504", status(504), apiclient.ReasonServerError, 0, time.Millisecond},
		{"408", status(408), apiclient.ReasonTimeout, 0, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, script := serve(t, tt.first, ok)
			tc := newTestClient(t, srv.URL, func(c *Config) { c.Now = func() time.Time { return now } })
			res, err := tc.get(context.Background(), srv.URL, "/x")
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if string(res.Body) != "[]" {
				t.Errorf("body %q", res.Body)
			}
			waits := tc.sleeps.all()
			if len(waits) != 1 || waits[0] < tt.waitMin || waits[0] > tt.waitMax {
				t.Errorf("waits %v, want one in [%v, %v]", waits, tt.waitMin, tt.waitMax)
			}
			reqs, retries, _ := tc.rec.snapshot()
			if !slices.Equal(retries, []string{tt.reason}) {
				t.Errorf("retries %v, want [%s]", retries, tt.reason)
			}
			if len(reqs) != 2 || reqs[1].code != 200 || script.count() != 2 {
				t.Errorf("requests %v (server saw %d)", reqs, script.count())
			}
		})
	}
}

func TestNotRetried(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		code    int
		is      error
		text    string
		html    bool
	}{
		{"401", body(401, "text/plain", "Unauthorized"), 401, apiclient.ErrUnauthorized,
			"billing_periods: HTTP 401: API key rejected: expired or revoked?: Unauthorized", false},
		{"400 JSON message", body(400, "application/json", `{"error":{"code":"400","message":"Invalid date range"}}`),
			400, apiclient.ErrBadRequest, "billing_periods: HTTP 400: bad request: 400: Invalid date range", false},
		{"400 numeric code", body(400, "application/json", `{"error":{"code":400,"message":"bad"}}`),
			400, apiclient.ErrBadRequest, "billing_periods: HTTP 400: bad request: 400: bad", false},
		{"404 HTML", body(404, "text/html", "<html><body>Not Found</body></html>"), 404, nil,
			"billing_periods: HTTP 404: HTML error page", true},
		{"400 HTML by its first byte", body(400, "text/plain", " <!DOCTYPE html><h1>Bad Request</h1>"), 400, apiclient.ErrBadRequest,
			"billing_periods: HTTP 400: bad request: HTML error page", true},
		{"404 JSON labelled HTML", body(404, "text/html", `{"error":{"code":"404","message":"No data"}}`), 404, nil,
			"billing_periods: HTTP 404: 404: No data", false},
		{"404 empty", body(404, "", ""), 404, nil, "billing_periods: HTTP 404", false},
		{"403", body(403, "text/plain", "Forbidden\r\n\x1b[31m"), 403, nil, "billing_periods: HTTP 403: Forbidden [31m", false},
		{"304", status(304), 304, apiclient.ErrBadResponse, "billing_periods: HTTP 304: unexpected response", false},
		{"501", status(501), 501, nil, "billing_periods: HTTP 501", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, script := serve(t, tt.handler)
			tc := newTestClient(t, srv.URL, nil)
			_, err := tc.get(context.Background(), srv.URL, "/x")
			var se *apiclient.StatusError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("err %v, want StatusError %d", err, tt.code)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err %v is not %v", err, tt.is)
			}
			if err.Error() != tt.text {
				t.Errorf("err %q\nwant %q", err, tt.text)
			}
			if se.HTML != tt.html {
				t.Errorf("HTML = %v, want %v", se.HTML, tt.html)
			}
			if script.count() != 1 || len(tc.sleeps.all()) != 0 {
				t.Errorf("server saw %d requests, client slept %v", script.count(), tc.sleeps.all())
			}
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv, script := serve(t, status(503, "Retry-After", "1"))
	tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxAttempts = 3 })
	_, err := tc.get(context.Background(), srv.URL, "/x")
	var se *apiclient.StatusError
	if !errors.As(err, &se) || se.Code != 503 || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("err %v", err)
	}
	_, retries, _ := tc.rec.snapshot()
	if script.count() != 3 || len(retries) != 2 {
		t.Errorf("server saw %d, retries %v", script.count(), retries)
	}
	if w := tc.sleeps.all(); !slices.Equal(w, []time.Duration{time.Second, time.Second}) {
		t.Errorf("waits %v", w)
	}
}

func TestWaitsThatCannotBeHonouredFailAtOnce(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		deadline time.Duration
		want     string
	}{
		{"beyond the deadline", "120", time.Minute, "would pass the deadline"},
		{"beyond the wait cap", "3600", 0, "more than the 5m0s limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, script := serve(t, status(429, ThrottleHeaderEA, tt.header))
			tc := newTestClient(t, srv.URL, nil)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := tc.get(ctx, srv.URL, "/x")
			var se *apiclient.StatusError
			if !errors.As(err, &se) || se.Code != 429 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want 429 with %q", err, tt.want)
			}
			if script.count() != 1 || len(tc.sleeps.all()) != 0 {
				t.Errorf("server saw %d, waits %v", script.count(), tc.sleeps.all())
			}
		})
	}
}

func TestSleepHonoursContext(t *testing.T) {
	srv, _ := serve(t, status(503, "Retry-After", "30"))
	u := newTestClient(t, srv.URL, nil)
	c, err := New(Config{BaseURL: u.cfg.BaseURL, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := testClient{Client: c}.get(ctx, srv.URL, "/x")
		done <- err
	}()
	time.AfterFunc(50*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retry wait ignored the cancelled context")
	}
}

func TestTimeoutRetried(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	srv, script := serve(t, hang, ok)
	tc := newTestClient(t, srv.URL, func(c *Config) { c.RequestTimeout = 500 * time.Millisecond })
	if _, err := tc.get(context.Background(), srv.URL, "/x"); err != nil {
		t.Fatalf("Do: %v", err)
	}
	reqs, retries, _ := tc.rec.snapshot()
	if !slices.Equal(retries, []string{apiclient.ReasonTimeout}) || script.count() != 2 {
		t.Errorf("retries %v, server saw %d", retries, script.count())
	}
	if reqs[0].code != 0 || reqs[1].code != 200 {
		t.Errorf("observed %v", reqs)
	}
}

func TestNetworkErrorRetriedAndURLHidden(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close() // nothing listens: connection refused
	tc := newTestClient(t, base, func(c *Config) { c.MaxAttempts = 2 })
	_, err = tc.get(context.Background(), base, "/v3/x?skiptoken=SECRETTOKEN")
	if err == nil {
		t.Fatal("no error")
	}
	if s := err.Error(); strings.Contains(s, "SECRETTOKEN") || strings.Contains(s, "/v3/x") || !strings.HasPrefix(s, "billing_periods: ") {
		t.Errorf("error names the URL or not the endpoint: %q", s)
	}
	_, retries, _ := tc.rec.snapshot()
	if !slices.Equal(retries, []string{apiclient.ReasonNetwork}) {
		t.Errorf("retries %v", retries)
	}
}

func TestBackoffIsCappedFullJitter(t *testing.T) {
	tc := newTestClient(t, "http://example.invalid", func(c *Config) {
		c.BackoffBase, c.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	})
	for n := 1; n <= 70; n++ {
		ceiling := min(10*time.Millisecond<<min(n-1, 20), 50*time.Millisecond)
		for range 20 {
			if d := tc.backoff(n); d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceiling)
			}
		}
	}
}

// TestAnsweredSeesEveryAttempt: Request.Answered is shown the answer of
// each attempt, refusals included, with its headers, before any retry.
func TestAnsweredSeesEveryAttempt(t *testing.T) {
	srv, _ := serve(t, status(429, "Retry-After", "0", "X-Quota", "0"), status(401, "WWW-Authenticate", `Bearer error="x"`))
	tc := newTestClient(t, srv.URL, nil)
	var seen []string
	var buf bytes.Buffer
	_, err := tc.Do(context.Background(), Request{Endpoint: "billing_periods", URL: srv.URL + "/x", Auth: bearer(testKey),
		Answered: func(resp *http.Response) {
			seen = append(seen, fmt.Sprintf("%d %s%s", resp.StatusCode, resp.Header.Get("X-Quota"), resp.Header.Get("WWW-Authenticate")))
		}}, &buf)
	if !errors.Is(err, apiclient.ErrUnauthorized) {
		t.Fatalf("err %v, want the 401", err)
	}
	if want := []string{"429 0", `401 Bearer error="x"`}; !slices.Equal(seen, want) {
		t.Errorf("Answered saw %q, want %q", seen, want)
	}
}
