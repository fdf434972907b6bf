package assets

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Dashboard is one Grafana dashboard file, decoded just far enough to walk
// its panels and template variables. The Grafana schema check lives in the
// tests, which decode the same bytes strictly.
type Dashboard struct {
	// Path is the file the dashboard was read from.
	Path string
	// Raw holds the file's bytes.
	Raw []byte

	UID       string     `json:"uid"`
	Title     string     `json:"title"`
	Panels    []Panel    `json:"panels"`
	Templates Templating `json:"templating"`
}

// Templating is a dashboard's list of template variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Panel is a dashboard panel, or a row holding panels.
type Panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *DatasourceRef `json:"datasource"`
	Targets     []Target       `json:"targets"`
	// Panels holds a collapsed row's panels.
	Panels []Panel `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string         `json:"refId"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	Datasource   *DatasourceRef `json:"datasource"`
}

// DatasourceRef points a panel, query or variable at a data source.
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Variable is a dashboard template variable.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Datasource *DatasourceRef  `json:"datasource"`
	RawQuery   json.RawMessage `json:"query"`
}

// QueryText returns the variable's query: Grafana stores it either as a
// string or, in newer versions, as an object with a "query" string.
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

// LoadDashboards reads every *.json file in dir.
func LoadDashboards(dir string) ([]Dashboard, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("listing dashboards in %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no dashboards (*.json) in %s", dir)
	}
	dashboards := make([]Dashboard, 0, len(paths))
	for _, path := range paths {
		d, err := loadDashboard(path)
		if err != nil {
			return nil, err
		}
		dashboards = append(dashboards, d)
	}
	return dashboards, nil
}

func loadDashboard(path string) (Dashboard, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Dashboard{}, fmt.Errorf("reading dashboard: %w", err)
	}
	var d Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return Dashboard{}, fmt.Errorf("decoding dashboard %s: %w", path, err)
	}
	d.Path, d.Raw = path, raw
	return d, nil
}

// AllPanels returns the dashboard's panels, the panels of collapsed rows
// included, and the rows themselves.
func (d Dashboard) AllPanels() []Panel {
	var all []Panel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	return all
}

// Queries returns every PromQL expression in the dashboard: each panel
// target and each query variable's expression.
func (d Dashboard) Queries() []Query {
	var qs []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			where := fmt.Sprintf("panel %d %q, query %s", p.ID, p.Title, t.RefID)
			qs = append(qs, Query{File: d.Path, Where: where, Expr: t.Expr})
		}
	}
	for _, v := range d.Templates.List {
		if v.Type != "query" {
			continue
		}
		if expr, ok := VariableExpr(v.QueryText()); ok {
			qs = append(qs, Query{File: d.Path, Where: "variable " + v.Name, Expr: expr})
		}
	}
	return qs
}
