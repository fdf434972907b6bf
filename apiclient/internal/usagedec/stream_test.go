package usagedec

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// streamInput returns body as Stream's tests feed it: whole from a
// bytes.Reader (chunk 0), or at most chunk bytes per Read.
func streamInput(body []byte, chunk int) io.Reader {
	if chunk == 0 {
		return bytes.NewReader(body)
	}
	return &chunkReader{data: body, n: chunk}
}

// streamRows runs Stream with a starting window of window bytes and
// returns the rows it delivered in comparable form.
func streamRows(dec *Decoder, r io.Reader, window int) ([]wantRow, string, error) {
	var got []wantRow
	next, err := dec.stream(r, func(r *apiclient.UsageRow) error {
		got = append(got, rowOf(r))
		return nil
	}, window, maxStreamValue)
	return got, next, err
}

// checkStreamMatchesPage checks Stream on dec against Page: the same rows,
// next link and skipped count, or the same error (the same ErrNoData, the
// same message with the same offset), or ErrDuplicateData on a page that
// has two data members.
func checkStreamMatchesPage(t *testing.T, dec *Decoder, body []byte, window, chunk int) {
	t.Helper()
	pageDec := New(dec.tagKeys)
	want, wantNext, wantErr := decodePage(t, pageDec, body)
	got, next, err := streamRows(dec, streamInput(body, chunk), window)
	where := func() string { return "window " + strconv.Itoa(window) + " chunk " + strconv.Itoa(chunk) }
	switch {
	case errors.Is(err, ErrDuplicateData):
		checkDuplicateData(t, body, err, wantErr == nil)
	case wantErr == nil:
		if err != nil {
			t.Fatalf("%s: Stream: %v; Page succeeded on %q", where(), err, body)
		}
		if !rowsIdentical(got, want) || next != wantNext || dec.Skipped() != pageDec.Skipped() {
			t.Fatalf("%s: Stream differs from Page on %q\n got %+v next %q skipped %d\nwant %+v next %q skipped %d",
				where(), body, got, next, dec.Skipped(), want, wantNext, pageDec.Skipped())
		}
	case errors.Is(wantErr, ErrNoData):
		if !errors.Is(err, ErrNoData) || len(got) > 0 {
			t.Fatalf("%s: Stream = %d rows, %v; Page ErrNoData on %q", where(), len(got), err, body)
		}
	case err == nil || err.Error() != wantErr.Error():
		t.Fatalf("%s: Stream error %v, Page error %v on %q", where(), err, wantErr, body)
	}
}

