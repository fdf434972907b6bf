package fakeapi

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// budgetList is the budgets body.
type budgetList struct {
	Value []budgetJSON `json:"value"`
}

type budgetJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	ETag       string `json:"eTag"`
	Properties struct {
		Category     string  `json:"category"`
		Amount       float64 `json:"amount"`
		TimeGrain    string  `json:"timeGrain"`
		CurrentSpend struct {
			Amount float64 `json:"amount"`
			Unit   string  `json:"unit"`
		} `json:"currentSpend"`
		ForecastSpend *struct {
			Amount float64 `json:"amount"`
			Unit   string  `json:"unit"`
		} `json:"forecastSpend"`
		Filter        map[string]any `json:"filter"`
		Notifications map[string]any `json:"notifications"`
	} `json:"properties"`
}

func TestBudgetsFollowTheTruth(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 19})
	truth := f.s.Truth("202611")
	want := map[string]ARMBudget{}
	for _, b := range f.s.ARMBudgets() {
		want[b.Name] = b
	}
	if len(want) != 3+4 {
		t.Fatalf("budgets %v", want)
	}
	if b := want["EnrollmentMonthly"]; b.CurrentSpend != truth.UsageCost+truth.MarketplaceCost || !b.HasForecast ||
		b.ForecastSpend <= b.CurrentSpend || b.Amount < 100 || len(b.MeterCategories) != 0 {
		t.Errorf("enrollment budget %+v", b)
	}
	if b := want["VirtualMachines"]; b.CurrentSpend != truth.CostByMeterCategory["Virtual Machines"] || b.HasForecast || b.Amount < 100 ||
		!slices.Equal(b.MeterCategories, []string{"Virtual Machines"}) {
		t.Errorf("VM budget %+v", b)
	}
	if b := want["ComputeAndStorage"]; b.CurrentSpend != truth.CostByMeterCategory["Virtual Machines"]+truth.CostByMeterCategory["Storage"] ||
		!slices.Equal(b.MeterCategories, []string{"Virtual Machines", "Storage"}) {
		t.Errorf("compute and storage budget %+v", b)
	}
	// Unfiltered, the department budgets count marketplace charges too:
	// together they are the enrollment's cost.
	forecasts, total := 0, 0.0
	for i, d := range f.s.ent.departments {
		b := want["dept-"+strconv.Itoa(d.id)+"-monthly"]
		if b.DepartmentID != strconv.Itoa(d.id) || b.CurrentSpend < truth.CostByDepartment[d.name] || len(b.MeterCategories) != 0 {
			t.Errorf("department %d budget %+v", i, b)
		}
		total += b.CurrentSpend
		if b.HasForecast {
			forecasts++
		}
	}
	if forecasts != 2 || math.Abs(total-(truth.UsageCost+truth.MarketplaceCost)) > 1e-9*total {
		t.Errorf("%d department budgets with a forecast; their spend %v, the enrollment's cost %v", forecasts, total,
			truth.UsageCost+truth.MarketplaceCost)
	}

	var list budgetList
	decodeJSON(t, f.get(f.account()+"/providers/Microsoft.Consumption/budgets?api-version=2023-05-01").body, &list)
	if len(list.Value) != 3 {
		t.Fatalf("enrollment budgets %+v", list)
	}
	for _, b := range list.Value {
		w := want[b.Name]
		p := b.Properties
		if p.Category != "Cost" || p.TimeGrain != "BillingMonth" || p.Amount != w.Amount || p.CurrentSpend.Amount != w.CurrentSpend ||
			p.CurrentSpend.Unit != DefaultCurrency || (p.ForecastSpend != nil) != w.HasForecast || b.Type != "Microsoft.Consumption/budgets" ||
			b.ID != f.account()+"/providers/Microsoft.Consumption/budgets/"+b.Name || b.ETag == "" || len(p.Notifications) == 0 {
			t.Errorf("budget %+v, want %+v", b, w)
		}
	}
	d := f.s.ent.departments[1]
	decodeJSON(t, f.get(f.account()+"/departments/"+strconv.Itoa(d.id)+"/providers/Microsoft.CostManagement/budgets?api-version=2023-11-01").body, &list)
	if len(list.Value) != 1 || list.Value[0].Type != "Microsoft.CostManagement/budgets" ||
		list.Value[0].Properties.CurrentSpend.Amount != want[list.Value[0].Name].CurrentSpend || list.Value[0].Properties.Filter != nil ||
		!strings.Contains(list.Value[0].ID, "/departments/"+strconv.Itoa(d.id)+"/") {
		t.Errorf("department budgets %+v", list)
	}
	var one budgetJSON
	decodeJSON(t, f.get(f.account()+"/providers/Microsoft.Consumption/budgets/virtualmachines?api-version=2023-05-01").body, &one)
	filter, _ := json.Marshal(one.Properties.Filter)
	if one.Name != "VirtualMachines" || string(filter) != `{"dimensions":{"name":"MeterCategory","operator":"In","values":["Virtual Machines"]}}` {
		t.Errorf("one budget %+v, filter %s", one, filter)
	}
}
