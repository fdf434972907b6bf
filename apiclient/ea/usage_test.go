package ea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const base = "/v3/enrollments/100"

func TestUsagePaging(t *testing.T) {
	var srvURL string
	hs := newHarness(t, byPath(map[string]http.HandlerFunc{
		base + "/usagedetails": func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("skiptoken") {
			case "":
				jsonReply(usagePage(srvURL+base+"/usagedetails?skiptoken=p2", usageRowJSON("2024-03-01", "A", 1), usageRowJSON("2024-03-02", "B", 2)))(w, r)
			case "p2":
				jsonReply(usagePage(srvURL+base+"/usagedetails?skiptoken=p3", usageRowJSON("2024-03-03", "A", 4)))(w, r)
			default:
				jsonReply(usagePage("", usageRowJSON("2024-03-04", "C", 8)))(w, r)
			}
		},
	}), nil)
	srvURL = hs.srv.URL
	for mode, read := range usageModes {
		before := len(hs.requests())
		got, err := read(t, hs, apiclient.UsageQuery{TagKeys: []string{"env"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.rows != 4 || !got.costIs(15) || got.depts["A"] != 5 {
			t.Errorf("%s: got %+v", mode, got)
		}
		reqs := hs.requests()[before:]
		if len(reqs) != 3 {
			t.Fatalf("%s: %d requests", mode, len(reqs))
		}
		for _, r := range reqs {
			if r.auth != "bearer "+testKey {
				t.Errorf("%s: request %+v without the key", mode, r)
			}
		}
	}
}

func TestUsageRoutes(t *testing.T) {
	tests := []struct {
		name  string
		q     apiclient.UsageQuery
		paths []string
	}{
		{"current period", apiclient.UsageQuery{}, []string{base + "/usagedetails?"}},
		{"billing period", apiclient.UsageQuery{BillingPeriod: "202402"}, []string{base + "/billingPeriods/202402/usagedetails?"}},
		{"custom range", apiclient.UsageQuery{Start: date(2024, 2, 1, 13, 0, 0, 0), End: date(2024, 2, 10, 0, 0, 0, 0), BillingPeriod: "ignored"},
			[]string{base + "/usagedetailsbycustomdate?endTime=2024-02-10&startTime=2024-02-01"}},
		{"one day", apiclient.UsageQuery{Start: date(2024, 2, 1, 0, 0, 0, 0), End: date(2024, 2, 1, 0, 0, 0, 0)},
			[]string{base + "/usagedetailsbycustomdate?endTime=2024-02-01&startTime=2024-02-01"}},
		{"open end is today", apiclient.UsageQuery{Start: date(2024, 3, 1, 0, 0, 0, 0)},
			[]string{base + "/usagedetailsbycustomdate?endTime=2024-03-15&startTime=2024-03-01"}},
		{"over 36 months is split", apiclient.UsageQuery{Start: date(2020, 1, 15, 0, 0, 0, 0), End: date(2024, 3, 10, 0, 0, 0, 0)},
			[]string{
				base + "/usagedetailsbycustomdate?endTime=2022-12-31&startTime=2020-01-15",
				base + "/usagedetailsbycustomdate?endTime=2024-03-10&startTime=2023-01-01",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, jsonReply(usagePage("")), nil)
			if _, err := usage(t, hs, tt.q); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, r := range hs.requests() {
				paths = append(paths, r.path+"?"+r.query)
			}
			if !slices.Equal(paths, tt.paths) {
				t.Errorf("paths %q\nwant  %q", paths, tt.paths)
			}
		})
	}
}

func TestUsageQueryErrors(t *testing.T) {
	hs := newHarness(t, jsonReply(usagePage("")), nil)
	for _, q := range []apiclient.UsageQuery{
		{BillingPeriod: "2024-02"},
		{Start: date(2024, 2, 2, 0, 0, 0, 0), End: date(2024, 2, 1, 0, 0, 0, 0)},
		{Method: 99},
	} {
		if _, err := usage(t, hs, q); err == nil {
			t.Errorf("query %+v: no error", q)
		}
	}
	if len(hs.requests()) != 0 {
		t.Error("a bad query was sent")
	}
}

func TestUsageCustomRangeFiltersRows(t *testing.T) {
	hs := newHarness(t, jsonReply(usagePage("",
		usageRowJSON("2024-01-31", "A", 1), usageRowJSON("2024-02-01", "A", 2),
		usageRowJSON("2024-02-02", "A", 4), usageRowJSON("2024-02-03", "A", 8))), nil)
	got, err := usage(t, hs, apiclient.UsageQuery{Start: date(2024, 2, 1, 0, 0, 0, 0), End: date(2024, 2, 2, 23, 0, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if got.rows != 2 || !got.costIs(6) {
		t.Errorf("got %+v, want the two rows of 1-2 Feb", got)
	}
}

// Rows whose date, cost or quantity cannot be read are counted in the
// query's Skipped, with the first reason, once per page however often it is
// read; a row whose quantity alone cannot be read keeps its cost.
func TestUsageSkippedRowsReported(t *testing.T) {
	badQuantity := strings.Replace(usageRowJSON("2024-03-01", "A", 100), `"consumedQuantity":2`, `"consumedQuantity":"2,5"`, 1)
	badCost := strings.Replace(usageRowJSON("2024-03-02", "B", 1), `"cost":1`, `"cost":"n/a"`, 1)
	badDate := strings.Replace(usageRowJSON("2024-03-03", "B", 1), `"date":"2024-03-03T00:00:00"`, `"date":null`, 1)
	const quantityReason = "quantity not a number: row kept with quantity 0"
	for mode, read := range usageModes {
		t.Run(mode, func(t *testing.T) {
			// Page 1 comes truncated first: its rows count once.
			var page1 http.HandlerFunc
			hs := newHarness(t, byPath(map[string]http.HandlerFunc{
				base + "/usagedetails": func(w http.ResponseWriter, r *http.Request) { page1(w, r) },
				"/page2":               jsonReply(usagePage("", badCost, badDate)),
			}), nil)
			body := usagePage(hs.srv.URL+"/page2", usageRowJSON("2024-03-01", "A", 1), badQuantity)
			page1 = sequence(truncatedReply(body), jsonReply(body))
			var skipped apiclient.UsageSkipped
			got, err := read(t, hs, apiclient.UsageQuery{Skipped: &skipped})
			if err != nil {
				t.Fatal(err)
			}
			if got.rows != 2 || !got.costIs(101) {
				t.Errorf("%d rows, cost %v; want 2 and 101: a bad quantity keeps its cost", got.rows, got.cost)
			}
			if skipped != (apiclient.UsageSkipped{Rows: 3, Reason: quantityReason}) {
				t.Errorf("skipped %+v, want 3 rows, the first for its quantity", skipped)
			}
		})
	}
	csv := strings.Replace(usageCSV([3]string{"2024-02-01", "A", "1"}, [3]string{"2024-02-02", "B", "100"}, [3]string{"2024-02-03", "B", "n/a"}),
		",2,Microsoft.Compute,1,100,", `,"2,5",Microsoft.Compute,1,100,`, 1)
	for name, q := range map[string]apiclient.UsageQuery{
		"download": {Method: apiclient.UsageCSV, BillingPeriod: "202402"},
		"report":   {Method: apiclient.UsageAsync, BillingPeriod: "202402"},
	} {
		t.Run(name, func(t *testing.T) {
			blob := newBlobServer(t, csv)
			api := &asyncAPI{states: []int{3}, blobURL: blob.URL + "/blob/r1.csv?sig=SAS"}
			hs := newHarness(t, byPath(map[string]http.HandlerFunc{
				base + "/usagedetails/download":   csvReply("application/octet-stream", csv),
				base + "/usagedetails/submit":     api.ServeHTTP,
				base + "/usagedetails/reports/r1": api.ServeHTTP,
			}), nil)
			api.srvURL = hs.srv.URL
			skipped := apiclient.UsageSkipped{Rows: 7, Reason: "left from an earlier read"}
			q.Skipped = &skipped
			got, err := usage(t, hs, q)
			if err != nil {
				t.Fatal(err)
			}
			if got.rows != 2 || !got.costIs(101) {
				t.Errorf("%d rows, cost %v; want 2 and 101", got.rows, got.cost)
			}
			if skipped != (apiclient.UsageSkipped{Rows: 2, Reason: quantityReason}) {
				t.Errorf("skipped %+v, want 2 rows, the first for its quantity", skipped)
			}
		})
	}
}

func TestUsageEnds(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		rows    int
	}{
		{"empty nextLink", jsonReply(`{"id":"x","data":[` + usageRowJSON("2024-03-01", "A", 1) + `],"nextLink":""}`), 1},
		{"absent nextLink", jsonReply(`{"data":[` + usageRowJSON("2024-03-01", "A", 1) + `]}`), 1},
		{"empty data", jsonReply(usagePage("")), 0},
		{"null data", jsonReply(`{"id":"x","data":null,"nextLink":null}`), 0},
		{"Usage Data Extract, quoted", reply(200, "application/json", `"Usage Data Extract",,,`), 0},
		{"Usage Data Extract, bare", reply(200, "text/plain", "Usage Data Extract\r\nAccountId,Cost\r\n"), 0},
		{"400", reply(400, "application/json", `{"error":{"code":"400","message":"Invalid enrollment"}}`), 0},
		{"404", reply(404, "", ""), 0},
		// The C# client of the reference (3.3) ends on IsNullOrWhiteSpace.
		{"blank nextLink", jsonReply(`{"id":"x","data":[` + usageRowJSON("2024-03-01", "A", 1) + `],"nextLink":" "}`), 1},
		{"line break nextLink", jsonReply(`{"id":"x","data":[` + usageRowJSON("2024-03-01", "A", 1) + `],"nextLink":"\r\n"}`), 1},
		{"tab nextLink", jsonReply(`{"id":"x","data":[` + usageRowJSON("2024-03-01", "A", 1) + `],"nextLink":"\t"}`), 1},
	}
	for _, tt := range tests {
		for mode, read := range usageModes {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				hs := newHarness(t, tt.handler, nil)
				got, err := read(t, hs, apiclient.UsageQuery{})
				if err != nil || got.rows != tt.rows {
					t.Fatalf("rows %d, err %v; want %d rows", got.rows, err, tt.rows)
				}
				if n := len(hs.requests()); n != 1 {
					t.Errorf("%d requests", n)
				}
			})
		}
	}
}

func TestUsageNoDataOnLaterPageIsAnError(t *testing.T) {
	var srvURL string
	hs := newHarness(t, byPath(map[string]http.HandlerFunc{
		base + "/usagedetails": func(w http.ResponseWriter, r *http.Request) {
			jsonReply(usagePage(srvURL+"/page2", usageRowJSON("2024-03-01", "A", 1)))(w, r)
		},
		"/page2": reply(404, "", ""),
	}), nil)
	srvURL = hs.srv.URL
	_, err := usage(t, hs, apiclient.UsageQuery{})
	var se *apiclient.StatusError
	if !errors.As(err, &se) || se.Code != 404 || se.Endpoint != apiclient.EndpointUsageDetails {
		t.Fatalf("err %v", err)
	}
}

// The "Usage Data Extract" text means no data only as the first answer: on
// a later page, rows were delivered already and the rest of the listing
// would be lost without a word.
func TestUsageDataExtractOnLaterPageIsAnError(t *testing.T) {
	for mode, read := range usageModes {
		t.Run(mode, func(t *testing.T) {
			var srvURL string
			hs := newHarness(t, byPath(map[string]http.HandlerFunc{
				base + "/usagedetails": func(w http.ResponseWriter, r *http.Request) {
					jsonReply(usagePage(srvURL+"/page2", usageRowJSON("2024-03-01", "A", 1)))(w, r)
				},
				"/page2": reply(200, "text/csv", "\"Usage Data Extract\",\r\n\"\",\r\n"),
			}), nil)
			srvURL = hs.srv.URL
			got, err := read(t, hs, apiclient.UsageQuery{})
			if !errors.Is(err, apiclient.ErrBadResponse) {
				t.Fatalf("rows %d, err %v; want an error wrapping ErrBadResponse", got.rows, err)
			}
			if !strings.Contains(err.Error(), "page 2") || !strings.HasPrefix(err.Error(), apiclient.EndpointUsageDetails+": ") {
				t.Errorf("err %q does not name the endpoint and the page", err)
			}
			if n := len(hs.requests()); n != 2 {
				t.Errorf("%d requests, want 2 (no retry of a well-formed answer)", n)
			}
		})
	}
}

func TestForeignNextLinkRefused(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		jsonReply(usagePage(""))(w, r)
	}))
	defer foreign.Close()
	hs := newHarness(t, jsonReply(usagePage(foreign.URL+base+"/usagedetails?skiptoken=abc", usageRowJSON("2024-03-01", "A", 1))), nil)
	_, err := usage(t, hs, apiclient.UsageQuery{})
	if !errors.Is(err, apiclient.ErrForeignHost) || strings.Contains(err.Error(), foreign.URL) {
		t.Fatalf("err %v", err)
	}
	if n := foreignHits.Load(); n != 0 {
		t.Errorf("the foreign host got %d requests", n)
	}
	if got := hs.rec.refusals(); !slices.Equal(got, []string{apiclient.EndpointUsageDetails}) {
		t.Errorf("refusals %v", got)
	}
}

