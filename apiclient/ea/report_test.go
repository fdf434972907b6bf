package ea

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func csvReply(contentType, body string) http.HandlerFunc { return reply(200, contentType, body) }

func TestUsageDownloadRoutes(t *testing.T) {
	tests := []struct {
		name    string
		q       apiclient.UsageQuery
		queries []string
	}{
		{"billing period", apiclient.UsageQuery{BillingPeriod: "202402"}, []string{"billingPeriod=202402"}},
		{"current period", apiclient.UsageQuery{}, []string{"billingPeriod=202403"}},
		{"within a month", apiclient.UsageQuery{Start: date(2024, 2, 3, 0, 0, 0, 0), End: date(2024, 2, 29, 0, 0, 0, 0)},
			[]string{"endTime=2024-02-29&startTime=2024-02-03"}},
		{"split at month ends", apiclient.UsageQuery{Start: date(2024, 1, 20, 0, 0, 0, 0), End: date(2024, 3, 5, 0, 0, 0, 0)},
			[]string{"endTime=2024-01-31&startTime=2024-01-20", "endTime=2024-02-29&startTime=2024-02-01", "endTime=2024-03-05&startTime=2024-03-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, csvReply("application/octet-stream", usageCSV()), nil)
			tt.q.Method = apiclient.UsageCSV
			if _, err := usage(t, hs, tt.q); err != nil {
				t.Fatal(err)
			}
			var queries []string
			for _, r := range hs.requests() {
				if r.path != base+"/usagedetails/download" || r.auth != "bearer "+testKey {
					t.Errorf("request %+v", r)
				}
				queries = append(queries, r.query)
			}
			if !slices.Equal(queries, tt.queries) {
				t.Errorf("queries %q\nwant    %q", queries, tt.queries)
			}
		})
	}
}

func TestUsageDownload(t *testing.T) {
	body := usageCSV([3]string{"2024-01-31", "A", "100"}, [3]string{"02/01/2024", "A", "1.5"}, [3]string{"2024-02-02", "B", "2"})
	tests := []struct {
		name    string
		handler http.HandlerFunc
		q       apiclient.UsageQuery
		rows    int
		cost    float64
		err     error
	}{
		{"octet-stream", csvReply("application/octet-stream", body), apiclient.UsageQuery{BillingPeriod: "202401"}, 1, 100, nil},
		{"text/csv, rows outside the period dropped", csvReply("text/csv; charset=utf-8", body), apiclient.UsageQuery{BillingPeriod: "202402"}, 2, 3.5, nil},
		{"rows outside the range dropped", csvReply("application/octet-stream", body),
			apiclient.UsageQuery{Start: date(2024, 2, 1, 0, 0, 0, 0), End: date(2024, 2, 29, 0, 0, 0, 0)}, 2, 3.5, nil},
		{"Usage Data Extract alone is no rows", csvReply("text/csv", "\"Usage Data Extract\",\r\n\"\",\r\n"), apiclient.UsageQuery{}, 0, 0, nil},
		{"404 is no rows", reply(404, "application/json", `{"error":{"code":"404","message":"No records"}}`), apiclient.UsageQuery{}, 0, 0, nil},
		// 400 says "no data" here as on the JSON route (reference 1.4, 5.2).
		{"400 is no rows", reply(400, "application/json", `{"error":{"code":"400","message":"No data found for the enrollment in the requested range."}}`),
			apiclient.UsageQuery{}, 0, 0, nil},
		{"400 as text is no rows", reply(400, "text/plain", "range too long"), apiclient.UsageQuery{}, 0, 0, nil},
		{"HTML content type", csvReply("text/html", body), apiclient.UsageQuery{}, 0, 0, apiclient.ErrBadResponse},
		{"JSON content type", csvReply("application/json", `{"data":[]}`), apiclient.UsageQuery{}, 0, 0, apiclient.ErrBadResponse},
		{"HTML body", csvReply("application/octet-stream", "\r\n<html><body>error</body></html>"), apiclient.UsageQuery{}, 0, 0, apiclient.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.handler, nil)
			tt.q.Method = apiclient.UsageCSV
			got, err := usage(t, hs, tt.q)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if got.rows != tt.rows || !got.costIs(tt.cost) {
				t.Errorf("got %d rows, cost %v; want %d, %v", got.rows, got.cost, tt.rows, tt.cost)
			}
			if err != nil && !strings.HasPrefix(err.Error(), apiclient.EndpointUsageDownload+": ") {
				t.Errorf("error does not name the endpoint: %v", err)
			}
		})
	}
}

