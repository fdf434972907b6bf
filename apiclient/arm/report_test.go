package arm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const (
	reportPath = accountPath + "/providers/Microsoft.CostManagement/generateCostDetailsReport"
	resultPath = accountPath + "/providers/Microsoft.CostManagement/costDetailsOperationResults/"
	costHeader = "InvoiceSectionName,AccountName,SubscriptionId,SubscriptionName,ResourceGroup,Date,MeterCategory,MeterSubCategory,MeterId,MeterName,UnitOfMeasure,Quantity,CostInBillingCurrency,Tags,PublisherType,PublisherName,OfferId,PlanName,BillingCurrencyCode,InvoiceSectionId,IsAzureCreditEligible\r\n"
	// blob1 and blob2 are the two files of one report; each starts with a
	// byte order mark and its own header.
	blob1 = "\ufeff" + costHeader +
		`Research,Lab,11111111-0000-0000-0000-000000000001,Lab Sub,rg1,05/01/2024,Storage,Hot,m-1,LRS Data Stored,1 GB,10,1.5,"""env"": ""prod""",Azure,Microsoft,MS-AZR-0017P,,USD,101,True` + "\r\n" +
		`Research,Lab,11111111-0000-0000-0000-000000000001,Lab Sub,rg1,05/02/2024,Marketplace,,,,1 Hour,2,30,,Marketplace,Contoso,contoso-vm,gold,USD,101,False` + "\r\n"
	blob2 = "\ufeff" + costHeader +
		`Sales,Field,22222222-0000-0000-0000-000000000002,Field Sub,rg2,05/03/2024,Virtual Machines,Dv3,m-2,D2 v3,1 Hour,24,4.25,,Azure,Microsoft,MS-AZR-0017P,,USD,202,True` + "\r\n"
)

// reportServer scripts a cost details report: the POST answers 202 with a
// Location and Retry-After, each poll answers with the next of polls.
type reportServer struct {
	mu     sync.Mutex
	bodies []string
	polls  []func(w http.ResponseWriter)
	n      int
}

func (f *fakeARM) scriptReport(t testing.TB, polls ...func(w http.ResponseWriter)) *reportServer {
	rs := &reportServer{polls: polls}
	f.handle("POST "+reportPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("report POST content type %q", r.Header.Get("Content-Type"))
		}
		rs.mu.Lock()
		rs.bodies = append(rs.bodies, string(body))
		rs.mu.Unlock()
		w.Header().Set("Location", f.mgmt.URL+resultPath+"op-1?api-version=2023-11-01&opaque=Zm9v")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusAccepted)
	})
	f.handle("GET "+resultPath+"op-1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("opaque") != "Zm9v" {
			t.Errorf("the Location was not polled as given: %s", r.URL.RawQuery)
		}
		rs.mu.Lock()
		poll := rs.polls[min(rs.n, len(rs.polls)-1)]
		rs.n++
		rs.mu.Unlock()
		poll(w)
	})
	return rs
}

func accepted(retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", retryAfter)
		w.WriteHeader(http.StatusAccepted)
	}
}

func finished(body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, body) }
}

func completed(links ...string) string {
	var blobs []string
	for _, l := range links {
		blobs = append(blobs, `{"blobLink":`+jsonString(l)+`,"byteCount":100}`)
	}
	return `{"id":"x","name":"op-1","status":"Completed","manifest":{"manifestVersion":"2023-11-01","dataFormat":"Csv","blobCount":` +
		jsonString(string(rune('0'+len(links)))) + `,"byteCount":200,"compressData":false,"blobs":[` + strings.Join(blobs, ",") +
		`]},"validTill":"2024-05-15T12:00:00.1973252Z"}`
}

