package ea

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// originBase is the API host of FuzzKeyOnlyToBaseHost.
const originBase = "https://consumption.azure.com"

// scriptedAPI is an http.RoundTripper that answers without a network: the
// first request with a redirect to redirect (when set), then usage pages,
// the first of which links to nextLink. It records where every request
// went and whether it carried the key.
type scriptedAPI struct {
	mu                 sync.Mutex
	nextLink, redirect string
	served             int
	seen               []sentRequest
}

type sentRequest struct {
	scheme, host string
	keyed        bool
}

func (s *scriptedAPI) reset(nextLink, redirect string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLink, s.redirect, s.served, s.seen = nextLink, redirect, 0, nil
}

func (s *scriptedAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only the key counts: net/http itself sends Basic credentials taken
	// from a URL's user info (a redirect to "//@" has an empty one), which
	// is no secret of ours.
	s.seen = append(s.seen, sentRequest{scheme: r.URL.Scheme, host: r.URL.Host, keyed: strings.Contains(r.Header.Get("Authorization"), testKey)})
	s.served++
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r, Body: http.NoBody}
	if s.served == 1 && s.redirect != "" {
		resp.StatusCode = http.StatusTemporaryRedirect
		resp.Header.Set("Location", s.redirect)
		return resp, nil
	}
	link := []byte("null")
	if s.served <= 2 {
		link, _ = json.Marshal(s.nextLink)
	}
	resp.Header.Set("Content-Type", "application/json")
	resp.Body = io.NopCloser(strings.NewReader(`{"id":"x","data":[],"nextLink":` + string(link) + `}`))
	return resp, nil
}

func (s *scriptedAPI) requests() []sentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentRequest(nil), s.seen...)
}

// FuzzKeyOnlyToBaseHost follows whatever nextLink and redirect an API
// sends: a request that carries the key goes to the configured host and
// nowhere else, however the link is spelled.
func FuzzKeyOnlyToBaseHost(f *testing.F) {
	for _, seed := range [][2]string{
		{originBase + "/v3/enrollments/100/usagedetails?skiptoken=a", ""},
		{"https://evil.example/v3/x", ""},
		{"//evil.example/x", ""},
		{"/v3/enrollments/100/usagedetails?skiptoken=b", originBase + ":8443/x"},
		{originBase + ".evil.example/x", "http://consumption.azure.com/x"},
		{"https://consumption.azure.com@evil.example/x", "HTTPS://CONSUMPTION.AZURE.COM:443/ok"},
		{"https://consumption%2Eazure.com/x", "https://[::1]/x"},
		{"https:consumption.azure.com/x", "https://consumption.azure.com./x"},
	} {
		f.Add(seed[0], seed[1])
	}
	keyFile := filepath.Join(f.TempDir(), "key")
	writeFile(f, keyFile, testKey)
	api := &scriptedAPI{}
	c, err := New(Config{
		BaseURL: originBase, Enrollment: "100", KeyFile: keyFile, HTTPClient: &http.Client{Transport: api},
		Retry: RetryConfig{MaxAttempts: 1}, now: func() time.Time { return fakeNow },
		sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, nextLink, redirect string) {
		api.reset(nextLink, redirect)
		err := c.Usage(context.Background(), apiclient.UsageQuery{BillingPeriod: "202402"}, func(*apiclient.UsageRow) error { return nil })
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Fatalf("the error holds the key: %v", err)
		}
		for _, r := range api.requests() {
			u := url.URL{Host: r.host}
			sameHost := strings.EqualFold(u.Hostname(), "consumption.azure.com") && (u.Port() == "" || u.Port() == "443")
			if r.keyed && (r.scheme != "https" || !sameHost) {
				t.Fatalf("the key went to %s://%s (nextLink %q, redirect %q)", r.scheme, r.host, nextLink, redirect)
			}
		}
	})
}