// A real usage CSV always has its header line: an empty or blank body is
// damaged, retried as a truncated body is, then a bad answer, as an empty
// JSON body is; it is no report without rows.
func TestEmptyCSVIsDamaged(t *testing.T) {
	for _, body := range []string{"", " \r\n\t\r\n", "\ufeff\r\n"} {
		t.Run(fmt.Sprintf("download %q", body), func(t *testing.T) {
			hs := newHarness(t, csvReply("application/octet-stream", body), nil)
			got, err := usage(t, hs, apiclient.UsageQuery{Method: apiclient.UsageCSV, BillingPeriod: "202402"})
			if !errors.Is(err, apiclient.ErrBadResponse) || got.rows != 0 {
				t.Fatalf("rows %d, err %v; want ErrBadResponse", got.rows, err)
			}
			if r := hs.rec.retryReasons(); !slices.Equal(r, []string{apiclient.ReasonTruncated, apiclient.ReasonTruncated}) {
				t.Errorf("retries %v, want two of %s", r, apiclient.ReasonTruncated)
			}
		})
		t.Run(fmt.Sprintf("report blob %q", body), func(t *testing.T) {
			blob := newBlobServer(t, body)
			api := &asyncAPI{states: []int{3}, blobURL: blob.URL + "/blob/r1.csv?sig=SAS"}
			hs := newHarness(t, api, nil)
			api.srvURL = hs.srv.URL
			got, err := usage(t, hs, apiclient.UsageQuery{BillingPeriod: "202402", Method: apiclient.UsageAsync})
			if !errors.Is(err, apiclient.ErrBadResponse) || got.rows != 0 {
				t.Fatalf("rows %d, err %v; want ErrBadResponse", got.rows, err)
			}
			if n := len(blob.authHeaders()); n != 3 {
				t.Errorf("blob fetched %d times, want 3", n)
			}
		})
	}
}

// asyncAPI serves submit and reportUrl from a list of states, and points
// blobPath at blobURL.
type asyncAPI struct {
	mu        sync.Mutex
	states    []int
	polls     int
	submitted []string
	reportURL string // "" = this server's own
	blobURL   string
	srvURL    string
}

func (a *asyncAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base+"/usagedetails/submit":
		a.submitted = append(a.submitted, r.URL.RawQuery)
		a.polls = 0
		w.WriteHeader(http.StatusAccepted)
		a.writeStatus(w, 1)
	case r.Method == http.MethodGet && r.URL.Path == base+"/usagedetails/reports/r1":
		a.writeStatus(w, a.states[min(a.polls, len(a.states)-1)])
		a.polls++
	default:
		http.Error(w, "no route", http.StatusTeapot)
	}
}

func (a *asyncAPI) pollCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.polls
}

func (a *asyncAPI) submissions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.submitted...)
}

// writeStatus writes a report status; a negative state is that state with
// an empty blobPath.
func (a *asyncAPI) writeStatus(w http.ResponseWriter, state int) {
	blob := ""
	if state == 3 || state == 6 {
		blob = a.blobURL
	}
	if state < 0 {
		state = -state
	}
	report := a.reportURL
	if report == "" {
		report = a.srvURL + base + "/usagedetails/reports/r1"
	}
	fmt.Fprintf(w, `{"id":"r1","enrollmentNumber":"100","requestedOn":"2024-03-15T08:00:00.1290704Z","status":%d,`+
		`"blobPath":%q,"reportUrl":%q,"startDate":"2024-02-01T00:00:00","endDate":"2024-02-29T00:00:00"}`, state, blob, report)
}

