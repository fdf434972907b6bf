package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// landingPage is the part of the exporter's landing page the load test
// reads, as the exporter writes it.
const landingPage = `<table>
<tr><th>Dataset</th><th>Last refresh</th><th>Duration</th><th>Last success</th><th>Data age</th></tr>
<tr>
<td>billing_periods</td>
<td><span class="ok">ok</span></td>
<td>12ms</td>
<td>2026-11-25T10:00:01Z</td>
<td>3s</td>
</tr><tr>
<td>usage_details</td>
<td><span class="%s">x</span></td>
<td>%s</td>
<td>%s</td>
<td></td>
</tr>
</table>`

func landing(state, duration, last string) []byte {
	return []byte(fmt.Sprintf(landingPage, state, duration, last))
}

func TestParseLandingAndRefreshed(t *testing.T) {
	pending, err := parseLanding(landing("pending", "", "never"))
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending page: %v, %v", pending, err)
	}
	if done, err := refreshed(pending, nil); done || err != nil {
		t.Errorf("pending: refreshed = %v, %v", done, err)
	}
	first, err := parseLanding(landing("ok", "1m2.5s", "2026-11-25T10:00:01Z"))
	if err != nil || first["usage_details"].duration != 62500*time.Millisecond {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	if done, err := refreshed(first, nil); !done || err != nil {
		t.Errorf("first refresh: refreshed = %v, %v", done, err)
	}
	if done, _ := refreshed(first, first); done {
		t.Error("the same page counts as a second refresh")
	}
	second, _ := parseLanding(landing("ok", "3ms", "2026-11-25T10:00:31Z"))
	second["billing_periods"] = datasetRow{state: "ok", lastSuccess: "2026-11-25T10:00:31Z"}
	if done, err := refreshed(second, first); !done || err != nil {
		t.Errorf("second refresh: refreshed = %v, %v", done, err)
	}
	failed, _ := parseLanding(landing("fail", "3ms", "2026-11-25T10:00:01Z"))
	if _, err := refreshed(failed, nil); err == nil || !strings.Contains(err.Error(), "usage_details") {
		t.Errorf("failed refresh: err %v", err)
	}
	if _, err := parseLanding([]byte("<html>no table</html>")); err == nil {
		t.Error("a page without rows parsed")
	}
}

func TestParseUsage(t *testing.T) {
	text := `# HELP azure_ea_usage_cost x
azure_ea_usage_cost{billing_period="202611",department="A"} 1.5
azure_ea_usage_cost{billing_period="202610",department="A"} 2
azure_ea_usage_quantity{billing_period="202611",department="A",unit_of_measure="1 Hour"} 10
azure_ea_usage_records{billing_period="202611",enrollment="1"} 7
azure_ea_usage_records{billing_period="202610",enrollment="1"} 3
azure_ea_usage_cost_forecast{billing_period="202611",department="A"} 99
`
	u, err := parseUsage(strings.NewReader(text))
	if err != nil || u != (usageFigures{series: 3, rows: 10, cost: 3.5}) {
		t.Errorf("parseUsage = %+v, %v", u, err)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for q, want := range map[float64]time.Duration{0.5: 50, 0.99: 99, 1: 100, 0: 1} {
		if got := percentile(s, q); got != want {
			t.Errorf("percentile(%v) = %v, want %v", q, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing")
	}
}

func TestScrapeConcurrentlyIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" || !strings.Contains(r.Header.Get("Accept"), "text/plain") {
			http.Error(w, "not a Prometheus scrape", http.StatusBadRequest)
			return
		}
		w.Write([]byte("up 1\n"))
	}))
	defer srv.Close()
	p := &exporterProc{url: srv.URL}
	lat, size, err := scrapeConcurrently(context.Background(), p, 3, 20, time.Minute, true)
	if err != nil || len(lat) != 20 || size != 5 {
		t.Errorf("%d scrapes, %d bytes, %v; want 20 and 5", len(lat), size, err)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions([]string{"-rows", "300000", "-series", "10000, 100000", "-naive-bin", "/tmp/naive"}, &bytes.Buffer{})
	if err != nil || o.rows != 300000 || len(o.series) != 2 || o.series[1] != 100000 || o.interval != 32*time.Second ||
		o.naiveBin != "/tmp/naive" || !o.naive {
		t.Errorf("options %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-series", "many"}, {"-scrapers", "0"}, {"-rows", "-1"}} {
		if _, err := parseOptions(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("parseOptions(%q) succeeded", bad)
		}
	}
}
