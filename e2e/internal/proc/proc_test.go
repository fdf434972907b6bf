package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// serveEnv makes the test binary, run as a child, serve HTTP on the
// address it holds instead of running the tests.
const serveEnv = "PROC_TEST_SERVE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(serveEnv); addr != "" {
		os.Exit(serve(addr))
	}
	os.Exit(m.Run())
}

func serve(addr string) int {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println(err) // "bind: address already in use"
		return 1
	}
	fmt.Println("serving on", addr)
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(http.ResponseWriter, *http.Request) {})
	_ = http.Serve(l, mux)
	return 0
}

// self runs this test binary as a server on addr.
func self(addr string) []string {
	return []string{"env", serveEnv + "=" + addr, os.Args[0]}
}

func TestStartServerStopsItAtCleanup(t *testing.T) {
	var p *Process
	t.Run("running", func(t *testing.T) {
		p = StartServer(t, Server{Name: "child", Args: self, ReadyPath: "/ready", Timeout: 10 * time.Second})
		if err := get(t.Context(), p.URL()+"/ready"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Output(), "serving on "+p.Addr) {
			t.Errorf("output %q", p.Output())
		}
	})
	select {
	case <-p.Exited():
	default:
		t.Fatal("the child still runs after its test's cleanup")
	}
}

func TestStartServerRetriesATakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var offered []string
	p := StartServer(t, Server{
		Name: "child",
		Args: func(addr string) []string {
			offered = append(offered, addr)
			if len(offered) == 1 {
				return self(taken.Addr().String()) // as if another process won the race
			}
			return self(addr)
		},
		ReadyPath: "/ready", Timeout: 10 * time.Second,
	})
	if len(offered) != 2 || p.Addr != offered[1] {
		t.Errorf("offered %v, serving on %s; want a second address after the taken one", offered, p.Addr)
	}
}

func TestPollReportsTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	calls := 0
	err := Poll(ctx, time.Millisecond, func() (bool, error) { calls++; return false, nil })
	if !errors.Is(err, ErrDeadline) || calls < 2 {
		t.Errorf("Poll = %v after %d calls, want ErrDeadline after several", err, calls)
	}
	stop := errors.New("stop")
	if err := Poll(t.Context(), time.Millisecond, func() (bool, error) { return false, stop }); !errors.Is(err, stop) {
		t.Errorf("Poll = %v, want the condition's error", err)
	}
}
