package ea

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// seedQuirks are the quirk sets whose answers seed the fuzz targets: the
// plain API, and every documented oddity at once.
var seedQuirks = []fakeapi.Quirks{{}, {
	BalanceAsObject: true, NumbersAsStrings: true, CapitalCost: true, DatesWithZone: true,
	SevenFractionDigits: true, TagsWithoutBraces: true, MalformedTags: true, NullStrings: true,
	BillingPeriodIDAsNumber: true, ChargesBilledSeparatelyAsString: true, EmptyNextLink: true,
	V1LinksInBillingPeriods: true, PaddedCurrency: true, BillingEndAtNoon: true, CSVByteOrderMark: true,
}}

// seedFake is a small fake enrollment, so that its answers make seeds of a
// few kilobytes.
func seedFake() *fakeapi.Server {
	return fakeapi.New(fakeapi.Options{
		Now: func() time.Time { return fakeNow }, Departments: 2, AccountsPerDepartment: 1, SubscriptionsPerAccount: 1,
		RowsPerDay: 3, PageSize: 5, PriceSheetMeters: 6, MarketplacePerDay: 1,
	})
}

// fakeBodies returns fakeapi's answers to method and path (under
// /vN/enrollments/{enrollment}) with each quirk set, to seed a fuzz target
// with what the real API sends.
func fakeBodies(tb testing.TB, method, path string) [][]byte {
	tb.Helper()
	fake := seedFake()
	var out [][]byte
	for _, q := range seedQuirks {
		fake.SetQuirks(q)
		out = append(out, fakeAnswer(tb, fake, method, path))
	}
	return out
}

func fakeAnswer(tb testing.TB, fake *fakeapi.Server, method, path string) []byte {
	tb.Helper()
	req := httptest.NewRequest(method, "http://fake.example"+path, nil)
	req.Header.Set("Authorization", "bearer "+fake.Key())
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		tb.Fatalf("%s %s: HTTP %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// fakeReportBodies returns a submitted report's status and, once polled,
// its completed status with a blobPath.
func fakeReportBodies(tb testing.TB) [][]byte {
	tb.Helper()
	fake := seedFake()
	fake.SetReportStates(fakeapi.ReportCompleted)
	submitted := fakeAnswer(tb, fake, http.MethodPost, "/v3/enrollments/"+fakeapi.DefaultEnrollment+"/usagedetails/submit?billingPeriod=202402")
	var st struct {
		ReportURL string `json:"reportUrl"`
	}
	if err := json.Unmarshal(submitted, &st); err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(st.ReportURL)
	if err != nil {
		tb.Fatal(err)
	}
	return [][]byte{submitted, fakeAnswer(tb, fake, http.MethodGet, u.RequestURI())}
}

// enrollmentPath is path under the default enrollment of API version v.
func enrollmentPath(v, path string) string {
	return "/" + v + "/enrollments/" + fakeapi.DefaultEnrollment + path
}
