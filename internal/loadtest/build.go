package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Packages of this module that the load test builds.
const (
	exporterPkg = "."
	naivePkg    = "./internal/naive/cmd/naive"
)

// buildStatic builds the package pkg of this module into out as the
// Dockerfile builds the exporter: static, without cgo, with trimmed paths
// and without symbol tables. The binary's size and the pages of it that a
// process maps are part of what the load test measures.
func buildStatic(ctx context.Context, pkg, out string) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// moduleRoot is the directory of this module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("finding the module root (run from inside the repository): %v", err)
	}
	return filepath.Dir(mod), nil
}
