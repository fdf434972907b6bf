package arm

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

func TestScopeOfBudgetFilter(t *testing.T) {
	enrollment, dept := budgetScope{scopeEnrollment, ""}, budgetScope{scopeDepartment, "Research"}
	vm := budgetScope{scopeMeterCategory, "Virtual Machines"}
	tests := []struct {
		name   string
		filter string
		list   budgetScope
		want   budgetScope
		reason string // "" when the budget is exported
	}{
		{"none", ``, enrollment, enrollment, ""},
		{"null", `null`, dept, dept, ""},
		{"empty", `{}`, dept, dept, ""},
		{"empty members", `{"and":[],"dimensions":null,"tags":{},"not":null}`, enrollment, enrollment, ""},
		{"meter category", `{"dimensions":{"name":"MeterCategory","operator":"In","values":["Virtual Machines"]}}`, enrollment, vm, ""},
		{"any case, and of one", `{"and":[{"dimensions":{"name":"metercategory","operator":"in","values":[" Virtual Machines "]}}]}`, enrollment, vm, ""},
		{"meter category in a department", `{"dimensions":{"name":"MeterCategory","operator":"In","values":["Storage"]}}`, dept, budgetScope{}, "within department"},
		{"two categories", `{"dimensions":{"name":"MeterCategory","operator":"In","values":["Storage","Bandwidth"]}}`, enrollment, budgetScope{}, "2 meter categories"},
		{"no category", `{"dimensions":{"name":"MeterCategory","operator":"In","values":[]}}`, enrollment, budgetScope{}, "0 meter categories"},
		{"another dimension", `{"dimensions":{"name":"ResourceGroupName","operator":"In","values":["rg1"]}}`, enrollment, budgetScope{}, "ResourceGroupName"},
		{"another operator", `{"dimensions":{"name":"MeterCategory","operator":"NotIn","values":["Storage"]}}`, enrollment, budgetScope{}, "operator"},
		{"tag", `{"tags":{"name":"env","operator":"In","values":["prod"]}}`, enrollment, budgetScope{}, "tag"},
		{"category and tag", `{"and":[{"dimensions":{"name":"MeterCategory","operator":"In","values":["Storage"]}},` +
			`{"tags":{"name":"env","operator":"In","values":["prod"]}}]}`, enrollment, budgetScope{}, "tag"},
		{"two dimensions", `{"and":[{"dimensions":{"name":"MeterCategory","operator":"In","values":["Storage"]}},` +
			`{"dimensions":{"name":"ResourceLocation","operator":"In","values":["westeurope"]}}]}`, enrollment, budgetScope{}, "2 dimensions"},
		{"not", `{"not":{"dimensions":{"name":"MeterCategory","operator":"In","values":["Storage"]}}}`, enrollment, budgetScope{}, "not"},
		{"not an object", `["MeterCategory"]`, enrollment, budgetScope{}, "not the documented object"},
		{"deep", `{"and":[{"and":[{"and":[{"and":[{"and":[{"and":[{}]}]}]}]}]}]}`, enrollment, budgetScope{}, "deeper"},
	}
	for _, tt := range tests {
		got, err := scopeOfFilter([]byte(tt.filter), tt.list)
		switch {
		case tt.reason == "" && (err != nil || got != tt.want):
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		case tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)):
			t.Errorf("%s: %+v, %v; want it left out for %q", tt.name, got, err, tt.reason)
		}
	}
}

// A budget filtered to a meter category is that category's budget, not the
// enrollment's; one whose filter no scope type represents is left out, with
// a debug log line, and the rest of the list is kept.
func TestBudgetFilterGivesTheScope(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+accountPath+budgetsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"value":[
		 {"name":"All","properties":{"category":"Cost","amount":1000,"timeGrain":"Monthly"}},
		 {"name":"VMs","properties":{"category":"Cost","amount":200,"timeGrain":"Monthly",
		  "filter":{"dimensions":{"name":"MeterCategory","operator":"In","values":["Virtual Machines"]}}}},
		 {"name":"Prod","properties":{"category":"Cost","amount":300,"timeGrain":"Monthly",
		  "filter":{"tags":{"name":"env","operator":"In","values":["prod"]}}}},
		 {"name":"Odd","properties":{"category":"Cost","amount":400,"timeGrain":"Monthly","filter":"MeterCategory"}}]}`)
	})
	env := newTestEnv(t, f)
	got, err := env.c.Budgets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []apiclient.Budget{
		{Name: "All", ScopeType: "enrollment", Amount: 1000, TimeGrain: "Monthly"},
		{Name: "VMs", ScopeType: "meter_category", Scope: "Virtual Machines", Amount: 200, TimeGrain: "Monthly"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("budgets\n got %+v\nwant %+v", got, want)
	}
	logs := env.logs.String()
	for _, name := range []string{"Prod", "Odd"} {
		if !strings.Contains(logs, "budget="+name+" ") {
			t.Errorf("no debug line says budget %s is left out:\n%s", name, logs)
		}
	}
}

// The fake's budgets: its meter category budget keeps its scope, the one
// filtered to two categories is left out, and the department budgets come
// once a report has named the departments.
func TestBudgetsOfTheFake(t *testing.T) {
	now := time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)
	fake := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }, RowsPerDay: 20})
	c := newFakeAPIClient(t, fake, now)
	ctx := context.Background()
	served := map[string]fakeapi.ARMBudget{}
	for _, b := range fake.ARMBudgets() {
		served[b.Name] = b
	}

	got, err := c.Budgets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string]string{}
	for _, b := range got {
		scopes[b.Name] = b.ScopeType + "/" + b.Scope
		if b.CurrentSpend != served[b.Name].CurrentSpend || b.Amount != served[b.Name].Amount {
			t.Errorf("budget %+v, served %+v", b, served[b.Name])
		}
	}
	want := map[string]string{"EnrollmentMonthly": "enrollment/", "VirtualMachines": "meter_category/Virtual Machines"}
	if !maps.Equal(scopes, want) {
		t.Errorf("budgets before any report %v, want %v", scopes, want)
	}

	if err := c.Usage(ctx, apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got, err = c.Budgets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	departments := 0
	for _, b := range got {
		if b.ScopeType == "department" {
			departments++
			if b.Scope == "" || b.CurrentSpend != served[b.Name].CurrentSpend || served[b.Name].DepartmentID == "" {
				t.Errorf("department budget %+v, served %+v", b, served[b.Name])
			}
		}
	}
	if departments != 4 || len(got) != 2+4 {
		t.Errorf("after a report: %+v", got)
	}
}
