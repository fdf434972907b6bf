package arm

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const budgetsPath = "/providers/Microsoft.Consumption/budgets"

func TestBudgets(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+accountPath+budgetsPath, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api-version") != "2023-05-01" {
			t.Errorf("api-version %q", r.URL.Query().Get("api-version"))
		}
		if r.URL.Query().Get("skiptoken") == "" {
			writeJSON(w, http.StatusOK, `{"value":[
			 {"id":"a","name":"Enrollment","type":"Microsoft.Consumption/budgets","properties":{"category":"Cost","amount":100000,
			  "timeGrain":"Monthly","timePeriod":{"startDate":"2024-01-01T00:00:00Z"},"currentSpend":{"amount":"41000.5","unit":"USD "},
			  "forecastSpend":{"amount":98000,"unit":"USD"},"notifications":{}}},
			 {"name":"RI","properties":{"category":"ReservationUtilization","timeGrain":"Last7Days"}}],
			 "nextLink":"`+f.mgmt.URL+accountPath+budgetsPath+`?api-version=2023-05-01&skiptoken=p2"}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"value":[{"name":"Quarter","properties":{"category":"Cost","amount":"300000","timeGrain":"BillingQuarter"}}],"nextLink":null}`)
	})
	f.handle("GET "+accountPath+"/departments/101"+budgetsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"value":[{"name":"ResearchBudget","properties":{"category":"Cost","amount":5000,
		 "timeGrain":"Monthly","currentSpend":{"amount":1234.5,"unit":"USD"}}}]}`)
	})
	// Department 202 has no route: 404 means no budgets there.
	env := newTestEnv(t, f)
	ctx := context.Background()

	enrollmentOnly, err := env.c.Budgets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(enrollmentOnly) != 2 {
		t.Fatalf("before any report: %+v", enrollmentOnly)
	}

	link1 := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1)
	link2 := f.serveBlobFile("/armreports/part2.csv", "text/csv", blob2)
	f.scriptReport(t, finished(completed(link1, link2)))
	if err := env.c.Usage(ctx, apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := env.c.Budgets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []apiclient.Budget{
		{Name: "Enrollment", ScopeType: "enrollment", Amount: 100000, TimeGrain: "Monthly", CurrentSpend: 41000.5,
			ForecastSpend: 98000, HasForecast: true, Currency: "USD"},
		{Name: "Quarter", ScopeType: "enrollment", Amount: 300000, TimeGrain: "BillingQuarter"},
		{Name: "ResearchBudget", ScopeType: "department", Scope: "Research", Amount: 5000, TimeGrain: "Monthly",
			CurrentSpend: 1234.5, Currency: "USD"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("budgets\n got %+v\nwant %+v", got, want)
	}
	if n := f.count("GET " + accountPath + "/departments/202" + budgetsPath); n != 1 {
		t.Errorf("department 202 asked %d times, want 1", n)
	}
}

func TestBudgetsPageLoop(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+accountPath+budgetsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"value":[],"nextLink":"`+f.mgmt.URL+accountPath+budgetsPath+`?api-version=2023-05-01&skiptoken=same"}`)
	})
	env := newTestEnv(t, f)
	if _, err := env.c.Budgets(context.Background()); err == nil {
		t.Fatal("a nextLink loop was followed without end")
	}
}

func TestBillingPeriods(t *testing.T) {
	f := newFakeARM(t)
	env := newTestEnv(t, f)
	periods, err := env.c.BillingPeriods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(periods) != 13 {
		t.Fatalf("%d periods, want 13", len(periods))
	}
	first, last := periods[0], periods[12]
	if first.ID != "202405" || !first.Start.Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) ||
		!first.End.Equal(time.Date(2024, 5, 31, 23, 59, 59, 0, time.UTC)) || !first.HasPriceSheet || !first.HasUsageDetails {
		t.Errorf("current period %+v", first)
	}
	if last.ID != "202305" || !periods[3].End.Equal(time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("oldest %+v, February %+v", last, periods[3])
	}
	if f.count("GET "+accountPath) != 0 {
		t.Error("billing periods made a request")
	}
}
