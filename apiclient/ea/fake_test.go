package ea

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

func TestFakeUsageMatchesTruth(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{RowsPerDay: 60, PageSize: 250}, nil)
	ctx := context.Background()
	for _, method := range []apiclient.UsageMethod{apiclient.UsageAuto, apiclient.UsageJSON, apiclient.UsageCSV, apiclient.UsageAsync} {
		for _, period := range env.fake.Periods() {
			got := newSums()
			if err := env.client.Usage(ctx, apiclient.UsageQuery{BillingPeriod: period, Method: method, Staging: got}, got.add); err != nil {
				t.Fatalf("method %d, period %s: %v", method, period, err)
			}
			got.matches(t, env.fake.Truth(period), true)
		}
		current := newSums()
		if err := env.client.Usage(ctx, apiclient.UsageQuery{Method: method, Staging: current}, current.add); err != nil {
			t.Fatalf("method %d, current period: %v", method, err)
		}
		current.matches(t, env.fake.Truth("202403"), true)
	}
	if st := env.fake.Stats(); st.AuthorizedBlobRequests != 0 || st.FaultsInjected != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFakeCustomRanges splits February into ranges that add up to it.
func TestFakeCustomRanges(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{RowsPerDay: 40, PageSize: 300}, nil)
	env.fake.SetQuirks(fakeapi.Quirks{CSVRowsOutsideRange: true})
	feb := env.fake.Truth("202402")
	ranges := [][2]time.Time{
		{date(2024, 2, 1, 0, 0, 0, 0), date(2024, 2, 10, 0, 0, 0, 0)},
		{date(2024, 2, 11, 0, 0, 0, 0), date(2024, 2, 11, 0, 0, 0, 0)},
		{date(2024, 2, 12, 0, 0, 0, 0), date(2024, 2, 29, 0, 0, 0, 0)},
	}
	for _, method := range []apiclient.UsageMethod{apiclient.UsageJSON, apiclient.UsageCSV, apiclient.UsageAsync} {
		got := newSums()
		for _, r := range ranges {
			q := apiclient.UsageQuery{Start: r[0], End: r[1], Method: method, Staging: got}
			if err := env.client.Usage(context.Background(), q, got.add); err != nil {
				t.Fatalf("method %d: %v", method, err)
			}
		}
		got.matches(t, feb, false)
	}
}

func TestFakeRecordsMatchTruth(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{Currency: "EUR"}, nil)
	ctx := context.Background()
	periods, err := env.client.BillingPeriods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range periods {
		ids = append(ids, p.ID)
		truth := env.fake.Truth(p.ID)
		if !p.Start.Equal(truth.Start) || !p.End.Equal(truth.End) || !p.HasUsageDetails || !p.HasBalanceSummary {
			t.Errorf("period %+v, truth %v..%v", p, truth.Start, truth.End)
		}
		checkBalance(t, env, p.ID, truth)
		checkMarketplace(t, env, p.ID, truth)
	}
	if !slices.Equal(ids, env.fake.Periods()) {
		t.Errorf("periods %v, fake %v", ids, env.fake.Periods())
	}
	items := 0
	err = env.client.PriceSheet(ctx, "", func(p *apiclient.PriceSheetItem) error {
		items++
		if p.Currency != "EUR" || p.MeterID == "" {
			t.Errorf("price sheet item %+v", p)
		}
		return nil
	})
	if err != nil || items != 300 {
		t.Errorf("%d price sheet items, err %v", items, err)
	}
}

func checkBalance(t *testing.T, env *fakeEnv, period string, truth fakeapi.PeriodTruth) {
	t.Helper()
	b, err := env.client.BalanceSummary(context.Background(), period)
	if err != nil || b == nil {
		t.Fatalf("balance summary %s: %v, %v", period, b, err)
	}
	tb := truth.Balance
	want := apiclient.BalanceSummary{BillingPeriod: period, Currency: truth.Currency, BeginningBalance: tb.BeginningBalance,
		EndingBalance: tb.EndingBalance, NewPurchases: tb.NewPurchases, Adjustments: tb.Adjustments, Utilized: tb.Utilized,
		ServiceOverage: tb.ServiceOverage, ChargesBilledSeparately: tb.ChargesBilledSeparately, TotalOverage: tb.TotalOverage,
		TotalUsage: tb.TotalUsage, AzureMarketplaceServiceCharges: tb.AzureMarketplaceServiceCharges}
	if *b != want {
		t.Errorf("balance summary %s\ngot  %+v\nwant %+v", period, *b, want)
	}
}