func TestPageLoops(t *testing.T) {
	t.Run("repeated nextLink", func(t *testing.T) {
		var srvURL string
		hs := newHarness(t, byPath(map[string]http.HandlerFunc{
			base + "/usagedetails": func(w http.ResponseWriter, r *http.Request) {
				// Page 2 links back to page 2.
				jsonReply(usagePage(srvURL+base+"/usagedetails?skiptoken=2", usageRowJSON("2024-03-01", "A", 1)))(w, r)
			},
		}), nil)
		srvURL = hs.srv.URL
		got, err := usage(t, hs, apiclient.UsageQuery{})
		if !errors.Is(err, apiclient.ErrPageLoop) || got.rows != 2 || len(hs.requests()) != 2 {
			t.Fatalf("err %v after %d rows, %d requests", err, got.rows, len(hs.requests()))
		}
	})
	t.Run("too many pages", func(t *testing.T) {
		var srvURL string
		var n atomic.Int32
		hs := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := strings.Repeat("x", int(n.Add(1)))
			jsonReply(usagePage(srvURL+base+"/usagedetails?skiptoken="+token))(w, r)
		}), func(c *Config) { c.MaxPages = 5 })
		srvURL = hs.srv.URL
		_, err := usage(t, hs, apiclient.UsageQuery{})
		if !errors.Is(err, apiclient.ErrPageLoop) || !strings.Contains(err.Error(), "more than 5 pages") || len(hs.requests()) != 5 {
			t.Fatalf("err %v after %d requests", err, len(hs.requests()))
		}
	})
}

