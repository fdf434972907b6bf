package naive

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

func TestDecodePageQuirks(t *testing.T) {
	body := `{"id":"x","data":[{"cost":"1.5","consumedQuantity":null,"chargesBilledSeparately":"True","departmentName":null,"accountId":12},` +
		`{"Cost":2,"chargesBilledSeparately":false,"subscriptionName":7}],"nextLink":null}`
	p, err := DecodePage([]byte(body))
	if err != nil || len(p.Data) != 2 {
		t.Fatalf("DecodePage: %v", err)
	}
	a, b := p.Data[0], p.Data[1]
	if a.Cost != 1.5 || a.ConsumedQuantity != 0 || !a.ChargesBilledSeparately || a.DepartmentName != "" || a.AccountID != 12 {
		t.Errorf("first row %+v", a)
	}
	if b.Cost != 2 || b.ChargesBilledSeparately || b.SubscriptionName != "7" || p.NextLink != "" {
		t.Errorf("second row %+v, next %q", b, p.NextLink)
	}
	if _, err := DecodePage([]byte(`{"data":[{"cost":"abc"}]}`)); err == nil {
		t.Error("a cost that is no number decoded")
	}
}

// TestPeriodSumsTheFake checks the baseline against the fake's truth, with
// the quirks a client of the real API meets.
func TestPeriodSumsTheFake(t *testing.T) {
	now := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	f := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }, RowsPerDay: 30, PageSize: 200})
	f.SetQuirks(fakeapi.Quirks{NumbersAsStrings: true, CapitalCost: true, NullStrings: true, DatesWithZone: true,
		ChargesBilledSeparatelyAsString: true, EmptyNextLink: true, TrailingEmptyPage: true, MalformedTags: true})
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := &Client{HTTP: http.DefaultClient, BaseURL: srv.URL, Enrollment: f.Enrollment(), Key: f.Key()}
	for _, keep := range []bool{false, true} {
		s := Sums{KeepRows: keep}
		if err := c.Period(context.Background(), "202402", &s); err != nil {
			t.Fatal(err)
		}
		truth := f.Truth("202402")
		if s.Rows != truth.UsageRows || math.Abs(s.Cost-truth.UsageCost) > 1e-9*truth.UsageCost || (len(s.Kept) == s.Rows) != keep {
			t.Errorf("keep %v: %d rows, cost %v, %d kept; truth %d rows, cost %v", keep, s.Rows, s.Cost, len(s.Kept), truth.UsageRows, truth.UsageCost)
		}
	}
}
