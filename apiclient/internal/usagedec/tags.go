package usagedec

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// tags reads a row's tags member at i into vals, one value per tag key.
// The member is normally a string holding a JSON object; an object itself
// is read the same way. Any other value, or malformed tags, give no tags.
func (st *decoderState) tags(sc *scanner, i int, vals [][]byte, tagKeys []string) int {
	end := sc.skipValue(i, rowDepth)
	if end < 0 || len(tagKeys) == 0 {
		return end
	}
	clear(vals)
	b := sc.buf
	var ok bool
	switch b[i] {
	case '"':
		raw := b[i+1 : end-1]
		if needsUnescape(raw) {
			st.scratch = appendUnescaped(st.scratch[:0], raw)
			ok = st.parseTags(st.scratch, false, vals, tagKeys)
		} else {
			ok = st.parseTags(raw, true, vals, tagKeys)
		}
	case '{':
		ok = st.parseTags(b[i:end], true, vals, tagKeys)
	default:
		ok = true
	}
	if !ok {
		clear(vals)
	}
	return end
}

// parseTags sets vals[j] to the value of tagKeys[j] (matched ignoring
// case, as Azure matches tag names; the last of duplicates wins) in text: a
// JSON object, or its members without the braces as the ARM cost details
// files write them, or nothing. A value that is not a string gives its JSON
// text; null gives nothing. When stable is set, text outlives the row and
// values may point into it; else they are copied to the arena.
//
// It reports false when text is not well-formed JSON; vals may then hold
// some values, which the caller clears.
func (st *decoderState) parseTags(text []byte, stable bool, vals [][]byte, tagKeys []string) bool {
	sc := scanner{buf: text, strict: true}
	i := sc.ws(0)
	if i == len(text) {
		return true
	}
	braced := text[i] == '{'
	if braced {
		if i = sc.ws(i + 1); i < len(text) && text[i] == '}' {
			return sc.ws(i+1) == len(text)
		}
	}
	for {
		if i >= len(text) || text[i] != '"' {
			return false
		}
		keyEnd := sc.skipString(i)
		if keyEnd < 0 {
			return false
		}
		key := text[i+1 : keyEnd-1]
		if i = sc.expect(sc.ws(keyEnd), ':', "expected ':'"); i < 0 {
			return false
		}
		valEnd := sc.skipValue(i, 1)
		if valEnd < 0 {
			return false
		}
		st.setTag(key, text[i:valEnd], stable, vals, tagKeys)
		i = sc.ws(valEnd)
		switch {
		case i < len(text) && text[i] == ',':
			i = sc.ws(i + 1)
		case braced:
			return i < len(text) && text[i] == '}' && sc.ws(i+1) == len(text)
		default:
			return i == len(text)
		}
	}
}

// setTag stores value in the slots of the tag keys that key names.
func (st *decoderState) setTag(key, value []byte, stable bool, vals [][]byte, tagKeys []string) {
	if needsUnescape(key) {
		st.keyScratch = appendUnescaped(st.keyScratch[:0], key)
		key = st.keyScratch
	}
	var kept []byte
	found := false
	for j, want := range tagKeys {
		if !tagKeyEqual(key, want) {
			continue
		}
		if !found {
			kept, found = st.tagValue(value, stable), true
		}
		vals[j] = kept
	}
}

// tagValue returns the text of a tag's JSON value.
func (st *decoderState) tagValue(value []byte, stable bool) []byte {
	switch value[0] {
	case 'n':
		return nil
	case '"':
		raw := value[1 : len(value)-1]
		if needsUnescape(raw) {
			return st.keepUnescaped(raw)
		}
		value = raw
	}
	if stable {
		return value[:len(value):len(value)]
	}
	return st.keep(value)
}

// tagKeyEqual compares tag names ignoring case, Unicode-wide, without
// allocating.
func tagKeyEqual(key []byte, want string) bool {
	if len(key) == len(want) {
		ascii := true
		for i := range len(key) {
			a, b := key[i], want[i]
			if a >= utf8.RuneSelf || b >= utf8.RuneSelf {
				ascii = false
				break
			}
			if lower(a) != lower(b) {
				return false
			}
		}
		if ascii {
			return true
		}
	}
	if len(key) == 0 {
		return want == ""
	}
	return strings.EqualFold(unsafe.String(&key[0], len(key)), want)
}
