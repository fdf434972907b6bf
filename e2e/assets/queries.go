package assets

import (
	"regexp"
	"strings"
)

// Query is one PromQL expression found in a shipped file.
type Query struct {
	// File is the path of the dashboard or rule file.
	File string
	// Where says where in the file: a panel and refId, a variable, a rule.
	Where string
	// Expr is the expression as written, Grafana variables included.
	Expr string
}

// String names the query for messages.
func (q Query) String() string { return q.File + ": " + q.Where }

// grafanaVariable matches the three ways Grafana writes a variable reference:
// ${name}, ${name:format} or ${name.field}; [[name]] or [[name:format]]; $name.
var grafanaVariable = regexp.MustCompile(
	`\$\{(\w+)(?:\.[^:}]*)?(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)`)

// BuiltinStandIns returns values for Grafana's built-in interval and range
// variables that make a valid PromQL duration or number wherever Grafana
// would put the real value.
func BuiltinStandIns() map[string]string {
	return map[string]string{
		"__rate_interval":    "5m",
		"__rate_interval_ms": "300000",
		"__interval":         "1m",
		"__interval_ms":      "60000",
		"__range":            "1d",
		"__range_s":          "86400",
		"__range_ms":         "86400000",
	}
}

// UnknownVariableStandIn is what Expand puts for a variable that neither vars
// nor BuiltinStandIns knows: a regular expression matching anything, which is
// what a dashboard variable set to "All" becomes.
const UnknownVariableStandIn = ".*"

// Expand replaces every Grafana variable reference in expr. Values come from
// vars first, then from BuiltinStandIns, else UnknownVariableStandIn.
func Expand(expr string, vars map[string]string) string {
	builtins := BuiltinStandIns()
	return grafanaVariable.ReplaceAllStringFunc(expr, func(ref string) string {
		m := grafanaVariable.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3] // exactly one group matched
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := builtins[name]; ok {
			return v
		}
		return UnknownVariableStandIn
	})
}

// VariableExpr returns the PromQL in a Grafana Prometheus variable query, and
// false when the query holds none: label_names(), label_values(label) and
// metrics(regex) name no expression. label_values(selector, label) yields the
// selector and query_result(expr) the expression.
func VariableExpr(query string) (string, bool) {
	q := strings.TrimSpace(query)
	switch {
	case strings.HasPrefix(q, "label_values(") && strings.HasSuffix(q, ")"):
		inner := q[len("label_values(") : len(q)-1]
		comma := strings.LastIndex(inner, ",")
		if comma < 0 {
			return "", false
		}
		return strings.TrimSpace(inner[:comma]), true
	case strings.HasPrefix(q, "query_result(") && strings.HasSuffix(q, ")"):
		return strings.TrimSpace(q[len("query_result(") : len(q)-1]), true
	case strings.HasPrefix(q, "label_names(") || strings.HasPrefix(q, "metrics("):
		return "", false
	default:
		// Grafana runs anything else as a plain PromQL query.
		return q, q != ""
	}
}
