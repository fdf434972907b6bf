package fakeapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type balanceJSON struct {
	ID                             string
	BillingPeriodID                string
	CurrencyCode                   string
	BeginningBalance               float64
	EndingBalance                  float64
	NewPurchases                   float64
	Adjustments                    float64
	Utilized                       float64
	ServiceOverage                 float64
	ChargesBilledSeparately        float64
	TotalOverage                   float64
	TotalUsage                     float64
	AzureMarketplaceServiceCharges float64
	NewPurchasesDetails            []struct {
		Name  string
		Value float64
	}
	AdjustmentDetails []struct {
		Name  string
		Value float64
	}
}

func (f *fixture) balance(path string) balanceJSON {
	f.t.Helper()
	var arr []balanceJSON
	if err := json.Unmarshal(f.mustGet(path).body, &arr); err != nil || len(arr) != 1 {
		f.t.Fatalf("balance summary: %v, %d items", err, len(arr))
	}
	return arr[0]
}

func (b balanceJSON) figures() Balance {
	return Balance{b.BeginningBalance, b.EndingBalance, b.NewPurchases, b.Adjustments, b.Utilized,
		b.ServiceOverage, b.ChargesBilledSeparately, b.TotalOverage, b.TotalUsage, b.AzureMarketplaceServiceCharges}
}

func checkBalanceIdentities(t *testing.T, b balanceJSON, tr PeriodTruth) {
	t.Helper()
	sum := func(d []struct {
		Name  string
		Value float64
	}) float64 {
		s := 0.0
		for _, x := range d {
			s += x.Value
		}
		return s
	}
	eligible := tr.UsageCost - tr.BilledSeparatelyCost
	for name, ok := range map[string]bool{
		"totalOverage = serviceOverage + chargesBilledSeparately": b.TotalOverage == b.ServiceOverage+b.ChargesBilledSeparately,
		"totalUsage = utilized + totalOverage":                    b.TotalUsage == b.Utilized+b.TotalOverage,
		"ending = beginning + newPurchases + adjustments - utilized": near(b.EndingBalance,
			b.BeginningBalance+b.NewPurchases+b.Adjustments-b.Utilized),
		"utilized + serviceOverage = usage not billed separately": near(b.Utilized+b.ServiceOverage, eligible),
		"utilized <= credit": b.Utilized <= b.BeginningBalance+b.NewPurchases+b.Adjustments,
		"chargesBilledSeparately = billed-separately rows": b.ChargesBilledSeparately == tr.BilledSeparatelyCost,
		"marketplace = marketplace total":                  b.AzureMarketplaceServiceCharges == tr.MarketplaceCost,
		"newPurchases = its details":                       b.NewPurchases == sum(b.NewPurchasesDetails),
		"adjustments = its details":                        b.Adjustments == sum(b.AdjustmentDetails),
		"figures = truth":                                  b.figures() == tr.Balance,
		"currency":                                         b.CurrencyCode == tr.Currency,
		"period":                                           b.BillingPeriodID == tr.Period,
	} {
		if !ok {
			t.Errorf("%s %s does not hold: %+v", tr.Period, name, b)
		}
	}
}

func TestBalanceSummary(t *testing.T) {
	f := newFixture(t, Options{Currency: "EUR"})
	prev := f.balance(enr("v3") + "/billingPeriods/202610/balancesummary")
	cur := f.balance(enr("v3") + "/balancesummary")
	checkBalanceIdentities(t, prev, f.s.Truth("202610"))
	checkBalanceIdentities(t, cur, f.s.Truth("202611"))
	if prev.BeginningBalance != f.s.Commitment() || cur.BeginningBalance != prev.EndingBalance {
		t.Errorf("beginning balances %v, %v; commitment %v", prev.BeginningBalance, cur.BeginningBalance, f.s.Commitment())
	}
	// The default commitment drains visibly but lasts the two months.
	if cur.EndingBalance <= 0 || cur.EndingBalance > 0.8*prev.BeginningBalance || cur.ServiceOverage != 0 {
		t.Errorf("commitment %v, ending %v, overage %v", prev.BeginningBalance, cur.EndingBalance, cur.ServiceOverage)
	}
	if cur.ChargesBilledSeparately <= 0 || cur.AzureMarketplaceServiceCharges <= 0 || prev.Adjustments <= 0 || cur.NewPurchases <= 0 {
		t.Errorf("some figures are zero: %+v", cur)
	}
	if v2 := f.balance(enr("v2") + "/balanceSummary"); v2.figures() != cur.figures() {
		t.Error("v2 and v3 differ")
	}
}

