package stack

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// ExporterBinaryName is the name of the built exporter binary.
const ExporterBinaryName = "azure-ea-exporter"

// BuildExporter builds the exporter of the module in moduleDir into outDir
// and returns the binary's path.
//
// The binary has the race detector in: the end-to-end run then also checks
// the exporter's goroutines under real scrapes (see RaceReports), and the
// build reuses what the main module's `go test -race` compiled.
func BuildExporter(ctx context.Context, moduleDir, outDir string) (string, error) {
	bin, err := filepath.Abs(filepath.Join(outDir, ExporterBinaryName))
	if err != nil {
		return "", fmt.Errorf("building the exporter: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-race", "-o", bin, ".")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %w\n%s", moduleDir, err, out)
	}
	return bin, nil
}

// raceWarning starts every report of the race detector.
const raceWarning = "WARNING: DATA RACE"

// RaceReports returns how many data races the race detector has reported in
// a process's output.
func RaceReports(output string) int {
	return strings.Count(output, raceWarning)
}
