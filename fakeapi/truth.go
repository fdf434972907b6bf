package fakeapi

import (
	"math"
	"sync"
	"time"
)

// periodSums are a period's usage and marketplace sums, accumulated in
// serving order, indexed by the enrollment's department, subscription,
// category and publisher indices.
type periodSums struct {
	rows                       int
	cost, qty                  float64
	billedSeparately           float64
	commitmentEligible         float64 // cost of rows not billed separately
	deptCost, subCost, catCost []float64
	deptRows, subRows, catRows []int
	latestDay                  int64 // < from when no rows
	latestDeptCost             []float64
	latestDeptRows             []int
	market                     float64
	marketByPub                []float64
	marketRows                 []int
}

type truthKey struct {
	month   int64 // first day of the period
	version int64 // window.version()
}

type truthEntry struct {
	once sync.Once
	sums *periodSums
}

// sums returns the cached sums of the period starting at month, for the
// data available in win. Each is computed once (it is O(rows)).
func (s *Server) sums(month time.Time, win window) *periodSums {
	key := truthKey{month: unixDay(month), version: win.version()}
	s.truthMu.Lock()
	e, ok := s.truths[key]
	if !ok {
		for k := range s.truths {
			if k.version != key.version {
				delete(s.truths, k) // the data moved on; keep memory flat
			}
		}
		e = &truthEntry{}
		s.truths[key] = e
	}
	s.truthMu.Unlock()
	e.once.Do(func() { e.sums = s.computeSums(month, win) })
	return e.sums
}

func (s *Server) computeSums(month time.Time, win window) *periodSums {
	ent := s.ent
	nd, ns, nc, np := len(ent.departments), len(ent.subs), len(ent.categories), len(ent.publishers)
	ps := &periodSums{
		deptCost: make([]float64, nd), subCost: make([]float64, ns), catCost: make([]float64, nc),
		deptRows: make([]int, nd), subRows: make([]int, ns), catRows: make([]int, nc),
		latestDeptCost: make([]float64, nd), latestDeptRows: make([]int, nd),
		marketByPub: make([]float64, np), marketRows: make([]int, np),
	}
	from, to := win.clip(monthRange(month))
	ps.latestDay = to
	var row usageRow
	for day := from; day <= to; day++ {
		di := newDayInfo(day)
		for i := 0; i < s.opts.RowsPerDay; i++ {
			ent.fillUsageRow(&row, &di, i)
			ps.addUsage(&row, day == to)
		}
	}
	var mc marketCharge
	for day := from; day <= to; day++ {
		n := ent.marketplaceCount(s.opts.MarketplacePerDay, day)
		for j := 0; j < n; j++ {
			ent.fillMarketCharge(&mc, s.opts.MarketplacePerDay, day, j)
			ps.market += mc.cost
			ps.marketByPub[mc.pubIdx] += mc.cost
			ps.marketRows[mc.pubIdx]++
		}
	}
	return ps
}

func (ps *periodSums) addUsage(r *usageRow, latest bool) {
	d, sub, cat := r.sub.acct.dept.idx, r.sub.idx, r.meter.catIdx
	ps.rows++
	ps.cost += r.cost
	ps.qty += r.qty
	if r.billedSeparately {
		ps.billedSeparately += r.cost
	} else {
		ps.commitmentEligible += r.cost
	}
	ps.deptCost[d] += r.cost
	ps.deptRows[d]++
	ps.subCost[sub] += r.cost
	ps.subRows[sub]++
	ps.catCost[cat] += r.cost
	ps.catRows[cat]++
	if latest {
		ps.latestDeptCost[d] += r.cost
		ps.latestDeptRows[d]++
	}
}

// creditMoves are a period's new purchases and adjustments with details.
type creditMoves struct {
	newPurchases, adjustments float64
	purchaseDetails           []nameValue
	adjustmentDetails         []nameValue
}

type nameValue struct {
	name  string
	value float64
}

// moves returns the credit movements of the previous (prev) or current
// period: small whole amounts, so that the identities stay exact.
func (s *Server) moves(prev bool) creditMoves {
	c := s.opts.Commitment
	if prev {
		promo, sie := math.Round(c*0.006), math.Round(c*0.004)
		return creditMoves{adjustments: promo + sie,
			adjustmentDetails: []nameValue{{"Promo Credit", promo}, {"SIE Credit", sie}}}
	}
	top := math.Round(c * 0.05)
	return creditMoves{newPurchases: top, purchaseDetails: []nameValue{{"Azure Prepayment", top}}}
}

