package assets

import (
	"slices"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"enrollment": "100", "billing_period": "202611"}
	tests := []struct{ in, want string }{
		{`x{enrollment=~"$enrollment"}`, `x{enrollment=~"100"}`},
		{`x{enrollment=~"${enrollment}", billing_period="[[billing_period]]"}`, `x{enrollment=~"100", billing_period="202611"}`},
		{`x{enrollment=~"${enrollment:regex}"}`, `x{enrollment=~"100"}`},
		{`x{department=~"$department"}`, `x{department=~".*"}`},
		{`x{meter_name=~"(?i).*${meter_filter}.*"}`, `x{meter_name=~"(?i).*.*.*"}`},
		{`rate(x[$__rate_interval])`, `rate(x[5m])`},
		{`increase(x[$__range]) / $__range_s`, `increase(x[1d]) / 86400`},
		{`rate(x[$__interval]) * $__interval_ms`, `rate(x[1m]) * 60000`},
		{`x{a=~"b$"}`, `x{a=~"b$"}`},
	}
	for _, tt := range tests {
		if got := Expand(tt.in, vars); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVariableExpr(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`label_values(azure_ea_up, enrollment)`, `azure_ea_up`, true},
		{`label_values(x{a="1, 2", b=~"$b"}, c)`, `x{a="1, 2", b=~"$b"}`, true},
		{`label_values(enrollment)`, ``, false},
		{`label_names()`, ``, false},
		{`metrics(azure_ea_.*)`, ``, false},
		{`query_result(topk(5, sum by (d) (x)))`, `topk(5, sum by (d) (x))`, true},
		{` sum by (d) (x) `, `sum by (d) (x)`, true},
		{``, ``, false},
	}
	for _, tt := range tests {
		got, ok := VariableExpr(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("VariableExpr(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMetricNames(t *testing.T) {
	p := NewParser()
	tests := []struct {
		in   string
		want []string
	}{
		{`sum by (e) (b{x="1"}) / (a + b > 0)`, []string{"a", "b"}},
		{`histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))`, []string{"h_bucket"}},
		{`{__name__="a", e="1"} and on (e) {__name__=~"b.*"}`, []string{"a"}},
		{`time() - 86400`, nil},
	}
	for _, tt := range tests {
		expr, err := p.ParseExpr(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got := MetricNames(expr); !slices.Equal(got, tt.want) {
			t.Errorf("MetricNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