// usageKeys collects usage rows as "date department cost tag".
func collectUsage(t *testing.T, c *Client, q apiclient.UsageQuery) []string {
	t.Helper()
	var got []string
	err := c.Usage(context.Background(), q, func(row *apiclient.UsageRow) error {
		s := row.Date.Format(time.DateOnly) + " " + string(row.Values[apiclient.DimDepartment]) + " " +
			string(row.Values[apiclient.DimMeterCategory]) + " " + formatFloat(row.Cost)
		for _, tag := range row.Tags {
			s += " tag=" + string(tag)
		}
		if row.BilledSeparately {
			s += " billed-separately"
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func formatFloat(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestReportFlow(t *testing.T) {
	f := newFakeARM(t)
	link1 := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1)
	link2 := f.serveBlobFile("/armreports/part2.csv", "application/octet-stream", blob2)
	rs := f.scriptReport(t, accepted("3"), accepted("900"), finished(completed(link1, link2)))
	env := newTestEnv(t, f)

	got := collectUsage(t, env.c, apiclient.UsageQuery{BillingPeriod: "202405", TagKeys: []string{"env"}})
	want := []string{"2024-05-01 Research Storage 1.5 tag=prod", "2024-05-03 Sales Virtual Machines 4.25 tag="}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
	if len(rs.bodies) != 1 || rs.bodies[0] != `{"metric":"ActualCost","billingPeriod":"202405"}` {
		t.Errorf("report requests %q", rs.bodies)
	}
	// Retry-After 7, 3 and 900 seconds, the last bounded by the 1m maximum.
	if slept := env.clock.Slept(); !slices.Equal(slept, []time.Duration{7 * time.Second, 3 * time.Second, time.Minute}) {
		t.Errorf("waits between polls %v", slept)
	}
	if n := f.blobCount(); n != 2 {
		t.Errorf("%d blob downloads, want 2", n)
	}
	for _, ct := range f.seenClientTypes() {
		if ct != "azure-ea-exporter" {
			t.Errorf("ClientType header %q", ct)
		}
	}
}

func TestReportOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		polls   []func(w http.ResponseWriter)
		wantErr error
		wantMsg string
	}{
		{"no data found", []func(http.ResponseWriter){accepted("1"), finished(`{"status":"NoDataFound","manifest":null}`)}, nil, ""},
		{"204", []func(http.ResponseWriter){func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }}, nil, ""},
		{"completed without blobs", []func(http.ResponseWriter){finished(completed())}, nil, ""},
		{"failed", []func(http.ResponseWriter){finished(`{"status":"Failed","error":{"code":"InternalError","message":"The report could not be generated."}}`)},
			apiclient.ErrReportFailed, "InternalError: The report could not be generated."},
		{"unknown status", []func(http.ResponseWriter){finished(`{"status":"Exploded"}`)}, apiclient.ErrBadResponse, "Exploded"},
		{"no Location to poll", nil, apiclient.ErrBadResponse, "without a Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeARM(t)
			if tt.polls != nil {
				f.scriptReport(t, tt.polls...)
			} else {
				f.handle("POST "+reportPath, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
			}
			env := newTestEnv(t, f)
			rows := 0
			err := env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { rows++; return nil })
			if tt.wantErr == nil {
				if err != nil || rows != 0 {
					t.Fatalf("err %v, %d rows; want no rows and no error", err, rows)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err %v, want %v with %q", err, tt.wantErr, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "usage_") {
				t.Errorf("error %q does not name the endpoint", err)
			}
		})
	}
}

func TestUsageAndMarketplaceShareOneReport(t *testing.T) {
	f := newFakeARM(t)
	link1 := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1)
	link2 := f.serveBlobFile("/armreports/part2.csv", "text/csv", blob2)
	rs := f.scriptReport(t, accepted("2"), finished(completed(link1, link2)))
	env := newTestEnv(t, f)
	ctx := context.Background()

	var wg sync.WaitGroup
	var usage []string
	var market []apiclient.MarketplaceCharge
	var usageErr, marketErr error
	wg.Go(func() {
		usageErr = env.c.Usage(ctx, apiclient.UsageQuery{}, func(row *apiclient.UsageRow) error {
			usage = append(usage, string(row.Values[apiclient.DimMeterCategory]))
			return nil
		})
	})
	wg.Go(func() {
		marketErr = env.c.MarketplaceCharges(ctx, "", func(c *apiclient.MarketplaceCharge) error {
			market = append(market, *c)
			return nil
		})
	})
	wg.Wait()
	if usageErr != nil || marketErr != nil {
		t.Fatal(usageErr, marketErr)
	}
	if !slices.Equal(usage, []string{"Storage", "Virtual Machines"}) {
		t.Errorf("usage rows %q: the Marketplace row must be left out", usage)
	}
	want := apiclient.MarketplaceCharge{Date: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), Department: "Research",
		SubscriptionID: "11111111-0000-0000-0000-000000000001", Subscription: "Lab Sub",
		Publisher: "Contoso", Offer: "contoso-vm", Plan: "gold", Cost: 30, Quantity: 2}
	if len(market) != 1 || market[0] != want {
		t.Errorf("marketplace charges\n got %+v\nwant %+v", market, want)
	}
	if len(rs.bodies) != 1 || rs.bodies[0] != `{"metric":"ActualCost","billingPeriod":"202405"}` {
		t.Errorf("report requests %q; want one for the current month", rs.bodies)
	}

	// Within ReportMaxAge the report is reused; after it, a new one is made.
	if err := env.c.MarketplaceCharges(ctx, "202405", func(*apiclient.MarketplaceCharge) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := f.count("POST " + reportPath); n != 1 {
		t.Errorf("%d reports generated before the max age, want 1", n)
	}
	env.clock.Advance(11 * time.Minute)
	if err := env.c.Usage(ctx, apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := f.count("POST " + reportPath); n != 2 {
		t.Errorf("%d reports generated after the max age, want 2", n)
	}
}

func TestReportCustomRange(t *testing.T) {
	f := newFakeARM(t)
	link := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1+strings.TrimPrefix(blob2, "\ufeff"+costHeader))
	rs := f.scriptReport(t, finished(completed(link)))
	env := newTestEnv(t, f)
	q := apiclient.UsageQuery{Start: time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)}
	got := collectUsage(t, env.c, q)
	// The reports of April and May (the same file here): the May 3 row is
	// out of both ranges, May 1 is in the second.
	if !slices.Equal(got, []string{"2024-05-01 Research Storage 1.5"}) {
		t.Errorf("rows %q", got)
	}
	want := []string{`{"metric":"ActualCost","billingPeriod":"202404"}`, `{"metric":"ActualCost","billingPeriod":"202405"}`}
	if !slices.Equal(rs.bodies, want) {
		t.Errorf("report requests\n got %q\nwant %q", rs.bodies, want)
	}
	if err := env.c.Usage(context.Background(), apiclient.UsageQuery{Start: q.End, End: q.Start}, nil); err == nil {
		t.Error("a range that ends before it starts was accepted")
	}
}

