package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// buildExporter compiles the exporter of the module that holds this program
// into dir.
func buildExporter(ctx context.Context, dir string, race bool) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "azure-ea-exporter")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %w\n%s", root, err, out)
	}
	return bin, nil
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// supervisor runs the exporter binary and starts it again whenever it
// exits on its own, as systemd or Kubernetes would; every such restart is a
// failure of the soak.
type supervisor struct {
	bin  string
	args []string
	logs *logScanner

	mu       sync.Mutex
	cmd      *exec.Cmd
	stopping bool
	restarts int
	exits    []string
	done     chan struct{}
}

func newSupervisor(bin string, args []string, logs *logScanner) *supervisor {
	return &supervisor{bin: bin, args: args, logs: logs}
}

// start launches the process and a goroutine that restarts it when it dies.
func (s *supervisor) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = make(chan struct{})
	return s.launchLocked()
}

func (s *supervisor) launchLocked() error {
	cmd := exec.Command(s.bin, s.args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the exporter: %w", err)
	}
	s.cmd = cmd
	var readers sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		readers.Go(func() { s.logs.scan(r) })
	}
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		err := cmd.Wait()
		s.exited(cmd, err)
	}()
	return nil
}

// exited records an exit and restarts the process unless it was asked to
// stop.
func (s *supervisor) exited(cmd *exec.Cmd, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		close(s.done)
		return
	}
	s.restarts++
	s.exits = append(s.exits, fmt.Sprintf("%s: exited: %v", time.Now().Format(time.TimeOnly), err))
	if err := s.launchLocked(); err != nil {
		s.exits = append(s.exits, "restart failed: "+err.Error())
		close(s.done)
	}
}

// stop interrupts the process and waits for it, killing it after timeout.
func (s *supervisor) stop(timeout time.Duration) error {
	s.mu.Lock()
	s.stopping = true
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if err := cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("the exporter did not stop within %s of SIGINT", timeout)
	}
}

func (s *supervisor) restartCount() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts, append([]string(nil), s.exits...)
}
