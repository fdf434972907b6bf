package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// errNoDataLost fails the refresh of a dataset when the API answered "no
// data" (or nothing) for a period or range that the last good data has data
// for: billing data does not vanish, so such an answer (after an enrollment
// transfer, from a confused gateway) must not wipe what is known. Only that
// period or range keeps its last good data: the others store what they
// read, so that one period's answer does not freeze the other's. Where
// nothing was known, "no data" is an empty result.
var errNoDataLost = errors.New("the API answered no data for a period that had data; keeping the last good data")

// noDataLoss names the periods or ranges of one dataset's refresh that kept
// their last good data because the API answered no data for them.
type noDataLoss []string

// err is the dataset's failure, nil when nothing was lost: one error, so
// that the refresh logs one line naming every period.
func (l noDataLoss) err() error {
	if len(l) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(l, "; "), errNoDataLost)
}

// adoptDays puts the days [from, to] of known, whose keys are ids of table,
// into pa, a period of a: shared when a uses table, else copied with their
// keys interned again (at the turn of a month a starts a new table).
func (a *usageAgg) adoptDays(pa, known *periodAgg, table *internTable, from, to int32) {
	for d, day := range known.days {
		if d < from || d > to {
			continue
		}
		if table != a.internTable {
			day = a.reintern(day, table)
		}
		pa.days[d] = day
	}
}

// reintern returns a closed copy of day, whose keys are ids of table, with
// the keys and values interned in a's table, in the same order.
func (a *usageAgg) reintern(day *dayAgg, table *internTable) *dayAgg {
	out := &dayAgg{ids: make([]uint32, 0, len(day.ids)), vals: make([]dayValue, 0, len(day.ids)),
		credit: day.credit, rows: day.rows}
	key := make([]byte, 0, len(a.keyBuf))
	day.each(table, func(k string, v dayValue) {
		key = key[:0]
		for i := range len(k) / 4 {
			key = binary.LittleEndian.AppendUint32(key, a.intern([]byte(table.strs[keyID(k, i)])))
		}
		_, id := a.internKey(key)
		out.ids = append(out.ids, id)
		out.vals = append(out.vals, v)
	})
	return out
}
