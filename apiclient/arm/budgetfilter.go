package arm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// budgetFilterJSON is a budget's properties.filter (reference 6.5.6): a
// dimension comparison, a tag comparison, or an "and" of them. Older
// api-versions also had "not".
type budgetFilterJSON struct {
	And        []*budgetFilterJSON `json:"and"`
	Not        json.RawMessage     `json:"not"`
	Dimensions *comparisonJSON     `json:"dimensions"`
	Tags       *comparisonJSON     `json:"tags"`
}

// comparisonJSON is one comparison: name operator values, e.g.
// MeterCategory In [Virtual Machines].
type comparisonJSON struct {
	Name     flexString   `json:"name"`
	Operator flexString   `json:"operator"`
	Values   []flexString `json:"values"`
}

// set tells a comparison from an absent or empty one (the API writes
// "tags": {} or null for none).
func (c *comparisonJSON) set() bool {
	return c != nil && (strings.TrimSpace(string(c.Name)) != "" || len(c.Values) > 0)
}

// maxFilterDepth bounds the nesting of "and" a filter may have.
const maxFilterDepth = 4

// budgetScope is where a budget is exported: its scope type and scope.
type budgetScope struct{ scopeType, scope string }

// scopeOfFilter maps a budget of the list at scope onto the exporter's
// scopes: without a filter it keeps that scope; a budget of the billing
// account filtered to exactly one meter category is a meter_category
// budget. Any other filter limits the spend to something no scope type
// names, so the budget cannot be exported: the error says why.
func scopeOfFilter(raw json.RawMessage, list budgetScope) (budgetScope, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return list, nil
	}
	var f budgetFilterJSON
	if err := json.Unmarshal(raw, &f); err != nil {
		return budgetScope{}, fmt.Errorf("a filter that is not the documented object: %w", err)
	}
	var dims, tags []*comparisonJSON
	if !f.collect(&dims, &tags, 0) {
		return budgetScope{}, fmt.Errorf("a \"not\" filter, or \"and\" nested deeper than %d", maxFilterDepth)
	}
	switch {
	case len(dims) == 0 && len(tags) == 0:
		return list, nil
	case len(tags) > 0:
		return budgetScope{}, fmt.Errorf("a filter on tag %s", quoteShort(string(tags[0].Name)))
	case len(dims) > 1:
		return budgetScope{}, fmt.Errorf("a filter on %d dimensions", len(dims))
	}
	d := dims[0]
	name := strings.TrimSpace(string(d.Name))
	switch {
	case !strings.EqualFold(name, "MeterCategory"):
		return budgetScope{}, fmt.Errorf("a filter on dimension %s", quoteShort(name))
	case !strings.EqualFold(strings.TrimSpace(string(d.Operator)), "In"):
		return budgetScope{}, fmt.Errorf("a filter with operator %s", quoteShort(string(d.Operator)))
	case len(d.Values) != 1 || strings.TrimSpace(string(d.Values[0])) == "":
		return budgetScope{}, fmt.Errorf("a filter on %d meter categories", len(d.Values))
	case list.scopeType != scopeEnrollment:
		return budgetScope{}, fmt.Errorf("a filter on a meter category within %s %s", list.scopeType, quoteShort(list.scope))
	}
	return budgetScope{scopeMeterCategory, strings.TrimSpace(string(d.Values[0]))}, nil
}

// collect appends f's comparisons; false means f has what cannot be read as
// comparisons joined by "and".
func (f *budgetFilterJSON) collect(dims, tags *[]*comparisonJSON, depth int) bool {
	if f == nil {
		return true
	}
	if not := bytes.TrimSpace(f.Not); depth > maxFilterDepth || (len(not) > 0 && string(not) != "null" && string(not) != "{}") {
		return false
	}
	if f.Dimensions.set() {
		*dims = append(*dims, f.Dimensions)
	}
	if f.Tags.set() {
		*tags = append(*tags, f.Tags)
	}
	for _, sub := range f.And {
		if !sub.collect(dims, tags, depth+1) {
			return false
		}
	}
	return true
}
