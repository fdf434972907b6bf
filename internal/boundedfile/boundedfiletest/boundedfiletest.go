// Package boundedfiletest makes the files that boundedfile refuses, for the
// tests of the packages that read operator-named files through it.
package boundedfiletest

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Case is a path that is not a regular file, and the text its refusal
// holds.
type Case struct {
	Name, Path, Want string
}

// NotRegular returns a named pipe and a directory in a temporary directory,
// and the null device when it is a character device here.
func NotRegular(tb testing.TB) []Case {
	tb.Helper()
	dir := tb.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		tb.Fatal(err)
	}
	cases := []Case{
		{"named pipe", fifo, "not a regular file (a named pipe)"},
		{"directory", dir, "not a regular file (a directory)"},
	}
	if info, err := os.Stat(os.DevNull); err == nil && info.Mode()&fs.ModeCharDevice != 0 {
		cases = append(cases, Case{"character device", os.DevNull, "not a regular file (a device)"})
	}
	return cases
}
