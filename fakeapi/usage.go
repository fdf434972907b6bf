package fakeapi

import "math"

// dayInfo holds what every row of one day shares.
type dayInfo struct {
	day         int64
	daysInMonth int
	weekend     bool
}

func newDayInfo(day int64) dayInfo {
	t := dayTime(day)
	first := monthStart(t)
	wd := t.Weekday()
	return dayInfo{
		day:         day,
		daysInMonth: int(unixDay(first.AddDate(0, 1, 0)) - unixDay(first)),
		weekend:     wd == 0 || wd == 6,
	}
}

// usageRow is one generated usage row: everything a writer needs, as
// references into the enrollment plus the day's figures.
type usageRow struct {
	day              int64
	i                int
	sub              *subscription
	meter            *meter
	loc              *region // the resource's region (the meter's, or a pick for global meters)
	rg               string
	tags             string
	qty, cost        float64
	billedSeparately bool
	emptyService     bool // consumedService "" (reference: occasionally empty)
	emptyResGUID     bool // resourceGuid "" (reference: can be null or empty)
	malformedTags    bool // this row's tags are broken under Quirks.MalformedTags
	alwaysOn         bool
}

// fillUsageRow generates row i of a day. It is a pure function of (seed,
// day, i): row i is the same resource on every day (one row per instance x
// meter x day, as in the real API), and only its quantity varies by day.
func (e *enrollment) fillUsageRow(r *usageRow, d *dayInfo, i int) {
	h := hash2(e.seed, domInstance, uint64(i), 0)
	h2 := mix(h)
	u := unitFloat(h)
	// A skewed pick: a few subscriptions carry most of the cost, as in life.
	r.sub = e.subs[int(u*u*float64(len(e.subs)))]
	r.meter = e.meters[h2%uint64(len(e.meters))]
	r.loc = r.meter.region
	if r.loc == nil {
		r.loc = &e.regions[(h2>>24)%uint64(len(e.regions))]
	}
	r.rg = e.rgNames[(h2>>16)%uint64(len(e.rgNames))]
	r.tags = e.tagSets[(h2>>32)%uint64(len(e.tagSets))]
	r.day, r.i = d.day, i
	r.billedSeparately = r.meter.tmpl.billedSeparately
	r.emptyService = (h>>40)%25 == 0 || (r.meter.tmpl.category == "Bandwidth" && (h>>40)%3 == 0)
	r.emptyResGUID = (h>>44)%50 == 0
	r.malformedTags = r.tags != "" && (h>>50)%8 == 0
	r.alwaysOn = (h>>56)%3 != 0
	r.qty = e.dailyQuantity(r, d, h)
	r.cost = r.qty * r.meter.tmpl.rate
}

// round6 rounds to six decimals, like most quantities the API reports.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func (e *enrollment) dailyQuantity(r *usageRow, d *dayInfo, h uint64) float64 {
	hd := hash2(e.seed, domDaily, uint64(d.day), uint64(r.i))
	jitter := 0.8 + 0.4*unitFloat(hd)
	if d.weekend && !r.alwaysOn {
		jitter *= 0.4
	}
	hours := 24.0
	if !r.alwaysOn {
		hours = 4 + float64(hd%41)/2
		if d.weekend {
			hours = float64(hd%9) / 2
		}
	}
	switch r.meter.tmpl.qty {
	case qtyHours:
		return hours
	case qtyHundredHours:
		return hours / 100
	case qtyGB:
		return round6(float64(1+(h>>32)%500) * jitter / 10)
	case qtyTenThousand:
		return round6(float64((h>>20)%2_000_000) * jitter / 10000)
	case qtyMonthly:
		return 1 / float64(d.daysInMonth)
	default:
		return 1
	}
}
