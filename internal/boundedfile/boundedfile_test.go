package boundedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promptly bounds how long a read that must not wait may take: far more
// than it needs, far less than for ever.
const promptly = 10 * time.Second

func TestReadRegularFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	writeFile(t, path, "secret\n")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, link} {
		b, err := Read(p, 64)
		if err != nil || string(b) != "secret\n" {
			t.Errorf("Read(%s) = %q, %v", p, b, err)
		}
	}
}

func TestReadLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, strings.Repeat("a", 2048))
	if b, err := Read(path, 2048); err != nil || len(b) != 2048 {
		t.Fatalf("a file of exactly the limit: %d bytes, %v", len(b), err)
	}
	_, err := Read(path, 2047)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 2047 || err.Error() != "larger than 2047 bytes" {
		t.Fatalf("err %v, want larger than 2047 bytes", err)
	}
}

func TestTooLargeNamesTheLimitInUnits(t *testing.T) {
	for limit, want := range map[int64]string{
		4 << 20:   "larger than 4 MiB",
		64 << 10:  "larger than 64 KiB",
		1000:      "larger than 1000 bytes",
		1<<20 + 1: "larger than 1048577 bytes",
	} {
		if got := (&TooLargeError{Limit: limit}).Error(); got != want {
			t.Errorf("limit %d: %q, want %q", limit, got, want)
		}
	}
}

func TestReadRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir, 64)
	if !errors.Is(err, ErrNotRegular) || err.Error() != "not a regular file (a directory)" {
		t.Fatalf("err %v", err)
	}
}

func TestReadRefusesCharDevice(t *testing.T) {
	info, err := os.Stat(os.DevNull)
	if err != nil || info.Mode()&fs.ModeCharDevice == 0 {
		t.Skipf("%s is no character device here", os.DevNull)
	}
	_, err = Read(os.DevNull, 64)
	if !errors.Is(err, ErrNotRegular) || err.Error() != "not a regular file (a device)" {
		t.Fatalf("err %v", err)
	}
}

func TestReadRefusesFIFOPromptly(t *testing.T) {
	fifo := mkfifo(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, link} {
		err := within(t, func() error { _, err := Read(p, 64); return err })
		if !errors.Is(err, ErrNotRegular) || err.Error() != "not a regular file (a named pipe)" {
			t.Errorf("%s: err %v", p, err)
		}
	}
}

// TestReadFIFOAfterLookDoesNotBlock makes the path a named pipe between the
// look and the open: the open must not wait for a writer, and what was
// opened is refused.
func TestReadFIFOAfterLookDoesNotBlock(t *testing.T) {
	fifo := mkfifo(t)
	regular := filepath.Join(t.TempDir(), "regular")
	writeFile(t, regular, "x")
	lookAtRegular := func(string) (fs.FileInfo, error) { return os.Stat(regular) }
	err := within(t, func() error { _, err := read(fifo, 64, lookAtRegular); return err })
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf("err %v", err)
	}
}

func TestReadErrorsNameNoPath(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	_, err := Read(missing, 64)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "no such file or directory" {
		t.Errorf("missing: %v", err)
	}
	if os.Geteuid() != 0 { // root reads whatever the mode says
		unreadable := filepath.Join(dir, "unreadable")
		writeFile(t, unreadable, "x")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(unreadable, 64); !errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), dir) {
			t.Errorf("unreadable: %v", err)
		}
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return fifo
}

// within runs f and fails the test if it has not returned in time; a read
// blocked in open(2) cannot be interrupted, so it is left behind.
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(promptly):
		t.Fatalf("still reading after %v", promptly)
		return nil
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
