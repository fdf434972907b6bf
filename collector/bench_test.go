package collector

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/ea"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/naive"
)

// The decode benchmarks read the same bytes: ten days of usage (2,000 rows a
// day, 20,000 rows of about 1.3 KB in pages of 1,000) that fakeapi renders
// once, served from memory to the real EA client so that they measure the
// client and the aggregation, not the simulator or a network stack.

// benchNow is the clock of the fake: the data runs up to March 20.
var benchNow = time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC)

// benchFrom and benchTo are the days the benchmarks read.
var benchFrom, benchTo = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

const (
	benchRowsPerDay = 2000
	benchRows       = 10 * benchRowsPerDay
)

// benchHost is the host of the fake: never resolved, since every answer
// comes from memory.
const benchHost = "https://ea.bench.invalid"

// memAnswer is a recorded answer.
type memAnswer struct {
	code   int
	header http.Header
	body   []byte
}

// memTransport answers each URL with the answer fakeapi gave it the first
// time, so that later reads cost the client only.
type memTransport struct {
	fake    *fakeapi.Server
	mu      sync.Mutex
	answers map[string]*memAnswer
}

func (m *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.Method + " " + req.URL.String()
	m.mu.Lock()
	a := m.answers[key]
	m.mu.Unlock()
	if a == nil {
		rec := httptest.NewRecorder()
		// As if over TLS: the fake's links then keep the https scheme.
		served := req.Clone(req.Context())
		served.TLS = &tls.ConnectionState{}
		m.fake.ServeHTTP(rec, served)
		a = &memAnswer{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		m.mu.Lock()
		m.answers[key] = a
		m.mu.Unlock()
	}
	return &http.Response{
		StatusCode: a.code, Header: a.header, Body: io.NopCloser(bytes.NewReader(a.body)),
		ContentLength: int64(len(a.body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// bodies returns the recorded bodies of the URLs whose path holds part.
func (m *memTransport) bodies(part string) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][]byte
	for key, a := range m.answers {
		if strings.Contains(key, part) {
			out = append(out, a.body)
		}
	}
	return out
}

func totalLen(bodies [][]byte) int64 {
	var n int64
	for _, b := range bodies {
		n += int64(len(b))
	}
	return n
}

// benchEnv is the real EA client over memTransport, and an enrollment
// configured like a large one: default dimensions and one tag label.
type benchEnv struct {
	mem    *memTransport
	client *ea.Client
	cfg    config.Enrollment
	// pages are the JSON pages and csvBytes the size of the CSV download
	// of the same rows.
	pages    [][]byte
	csvBytes int64
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	key := fakeapi.NewJWTKey(benchNow.Add(30 * 24 * time.Hour))
	fake := fakeapi.New(fakeapi.Options{
		Now: func() time.Time { return benchNow }, Keys: map[string]time.Time{key: benchNow.Add(30 * 24 * time.Hour)},
		RowsPerDay: benchRowsPerDay, Departments: 8, AccountsPerDepartment: 3, SubscriptionsPerAccount: 3,
	})
	keyFile := filepath.Join(b.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{mem: &memTransport{fake: fake, answers: map[string]*memAnswer{}}}
	cfg, err := config.New(config.Enrollment{Enrollment: fake.Enrollment(), APIKeyFile: keyFile, BaseURL: benchHost, TagLabels: []string{"env"}})
	if err != nil {
		b.Fatal(err)
	}
	env.cfg = cfg.Enrollments[0]
	env.client, err = ea.New(ea.Config{BaseURL: benchHost, Enrollment: fake.Enrollment(), KeyFile: keyFile,
		HTTPClient: &http.Client{Transport: env.mem}})
	if err != nil {
		b.Fatal(err)
	}
	for _, method := range []apiclient.UsageMethod{apiclient.UsageJSON, apiclient.UsageCSV} {
		if rows := env.read(b, method, nil); rows != benchRows {
			b.Fatalf("method %d: %d rows, want %d", method, rows, benchRows)
		}
	}
	env.pages = env.mem.bodies("/usagedetailsbycustomdate")
	env.csvBytes = totalLen(env.mem.bodies("/usagedetails/download"))
	return env
}

// read streams the benchmark's days by method to fn (nil: count only) and
// returns the row count.
func (env *benchEnv) read(b *testing.B, method apiclient.UsageMethod, fn func(*apiclient.UsageRow)) int {
	rows := 0
	q := apiclient.UsageQuery{Start: benchFrom, End: benchTo, TagKeys: env.cfg.TagLabels, Method: method}
	err := env.client.Usage(context.Background(), q, func(r *apiclient.UsageRow) error {
		rows++
		if fn != nil {
			fn(r)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return rows
}

// BenchmarkDecodeAggregate is a refresh's usage read from the exporter's
// side: the EA client decodes the pages (or the CSV download) and the
// collector aggregates every row into fresh per-day sums, as each refresh
// does. The intern table is warm, as it is after the first refresh.
func BenchmarkDecodeAggregate(b *testing.B) {
	env := newBenchEnv(b)
	for _, bm := range []struct {
		name   string
		method apiclient.UsageMethod
	}{{"JSON", apiclient.UsageJSON}, {"CSV", apiclient.UsageCSV}} {
		b.Run(bm.name, func(b *testing.B) {
			cfg := env.cfg
			b.SetBytes(totalLen(env.pages))
			if bm.method == apiclient.UsageCSV {
				cfg.UsageMethod = "csv"
				b.SetBytes(env.csvBytes)
			}
			c, err := config.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			u := &usageReader{src: env.client, cfg: &c.Enrollments[0], now: benchNow}
			warm := newUsageAgg(c.Enrollments[0].UsageDimensions(), len(cfg.TagLabels))
			from, to := dayIndex(benchFrom), dayIndex(benchTo)
			read := func() *periodAgg {
				pa := &periodAgg{days: map[int32]*dayAgg{}}
				if _, _, err := u.readRange(context.Background(), warm.next(), pa, "", from, to, "", 0); err != nil {
					b.Fatal(err)
				}
				return pa
			}
			if rows := read().rows(); rows != benchRows {
				b.Fatalf("%d rows aggregated, want %d", rows, benchRows)
			}
			b.ReportAllocs()
			allocs, cpu := mallocs(), cpuTime()
			for b.Loop() {
				read()
			}
			b.ReportMetric(float64(mallocs()-allocs)/float64(b.N*benchRows), "allocs/row")
			reportPerRow(b, cpu)
		})
	}
}

// reportPerRow reports the wall and the CPU time per row since the CPU
// time cpu0 was read. The ratios between benchmarks are best read from
// cpu-ns/row on a busy machine.
func reportPerRow(b *testing.B, cpu0 int64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N*benchRows), "cpu-ns/row")
	}
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// BenchmarkJSONValid only validates the same pages with encoding/json.
func BenchmarkJSONValid(b *testing.B) {
	env := newBenchEnv(b)
	b.SetBytes(totalLen(env.pages))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, p := range env.pages {
			if !json.Valid(p) {
				b.Fatal("invalid page")
			}
		}
	}
	reportPerRow(b, cpu)
}

// BenchmarkEncodingJSONFull decodes the same pages with encoding/json into
// full rows: every field of the reference, in types that take the API's
// quirks (numbers as strings, nulls), as a naive client would.
func BenchmarkEncodingJSONFull(b *testing.B) {
	env := newBenchEnv(b)
	b.SetBytes(totalLen(env.pages))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		rows := 0
		for _, p := range env.pages {
			page, err := naive.DecodePage(p)
			if err != nil {
				b.Fatal(err)
			}
			rows += len(page.Data)
		}
		if rows != benchRows {
			b.Fatalf("%d rows", rows)
		}
	}
	reportPerRow(b, cpu)
}

// BenchmarkDecodeRatios runs the three reads of the same pages in turn in
// every iteration (decode and aggregate, json.Valid, full encoding/json
// decoding) and reports how many times faster the first is than each of
// the others: on a machine that other jobs keep busy, the three meet the
// same load, and the ratios hold where the separate timings do not.
func BenchmarkDecodeRatios(b *testing.B) {
	env := newBenchEnv(b)
	c, err := config.New(env.cfg)
	if err != nil {
		b.Fatal(err)
	}
	u := &usageReader{src: env.client, cfg: &c.Enrollments[0], now: benchNow}
	warm := newUsageAgg(c.Enrollments[0].UsageDimensions(), len(env.cfg.TagLabels))
	from, to := dayIndex(benchFrom), dayIndex(benchTo)
	var ours, valid, full time.Duration
	for b.Loop() {
		start := time.Now()
		pa := &periodAgg{days: map[int32]*dayAgg{}}
		if _, _, err := u.readRange(context.Background(), warm.next(), pa, "", from, to, "", 0); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		for _, p := range env.pages {
			if !json.Valid(p) {
				b.Fatal("invalid page")
			}
		}
		end := time.Now()
		for _, p := range env.pages {
			if _, err := naive.DecodePage(p); err != nil {
				b.Fatal(err)
			}
		}
		ours, valid, full = ours+mid.Sub(start), valid+end.Sub(mid), full+time.Since(end)
	}
	b.ReportMetric(float64(valid)/float64(ours), "x-json.Valid")
	b.ReportMetric(float64(full)/float64(ours), "x-full-decode")
}
