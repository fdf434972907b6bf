// Package assets reads what azure-ea-exporter ships for its users, the Grafana
// dashboards and the Prometheus rule files, and pulls the PromQL out of them,
// so that tests can check every query statically and run it against a real
// Prometheus.
package assets

import (
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// NewParser returns the PromQL parser the checks use: the default function
// set, with experimental functions and syntax turned off. It is a newer parser
// than the Prometheus 2.42 users run, so it can accept a little that 2.42
// rejects; promtool 2.42 checks every query as well.
func NewParser() parser.Parser {
	return parser.NewParser(parser.Options{})
}

// ParseQuery parses q.Expr after expanding Grafana variables with vars (see
// Expand).
func ParseQuery(p parser.Parser, q Query, vars map[string]string) (parser.Expr, error) {
	expr, err := p.ParseExpr(Expand(q.Expr, vars))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	return expr, nil
}

// MetricNames returns the distinct metric names expr selects, sorted. A
// selector without a name and without an equality matcher on __name__ names
// nothing.
func MetricNames(expr parser.Expr) []string {
	var names []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if n := selectorName(vs); n != "" {
				names = append(names, n)
			}
		}
		return nil
	})
	slices.Sort(names)
	return slices.Compact(names)
}

func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}
