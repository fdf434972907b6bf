package collector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// stageRows is a listing of n rows over a few days, label sets and tags,
// with costs that make rounding show.
func stageRows(n int) []apiclient.UsageRow {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(5, 6))
	rows := make([]apiclient.UsageRow, n)
	for i := range rows {
		r := &rows[i]
		r.Date = start.AddDate(0, 0, i*4/n)
		r.Cost, r.Quantity = rng.Float64()*1e3+1e-7, rng.Float64()
		r.BilledSeparately = i%9 == 0
		r.Values[apiclient.DimDepartment] = []byte(fmt.Sprintf("dept %d", i%3))
		r.Values[apiclient.DimMeterName] = []byte(fmt.Sprintf("meter %d", rng.IntN(40)))
		r.Tags = [][]byte{[]byte(fmt.Sprintf("env %d", i%2))}
	}
	return rows
}

// dump is every day of pa as comparable text, sums to the bit.
func dump(a *usageAgg, pa *periodAgg) []string {
	var out []string
	for _, day := range pa.sortedDays() {
		d := pa.days[day]
		out = append(out, fmt.Sprintf("day %d: %d rows, credit %x %x", day, d.rows,
			math.Float64bits(d.credit.s), math.Float64bits(d.credit.c)))
		d.each(a.internTable, func(k string, v dayValue) {
			out = append(out, fmt.Sprintf("  %v: %x %x", a.labelValues(nil, k), math.Float64bits(v.cost), math.Float64bits(v.qty)))
		})
	}
	return out
}

// TestStagedPagesSumLikeDirectRows checks pageStage: pages staged and
// committed, with some pages delivered in part, rolled back and delivered
// again (a damaged page read twice), give the very bits that adding every
// row once, directly, gives.
func TestStagedPagesSumLikeDirectRows(t *testing.T) {
	rows := stageRows(5000)
	dims := []apiclient.Dimension{apiclient.DimMeterName}

	direct, dpa := newUsageAgg(dims, 1), &periodAgg{days: map[int32]*dayAgg{}}
	for i := range rows {
		direct.add(dpa, &rows[i])
	}

	staged, spa := newUsageAgg(dims, 1), &periodAgg{days: map[int32]*dayAgg{}}
	stage := &pageStage{agg: staged, period: spa}
	rng := rand.New(rand.NewPCG(7, 8))
	for start := 0; start < len(rows); {
		end := min(len(rows), start+1+rng.IntN(400))
		if rng.IntN(3) == 0 {
			// A damaged attempt: part of the page, then taken back.
			stage.Begin()
			for i := start; i < start+rng.IntN(end-start+1); i++ {
				stage.add(&rows[i])
			}
			stage.Rollback()
		}
		stage.Begin()
		for i := start; i < end; i++ {
			stage.add(&rows[i])
		}
		stage.Commit()
		start = end
	}
	if got, want := dump(staged, spa), dump(direct, dpa); !slices.Equal(got, want) {
		t.Fatalf("staged sums differ from direct ones:\n%v\nwant\n%v", got[:min(len(got), 10)], want[:min(len(want), 10)])
	}
	if spa.rows() != len(rows) {
		t.Errorf("%d rows, want %d", spa.rows(), len(rows))
	}
}

// TestRowsOutsideStagingAreFinal checks that rows delivered without Begin
// (sources that hold whole pages, CSV streams) are aggregated at once, and
// that a rollback cannot take them back.
func TestRowsOutsideStagingAreFinal(t *testing.T) {
	rows := stageRows(10)
	a, pa := newUsageAgg(nil, 1), &periodAgg{days: map[int32]*dayAgg{}}
	stage := &pageStage{agg: a, period: pa}
	stage.add(&rows[0])
	stage.Rollback()
	stage.Begin()
	stage.add(&rows[1])
	stage.Rollback()
	if pa.rows() != 1 {
		t.Errorf("%d rows aggregated, want the 1 delivered outside staging", pa.rows())
	}
}

// TestStagingAllocatesPerPageNotPerRow checks that staging keeps the
// aggregation's steady state: once the label sets are known, a staged page
// allocates nothing.
func TestStagingAllocatesPerPageNotPerRow(t *testing.T) {
	rows := stageRows(2000)
	a, pa := newUsageAgg(nil, 1), &periodAgg{days: map[int32]*dayAgg{}}
	stage := &pageStage{agg: a, period: pa}
	page := func() {
		stage.Begin()
		for i := range rows[:1000] {
			stage.add(&rows[i])
		}
		stage.Commit()
	}
	page()
	if allocs := testing.AllocsPerRun(10, page); allocs > 2 {
		t.Errorf("%v allocations a staged page of 1000 rows, want none", allocs)
	}
}
