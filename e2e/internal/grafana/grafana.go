// Package grafana gives a dashboard's template variables the values Grafana
// gives them when someone opens the dashboard: each query variable's options
// come from its query against a real Prometheus, and the selection is the
// default one (All where the variable offers it, else the first option in
// the variable's sort order). Panel queries expanded with these values
// select what a user sees first.
package grafana

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Variable is a dashboard template variable with what decides its default
// value in Grafana.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	RawQuery   json.RawMessage `json:"query"`
	Regex      string          `json:"regex"`
	Sort       int             `json:"sort"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Current    struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
}

// Variables decodes a dashboard's template variables, in dashboard order
// (the order Grafana resolves them in, each seeing those before it).
func Variables(dashboardJSON []byte) ([]Variable, error) {
	var d struct {
		Templating struct {
			List []Variable `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(dashboardJSON, &d); err != nil {
		return nil, fmt.Errorf("decoding template variables: %w", err)
	}
	return d.Templating.List, nil
}

// QueryText returns the variable's query, stored as a string or as an
// object with a "query" string.
func (v Variable) QueryText() string {
	var s string
	if json.Unmarshal(v.RawQuery, &s) == nil {
		return s
	}
	var obj struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.RawQuery, &obj) == nil {
		return obj.Query
	}
	return ""
}

// CurrentText returns the saved current value of a single-valued variable
// (a textbox's text), "" when there is none.
func (v Variable) CurrentText() string {
	var s string
	if json.Unmarshal(v.Current.Value, &s) == nil {
		return s
	}
	return ""
}

// LabelValues splits a query variable's label_values(selector, label)
// into its parts; ok is false for a variable of another kind or form.
func (v Variable) LabelValues() (selector, label string, ok bool) {
	q := strings.TrimSpace(v.QueryText())
	if v.Type != "query" || !strings.HasPrefix(q, "label_values(") || !strings.HasSuffix(q, ")") {
		return "", "", false
	}
	inner := q[len("label_values(") : len(q)-1]
	comma := strings.LastIndex(inner, ",")
	if comma < 0 {
		return "", "", false
	}
	return strings.TrimSpace(inner[:comma]), strings.TrimSpace(inner[comma+1:]), true
}

// Fixed returns the default selection of a variable whose options need no
// query: a textbox's or constant's text, a custom variable's comma-separated
// options. ok is false for other variables.
func (v Variable) Fixed() (value string, ok bool, err error) {
	switch v.Type {
	case "textbox", "constant":
		text := v.CurrentText()
		if text == "" {
			text = v.QueryText()
		}
		return stringLiteralBody(text), true, nil
	case "custom":
		var values []string
		for o := range strings.SplitSeq(v.QueryText(), ",") {
			values = append(values, strings.TrimSpace(o))
		}
		opts, err := v.Options(values)
		if err != nil {
			return "", true, err
		}
		value, err = v.Selection(opts)
		return value, true, err
	}
	return "", false, nil
}

// Options filters the values a variable query returned through the
// variable's regex (keeping the first capture group when it has one) and
// sorts them by its sort mode, as Grafana lists them.
func (v Variable) Options(values []string) ([]string, error) {
	opts, err := v.filter(values)
	if err != nil {
		return nil, err
	}
	sortOptions(opts, v.Sort)
	return opts, nil
}

func (v Variable) filter(values []string) ([]string, error) {
	if v.Regex == "" {
		return dedupe(values), nil
	}
	// Grafana writes the regex the JavaScript way, /.../flags.
	pattern := v.Regex
	if len(pattern) >= 2 && pattern[0] == '/' {
		end := strings.LastIndex(pattern, "/")
		flags := pattern[end+1:]
		pattern = pattern[1:end]
		if strings.Contains(flags, "i") {
			pattern = "(?i)" + pattern
		}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("variable %s: regex %q: %w", v.Name, v.Regex, err)
	}
	var kept []string
	for _, val := range values {
		m := re.FindStringSubmatch(val)
		switch {
		case m == nil:
		case len(m) > 1:
			kept = append(kept, m[1])
		default:
			kept = append(kept, val)
		}
	}
	return dedupe(kept), nil
}

func dedupe(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// sortOptions sorts by Grafana's sort modes: 1/2 alphabetical, 3/4
// numerical, 5/6 alphabetical ignoring case, 7/8 natural (taken as
// numerical here); odd ascending, even descending; 0 leaves the query's
// order.
func sortOptions(opts []string, mode int) {
	if mode <= 0 {
		return
	}
	cmp := strings.Compare
	switch (mode + 1) / 2 {
	case 2, 4:
		cmp = func(a, b string) int {
			if c := compareFloat(leadingNumber(a), leadingNumber(b)); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		}
	case 3:
		cmp = func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }
	}
	if mode%2 == 0 {
		slices.SortStableFunc(opts, func(a, b string) int { return cmp(b, a) })
		return
	}
	slices.SortStableFunc(opts, cmp)
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var firstNumber = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?`)

// leadingNumber is the first number in s, as Grafana's numerical sort reads
// it; values without one sort first.
func leadingNumber(s string) float64 {
	n, err := strconv.ParseFloat(firstNumber.FindString(s), 64)
	if err != nil {
		return math.Inf(-1)
	}
	return n
}

// Selection returns what Grafana puts in place of the variable for its
// default selection among opts, written for the inside of a PromQL string
// (the variables are used as label matchers, label=~"$name"). A variable
// that offers All selects it: its allValue if set, else every option as one
// regular expression, (a|b|c). Any other selects its first option.
func (v Variable) Selection(opts []string) (string, error) {
	if len(opts) == 0 {
		return "", fmt.Errorf("variable %s has no options", v.Name)
	}
	if !v.IncludeAll {
		return stringLiteralBody(opts[0]), nil
	}
	if v.AllValue != "" {
		return v.AllValue, nil
	}
	quoted := make([]string, len(opts))
	for i, o := range opts {
		quoted[i] = regexp.QuoteMeta(o)
	}
	return stringLiteralBody("(" + strings.Join(quoted, "|") + ")"), nil
}

// stringLiteralBody escapes s for a double-quoted PromQL string, without the
// quotes. PromQL strings take Go's escapes.
func stringLiteralBody(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
