package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// consumeAll is a consume function that reads the whole body, keeps what it
// read only when the read succeeds (the undo Consume asks for), and counts
// its attempts.
type consumeAll struct {
	attempts int
	kept     string
}

func (c *consumeAll) consume(s *Stream) error {
	c.attempts++
	b, err := io.ReadAll(s.Body)
	if err != nil {
		return err
	}
	c.kept = string(b)
	return nil
}

func consumeReq(base string) Request {
	return Request{Endpoint: "usage_details", URL: base + "/x", Auth: bearer("k")}
}

func TestConsumeRetriesTruncatedBody(t *testing.T) {
	srv, script := serve(t, truncated, body(200, "application/json", `{"data":[]}`))
	tc := newTestClient(t, srv.URL, nil)
	var c consumeAll
	if err := tc.Consume(context.Background(), consumeReq(srv.URL), c.consume); err != nil {
		t.Fatalf("Consume: %v", err)
	}
	_, retries, _ := tc.rec.snapshot()
	if c.kept != `{"data":[]}` || c.attempts != 2 || script.count() != 2 ||
		!slices.Equal(retries, []string{apiclient.ReasonTruncated}) {
		t.Errorf("kept %q after %d attempts (server saw %d), retries %v", c.kept, c.attempts, script.count(), retries)
	}
}

func TestConsumeRetriesDamaged(t *testing.T) {
	srv, script := serve(t, body(200, "application/json", `{"data":[`), body(200, "application/json", `{"data":[]}`))
	tc := newTestClient(t, srv.URL, nil)
	attempts := 0
	err := tc.Consume(context.Background(), consumeReq(srv.URL), func(s *Stream) error {
		attempts++
		b, err := io.ReadAll(s.Body)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(string(b), "}") {
			return Damaged(errors.New("cut short"))
		}
		return nil
	})
	_, retries, _ := tc.rec.snapshot()
	if err != nil || attempts != 2 || script.count() != 2 || !slices.Equal(retries, []string{apiclient.ReasonTruncated}) {
		t.Errorf("err %v, %d attempts (server saw %d), retries %v", err, attempts, script.count(), retries)
	}
}

func TestConsumeOtherErrorsFinal(t *testing.T) {
	srv, script := serve(t, body(200, "application/json", `{}`), body(200, "application/json", `{}`))
	tc := newTestClient(t, srv.URL, nil)
	stop := errors.New("the caller stops")
	err := tc.Consume(context.Background(), consumeReq(srv.URL), func(*Stream) error { return stop })
	if !errors.Is(err, stop) || script.count() != 1 {
		t.Errorf("err %v, server saw %d", err, script.count())
	}
}

func TestConsumeBoundedLikeDo(t *testing.T) {
	srv, _ := serve(t, endless(1<<30))
	tc := newTestClient(t, srv.URL, func(c *Config) { c.MaxBodyBytes = 1 << 20 })
	var c consumeAll
	err := tc.Consume(context.Background(), consumeReq(srv.URL), func(s *Stream) error {
		// As a decoder does with a read error: wrap it, and call the
		// body damaged.
		if err := c.consume(s); err != nil {
			return Damaged(fmt.Errorf("decoding: %w", err))
		}
		return nil
	})
	if !errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "1048576-byte") || c.attempts != 1 {
		t.Fatalf("err %v after %d attempts: a body over the limit must not be read again", err, c.attempts)
	}
	r := consumeReq(srv.URL)
	r.MaxBytes = 1 << 10
	c = consumeAll{}
	if err := tc.Consume(context.Background(), r, c.consume); err == nil || !strings.Contains(err.Error(), "1024-byte") {
		t.Fatalf("err %v with MaxBytes", err)
	}
}

func TestConsumeNotModified(t *testing.T) {
	srv, _ := serve(t, status(304))
	tc := newTestClient(t, srv.URL, nil)
	r := consumeReq(srv.URL)
	r.IfNoneMatch = `"v1"`
	called := false
	err := tc.Consume(context.Background(), r, func(*Stream) error { called = true; return nil })
	if !errors.Is(err, apiclient.ErrNotModified) || called {
		t.Errorf("err %v, consume called %v", err, called)
	}
}
