package usagedec

import "bytes"

// maxDepth is the deepest nesting of arrays and objects accepted. It is the
// limit encoding/json applies, so that every page json.Valid accepts is
// accepted here too.
const maxDepth = 10000

// scanner validates and walks the JSON text in buf. Its methods take the
// offset of a value's first byte and return the offset just past it, or -1
// after recording the first error, so that the hot path handles plain ints
// and builds an error value only once, at the end.
type scanner struct {
	buf []byte
	// strict rejects invalid escapes and raw control characters in strings,
	// as JSON does. Pages are not strict (the brief is to tolerate what the
	// API sends); the JSON text inside a tags string is.
	strict bool
	errOff int
	errMsg string
}

// fail records the first error and returns -1.
func (s *scanner) fail(off int, msg string) int {
	if s.errMsg == "" {
		s.errOff, s.errMsg = off, msg
	}
	return -1
}

// ws returns the offset of the first byte at or after i that is not JSON
// whitespace.
func (s *scanner) ws(i int) int {
	b := s.buf
	for i < len(b) {
		c := b[i]
		if c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return i
		}
		i++
	}
	return i
}

// expect checks that b[i] is c and returns the offset of the next
// non-whitespace byte after it.
func (s *scanner) expect(i int, c byte, msg string) int {
	if i >= len(s.buf) {
		return s.fail(i, "unexpected end of input")
	}
	if s.buf[i] != c {
		return s.fail(i, msg)
	}
	return s.ws(i + 1)
}

// valueStart reads the colon after a member name that ends at i, and
// returns the offset of the member's value.
func (s *scanner) valueStart(i int) int {
	if i < 0 {
		return i
	}
	if i = s.expect(s.ws(i), ':', "expected ':'"); i >= len(s.buf) {
		return s.fail(i, "unexpected end of input")
	}
	return i
}

// skipValue skips the JSON value at i; depth is the nesting depth of the
// value's container.
func (s *scanner) skipValue(i, depth int) int {
	b := s.buf
	if i >= len(b) {
		return s.fail(i, "unexpected end of input")
	}
	switch c := b[i]; c {
	case '"':
		return s.skipString(i)
	case '{':
		return s.skipObject(i, depth+1)
	case '[':
		return s.skipArray(i, depth+1)
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		if c == '-' || isDigit(c) {
			return s.skipNumber(i)
		}
		return s.fail(i, "unexpected character")
	}
}

func (s *scanner) literal(i int, word string) int {
	end := i + len(word)
	if end > len(s.buf) || string(s.buf[i:end]) != word {
		if end > len(s.buf) && string(s.buf[i:]) == word[:len(s.buf)-i] {
			return s.fail(len(s.buf), "unexpected end of input")
		}
		return s.fail(i, "invalid literal")
	}
	return end
}

// skipString skips the string whose opening quote is at i.
func (s *scanner) skipString(i int) int {
	if s.strict {
		return s.skipStrictString(i)
	}
	b := s.buf
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return s.fail(len(b), "unterminated string")
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for p := j - 1; b[p] == '\\'; p-- {
			n++
		}
		if n&1 == 0 {
			return j + 1
		}
		j++
	}
}

// scanKey skips a member name, which is short: a byte loop beats
// IndexByte there, and it can tell on the way whether the name is plain
// ASCII without escapes, which fieldOf can match as it is.
func (s *scanner) scanKey(i int) (end int, plain bool) {
	if s.strict {
		return s.skipStrictString(i), false
	}
	b := s.buf
	plain = true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, plain
		case c == '\\':
			plain = false
			j++
		case c >= 0x80:
			plain = false
		}
	}
	return s.fail(len(b), "unterminated string"), false
}

func (s *scanner) skipStrictString(i int) int {
	b := s.buf
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1
		case c < ' ':
			return s.fail(j, "control character in string")
		case c == '\\':
			j++
			if j >= len(b) {
				return s.fail(j, "unterminated string")
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) || hex4(b[j+1:j+5]) < 0 {
					return s.fail(j, "invalid \\u escape")
				}
				j += 4
			default:
				return s.fail(j, "invalid escape")
			}
		}
	}
	return s.fail(len(b), "unterminated string")
}

// skipNumber skips the JSON number at i, checking its grammar.
func (s *scanner) skipNumber(i int) int {
	b := s.buf
	j := i
	if b[j] == '-' {
		j++
	}
	switch {
	case j >= len(b):
		return s.fail(j, "unexpected end of input")
	case b[j] == '0':
		j++
	case isDigit(b[j]):
		j = digitsEnd(b, j+1)
	default:
		return s.fail(j, "invalid number")
	}
	if j < len(b) && b[j] == '.' {
		k := digitsEnd(b, j+1)
		if k == j+1 {
			return s.fail(k, "invalid number")
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digitsEnd(b, j)
		if k == j {
			return s.fail(k, "invalid number")
		}
		j = k
	}
	return j
}

func (s *scanner) skipObject(i, depth int) int {
	if depth > maxDepth {
		return s.fail(i, "nesting too deep")
	}
	i = s.ws(i + 1)
	if i < len(s.buf) && s.buf[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(s.buf) || s.buf[i] != '"' {
			return s.fail(i, "expected a member name")
		}
		if i = s.skipString(i); i < 0 {
			return i
		}
		if i = s.expect(s.ws(i), ':', "expected ':'"); i < 0 {
			return i
		}
		if i = s.skipValue(i, depth); i < 0 {
			return i
		}
		var done bool
		if i, done = s.next(s.ws(i), '}'); i < 0 || done {
			return i
		}
	}
}

func (s *scanner) skipArray(i, depth int) int {
	if depth > maxDepth {
		return s.fail(i, "nesting too deep")
	}
	i = s.ws(i + 1)
	if i < len(s.buf) && s.buf[i] == ']' {
		return i + 1
	}
	for {
		if i = s.skipValue(i, depth); i < 0 {
			return i
		}
		var done bool
		if i, done = s.next(s.ws(i), ']'); i < 0 || done {
			return i
		}
	}
}

// next reads the separator after a member or element at i: a comma (it
// returns the offset of the next value) or the closing byte (it returns the
// offset past it and done).
func (s *scanner) next(i int, closing byte) (int, bool) {
	if i >= len(s.buf) {
		return s.fail(i, "unexpected end of input"), false
	}
	switch s.buf[i] {
	case ',':
		return s.ws(i + 1), false
	case closing:
		return i + 1, true
	}
	if closing == '}' {
		return s.fail(i, "expected ',' or '}'"), false
	}
	return s.fail(i, "expected ',' or ']'"), false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitsEnd(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
