package usagedec

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

var (
	fuzzTagKeys  = []string{"env", "Owner", "\u017f"}
	fuzzWarmPage = genPage(genRows(3, 11), "")
)

// FuzzPage: Page never panics, returns rows only without error and only
// valid UTF-8 in them, and on every valid JSON input agrees with the
// encoding/json reference.
func FuzzPage(f *testing.F) {
	f.Add(genPage(genRows(2, 5), "https://h/next"))
	for _, s := range pageSeeds() {
		f.Add([]byte(s))
	}
	pages, _ := fakeUsageBodies(f)
	for _, p := range pages {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, next, err := New(fuzzTagKeys).Page(body)
		if err != nil {
			if rows != nil || next != "" {
				t.Fatalf("error %v with %d rows and next %q", err, len(rows), next)
			}
			if !errors.Is(err, ErrNoData) && !errors.Is(err, apiclient.ErrBadResponse) {
				t.Fatalf("error %v wraps neither ErrNoData nor ErrBadResponse", err)
			}
		}
		for i := range rows {
			checkRowUTF8(t, &rows[i], len(fuzzTagKeys))
		}
		// A decoder that has seen a realistic page first: what it remembers
		// of it must not change how it reads the next one.
		warm := New(fuzzTagKeys)
		if _, _, err := warm.Page(fuzzWarmPage); err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, warm, fuzzTagKeys, body)
	})
}

// pageSeeds are FuzzPage's hand-written seeds.
func pageSeeds() []string {
	return []string{
		page(row(`"tags":"{\"env\":\"prod\",\"owner\":\"me\"}","departmentName":"d\u00e9p"`)),
		page(row(`"tags":"\"env\": \"dev\""`), row(`"cost":"1.5","consumedQuantity":null`)),
		page(row(`"date":"2018-08-01T22:00:00-05:00","chargesBilledSeparately":"True"`)),
		`{"reportId":"r","data":[{"date":"08/01/2018","extendedCost":2}],"nextLink":""}`,
		`{"data":null}`, `"Usage Data Extract"`, `<html></html>`, `{"data":[1]}`,
		page(row(`"tags":{"env":"x"},"x":[{"a":[]}]`)),
	}
}

func checkRowUTF8(t *testing.T, r *apiclient.UsageRow, tagKeys int) {
	t.Helper()
	for d, v := range r.Values {
		if !utf8.Valid(v) {
			t.Fatalf("%v value %q is not UTF-8", apiclient.Dimension(d), v)
		}
	}
	if len(r.Tags) != tagKeys {
		t.Fatalf("%d tag values for %d keys", len(r.Tags), tagKeys)
	}
	for _, v := range r.Tags {
		if !utf8.Valid(v) {
			t.Fatalf("tag value %q is not UTF-8", v)
		}
	}
	if r.Date.Location() != time.UTC || r.Date.Hour() != 0 || math.IsNaN(r.Cost) || math.IsInf(r.Cost, 0) {
		t.Fatalf("row date %v cost %v", r.Date, r.Cost)
	}
}

// FuzzTags: the tags parser agrees with the encoding/json reference, on
// decoded text (as in a JSON page) and on CSV cell text alike.
func FuzzTags(f *testing.F) {
	for _, s := range []string{`{"env":"prod","Owner":"me"}`, `"env": "dev","owner": "you"`, ``, `{}`, `{"env":1.5,"owner":true}`,
		`{"env":"a\"b\u00e9","ENV":null}`, `{"env":{"n":[1]}}`, `"env":"x",`, `{"e\u006ev":"k"}`, `{"\u017f":"long s","S":"s"}`, `not json`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want := refTags(text, fuzzTagKeys)
		for _, stable := range []bool{true, false} {
			var st decoderState
			vals := make([][]byte, len(fuzzTagKeys))
			if !st.parseTags([]byte(text), stable, vals, fuzzTagKeys) {
				clear(vals)
			}
			got := make([]string, len(vals))
			for i, v := range vals {
				got[i] = string(v)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("parseTags(%q, stable %v) = %q, reference %q", text, stable, got, want)
			}
		}
	})
}

