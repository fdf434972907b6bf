package e2e

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"go.yaml.in/yaml/v3"
)

// The example configurations in ../examples.
const (
	examplesDir             = "../examples"
	examplePrometheusConfig = examplesDir + "/prometheus/prometheus.yml"
	exampleAlertmanager     = examplesDir + "/alertmanager/alertmanager.yml"
	exampleGrafanaSources   = examplesDir + "/grafana/provisioning/datasources/prometheus.yml"
	exampleGrafanaProviders = examplesDir + "/grafana/provisioning/dashboards/azure-ea.yml"
	exampleCompose          = examplesDir + "/docker-compose.yml"
)

// amtool returns the path of amtool, and fails the test when there is none.
func amtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("amtool")
	if err != nil {
		t.Fatalf("amtool is not on PATH (%v). The Alertmanager example's checks need it: install Alertmanager 0.25's "+
			"amtool with `apt-get install -y --no-install-recommends prometheus-alertmanager` (scripts/test.sh does), then run the tests again.", err)
	}
	return path
}

// runAmtool runs amtool with args and returns its standard output, failing
// the test with its output if it does not succeed.
func runAmtool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), amtool(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("amtool %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func TestExamplePrometheusConfigPassesPromtool(t *testing.T) {
	runPromtool(t, "check", "config", examplePrometheusConfig)
}

// prometheusExample is the part of the example prometheus.yml the tests read.
type prometheusExample struct {
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []staticConfig `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []struct {
		JobName        string         `yaml:"job_name"`
		ScrapeInterval string         `yaml:"scrape_interval"`
		ScrapeTimeout  string         `yaml:"scrape_timeout"`
		StaticConfigs  []staticConfig `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

type staticConfig struct {
	Targets []string `yaml:"targets"`
}

func loadPrometheusExample(t *testing.T) prometheusExample {
	t.Helper()
	var cfg prometheusExample
	if err := yaml.Unmarshal(slurp(t, examplePrometheusConfig), &cfg); err != nil {
		t.Fatalf("%s: %v", examplePrometheusConfig, err)
	}
	return cfg
}

// TestExamplePrometheusConfigLoadsEveryRuleFile: promtool checks the rule
// files the config names, not that it names all of them; a rule file added
// to alerts/ and forgotten here would leave its alerts unevaluated.
func TestExamplePrometheusConfigLoadsEveryRuleFile(t *testing.T) {
	cfg := loadPrometheusExample(t)
	var loaded []string
	for _, pattern := range cfg.RuleFiles {
		matches, err := filepath.Glob(filepath.Join(filepath.Dir(examplePrometheusConfig), pattern))
		if err != nil || len(matches) == 0 {
			t.Errorf("rule_files entry %q matches no file (%v)", pattern, err)
		}
		loaded = append(loaded, matches...)
	}
	want, err := assets.RuleFilePaths(alertsDir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i] = filepath.Clean(want[i])
	}
	slices.Sort(loaded)
	if !slices.Equal(loaded, want) {
		t.Errorf("rule_files load %v, want every rule file of %s and nothing else: %v", loaded, alertsDir, want)
	}
}

// TestExamplePrometheusConfigScrapesAsTheAlertsExpect: the job name the
// shipped alerts select by, an interval that keeps two samples in every
// lookback window, and Alertmanager to send to.
func TestExamplePrometheusConfigScrapesAsTheAlertsExpect(t *testing.T) {
	cfg := loadPrometheusExample(t)
	job := alertsJob(t)
	found := false
	for _, sc := range cfg.ScrapeConfigs {
		if sc.JobName != job {
			continue
		}
		found = true
		interval := time.Minute // Prometheus's default scrape_interval
		if sc.ScrapeInterval != "" {
			interval = parsePromDuration(t, sc.ScrapeInterval)
		}
		timeout := 10 * time.Second // and scrape_timeout
		if sc.ScrapeTimeout != "" {
			timeout = parsePromDuration(t, sc.ScrapeTimeout)
		}
		if interval > lookbackDelta/2 || timeout <= 0 || timeout > interval {
			t.Errorf("job %s: scrape_interval %s, scrape_timeout %s: want an interval of at most %s and a timeout within it",
				job, interval, timeout, lookbackDelta/2)
		}
	}
	if !found {
		t.Errorf("no scrape config with job_name %q, which the shipped alerts select", job)
	}
	if len(cfg.Alerting.Alertmanagers) == 0 {
		t.Error("no alerting.alertmanagers: the alerts would go nowhere")
	}
}

// alertmanagerExample is the part of the example alertmanager.yml the tests read.
type alertmanagerExample struct {
	Route struct {
		GroupBy []string `yaml:"group_by"`
	} `yaml:"route"`
	Receivers []struct {
		Name             string `yaml:"name"`
		PagerdutyConfigs []any  `yaml:"pagerduty_configs"`
		OpsgenieConfigs  []any  `yaml:"opsgenie_configs"`
		EmailConfigs     []any  `yaml:"email_configs"`
		SlackConfigs     []any  `yaml:"slack_configs"`
	} `yaml:"receivers"`
}

func TestExampleAlertmanagerConfigPassesAmtool(t *testing.T) {
	runAmtool(t, "check-config", exampleAlertmanager)
}

// TestExampleAlertmanagerRoutesEveryAlert asks amtool where each shipped
// alert goes: critical ones to a pager, the others to email or chat, and
// never a warning to the pager.
func TestExampleAlertmanagerRoutesEveryAlert(t *testing.T) {
	var cfg alertmanagerExample
	if err := yaml.Unmarshal(slurp(t, exampleAlertmanager), &cfg); err != nil {
		t.Fatalf("%s: %v", exampleAlertmanager, err)
	}
	for _, l := range []string{"alertname", "enrollment"} {
		if !slices.Contains(cfg.Route.GroupBy, l) {
			t.Errorf("route.group_by %v lacks %s", cfg.Route.GroupBy, l)
		}
	}
	pager, chat := map[string]bool{}, map[string]bool{}
	for _, r := range cfg.Receivers {
		pager[r.Name] = len(r.PagerdutyConfigs)+len(r.OpsgenieConfigs) > 0
		chat[r.Name] = len(r.EmailConfigs)+len(r.SlackConfigs) > 0
	}
	alerts := 0
	for _, f := range loadRuleFiles(t, assets.NewParser()) {
		for _, a := range f.Alerts() {
			alerts++
			severity := a.Labels["severity"]
			args := []string{"config", "routes", "test", "--config.file=" + exampleAlertmanager,
				"alertname=" + a.Alert, "severity=" + severity, "enrollment=12345678"}
			receivers := strings.FieldsFunc(runAmtool(t, args...), func(r rune) bool { return r == ',' || r == '\n' || r == ' ' })
			if len(receivers) == 0 {
				t.Errorf("amtool routes alert %s to no receiver", a.Alert)
			}
			for _, recv := range receivers {
				if severity == "critical" && !pager[recv] {
					t.Errorf("critical alert %s goes to %s, which pages no one", a.Alert, recv)
				}
				if severity != "critical" && (pager[recv] || !chat[recv]) {
					t.Errorf("%s alert %s goes to %s, want email or chat and no pager", severity, a.Alert, recv)
				}
			}
		}
	}
	if alerts == 0 {
		t.Fatalf("no alerts in %s", alertsDir)
	}
}
