package collector

import (
	"slices"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// projection maps the aggregation key of usageAgg onto a metric's labels:
// each label takes the key position it reads, or -1 for an empty value.
type projection []int

// projections returns the key positions of the cost labels and of the
// quantity labels for this enrollment. Labels of the layout that the
// enrollment does not configure stay empty, except unit_of_measure on the
// quantity, which must always say what unit is summed.
func (b *builder) projections(a *usageAgg) (cost, qty projection) {
	own := map[string]int{}
	for _, d := range b.cfg.UsageDimensions() {
		own[d.String()] = a.pos(d)
	}
	for i, key := range b.cfg.TagLabels {
		own[config.TagLabelName(key)] = len(a.keyDims) + i
	}
	uom := apiclient.DimUnitOfMeasure.String()
	for _, l := range b.layout.costLabels {
		p, ok := own[l]
		if !ok {
			p = -1
		}
		cost = append(cost, p)
	}
	for _, l := range b.layout.quantityLabels {
		p, ok := own[l]
		if l == uom {
			p, ok = a.pos(apiclient.DimUnitOfMeasure), true
		}
		if !ok {
			p = -1
		}
		qty = append(qty, p)
	}
	return cost, qty
}

// project appends the ids at the projection's positions of key to buf.
func (p projection) project(buf []byte, key string) []byte {
	for _, pos := range p {
		if pos < 0 {
			buf = append(buf, 0, 0, 0, 0)
		} else {
			buf = append(buf, key[4*pos:4*pos+4]...)
		}
	}
	return buf
}

// labelValues decodes a projected key into label values after prefix.
func (a *usageAgg) labelValues(prefix []string, key string) []string {
	out := make([]string, 0, len(prefix)+len(key)/4)
	out = append(out, prefix...)
	for i := 0; i < len(key)/4; i++ {
		out = append(out, a.strs[keyID(key, i)])
	}
	return out
}

// usage emits the usage series of both periods, the latest day's cost and
// the figures derived from the current period.
func (b *builder) usage() {
	if b.res.usage == nil {
		return
	}
	a := b.res.usage.agg
	costP, qtyP := b.projections(a)
	latest, hasLatest, latestPeriod := int32(0), false, ""
	for p := range b.series {
		if p != b.cur && p != b.prev || a.periods[p] == nil {
			delete(b.series, p) // what is kept must be what is served
		}
	}
	for _, p := range []string{b.cur, b.prev} {
		pa := a.periods[p]
		if pa == nil {
			continue
		}
		b.periodSeries(a, pa, p, costP, qtyP)
		b.gauge(b.d.usageRecords, float64(pa.rows()), b.enrollment(), p)
		if l, ok := pa.latestDay(); ok && (!hasLatest || l > latest) {
			latest, hasLatest, latestPeriod = l, true, p
		}
	}
	// The latest day is the previous period's until the current one has a
	// day of data, in the first days of a month.
	var perDay map[int32]map[uint32]float64
	var totals map[uint32]float64
	if hasLatest {
		b.gauge(b.d.latestDay, float64(dayTime(latest).Unix()), b.enrollment())
		perDay, totals = dailyBy(a, a.periods[latestPeriod], a.pos(apiclient.DimDepartment), nil)
		for id := range totals {
			b.gauge(b.d.dailyCost, perDay[latest][id], b.enrollment(), latestPeriod, b.currency, a.strs[id])
		}
	}
	if pa := a.periods[b.cur]; pa != nil {
		if latestPeriod != b.cur {
			perDay, totals = nil, nil
		}
		b.currentPeriod(a, pa, perDay, totals)
	}
	// Until the current period has a day of data, its balance still runs
	// out at the rate of the latest days with data, the previous period's.
	if first, _, ok := periodBounds(latestPeriod); ok && hasLatest && latestPeriod != b.cur {
		b.exhaustion(a.periods[latestPeriod], first, latest)
	}
}

// periodSeries emits the usage series of one period: those of the last
// build when they came from the same aggregation in the same currency.
func (b *builder) periodSeries(a *usageAgg, pa *periodAgg, period string, costP, qtyP projection) {
	if b.series == nil {
		b.usageSeries(a, pa, period, costP, qtyP)
		return
	}
	if c, ok := b.series[period]; ok && c.from == pa && c.currency == b.currency {
		b.out = append(b.out, c.metrics...)
		return
	}
	start := len(b.out)
	b.usageSeries(a, pa, period, costP, qtyP)
	b.series[period] = periodSeries{from: pa, currency: b.currency, metrics: slices.Clone(b.out[start:])}
}

// usageSeries emits the cost and quantity of one period, summed over days and
// projected onto the labels.
func (b *builder) usageSeries(a *usageAgg, pa *periodAgg, period string, costP, qtyP projection) {
	cost := map[string]*sum{}
	qty := map[string]*sum{}
	var buf []byte
	for _, day := range pa.sortedDays() {
		pa.days[day].each(a.internTable, func(key string, v dayValue) {
			buf = costP.project(buf[:0], key)
			addTo(cost, buf, v.cost)
			buf = qtyP.project(buf[:0], key)
			addTo(qty, buf, v.qty)
		})
	}
	money := []string{b.enrollment(), period, b.currency}
	for k, s := range cost {
		b.gauge(b.d.usageCost, s.value(), a.labelValues(money, k)...)
	}
	plain := []string{b.enrollment(), period}
	for k, s := range qty {
		b.gauge(b.d.usageQuantity, s.value(), a.labelValues(plain, k)...)
	}
}

func addTo(m map[string]*sum, key []byte, v float64) {
	s := m[string(key)]
	if s == nil {
		s = &sum{}
		m[string(key)] = s
	}
	s.add(v)
}

// dailyBy sums each day's cost of the series that match (all when match is
// nil), grouped by the interned value at key position group (all into id 0
// when group < 0). It returns the per-day sums and the period totals.
func dailyBy(a *usageAgg, pa *periodAgg, group int, match func(key string) bool) (perDay map[int32]map[uint32]float64, total map[uint32]float64) {
	perDay = map[int32]map[uint32]float64{}
	totals := map[uint32]*sum{}
	for _, day := range pa.sortedDays() {
		daySums := map[uint32]*sum{}
		pa.days[day].each(a.internTable, func(key string, v dayValue) {
			if match != nil && !match(key) {
				return
			}
			id := uint32(0)
			if group >= 0 {
				id = keyID(key, group)
			}
			addID(daySums, id, v.cost)
			addID(totals, id, v.cost)
		})
		perDay[day] = values(daySums)
	}
	return perDay, values(totals)
}

func addID(m map[uint32]*sum, id uint32, v float64) {
	s := m[id]
	if s == nil {
		s = &sum{}
		m[id] = s
	}
	s.add(v)
}

func values(m map[uint32]*sum) map[uint32]float64 {
	out := make(map[uint32]float64, len(m))
	for id, s := range m {
		out[id] = s.value()
	}
	return out
}

// forecastWindow is how many days with data the forecast averages.
const forecastWindow = 7

// forecast projects the cost at the end of a period: cost to date plus the
// average daily cost over the last forecastWindow days up to the latest day
// with data, times the days after it. Anchoring on the latest day with data
// (not on today) means that usage data arriving one to three days late does
// not make the forecast lurch: the missing days count as days still to come,
// not as days without cost.
func forecast(daily func(day int32) float64, toDate float64, first, last, latest int32) float64 {
	start := max(first, latest-forecastWindow+1)
	if latest < start {
		return toDate
	}
	var window sum
	for d := start; d <= latest; d++ {
		window.add(daily(d))
	}
	avg := window.value() / float64(latest-start+1)
	return toDate + avg*float64(max(0, last-latest))
}

// currentPeriod emits the forecasts, the credit exhaustion time and the
// budgets of the current period; perDay and totals are its daily costs and
// totals per department, nil while it has no day with data. A forecast
// needs a day of the period: until then it is absent, not a guess.
func (b *builder) currentPeriod(a *usageAgg, pa *periodAgg, perDay map[int32]map[uint32]float64, totals map[uint32]float64) {
	first, last, ok := periodBounds(b.cur)
	latest, hasData := pa.latestDay()
	if !ok || !hasData || perDay == nil {
		b.budgets(a, pa, first, last, latest, false)
		return
	}
	for id, toDate := range totals {
		f := forecast(func(d int32) float64 { return perDay[d][id] }, toDate, first, last, latest)
		b.gauge(b.d.forecast, f, b.enrollment(), b.cur, b.currency, a.strs[id])
	}
	b.exhaustion(pa, first, latest)
	b.budgets(a, pa, first, last, latest, true)
}

// exhaustion emits when the current period's ending balance runs out at the
// average daily credit-eligible cost of the last days with data, those of
// pa, the period of latest (the previous one in the first days of a
// month).
func (b *builder) exhaustion(pa *periodAgg, first, latest int32) {
	bal := b.res.balances[b.cur]
	if bal == nil || bal.EndingBalance <= 0 {
		return
	}
	start := max(first, latest-forecastWindow+1)
	var burn sum
	for d := start; d <= latest; d++ {
		if day := pa.days[d]; day != nil {
			burn.addSum(day.credit)
		}
	}
	perDay := burn.value() / float64(latest-start+1)
	if perDay <= 0 {
		return
	}
	// The balance is as of the end of the latest day with data.
	from := dayTime(latest + 1)
	ts := float64(from.Unix()) + bal.EndingBalance/perDay*86400
	b.gauge(b.d.creditExhaustion, ts, b.enrollment(), b.cur, b.currency)
}

// budgets emits each configured budget with its scope's cost and, once
// the period has a day with data, its forecast.
func (b *builder) budgets(a *usageAgg, pa *periodAgg, first, last, latest int32, hasData bool) {
	b.budgetsDone = true
	for _, bg := range b.cfg.Budgets {
		labels := []string{b.enrollment(), b.cur, b.currency, bg.Name, bg.ScopeType, bg.Scope}
		b.gauge(b.d.budgetAmount, bg.Amount, labels...)
		perDay, totals := dailyBy(a, pa, -1, budgetMatch(a, bg))
		toDate := totals[0]
		b.gauge(b.d.budgetCost, toDate, labels...)
		if hasData {
			f := forecast(func(d int32) float64 { return perDay[d][0] }, toDate, first, last, latest)
			b.gauge(b.d.budgetForecast, f, labels...)
		}
	}
}

// budgetMatch returns the test an aggregation key must pass to count towards
// a budget. A subscription scope matches the subscription's name or its id,
// the id case-insensitively.
func budgetMatch(a *usageAgg, bg config.Budget) func(key string) bool {
	valueAt := func(d apiclient.Dimension) func(key string) string {
		pos := a.pos(d)
		return func(key string) string { return a.strs[keyID(key, pos)] }
	}
	switch bg.ScopeType {
	case config.ScopeDepartment:
		v := valueAt(apiclient.DimDepartment)
		return func(key string) bool { return v(key) == bg.Scope }
	case config.ScopeMeterCategory:
		v := valueAt(apiclient.DimMeterCategory)
		return func(key string) bool { return v(key) == bg.Scope }
	case config.ScopeSubscription:
		name, id := valueAt(apiclient.DimSubscription), valueAt(apiclient.DimSubscriptionID)
		return func(key string) bool { return name(key) == bg.Scope || strings.EqualFold(id(key), bg.Scope) }
	}
	return nil
}
