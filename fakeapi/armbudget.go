package fakeapi

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// armBudget is a served budget.
type armBudget struct {
	ARMBudget
}

// ARMBudgets returns the budgets the ARM side serves now: three at
// enrollment scope (everything, one meter category, two meter categories),
// then one per department, without a filter. Amounts are sized from the
// previous period, spend is the current period's (see
// ARMBudget.CurrentSpend).
func (s *Server) ARMBudgets() []ARMBudget {
	var out []ARMBudget
	for _, b := range s.budgets(s.window(s.opts.Now())) {
		out = append(out, b.ARMBudget)
	}
	return out
}

// roundUp100 rounds a budget amount up to a multiple of 100 (at least 100).
func roundUp100(x float64) float64 { return max(100, math.Ceil(x/100)*100) }

func (s *Server) budgets(win window) []armBudget {
	cur, prev := s.sums(dayTime(win.curStart), win), s.sums(dayTime(win.prevStart), win)
	elapsed := float64(max(0, min(win.last, win.nextStart-1)-win.curStart+1))
	days := float64(win.nextStart - win.curStart)
	forecast := func(spend float64) float64 {
		if elapsed == 0 {
			return 0
		}
		return spend / elapsed * days
	}
	vm, storage := s.categoryIndex("Virtual Machines"), s.categoryIndex("Storage")
	ccy := s.opts.Currency
	spend := cur.cost + cur.market
	out := []armBudget{
		{ARMBudget: ARMBudget{Name: "EnrollmentMonthly", Amount: roundUp100(1.15 * (prev.cost + prev.market)),
			CurrentSpend: spend, ForecastSpend: forecast(spend), HasForecast: true, Currency: ccy}},
		{ARMBudget: ARMBudget{Name: "VirtualMachines", MeterCategories: []string{s.ent.categories[vm]},
			Amount: roundUp100(0.9 * prev.catCost[vm]), CurrentSpend: cur.catCost[vm], Currency: ccy}},
		{ARMBudget: ARMBudget{Name: "ComputeAndStorage", MeterCategories: []string{s.ent.categories[vm], s.ent.categories[storage]},
			Amount:       roundUp100(prev.catCost[vm] + prev.catCost[storage]),
			CurrentSpend: cur.catCost[vm] + cur.catCost[storage], Currency: ccy}},
	}
	curMarket := s.departmentMarketCost(win.curStart, win.nextStart-1, win)
	prevMarket := s.departmentMarketCost(win.prevStart, win.curStart-1, win)
	for i, d := range s.ent.departments {
		b := armBudget{ARMBudget: ARMBudget{Name: "dept-" + strconv.Itoa(d.id) + "-monthly", DepartmentID: strconv.Itoa(d.id),
			Amount:       roundUp100((0.85 + 0.1*float64(i%4)) * (prev.deptCost[i] + prevMarket[i])),
			CurrentSpend: cur.deptCost[i] + curMarket[i], Currency: ccy}}
		if i%2 == 0 {
			b.ForecastSpend, b.HasForecast = forecast(b.CurrentSpend), true
		}
		out = append(out, b)
	}
	return out
}

// categoryIndex is the index of a meter category (0 when there is none).
func (s *Server) categoryIndex(name string) int {
	for i, c := range s.ent.categories {
		if c == name {
			return i
		}
	}
	return 0
}

// departmentMarketCost sums the marketplace charges of the available days
// of [from, to] by department: an unfiltered department budget counts them
// as the enrollment budget does.
func (s *Server) departmentMarketCost(from, to int64, win window) []float64 {
	out := make([]float64, len(s.ent.departments))
	from, to = win.clip(from, to)
	var mc marketCharge
	for day := from; day <= to; day++ {
		for j := range s.ent.marketplaceCount(s.opts.MarketplacePerDay, day) {
			s.ent.fillMarketCharge(&mc, s.opts.MarketplacePerDay, day, j)
			out[mc.sub.acct.dept.idx] += mc.cost
		}
	}
	return out
}

