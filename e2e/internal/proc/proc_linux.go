package proc

import "syscall"

// sysProcAttr has the kernel kill the child when the test binary dies
// without running its cleanups (a panic, go test's -timeout, a SIGKILL), so
// that no Prometheus outlives a test run and holds its port and data.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
