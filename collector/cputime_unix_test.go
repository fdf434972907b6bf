//go:build unix

package collector

import "syscall"

// cpuTime is the process's user and system CPU time, in nanoseconds. Per
// CPU second, throughput stays comparable on a machine that other jobs keep
// busy, where wall-clock figures do not.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
