package collector

import (
	"fmt"
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
	if n := len(last.days[dayIndex(start)].keys); n != labelSets || last.rows() != len(rows) {
		t.Errorf("%d label sets a day, %d rows; want %d and %d", n, last.rows(), labelSets, len(rows))
	}
}
