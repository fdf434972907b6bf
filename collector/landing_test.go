package collector

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// landingRow returns the landing page's table row of a dataset.
func landingRow(t *testing.T, h http.Handler, dataset string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	_, row, ok := strings.Cut(string(body), "<td>"+dataset+"</td>")
	if !ok {
		t.Fatalf("no row for %s:\n%s", dataset, body)
	}
	row, _, _ = strings.Cut(row, "</tr>")
	return row
}

// lockedBuffer collects log lines from concurrent refreshes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The landing page and the log line of a failed refresh say whether there
// is last good data to serve.
func TestLandingPageSaysWhetherAFailedDatasetHasData(t *testing.T) {
	src := testSource()
	src.setFail(config.DatasetBalanceSummary, errors.New("HTTP 503"))
	logs := &lockedBuffer{}
	e := New(context.Background(), Options{
		Interval: time.Hour, Registerer: prometheus.NewRegistry(), Now: fixedNow, Logger: log.NewLogfmtLogger(logs),
		NewSource: func(config.Enrollment, apiclient.Observer, log.Logger) (apiclient.Source, error) { return src, nil },
	})
	t.Cleanup(e.Stop)
	if err := e.Apply(mustConfig(t, config.Enrollment{Enrollment: "100"})); err != nil {
		t.Fatal(err)
	}
	waitFirstRefresh(t, e)
	h := LandingPage(e, LandingOptions{Name: "test", MetricsPath: "/metrics"})
	if row := landingRow(t, h, config.DatasetBalanceSummary); !strings.Contains(row, "failed, no data yet") || !strings.Contains(row, "never") {
		t.Errorf("a dataset that never succeeded reads %q", row)
	}
	if l := logs.String(); !strings.Contains(l, `msg="refresh failed; no data yet" dataset=balance_summary`) || strings.Contains(l, "serving the last good data") {
		t.Errorf("a first refresh that failed logs:\n%s", l)
	}

	src.setFail(config.DatasetBalanceSummary, nil)
	(*e.current.Load())[0].refresh(context.Background())
	if row := landingRow(t, h, config.DatasetBalanceSummary); !strings.Contains(row, ">ok<") {
		t.Errorf("after a success the row reads %q", row)
	}

	src.setFail(config.DatasetBalanceSummary, errors.New("HTTP 503"))
	(*e.current.Load())[0].refresh(context.Background())
	if row := landingRow(t, h, config.DatasetBalanceSummary); !strings.Contains(row, "failed, serving last good data") {
		t.Errorf("a failure after a success reads %q", row)
	}
	if l := logs.String(); !strings.Contains(l, `msg="refresh failed; serving the last good data" dataset=balance_summary`) {
		t.Errorf("a failure after a success logs:\n%s", l)
	}
}
