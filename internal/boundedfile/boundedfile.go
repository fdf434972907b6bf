// Package boundedfile reads the small files an operator names on the
// command line or in the config file (credentials, the config itself)
// without trusting what the path turns out to be: a named pipe must not
// hold start-up in open(2) for ever, and /dev/zero must not be read until
// memory runs out.
package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is the error of a path that names a directory, a named
// pipe, a device or a socket rather than a regular file. A symbolic link is
// followed: Kubernetes mounts secrets as links to regular files.
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is the error of a file longer than the limit it was read
// with.
type TooLargeError struct {
	// Limit is the most bytes the file could have held.
	Limit int64
}

// Error says the limit, in the unit an operator would use.
func (e *TooLargeError) Error() string { return "larger than " + formatSize(e.Limit) }

// Read returns the content of the regular file at path, which must hold at
// most limit bytes. Its errors carry the cause without repeating the path,
// for the caller to name the file as it knows it, and never any content.
func Read(path string, limit int64) ([]byte, error) {
	return read(path, limit, os.Stat)
}

// read is Read with the first look (stat) given, so that tests can make
// the path change between the look and the open.
func read(path string, limit int64, stat func(string) (fs.FileInfo, error)) ([]byte, error) {
	// A first look before opening: opening some devices has effects of its
	// own (a tape rewinds, a serial line raises its control lines).
	info, err := stat(path)
	if err != nil {
		return nil, withoutPath(err)
	}
	if err := checkRegular(info.Mode()); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the path have become a named pipe since, opening it
	// returns at once instead of waiting for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, withoutPath(err)
	}
	defer f.Close()
	// What was opened is what counts: the path may have changed between
	// the look and the open.
	info, err = f.Stat()
	if err != nil {
		return nil, withoutPath(err)
	}
	if err := checkRegular(info.Mode()); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, withoutPath(err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return b, nil
}

func checkRegular(mode fs.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	return fmt.Errorf("%w (%s)", ErrNotRegular, kind(mode))
}

// kind names a file type that is not a regular file.
func kind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "type " + mode.Type().String()
}

// withoutPath drops the path and operation an *fs.PathError adds: the
// caller names the file.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