// balance computes the balance summary of month (the previous or current
// period of win) with the identities of reference 3.2.
func (s *Server) balance(month time.Time, win window) (Balance, creditMoves) {
	ps := s.sums(month, win)
	prev := unixDay(month) == win.prevStart
	mv := s.moves(prev)
	var b Balance
	if prev {
		b.BeginningBalance = s.opts.Commitment
	} else {
		p, _ := s.balance(dayTime(win.prevStart), win)
		b.BeginningBalance = p.EndingBalance
	}
	b.NewPurchases, b.Adjustments = mv.newPurchases, mv.adjustments
	credit := max(b.BeginningBalance+b.NewPurchases+b.Adjustments, 0)
	b.Utilized = min(credit, ps.commitmentEligible)
	b.ServiceOverage = ps.commitmentEligible - b.Utilized
	b.ChargesBilledSeparately = ps.billedSeparately
	b.TotalOverage = b.ServiceOverage + b.ChargesBilledSeparately
	b.TotalUsage = b.Utilized + b.TotalOverage
	b.EndingBalance = b.BeginningBalance + b.NewPurchases + b.Adjustments - b.Utilized
	b.AzureMarketplaceServiceCharges = ps.market
	return b, mv
}

// defaultCommitment sizes the prepaid credit at about 2.6 months of the
// usage it pays for, rounded up to two significant digits: credit is left at
// the end of the current month, but visibly less each day.
func (s *Server) defaultCommitment(now time.Time) float64 {
	win := s.window(now)
	var row usageRow
	eligible := 0.0
	const sampleDays = 7
	for day := win.prevStart; day < win.prevStart+sampleDays; day++ {
		di := newDayInfo(day)
		for i := 0; i < s.opts.RowsPerDay; i++ {
			s.ent.fillUsageRow(&row, &di, i)
			if !row.billedSeparately {
				eligible += row.cost
			}
		}
	}
	est := eligible / sampleDays * 30.44 * 2.6
	if est <= 0 {
		return 1000
	}
	scale := math.Pow(10, math.Floor(math.Log10(est))-1)
	return math.Ceil(est/scale) * scale
}

// Periods lists the billing periods with data (yyyyMM), newest first.
func (s *Server) Periods() []string {
	var out []string
	for _, m := range s.window(s.opts.Now()).periods() {
		out = append(out, periodID(m))
	}
	return out
}

// Truth returns what the server serves for period (yyyyMM) at this moment:
// a zero truth (with empty maps) for a period without data.
func (s *Server) Truth(period string) PeriodTruth {
	win := s.window(s.opts.Now())
	q, _ := s.snapshotQuirks()
	t := PeriodTruth{Period: period, Currency: s.opts.Currency,
		CostByDepartment: map[string]float64{}, CostBySubscription: map[string]float64{},
		CostByMeterCategory: map[string]float64{}, LatestDayCostByDepartment: map[string]float64{},
		MarketplaceByPublisher: map[string]float64{}}
	m, ok := parsePeriod(period)
	if !ok || !win.hasPeriod(m) {
		return t
	}
	t.Start, t.End = m, billingEnd(m, &q)
	t.Balance, _ = s.balance(m, win)
	ps := s.sums(m, win)
	t.UsageCost, t.UsageQuantity, t.UsageRows = ps.cost, ps.qty, ps.rows
	t.BilledSeparatelyCost = ps.billedSeparately
	t.MarketplaceCost = ps.market
	ent := s.ent
	for i, d := range ent.departments {
		if ps.deptRows[i] > 0 {
			t.CostByDepartment[d.name] = ps.deptCost[i]
		}
		if ps.latestDeptRows[i] > 0 {
			t.LatestDayCostByDepartment[d.name] = ps.latestDeptCost[i]
		}
	}
	for i, sub := range ent.subs {
		if ps.subRows[i] > 0 {
			t.CostBySubscription[sub.guid] = ps.subCost[i]
		}
	}
	for i, cat := range ent.categories {
		if ps.catRows[i] > 0 {
			t.CostByMeterCategory[cat] = ps.catCost[i]
		}
	}
	for i, p := range ent.publishers {
		if ps.marketRows[i] > 0 {
			t.MarketplaceByPublisher[p] = ps.marketByPub[i]
		}
	}
	if ps.rows > 0 {
		t.LatestDay = dayTime(ps.latestDay)
	}
	return t
}

// billingEnd is the billingEnd the server writes for the month m.
func billingEnd(m time.Time, q *Quirks) time.Time {
	last := m.AddDate(0, 1, -1)
	if q.BillingEndAtNoon {
		return last.Add(11*time.Hour + 59*time.Minute + 59*time.Second)
	}
	return last.Add(23*time.Hour + 59*time.Minute + 59*time.Second)
}
