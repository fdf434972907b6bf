//go:build !unix

package collector

// cpuTime is not measured here: the benchmarks report no CPU figures.
func cpuTime() int64 { return 0 }
