package usagedec

import (
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// rowDepth is the nesting depth of a row object in a page: page object,
// data array, row.
const rowDepth = 3

// numState is what a number member's last value was.
type numState uint8

const (
	numAbsent numState = iota // absent, null or ""
	numOK
	numBad // not a number: the row is skipped, or its quantity counted 0
)

// Why a row was skipped, in whole or in part, as Decoder.SkipReason says
// it. They name fields, never a value: a row's content stays out of logs.
const (
	skipDate     = "date missing or not a date: row dropped"
	skipCost     = "cost not a number: row dropped"
	skipQuantity = "quantity not a number: row kept with quantity 0"
)

// rowFigures collects the members whose meaning depends on others or that
// decide whether the row is kept.
type rowFigures struct {
	cost, extendedCost, quantity            float64
	costState, extendedState, quantityState numState
	dateOK                                  bool
}

// resolve sets the row's cost (cost, else the v1 extendedCost) and quantity,
// and says why the row is skipped: "" when it is whole. A row without a
// usable date or cost is dropped; one whose quantity alone is unusable is
// kept with quantity 0, so that its cost still counts.
func (fig *rowFigures) resolve(r *apiclient.UsageRow) (keep bool, skip string) {
	costState := fig.costState
	r.Cost = fig.cost
	if costState == numAbsent {
		costState = fig.extendedState
		r.Cost = fig.extendedCost
	}
	r.Quantity = fig.quantity
	switch {
	case !fig.dateOK:
		return false, skipDate
	case costState == numBad:
		return false, skipCost
	case fig.quantityState == numBad:
		r.Quantity = 0
		return true, skipQuantity
	}
	return true, ""
}

// skip counts a row skipped in whole or in part, keeping the first reason.
func (st *decoderState) skip(reason string) {
	if st.skipped == 0 {
		st.skipReason = reason
	}
	st.skipped++
}

// row decodes the row object at i and appends it to st.rows, unless it has
// no usable date, cost or quantity.
func (st *decoderState) row(sc *scanner, i int, tagKeys []string) int {
	b := sc.buf
	n := len(st.rows)
	if n < cap(st.rows) {
		st.rows = st.rows[:n+1]
	} else {
		st.rows = append(st.rows, apiclient.UsageRow{})
	}
	r := &st.rows[n]
	*r = apiclient.UsageRow{}
	tagStart := len(st.tagVals)
	st.tagVals = appendNils(st.tagVals, len(tagKeys))
	tags := st.tagVals[tagStart:]
	var fig rowFigures
	i = sc.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for m, done := 0, false; !done; m++ {
			var f field
			if f, i = st.rowKey(sc, i, m); i < 0 {
				return i
			}
			if i = st.member(sc, i, f, r, &fig, tags, tagKeys); i < 0 {
				return i
			}
			if i, done = sc.next(sc.ws(i), '}'); i < 0 {
				return i
			}
		}
	}
	keep, skip := fig.resolve(r)
	if skip != "" {
		st.skip(skip)
	}
	if !keep {
		st.rows, st.tagVals = st.rows[:n], st.tagVals[:tagStart]
	}
	return i
}

func appendNils(s [][]byte, k int) [][]byte {
	if cap(s)-len(s) >= k {
		s = s[:len(s)+k]
		clear(s[len(s)-k:])
		return s
	}
	return append(s, make([][]byte, k)...)
}

// member decodes the value at i of the member f into the row.
func (st *decoderState) member(sc *scanner, i int, f field, r *apiclient.UsageRow, fig *rowFigures, tags [][]byte, tagKeys []string) int {
	if f < numDimFields {
		r.Values[f], i = st.stringish(sc, i)
		return i
	}
	switch f {
	case fieldCost:
		fig.cost, fig.costState, i = st.number(sc, i)
	case fieldExtendedCost:
		fig.extendedCost, fig.extendedState, i = st.number(sc, i)
	case fieldQuantity:
		fig.quantity, fig.quantityState, i = st.number(sc, i)
	case fieldBilledSeparately:
		r.BilledSeparately, i = st.boolish(sc, i)
	case fieldDate:
		r.Date, fig.dateOK, i = st.date(sc, i)
	case fieldTags:
		i = st.tags(sc, i, tags, tagKeys)
	default:
		i = sc.skipValue(i, rowDepth)
	}
	return i
}

// stringish returns a dimension's value: a string's text, a number's or
// boolean's literal text, or nothing for null, objects and arrays.
func (st *decoderState) stringish(sc *scanner, i int) ([]byte, int) {
	b := sc.buf
	switch c := b[i]; c {
	case '"':
		end := sc.skipString(i)
		if end < 0 {
			return nil, end
		}
		raw := b[i+1 : end-1]
		if needsUnescape(raw) {
			return st.keepUnescaped(raw), end
		}
		return raw[:len(raw):len(raw)], end
	case 'n':
		return nil, sc.literal(i, "null")
	case '{', '[':
		return nil, sc.skipValue(i, rowDepth)
	}
	end := sc.skipValue(i, rowDepth)
	if end < 0 {
		return nil, end
	}
	return b[i:end:end], end
}

// number reads a number, a string holding one, or null.
func (st *decoderState) number(sc *scanner, i int) (float64, numState, int) {
	b := sc.buf
	c := b[i]
	switch {
	case c == '"':
		end := sc.skipString(i)
		if end < 0 {
			return 0, numBad, end
		}
		text := trimSpaces(st.text(b[i+1 : end-1]))
		if len(text) == 0 {
			return 0, numAbsent, end
		}
		v, ok := parseDecimal(text)
		return v, numStateOf(ok), end
	case c == 'n':
		return 0, numAbsent, sc.literal(i, "null")
	case c == '-' || isDigit(c):
		end := sc.skipNumber(i)
		if end < 0 {
			return 0, numBad, end
		}
		v, ok := parseDecimal(b[i:end])
		return v, numStateOf(ok), end
	}
	return 0, numBad, sc.skipValue(i, rowDepth)
}

func numStateOf(ok bool) numState {
	if ok {
		return numOK
	}
	return numBad
}

// boolish reads true, false, or a string that says "true" in any case;
// anything else is false.
func (st *decoderState) boolish(sc *scanner, i int) (bool, int) {
	b := sc.buf
	switch b[i] {
	case 't':
		return true, sc.literal(i, "true")
	case '"':
		end := sc.skipString(i)
		if end < 0 {
			return false, end
		}
		return isTrue(trimSpaces(st.text(b[i+1 : end-1]))), end
	}
	return false, sc.skipValue(i, rowDepth)
}

func isTrue(s []byte) bool {
	return equalFoldASCII(s, "true")
}

// date reads a date string; anything else is not a usable date.
func (st *decoderState) date(sc *scanner, i int) (time.Time, bool, int) {
	b := sc.buf
	if b[i] != '"' {
		return time.Time{}, false, sc.skipValue(i, rowDepth)
	}
	end := sc.skipString(i)
	if end < 0 {
		return time.Time{}, false, end
	}
	d, ok := parseDate(st.text(b[i+1 : end-1]))
	return d, ok, end
}
