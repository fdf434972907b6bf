package main

import (
	"runtime/metrics"
	"sync"
	"time"
)

// heapSampler records the largest heap (live objects and garbage not yet
// swept) it sees, reading runtime/metrics (no stop-the-world) every
// millisecond.
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
