package naive

// Report is what the naive client's command (cmd/naive) prints on stdout,
// as JSON, at the end of a run: the load test reads it.
type Report struct {
	Rows    int     `json:"rows"`
	Cost    float64 `json:"cost"`
	Seconds float64 `json:"seconds"`
	// PeakHeap is the largest heap (live objects and garbage not yet
	// swept) sampled during the run, in bytes.
	PeakHeap int64 `json:"peak_heap_bytes"`
	// PeakRSS is the process's VmHWM at the end of the run, in bytes.
	PeakRSS  int64 `json:"peak_rss_bytes"`
	KeptRows int   `json:"kept_rows"`
}