func TestSmallCommitmentMakesOverage(t *testing.T) {
	// Enough for about the first month only.
	probe := New(Options{Now: func() time.Time { return testNow }})
	month := probe.Truth("202610")
	f := newFixture(t, Options{RowsPerDay: 150, Commitment: month.UsageCost * 1.1})
	prev := f.balance(enr("v3") + "/billingPeriods/202610/balancesummary")
	cur := f.balance(enr("v3") + "/balancesummary")
	if prev.ServiceOverage != 0 || cur.ServiceOverage <= 0 || cur.EndingBalance != 0 {
		t.Errorf("previous overage %v, current overage %v, ending %v", prev.ServiceOverage, cur.ServiceOverage, cur.EndingBalance)
	}
	checkBalanceIdentities(t, prev, f.s.Truth("202610"))
	checkBalanceIdentities(t, cur, f.s.Truth("202611"))
}

func TestBillingPeriods(t *testing.T) {
	f := newFixture(t, Options{})
	var periods []map[string]any
	decodeJSON(t, f.mustGet(enr("v2")+"/billingperiods").body, &periods)
	if len(periods) != 2 || periods[0]["billingPeriodId"] != "202611" || periods[1]["billingPeriodId"] != "202610" {
		t.Fatalf("periods %v", periods)
	}
	p := periods[1]
	if p["billingStart"] != "2026-10-01T00:00:00Z" || p["billingEnd"] != "2026-10-31T23:59:59Z" ||
		p["usageDetails"] != "/v2/enrollments/8608480/billingperiods/202610/usagedetails" {
		t.Errorf("period %v", p)
	}
	if tr := f.s.Truth("202610"); tr.Start.Format(time.RFC3339) != p["billingStart"] || tr.End.Format(time.RFC3339) != p["billingEnd"] {
		t.Errorf("truth start/end %v %v", tr.Start, tr.End)
	}
	// Links are followable.
	for _, k := range []string{"balanceSummary", "usageDetails", "marketplaceCharges", "priceSheet"} {
		f.mustGet(p[k].(string))
	}
	// Without marketplace data, its link is null.
	g := newFixture(t, Options{MarketplacePerDay: -1})
	decodeJSON(t, g.mustGet(enr("v2")+"/billingperiods").body, &periods)
	if v, ok := periods[0]["marketplaceCharges"]; !ok || v != nil {
		t.Errorf("marketplace link %v", v)
	}
	if tr := g.s.Truth("202611"); tr.MarketplaceCost != 0 || len(tr.MarketplaceByPublisher) != 0 {
		t.Errorf("marketplace truth %v", tr.MarketplaceCost)
	}
}

type marketJSON struct {
	ID, SubscriptionGUID, MeterID, OfferName, PublisherName, PlanName, UsageStartDate, UsageEndDate string
	ExtendedCost, ConsumedQuantity, ResourceRate                                                    float64
	IsRecurringCharge                                                                               *string
}

