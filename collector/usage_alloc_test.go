package collector

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// TestAggregationAllocatesPerDayNotPerRow checks the steady state of a
// refresh: once the label sets are known, aggregating rows into fresh days
// allocates for each day, never for each row.
func TestAggregationAllocatesPerDayNotPerRow(t *testing.T) {
	const days, perDay, labelSets = 5, 2000, 300
	rows := make([]apiclient.UsageRow, 0, days*perDay)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for d := range days {
		for i := range perDay {
			var r apiclient.UsageRow
			r.Date = start.AddDate(0, 0, d)
			r.Cost, r.Quantity = float64(i), 1
			s := i % labelSets
			r.Values[apiclient.DimDepartment] = []byte(fmt.Sprintf("dept %d", s%7))
			r.Values[apiclient.DimSubscriptionID] = []byte(fmt.Sprintf("sub-%d", s%41))
			r.Values[apiclient.DimMeterName] = []byte(fmt.Sprintf("meter %d", s))
			r.Tags = [][]byte{[]byte("prod")}
			rows = append(rows, r)
		}
	}
	dims := []apiclient.Dimension{}
	for _, name := range config.DefaultDimensions {
		d, _ := apiclient.ParseDimension(name)
		dims = append(dims, d)
	}
	warm := newUsageAgg(dims, 1)
	var last *periodAgg
	fill := func() {
		a, pa := warm.next(), &periodAgg{days: map[int32]*dayAgg{}}
		for i := range rows {
			a.add(pa, &rows[i])
		}
		last = pa
	}
	fill()
	allocs := testing.AllocsPerRun(5, fill)
	if perRow := allocs / float64(len(rows)); allocs > 20*days || perRow > 0.01 {
		t.Errorf("%v allocations for %d rows in %d days (%.4f a row), want a few per day", allocs, len(rows), days, perRow)
	}
	if n := len(last.days[dayIndex(start)].ids); n != labelSets || last.rows() != len(rows) {
		t.Errorf("%d label sets a day, %d rows; want %d and %d", n, last.rows(), labelSets, len(rows))
	}
}

// TestAggregationWhateverTheRowOrder checks that closing the index of older
// days loses nothing: rows in date order, round robin over the days, and
// shuffled all give the same sums, and rows in date order leave only the
// last days open.
func TestAggregationWhateverTheRowOrder(t *testing.T) {
	const days, perDay = 6, 500
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var inOrder []apiclient.UsageRow
	for d := range days {
		for i := range perDay {
			var r apiclient.UsageRow
			r.Date = start.AddDate(0, 0, d)
			r.Cost, r.Quantity = float64(i%17)/4, 1
			r.Values[apiclient.DimDepartment] = []byte(fmt.Sprintf("dept %d", i%5))
			r.Values[apiclient.DimMeterName] = []byte(fmt.Sprintf("meter %d", (i*7+d)%90))
			inOrder = append(inOrder, r)
		}
	}
	roundRobin := make([]apiclient.UsageRow, 0, len(inOrder))
	for i := range perDay {
		for d := range days {
			roundRobin = append(roundRobin, inOrder[d*perDay+i])
		}
	}
	shuffled := slices.Clone(inOrder)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	sums := func(rows []apiclient.UsageRow) (map[int32]map[string]float64, *periodAgg) {
		a, pa := newUsageAgg([]apiclient.Dimension{apiclient.DimMeterName}, 0), &periodAgg{days: map[int32]*dayAgg{}}
		for i := range rows {
			a.add(pa, &rows[i])
		}
		out := map[int32]map[string]float64{}
		for day, d := range pa.days {
			out[day] = map[string]float64{}
			d.each(a.internTable, func(k string, v dayValue) {
				// Ids depend on the order values arrive in: compare values.
				labels := fmt.Sprint(a.labelValues(nil, k))
				out[day][labels] = v.cost + 1000*v.qty
			})
		}
		return out, pa
	}
	want, pa := sums(inOrder)
	open := 0
	for _, d := range pa.days {
		if d.index != nil {
			open++
		}
	}
	if open > maxOpenDays {
		t.Errorf("%d days still have an index after rows in date order, want at most %d", open, maxOpenDays)
	}
	for name, rows := range map[string][]apiclient.UsageRow{"round robin": roundRobin, "shuffled": shuffled} {
		got, pa := sums(rows)
		if !maps.EqualFunc(got, want, func(a, b map[string]float64) bool { return maps.Equal(a, b) }) || pa.rows() != len(rows) {
			t.Errorf("%s: sums differ from rows in date order", name)
		}
	}
}
