package collector

import (
	"bytes"
	"context"
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
// full with a new aggregation; "no data" for it still replaces nothing.
func TestNoDataForThePreviousPeriodAtTheTurnOfTheMonthKeepsIt(t *testing.T) {
	src := testSource()
	now := testNow
	cfg := mustConfig(t, config.Enrollment{Enrollment: "100"})
	l := newLayout(cfg)
	r := newRefresher(cfg.Enrollments[0], l, newDescs(l), src, log.NewNopLogger(), func() time.Time { return now }, time.Hour)
	r.refresh(context.Background())
	now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	src.mu.Lock()
	src.rows = dropRows(src.rows, func(r memRow) bool { return r.period == "202611" })
	src.version++
	src.mu.Unlock()
	r.refresh(context.Background())
	c := snapCollector{r}
	if v, ok := gaugeValue(t, c, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "department": "Dept A"}); !ok || v != 33.5 {
		t.Errorf("November's usage cost = %v (present %v) after no data, want the last good 33.5", v, ok)
	}
	if v, _ := gaugeValue(t, c, "azure_ea_refresh_success", map[string]string{"dataset": "usage_details"}); v != 0 {
		t.Errorf("refresh_success{usage_details} = %v, want 0", v)
	}
}
