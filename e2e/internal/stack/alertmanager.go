package stack

import (
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/proc"
)

// StartAlertmanager starts Alertmanager with one route: every alert goes,
// ungrouped and after a one-second wait, to the webhook at webhookURL.
func StartAlertmanager(t testing.TB, webhookURL string) *proc.Process {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{
		"route": map[string]any{
			"receiver": "test",
			// "..." groups by every label: each alert is its own
			// notification, and none waits for another.
			"group_by":        []string{"..."},
			"group_wait":      duration(1),
			"group_interval":  duration(1),
			"repeat_interval": "1h",
		},
		"receivers": []any{map[string]any{
			"name":            "test",
			"webhook_configs": []any{map[string]any{"url": webhookURL, "send_resolved": false}},
		}},
	}
	path := writeYAML(t, dir, "alertmanager.yml", cfg)
	checkConfig(t, path, "amtool", "check-config")
	return proc.StartServer(t, proc.Server{
		Name: "Alertmanager",
		Args: func(addr string) []string {
			return []string{
				"prometheus-alertmanager",
				"--config.file=" + path,
				"--storage.path=" + dir,
				"--web.listen-address=" + addr,
				"--cluster.listen-address=", // no clustering, no gossip port
			}
		},
		ReadyPath: "/-/ready",
		Timeout:   30 * time.Second,
	})
}
