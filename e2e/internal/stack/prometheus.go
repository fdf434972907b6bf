package stack

import (
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/proc"
)

// PrometheusConfig is what the test's Prometheus scrapes, evaluates and
// alerts to.
type PrometheusConfig struct {
	// Job is the scrape job's name.
	Job string
	// Target is the host:port scraped.
	Target string
	// ScrapeInterval, also the scrape timeout, and EvalInterval, the rule
	// evaluation interval, are in seconds.
	ScrapeInterval, EvalInterval int
	// RuleFiles are loaded as they are.
	RuleFiles []string
	// Alertmanager is the host:port alerts are sent to.
	Alertmanager string
}

// StartPrometheus starts Prometheus with its data in a temporary directory.
func StartPrometheus(t testing.TB, c PrometheusConfig) *proc.Process {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     duration(c.ScrapeInterval),
			"scrape_timeout":      duration(c.ScrapeInterval),
			"evaluation_interval": duration(c.EvalInterval),
		},
		"rule_files": c.RuleFiles,
		"alerting": map[string]any{
			"alertmanagers": []any{map[string]any{
				"static_configs": []any{map[string]any{"targets": []string{c.Alertmanager}}},
			}},
		},
		"scrape_configs": []any{map[string]any{
			"job_name":       c.Job,
			"static_configs": []any{map[string]any{"targets": []string{c.Target}}},
		}},
	}
	path := writeYAML(t, dir, "prometheus.yml", cfg)
	checkConfig(t, path, "promtool", "check", "config")
	return proc.StartServer(t, proc.Server{
		Name: "Prometheus",
		Args: func(addr string) []string {
			return []string{
				"prometheus",
				"--config.file=" + path,
				"--storage.tsdb.path=" + dir + "/data",
				"--web.listen-address=" + addr,
			}
		},
		ReadyPath: "/-/ready",
		Timeout:   30 * time.Second,
	})
}
