package collector

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// noDataCase takes a dataset's data for a period away from a source, as an
// answer of "no data" (a 400/404, or an empty one) does, and names a series
// that must outlive it.
type noDataCase struct {
	dataset string
	drop    func(src *memSource)
	series  string
	labels  map[string]string
	want    float64
}

var noDataCases = []noDataCase{
	{
		dataset: config.DatasetBalanceSummary,
		drop:    func(src *memSource) { delete(src.balances, "202611") },
		series:  "azure_ea_credit_ending_balance", labels: map[string]string{"billing_period": "202611"}, want: 1000,
	},
	{
		// The days of the window, 11-17 to 11-20, read at every refresh.
		dataset: config.DatasetUsageDetails,
		drop: func(src *memSource) {
			src.rows = dropRows(src.rows, func(r memRow) bool { return r.date >= "2026-11-17" })
		},
		series: "azure_ea_usage_cost", labels: map[string]string{"billing_period": "202611", "department": "Dept A"}, want: 33.5,
	},
	{
		dataset: config.DatasetMarketplaceCharges,
		drop:    func(src *memSource) { delete(src.market, "202611") },
		series:  "azure_ea_marketplace_cost", labels: map[string]string{"billing_period": "202611"}, want: 7,
	},
	{
		dataset: config.DatasetPriceSheet,
		drop:    func(src *memSource) { src.prices = nil },
		series:  "azure_ea_price_unit_price", labels: map[string]string{"meter_id": "m1"}, want: 0.5,
	},
}

func dropRows(rows []memRow, drop func(memRow) bool) []memRow {
	var out []memRow
	for _, r := range rows {
		if !drop(r) {
			out = append(out, r)
		}
	}
	return out
}

// An answer of "no data" for a period whose last good data had some
// replaces nothing: the dataset failed, and says so once.
func TestNoDataForAPeriodThatHadDataKeepsIt(t *testing.T) {
	for _, tc := range noDataCases {
		t.Run(tc.dataset, func(t *testing.T) {
			src := testSource()
			yes := true
			cfg := mustConfig(t, config.Enrollment{Enrollment: "100", Datasets: config.Datasets{PriceSheet: &yes}})
			l := newLayout(cfg)
			var logs bytes.Buffer
			r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewLogfmtLogger(&logs), fixedNow, time.Hour)
			r.refresh(context.Background())
			c := snapCollector{r}

			src.mu.Lock()
			tc.drop(src)
			src.version++ // the data changed: no 304
			src.mu.Unlock()
			r.refresh(context.Background())
			if v, ok := gaugeValue(t, c, tc.series, tc.labels); !ok || !near(v, tc.want) {
				t.Errorf("%s%v = %v (present %v) after no data, want the last good %v", tc.series, tc.labels, v, ok, tc.want)
			}
			if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": tc.dataset}); v != 0 {
				t.Errorf("refresh_success{dataset=%q} = %v, want 0", tc.dataset, v)
			}
			if n := strings.Count(logs.String(), "the API answered no data for a period that had data"); n != 1 {
				t.Errorf("%d log lines say the API answered no data for a period that had data, want 1:\n%s", n, logs.String())
			}
		})
	}
}

// "No data" where nothing was known is an empty result, not a failure.
func TestNoDataWhereNothingWasKnownIsEmpty(t *testing.T) {
	src := testSource()
	src.balances = map[string]*apiclient.BalanceSummary{}
	src.market = nil
	src.prices = nil
	// The previous period, read first at this refresh, has no usage.
	src.rows = dropRows(src.rows, func(r memRow) bool { return r.period == "202610" })
	yes := true
	r := newTestRefresher(t, src, config.Enrollment{Enrollment: "100", Datasets: config.Datasets{PriceSheet: &yes}})
	r.refresh(context.Background())
	c := snapCollector{r}
	if up, _ := gaugeValue(t, c, "azure_ea_up", nil); up != 1 {
		t.Errorf("azure_ea_up = %v after answers of no data for periods without data, want 1", up)
	}
	// Once a period had data, the empty answers of others stay empty
	// results: the settled days 11-01 to 11-16 have never had any.
	r.refresh(context.Background())
	if up, _ := gaugeValue(t, c, "azure_ea_up", nil); up != 1 {
		t.Errorf("azure_ea_up = %v at the second refresh, want 1", up)
	}
}

