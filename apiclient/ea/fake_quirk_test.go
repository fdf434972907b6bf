package ea

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// quirkCases switches on each quirk of fakeapi.Quirks alone (found by
// reflection, so that a new knob is tested too), then all of them at once.
func quirkCases() map[string]fakeapi.Quirks {
	cases := map[string]fakeapi.Quirks{}
	var all fakeapi.Quirks
	allValue := reflect.ValueOf(&all).Elem()
	typ := allValue.Type()
	for i := range typ.NumField() {
		if typ.Field(i).Type.Kind() != reflect.Bool {
			continue
		}
		var one fakeapi.Quirks
		reflect.ValueOf(&one).Elem().Field(i).SetBool(true)
		allValue.Field(i).SetBool(true)
		cases[typ.Field(i).Name] = one
	}
	cases["all"] = all
	return cases
}

func TestFakeQuirks(t *testing.T) {
	cases := quirkCases()
	if len(cases) < 10 {
		t.Fatalf("only %d quirk cases", len(cases))
	}
	for name, quirks := range cases {
		t.Run(name, func(t *testing.T) {
			env := newFakeEnv(t, fakeapi.Options{RowsPerDay: 20, PageSize: 100, MarketplacePerDay: 2, PriceSheetMeters: 50}, nil)
			env.fake.SetQuirks(quirks)
			ctx := context.Background()
			periods, err := env.client.BillingPeriods(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range periods {
				ids = append(ids, p.ID)
				truth := env.fake.Truth(p.ID)
				if !p.Start.Equal(truth.Start) || !p.End.Equal(truth.End) {
					t.Errorf("period %+v, truth %v..%v", p, truth.Start, truth.End)
				}
				checkBalance(t, env, p.ID, truth)
				checkMarketplace(t, env, p.ID, truth)
				for _, method := range []apiclient.UsageMethod{apiclient.UsageJSON, apiclient.UsageCSV, apiclient.UsageAsync} {
					got := newSums()
					if err := env.client.Usage(ctx, apiclient.UsageQuery{BillingPeriod: p.ID, Method: method, Staging: got}, got.add); err != nil {
						t.Fatalf("usage %s by method %d: %v", p.ID, method, err)
					}
					got.matches(t, truth, true)
				}
			}
			if !slices.Equal(ids, env.fake.Periods()) {
				t.Errorf("periods %v, fake %v", ids, env.fake.Periods())
			}
			checkEmptyRange(t, env)
			checkPriceSheet(t, env, 50)
		})
	}
}

// checkEmptyRange asks for days the fake has no data for yet.
func checkEmptyRange(t *testing.T, env *fakeEnv) {
	t.Helper()
	q := apiclient.UsageQuery{Start: date(2024, 3, 20, 0, 0, 0, 0), End: date(2024, 3, 21, 0, 0, 0, 0)}
	for _, method := range []apiclient.UsageMethod{apiclient.UsageJSON, apiclient.UsageCSV, apiclient.UsageAsync} {
		q.Method = method
		got := newSums()
		if err := env.client.Usage(context.Background(), q, got.add); err != nil || got.rows != 0 {
			t.Errorf("empty range by method %d: %d rows, %v", method, got.rows, err)
		}
	}
}

func checkPriceSheet(t *testing.T, env *fakeEnv, want int) {
	t.Helper()
	n := 0
	err := env.client.PriceSheet(context.Background(), "", func(p *apiclient.PriceSheetItem) error {
		n++
		if p.Currency != "USD" || p.MeterID == "" || p.UnitOfMeasure == "" {
			t.Errorf("price sheet item %+v", p)
		}
		return nil
	})
	if err != nil || n != want {
		t.Errorf("%d price sheet items, err %v", n, err)
	}
}