func checkMarketplace(t *testing.T, env *fakeEnv, period string, truth fakeapi.PeriodTruth) {
	t.Helper()
	var total float64
	byPublisher := map[string]float64{}
	err := env.client.MarketplaceCharges(context.Background(), period, func(c *apiclient.MarketplaceCharge) error {
		total += c.Cost
		byPublisher[c.Publisher] += c.Cost
		return nil
	})
	if err != nil || total != truth.MarketplaceCost || len(byPublisher) != len(truth.MarketplaceByPublisher) {
		t.Errorf("marketplace %s: %v (%d publishers), err %v; truth %v (%d)", period, total, len(byPublisher), err,
			truth.MarketplaceCost, len(truth.MarketplaceByPublisher))
	}
	for k, v := range truth.MarketplaceByPublisher {
		if byPublisher[k] != v {
			t.Errorf("marketplace %s: publisher %q %v, truth %v", period, k, byPublisher[k], v)
		}
	}
}

func TestFakeCredentialExpiry(t *testing.T) {
	exp := fakeNow.Add(90 * 24 * time.Hour).Truncate(time.Second)
	key := fakeapi.NewJWTKey(exp)
	env := newFakeEnv(t, fakeapi.Options{Keys: map[string]time.Time{key: exp}}, nil)
	if got, ok := env.client.CredentialExpiry(); !ok || !got.Equal(exp) {
		t.Errorf("CredentialExpiry = %v, %v; want %v", got, ok, exp)
	}
	if len(key) < 700 {
		t.Errorf("fake key of %d bytes; real keys are about 760", len(key))
	}
}

func TestFakeKeyLifecycle(t *testing.T) {
	env := newFakeEnv(t, fakeapi.Options{}, nil)
	ctx := context.Background()
	old := env.fake.Key()
	if _, err := env.client.BillingPeriods(ctx); err != nil {
		t.Fatal(err)
	}
	// The key is revoked and a new one made; the exporter keeps running.
	rotated := fakeapi.NewJWTKey(fakeNow.Add(180 * 24 * time.Hour))
	env.fake.AddKey(rotated, fakeNow.Add(180*24*time.Hour))
	env.fake.RevokeKey(old)
	_, err := env.client.BillingPeriods(ctx)
	if !errors.Is(err, apiclient.ErrUnauthorized) || !strings.Contains(err.Error(), "API key rejected: expired or revoked?") {
		t.Fatalf("with the revoked key: %v", err)
	}
	noKeyIn(t, err, old)
	writeFile(t, env.keyFile, rotated+"\n")
	if _, err := env.client.BillingPeriods(ctx); err != nil {
		t.Fatalf("after rotating the key file: %v", err)
	}
	if exp, ok := env.client.CredentialExpiry(); !ok || !exp.Equal(fakeNow.Add(180*24*time.Hour)) {
		t.Errorf("expiry of the rotated key %v, %v", exp, ok)
	}
	if st := env.fake.Stats(); st.Unauthorized != 1 || st.Requests[fakeapi.RouteBillingPeriods] != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestFakeExpiredKey(t *testing.T) {
	expired := fakeapi.NewJWTKey(fakeNow.Add(-time.Hour))
	env := newFakeEnv(t, fakeapi.Options{Keys: map[string]time.Time{expired: fakeNow.Add(-time.Hour)}}, nil)
	err := env.client.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil })
	if !errors.Is(err, apiclient.ErrUnauthorized) || len(env.rec.retryReasons()) != 0 {
		t.Fatalf("err %v, retries %v", err, env.rec.retryReasons())
	}
	noKeyIn(t, err, expired)
	if exp, ok := env.client.CredentialExpiry(); !ok || !exp.Before(fakeNow) {
		t.Errorf("expiry %v, %v", exp, ok)
	}
}

// TestFakeBlobOnAnotherHost serves blobs from a second server, as Azure
// Storage would, and checks the key never reaches it.
func TestFakeBlobOnAnotherHost(t *testing.T) {
	blobs := httptest.NewUnstartedServer(nil)
	blobs.Start()
	defer blobs.Close()
	env := newFakeEnv(t, fakeapi.Options{RowsPerDay: 30, BlobBaseURL: blobs.URL + "/blob"}, nil)
	blobs.Config.Handler = env.fake.BlobHandler()
	got := newSums()
	if err := env.client.Usage(context.Background(), apiclient.UsageQuery{BillingPeriod: "202402", Method: apiclient.UsageAsync}, got.add); err != nil {
		t.Fatal(err)
	}
	got.matches(t, env.fake.Truth("202402"), true)
	if st := env.fake.Stats(); st.AuthorizedBlobRequests != 0 || st.Requests[fakeapi.RouteBlob] != 1 {
		t.Errorf("stats %+v", st)
	}
}
