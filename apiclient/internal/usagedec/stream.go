package usagedec

import (
	"fmt"
	"io"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const (
	// streamWindow is the read window's starting size: some forty rows of
	// a v3 page, a small fraction of the 1.3 MB page.
	streamWindow = 64 << 10
	// maxStreamValue bounds the window, and so one row or member: the EA
	// client's body cap, which a whole page held in memory was bound by.
	maxStreamValue = 64 << 20
	// maxEmptyReads is how many reads in a row may return nothing before
	// the source is taken to be broken (as bufio does).
	maxEmptyReads = 100
	// noDataPrefixLen is how much input after any byte order marks and
	// whitespace tells the "Usage Data Extract" text from a page.
	noDataPrefixLen = len(`"` + noDataText)
)

// ErrDuplicateData reports a page with more than one data member. Page keeps
// the last one, as encoding/json does; Stream, which has delivered the rows
// of the first by then, stops at the second: read the page again with Page.
// It wraps apiclient.ErrBadResponse, so that a caller who does not know it
// takes the rows back like for any bad page.
var ErrDuplicateData = fmt.Errorf("%w: usage page has more than one data member", apiclient.ErrBadResponse)

// Stream decodes one JSON usage-details page read from r, in the same forms
// and with the same tolerance as Page, through a window of 64 KiB that grows
// only for a row or member larger than itself, up to 64 MiB. It passes the
// rows to fn in page order, in batches as the window fills (each row valid
// only during the call; fn must not decode with d), and returns nextLink.
//
// Rows are delivered before the page is known to be whole: on any error,
// rows already passed to fn must be discarded by the caller (the page as a
// whole is bad). Where Page fails, Stream fails with the same error, offsets
// counted from the start of r. It returns ErrNoData like Page, fn's error
// unchanged, a read error from r wrapped, and ErrDuplicateData as soon as it
// meets a second data member.
func (d *Decoder) Stream(r io.Reader, fn func(*apiclient.UsageRow) error) (nextLink string, err error) {
	return d.stream(r, fn, streamWindow, maxStreamValue)
}

// streamStep is a piece of a page that Stream decodes as a whole, from a
// checkpoint in the window, and decodes again from there when the window
// ends before it does. The steps follow wrapper and data in page.go.
type streamStep uint8

const (
	stepOpen        streamStep = iota // the no-data text or the page's '{'
	stepFirstMember                   // the '}' of an empty page, or stepMember
	stepMember                        // a member's key, and its value unless data
	stepDataOpen                      // data's null or '['
	stepFirstRow                      // the ']' of an empty array, or stepRow
	stepRow                           // one row
	stepRowSep                        // the ',' or ']' after a row
	stepMemberSep                     // the ',' or '}' after a member
	stepEnd                           // the end of the input
	// Outcomes that end the page.
	stepNoData
	stepNoDataMember
	stepDone
)

// afterSpace reports whether the step starts where Page skips whitespace,
// which the stream skips on its own, dropping it from the window.
func (s streamStep) afterSpace() bool { return s != stepDataOpen }

// pageStream is one Stream call.
type pageStream struct {
	st      *decoderState
	tagKeys []string
	src     io.Reader
	fn      func(*apiclient.UsageRow) error
	limit   int

	// buf[:end] holds the input from offset base on; eof says that it
	// holds all that is left of it.
	buf  []byte
	end  int
	base int64
	eof  bool
	sc   scanner

	objStart int64 // the offset of the page's '{'
	sawData  bool
	// linkRaw is the nextLink member of the step just run (when linkSeen),
	// turned into nextLink only once its step is final.
	linkRaw  []byte
	linkSeen bool
	nextLink string
}

func (d *Decoder) stream(r io.Reader, fn func(*apiclient.UsageRow) error, window, limit int) (string, error) {
	st := &d.impl
	st.rows, st.tagVals, st.arena, st.skipped = st.rows[:0], st.tagVals[:0], st.arena[:0], 0
	if len(st.window) != window {
		st.window = make([]byte, window)
	}
	ps := pageStream{st: st, tagKeys: d.tagKeys, src: r, fn: fn, limit: limit, buf: st.window}
	link, err := ps.run()
	st.windowPeak = len(ps.buf)
	if len(ps.buf) != window {
		// The rows' backing arrays still point into the grown window.
		clear(st.rows[:cap(st.rows)])
		clear(st.tagVals[:cap(st.tagVals)])
	}
	return link, err
}

// run decodes the page step by step.
func (ps *pageStream) run() (string, error) {
	step, i := stepOpen, 0
	for {
		var err error
		if i, err = ps.skipSpace(step, i); err != nil {
			return "", err
		}
		var start int
		var next streamStep
		if start, i, next, err = ps.final(step, i); err != nil {
			return "", err
		}
		if i < 0 {
			return "", fmt.Errorf("%w: usage page: %s at byte %d", apiclient.ErrBadResponse, ps.sc.errMsg, ps.base+int64(ps.sc.errOff))
		}
		if ps.linkSeen {
			ps.nextLink = string(ps.st.text(ps.linkRaw))
		}
		switch next {
		case stepNoData:
			return "", ErrNoData
		case stepNoDataMember:
			return "", fmt.Errorf("%w: usage page: page object has no data member at byte %d", apiclient.ErrBadResponse, ps.objStart)
		case stepDone:
			return ps.nextLink, ps.deliver()
		case stepDataOpen:
			if ps.sawData {
				return "", fmt.Errorf("%w at byte %d", ErrDuplicateData, ps.base+int64(start))
			}
			ps.sawData = true
		}
		step = next
	}
}

// skipSpace skips the whitespace (and, before the page, byte order marks)
// at i, reading on while the window holds nothing else.
func (ps *pageStream) skipSpace(step streamStep, i int) (int, error) {
	if !step.afterSpace() {
		return i, nil
	}
	for {
		ps.sc = scanner{buf: ps.buf[:ps.end]}
		if step == stepOpen {
			i += skipBOMAndSpace(ps.buf[i:ps.end])
		} else {
			i = ps.sc.ws(i)
		}
		if i < ps.end || ps.eof {
			return i, nil
		}
		var err error
		if i, err = ps.refill(i); err != nil {
			return 0, err
		}
	}
}

// final runs step at i until its outcome cannot depend on input past the
// window: it ends (or fails) before the window's end, or the window holds
// the rest of the input. Else it reads on and runs the step again, from
// the same input, with the rows it decoded taken back. It returns where
// the step started (the window may have moved) and where it ended.
func (ps *pageStream) final(step streamStep, i int) (start, end int, next streamStep, err error) {
	for {
		st := ps.st
		rows, tagVals, arena, skipped := len(st.rows), len(st.tagVals), len(st.arena), st.skipped
		ps.sc = scanner{buf: ps.buf[:ps.end]}
		ps.linkSeen = false
		end, next = ps.do(step, i)
		if ps.eof || (end >= 0 && end < ps.end) || (end < 0 && ps.sc.errOff < ps.end) {
			return i, end, next, nil
		}
		st.rows, st.tagVals, st.arena, st.skipped = st.rows[:rows], st.tagVals[:tagVals], st.arena[:arena], skipped
		if i, err = ps.refill(i); err != nil {
			return 0, 0, 0, err
		}
	}
}

// do runs one step at i on the window and returns the offset after it and
// the next step, or -1 after recording the error in ps.sc.
func (ps *pageStream) do(step streamStep, i int) (int, streamStep) {
	sc, b := &ps.sc, ps.sc.buf
	switch step {
	case stepOpen:
		return ps.open(i)
	case stepFirstMember:
		if i < len(b) && b[i] == '}' {
			return i + 1, stepEnd
		}
		return ps.member(i)
	case stepMember:
		return ps.member(i)
	case stepDataOpen:
		return ps.dataOpen(i)
	case stepFirstRow:
		if i < len(b) && b[i] == ']' {
			return i + 1, stepMemberSep
		}
		return ps.row(i)
	case stepRow:
		return ps.row(i)
	case stepRowSep:
		return ps.separator(i, ']', stepRow, stepMemberSep)
	case stepMemberSep:
		return ps.separator(i, '}', stepMember, stepEnd)
	case stepEnd:
		switch {
		case i != len(b):
			return sc.fail(i, "data after the page object"), 0
		case !ps.sawData:
			return i, stepNoDataMember
		}
		return i, stepDone
	}
	return sc.fail(i, "internal error: unknown step"), 0
}

// open reads what Page reads before the first member. A byte order mark
// that the window cut is whole when the step runs again: skip it then.
func (ps *pageStream) open(i int) (int, streamStep) {
	sc, b := &ps.sc, ps.sc.buf
	i += skipBOMAndSpace(b[i:])
	if len(b)-i < noDataPrefixLen && !ps.eof {
		return sc.fail(len(b), "unexpected end of input"), 0
	}
	switch {
	case hasNoDataText(b[i:]):
		return i, stepNoData
	case i >= len(b):
		return sc.fail(i, "empty body"), 0
	case b[i] != '{':
		return sc.fail(i, "not a JSON object"), 0
	}
	ps.objStart = ps.base + int64(i)
	return i + 1, stepFirstMember
}

// member reads a member's key and, unless it is data, its value.
func (ps *pageStream) member(i int) (int, streamStep) {
	sc, st := &ps.sc, ps.st
	key, i := st.memberKey(sc, i)
	if i < 0 {
		return i, 0
	}
	switch key {
	case fieldData:
		return i, stepDataOpen
	case fieldNextLink:
		ps.linkRaw, i = nextLinkRaw(sc, i)
		ps.linkSeen = i >= 0
	default:
		i = sc.skipValue(i, 1)
	}
	return i, stepMemberSep
}

func (ps *pageStream) dataOpen(i int) (int, streamStep) {
	sc, b := &ps.sc, ps.sc.buf
	if i >= len(b) {
		return sc.fail(i, "unexpected end of input"), 0
	}
	switch b[i] {
	case 'n':
		return sc.literal(i, "null"), stepMemberSep
	case '[':
		return i + 1, stepFirstRow
	}
	return sc.fail(i, "data is not an array"), 0
}

func (ps *pageStream) row(i int) (int, streamStep) {
	sc, b := &ps.sc, ps.sc.buf
	if i >= len(b) {
		return sc.fail(i, "unexpected end of input"), 0
	}
	if b[i] != '{' {
		return sc.fail(i, "data element is not an object"), 0
	}
	return ps.st.row(sc, i, ps.tagKeys), stepRowSep
}

// separator is scanner.next without the whitespace after a comma, which
// the next step skips.
func (ps *pageStream) separator(i int, closing byte, more, done streamStep) (int, streamStep) {
	sc, b := &ps.sc, ps.sc.buf
	if i >= len(b) {
		return sc.fail(i, "unexpected end of input"), 0
	}
	switch b[i] {
	case ',':
		return i + 1, more
	case closing:
		return i + 1, done
	}
	if closing == '}' {
		return sc.fail(i, "expected ',' or '}'"), 0
	}
	return sc.fail(i, "expected ',' or ']'"), 0
}
