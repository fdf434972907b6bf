package transport

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// etagged answers 304 when If-None-Match names its tag, else 200 with it,
// and records the If-None-Match headers it saw.
type etagged struct {
	tag  string
	seen []string
}

func (e *etagged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	inm := r.Header.Get("If-None-Match")
	e.seen = append(e.seen, inm)
	w.Header().Set("ETag", e.tag)
	if inm == e.tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`[1]`))
}

func TestConditionalRequests(t *testing.T) {
	e := &etagged{tag: `"v1"`}
	srv, _ := serve(t, e.ServeHTTP)
	tc := newTestClient(t, srv.URL, nil)
	var buf bytes.Buffer
	do := func(inm string) (*Response, error) {
		return tc.Do(context.Background(), Request{Endpoint: "balance_summary", URL: srv.URL, Auth: bearer(testKey), IfNoneMatch: inm}, &buf)
	}
	res, err := do("")
	if err != nil || res.Header.Get("ETag") != `"v1"` || string(res.Body) != "[1]" {
		t.Fatalf("unconditional: %v", err)
	}
	if _, err := do(`"v1"`); !errors.Is(err, apiclient.ErrNotModified) || err.Error() != "balance_summary: not modified" {
		t.Fatalf("matching tag: err %v, want ErrNotModified", err)
	}
	if res, err := do(`"v0"`); err != nil || string(res.Body) != "[1]" {
		t.Fatalf("stale tag: %v", err)
	}
	s, err := tc.Open(context.Background(), Request{Endpoint: "usage_download", URL: srv.URL, Auth: bearer(testKey), IfNoneMatch: `"v1"`})
	if !errors.Is(err, apiclient.ErrNotModified) || s != nil {
		t.Fatalf("stream with matching tag: err %v", err)
	}
	if want := []string{"", `"v1"`, `"v0"`, `"v1"`}; !slices.Equal(e.seen, want) {
		t.Errorf("If-None-Match sent %q, want %q", e.seen, want)
	}
	reqs, retries, _ := tc.rec.snapshot()
	if len(retries) != 0 || len(reqs) != 4 || reqs[1].code != http.StatusNotModified {
		t.Errorf("observed %v, retries %v", reqs, retries)
	}
}

func TestUnaskedNotModifiedIsBadResponse(t *testing.T) {
	srv, script := serve(t, status(http.StatusNotModified))
	tc := newTestClient(t, srv.URL, nil)
	_, err := tc.get(context.Background(), srv.URL, "/x")
	var se *apiclient.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotModified || !errors.Is(err, apiclient.ErrBadResponse) || errors.Is(err, apiclient.ErrNotModified) {
		t.Fatalf("err %v", err)
	}
	if script.count() != 1 {
		t.Errorf("retried: %d requests", script.count())
	}
}
