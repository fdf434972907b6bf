package stack

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Tool is a program the end-to-end test runs, and the Debian package that
// ships it.
type Tool struct {
	Program, Package string
}

// Tools lists the programs the end-to-end test needs.
func Tools() []Tool {
	return []Tool{
		{"prometheus", "prometheus"},
		{"promtool", "prometheus"},
		{"prometheus-alertmanager", "prometheus-alertmanager"},
		{"amtool", "prometheus-alertmanager"},
	}
}

// RequireTools fails the test, naming the packages to install, when a tool
// is not on PATH: the end-to-end test must not pass quietly without them.
func RequireTools(t testing.TB) {
	t.Helper()
	var missing, pkgs []string
	for _, tool := range Tools() {
		if _, err := exec.LookPath(tool.Program); err != nil {
			missing = append(missing, tool.Program)
			if !slices.Contains(pkgs, tool.Package) {
				pkgs = append(pkgs, tool.Package)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s not on PATH. The end-to-end test runs real Prometheus 2.x and Alertmanager: install them with "+
			"`apt-get install -y --no-install-recommends %s` (../scripts/test.sh does), then run the tests again.",
			strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
}
