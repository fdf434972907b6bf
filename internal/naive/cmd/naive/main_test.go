package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/naive"
)

func TestRunSumsTheFake(t *testing.T) {
	now := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	f := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }, RowsPerDay: 40, PageSize: 100})
	srv := httptest.NewServer(f)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(f.Key()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := f.Truth("202403").UsageRows + f.Truth("202402").UsageRows
	wantCost := f.Truth("202403").UsageCost + f.Truth("202402").UsageCost
	for _, keep := range []string{"false", "true"} {
		var out, errOut bytes.Buffer
		code := run([]string{"-base-url", srv.URL, "-enrollment", f.Enrollment(), "-key-file", keyFile,
			"-periods", "202403,202402", "-keep-rows=" + keep}, &out, &errOut)
		var r naive.Report
		if code != 0 || json.Unmarshal(out.Bytes(), &r) != nil {
			t.Fatalf("keep-rows=%s: exit %d, %q, %s", keep, code, out.Bytes(), errOut.Bytes())
		}
		if r.Rows != want || r.Cost < wantCost*(1-1e-9) || r.Cost > wantCost*(1+1e-9) || r.Seconds <= 0 ||
			r.PeakRSS <= 0 || r.PeakHeap <= 0 || (keep == "true") != (r.KeptRows == want) {
			t.Errorf("keep-rows=%s: %+v, want %d rows, cost %v", keep, r, want, wantCost)
		}
	}
}

func TestRunFails(t *testing.T) {
	f := fakeapi.New(fakeapi.Options{RowsPerDay: 1})
	srv := httptest.NewServer(f)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("not the key"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"-periods", "202401"}, 2, "are required"},
		{[]string{"-base-url", srv.URL, "-enrollment", "1", "-key-file", filepath.Join(t.TempDir(), "none"), "-periods", "202401"}, 2, "reading the API key"},
		{[]string{"-base-url", srv.URL, "-enrollment", f.Enrollment(), "-key-file", keyFile, "-periods", "202401"}, 1, "HTTP 401"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut); code != tc.code || out.Len() != 0 || !strings.Contains(errOut.String(), tc.err) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.err)
		}
	}
}