// blobServer serves a CSV and records the Authorization headers it gets.
type blobServer struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newBlobServer(t *testing.T, body string) *blobServer {
	b := &blobServer{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.auth = append(b.auth, r.Header.Get("Authorization"))
		b.mu.Unlock()
		csvReply("application/octet-stream", body)(w, r)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *blobServer) authHeaders() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.auth...)
}

func TestUsageAsync(t *testing.T) {
	body := usageCSV([3]string{"2024-02-01", "A", "1.5"}, [3]string{"2024-02-02", "B", "2"})
	tests := []struct {
		name   string
		states []int
		rows   int
		polls  int
		err    error
	}{
		{"queued, in progress, completed", []int{2, 3}, 2, 2, nil},
		{"completed before its blobPath", []int{-3, -3, 3}, 2, 3, nil},
		{"ready to download", []int{6}, 2, 1, nil},
		{"no data found", []int{2, 5}, 0, 2, nil},
		{"failed", []int{4}, 0, 1, apiclient.ErrReportFailed},
		{"timed out", []int{2, 7}, 0, 2, apiclient.ErrReportFailed},
		{"unknown status", []int{9}, 0, 1, apiclient.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob := newBlobServer(t, body)
			api := &asyncAPI{states: tt.states, blobURL: blob.URL + "/blob/r1.csv?sv=2018&sig=SAS"}
			hs := newHarness(t, api, nil)
			api.srvURL = hs.srv.URL
			got, err := usage(t, hs, apiclient.UsageQuery{BillingPeriod: "202402", Method: apiclient.UsageAsync})
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if got.rows != tt.rows {
				t.Errorf("%d rows, want %d", got.rows, tt.rows)
			}
			if api.pollCount() != tt.polls {
				t.Errorf("%d polls, want %d", api.pollCount(), tt.polls)
			}
			if w := hs.sleeps(); len(w) != tt.polls || (len(w) > 0 && w[0] != time.Second) {
				t.Errorf("poll waits %v", w)
			}
			if auth := blob.authHeaders(); slices.ContainsFunc(auth, func(a string) bool { return a != "" }) {
				t.Errorf("the blob got Authorization: %q", auth)
			}
			if (len(blob.authHeaders()) == 1) != (tt.rows > 0) {
				t.Errorf("blob fetched %d times", len(blob.authHeaders()))
			}
			for _, r := range hs.requests() {
				if r.auth != "bearer "+testKey {
					t.Errorf("API request without the key: %+v", r)
				}
			}
		})
	}
}

// A submit answered 400 or 404 has no data, as the JSON route's first page
// (reference 1.4, 5.2): there is no report to poll.
func TestUsageAsyncSubmitNoData(t *testing.T) {
	for _, code := range []int{400, 404} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			hs := newHarness(t, reply(code, "application/json", `{"error":{"code":"`+fmt.Sprint(code)+`","message":"No data found."}}`), nil)
			got, err := usage(t, hs, apiclient.UsageQuery{BillingPeriod: "202402", Method: apiclient.UsageAsync})
			if err != nil || got.rows != 0 {
				t.Fatalf("rows %d, err %v; want no rows and no error", got.rows, err)
			}
			if reqs := hs.requests(); len(reqs) != 1 || reqs[0].method != http.MethodPost {
				t.Errorf("requests %+v, want the submit alone", reqs)
			}
		})
	}
}

