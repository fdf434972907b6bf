package collector

import (
	"encoding/binary"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// maxLabelValueLen bounds every label value taken from the API, in bytes.
const maxLabelValueLen = 256

// keyDimsFixed are always part of the aggregation key, whatever the
// configured dimensions, because daily costs, forecasts and budgets need them.
var keyDimsFixed = []apiclient.Dimension{
	apiclient.DimDepartment, apiclient.DimSubscriptionID, apiclient.DimSubscription,
	apiclient.DimMeterCategory, apiclient.DimUnitOfMeasure,
}

// sum is a compensated (Neumaier) sum, so that adding millions of small costs
// loses no cent to rounding.
type sum struct{ s, c float64 }

func (x *sum) add(v float64) {
	t := x.s + v
	if math.Abs(x.s) >= math.Abs(v) {
		x.c += (x.s - t) + v
	} else {
		x.c += (v - t) + x.s
	}
	x.s = t
}

func (x *sum) addSum(y sum) { x.add(y.s); x.add(y.c) }

func (x sum) value() float64 { return x.s + x.c }

// usageSum is what one label set accumulates.
type usageSum struct{ cost, qty sum }

// dayValue is a closed day's cost and quantity of one label set: its
// compensated sums, rounded once.
type dayValue struct{ cost, qty float64 }

// dayAgg holds one UTC day's usage per aggregation key. Keeping days apart
// lets a re-read day replace its old contribution exactly. Figures are kept
// in the order their keys first appeared in the API's answer, so that every
// later sum over them runs in the same order and gives the same bits.
//
// A day is open while its rows arrive: index maps a key to its position in
// ids and sums. Once closed (see usageAgg.openDay), it keeps only ids and
// vals, 20 bytes a label set instead of 48 and an index entry: the days of
// the exported periods are most of what the exporter holds.
type dayAgg struct {
	index map[string]int32
	sums  []usageSum
	// ids are the keys' ids in the intern table (internTable.keyList).
	ids  []uint32
	vals []dayValue
	// credit is the cost that draws on the prepaid credit (not billed
	// separately), for the credit burn rate.
	credit sum
	rows   int
}

// each calls fn with every key of d and its figures, in order.
func (d *dayAgg) each(t *internTable, fn func(key string, v dayValue)) {
	for i, id := range d.ids {
		if d.sums != nil {
			fn(t.keyList[id], dayValue{d.sums[i].cost.value(), d.sums[i].qty.value()})
		} else {
			fn(t.keyList[id], d.vals[i])
		}
	}
}

// periodAgg holds one billing period's usage, day by day.
type periodAgg struct {
	days map[int32]*dayAgg
}

func (p *periodAgg) rows() int {
	n := 0
	for _, d := range p.days {
		n += d.rows
	}
	return n
}

// rowsIn counts the rows of days [from, to]; p may be nil.
func (p *periodAgg) rowsIn(from, to int32) int {
	n := 0
	if p != nil {
		for d, day := range p.days {
			if d >= from && d <= to {
				n += day.rows
			}
		}
	}
	return n
}

// sortedDays returns the period's days in order, so that sums over days run
// in a fixed order.
func (p *periodAgg) sortedDays() []int32 {
	days := make([]int32, 0, len(p.days))
	for d := range p.days {
		days = append(days, d)
	}
	slices.Sort(days)
	return days
}

// latestDay returns the latest day with data, and false when there is none.
func (p *periodAgg) latestDay() (int32, bool) {
	var latest int32
	found := false
	for day, d := range p.days {
		if day != noDay && d.rows > 0 && (!found || day > latest) {
			latest, found = day, true
		}
	}
	return latest, found
}

// usageAgg aggregates streamed usage rows into per-period, per-day sums keyed
// by interned label values. Memory follows the number of label sets and days,
// not rows: a row costs a map lookup and no allocation unless it brings a
// label set or a label value not seen before.
type usageAgg struct {
	keyDims []apiclient.Dimension
	nTags   int
	*internTable
	keyBuf  []byte
	periods map[string]*periodAgg
	// lastPeriod, lastDayIndex and lastDay are the day the last row went
	// to: rows come day by day, so most rows skip the lookup of their day.
	lastPeriod   *periodAgg
	lastDayIndex int32
	lastDay      *dayAgg
	// open are the days whose index is kept, the last used last; reopened
	// counts the days whose index had to be built again.
	open     []*dayAgg
	reopened int
	// spare are the indexes of closed days, cleared and given to the next
	// days: a refresh makes as many indexes as it keeps open, not one a
	// day.
	spare []map[string]int32
}

// A day's index is only needed while its rows arrive, and the API sends
// rows day by day: days older than the last maxOpenDays drop their index,
// a good part of the memory a day holds. Should a day's rows come back after it
// was closed, its index is rebuilt from its keys; after maxReopens of
// those (rows not in date order), days stay open.
const (
	maxOpenDays = 2
	maxReopens  = 8
)

// openDay makes d the most recently used open day, rebuilding its index if
// it was closed, and closes the oldest open day when there are too many.
func (a *usageAgg) openDay(d *dayAgg) {
	if d.index == nil {
		d.index = a.spareIndex(len(d.ids))
		d.sums = make([]usageSum, len(d.vals), cap(d.ids))
		for i, id := range d.ids {
			d.index[a.keyList[id]] = int32(i)
			d.sums[i] = usageSum{cost: sum{s: d.vals[i].cost}, qty: sum{s: d.vals[i].qty}}
		}
		d.vals = nil
		a.reopened++
	}
	if i := slices.Index(a.open, d); i >= 0 {
		a.open = append(a.open[:i], a.open[i+1:]...)
	}
	a.open = append(a.open, d)
	if len(a.open) > maxOpenDays && a.reopened <= maxReopens {
		a.closeDay(a.open[0])
		a.open = append(a.open[:0], a.open[1:]...)
	}
}

// closeDay turns open day d into its closed form, and keeps its index for
// the next day.
func (a *usageAgg) closeDay(d *dayAgg) {
	d.vals = make([]dayValue, len(d.sums))
	for i := range d.sums {
		d.vals[i] = dayValue{d.sums[i].cost.value(), d.sums[i].qty.value()}
	}
	if cap(d.ids) > len(d.ids) {
		d.ids = append(make([]uint32, 0, len(d.ids)), d.ids...)
	}
	a.spare = append(a.spare, d.index)
	d.index, d.sums = nil, nil
}

// spareIndex returns an empty index, a closed day's if there is one.
func (a *usageAgg) spareIndex(size int) map[string]int32 {
	if n := len(a.spare); n > 0 {
		index := a.spare[n-1]
		a.spare = a.spare[:n-1]
		clear(index)
		return index
	}
	return make(map[string]int32, size)
}

// closeDays drops the index of every day, once no more rows will come: the
// aggregation then holds only key ids and figures.
func (a *usageAgg) closeDays() {
	for _, d := range a.open {
		a.closeDay(d)
	}
	a.open, a.spare = nil, nil
	a.lastPeriod, a.lastDay = nil, nil
}

// internTable maps label values to small ids, and aggregation keys to one
// shared string each. It only grows, so aggregations made from one another
// (an incremental refresh copies the days it keeps) share it, and an id
// handed out by a refresh that later failed stays valid. Once a label set
// has been seen, aggregating it again into a new day allocates nothing.
type internTable struct {
	strs []string          // sanitized values by id
	ids  map[string]uint32 // sanitized value, or short value as sent by the API -> id
	// keyIDs numbers the aggregation keys; keyList is the key of each id,
	// one string shared by every day.
	keyIDs  map[string]uint32
	keyList []string
	// dayKeys is the number of keys of the last day that was complete when
	// a new one began: the size a new day's index is made with, so that
	// filling it does not grow it step by step.
	dayKeys int
}

func newUsageAgg(dims []apiclient.Dimension, nTags int) *usageAgg {
	keyDims := slices.Clone(keyDimsFixed)
	for _, d := range dims {
		if !slices.Contains(keyDims, d) {
			keyDims = append(keyDims, d)
		}
	}
	a := &usageAgg{
		keyDims:     keyDims,
		nTags:       nTags,
		internTable: &internTable{ids: map[string]uint32{"": 0}, strs: []string{""}, keyIDs: map[string]uint32{}},
		periods:     map[string]*periodAgg{},
	}
	a.keyBuf = make([]byte, 4*(len(keyDims)+nTags))
	return a
}

// next returns an empty aggregation that shares a's key layout and intern
// table, for the next refresh to fill with the days it keeps and reads.
func (a *usageAgg) next() *usageAgg {
	return &usageAgg{
		keyDims: a.keyDims, nTags: a.nTags, internTable: a.internTable,
		keyBuf: make([]byte, len(a.keyBuf)), periods: map[string]*periodAgg{},
	}
}

// pos returns the position of d in the aggregation key, or -1.
func (a *usageAgg) pos(d apiclient.Dimension) int {
	return slices.Index(a.keyDims, d)
}

// intern returns the id of the label value that b becomes. Values that
// become the same label value once sanitized share an id, so that no two
// series end up with equal labels. b is kept as an alias only when short:
// a hostile API grows the table by the label values it makes, not by the
// bytes it sends.
func (a *internTable) intern(b []byte) uint32 {
	if id, ok := a.ids[string(b)]; ok {
		return id
	}
	s := sanitizeLabelValue(b)
	id, ok := a.ids[s]
	if !ok {
		id = uint32(len(a.strs))
		a.ids[s] = id
		a.strs = append(a.strs, s)
	}
	if len(b) <= maxLabelValueLen {
		a.ids[string(b)] = id
	}
	return id
}

// internKey returns the shared string of aggregation key k, and its id.
func (a *internTable) internKey(k []byte) (string, uint32) {
	if id, ok := a.keyIDs[string(k)]; ok {
		return a.keyList[id], id
	}
	key, id := string(k), uint32(len(a.keyList))
	a.keyIDs[key] = id
	a.keyList = append(a.keyList, key)
	return key, id
}

// newDay returns an empty day sized like the last complete one; last is the
// day that was being filled, if any.
func (a *usageAgg) newDay(last *dayAgg) *dayAgg {
	if last != nil {
		a.dayKeys = len(last.ids)
	}
	n := a.dayKeys
	return &dayAgg{index: a.spareIndex(n), ids: make([]uint32, 0, n), sums: make([]usageSum, 0, n)}
}

func (a *usageAgg) period(id string) *periodAgg {
	p := a.periods[id]
	if p == nil {
		p = &periodAgg{days: map[int32]*dayAgg{}}
		a.periods[id] = p
	}
	return p
}

// noDay keeps the rows whose date the API left out: they count in the period's
// totals but never as the latest day.
const noDay int32 = math.MinInt32

// dayIndex is the number of days since the Unix epoch of a UTC midnight.
func dayIndex(t time.Time) int32 {
	if t.IsZero() {
		return noDay
	}
	return int32(t.Unix() / 86400)
}

func dayTime(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// add aggregates one row into period p.
func (a *usageAgg) add(p *periodAgg, row *apiclient.UsageRow) {
	a.addKey(p, dayIndex(row.Date), a.key(row), row.Cost, row.Quantity, row.BilledSeparately)
}

// key returns the aggregation key of row: the interned ids of its values,
// in a buffer reused by the next call.
func (a *usageAgg) key(row *apiclient.UsageRow) []byte {
	k := a.keyBuf
	for i, d := range a.keyDims {
		binary.LittleEndian.PutUint32(k[4*i:], a.intern(row.Values[d]))
	}
	off := 4 * len(a.keyDims)
	for i := 0; i < a.nTags; i++ {
		var v []byte
		if i < len(row.Tags) {
			v = row.Tags[i]
		}
		binary.LittleEndian.PutUint32(k[off+4*i:], a.intern(v))
	}
	return k
}

// addKey aggregates a row's figures under key k into day day of period p.
func (a *usageAgg) addKey(p *periodAgg, day int32, k []byte, cost, qty float64, billedSeparately bool) {
	d := a.lastDay
	if day != a.lastDayIndex || d == nil || p != a.lastPeriod {
		if d = p.days[day]; d == nil {
			d = a.newDay(a.lastDay)
			p.days[day] = d
		}
		a.openDay(d)
		a.lastPeriod, a.lastDay, a.lastDayIndex = p, d, day
	}
	i, ok := d.index[string(k)]
	if !ok {
		key, id := a.internKey(k)
		i = int32(len(d.sums))
		d.index[key] = i
		d.ids = append(d.ids, id)
		d.sums = append(d.sums, usageSum{})
	}
	s := &d.sums[i]
	s.cost.add(cost)
	s.qty.add(qty)
	if !billedSeparately {
		d.credit.add(cost)
	}
	d.rows++
}

// pageStage aggregates rows into a period, holding those of a page that
// the source may still take back (apiclient.UsageStaging): a page's rows
// are kept as keys and figures, a few dozen bytes each, and added in their
// order once the page is whole, so that the sums come out as if the rows
// had been added directly.
type pageStage struct {
	agg     *usageAgg
	period  *periodAgg
	staging bool
	rows    []stagedRow
	keys    []byte // the rows' keys, back to back
}

// stagedRow is what aggregating a row needs besides its key.
type stagedRow struct {
	day              int32
	billedSeparately bool
	cost, qty        float64
}

// add aggregates row, or holds it while a page is staged.
func (s *pageStage) add(row *apiclient.UsageRow) {
	if !s.staging {
		s.agg.add(s.period, row)
		return
	}
	s.keys = append(s.keys, s.agg.key(row)...)
	s.rows = append(s.rows, stagedRow{day: dayIndex(row.Date), billedSeparately: row.BilledSeparately,
		cost: row.Cost, qty: row.Quantity})
}

// Begin starts holding rows.
func (s *pageStage) Begin() {
	s.Rollback()
	s.staging = true
}

// Commit aggregates the rows held, in order.
func (s *pageStage) Commit() {
	n := len(s.agg.keyBuf)
	for i := range s.rows {
		r := &s.rows[i]
		s.agg.addKey(s.period, r.day, s.keys[i*n:(i+1)*n], r.cost, r.qty, r.billedSeparately)
	}
	s.Rollback()
}

// Rollback drops the rows held.
func (s *pageStage) Rollback() {
	s.rows, s.keys, s.staging = s.rows[:0], s.keys[:0], false
}

// keyID returns the interned id at position i of an aggregation key.
func keyID(key string, i int) uint32 {
	return uint32(key[4*i]) | uint32(key[4*i+1])<<8 | uint32(key[4*i+2])<<16 | uint32(key[4*i+3])<<24
}

// sanitizeLabelValue makes an API string safe as a label value: valid UTF-8
// and at most maxLabelValueLen bytes, cut at a rune boundary.
func sanitizeLabelValue(b []byte) string {
	if utf8.Valid(b) && len(b) <= maxLabelValueLen {
		return string(b)
	}
	out := make([]byte, 0, min(len(b), maxLabelValueLen))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r == utf8.RuneError && size <= 1 {
			r = utf8.RuneError
		}
		if len(out)+utf8.RuneLen(r) > maxLabelValueLen {
			break
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
