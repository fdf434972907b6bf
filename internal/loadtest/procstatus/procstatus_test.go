package procstatus

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const head = "Name:\tazure-ea-expor\nState:\tS (sleeping)\nVmPeak:\t 1261536 kB\nVmSize:\t 1261536 kB\n"
	for _, tc := range []struct {
		name, status string
		want         Memory
		err          string // "" when it parses
	}{
		{name: "a running process",
			status: head + "VmHWM:\t   30208 kB\nVmRSS:\t   28672 kB\nRssAnon:\t   12544 kB\nRssFile:\t   15360 kB\nRssShmem:\t       0 kB\n",
			want:   Memory{HWM: 30208 << 10, Anon: 12544 << 10, File: 15360 << 10}},
		{name: "lines in another order, no space after the colon",
			status: "RssFile:15 kB\nRssAnon:0 kB\nVmHWM:20 kB\n",
			want:   Memory{HWM: 20 << 10, File: 15 << 10}},
		{name: "an exited process (zombie)", status: "Name:\tnaive\nState:\tZ (zombie)\nThreads:\t1\n", err: "no memory lines"},
		{name: "empty", status: "", err: "no memory lines"},
		{name: "RssFile missing", status: head + "VmHWM:\t 1 kB\nRssAnon:\t 1 kB\n", err: "has 2 of the lines"},
		{name: "MB, not kB", status: "VmHWM:\t12 MB\nRssAnon:\t1 kB\nRssFile:\t1 kB\n", err: `"VmHWM:\t12 MB": not a size in kB`},
		{name: "no number", status: "VmHWM:\t1 kB\nRssAnon:\tx kB\nRssFile:\t1 kB\n", err: `not a size in kB: "x"`},
		{name: "negative", status: "VmHWM:\t1 kB\nRssAnon:\t1 kB\nRssFile:\t-1 kB\n", err: `not a size in kB: "-1"`},
		{name: "no unit", status: "VmHWM:\t1\nRssAnon:\t1 kB\nRssFile:\t1 kB\n", err: "not a size in kB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.status))
			switch {
			case tc.err == "" && (err != nil || got != tc.want):
				t.Errorf("Parse = %+v, %v; want %+v", got, err, tc.want)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("Parse = %+v, %v; want an error with %q", got, err, tc.err)
			}
		})
	}
	if _, err := Parse(strings.NewReader("Threads:\t1\n")); !errors.Is(err, ErrNoMemory) {
		t.Errorf("a status without memory lines: %v, want ErrNoMemory", err)
	}
}

func TestReadSelf(t *testing.T) {
	before, err := ReadSelf()
	if err != nil || before.Anon <= 0 || before.File <= 0 || before.HWM < before.Anon+before.File/2 {
		t.Fatalf("ReadSelf = %+v, %v", before, err)
	}
	// 64 MiB written to is 64 MiB more anonymous memory.
	block := make([]byte, 64<<20)
	for i := range block {
		block[i] = byte(i)
	}
	after, err := ReadSelf()
	if err != nil || after.Anon < before.Anon+60<<20 || after.HWM < after.Anon {
		t.Errorf("after writing 64 MiB: %+v, %v (before %+v)", after, err, before)
	}
	if block[len(block)-1] != byte(len(block)-1) {
		t.Error("the block changed")
	}
}

func TestRead(t *testing.T) {
	if m, err := Read(os.Getpid()); err != nil || m.Anon <= 0 || m.File <= 0 || m.HWM <= 0 {
		t.Errorf("Read(own pid) = %+v, %v", m, err)
	}
	if _, err := Read(-1); err == nil {
		t.Error("the status of pid -1 read")
	}
}
