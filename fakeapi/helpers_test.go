package fakeapi

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the default clock of the tests: late in a month, so that both
// the previous and the current period have data.
var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// fixture is a fake server on an httptest server with a settable clock.
type fixture struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *clock
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	c := &clock{t: testNow}
	if o.Now == nil {
		o.Now = c.Now
	}
	if o.RowsPerDay == 0 {
		o.RowsPerDay = 40
	}
	if o.PageSize == 0 {
		o.PageSize = 100
	}
	s := New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &fixture{t: t, s: s, ts: ts, clock: c}
}

// response is a fully read answer.
type response struct {
	status int
	header http.Header
	body   []byte
	err    error // reading the body
}

// do sends a request with the server's key (unless header sets
// Authorization, to "" for none) and reads the whole answer.
func (f *fixture) do(method, url string, header map[string]string) response {
	f.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = f.ts.URL + url
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "bearer "+f.s.Key())
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func (f *fixture) get(url string) response {
	f.t.Helper()
	return f.do(http.MethodGet, url, nil)
}

// mustGet fetches url and fails unless it answers 200.
func (f *fixture) mustGet(url string) response {
	f.t.Helper()
	r := f.get(url)
	if r.status != http.StatusOK || r.err != nil {
		f.t.Fatalf("GET %s: %d %v %.300s", url, r.status, r.err, r.body)
	}
	return r
}

// enr is the default enrollment path prefix.
func enr(version string) string { return "/" + version + "/enrollments/" + DefaultEnrollment }

// usagePage is a decoded usage page.
type usagePage struct {
	ID       string            `json:"id"`
	ReportID string            `json:"reportId"`
	Data     []json.RawMessage `json:"data"`
	NextLink *string           `json:"nextLink"`
}

// usageRowJSON holds the fields the tests check, flexible where quirks make
// them so.
type usageRowJSON struct {
	Cost                    json.Number `json:"cost"`
	ConsumedQuantity        json.Number `json:"consumedQuantity"`
	ResourceRate            json.Number `json:"resourceRate"`
	Date                    string      `json:"date"`
	DepartmentName          string      `json:"departmentName"`
	SubscriptionGUID        string      `json:"subscriptionGuid"`
	SubscriptionName        string      `json:"subscriptionName"`
	MeterCategory           string      `json:"meterCategory"`
	MeterID                 string      `json:"meterId"`
	Tags                    *string     `json:"tags"`
	ChargesBilledSeparately any         `json:"chargesBilledSeparately"`
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v in %.300s", err, b)
	}
}

func num(t *testing.T, n json.Number) float64 {
	t.Helper()
	v, err := n.Float64()
	if err != nil {
		t.Fatalf("number %q: %v", n, err)
	}
	return v
}

// followPages follows nextLink from url to the end and returns the rows,
// and also each row as a map when withMaps is set.
func (f *fixture) followPages(url string, withMaps ...bool) (rows []usageRowJSON, raws []map[string]any, pages int) {
	f.t.Helper()
	seen := map[string]bool{}
	for url != "" {
		if seen[url] {
			f.t.Fatalf("nextLink loop at %s", url)
		}
		seen[url] = true
		r := f.mustGet(url)
		var p struct {
			Data     []usageRowJSON
			NextLink *string
		}
		decodeJSON(f.t, r.body, &p)
		pages++
		rows = append(rows, p.Data...)
		if len(withMaps) > 0 && withMaps[0] {
			var pm struct{ Data []map[string]any }
			decodeJSON(f.t, r.body, &pm)
			raws = append(raws, pm.Data...)
		}
		url = ""
		if p.NextLink != nil {
			url = *p.NextLink
		}
	}
	return rows, raws, pages
}

// near compares sums that were added in a different order.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
