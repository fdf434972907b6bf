package usagedec

import (
	"bytes"
	"fmt"
	"io"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const (
	// csvBufSize is the CSV read buffer's starting size; it grows only for a
	// record longer than itself.
	csvBufSize = 64 << 10
	// maxCSVRecord bounds one record (a runaway quoted field in a gigabyte
	// file must not take all memory).
	maxCSVRecord = 16 << 20
)

// csvReader splits CSV text from src into records of fields that point into
// its buffer, valid until the next call. encoding/csv allocates a string per
// record, which the zero-allocation budget does not allow. Like
// encoding/csv with LazyQuotes it keeps a quote that does not end a quoted
// field, and a quote inside an unquoted field, as text.
type csvReader struct {
	src        io.Reader
	buf        []byte
	start, end int   // the unread data is buf[start:end]
	base       int64 // input offset of buf[0], for error messages
	eof        bool
	checkBOM   bool // drop byte order marks before the next record
	fields     [][]byte
	quoted     []int // fields that hold doubled or lone quotes to undo
}

type splitStatus uint8

const (
	splitDone splitStatus = iota
	splitNeedMore
	splitUnterminated
)

func (r *csvReader) reset(src io.Reader) {
	if r.buf == nil {
		r.buf = make([]byte, csvBufSize)
	}
	r.src, r.start, r.end, r.base, r.eof, r.checkBOM = src, 0, 0, 0, false, true
}

// fill reads more input after the unread data, moving that to the front of
// the buffer first and growing the buffer when the data fills it.
func (r *csvReader) fill() error {
	if r.start > 0 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.base += int64(r.start)
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= maxCSVRecord {
			return fmt.Errorf("%w: usage CSV: record longer than %d bytes at byte %d", apiclient.ErrBadResponse, maxCSVRecord, r.base)
		}
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading usage CSV: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("reading usage CSV: %w", io.ErrNoProgress)
}

// dropBOMs skips byte order marks at the read position: files start with
// one, and Exports have been seen to repeat it on the first data line.
func (r *csvReader) dropBOMs() error {
	for {
		if r.end-r.start < len(bom) && !r.eof {
			if err := r.fill(); err != nil {
				return err
			}
			continue
		}
		if !hasBOM(r.buf[r.start:r.end]) {
			r.checkBOM = false
			return nil
		}
		r.start += len(bom)
	}
}

// line returns the next line without its line break, ignoring quotes: a
// preamble line must not swallow the header through an odd quote.
func (r *csvReader) line() ([]byte, error) {
	if r.checkBOM {
		if err := r.dropBOMs(); err != nil {
			return nil, err
		}
	}
	for {
		b := r.buf[r.start:r.end]
		if k := bytes.IndexByte(b, '\n'); k >= 0 {
			r.start += k + 1
			return trimCR(b[:k]), nil
		}
		if r.eof {
			if len(b) == 0 {
				return nil, io.EOF
			}
			r.start = r.end
			return trimCR(b), nil
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// splitLine splits one line into fields; a quoted field left open ends with
// the line.
func (r *csvReader) splitLine(line []byte) [][]byte {
	r.split(line, true, true)
	r.unquote()
	return r.fields
}

// record returns the fields of the next record, or io.EOF.
func (r *csvReader) record() ([][]byte, error) {
	if r.checkBOM {
		if err := r.dropBOMs(); err != nil {
			return nil, err
		}
	}
	for {
		b := r.buf[r.start:r.end]
		if len(b) == 0 && r.eof {
			return nil, io.EOF
		}
		n, status := r.split(b, r.eof, false)
		switch status {
		case splitDone:
			r.unquote()
			r.start += n
			return r.fields, nil
		case splitNeedMore:
			if err := r.fill(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: usage CSV: unterminated quoted field at byte %d", apiclient.ErrBadResponse, r.base+int64(r.start))
		}
	}
}

// split finds the fields of the record at the start of b and returns its
// length. Unless atEOF, a record that reaches the end of b may go on past
// it: split then asks for more input rather than guess.
func (r *csvReader) split(b []byte, atEOF, lenient bool) (int, splitStatus) {
	r.fields, r.quoted = r.fields[:0], r.quoted[:0]
	i := 0
	// lineEnd is the next line feed at or after i (or len(b)): an unquoted
	// field ends at a comma before it, found with SIMD-backed IndexByte
	// rather than a byte loop.
	lineEnd := -1
	for {
		var f []byte
		if i < len(b) && b[i] == '"' {
			end, marked, status := quotedEnd(b, i, atEOF)
			switch {
			case status == splitUnterminated && lenient:
				end, marked = len(b), true
			case status != splitDone:
				return 0, status
			}
			if marked {
				r.quoted = append(r.quoted, len(r.fields))
			}
			f, i = b[i+1:end], min(end+1, len(b))
		} else {
			if lineEnd < i {
				if lineEnd = bytes.IndexByte(b[i:], '\n'); lineEnd < 0 {
					lineEnd = len(b)
				} else {
					lineEnd += i
				}
			}
			j := lineEnd
			if k := bytes.IndexByte(b[i:lineEnd], ','); k >= 0 {
				j = i + k
			}
			if j == len(b) && !atEOF {
				return 0, splitNeedMore
			}
			f, i = b[i:j], j
			if j == len(b) || b[j] == '\n' {
				f = trimCR(f)
			}
		}
		r.fields = append(r.fields, f)
		if i == len(b) {
			return i, splitDone
		}
		switch b[i] {
		case ',':
			i++
		case '\n':
			return i + 1, splitDone
		default: // '\r' after a quoted field
			switch {
			case i+1 < len(b) && b[i+1] == '\n':
				return i + 2, splitDone
			case i+1 == len(b) && !atEOF:
				return 0, splitNeedMore
			}
			return i + 1, splitDone
		}
	}
}

// quotedEnd finds the closing quote of the quoted field at i. marked says
// the contents hold quotes that unquote must undo.
func quotedEnd(b []byte, i int, atEOF bool) (end int, marked bool, status splitStatus) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			if atEOF {
				return 0, marked, splitUnterminated
			}
			return 0, marked, splitNeedMore
		}
		j += k
		if j+1 == len(b) {
			if !atEOF {
				return 0, marked, splitNeedMore
			}
			return j, marked, splitDone
		}
		switch b[j+1] {
		case ',', '\n', '\r':
			return j, marked, splitDone
		case '"':
			j += 2
		default: // a lone quote: text, as LazyQuotes has it
			j++
		}
		marked = true
	}
}

// unquote turns the doubled quotes of the marked fields into single ones,
// in place.
func (r *csvReader) unquote() {
	for _, n := range r.quoted {
		f := r.fields[n]
		w, i := 0, 0
		for {
			k := bytes.IndexByte(f[i:], '"')
			if k < 0 {
				w += copy(f[w:], f[i:])
				break
			}
			w += copy(f[w:], f[i:i+k+1])
			i += k + 1
			if i < len(f) && f[i] == '"' {
				i++
			}
		}
		r.fields[n] = f[:w]
	}
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
