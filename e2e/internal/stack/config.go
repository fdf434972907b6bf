package stack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// writeYAML writes v as YAML to name in dir and returns the file's path.
func writeYAML(t testing.TB, dir, name string, v any) string {
	t.Helper()
	raw, err := yaml.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatalf("writing %s: %v", name, err)
	}
	return path
}

// checkConfig runs a config checker (promtool, amtool) and fails the test with
// its output and the checked file when it rejects the file: that says more
// than a server that exits at start.
func checkConfig(t testing.TB, path string, argv ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), argv[0], append(argv[1:], path)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		raw, _ := os.ReadFile(path)
		t.Fatalf("%v: %v\n%s\n%s:\n%s", argv, err, out, path, raw)
	}
}

// duration writes a number of seconds as a Prometheus config duration.
func duration(seconds int) string { return fmt.Sprintf("%ds", seconds) }
