package usagedec

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// TestStreamDuplicateData: Stream stops at a second data member, however
// it is spelled, with ErrDuplicateData and its offset, having delivered at
// most the first member's rows.
func TestStreamDuplicateData(t *testing.T) {
	tests := []struct {
		body     string
		off      int
		maxRows  int
		pageRows int
	}{
		{`{"data":[` + row("") + `],"data":[]}`, 71, 1, 0},
		{`{"data":null,"DATA":[` + row("") + `]}`, 13, 0, 1},
		{`{"data":[],"id":"x","d\u0061ta":[` + row("") + `,` + row("") + `]}`, 20, 0, 2},
		{`{"data":[` + row("") + `], "Data" : 5}`, 72, 1, -1},
	}
	for _, tt := range tests {
		for _, window := range []int{1, 16, streamWindow} {
			n := 0
			_, err := New(nil).stream(strings.NewReader(tt.body), func(*apiclient.UsageRow) error { n++; return nil }, window, maxStreamValue)
			want := "unexpected response: usage page has more than one data member at byte " + strconv.Itoa(tt.off)
			if !errors.Is(err, ErrDuplicateData) || !errors.Is(err, apiclient.ErrBadResponse) || err.Error() != want || n > tt.maxRows {
				t.Errorf("window %d: Stream(%s) = %d rows, %v; want ErrDuplicateData %q", window, tt.body, n, err, want)
			}
		}
		rows, _, err := New(nil).Page([]byte(tt.body))
		if tt.pageRows >= 0 && (err != nil || len(rows) != tt.pageRows) {
			t.Errorf("Page(%s) = %d rows, %v; want the last data member's %d", tt.body, len(rows), err, tt.pageRows)
		}
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }

// TestStreamReadError: a read error reaches the caller wrapped, as itself,
// never as a bad page.
func TestStreamReadError(t *testing.T) {
	body := genPage(genRows(200, 2), "")
	for _, cut := range []int{0, 10, len(body) / 2, len(body)} {
		for _, readErr := range []error{io.ErrUnexpectedEOF, timeoutError{}} {
			_, err := New(nil).Stream(&failingReader{data: body[:cut], err: readErr}, func(*apiclient.UsageRow) error { return nil })
			var te timeoutError
			if !errors.Is(err, readErr) || errors.Is(err, apiclient.ErrBadResponse) || (readErr == timeoutError{} && !errors.As(err, &te)) {
				t.Errorf("cut at %d, read error %v: Stream error %v", cut, readErr, err)
			}
		}
	}
	_, err := New(nil).Stream(&failingReader{}, func(*apiclient.UsageRow) error { return nil })
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("a reader that returns nothing: %v, want io.ErrNoProgress", err)
	}
}

// stutterReader returns one byte, then nothing (and no error), in turn.
type stutterReader struct {
	data []byte
	odd  bool
}

func (r *stutterReader) Read(p []byte) (int, error) {
	r.odd = !r.odd
	switch {
	case len(r.data) == 0:
		return 0, io.EOF
	case r.odd:
		return 0, nil
	}
	p[0], r.data = r.data[0], r.data[1:]
	return 1, nil
}

// TestStreamEmptyReads: reads that return nothing now and then are waited
// out, not taken for the end of the page.
func TestStreamEmptyReads(t *testing.T) {
	body := genPage(genRows(5, 4), "https://h/n")
	n := 0
	next, err := New(nil).stream(&stutterReader{data: body}, func(*apiclient.UsageRow) error { n++; return nil }, 64, maxStreamValue)
	if err != nil || n != 5 || next != "https://h/n" {
		t.Errorf("Stream = %d rows, %q, %v", n, next, err)
	}
}

// TestStreamCallbackError: fn's error stops Stream and comes back as is.
func TestStreamCallbackError(t *testing.T) {
	errStop := errors.New("stop")
	body := genPage(genRows(100, 3), "")
	for _, window := range []int{1, 4096, streamWindow} {
		n := 0
		_, err := New(nil).stream(bytes.NewReader(body), func(*apiclient.UsageRow) error {
			if n++; n == 3 {
				return errStop
			}
			return nil
		}, window, maxStreamValue)
		if err != errStop || n != 3 {
			t.Errorf("window %d: Stream = %v after %d rows; want errStop after 3", window, err, n)
		}
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// TestStreamBoundedWindow: rows come while the page is still being read,
// the window stays at its size for rows that fit it, and grows to at most
// twice the largest row or member.
func TestStreamBoundedWindow(t *testing.T) {
	body := genPage(genRows(benchRows, 1), "https://h/n")
	dec := New(nil)
	src := &countingReader{r: bytes.NewReader(body)}
	readAtFirstRow := -1
	if _, err := dec.Stream(src, func(*apiclient.UsageRow) error {
		if readAtFirstRow < 0 {
			readAtFirstRow = src.read
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if readAtFirstRow > streamWindow || dec.impl.windowPeak != streamWindow {
		t.Errorf("%d bytes read before the first row, window peak %d; want at most %d", readAtFirstRow, dec.impl.windowPeak, streamWindow)
	}
	long := strings.Repeat("z", 150<<10)
	for _, body := range []string{page(row(""), row(`"meterName":"`+long+`"`)), `{"x":"` + long + `","data":[]}`} {
		if _, err := dec.Stream(strings.NewReader(body), func(*apiclient.UsageRow) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if peak := dec.impl.windowPeak; peak > 2*len(long)+2*len(row("")) {
			t.Errorf("window peak %d for a %d-byte value", peak, len(long))
		}
	}
}

// TestStreamLimit: a page of any length streams through a small limit as
// long as each row and member fits; one that does not fails the page.
func TestStreamLimit(t *testing.T) {
	body := genPage(genRows(300, 5), "")
	n := 0
	if _, err := New(nil).stream(bytes.NewReader(body), func(*apiclient.UsageRow) error { n++; return nil }, 64, 4096); err != nil || n != 300 {
		t.Fatalf("a %d-byte page with a 4 KiB limit: %d rows, %v", len(body), n, err)
	}
	long := strings.Repeat("w", 5000)
	for _, body := range []string{page(row(""), row(`"meterName":"`+long+`"`)), `{"x":"` + long + `","data":[]}`, strings.Repeat(" ", 5000) + `{"data":[]}`} {
		n := 0
		_, err := New(nil).stream(strings.NewReader(body), func(*apiclient.UsageRow) error { n++; return nil }, 64, 4096)
		leading := strings.HasPrefix(body, " ")
		switch {
		case leading && err != nil:
			t.Errorf("leading whitespace counted against the limit: %v", err)
		case !leading && (!errors.Is(err, apiclient.ErrBadResponse) || !strings.Contains(err.Error(), "longer than 4096 bytes") || n > 1):
			t.Errorf("a %d-byte value with a 4 KiB limit: %d rows, %v", len(long), n, err)
		}
	}
}

// TestStreamAllocs: on a decoder that has streamed a page, the next page
// allocates what Page allocates (the next link), whatever its rows.
func TestStreamAllocs(t *testing.T) {
	body := benchPage(t)
	dec := New(benchTagKeys)
	var r bytes.Reader
	n := 0
	count := func(*apiclient.UsageRow) error { n++; return nil }
	allocs := testing.AllocsPerRun(5, func() {
		r.Reset(body)
		n = 0
		if _, err := dec.Stream(&r, count); err != nil || n != benchRows {
			t.Fatalf("Stream = %d rows, %v", n, err)
		}
	})
	if allocs > 1 {
		t.Errorf("Stream allocates %v times per page of %d rows, want at most 1", allocs, benchRows)
	}
}
