package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// truncated declares more bytes than it sends; net/http then closes the
// connection and the client reads io.ErrUnexpectedEOF.
func truncated(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(200)
	w.Write([]byte(`{"data":[`))
}

func TestTruncatedBodyRetried(t *testing.T) {
	srv, script := serve(t, truncated, body(200, "application/json", `{"data":[]}`))
	tc := newTestClient(t, srv.URL, nil)
	res, err := tc.get(context.Background(), srv.URL, "/x")
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if string(res.Body) != `{"data":[]}` {
		t.Errorf("body %q", res.Body)
	}
	_, retries, _ := tc.rec.snapshot()
	if !slices.Equal(retries, []string{apiclient.ReasonTruncated}) || script.count() != 2 {
		t.Errorf("retries %v, server saw %d", retries, script.count())
	}
}

func TestTruncatedBodyGivesUp(t *testing.T) {
	srv, _ := serve(t, truncated)
	tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxAttempts = 2 })
	_, err := tc.get(context.Background(), srv.URL, "/x")
	if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err %v", err)
	}
}

// endless writes a body of about size bytes, without Content-Length, and
// stops early when the client goes away.
func endless(size int64) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		chunk := bytes.Repeat([]byte(`"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",`), 1024)
		w.Write([]byte("["))
		for sent := int64(0); sent < size; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

func TestBodyLimits(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"1 GB streamed body", endless(1 << 30)},
		{"Content-Length over the limit", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(1<<30))
			w.WriteHeader(200)
		}},
		{"one byte over", body(200, "application/json", strings.Repeat("x", 1<<20+1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, script := serve(t, tt.handler)
			tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxBodyBytes = 1 << 20 })
			_, err := tc.get(context.Background(), srv.URL, "/x")
			if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "limit") {
				t.Fatalf("err %v", err)
			}
			if script.count() != 1 {
				t.Errorf("over-limit body retried: %d requests", script.count())
			}
		})
	}
	t.Run("exactly at the limit", func(t *testing.T) {
		srv, _ := serve(t, body(200, "application/json", strings.Repeat("x", 1<<20)))
		tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxBodyBytes = 1 << 20 })
		if res, err := tc.get(context.Background(), srv.URL, "/x"); err != nil || len(res.Body) != 1<<20 {
			t.Fatalf("err %v", err)
		}
	})
}

func TestCheckDamagedRetried(t *testing.T) {
	srv, script := serve(t, body(200, "text/html", "<html>proxy error</html>"), body(200, "application/json", "[]"))
	tc := newTestClient(t, srv.URL, nil)
	check := func(r *Response) error {
		if r.Body[0] == '<' {
			return Damaged(fmt.Errorf("%w: HTML", apiclient.ErrBadResponse))
		}
		return nil
	}
	var buf bytes.Buffer
	res, err := tc.Do(context.Background(), Request{Endpoint: "price_sheet", URL: srv.URL, Check: check}, &buf)
	if err != nil || string(res.Body) != "[]" {
		t.Fatalf("Do: %v", err)
	}
	_, retries, _ := tc.rec.snapshot()
	if !slices.Equal(retries, []string{apiclient.ReasonTruncated}) || script.count() != 2 {
		t.Errorf("retries %v, server saw %d", retries, script.count())
	}
}

func TestCheckErrorNotRetried(t *testing.T) {
	srv, script := serve(t, body(200, "application/json", "{}"))
	tc := newTestClient(t, srv.URL, nil)
	wrongType := fmt.Errorf("%w: object, want array", apiclient.ErrBadResponse)
	var buf bytes.Buffer
	_, err := tc.Do(context.Background(), Request{Endpoint: "price_sheet", URL: srv.URL,
		Check: func(*Response) error { return wrongType }}, &buf)
	if !errors.Is(err, wrongType) || err.Error() != "price_sheet: unexpected response: object, want array" {
		t.Fatalf("err %v", err)
	}
	if script.count() != 1 {
		t.Errorf("server saw %d", script.count())
	}
}

