//go:build unix

package fakeapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the process's user and system CPU time. Throughput per CPU
// second stays meaningful on a machine that other jobs keep busy, where
// wall-clock MB/s does not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// reportCPU adds MB per CPU second for bytes served since the CPU time
// cpu0 was read.
func reportCPU(b *testing.B, cpu0 float64, bytes int64) {
	if d := cpuSeconds() - cpu0; d > 0 {
		b.ReportMetric(float64(bytes)/d/1e6, "MB/cpu-s")
	}
}

// benchServer serves a period of about 100,000 rows (3,300 a day, October).
func benchServer(b *testing.B) *Server {
	b.Helper()
	return New(Options{Now: func() time.Time { return testNow }, RowsPerDay: 3300, PageSize: 1000})
}

// discardWriter is a ResponseWriter that throws the body away, so that the
// benchmark measures generation, not a network stack.
type discardWriter struct {
	h http.Header
	n int64
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

// serveOne answers url in process and returns the body bytes.
func serveOne(s *Server, url string) int64 {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "bearer "+s.Key())
	w := &discardWriter{h: http.Header{}}
	s.ServeHTTP(w, req)
	return w.n
}

// BenchmarkUsagePages serves the 100 pages of a 100k-row period as JSON.
func BenchmarkUsagePages(b *testing.B) {
	s := benchServer(b)
	c := call{s: s}
	from := unixDay(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	total := int64(31 * 3300)
	var urls []string
	for off := int64(0); off < total; off += 1000 {
		url := "http://fake" + enr("v3") + "/billingPeriods/202610/usagedetails"
		if off > 0 {
			url += "?skiptoken=" + c.makeSkipToken(from, off)
		}
		urls = append(urls, url)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, all := cpuSeconds(), int64(0)
	for i := 0; i < b.N; i++ {
		var n int64
		for _, u := range urls {
			n += serveOne(s, u)
		}
		b.SetBytes(n)
		all += n
	}
	reportCPU(b, cpu0, all)
	b.ReportMetric(float64(total), "rows/op")
}

// BenchmarkUsageCSV serves the same period as one CSV download.
func BenchmarkUsageCSV(b *testing.B) {
	s := benchServer(b)
	url := "http://fake" + enr("v3") + "/usagedetails/download?billingPeriod=202610"
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, all := cpuSeconds(), int64(0)
	for i := 0; i < b.N; i++ {
		n := serveOne(s, url)
		b.SetBytes(n)
		all += n
	}
	reportCPU(b, cpu0, all)
}

// BenchmarkUsageOverHTTP fetches the JSON pages over a loopback connection.
func BenchmarkUsageOverHTTP(b *testing.B) {
	s := benchServer(b)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := call{s: s}
	from := unixDay(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, all := cpuSeconds(), int64(0)
	for i := 0; i < b.N; i++ {
		var n int64
		for off := int64(0); off < 31*3300; off += 1000 {
			url := ts.URL + enr("v3") + "/billingPeriods/202610/usagedetails?skiptoken=" + c.makeSkipToken(from, off)
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "bearer "+s.Key())
			resp, err := ts.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			m, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			n += m
		}
		b.SetBytes(n)
		all += n
	}
	// Client and server share the process: this is CPU for both ends.
	reportCPU(b, cpu0, all)
}

// BenchmarkTruth computes the truth of a 100k-row period (uncached).
func BenchmarkTruth(b *testing.B) {
	s := benchServer(b)
	win := s.window(testNow)
	m := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = s.computeSums(m, win)
	}
}
