// Package proc runs the servers of an end-to-end test (the exporter,
// Prometheus, Alertmanager) as child processes on loopback ports, and makes
// sure each one is gone when the test ends.
package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopTimeout is how long a process gets to exit after SIGTERM before it is
// killed.
const StopTimeout = 5 * time.Second

// Process is a running child process whose output is kept for the test log.
type Process struct {
	// Name says which server this is, in messages.
	Name string
	// Addr is the loopback host:port the server listens on.
	Addr string

	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before exited is closed
}

// URL returns the server's base URL, http://Addr.
func (p *Process) URL() string { return "http://" + p.Addr }

// Output returns what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.output.String() }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Server describes a child process that serves HTTP on the address it is
// given.
type Server struct {
	// Name says which server this is, in messages.
	Name string
	// Args builds the command line (program first) for the listen address.
	Args func(addr string) []string
	// ReadyPath is polled until it answers 200; it must be cheap.
	ReadyPath string
	// Timeout bounds the wait for ReadyPath.
	Timeout time.Duration
}

// addrTries is how often StartServer picks another port when the one it
// chose was taken between choosing and binding.
const addrTries = 3

// StartServer starts s on a free loopback port and waits until it is ready.
// The process is stopped in t.Cleanup, and its output is logged there when
// the test has failed.
func StartServer(t testing.TB, s Server) *Process {
	t.Helper()
	var lastErr error
	for range addrTries {
		p, err := start(t, s.Name, FreeLoopbackAddr(t), s.Args)
		if err != nil {
			t.Fatal(err)
		}
		lastErr = p.waitReady(t.Context(), s.ReadyPath, s.Timeout)
		if lastErr == nil {
			return p
		}
		if !strings.Contains(p.Output(), "address already in use") {
			break
		}
	}
	t.Fatalf("%s did not get ready: %v", s.Name, lastErr)
	return nil
}

// start runs args(addr) with its output captured, and registers its stop.
func start(t testing.TB, name, addr string, args func(addr string) []string) (*Process, error) {
	argv := args(addr)
	p := &Process{Name: name, Addr: addr, output: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, argv[0], err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s (%s) output:\n%s", name, strings.Join(argv, " "), p.Output())
		}
	})
	return p, nil
}

// stop sends SIGTERM, then SIGKILL if the process has not exited within
// StopTimeout, and waits for the exit.
func (p *Process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(StopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitReady polls path until it answers 200, the process exits or timeout
// passes.
func (p *Process) waitReady(ctx context.Context, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := p.URL() + path
	return Poll(ctx, 50*time.Millisecond, func() (bool, error) {
		select {
		case <-p.exited:
			return false, fmt.Errorf("%s exited: %v", p.Name, p.err)
		default:
		}
		return get(ctx, url) == nil, nil
	})
}

func get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// ErrDeadline is wrapped by Poll's error when the context ends before the
// condition holds.
var ErrDeadline = errors.New("condition not met before the deadline")

// Poll calls cond every interval until it returns true or an error, or ctx
// ends. The last error is reported with the deadline.
func Poll(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, err := cond()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%v)", ErrDeadline, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// FreeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment
// ago. Another process can take it before the caller binds it; StartServer
// retries when that happens.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// lockedBuffer is a bytes.Buffer written by the process's output copier
// and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