func TestIncrementalReadsShareTheReport(t *testing.T) {
	f := newFakeARM(t)
	link1 := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1)
	link2 := f.serveBlobFile("/armreports/part2.csv", "text/csv", blob2)
	rs := f.scriptReport(t, finished(completed(link1, link2)))
	env := newTestEnv(t, f)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2024, 5, d, 0, 0, 0, 0, time.UTC) }

	// The collector's settled days and its window of recent days.
	var settledTag, windowTag string
	settled := collectUsage(t, env.c, apiclient.UsageQuery{Start: day(1), End: day(1), ETag: &settledTag})
	window := collectUsage(t, env.c, apiclient.UsageQuery{Start: day(2), End: day(15), ETag: &windowTag})
	if !slices.Equal(settled, []string{"2024-05-01 Research Storage 1.5"}) || !slices.Equal(window, []string{"2024-05-03 Sales Virtual Machines 4.25"}) {
		t.Errorf("settled %q, window %q", settled, window)
	}
	if err := env.c.MarketplaceCharges(ctx, "202405", func(*apiclient.MarketplaceCharge) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rs.bodies) != 1 {
		t.Errorf("%d reports for two ranges and the marketplace charges of one period, want 1", len(rs.bodies))
	}
	if settledTag == "" || settledTag == windowTag {
		t.Errorf("ETags %q and %q", settledTag, windowTag)
	}

	// While the report is reused, a conditional read of the same range
	// downloads nothing.
	blobs := f.blobCount()
	err := env.c.Usage(ctx, apiclient.UsageQuery{Start: day(1), End: day(1), IfNoneMatch: settledTag}, func(*apiclient.UsageRow) error {
		t.Error("a row of an unmodified read")
		return nil
	})
	if !errors.Is(err, apiclient.ErrNotModified) || f.blobCount() != blobs {
		t.Errorf("conditional read: %v, %d more blob downloads", err, f.blobCount()-blobs)
	}
	// A new report is a modification.
	env.clock.Advance(time.Hour)
	var newTag string
	again := collectUsage(t, env.c, apiclient.UsageQuery{Start: day(1), End: day(1), IfNoneMatch: settledTag, ETag: &newTag})
	if !slices.Equal(again, settled) || newTag == settledTag {
		t.Errorf("after a new report: rows %q, ETag %q (was %q)", again, newTag, settledTag)
	}
}

