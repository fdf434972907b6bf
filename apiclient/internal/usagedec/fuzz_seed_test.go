package usagedec

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// seedQuirks are the quirk sets whose answers seed the fuzz targets: the
// plain API, and every documented oddity of the usage answers at once.
var seedQuirks = []fakeapi.Quirks{{}, {
	NumbersAsStrings: true, CapitalCost: true, DatesWithZone: true, SevenFractionDigits: true,
	TagsWithoutBraces: true, MalformedTags: true, NullStrings: true, ChargesBilledSeparatelyAsString: true,
	EmptyNextLink: true, CSVRowsOutsideRange: true, PaddedCurrency: true, CSVByteOrderMark: true,
}}

// fakeUsageBodies returns fakeapi's usage answers at each quirk set: the
// first JSON page of a period, a custom-range page of a v2 route, and the
// CSV download. A small enrollment keeps them to a few kilobytes.
func fakeUsageBodies(tb testing.TB) (pages, csvs [][]byte) {
	tb.Helper()
	fake := fakeapi.New(fakeapi.Options{
		Now:         func() time.Time { return time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC) },
		Departments: 2, AccountsPerDepartment: 1, SubscriptionsPerAccount: 1, RowsPerDay: 3, PageSize: 5,
	})
	e := "/enrollments/" + fakeapi.DefaultEnrollment
	for _, q := range seedQuirks {
		fake.SetQuirks(q)
		pages = append(pages,
			fakeGet(tb, fake, "/v3"+e+"/billingPeriods/202402/usagedetails"),
			fakeGet(tb, fake, "/v2"+e+"/usagedetailsbycustomdate?startTime=2024-03-01&endTime=2024-03-02"))
		csvs = append(csvs, fakeGet(tb, fake, "/v3"+e+"/usagedetails/download?startTime=2024-03-01&endTime=2024-03-01"))
	}
	return pages, csvs
}

func fakeGet(tb testing.TB, fake *fakeapi.Server, path string) []byte {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://fake.example"+path, nil)
	req.Header.Set("Authorization", "bearer "+fake.Key())
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET %s: HTTP %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}