// At the turn of a month the period that was current is read again in
// full with a new aggregation; "no data" for it still replaces nothing, and
// the new month's usage is stored, at that refresh and the next.
func TestNoDataForThePreviousPeriodAtTheTurnOfTheMonthKeepsIt(t *testing.T) {
	src := testSource()
	now := testNow
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100"})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Hour)
	r.refresh(context.Background())
	c := snapCollector{r}
	now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	dec := memRow{period: "202612", date: "2026-12-01", cost: 5, qty: 1, values: src.rows[0].values}
	change(src, func(src *memSource) {
		src.rows = dropRows(src.rows, func(r memRow) bool { return r.period == "202611" })
		src.rows = append(src.rows, dec)
	})
	for day, want := range []float64{5, 12} {
		r.refresh(context.Background())
		if v, ok := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); !ok || v != 33.5 {
			t.Errorf("refresh %d: November's usage cost = %v (present %v) after no data, want the last good 33.5", day, v, ok)
		}
		if v, _ := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202612", "department": "Dept A"}); v != want {
			t.Errorf("refresh %d: December's usage cost = %v, want %v", day, v, want)
		}
		if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "usage_details"}); v != 0 {
			t.Errorf("refresh %d: refresh_success{usage_details} = %v, want 0", day, v)
		}
		now = now.Add(24 * time.Hour)
		dec.date, dec.cost = "2026-12-02", 7
		change(src, func(src *memSource) { src.rows = append(src.rows, dec) })
	}
}

// onePeriodCase takes the previous period's data of a dataset away from a
// source while the current period's changes, and gives it back.
type onePeriodCase struct {
	dataset string
	setup   func(src *memSource) // before the first refresh; may be nil
	take    func(src *memSource) // the previous period gone, the current changed
	give    func(src *memSource) // the previous period back
	series  string
	// cur is the current period's series (202611) after take, prev the
	// previous period's (202610), kept from before.
	cur, prev map[string]string
	wantCur   float64
	wantPrev  float64
	// wantBack is the previous period's series once give gave it back.
	wantBack float64
}

var onePeriodCases = []onePeriodCase{
	{
		dataset: config.DatasetBalanceSummary,
		take: func(src *memSource) {
			delete(src.balances, "202610")
			src.balances["202611"] = &apiclient.BalanceSummary{BillingPeriod: "202611", Currency: "EUR", BeginningBalance: 1100, Utilized: 600, EndingBalance: 500}
		},
		give: func(src *memSource) {
			src.balances["202610"] = &apiclient.BalanceSummary{BillingPeriod: "202610", Currency: "EUR", EndingBalance: 1200}
		},
		series: "azure_ea_credit_ending_balance",
		cur:    map[string]string{"billing_period": "202611"}, wantCur: 500,
		prev: map[string]string{"billing_period": "202610"}, wantPrev: 1100, wantBack: 1200,
	},
	{
		dataset: config.DatasetMarketplaceCharges,
		setup: func(src *memSource) {
			src.market["202610"] = []apiclient.MarketplaceCharge{{Department: "Dept A", Publisher: "Old", Offer: "o", Plan: "p", Cost: 1}}
		},
		take: func(src *memSource) {
			delete(src.market, "202610")
			src.market["202611"] = append(src.market["202611"], apiclient.MarketplaceCharge{Department: "Dept A", SubscriptionID: "g1", Subscription: "Sub 1", Publisher: "Acme", Offer: "Widget™", Plan: "basic", Cost: 100})
		},
		give: func(src *memSource) {
			src.market["202610"] = []apiclient.MarketplaceCharge{{Department: "Dept A", Publisher: "Old", Offer: "o", Plan: "p", Cost: 2}}
		},
		series: "azure_ea_marketplace_cost",
		cur:    map[string]string{"billing_period": "202611", "publisher": "Acme"}, wantCur: 107,
		prev: map[string]string{"billing_period": "202610", "publisher": "Old"}, wantPrev: 1, wantBack: 2,
	},
	{
		// The previous period's settled days, read again once a day, and a
		// new day in the current period's window.
		dataset: config.DatasetUsageDetails,
		take: func(src *memSource) {
			src.rows = dropRows(src.rows, func(r memRow) bool { return r.period == "202610" })
			src.rows = append(src.rows, memRow{period: "202611", date: "2026-11-21", cost: 50, qty: 1, values: src.rows[0].values})
		},
		give: func(src *memSource) {
			src.rows = append(src.rows, memRow{period: "202610", date: "2026-10-31", cost: 200, qty: 50, values: src.rows[0].values})
		},
		series: "azure_ea_usage_cost",
		cur:    map[string]string{"billing_period": "202611", "department": "Dept A"}, wantCur: 83.5,
		prev: map[string]string{"billing_period": "202610", "department": "Dept A"}, wantPrev: 100, wantBack: 200,
	},
}

