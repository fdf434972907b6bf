// Package procstatus reads the memory lines of a Linux /proc/<pid>/status
// file. The load test samples its children with it, and the naive client
// reports its own peak with it; it is kept apart (and small) so that the
// naive client's binary links nothing of the load test.
package procstatus

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Memory is what a status file says of a process's resident memory, in
// bytes.
type Memory struct {
	// HWM is the peak resident set size over the process's life (VmHWM),
	// kept by the kernel: no sampling can miss a short peak of it.
	HWM int64
	// Anon is the resident anonymous memory now (RssAnon): the process's
	// private memory, what it allocated (heap, stacks, the Go runtime).
	Anon int64
	// File is the resident file-backed memory now (RssFile): pages of the
	// executable mapped in, shared with the page cache and reclaimable.
	File int64
}

// ErrNoMemory means that a status file has none of the memory lines, as
// is the case of a process that has exited and not yet been reaped.
var ErrNoMemory = errors.New("no memory lines in the status (the process has exited?)")

// Parse reads Memory from the text of a status file. All three lines must
// be there, in kB as the kernel writes them.
func Parse(r io.Reader) (Memory, error) {
	var m Memory
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), ":")
		var dst *int64
		switch name {
		case "VmHWM":
			dst = &m.HWM
		case "RssAnon":
			dst = &m.Anon
		case "RssFile":
			dst = &m.File
		default:
			continue
		}
		n, err := parseKB(rest)
		if err != nil {
			return Memory{}, fmt.Errorf("status line %q: %w", sc.Text(), err)
		}
		*dst = n
		found++
	}
	if err := sc.Err(); err != nil {
		return Memory{}, fmt.Errorf("reading the status: %w", err)
	}
	switch found {
	case 0:
		return Memory{}, ErrNoMemory
	case 3:
		return m, nil
	}
	return Memory{}, fmt.Errorf("the status has %d of the lines VmHWM, RssAnon and RssFile", found)
}

// parseKB reads "   1234 kB" as bytes.
func parseKB(s string) (int64, error) {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return 0, errors.New("not a size in kB")
	}
	kb, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || kb < 0 {
		return 0, fmt.Errorf("not a size in kB: %q", f[0])
	}
	return kb << 10, nil
}

// Read reads the status of the process pid.
func Read(pid int) (Memory, error) {
	return readFile("/proc/" + strconv.Itoa(pid) + "/status")
}

// ReadSelf reads the status of this process.
func ReadSelf() (Memory, error) {
	return readFile("/proc/self/status")
}

func readFile(path string) (Memory, error) {
	f, err := os.Open(path)
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	m, err := Parse(f)
	if err != nil {
		return Memory{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
