package fakeapi

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonWriter builds JSON by appending to a reused buffer: a hand-written
// writer keeps a million-row month cheap to serve, and keeps the fake's
// encoding independent of any decoder it tests.
type jsonWriter struct {
	b []byte
	q *Quirks
	// comma is false right after an opening brace or bracket.
	comma bool
}

func (w *jsonWriter) open(c byte)  { w.sep(); w.b = append(w.b, c); w.comma = false }
func (w *jsonWriter) close(c byte) { w.b = append(w.b, c); w.comma = true }

func (w *jsonWriter) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
}

// key writes a separator and "k": (k must need no escaping).
func (w *jsonWriter) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

// str writes "k":"v".
func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v, false)
	w.comma = true
}

// strASCII writes "k":"v" with every non-ASCII character as a \u escape, so
// that clients must unescape (including surrogate pairs).
func (w *jsonWriter) strASCII(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v, true)
	w.comma = true
}

// strOrNull writes v, or null for "" under Quirks.NullStrings.
func (w *jsonWriter) strOrNull(k, v string) {
	if v == "" && w.q.NullStrings {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jsonWriter) null(k string) {
	w.key(k)
	w.b = append(w.b, "null"...)
	w.comma = true
}

// float writes a number in its shortest exact form, so that what a client
// parses is bit-identical to what the fake summed.
func (w *jsonWriter) float(k string, v float64) {
	w.key(k)
	if w.q.NumbersAsStrings {
		w.b = append(w.b, '"')
		w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
		w.b = append(w.b, '"')
	} else {
		w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
	}
	w.comma = true
}

func (w *jsonWriter) int(k string, v int64) {
	w.key(k)
	if w.q.NumbersAsStrings {
		w.b = append(w.b, '"')
		w.b = strconv.AppendInt(w.b, v, 10)
		w.b = append(w.b, '"')
	} else {
		w.b = strconv.AppendInt(w.b, v, 10)
	}
	w.comma = true
}

func (w *jsonWriter) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

// raw writes "k": followed by pre-encoded JSON.
func (w *jsonWriter) raw(k string, v []byte) {
	w.key(k)
	w.b = append(w.b, v...)
	w.comma = true
}

// appendJSONString writes s as a quoted JSON string. With ascii, non-ASCII
// characters are written as \uXXXX escapes.
func appendJSONString(b []byte, s string, ascii bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && (c < utf8.RuneSelf || !ascii) {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c == '\n':
			b = append(b, '\\', 'n')
			i++
		case c == '\r':
			b = append(b, '\\', 'r')
			i++
		case c == '\t':
			b = append(b, '\\', 't')
			i++
		case c < 0x20:
			b = appendU4(b, rune(c))
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r >= 0x10000 {
				r -= 0x10000
				b = appendU4(b, 0xd800+(r>>10))
				b = appendU4(b, 0xdc00+(r&0x3ff))
			} else {
				b = appendU4(b, r)
			}
			i += size
		}
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&15], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
}

// appendDateTime writes Unix day d at midnight as a JSON date-time string:
// "2006-01-02T00:00:00", with ".0000000" under Quirks.SevenFractionDigits and
// "Z" when zone is set.
func appendDateTime(b []byte, d int64, hms string, q *Quirks, zone bool) []byte {
	b = append(b, '"')
	b = appendISODay(b, d)
	b = append(b, 'T')
	b = append(b, hms...)
	if q.SevenFractionDigits {
		b = append(b, ".0000000"...)
	}
	if zone {
		b = append(b, 'Z')
	}
	return append(b, '"')
}

// dateTime writes "k": and Unix day d at hms (see appendDateTime).
func (w *jsonWriter) dateTime(k string, d int64, hms string, zone bool) {
	w.key(k)
	w.b = appendDateTime(w.b, d, hms, w.q, zone)
	w.comma = true
}

// timestamp writes "k": and t as a UTC date-time with Z.
func (w *jsonWriter) timestamp(k string, t time.Time) {
	w.key(k)
	w.b = appendTimestamp(w.b, t, w.q)
	w.comma = true
}
