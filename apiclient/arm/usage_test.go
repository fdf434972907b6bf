package arm

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// skipHeader is a cost details file's header with the columns the skipped
// rows tests need.
const skipHeader = "InvoiceSectionName,SubscriptionId,Date,MeterCategory,Quantity,CostInBillingCurrency," +
	"PublisherType,BillingCurrencyCode,InvoiceSectionId,ChargeType\r\n"

// skipBlobs are the two files of one report: the first has a row whose
// cost cannot be read (dropped) and one whose quantity cannot be read (kept
// with quantity 0), the second a row without a readable date (dropped).
var skipBlobs = [2]string{
	"\ufeff" + skipHeader +
		"Research,s-1,05/01/2024,Storage,10,1.5,Azure,USD,101,Usage\r\n" +
		"Research,s-1,05/01/2024,Storage,10,n/a,Azure,USD,101,Usage\r\n" +
		"Research,s-1,05/02/2024,Bandwidth,lots,0.25,Azure,USD,101,Usage\r\n",
	"\ufeff" + skipHeader +
		"Sales,s-2,someday,Compute,1,4,Azure,USD,202,Usage\r\n" +
		"Sales,s-2,05/03/2024,Compute,1,4,Azure,USD,202,Usage\r\n",
}

// A usage read says in UsageQuery.Skipped how many rows of its files it
// could not use whole, summed over the report's blobs, with the first
// reason; a count left from an earlier read is replaced.
func TestUsageReportsSkippedRowsOfEveryBlob(t *testing.T) {
	f := newFakeARM(t)
	link1 := f.serveBlobFile("/armreports/part1.csv", "text/csv", skipBlobs[0])
	link2 := f.serveBlobFile("/armreports/part2.csv", "text/csv", skipBlobs[1])
	f.scriptReport(t, finished(completed(link1, link2)))
	env := newTestEnv(t, f)

	skipped := apiclient.UsageSkipped{Rows: 7, Reason: "left from an earlier read"}
	got := collectUsage(t, env.c, apiclient.UsageQuery{BillingPeriod: "202405", Skipped: &skipped})
	want := []string{"2024-05-01 Research Storage 1.5", "2024-05-02 Research Bandwidth 0.25", "2024-05-03 Sales Compute 4"}
	if !slices.Equal(got, want) {
		t.Errorf("usage rows\n got %q\nwant %q", got, want)
	}
	if skipped.Rows != 3 || skipped.Reason != "cost not a number: row dropped" {
		t.Errorf("skipped = %+v, want 3 rows, the first for its cost", skipped)
	}
}

// A read that fails reports nothing, and the read after it counts its own
// rows once, whatever the attempts before: a blob answered 503 and fetched
// again, and a read that failed on a damaged blob, add nothing.
func TestUsageCountsSkippedRowsOncePerRead(t *testing.T) {
	f := newFakeARM(t)
	link1 := f.serveBlobFile("/armreports/part1.csv", "text/csv", skipBlobs[0])
	var mu sync.Mutex
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
		func(w http.ResponseWriter) { // a proxy's page: the read fails
			w.Header().Set("Content-Type", "text/csv")
			w.Write([]byte("<html><body>busy</body></html>"))
		},
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
	}
	f.bmux.HandleFunc("GET /armreports/part2.csv", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		var answer func(http.ResponseWriter)
		if len(answers) > 0 {
			answer, answers = answers[0], answers[1:]
		}
		mu.Unlock()
		if answer != nil {
			answer(w)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Write([]byte(skipBlobs[1]))
	})
	link2 := f.blobs.URL + "/armreports/part2.csv?sv=2022-11-02&sr=b&sig=SASsignature"
	f.scriptReport(t, finished(completed(link1, link2)))
	env := newTestEnv(t, f)

	var skipped apiclient.UsageSkipped
	q := apiclient.UsageQuery{BillingPeriod: "202405", Skipped: &skipped}
	err := env.c.Usage(context.Background(), q, func(*apiclient.UsageRow) error { return nil })
	if err == nil {
		t.Fatal("a read whose second blob is an HTML page succeeded")
	}
	if skipped.Rows > 2 {
		// The first blob was read whole before the second failed; the
		// caller uses no count of a failed read, but it must not grow.
		t.Errorf("skipped after a failed read = %+v, want the first blob's 2 rows at most", skipped)
	}
	if err := env.c.Usage(context.Background(), q, func(*apiclient.UsageRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if skipped.Rows != 3 {
		t.Errorf("skipped = %+v, want the 3 rows of one read", skipped)
	}
	if n := f.blobCount(); n != 6 {
		t.Errorf("%d blob requests, want 6 (1 + a 503 and a retry, twice)", n)
	}
}