// truncatedReply declares more bytes than it sends.
func truncatedReply(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(200)
		w.Write([]byte(body[:len(body)/2]))
	}
}

func TestDamagedPagesRetriedWithoutDuplicates(t *testing.T) {
	page1 := usagePage("", usageRowJSON("2024-03-01", "A", 1), usageRowJSON("2024-03-02", "A", 2))
	tests := []struct {
		name  string
		first http.HandlerFunc
	}{
		{"truncated body", truncatedReply(page1)},
		{"cut JSON with a matching length", jsonReply(page1[:len(page1)-40])},
		{"HTML page with 200", reply(200, "text/html", "<html><body>502 Bad Gateway</body></html>")},
		{"trailing garbage", jsonReply(page1 + "<html>")},
	}
	for mode, read := range usageModes {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				hs := newHarness(t, sequence(tt.first, jsonReply(page1)), nil)
				got, err := read(t, hs, apiclient.UsageQuery{})
				if err != nil {
					t.Fatal(err)
				}
				if got.rows != 2 || !got.costIs(3) {
					t.Errorf("got %+v, want each row once", got)
				}
				if r := hs.rec.retryReasons(); !slices.Equal(r, []string{apiclient.ReasonTruncated}) {
					t.Errorf("retries %v", r)
				}
			})
		}
		t.Run(mode+"/always damaged", func(t *testing.T) {
			hs := newHarness(t, jsonReply(page1[:len(page1)-40]), nil)
			got, err := read(t, hs, apiclient.UsageQuery{})
			if !errors.Is(err, apiclient.ErrBadResponse) || got.rows != 0 || len(hs.requests()) != 3 {
				t.Fatalf("err %v, %d rows, %d requests", err, got.rows, len(hs.requests()))
			}
		})
	}
}