// An answer of "no data" for one period keeps only that period's last good
// data: the other period stores what it read, refresh after refresh, while
// the dataset fails with one log line naming the period. Once the period's
// data is back, the dataset succeeds again.
func TestNoDataForOnePeriodStillUpdatesTheOther(t *testing.T) {
	for _, tc := range onePeriodCases {
		t.Run(tc.dataset, func(t *testing.T) {
			src := testSource()
			if tc.setup != nil {
				tc.setup(src)
			}
			now := testNow
			cfg := mustConfig(t, config.Enrollment{Enrollment: "100"})
			l := newLayout(cfg)
			var logs bytes.Buffer
			r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewLogfmtLogger(&logs), func() time.Time { return now }, time.Hour)
			r.refresh(context.Background())
			c := snapCollector{r}
			logs.Reset()

			change(src, tc.take)
			for range 2 {
				// A day later: the settled usage days are read again.
				now = now.Add(25 * time.Hour)
				r.refresh(context.Background())
			}
			if v, ok := gaugeValue(t, c, tc.series, tc.cur); !ok || !near(v, tc.wantCur) {
				t.Errorf("%s%v = %v (present %v), want the new %v", tc.series, tc.cur, v, ok, tc.wantCur)
			}
			if v, ok := gaugeValue(t, c, tc.series, tc.prev); !ok || !near(v, tc.wantPrev) {
				t.Errorf("%s%v = %v (present %v), want the last good %v", tc.series, tc.prev, v, ok, tc.wantPrev)
			}
			if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": tc.dataset}); v != 0 {
				t.Errorf("refresh_success{dataset=%q} = %v, want 0", tc.dataset, v)
			}
			var failed []string
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "level=error") {
					failed = append(failed, line)
				}
			}
			if len(failed) != 2 || !strings.Contains(failed[0], "202610") || strings.Contains(failed[0], "202611") ||
				!strings.Contains(failed[0], errNoDataLost.Error()) {
				t.Errorf("want one error per refresh, naming 202610 alone and saying no data:\n%s", logs.String())
			}

			change(src, tc.give)
			now = now.Add(time.Hour)
			r.refresh(context.Background())
			if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": tc.dataset}); v != 1 {
				t.Errorf("refresh_success{dataset=%q} = %v once the data is back, want 1", tc.dataset, v)
			}
			if v, ok := gaugeValue(t, c, tc.series, tc.prev); !ok || !near(v, tc.wantBack) {
				t.Errorf("%s%v = %v (present %v) once the data is back, want %v", tc.series, tc.prev, v, ok, tc.wantBack)
			}
		})
	}
}

// change changes src's data, as fn does, under its lock.
func change(src *memSource, fn func(*memSource)) {
	src.mu.Lock()
	defer src.mu.Unlock()
	fn(src)
	src.version++
}

// Days kept from an aggregation with another intern table (the turn of a
// month) are the same days in the new one: same label values, same sums to
// the bit, same order.
func TestAdoptedDaysOfAnotherInternTableAreTheSame(t *testing.T) {
	rows := stageRows(2000)
	dims := []apiclient.Dimension{apiclient.DimMeterName}
	old, opa := newUsageAgg(dims, 1), &periodAgg{days: map[int32]*dayAgg{}}
	for i := range rows {
		old.add(opa, &rows[i])
	}
	old.closeDays()

	fresh, fpa := newUsageAgg(dims, 1), &periodAgg{days: map[int32]*dayAgg{}}
	// Values the old table numbered otherwise come first.
	first := apiclient.UsageRow{Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Tags: [][]byte{[]byte("new env")}}
	first.Values[apiclient.DimDepartment], first.Values[apiclient.DimMeterName] = []byte("new dept"), []byte("new meter")
	fresh.add(fpa, &first)
	fpa = &periodAgg{days: map[int32]*dayAgg{}}
	days := opa.sortedDays()
	fresh.adoptDays(fpa, opa, old.internTable, days[0], days[len(days)-1])
	if got, want := dump(fresh, fpa), dump(old, opa); !slices.Equal(got, want) {
		t.Errorf("adopted days differ:\n got %q\nwant %q", got, want)
	}
}