func TestUsageAsyncRanges(t *testing.T) {
	blob := newBlobServer(t, usageCSV())
	api := &asyncAPI{states: []int{3}, blobURL: blob.URL + "/b"}
	hs := newHarness(t, api, nil)
	api.srvURL = hs.srv.URL
	q := apiclient.UsageQuery{Start: date(2020, 1, 15, 0, 0, 0, 0), End: date(2024, 3, 10, 0, 0, 0, 0), Method: apiclient.UsageAsync}
	if _, err := usage(t, hs, q); err != nil {
		t.Fatal(err)
	}
	want := []string{"endTime=2022-12-31&startTime=2020-01-15", "endTime=2024-03-10&startTime=2023-01-01"}
	if got := api.submissions(); !slices.Equal(got, want) {
		t.Errorf("submitted %q", got)
	}
}

func TestBlobOnTheAPIHostGetsNoKey(t *testing.T) {
	api := &asyncAPI{states: []int{3}}
	var blobAuth []string
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("/blob/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		blobAuth = append(blobAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		csvReply("application/octet-stream", usageCSV([3]string{"2024-03-01", "A", "1"}))(w, r)
	})
	hs := newHarness(t, mux, nil)
	api.srvURL, api.blobURL = hs.srv.URL, hs.srv.URL+"/blob/r1?sig=x"
	got, err := usage(t, hs, apiclient.UsageQuery{Method: apiclient.UsageAsync})
	if err != nil || got.rows != 1 {
		t.Fatalf("rows %d, err %v", got.rows, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(blobAuth, []string{""}) {
		t.Errorf("blob Authorization %q", blobAuth)
	}
}

func TestForeignReportURLRefused(t *testing.T) {
	foreign := newBlobServer(t, "")
	api := &asyncAPI{states: []int{3}, reportURL: foreign.URL + base + "/usagedetails/reports/r1"}
	hs := newHarness(t, api, nil)
	api.srvURL = hs.srv.URL
	_, err := usage(t, hs, apiclient.UsageQuery{Method: apiclient.UsageAsync})
	if !errors.Is(err, apiclient.ErrForeignHost) {
		t.Fatalf("err %v", err)
	}
	if n := len(foreign.authHeaders()); n != 0 {
		t.Errorf("the foreign host got %d requests", n)
	}
	if got := hs.rec.refusals(); !slices.Equal(got, []string{apiclient.EndpointUsageReport}) {
		t.Errorf("refusals %v", got)
	}
}

func TestReportPollingBounded(t *testing.T) {
	api := &asyncAPI{states: []int{2}}
	hs := newHarness(t, api, func(c *Config) { c.ReportTimeout = 5 * time.Second })
	api.srvURL = hs.srv.URL
	_, err := usage(t, hs, apiclient.UsageQuery{Method: apiclient.UsageAsync})
	if err == nil || !strings.Contains(err.Error(), "report not ready after 5s") || api.pollCount() != 5 {
		t.Fatalf("err %v after %d polls", err, api.pollCount())
	}
}

func TestReportStatusDecoding(t *testing.T) {
	tests := []struct {
		body string
		want reportStatus
		ok   bool
	}{
		{`{"status":3,"blobPath":"https://b/x","reportUrl":"https://a/r"}`, reportStatus{3, "https://b/x", "https://a/r"}, true},
		{`{"status":"2","blobPath":null,"reportUrl":" https://a/r "}`, reportStatus{2, "", "https://a/r"}, true},
		{`{"Status":1,"BlobPath":"","ReportUrl":"x"}`, reportStatus{1, "", "x"}, true},
		{`{"status":null}`, reportStatus{}, false},
		{`{"status":2.5}`, reportStatus{}, false},
		{`[{"status":3}]`, reportStatus{}, false},
		{`{"status":{"a":1}}`, reportStatus{}, false},
	}
	for _, tt := range tests {
		got, err := decodeReportStatus([]byte(tt.body))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("decodeReportStatus(%s) = %+v, %v", tt.body, got, err)
		}
	}
}
