package fakeapi

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

type reportStatus struct {
	ID               string `json:"id"`
	EnrollmentNumber string `json:"enrollmentNumber"`
	RequestedOn      string `json:"requestedOn"`
	Status           int    `json:"status"`
	BlobPath         string `json:"blobPath"`
	ReportURL        string `json:"reportUrl"`
	StartDate        string `json:"startDate"`
	EndDate          string `json:"endDate"`
}

func (f *fixture) submit(query string) reportStatus {
	f.t.Helper()
	r := f.do(http.MethodPost, enr("v3")+"/usagedetails/submit?"+query, nil)
	if r.status != http.StatusAccepted {
		f.t.Fatalf("submit: %d %s", r.status, r.body)
	}
	var st reportStatus
	decodeJSON(f.t, r.body, &st)
	return st
}

func (f *fixture) poll(url string) reportStatus {
	f.t.Helper()
	var st reportStatus
	decodeJSON(f.t, f.mustGet(url).body, &st)
	return st
}

func TestAsyncReportFlow(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 17})
	st := f.submit("billingPeriod=202610")
	if st.Status != 1 || st.BlobPath != "" || !strings.HasPrefix(st.ReportURL, f.ts.URL+"/") ||
		st.EnrollmentNumber != DefaultEnrollment || st.StartDate != "2026-10-01T00:00:00" || st.EndDate != "2026-10-31T00:00:00" {
		t.Fatalf("submit answer %+v", st)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.0000000Z", st.RequestedOn); err != nil {
		t.Errorf("requestedOn %q: %v", st.RequestedOn, err)
	}
	var states []int
	for len(states) < 5 {
		p := f.poll(st.ReportURL)
		states = append(states, p.Status)
		if p.Status == 3 {
			if p.BlobPath == "" {
				t.Fatal("completed without blobPath")
			}
			st = p
		}
	}
	if !slices.Equal(states, []int{1, 2, 3, 3, 3}) {
		t.Errorf("states %v", states)
	}
	// The blob needs no key, and must not get one.
	r := f.do(http.MethodGet, st.BlobPath, map[string]string{"Authorization": ""})
	if r.status != 200 || r.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("blob: %d %s", r.status, r.body)
	}
	_, header, rows := readCSV(t, r.body)
	checkAgainstTruth(t, sumCSVRows(t, header, rows), f.s.Truth("202610"), true)
	if r := f.get(st.BlobPath); r.status != 403 {
		t.Errorf("blob with Authorization: %d", r.status)
	}
	if got := f.s.Stats().AuthorizedBlobRequests; got != 1 {
		t.Errorf("AuthorizedBlobRequests %d", got)
	}
	// A wrong signature, an unknown blob, then expiry an hour after the request.
	noAuth := map[string]string{"Authorization": ""}
	if r := f.do(http.MethodGet, strings.Replace(st.BlobPath, "sig=", "sig=0", 1), noAuth); r.status != 403 {
		t.Errorf("bad signature: %d", r.status)
	}
	if r := f.do(http.MethodGet, f.ts.URL+"/blob/0000000000000000?sig=x", noAuth); r.status != 404 {
		t.Errorf("unknown blob: %d", r.status)
	}
	f.clock.Set(testNow.Add(59 * time.Minute))
	if r := f.do(http.MethodGet, st.BlobPath, noAuth); r.status != 200 {
		t.Errorf("blob before expiry: %d", r.status)
	}
	f.clock.Set(testNow.Add(time.Hour))
	if r := f.do(http.MethodGet, st.BlobPath, noAuth); r.status != 403 || !strings.Contains(string(r.body), "AuthenticationFailed") {
		t.Errorf("expired blob: %d %s", r.status, r.body)
	}
	if got := f.s.Stats().ReportsSubmitted; got != 1 {
		t.Errorf("ReportsSubmitted %d", got)
	}
}

func TestReportStates(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 2})
	for _, tc := range []struct {
		states []int
		query  string
		want   []int  // statuses seen by successive polls
		blob   []bool // whether each poll has a blobPath
	}{
		{[]int{1, 2, 3}, "billingPeriod=202611", []int{1, 2, 3}, []bool{false, false, true}},
		{[]int{2, 6}, "billingPeriod=202611", []int{2, 6, 6}, []bool{false, true, true}},
		{[]int{2, 4}, "billingPeriod=202611", []int{2, 4}, []bool{false, false}},
		{[]int{5}, "billingPeriod=202611", []int{5}, []bool{false}},
		{[]int{1, 7}, "billingPeriod=202611", []int{1, 7}, []bool{false, false}},
		{[]int{ReportCompletedWithoutBlob, 3}, "billingPeriod=202611", []int{3, 3}, []bool{false, true}},
		{[]int{1, 2, 3}, "billingPeriod=202601", []int{1, 2, 5}, []bool{false, false, false}},
		{[]int{3}, "startTime=2024-01-01&endTime=2026-11-30", []int{3}, []bool{true}},
	} {
		f.s.SetReportStates(tc.states...)
		st := f.submit(tc.query)
		for i, want := range tc.want {
			p := f.poll(st.ReportURL)
			if p.Status != want || (p.BlobPath != "") != tc.blob[i] {
				t.Errorf("states %v poll %d: status %d blob %q, want %d %v", tc.states, i, p.Status, p.BlobPath, want, tc.blob[i])
			}
		}
	}
	for _, q := range []string{"", "billingPeriod=2026", "startTime=2023-01-01&endTime=2026-11-01"} {
		if r := f.do(http.MethodPost, enr("v3")+"/usagedetails/submit?"+q, nil); r.status != 400 {
			t.Errorf("submit %q: %d", q, r.status)
		}
	}
}

func TestBlobOnAnotherHost(t *testing.T) {
	c := &clock{t: testNow}
	// The blob server's address is known before it starts, so the API
	// server can link to it.
	blobs := httptest.NewUnstartedServer(nil)
	blobURL := "http://" + blobs.Listener.Addr().String()
	s := New(Options{Now: c.Now, RowsPerDay: 3, BlobBaseURL: blobURL + "/reports"})
	blobs.Config.Handler = s.BlobHandler()
	blobs.Start()
	defer blobs.Close()
	api := httptest.NewServer(s)
	defer api.Close()
	f := &fixture{t: t, s: s, ts: api, clock: c}
	st := f.submit("startTime=2026-11-01&endTime=2026-11-03")
	p := f.poll(st.ReportURL)
	for p.Status != 3 {
		p = f.poll(st.ReportURL)
	}
	if !strings.HasPrefix(p.BlobPath, blobURL+"/reports/") || !strings.Contains(p.BlobPath, "sig=") {
		t.Fatalf("blobPath %q", p.BlobPath)
	}
	r := f.do(http.MethodGet, p.BlobPath, map[string]string{"Authorization": ""})
	_, _, rows := readCSV(t, r.body)
	if r.status != 200 || len(rows) != 9 {
		t.Errorf("blob: %d, %d rows", r.status, len(rows))
	}
	if r := f.get(p.BlobPath); r.status != 403 || s.Stats().AuthorizedBlobRequests != 1 {
		t.Errorf("blob with key: %d", r.status)
	}
	if s.Stats().Requests[RouteBlob] != 2 {
		t.Errorf("blob requests %d", s.Stats().Requests[RouteBlob])
	}
}