// rowsIdentical compares rows exactly, floats bit for bit.
func rowsIdentical(a, b []wantRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if math.Float64bits(x.Cost) != math.Float64bits(y.Cost) || math.Float64bits(x.Quantity) != math.Float64bits(y.Quantity) {
			return false
		}
		x.Cost, x.Quantity, y.Cost, y.Quantity = 0, 0, 0, 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// checkDuplicateData checks Stream's claim that body has a second data
// member at the offset its error names. When Page accepted the page, Page
// itself must accept what comes before that offset as a page with a data
// member, and the member name there must say data.
func checkDuplicateData(t *testing.T, body []byte, err error, pageOK bool) {
	t.Helper()
	if !errors.Is(err, apiclient.ErrBadResponse) {
		t.Fatalf("ErrDuplicateData does not wrap ErrBadResponse: %v", err)
	}
	msg := err.Error()
	off, convErr := strconv.Atoi(msg[strings.LastIndex(msg, " ")+1:])
	if convErr != nil || off <= 0 || off >= len(body) {
		t.Fatalf("%v: no offset in the body", err)
	}
	if !pageOK {
		return
	}
	closed := append(bytes.Clone(body[:off]), `"x":0}`...)
	if _, _, err := New(nil).Page(closed); err != nil {
		t.Fatalf("%v: the page before the second data member is not a page with data: %v on %q", err, err, closed)
	}
	key := body[off:]
	end := 1
	for end < len(key) && key[end] != '"' {
		if key[end] == '\\' {
			end++
		}
		end++
	}
	if name := appendUnescaped(nil, key[1:min(end, len(key))]); !strings.EqualFold(string(name), "data") {
		t.Fatalf("%v: the member there is %q, not data", err, name)
	}
}

// streamWindows are the starting windows the differential tests use.
func streamWindows() []int {
	windows := []int{4096, streamWindow}
	for w := 1; w <= 64; w++ {
		windows = append(windows, w)
	}
	return windows
}

// streamChunks are the most bytes per Read the differential tests use (0:
// a bytes.Reader).
var streamChunks = [...]int{0, 1, 7, 4096}

// streamSeeds are pages whose pieces the window edges are meant to cut:
// escapes, numbers, literals, byte order marks, long members and rows.
func streamSeeds() []string {
	long := strings.Repeat("x", 300)
	return []string{
		`{"data":[` + row("") + `],"data":[]}`,
		`{"data":null,"DATA":[` + row("") + `]}`,
		`{"data":[],"id":"x","d\u0061ta":[` + row("") + `]}`,
		page(row(`"departmentName":"` + long + `"`)),
		`{"unknown":"` + long + `","data":[` + row("") + `],"more":[` + strings.Repeat(`{"a":[1,2,"b"]},`, 30) + `{}]}`,
		page(row(`"cost":123456.789e-2,"consumedQuantity":-0.000125E+3`), row(`"cost":1e400`)),
		`{"count":1234567890,"data":[` + row("") + `],"total":-678.5e+10,"ok":true}`,
		page(row(`"meterName":"a\"b\\c\u00e9\ud83d\ude00\/","tags":"{\"env\":\"\\u00e9t\\u00e9\"}"`)),
		page(row(`"chargesBilledSeparately":true,"tags":null,"meterId":false`)),
		"\uFEFF\uFEFF \r\n" + page(row("")),
		"\uFEFF" + `"Usage Data Extract",` + "\r\n",
		"\uFEFF\uFEFF Usage Data Extrac",
		strings.Repeat(" ", 200) + page(row(""), row("")) + strings.Repeat("\n", 200),
		`{"data":[` + row("") + strings.Repeat(" ", 100) + "," + strings.Repeat("\t", 100) + row("") + `]` + strings.Repeat(" ", 100) + `}`,
		`{"data":[],"nextLink":"https:\/\/h\/p?a=1\u0026b=` + long + `"}`,
		`{"data":[` + row("") + `],"nextLink":"x","nextLink":null}`,
		`{"id":"x","nextLink":null}`,
		`{}`, `{"data":[]} {}`, `{"data":[` + row("") + `,]}`, `{"data":[` + row("") + `]`, `{"data":[` + row(`"cost":12`),
		`{"data":[{"cost":1e`, `{"data":[{"date":tru`, `{"data":[{"date":"2018-08-01","cost":1}],"nextLink":nul}`,
	}
}

// streamFixtures are every page the package's tests use, and the stream seeds.
func streamFixtures(tb testing.TB) [][]byte {
	var bodies [][]byte
	add := func(s string) { bodies = append(bodies, []byte(s)) }
	for _, tt := range pageQuirkCases() {
		add(tt.body)
	}
	for _, tt := range pageBadCases() {
		add(tt.body)
	}
	for _, list := range [][]string{noDataBodies(), pageSeeds(), keyOrderPages(), streamSeeds()} {
		for _, s := range list {
			add(s)
		}
	}
	pages, _ := fakeUsageBodies(tb)
	bodies = append(bodies, pages...)
	return append(bodies, genPage(genRows(3, 1), "https://h/next"), fuzzWarmPage)
}

// TestStreamMatchesPage runs every fixture through Stream with windows
// from 1 byte up and readers of 1 byte up, on one decoder.
func TestStreamMatchesPage(t *testing.T) {
	dec := New(fuzzTagKeys)
	for _, body := range streamFixtures(t) {
		for _, window := range streamWindows() {
			for _, chunk := range streamChunks {
				checkStreamMatchesPage(t, dec, body, window, chunk)
			}
		}
	}
}

// TestStreamTruncated cuts a realistic page at every offset: Stream fails
// where Page does, with the same message and offset.
func TestStreamTruncated(t *testing.T) {
	body := genPage(genRows(2, 1), "https://h/next")
	dec := New([]string{"env"})
	for n := range len(body) + 1 {
		for _, window := range []int{1, 64, streamWindow} {
			checkStreamMatchesPage(t, dec, body[:n], window, 7)
		}
	}
}

// TestStreamLargePages decodes generated pages of many windows, and pages
// with a row or a member far larger than the window.
func TestStreamLargePages(t *testing.T) {
	long := strings.Repeat("y", 150<<10)
	bodies := [][]byte{
		genPage(genRows(300, 3), "https://consumption.azure.com/v3/next?token=a"),
		[]byte(page(row(""), row(`"meterName":"`+long+`"`), row(""))),
		[]byte(`{"skipped":["` + long + `"],"data":[` + row("") + `],"nextLink":"` + long + `"}`),
	}
	dec := New([]string{"env", "costCenter", "app"})
	for _, body := range bodies {
		for _, window := range []int{1, 17, 4096, streamWindow} {
			for _, chunk := range streamChunks {
				checkStreamMatchesPage(t, dec, body, window, chunk)
			}
		}
	}
}

func discardRow(*apiclient.UsageRow) error { return nil }