// bigRows are n rows of cost 1, together far larger than the stream
// decoder's window.
func bigRows(n int) []string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = usageRowJSON(fmt.Sprintf("2024-03-%02d", 1+i%28), fmt.Sprintf("D%d", i%5), 1)
	}
	return rows
}

// TestStreamedPageDamagedAfterRowsRollsBack checks the point of staging: a
// page damaged after hundreds of its rows were delivered is taken back and
// read again, and every row counts once.
func TestStreamedPageDamagedAfterRowsRollsBack(t *testing.T) {
	rows := bigRows(2000)
	// A row whose quantity cannot be read, among those taken back: it
	// counts as skipped once.
	rows[10] = strings.Replace(rows[10], `"consumedQuantity":2`, `"consumedQuantity":"x"`, 1)
	page := usagePage("", rows...)
	bad := slices.Clone(rows)
	bad[1500] = `{"cost":,"date":"2024-03-01"}`
	for name, first := range map[string]http.HandlerFunc{
		"truncated body": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(page)))
			w.WriteHeader(200)
			w.Write([]byte(page[:len(page)*3/4]))
		},
		"cut JSON":     jsonReply(page[:len(page)*3/4]),
		"a broken row": jsonReply(usagePage("", bad...)),
	} {
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t, sequence(first, jsonReply(page)), nil)
			var skipped apiclient.UsageSkipped
			got, err := usage(t, hs, apiclient.UsageQuery{Skipped: &skipped})
			if err != nil {
				t.Fatal(err)
			}
			if got.rows != 2000 || !got.costIs(2000) {
				t.Errorf("%d rows, cost %v; want 2000 each", got.rows, got.cost)
			}
			if skipped.Rows != 1 {
				t.Errorf("%d rows skipped, want 1: the row of the damaged attempt counts once", skipped.Rows)
			}
			if got.rolledBack < 1000 || got.delivered != got.rows+got.rolledBack {
				t.Errorf("%d rows delivered, %d rolled back: want the damaged attempt's rows delivered, then taken back", got.delivered, got.rolledBack)
			}
			if r := hs.rec.retryReasons(); !slices.Equal(r, []string{apiclient.ReasonTruncated}) {
				t.Errorf("retries %v", r)
			}
		})
	}
}

