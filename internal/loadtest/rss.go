package main

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"syscall"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/internal/loadtest/procstatus"
)

// rssPeriod is how often an rssSampler reads the status: often enough to
// see the peak of a refresh that allocates in steps of a page (about a
// megabyte of JSON), seldom enough to cost the machine a few percent of a
// core.
const rssPeriod = 2 * time.Millisecond

// rssPeaks are the peaks an rssSampler saw in a process's status.
type rssPeaks struct {
	samples int
	// anon and file are the largest RssAnon and the largest RssFile, each
	// on its own: they need not peak at the same sample.
	anon, file int64
	// total is the largest RssAnon+RssFile, and totalAnon the RssAnon of
	// that sample.
	total, totalAnon int64
	// hwm is the VmHWM of the last sample.
	hwm int64
}

// add takes in one sample.
func (p *rssPeaks) add(m procstatus.Memory) {
	p.samples++
	p.anon, p.file, p.hwm = max(p.anon, m.Anon), max(p.file, m.File), m.HWM
	if m.Anon+m.File > p.total {
		p.total, p.totalAnon = m.Anon+m.File, m.Anon
	}
}

// rssSampler reads a process's status every period, from its start until
// it is stopped or the process has exited.
type rssSampler struct {
	pid      int
	read     func() (procstatus.Memory, error)
	stopOnce sync.Once
	done     chan struct{}
	finished chan struct{}
	peaks    rssPeaks
	err      error
}

// sampleRSS starts sampling the process pid. Start it right after the
// process has started (exec.Cmd.Start returns once the new program runs).
func sampleRSS(pid int, period time.Duration) *rssSampler {
	return startSampler(pid, func() (procstatus.Memory, error) { return procstatus.Read(pid) }, period)
}

// startSampler samples what read returns; pid names the process in errors.
func startSampler(pid int, read func() (procstatus.Memory, error), period time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, read: read, done: make(chan struct{}), finished: make(chan struct{})}
	go s.loop(period)
	return s
}

func (s *rssSampler) loop(period time.Duration) {
	defer close(s.finished)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		m, err := s.read()
		if err != nil {
			if !exited(err) {
				s.err = err
			}
			return
		}
		s.peaks.add(m)
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// exited reports whether err is what reading the status of a process that
// has exited gives: no memory lines (not yet reaped) or no status at all.
func exited(err error) bool {
	return errors.Is(err, procstatus.ErrNoMemory) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// stop ends the sampling (if the process has not ended it) and returns the
// peaks. No sample at all is an error: the figures would say nothing.
func (s *rssSampler) stop() (rssPeaks, error) {
	s.stopOnce.Do(func() { close(s.done) })
	<-s.finished
	switch {
	case s.err != nil:
		return s.peaks, fmt.Errorf("sampling the memory of process %d: %w", s.pid, s.err)
	case s.peaks.samples == 0:
		return s.peaks, fmt.Errorf("sampling the memory of process %d: it had exited before the first sample", s.pid)
	}
	return s.peaks, nil
}
