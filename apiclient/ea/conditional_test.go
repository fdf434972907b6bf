package ea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// smallAnswers reads every small endpoint of both periods.
type smallAnswers struct {
	periods  []apiclient.BillingPeriod
	balances []*apiclient.BalanceSummary
	market   []apiclient.MarketplaceCharge
	prices   []apiclient.PriceSheetItem
}

func readSmall(t *testing.T, c *Client) smallAnswers {
	t.Helper()
	ctx := context.Background()
	var a smallAnswers
	var err error
	if a.periods, err = c.BillingPeriods(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "202402"} {
		b, err := c.BalanceSummary(ctx, p)
		if err != nil || b == nil {
			t.Fatalf("balance summary %q: %v, %v", p, b, err)
		}
		a.balances = append(a.balances, b)
		err = c.MarketplaceCharges(ctx, p, func(m *apiclient.MarketplaceCharge) error { a.market = append(a.market, *m); return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	err = c.PriceSheet(ctx, "", func(p *apiclient.PriceSheetItem) error { a.prices = append(a.prices, *p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSmallEndpointsConditional(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{}, nil)
	first := readSmall(t, env.client)
	before := env.fake.Stats()
	second := readSmall(t, env.client)
	after := env.fake.Stats()
	if !reflect.DeepEqual(first, second) {
		t.Fatal("answers decoded from kept bodies differ from the first ones")
	}
	// 1 billing periods + 2 balance summaries + 2 marketplace + 1 price sheet.
	if n := after.NotModified - before.NotModified; n != 6 {
		t.Errorf("%d answers were 304, want 6", n)
	}
	if before.NotModified != 0 {
		t.Errorf("first reads: %d answers were 304", before.NotModified)
	}
	if got, full := after.BytesServed-before.BytesServed, before.BytesServed; got*20 > full {
		t.Errorf("second read fetched %d bytes, the first %d", got, full)
	}

	// Changed data (the quirks change the ETags) is downloaded and decoded.
	env.fake.SetQuirks(fakeapi.Quirks{PaddedCurrency: true})
	third := readSmall(t, env.client)
	if st := env.fake.Stats(); st.NotModified != after.NotModified {
		t.Errorf("%d answers were 304 after the data changed", st.NotModified-after.NotModified)
	}
	if third.balances[0].Currency != "USD" || len(third.prices) != len(first.prices) {
		t.Errorf("after the change: %+v", third.balances[0])
	}
}

func TestSmallEndpointNoDataForgetsKeptBody(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{}, nil)
	ctx := context.Background()
	if b, err := env.client.BalanceSummary(ctx, ""); err != nil || b == nil {
		t.Fatalf("%v, %v", b, err)
	}
	env.fake.Inject(fakeapi.RouteBalanceSummary, fakeapi.FaultNoData404)
	if b, err := env.client.BalanceSummary(ctx, ""); err != nil || b != nil {
		t.Fatalf("no data: %v, %v", b, err)
	}
	if b, err := env.client.BalanceSummary(ctx, ""); err != nil || b == nil {
		t.Fatalf("after no data: %v, %v", b, err)
	}
	if n := env.fake.Stats().NotModified; n != 0 {
		t.Errorf("%d answers were 304 after a no-data answer, want a full one", n)
	}
}

// condRead reads q and returns the rows delivered and the new ETag.
func condRead(t *testing.T, c *Client, q apiclient.UsageQuery) (int, string, error) {
	t.Helper()
	var etag string
	q.ETag = &etag
	rows := 0
	err := c.Usage(context.Background(), q, func(*apiclient.UsageRow) error { rows++; return nil })
	return rows, etag, err
}

func TestUsageConditionalAgainstFake(t *testing.T) {
	month := apiclient.UsageQuery{Start: date(2024, 3, 1, 0, 0, 0, 0), End: date(2024, 3, 14, 0, 0, 0, 0)}
	twoMonths := apiclient.UsageQuery{Start: date(2024, 2, 20, 0, 0, 0, 0), End: date(2024, 3, 10, 0, 0, 0, 0)}
	for _, method := range []apiclient.UsageMethod{apiclient.UsageJSON, apiclient.UsageCSV} {
		for name, q := range map[string]apiclient.UsageQuery{"one month": month, "two months": twoMonths, "period": {BillingPeriod: "202402"}} {
			t.Run(fmt.Sprintf("method %d %s", method, name), func(t *testing.T) {
				env := newFakeEnv(t, fakeapi.Options{RowsPerDay: 30, PageSize: 100}, nil)
				q.Method = method
				rows, etag, err := condRead(t, env.client, q)
				if err != nil || rows == 0 || etag == "" {
					t.Fatalf("first read: %d rows, ETag %q, %v", rows, etag, err)
				}
				// The CSV download takes one month per request; JSON up to 36.
				if parts := strings.Count(etag, `"`) / 2; (name == "two months" && method == apiclient.UsageCSV) != (parts == 2) {
					t.Errorf("ETag %q has %d parts", etag, parts)
				}
				bytes := env.fake.Stats().BytesServed
				q.IfNoneMatch = etag
				again, etag2, err := condRead(t, env.client, q)
				if !errors.Is(err, apiclient.ErrNotModified) || again != 0 || etag2 != etag {
					t.Fatalf("unchanged: %d rows, ETag %q, %v; want ErrNotModified", again, etag2, err)
				}
				st := env.fake.Stats()
				if want := strings.Count(etag, `"`) / 2; st.NotModified != want || st.BytesServed != bytes {
					t.Errorf("%d answers 304 (want %d), %d more bytes", st.NotModified, want, st.BytesServed-bytes)
				}
				env.fake.SetQuirks(fakeapi.Quirks{DatesWithZone: true})
				changed, etag3, err := condRead(t, env.client, q)
				if err != nil || changed != rows || etag3 == etag || etag3 == "" {
					t.Errorf("changed: %d rows (want %d), ETag %q, %v", changed, rows, etag3, err)
				}
			})
		}
	}
}

// monthsHandler serves one CSV report per month of a custom range, with an
// ETag per month that the test can change, and records If-None-Match.
type monthsHandler struct {
	mu    sync.Mutex
	etags map[string]string // startTime -> ETag
	seen  []string          // startTime=If-None-Match
}

func (h *monthsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	start := r.URL.Query().Get("startTime")
	etag := h.etags[start]
	inm := r.Header.Get("If-None-Match")
	h.seen = append(h.seen, start+"="+inm)
	h.mu.Unlock()
	w.Header().Set("ETag", etag)
	if inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	reply(200, "text/csv", usageCSV([3]string{start, "Sales", "1"}))(w, r)
}

func (h *monthsHandler) set(start, etag string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.etags[start] = etag
}

func (h *monthsHandler) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer func() { h.seen = nil }()
	return slices.Clone(h.seen)
}

func TestUsageConditionalParts(t *testing.T) {
	h := &monthsHandler{etags: map[string]string{"2024-01-20": `"jan1"`, "2024-02-01": `"feb1"`, "2024-03-01": `W/"mar1"`}}
	hs := newHarness(t, h, nil)
	q := apiclient.UsageQuery{Start: date(2024, 1, 20, 0, 0, 0, 0), End: date(2024, 3, 2, 0, 0, 0, 0), Method: apiclient.UsageCSV}
	rows, etag, err := condRead(t, hs.Client, q)
	if err != nil || rows != 3 || etag != `"jan1" "feb1" W/"mar1"` {
		t.Fatalf("first: %d rows, ETag %q, %v", rows, etag, err)
	}
	if got := h.requests(); !slices.Equal(got, []string{"2024-01-20=", "2024-02-01=", "2024-03-01="}) {
		t.Errorf("first requests %q", got)
	}

	q.IfNoneMatch = etag
	if rows, _, err := condRead(t, hs.Client, q); !errors.Is(err, apiclient.ErrNotModified) || rows != 0 {
		t.Fatalf("unchanged: %d rows, %v", rows, err)
	}
	h.requests()

	// One month changed: every month is delivered, the unchanged ones read
	// again without a condition.
	h.set("2024-02-01", `"feb2"`)
	rows, etag, err = condRead(t, hs.Client, q)
	if err != nil || rows != 3 || etag != `"jan1" "feb2" W/"mar1"` {
		t.Fatalf("one changed: %d rows, ETag %q, %v", rows, etag, err)
	}
	want := []string{`2024-01-20="jan1"`, `2024-02-01="feb1"`, `2024-03-01=W/"mar1"`, "2024-01-20=", "2024-03-01="}
	if got := h.requests(); !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}

	// A joined ETag of another number of parts is no condition at all.
	q.IfNoneMatch = `"jan1" "feb2"`
	if rows, _, err := condRead(t, hs.Client, q); err != nil || rows != 3 {
		t.Fatalf("mismatched parts: %d rows, %v", rows, err)
	}
	if got := h.requests(); !slices.Equal(got, []string{"2024-01-20=", "2024-02-01=", "2024-03-01="}) {
		t.Errorf("mismatched parts sent %q", got)
	}

	// A month without an ETag leaves the whole query without one.
	h.set("2024-03-01", "")
	if _, etag, err := condRead(t, hs.Client, q); err != nil || etag != "" {
		t.Errorf("month without ETag: ETag %q, %v", etag, err)
	}
}

func TestUsageAsyncIgnoresIfNoneMatch(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{RowsPerDay: 20}, nil)
	etag := "stale"
	q := apiclient.UsageQuery{BillingPeriod: "202402", Method: apiclient.UsageAsync, IfNoneMatch: `"x"`, ETag: &etag}
	rows := 0
	if err := env.client.Usage(context.Background(), q, func(*apiclient.UsageRow) error { rows++; return nil }); err != nil || rows == 0 {
		t.Fatalf("%d rows, %v", rows, err)
	}
	if etag != "" || env.fake.Stats().NotModified != 0 {
		t.Errorf("ETag %q, %d answers 304", etag, env.fake.Stats().NotModified)
	}
}

func TestBodyCacheBounded(t *testing.T) {
	c := newBodyCache(10)
	c.put("a", `"1"`, []byte("1234"))
	c.put("b", `"2"`, []byte("5678"))
	c.put("c", `"3"`, []byte("90"))
	if _, ok := c.get("a"); !ok || c.size != 10 {
		t.Fatalf("at the bound: size %d", c.size)
	}
	c.put("d", `"4"`, []byte("x"))
	if _, ok := c.get("a"); ok || c.size != 7 {
		t.Errorf("oldest kept past the bound: size %d", c.size)
	}
	c.put("b", `"5"`, []byte("123456"))
	if e, _ := c.get("b"); e.etag != `"5"` || c.size != 9 || !slices.Equal(c.order, []string{"c", "d", "b"}) {
		t.Errorf("replaced: %+v, size %d, order %v", e, c.size, c.order)
	}
	c.put("e", `"6"`, []byte("much too long"))
	c.put("c", "", []byte("no etag"))
	if _, ok := c.get("e"); ok {
		t.Error("kept a body over the bound")
	}
	if _, ok := c.get("c"); ok || c.size != 7 {
		t.Errorf("kept a body without ETag: size %d", c.size)
	}
}

func TestSplitJoinETags(t *testing.T) {
	tests := []struct {
		joined string
		n      int
		want   []string
	}{
		{"", 2, []string{"", ""}},
		{`"a b"`, 1, []string{`"a b"`}},
		{`"a" W/"b"`, 2, []string{`"a"`, `W/"b"`}},
		{`"a" "b"`, 3, []string{"", "", ""}},
	}
	for _, tt := range tests {
		if got := splitETags(tt.joined, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("splitETags(%q, %d) = %q, want %q", tt.joined, tt.n, got, tt.want)
		}
	}
	for in, want := range map[string]string{`"a"|"b"`: `"a" "b"`, `"a"|`: "", `"a b"|"c"`: "", `"a b"`: `"a b"`} {
		if got := joinETags(strings.Split(in, "|")); got != want {
			t.Errorf("joinETags(%q) = %q, want %q", in, got, want)
		}
	}
}
