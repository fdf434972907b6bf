package usagedec

import (
	"bytes"
	"fmt"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// noDataText starts the body the EA API sends instead of JSON when a range
// has no usage (reference 5.1), with or without its quotes.
const noDataText = "Usage Data Extract"

// bom is the UTF-8 byte order mark.
const bom = "\uFEFF"

func hasBOM(b []byte) bool {
	return len(b) >= len(bom) && string(b[:len(bom)]) == bom
}

func (d *Decoder) page(buf []byte) ([]apiclient.UsageRow, string, error) {
	st := &d.impl
	st.arena = st.arena[:0]
	st.skipped = 0
	i := skipBOMAndSpace(buf)
	if hasNoDataText(buf[i:]) {
		return nil, "", ErrNoData
	}
	sc := scanner{buf: buf}
	nextLink, ok := st.wrapper(&sc, i, d.tagKeys)
	if !ok {
		st.rows = st.rows[:0]
		return nil, "", fmt.Errorf("%w: usage page: %s at byte %d", apiclient.ErrBadResponse, sc.errMsg, sc.errOff)
	}
	if k := len(d.tagKeys); k > 0 {
		for n := range st.rows {
			st.rows[n].Tags = st.tagVals[n*k : (n+1)*k : (n+1)*k]
		}
	}
	return st.rows, nextLink, nil
}

func skipBOMAndSpace(b []byte) int {
	i := 0
	for {
		switch {
		case hasBOM(b[i:]):
			i += len(bom)
		case i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'):
			i++
		default:
			return i
		}
	}
}

func hasNoDataText(b []byte) bool {
	if len(b) > 0 && b[0] == '"' {
		b = b[1:]
	}
	return bytes.HasPrefix(b, []byte(noDataText))
}

// wrapper decodes the page object at i and everything after it, which must
// be whitespace only.
func (st *decoderState) wrapper(sc *scanner, i int, tagKeys []string) (nextLink string, ok bool) {
	b := sc.buf
	if i >= len(b) {
		sc.fail(i, "empty body")
		return "", false
	}
	if b[i] != '{' {
		sc.fail(i, "not a JSON object")
		return "", false
	}
	start := i
	st.rows, st.tagVals = st.rows[:0], st.tagVals[:0]
	sawData := false
	i = sc.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for done := false; !done; {
			var key field
			if key, i = st.memberKey(sc, i); i < 0 {
				return "", false
			}
			switch key {
			case fieldData:
				sawData = true
				i = st.data(sc, i, tagKeys)
			case fieldNextLink:
				nextLink, i = st.nextLink(sc, i)
			default:
				i = sc.skipValue(i, 1)
			}
			if i < 0 {
				return "", false
			}
			if i, done = sc.next(sc.ws(i), '}'); i < 0 {
				return "", false
			}
		}
	}
	if i = sc.ws(i); i != len(b) {
		sc.fail(i, "data after the page object")
		return "", false
	}
	if !sawData {
		sc.fail(start, "page object has no data member")
		return "", false
	}
	return nextLink, true
}

// memberKey reads the key at i and the colon after it, and returns the
// field it names and the offset of its value.
func (st *decoderState) memberKey(sc *scanner, i int) (field, int) {
	f, end := st.keyField(sc, i)
	return f, sc.valueStart(end)
}

// keyField reads the key at i and returns the field it names and the
// offset past its closing quote.
func (st *decoderState) keyField(sc *scanner, i int) (field, int) {
	b := sc.buf
	if i >= len(b) {
		return fieldUnknown, sc.fail(i, "unexpected end of input")
	}
	if b[i] != '"' {
		return fieldUnknown, sc.fail(i, "expected a member name")
	}
	end, plain := sc.scanKey(i)
	if end < 0 {
		return fieldUnknown, end
	}
	raw := b[i+1 : end-1]
	if plain {
		return fieldOf(raw), end
	}
	st.keyScratch = keyFold(st.keyScratch[:0], st.text(raw))
	return fieldOf(st.keyScratch), end
}

func (st *decoderState) nextLink(sc *scanner, i int) (string, int) {
	raw, end := nextLinkRaw(sc, i)
	if end < 0 {
		return "", end
	}
	return string(st.text(raw)), end
}

// nextLinkRaw reads the nextLink value at i and returns the contents of the
// string (nil for null), still to be decoded.
func nextLinkRaw(sc *scanner, i int) ([]byte, int) {
	b := sc.buf
	switch b[i] {
	case 'n':
		return nil, sc.literal(i, "null")
	case '"':
		end := sc.skipString(i)
		if end < 0 {
			return nil, end
		}
		return b[i+1 : end-1], end
	}
	return nil, sc.fail(i, "nextLink is not a string")
}

// data decodes the data array at i into st.rows, replacing the rows of any
// earlier data member (the last one wins, as with encoding/json).
func (st *decoderState) data(sc *scanner, i int, tagKeys []string) int {
	b := sc.buf
	st.rows, st.tagVals = st.rows[:0], st.tagVals[:0]
	st.skipped = 0
	switch b[i] {
	case 'n':
		return sc.literal(i, "null")
	case '[':
	default:
		return sc.fail(i, "data is not an array")
	}
	i = sc.ws(i + 1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i >= len(b) {
			return sc.fail(i, "unexpected end of input")
		}
		if b[i] != '{' {
			return sc.fail(i, "data element is not an object")
		}
		if i = st.row(sc, i, tagKeys); i < 0 {
			return i
		}
		var done bool
		if i, done = sc.next(sc.ws(i), ']'); i < 0 || done {
			return i
		}
	}
}
