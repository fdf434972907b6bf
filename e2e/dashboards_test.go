package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// The data source every panel, query and variable must use: the dashboards'
// own datasource variable, so that they import into any Grafana unchanged.
const datasourceUID = "${datasource}"

// requiredVariables lists, per dashboard uid, the template variables users
// navigate by. A new dashboard must be added here.
func requiredVariables() map[string][]string {
	return map[string][]string{
		"azure-ea-overview":        {"datasource", "enrollment", "billing_period"},
		"azure-ea-drilldown":       {"datasource", "enrollment", "billing_period", "department", "subscription", "meter_category"},
		"azure-ea-exporter-health": {"datasource", "job", "enrollment"},
	}
}

func TestMain(m *testing.M) {
	// Panel options, field config and Prometheus queries are only checked
	// strictly once the SDK knows the panel and data source types; it keeps
	// them in a process-wide registry.
	plugins.RegisterDefaultPlugins()
	os.Exit(m.Run())
}

func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	for _, d := range loadDashboards(t) {
		t.Run(filepath.Base(d.Path), func(t *testing.T) {
			var model dashboard.Dashboard
			for _, msg := range schemaErrors(model.UnmarshalJSONStrict(d.Raw)) {
				t.Errorf("strict decoding: %s", msg)
			}
			for _, msg := range schemaErrors(model.Validate()) {
				t.Errorf("validation: %s", msg)
			}
		})
	}
}

// schemaErrors lists the SDK's complaints. UnmarshalJSONStrict returns a
// non-nil but empty cog.BuildErrors when it has none.
func schemaErrors(err error) []string {
	if err == nil {
		return nil
	}
	var buildErrs cog.BuildErrors
	if !errors.As(err, &buildErrs) {
		return []string{err.Error()}
	}
	msgs := make([]string, 0, len(buildErrs))
	for _, e := range buildErrs {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

func TestDashboardsFollowConventions(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range loadDashboards(t) {
		t.Run(filepath.Base(d.Path), func(t *testing.T) {
			checkDashboardHeader(t, d)
			checkVariables(t, d)
			checkPanels(t, d)
		})
		seen[d.UID] = true
	}
	for uid := range requiredVariables() {
		if !seen[uid] {
			t.Errorf("dashboard %s is missing from %s", uid, dashboardsDir)
		}
	}
}

// checkDashboardHeader: provisioning-ready (no __inputs), a uid that is the
// file name so links and bookmarks never break, a title in the family.
func checkDashboardHeader(t *testing.T, d assets.Dashboard) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(d.Raw, &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["__inputs"]; ok {
		t.Error("has __inputs: provisioning cannot fill them; use the datasource variable")
	}
	if want := strings.TrimSuffix(filepath.Base(d.Path), ".json"); d.UID != want {
		t.Errorf("uid %q, want the file name %q", d.UID, want)
	}
	if _, ok := requiredVariables()[d.UID]; !ok {
		t.Errorf("uid %q is not in requiredVariables", d.UID)
	}
	if !strings.HasPrefix(d.Title, "Azure EA / ") {
		t.Errorf("title %q does not start with \"Azure EA / \"", d.Title)
	}
}

func checkVariables(t *testing.T, d assets.Dashboard) {
	byName := map[string]assets.Variable{}
	for _, v := range d.Templates.List {
		byName[v.Name] = v
	}
	for _, name := range requiredVariables()[d.UID] {
		if _, ok := byName[name]; !ok {
			t.Errorf("no %q variable", name)
		}
	}
	if ds := byName["datasource"]; ds.Type != "datasource" || ds.QueryText() != "prometheus" {
		t.Errorf("datasource variable is type %q query %q, want type datasource query prometheus", ds.Type, ds.QueryText())
	}
	for _, v := range d.Templates.List {
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != datasourceUID) {
			t.Errorf("variable %s does not query %s", v.Name, datasourceUID)
		}
	}
}

func checkPanels(t *testing.T, d assets.Dashboard) {
	ids := map[int]bool{}
	panels := 0
	for _, p := range d.AllPanels() {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		panels++
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.Title == "" || p.Description == "" {
			t.Errorf("%s: needs a title and a description", where)
		}
		if p.Type == "text" {
			continue
		}
		checkPanelQueries(t, where, p)
	}
	if panels == 0 {
		t.Error("no panels")
	}
}

func checkPanelQueries(t *testing.T, where string, p assets.Panel) {
	if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != datasourceUID {
		t.Errorf("%s: datasource %+v, want prometheus %s", where, p.Datasource, datasourceUID)
	}
	if len(p.Targets) == 0 {
		t.Errorf("%s: no queries", where)
	}
	refIDs := map[string]bool{}
	for _, tg := range p.Targets {
		if tg.RefID == "" || refIDs[tg.RefID] {
			t.Errorf("%s: refId %q is empty or repeated", where, tg.RefID)
		}
		refIDs[tg.RefID] = true
		if tg.Datasource != nil && tg.Datasource.UID != datasourceUID {
			t.Errorf("%s query %s: datasource %+v, want %s", where, tg.RefID, tg.Datasource, datasourceUID)
		}
	}
}

func TestDashboardQueriesNameOnlyKnownMetrics(t *testing.T) {
	p := assets.NewParser()
	known := knownMetrics(t, loadRuleFiles(t, p))
	var queries []assets.Query
	for _, d := range loadDashboards(t) {
		queries = append(queries, d.Queries()...)
	}
	checkQueries(t, p, queries, known)
}