func TestMarketplace(t *testing.T) {
	f := newFixture(t, Options{})
	for _, period := range f.s.Periods() {
		var items []marketJSON
		decodeJSON(t, f.mustGet(enr("v3")+"/billingPeriods/"+period+"/marketplacecharges").body, &items)
		total, byPub, recurring := 0.0, map[string]float64{}, 0
		for _, it := range items {
			total += it.ExtendedCost
			byPub[it.PublisherName] += it.ExtendedCost
			if it.IsRecurringCharge == nil || (*it.IsRecurringCharge != "True" && *it.IsRecurringCharge != "False") {
				t.Fatalf("isRecurringCharge %v", it.IsRecurringCharge)
			}
			if *it.IsRecurringCharge == "True" {
				recurring++
			}
			if it.ExtendedCost != it.ConsumedQuantity*it.ResourceRate || len(it.SubscriptionGUID) != 36 ||
				len(it.MeterID) == 36 || !strings.HasSuffix(it.UsageEndDate, "T23:59:59Z") {
				t.Errorf("charge %+v", it)
			}
		}
		tr := f.s.Truth(period)
		if total != tr.MarketplaceCost || recurring != 1 || len(byPub) != len(tr.MarketplaceByPublisher) {
			t.Errorf("%s: total %v truth %v, %d recurring", period, total, tr.MarketplaceCost, recurring)
		}
		for p, v := range tr.MarketplaceByPublisher {
			if byPub[p] != v {
				t.Errorf("%s %s: %v, truth %v", period, p, byPub[p], v)
			}
		}
	}
	body := f.mustGet(enr("v3") + "/marketplacecharges").body
	if !bytes.Contains(body, []byte("™")) {
		t.Error("no non-ASCII offer name")
	}
	var v2 []map[string]any
	decodeJSON(t, f.mustGet(enr("v2")+"/marketplacecharges").body, &v2)
	if _, has := v2[0]["isRecurringCharge"]; has || len(v2[0]) != 24 {
		t.Errorf("v2 charge has %d fields", len(v2[0]))
	}
	var empty []any
	decodeJSON(t, f.mustGet(enr("v3")+"/billingPeriods/202601/marketplacecharges").body, &empty)
	if len(empty) != 0 {
		t.Error("charges for a period without data")
	}
}

func TestPriceSheet(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 200, PriceSheetMeters: 3000})
	var items []struct {
		ID, BillingPeriodID, MeterID, MeterName, UnitOfMeasure, PartNumber, CurrencyCode string
		IncludedQuantity, UnitPrice                                                      float64
	}
	decodeJSON(t, f.mustGet(enr("v3")+"/billingPeriods/202610/pricesheet").body, &items)
	if len(items) != 3000 {
		t.Fatalf("%d items", len(items))
	}
	ids := map[string]float64{}
	for _, it := range items {
		if _, dup := ids[it.MeterID]; dup || len(it.MeterID) != 36 || it.CurrencyCode != "USD" || it.BillingPeriodID != "202610" ||
			!strings.Contains(it.ID, "/billingperiods/202610/") || it.PartNumber == "" || it.UnitPrice <= 0 {
			t.Fatalf("item %+v", it)
		}
		ids[it.MeterID] = it.UnitPrice
	}
	// Every usage meter is in the sheet, at the rate usage is charged.
	_, raws, _ := f.followPages(enr("v3")+"/usagedetailsbycustomdate?startTime=2026-10-01&endTime=2026-10-01", true)
	for _, m := range raws {
		price, ok := ids[m["meterId"].(string)]
		if !ok || price != num(t, m["resourceRate"].(json.Number)) {
			t.Fatalf("meter %v not in the sheet at its rate (%v)", m["meterId"], price)
		}
	}
	var v1 []map[string]any
	decodeJSON(t, f.mustGet(enr("v1")+"/pricesheet").body, &v1)
	if _, has := v1[0]["meterId"]; has {
		t.Error("v1 price sheet has meterId")
	}
}

