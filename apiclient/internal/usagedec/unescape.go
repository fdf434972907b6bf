package usagedec

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// needsUnescape reports whether the contents of a JSON string differ from
// their decoded text: they hold an escape or bytes that are not UTF-8.
func needsUnescape(raw []byte) bool {
	return bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw)
}

// appendUnescaped appends the decoded contents of a JSON string (the bytes
// between its quotes) to dst. Like encoding/json it replaces each byte that
// is not part of valid UTF-8, and each unpaired surrogate, with U+FFFD; where
// encoding/json fails on an invalid escape, it writes U+FFFD for the
// backslash and keeps what follows, so that one odd value never costs a page.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			var n int
			dst, n = appendEscape(dst, raw[i:])
			i += n
		case c < utf8.RuneSelf:
			j := i + 1
			for j < len(raw) && raw[j] != '\\' && raw[j] < utf8.RuneSelf {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
		default:
			r, n := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
		}
	}
	return dst
}

// appendEscape decodes the escape at the start of s (s[0] is a backslash)
// and returns the number of bytes it used.
func appendEscape(dst, s []byte) ([]byte, int) {
	if len(s) < 2 {
		return utf8.AppendRune(dst, utf8.RuneError), 1
	}
	switch s[1] {
	case '"', '\\', '/', '\'':
		return append(dst, s[1]), 2
	case 'b':
		return append(dst, '\b'), 2
	case 'f':
		return append(dst, '\f'), 2
	case 'n':
		return append(dst, '\n'), 2
	case 'r':
		return append(dst, '\r'), 2
	case 't':
		return append(dst, '\t'), 2
	case 'u':
		r := escapedRune(s)
		if r < 0 {
			return utf8.AppendRune(dst, utf8.RuneError), 1
		}
		if utf16.IsSurrogate(r) {
			if r2 := escapedRune(s[6:]); r2 >= 0 {
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					return utf8.AppendRune(dst, pair), 12
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(dst, r), 6
	}
	return utf8.AppendRune(dst, utf8.RuneError), 1
}

// escapedRune decodes a \uXXXX escape at the start of s, or returns -1.
func escapedRune(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	return hex4(s[2:6])
}

// appendValidUTF8 appends s to dst, replacing each byte that is not part of
// valid UTF-8 with U+FFFD (CSV cells, which have no escapes).
func appendValidUTF8(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, r)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}