// FuzzCSV: the CSV decoder never panics, delivers only valid UTF-8, and
// fails only with ErrBadResponse or ErrNoData, under both schemas.
func FuzzCSV(f *testing.F) {
	f.Add(genEACSV(genRows(2, 9)))
	f.Add([]byte(eaSmallHeader + "1,Eng,Storage,1.5,2,08/01/2018,False,\"{\"\"env\"\":\"\"prod\"\"}\"\n"))
	f.Add([]byte("\uFEFF" + armHeader + "D,A,o,s,S,rg,loc,05/13/2023,P,M,MS,id,N,R,U,1,1,2.5,CC,CS,RI,\"\"\"env\"\":\"\"x\"\"\"\r\n"))
	f.Add([]byte("Usage Data Extract\n"))
	f.Add([]byte("Date,Cost\n\"a\"b\"\",\"1\n"))
	_, csvs := fakeUsageBodies(f)
	for _, c := range csvs {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, schema := range []*CSVSchema{EASchema, ARMSchema} {
			dec := New(fuzzTagKeys)
			err := dec.CSV(bytes.NewReader(body), schema, time.Time{}, time.Time{}, func(r *apiclient.UsageRow) error {
				checkRowUTF8(t, r, len(fuzzTagKeys))
				for _, e := range dec.Extra() {
					if !utf8.Valid(e) {
						t.Fatalf("extra %q is not UTF-8", e)
					}
				}
				return nil
			})
			if err != nil && !errors.Is(err, apiclient.ErrBadResponse) && !errors.Is(err, ErrNoData) {
				t.Fatalf("error %v", err)
			}
		}
	})
}

// FuzzCSVRecords: records that encoding/csv writes are split back into the
// same fields, whatever the buffer boundaries.
func FuzzCSVRecords(f *testing.F) {
	f.Add("a", "b,c", `say "hi"`, uint8(7))
	f.Add("", "multi\nline", `"`, uint8(1))
	f.Fuzz(func(t *testing.T, a, b, c string, chunk uint8) {
		want := [][]string{{"Date", "Cost", "x"}, {a, b, c}, {c, a, b}}
		if strings.ContainsAny(a+b+c, "\r") || strings.HasPrefix(a, "\uFEFF") || strings.HasPrefix(c, "\uFEFF") {
			return // encoding/csv rewrites \r\n; the reader drops leading BOMs
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(want); err != nil {
			t.Fatal(err)
		}
		var r csvReader
		r.reset(&chunkReader{data: buf.Bytes(), n: int(chunk%16) + 1})
		for i, rec := range want {
			got, err := r.record()
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if len(got) != len(rec) {
				t.Fatalf("record %d: %q, want %q", i, got, rec)
			}
			for j := range got {
				if string(got[j]) != rec[j] {
					t.Fatalf("record %d: %q, want %q", i, got, rec)
				}
			}
		}
		if _, err := r.record(); err == nil {
			t.Fatal("more records than written")
		}
	})
}

// chunkReader returns at most n bytes per Read, and io.EOF with the last.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// FuzzDate: parseDate agrees with the regular-expression reference.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2018-08-01", "2018-08-01T00:00:00", "2017-04-27T23:01:43.799Z", "2017-08-29T06:56:29.1290704Z",
		"2018-08-01T22:00:00-05:00", "2018-08-01T01:00:00+0200", "08/01/2018", "8/1/2018 12:00:00 AM", "2018-02-29", "2020-02-29",
		" 2018-08-01 ", "13/01/2018", "2018-08-01T24:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDate([]byte(s))
		want, wantOK := refParseDate(s)
		if ok != wantOK || got != want {
			t.Fatalf("parseDate(%q) = %v %v, reference %v %v", s, got, ok, want, wantOK)
		}
	})
}

// FuzzDecimal: parseDecimal takes what the decimal grammar takes and gives
// exactly strconv.ParseFloat's value.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5", "1e22", "9007199254740993", "0.0123456789012345678901", "1e-400", ".5", "5.", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDecimal([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		wantOK := err == nil && refDecimal.MatchString(s)
		if ok != wantOK || (ok && math.Float64bits(got) != math.Float64bits(want)) {
			t.Fatalf("parseDecimal(%q) = %v %v, strconv %v %v", s, got, ok, want, err)
		}
	})
}