func TestETag(t *testing.T) {
	f := newFixture(t, Options{})
	paths := []string{enr("v2") + "/billingperiods", enr("v3") + "/balancesummary", enr("v3") + "/usagedetails",
		enr("v3") + "/usagedetails/download?billingPeriod=202611", enr("v3") + "/marketplacecharges", enr("v3") + "/pricesheet"}
	tags := map[string]string{}
	for _, p := range paths {
		r := f.mustGet(p)
		tag := r.header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) || strings.HasPrefix(tag, "W/") {
			t.Fatalf("%s: ETag %q", p, tag)
		}
		tags[p] = tag
		again := f.do(http.MethodGet, p, map[string]string{"If-None-Match": tag})
		if again.status != http.StatusNotModified || len(again.body) != 0 || again.header.Get("ETag") != tag {
			t.Errorf("%s: %d with %d bytes", p, again.status, len(again.body))
		}
		if r := f.do(http.MethodGet, p, map[string]string{"If-None-Match": `"other", ` + tag}); r.status != 304 {
			t.Errorf("%s: list form: %d", p, r.status)
		}
		if r := f.do(http.MethodGet, p, map[string]string{"If-None-Match": `"other"`}); r.status != 200 {
			t.Errorf("%s: other tag: %d", p, r.status)
		}
	}
	if len(map[string]bool{tags[paths[0]]: true, tags[paths[1]]: true, tags[paths[2]]: true}) != 3 {
		t.Error("routes share an ETag")
	}
	if got := f.s.Stats().NotModified; got != 12 {
		t.Errorf("NotModified %d", got)
	}
	// Later the same day: same data, same tag. Next day: new tag.
	f.clock.Set(testNow.Add(10 * time.Hour))
	if tag := f.mustGet(paths[2]).header.Get("ETag"); tag != tags[paths[2]] {
		t.Error("ETag changed without new data")
	}
	f.clock.Set(testNow.Add(24 * time.Hour))
	if tag := f.mustGet(paths[2]).header.Get("ETag"); tag == tags[paths[2]] {
		t.Error("ETag unchanged with a new day of data")
	}
}

func TestDeterminism(t *testing.T) {
	paths := []string{enr("v3") + "/billingPeriods/202610/usagedetails", enr("v3") + "/usagedetails/download?billingPeriod=202611",
		enr("v3") + "/marketplacecharges", enr("v3") + "/pricesheet", enr("v3") + "/balancesummary", enr("v2") + "/billingperiods"}
	bodies := func(seed uint64) []string {
		f := newFixture(t, Options{Seed: seed})
		var out []string
		for _, p := range paths {
			// nextLinks name the test server's address; the rest must match.
			out = append(out, strings.ReplaceAll(string(f.mustGet(p).body), f.ts.URL, "HOST"))
		}
		return out
	}
	a, b, c := bodies(7), bodies(7), bodies(8)
	for i := range paths {
		if a[i] != b[i] {
			t.Errorf("%s: same seed, different bytes", paths[i])
		}
		if i < 4 && a[i] == c[i] {
			t.Errorf("%s: different seeds, same bytes", paths[i])
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 30})
	var wg sync.WaitGroup
	client := f.ts.Client()
	key := f.s.Key()
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				req, _ := http.NewRequest(http.MethodGet, f.ts.URL+enr("v3")+"/usagedetails", nil)
				req.Header.Set("Authorization", "bearer "+key)
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
				switch g {
				case 0:
					f.s.SetQuirks(Quirks{NumbersAsStrings: i%2 == 0})
				case 1:
					f.s.Inject(RouteUsageDetails, FaultThrottle)
				case 2:
					_ = f.s.Truth("202611")
					_ = f.s.Stats()
				case 3:
					f.s.SetRandomFaults(0.1, []Fault{FaultServerError})
					f.s.SetReportStates(1, 3)
				}
			}
		}(g)
	}
	wg.Wait()
	if n := f.s.Stats().Requests[RouteUsageDetails]; n != 90 {
		t.Errorf("%d usage requests counted", n)
	}
}

func TestStatsCountBytesAndRows(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 10, PageSize: 25})
	var bytes int64
	for _, p := range []string{enr("v3") + "/usagedetails", enr("v3") + "/usagedetails/download?billingPeriod=202610", enr("v3") + "/pricesheet"} {
		bytes += int64(len(f.mustGet(p).body))
	}
	st := f.s.Stats()
	if st.BytesServed != bytes || st.UsageRowsServed != 25+310 {
		t.Errorf("bytes %d (want %d), rows %d (want 335)", st.BytesServed, bytes, st.UsageRowsServed)
	}
	st.Requests[RoutePriceSheet] = 99
	if f.s.Stats().Requests[RoutePriceSheet] != 1 {
		t.Error("Stats shares its map")
	}
}
