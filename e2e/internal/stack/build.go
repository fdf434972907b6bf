package stack

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// ExporterBinaryName is the name of the built exporter binary.
const ExporterBinaryName = "azure-ea-exporter"

// BuildExporter builds the exporter of the module in moduleDir into outDir
// and returns the binary's path.
//
// It is built without the race detector (the main module's tests run the
// binary with it): a race-enabled exporter answers a scrape of this test's
// two enrollments in about half a second on two cores, too close to the
// scrape timeout.
func BuildExporter(ctx context.Context, moduleDir, outDir string) (string, error) {
	bin, err := filepath.Abs(filepath.Join(outDir, ExporterBinaryName))
	if err != nil {
		return "", fmt.Errorf("building the exporter: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %w\n%s", moduleDir, err, out)
	}
	return bin, nil
}