func TestOpenStreams(t *testing.T) {
	srv, _ := serve(t, status(503, "Retry-After", "1"), body(200, "application/octet-stream", "a,b\n1,2\n"))
	tc := newTestClient(t, srv.URL, nil)
	s, err := tc.Open(context.Background(), Request{Endpoint: "usage_blob", URL: srv.URL + "/blob"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := io.ReadAll(s.Body)
	s.Body.Close()
	if err != nil || string(got) != "a,b\n1,2\n" || s.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("body %q, err %v", got, err)
	}
	reqs, retries, _ := tc.rec.snapshot()
	if !slices.Equal(retries, []string{apiclient.ReasonUnavailable}) || len(reqs) != 2 || reqs[1].code != 200 {
		t.Errorf("observed %v, retries %v", reqs, retries)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		limit   int64
		want    string
	}{
		{"truncated", truncated, 0, "usage_blob: unexpected response: body truncated after 9 bytes"},
		{"over the stream limit", endless(1 << 30), 1 << 20, "usage_blob: unexpected response: body larger than the 1048576-byte stream limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, tt.handler)
			tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxStreamBytes = tt.limit })
			s, err := tc.Open(context.Background(), Request{Endpoint: "usage_blob", URL: srv.URL})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Body.Close()
			_, err = io.Copy(io.Discard, s.Body)
			if !errors.Is(err, apiclient.ErrBadResponse) || err.Error() != tt.want {
				t.Fatalf("err %v\nwant %s", err, tt.want)
			}
		})
	}
	t.Run("exactly at the stream limit", func(t *testing.T) {
		srv, _ := serve(t, body(200, "text/csv", strings.Repeat("x", 4096)))
		tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxStreamBytes = 4096 })
		s, err := tc.Open(context.Background(), Request{Endpoint: "usage_blob", URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Body.Close()
		if n, err := io.Copy(io.Discard, s.Body); err != nil || n != 4096 {
			t.Fatalf("read %d, err %v", n, err)
		}
	})
}

func TestOpenCheckRetriesDamagedStart(t *testing.T) {
	const csv = "AccountId,Cost\n1,2\n"
	srv, script := serve(t, body(200, "text/html", "<html>sign in</html>"), truncated, body(200, "application/octet-stream", csv))
	tc := newTestClient(t, srv.URL, nil)
	var heads []string
	check := func(r *Response) error {
		heads = append(heads, string(r.Body))
		if strings.Contains(r.Header.Get("Content-Type"), "html") {
			return Damaged(fmt.Errorf("%w: HTML", apiclient.ErrBadResponse))
		}
		return nil
	}
	s, err := tc.Open(context.Background(), Request{Endpoint: "usage_download", URL: srv.URL, Check: check})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := io.ReadAll(s.Body)
	s.Body.Close()
	if err != nil || string(got) != csv {
		t.Fatalf("body %q, err %v", got, err)
	}
	if !slices.Equal(heads, []string{"<html>sign in</html>", csv}) {
		t.Errorf("Check saw %q", heads)
	}
	_, retries, _ := tc.rec.snapshot()
	want := []string{apiclient.ReasonTruncated, apiclient.ReasonTruncated}
	if !slices.Equal(retries, want) || script.count() != 3 {
		t.Errorf("retries %v, server saw %d", retries, script.count())
	}
}

func TestRequestMaxBytes(t *testing.T) {
	srv, _ := serve(t, body(200, "application/json", strings.Repeat("x", 2048)))
	tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxBodyBytes = 4096 })
	var buf bytes.Buffer
	_, err := tc.Do(context.Background(), Request{Endpoint: "balance_summary", URL: srv.URL, MaxBytes: 1024}, &buf)
	if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "1024-byte limit") {
		t.Fatalf("err %v", err)
	}
	// A per-request bound never raises the client's.
	tc = newTestClient(t, srv.URL, func(c *Config) { c.MaxBodyBytes = 1000 })
	_, err = tc.Do(context.Background(), Request{Endpoint: "price_sheet", URL: srv.URL, MaxBytes: 1 << 20}, &buf)
	if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "1000-byte limit") {
		t.Fatalf("err %v", err)
	}
}
