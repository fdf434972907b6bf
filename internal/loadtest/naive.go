package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/internal/naive"
)

// naiveChildArg makes the load test run the naive client instead: the
// parent starts itself with it, so that the client's memory is measured in
// a process of its own.
const naiveChildArg = "naive-child"

// naiveResult is the naive client's report, as JSON on stdout.
type naiveResult struct {
	Rows     int     `json:"rows"`
	Cost     float64 `json:"cost"`
	Seconds  float64 `json:"seconds"`
	PeakHeap int64   `json:"peak_heap_bytes"`
	PeakRSS  int64   `json:"peak_rss_bytes"`
	KeptRows int     `json:"kept_rows"`
	// bytes is what the fake served it, filled in by the parent.
	bytes int64
}

func runNaiveChild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(naiveChildArg, flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("base-url", "", "EA API base URL")
	enrollment := fs.String("enrollment", "", "enrollment number")
	keyFile := fs.String("key-file", "", "API key file")
	periods := fs.String("periods", "", "billing periods, comma-separated")
	keepRows := fs.Bool("keep-rows", false, "keep every decoded row until the end")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	key, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	c := &naive.Client{HTTP: &http.Client{Timeout: 10 * time.Minute}, BaseURL: *baseURL, Enrollment: *enrollment,
		Key: strings.TrimSpace(string(key))}
	heap := startHeapSampler()
	start := time.Now()
	sums := naive.Sums{KeepRows: *keepRows}
	for _, p := range strings.Split(*periods, ",") {
		if err := c.Period(context.Background(), p, &sums); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	res := naiveResult{Rows: sums.Rows, Cost: sums.Cost, Seconds: time.Since(start).Seconds(), PeakHeap: heap.stop(),
		KeptRows: len(sums.Kept)}
	if res.PeakRSS, err = vmHWM("/proc/self/status"); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// heapSampler records the largest live-and-garbage heap it sees, reading
// runtime/metrics (no stop-the-world) every millisecond.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startHeapSampler() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	h.wg.Go(func() {
		sample := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			h.peak = max(h.peak, sample[0].Value.Uint64())
			select {
			case <-h.done:
				return
			case <-t.C:
			}
		}
	})
	return h
}

// stop ends the sampling and returns the peak, in bytes.
func (h *heapSampler) stop() int64 {
	close(h.done)
	h.wg.Wait()
	return int64(h.peak)
}
