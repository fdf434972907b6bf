package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/internal/loadtest/procstatus"
)

// statusSequence reads the memories in turn, then end.
func statusSequence(end error, mems ...procstatus.Memory) func() (procstatus.Memory, error) {
	i := 0
	return func() (procstatus.Memory, error) {
		if i == len(mems) {
			return procstatus.Memory{}, end
		}
		i++
		return mems[i-1], nil
	}
}

func TestSamplerPeaks(t *testing.T) {
	// RssAnon and RssFile peak at different samples; the total peaks at a
	// third.
	s := startSampler(7, statusSequence(fmt.Errorf("/proc/7/status: %w", procstatus.ErrNoMemory),
		procstatus.Memory{HWM: 15, Anon: 10, File: 5},
		procstatus.Memory{HWM: 23, Anon: 20, File: 3},
		procstatus.Memory{HWM: 24, Anon: 15, File: 9},
		procstatus.Memory{HWM: 24, Anon: 1, File: 2},
	), time.Microsecond)
	<-s.finished // a process that exits ends the sampling by itself
	got, err := s.stop()
	want := rssPeaks{samples: 4, anon: 20, file: 9, total: 24, totalAnon: 15, hwm: 24}
	if err != nil || got != want {
		t.Errorf("peaks %+v, %v; want %+v", got, err, want)
	}
}

func TestSamplerErrors(t *testing.T) {
	one := procstatus.Memory{HWM: 3, Anon: 1, File: 2}
	for _, tc := range []struct {
		name string
		read func() (procstatus.Memory, error)
		err  string // "" for none
	}{
		{"reaped after a sample", statusSequence(fs.ErrNotExist, one), ""},
		{"a read that fails otherwise", statusSequence(errors.New("status line: not a size in kB"), one), "not a size in kB"},
		{"exited before the first sample", statusSequence(fs.ErrNotExist), "exited before the first sample"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSampler(7, tc.read, time.Microsecond)
			<-s.finished
			_, err := s.stop()
			if (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("stop: %v, want %q", err, tc.err)
			}
		})
	}
}

func TestSamplerStopsARunningProcess(t *testing.T) {
	s := sampleRSS(os.Getpid(), time.Millisecond)
	// The first sample is taken before stop is looked at.
	p, err := s.stop()
	if err != nil || p.samples < 1 || p.anon <= 0 || p.file <= 0 || p.hwm < p.total/2 || p.totalAnon > p.anon {
		t.Errorf("own memory: %+v, %v", p, err)
	}
	if again, err := s.stop(); err != nil || again != p {
		t.Errorf("a second stop: %+v, %v", again, err)
	}
}

func TestSamplerOfAReapedProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	s := sampleRSS(cmd.Process.Pid, time.Millisecond)
	if _, err := s.stop(); err == nil || !strings.Contains(err.Error(), "exited before the first sample") {
		t.Errorf("sampling a reaped process: %v", err)
	}
}
