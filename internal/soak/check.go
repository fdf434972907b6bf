package main

import (
	"fmt"
	"math"
	"sort"

	dto "github.com/prometheus/client_model/go"
)

// checker decides whether the figures of one scrape are those of one data
// version the fake has served. Each dataset is refreshed (and kept on
// failure) on its own, so each is checked on its own: the usage cost total,
// its split by department and the row count must all come from one version;
// so must the balance summary's figures; so must the marketplace total.
type checker struct {
	cur, prev string
	versions  []dataVersion
	served    func(i int) bool
}

// verdict is the outcome of checking one scrape.
type verdict struct {
	// usageVersion is the version the current period's usage matched, or
	// -1 when the scrape had no usage for it yet.
	usageVersion int
	// problems describe figures that match no served version.
	problems []string
}

// periodSeries is one metric family reduced to the samples of one period.
type periodSeries struct {
	total  float64
	n      int
	byDept map[string]float64
}

func (c *checker) check(mfs map[string]*dto.MetricFamily) verdict {
	v := verdict{usageVersion: -1}
	cost := periodSum(mfs["azure_ea_usage_cost"], c.cur)
	records := periodSum(mfs["azure_ea_usage_records"], c.cur)
	if cost.n > 0 || records.n > 0 {
		v.usageVersion = c.match(func(dv *dataVersion) bool {
			t := &dv.cur
			return near(cost.total, t.UsageCost) && records.total == float64(t.UsageRows) && sameByKey(cost.byDept, t.CostByDepartment)
		})
		if v.usageVersion < 0 {
			v.problems = append(v.problems, fmt.Sprintf("usage cost of %s %.6f over %d series (%v rows) matches no served version; %s",
				c.cur, cost.total, cost.n, records.total, c.nearest(cost.total, func(dv *dataVersion) float64 { return dv.cur.UsageCost })))
		}
	}
	if prev := periodSum(mfs["azure_ea_usage_cost"], c.prev); prev.n > 0 {
		if c.match(func(dv *dataVersion) bool { return near(prev.total, dv.prev.UsageCost) }) < 0 {
			v.problems = append(v.problems, fmt.Sprintf("usage cost of %s %.6f matches no served version; %s",
				c.prev, prev.total, c.nearest(prev.total, func(dv *dataVersion) float64 { return dv.prev.UsageCost })))
		}
	}
	ending := periodSum(mfs["azure_ea_credit_ending_balance"], c.cur)
	usage := periodSum(mfs["azure_ea_usage_charges"], c.cur)
	if ending.n > 0 || usage.n > 0 {
		if c.match(func(dv *dataVersion) bool {
			return near(ending.total, dv.cur.Balance.EndingBalance) && near(usage.total, dv.cur.Balance.TotalUsage)
		}) < 0 {
			v.problems = append(v.problems, fmt.Sprintf("balance of %s (ending %.6f, usage %.6f) matches no served version; %s",
				c.cur, ending.total, usage.total, c.nearest(ending.total, func(dv *dataVersion) float64 { return dv.cur.Balance.EndingBalance })))
		}
	}
	if market := periodSum(mfs["azure_ea_marketplace_cost"], c.cur); market.n > 0 {
		if c.match(func(dv *dataVersion) bool { return near(market.total, dv.cur.MarketplaceCost) }) < 0 {
			v.problems = append(v.problems, fmt.Sprintf("marketplace cost of %s %.6f matches no served version; %s",
				c.cur, market.total, c.nearest(market.total, func(dv *dataVersion) float64 { return dv.cur.MarketplaceCost })))
		}
	}
	return v
}

// match returns the newest served version for which ok holds, or -1.
func (c *checker) match(ok func(*dataVersion) bool) int {
	for i := len(c.versions) - 1; i >= 0; i-- {
		if c.served(i) && ok(&c.versions[i]) {
			return i
		}
	}
	return -1
}

// nearest describes the served version whose figure is closest to got, for
// the report.
func (c *checker) nearest(got float64, figure func(*dataVersion) float64) string {
	best, diff := -1, math.Inf(1)
	for i := range c.versions {
		if d := math.Abs(figure(&c.versions[i]) - got); c.served(i) && d < diff {
			best, diff = i, d
		}
	}
	if best < 0 {
		return "no version served"
	}
	return fmt.Sprintf("nearest: day %s, %.6f", c.versions[best].day.Format("2006-01-02"), figure(&c.versions[best]))
}

// periodSum adds up the samples of mf whose billing_period is period, in
// total and by department when the series have one.
func periodSum(mf *dto.MetricFamily, period string) periodSeries {
	s := periodSeries{byDept: map[string]float64{}}
	for _, m := range mf.GetMetric() {
		var p, dept string
		hasDept := false
		for _, lp := range m.GetLabel() {
			switch lp.GetName() {
			case "billing_period":
				p = lp.GetValue()
			case "department":
				dept, hasDept = lp.GetValue(), true
			}
		}
		if p != period {
			continue
		}
		v := m.GetGauge().GetValue()
		s.total += v
		s.n++
		if hasDept {
			s.byDept[dept] += v
		}
	}
	return s
}

// near compares sums that the fake and the exporter add up in different
// orders (the exporter compensates rounding): equal to a millionth of a
// cent, relative to the size of the figure.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// sameByKey compares a scrape's split by department with the truth's.
func sameByKey(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || !near(g, w) {
			return false
		}
	}
	return true
}

// servedDays lists the days of the versions in seen, for the report.
func servedDays(versions []dataVersion, seen map[int]int) []string {
	idx := make([]int, 0, len(seen))
	for i := range seen {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, versions[i].day.Format("02"))
	}
	return out
}