// TestStreamedPageWithTwoDataMembers checks the one page the stream cannot
// decode as it goes: the second data member replaces the first, so the
// page is read again whole.
func TestStreamedPageWithTwoDataMembers(t *testing.T) {
	page := `{"data":[` + usageRowJSON("2024-03-01", "A", 1) + `],"data":[` + usageRowJSON("2024-03-02", "B", 2) + `],"nextLink":null}`
	hs := newHarness(t, jsonReply(page), nil)
	got, err := usage(t, hs, apiclient.UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got.rows != 1 || got.depts["B"] != 2 || len(hs.requests()) != 2 {
		t.Errorf("got %+v after %d requests; want B's row once, from a second, whole read", got, len(hs.requests()))
	}
}

func TestUsageRetryWaits(t *testing.T) {
	page := jsonReply(usagePage("", usageRowJSON("2024-03-01", "A", 1)))
	throttled := reply(429, "application/json", `{"error":{"code":"429","message":"Too many requests"}}`)
	hs := newHarness(t, sequence(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-ms-ratelimit-microsoft.consumption-retry-after", "7")
			throttled(w, r)
		},
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			reply(503, "text/plain", "busy")(w, r)
		},
		reply(500, "application/json", `{"error":{"code":"500","message":"oops"}}`),
		page,
	), func(c *Config) { c.Retry.MaxAttempts = 4 })
	got, err := usage(t, hs, apiclient.UsageQuery{})
	if err != nil || got.rows != 1 {
		t.Fatalf("rows %d, err %v", got.rows, err)
	}
	want := []string{apiclient.ReasonThrottled, apiclient.ReasonUnavailable, apiclient.ReasonServerError}
	if r := hs.rec.retryReasons(); !slices.Equal(r, want) {
		t.Errorf("retries %v, want %v", r, want)
	}
	waits := hs.sleeps()
	if len(waits) != 3 || waits[0] != 7*time.Second || waits[1] != 3*time.Second || waits[2] > 4*time.Millisecond {
		t.Errorf("waits %v", waits)
	}
}

func TestUsageCallbackErrorStops(t *testing.T) {
	hs := newHarness(t, jsonReply(usagePage("", usageRowJSON("2024-03-01", "A", 1), usageRowJSON("2024-03-02", "A", 1))), nil)
	stop := errors.New("stop")
	calls := 0
	err := hs.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestUsageHugeField(t *testing.T) {
	hs := newHarness(t, jsonReply(usagePage("", usageRowJSON("2024-03-01", strings.Repeat("d", 10<<20), 1))), nil)
	got, err := usage(t, hs, apiclient.UsageQuery{})
	if !errors.Is(err, apiclient.ErrBadResponse) || got.rows != 0 {
		t.Fatalf("err %v, %d rows", err, got.rows)
	}
}

func TestRedirectToAnotherHostDropsKey(t *testing.T) {
	var mu sync.Mutex
	var foreignAuth []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreignAuth = append(foreignAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		jsonReply("[]")(w, r)
	}))
	defer foreign.Close()
	hs := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+"/moved", http.StatusTemporaryRedirect)
	}), nil)
	if _, err := hs.BillingPeriods(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(foreignAuth, []string{""}) {
		t.Errorf("the other host got Authorization %q", foreignAuth)
	}
}
