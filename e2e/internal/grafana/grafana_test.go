package grafana

import (
	"slices"
	"testing"
)

func TestVariables(t *testing.T) {
	raw := []byte(`{"templating":{"list":[
	 {"name":"ds","type":"datasource","query":"prometheus"},
	 {"name":"e","type":"query","query":"label_values(up{job=~\"$job\"}, enrollment)","includeAll":true,"sort":1},
	 {"name":"p","type":"query","query":{"query":"label_values(x, billing_period)","refId":"A"},"sort":4},
	 {"name":"f","type":"textbox","query":"","current":{"text":"a\"b","value":"a\"b"}},
	 {"name":"c","type":"custom","query":"b, a","includeAll":true,"allValue":".+"}]}}`)
	vars, err := Variables(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 5 {
		t.Fatalf("%d variables", len(vars))
	}
	if sel, label, ok := vars[1].LabelValues(); !ok || sel != `up{job=~"$job"}` || label != "enrollment" {
		t.Errorf("LabelValues = %q, %q, %v", sel, label, ok)
	}
	if sel, label, ok := vars[2].LabelValues(); !ok || sel != "x" || label != "billing_period" {
		t.Errorf("object query: LabelValues = %q, %q, %v", sel, label, ok)
	}
	if _, _, ok := vars[0].LabelValues(); ok {
		t.Error("a data source variable has label_values")
	}
	if v, ok, err := vars[3].Fixed(); !ok || err != nil || v != `a\"b` {
		t.Errorf("textbox Fixed = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := vars[4].Fixed(); !ok || err != nil || v != ".+" {
		t.Errorf("custom Fixed = %q, %v, %v", v, ok, err)
	}
	if _, ok, _ := vars[1].Fixed(); ok {
		t.Error("a query variable is fixed")
	}
}

func TestOptionsAndSelection(t *testing.T) {
	values := []string{"202610", "202611", "202609", "202611"}
	tests := []struct {
		name     string
		v        Variable
		wantOpts []string
		want     string
	}{
		{"numerical descending, first", Variable{Sort: 4}, []string{"202611", "202610", "202609"}, "202611"},
		{"numerical ascending, first", Variable{Sort: 3}, []string{"202609", "202610", "202611"}, "202609"},
		{"as returned", Variable{}, []string{"202610", "202611", "202609"}, "202610"},
		{"All, every option", Variable{IncludeAll: true, Sort: 1}, []string{"202609", "202610", "202611"}, "(202609|202610|202611)"},
		{"All with allValue", Variable{IncludeAll: true, AllValue: ".*"}, []string{"202610", "202611", "202609"}, ".*"},
		{"regex capture", Variable{Regex: "/^2026(1.)$/", Sort: 2}, []string{"11", "10"}, "11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := tt.v.Options(values)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(opts, tt.wantOpts) {
				t.Errorf("Options = %v, want %v", opts, tt.wantOpts)
			}
			if got, err := tt.v.Selection(opts); err != nil || got != tt.want {
				t.Errorf("Selection = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSelectionEscapesForARegexInAString(t *testing.T) {
	v := Variable{IncludeAll: true}
	got, err := v.Selection([]string{"a.b", `c"d`})
	if want := `(a\\.b|c\"d)`; err != nil || got != want {
		t.Errorf("Selection = %q, %v; want %q", got, err, want)
	}
	if _, err := v.Selection(nil); err == nil {
		t.Error("no options, no error")
	}
}

func TestSortIgnoringCase(t *testing.T) {
	opts, _ := Variable{Sort: 5}.Options([]string{"b", "A", "c"})
	if want := []string{"A", "b", "c"}; !slices.Equal(opts, want) {
		t.Errorf("Options = %v, want %v", opts, want)
	}
}