// serveBudgets lists the budgets of the enrollment or of departments/{id},
// or reads one by name.
func (c *armCall) serveBudgets() {
	if c.ar.dept != "" && !c.knownDepartment(c.ar.dept) {
		writeARMError(c.w, http.StatusNotFound, "NotFound", "Department '"+c.ar.dept+"' was not found.")
		return
	}
	var scoped []armBudget
	for _, b := range c.s.budgets(c.win) {
		if b.DepartmentID == c.ar.dept {
			scoped = append(scoped, b)
		}
	}
	if c.ar.budget != "" {
		for i := range scoped {
			if strings.EqualFold(scoped[i].Name, c.ar.budget) {
				bw, w := c.json(http.StatusOK)
				defer c.end(bw, w)
				c.appendBudget(w, &scoped[i])
				return
			}
		}
		writeARMError(c.w, http.StatusNotFound, "NotFound", "Budget '"+c.ar.budget+"' was not found.")
		return
	}
	bw, w := c.json(http.StatusOK)
	defer c.end(bw, w)
	w.open('{')
	w.key("value")
	w.open('[')
	for i := range scoped {
		c.appendBudget(w, &scoped[i])
	}
	w.close(']')
	w.close('}')
}

func (c *armCall) knownDepartment(id string) bool {
	for _, d := range c.s.ent.departments {
		if strconv.Itoa(d.id) == id {
			return true
		}
	}
	return false
}

// appendBudget writes one budget (reference 6.5.6) with the resource type of
// the provider it was asked through.
func (c *armCall) appendBudget(w *jsonWriter, b *armBudget) {
	provider := "Microsoft.Consumption"
	if c.ar.costMgmt {
		provider = "Microsoft.CostManagement"
	}
	scope := "/" + c.accountPath()
	if b.DepartmentID != "" {
		scope += "/departments/" + b.DepartmentID
	}
	w.open('{')
	w.str("id", scope+"/providers/"+provider+"/budgets/"+b.Name)
	w.str("name", b.Name)
	w.str("type", provider+"/budgets")
	w.str("eTag", `"`+string(appendHex(nil, mixString(c.s.opts.Seed, b.Name)))+`"`)
	w.key("properties")
	w.open('{')
	w.str("category", "Cost")
	w.float("amount", b.Amount)
	w.str("timeGrain", "BillingMonth")
	w.key("timePeriod")
	w.open('{')
	w.timestamp("startDate", dayTime(c.win.prevStart))
	w.timestamp("endDate", dayTime(c.win.prevStart).AddDate(2, 0, 0))
	w.close('}')
	if len(b.MeterCategories) > 0 {
		w.key("filter")
		w.open('{')
		w.key("dimensions")
		w.open('{')
		w.str("name", "MeterCategory")
		w.str("operator", "In")
		w.key("values")
		w.open('[')
		for _, c := range b.MeterCategories {
			w.sep()
			w.b = appendJSONString(w.b, c, false)
		}
		w.close(']')
		w.close('}')
		w.close('}')
	}
	appendSpend(w, "currentSpend", b.CurrentSpend, b.Currency)
	if b.HasForecast {
		appendSpend(w, "forecastSpend", b.ForecastSpend, b.Currency)
	}
	w.raw("notifications", []byte(`{"Actual_GreaterThan_80_Percent":{"enabled":true,"operator":"GreaterThan",`+
		`"threshold":80,"locale":"en-us","contactEmails":["finops@contoso.com"],"contactRoles":["Owner"],`+
		`"contactGroups":[],"thresholdType":"Actual"}}`))
	w.close('}')
	w.close('}')
}

func appendSpend(w *jsonWriter, key string, amount float64, unit string) {
	w.key(key)
	w.open('{')
	w.float("amount", amount)
	w.str("unit", unit)
	w.close('}')
}