func TestReportBlobErrors(t *testing.T) {
	f := newFakeARM(t)
	good := f.serveBlobFile("/armreports/good.csv", "text/csv", blob1)
	html := f.serveBlobFile("/armreports/page.csv", "text/html", "<html>sign in</html>")
	f.scriptReport(t, finished(completed(good, html)))
	env := newTestEnv(t, f)
	err := env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil })
	if !errors.Is(err, apiclient.ErrBadResponse) || !strings.HasPrefix(err.Error(), apiclient.EndpointUsageBlob) {
		t.Fatalf("err %v, want a usage_blob ErrBadResponse", err)
	}
	// The report is forgotten: its links may have expired.
	env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil })
	if n := f.count("POST " + reportPath); n != 2 {
		t.Errorf("%d reports generated, want a new one after a failed blob", n)
	}
	stop := errors.New("stop")
	err = env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return stop })
	if err != stop {
		t.Errorf("the callback's error came back as %v", err)
	}
}

func TestDecodeReportStatus(t *testing.T) {
	st, err := decodeReportStatus([]byte(completed("https://blob.example/a?sig=1", "https://blob.example/b?sig=2")))
	if err != nil {
		t.Fatal(err)
	}
	if done, err := st.outcome(); !done || err != nil || len(st.blobs) != 2 || st.validTill.IsZero() {
		t.Errorf("completed: %+v, %v, %v", st, done, err)
	}
	for _, body := range []string{`[]`, `{"status":{}}`, `{"validTill":"yesterday"}`, `{"manifest":{"blobs":"x"}}`} {
		if _, err := decodeReportStatus([]byte(body)); !errors.Is(err, apiclient.ErrBadResponse) {
			t.Errorf("%s: err %v, want ErrBadResponse", body, err)
		}
	}
	st, _ = decodeReportStatus([]byte(`{"status":"InProgress"}`))
	if done, err := st.outcome(); done || err != nil {
		t.Errorf("InProgress: done %v, err %v", done, err)
	}
}

func TestReportTimeout(t *testing.T) {
	f := newFakeARM(t)
	f.scriptReport(t, accepted("7"))
	env := newTestEnv(t, f, func(c *Config) { c.ReportTimeout = 30 * time.Second })
	err := env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not ready after 30s") {
		t.Fatalf("err %v, want the report timeout", err)
	}
	if n := f.count("GET " + resultPath + "op-1"); n != 4 {
		t.Errorf("%d polls in 30s at 7s, want 4", n)
	}
}

func TestPollWait(t *testing.T) {
	f := newFakeARM(t)
	env := newTestEnv(t, f)
	now := env.clock.Now()
	for v, want := range map[string]time.Duration{
		"":      10 * time.Second, // the poll interval
		"0":     time.Second,      // the minimum
		"2.5":   2500 * time.Millisecond,
		"86400": time.Minute, // the maximum
		"soon":  10 * time.Second,
		now.Add(20 * time.Second).Format(http.TimeFormat): 20 * time.Second,
	} {
		h := http.Header{}
		h.Set("Retry-After", v)
		if got := env.c.pollWait(h); got != want {
			t.Errorf("Retry-After %q: wait %v, want %v", v, got, want)
		}
	}
}
