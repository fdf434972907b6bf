package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/azure-ea-exporter/azure-ea-exporter/internal/naive"
)

// naiveResult is what a run of the naive client measured.
type naiveResult struct {
	// Report is the client's own report: rows, cost, time, peak heap,
	// VmHWM.
	naive.Report
	// bytes is what the fake served it.
	bytes int64
	// rss is its memory sampled over the whole run.
	rss      rssPeaks
	keepRows bool
}

// runNaive runs the naive client bin in a process of its own, so that its
// memory is its own, and samples that memory while it runs.
func runNaive(ctx context.Context, bin string, f *fakeAPI, work string, keepRows bool, periods string) (*naiveResult, error) {
	keyFile := filepath.Join(work, "naive.key")
	if err := os.WriteFile(keyFile, []byte(f.Key()), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-base-url", f.url, "-enrollment", f.Enrollment(),
		"-key-file", keyFile, "-periods", periods, "-keep-rows="+strconv.FormatBool(keepRows))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the naive client: %w", err)
	}
	sampler := sampleRSS(cmd.Process.Pid, rssPeriod)
	// Once the client exits, the sampler's next read finds a status
	// without memory lines (before Wait reaps it) or none, and it ends.
	// Linux hands out pids in sequence: none is reused within 2 ms.
	waitErr := cmd.Wait()
	peaks, sampleErr := sampler.stop()
	if waitErr != nil {
		return nil, fmt.Errorf("naive client: %w: %s", waitErr, stderr.Bytes())
	}
	if sampleErr != nil {
		return nil, fmt.Errorf("naive client: %w", sampleErr)
	}
	r := &naiveResult{rss: peaks, keepRows: keepRows}
	if err := json.Unmarshal(stdout.Bytes(), &r.Report); err != nil {
		return nil, fmt.Errorf("naive client's report %q: %w", stdout.Bytes(), err)
	}
	return r, nil
}
