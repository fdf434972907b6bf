package usagedec

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// The benchmarks share one realistic page: 1000 v3 rows of about 1.5 KB,
// with tags and escapes, and the same rows as an EA CSV download.

const benchRows = 1000

var benchTagKeys = []string{"env", "costCenter"}

func benchPage(b testing.TB) []byte {
	b.Helper()
	return genPage(genRows(benchRows, 1), "https://consumption.azure.com/v3/enrollments/1/usagedetails?skiptoken=abc")
}

func BenchmarkPage(b *testing.B) {
	body := benchPage(b)
	dec := New(benchTagKeys)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rows, _, err := dec.Page(body)
		if err != nil || len(rows) != benchRows {
			b.Fatalf("Page = %d rows, %v", len(rows), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// BenchmarkStream decodes the same page as BenchmarkPage from a reader,
// through the default window.
func BenchmarkStream(b *testing.B) {
	body := benchPage(b)
	dec := New(benchTagKeys)
	var r bytes.Reader
	n := 0
	count := func(*apiclient.UsageRow) error { n++; return nil }
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		n = 0
		if _, err := dec.Stream(&r, count); err != nil || n != benchRows {
			b.Fatalf("Stream = %d rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

func BenchmarkJSONValid(b *testing.B) {
	body := benchPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(body) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkEncodingJSONFull(b *testing.B) {
	body := benchPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var p fullPage
		if err := json.Unmarshal(body, &p); err != nil || len(p.Data) != benchRows {
			b.Fatalf("Unmarshal = %d rows, %v", len(p.Data), err)
		}
	}
}

func BenchmarkCSV(b *testing.B) {
	body := genEACSV(genRows(benchRows, 1))
	dec := New(benchTagKeys)
	var r bytes.Reader
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		n := 0
		err := dec.CSV(&r, EASchema, time.Time{}, time.Time{}, func(*apiclient.UsageRow) error { n++; return nil })
		if err != nil || n != benchRows {
			b.Fatalf("CSV = %d rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// BenchmarkEncodingCSV only splits the same CSV into records with
// encoding/csv (ReuseRecord, LazyQuotes), the alternative to the decoder's
// own reader: it allocates a string per record.
func BenchmarkEncodingCSV(b *testing.B) {
	body := genEACSV(genRows(benchRows, 1))
	var r bytes.Reader
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		cr := csv.NewReader(&r)
		cr.ReuseRecord, cr.LazyQuotes, cr.FieldsPerRecord = true, true, -1
		n := 0
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRows+2 {
			b.Fatalf("%d records", n)
		}
	}
}

// TestZeroAllocsPerRow checks the steady state: once the decoder has seen a
// page or file, decoding it again allocates nothing per row. A page
// allocates one string, its next link.
func TestZeroAllocsPerRow(t *testing.T) {
	body := benchPage(t)
	dec := New(benchTagKeys)
	pageAllocs := testing.AllocsPerRun(5, func() {
		if rows, _, err := dec.Page(body); err != nil || len(rows) != benchRows {
			t.Fatalf("Page = %d rows, %v", len(rows), err)
		}
	})
	csvBody := genEACSV(genRows(benchRows, 1))
	var r bytes.Reader
	csvAllocs := testing.AllocsPerRun(5, func() {
		r.Reset(csvBody)
		if err := dec.CSV(&r, EASchema, time.Time{}, time.Time{}, func(*apiclient.UsageRow) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if pageAllocs != 1 || csvAllocs != 0 {
		t.Errorf("allocations per %d rows: Page %v, CSV %v; want 1 (the next link) and 0", benchRows, pageAllocs, csvAllocs)
	}
}
