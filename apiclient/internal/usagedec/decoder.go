package usagedec

import "github.com/azure-ea-exporter/azure-ea-exporter/apiclient"

// decoderState is what a Decoder reuses from call to call, so that steady
// state allocates nothing.
type decoderState struct {
	// rows and tagVals back the rows Page returns; row i's Tags is
	// tagVals[i*k:(i+1)*k] for k tag keys.
	rows    []apiclient.UsageRow
	tagVals [][]byte
	// arena holds the decoded text of values that are not plain sub-slices
	// of the input (escapes, invalid UTF-8, tag values from scratch).
	arena []byte
	// scratch holds decoded text that is parsed but not kept (a tags string,
	// a number or date in a string); keyScratch holds a folded key.
	scratch    []byte
	keyScratch []byte
	// keys remembers the member names of the last row.
	keys keyCache

	skipped, outOfRange, kindDropped int
	// skipReason is why the first skipped row was (when skipped > 0).
	skipReason string

	csv csvState
	// window is Stream's read window at its starting size, kept for the
	// next call; a window grown for a large row is dropped after its call.
	// windowPeak is the largest the window got in the last Stream call.
	window     []byte
	windowPeak int
}

// Skipped returns the number of rows the last Page, Stream or CSV call
// could not use whole: those it dropped for an unusable date (missing, null
// or unparseable) or cost (not a number), and those it kept with quantity 0
// because their quantity was not a number. A row like that is skipped rather
// than failing its page or file.
func (d *Decoder) Skipped() int { return d.impl.skipped }

// SkipReason says why the first row that the last call skipped was, naming
// fields but no value (e.g. "cost not a number: row dropped"); "" when
// Skipped is 0.
func (d *Decoder) SkipReason() string {
	if d.impl.skipped == 0 {
		return ""
	}
	return d.impl.skipReason
}

// AddSkipped adds the rows that the last call skipped to dst, when set,
// keeping the first reason: a usage read counts them over its pages or
// files.
func (d *Decoder) AddSkipped(dst *apiclient.UsageSkipped) {
	n := d.Skipped()
	if dst == nil || n == 0 {
		return
	}
	if dst.Rows == 0 {
		dst.Reason = d.SkipReason()
	}
	dst.Rows += n
}

// OutOfRange returns the number of rows the last CSV call dropped for being
// dated outside [from, to].
func (d *Decoder) OutOfRange() int { return d.impl.outOfRange }

// KindDropped returns the number of rows the last CSV call dropped because
// the schema's KeepKind rejected their kind.
func (d *Decoder) KindDropped() int { return d.impl.kindDropped }

// Kind returns the current row's cell of the schema's Kind column (empty
// when the schema or the file has none). It is valid only during the CSV
// callback.
func (d *Decoder) Kind() []byte { return d.impl.csv.kind }

// Extra returns the current row's cells of the schema's Extra columns, in
// the schema's order (an empty cell when the file lacks the column). The
// slice and its cells are valid only during the CSV callback.
func (d *Decoder) Extra() [][]byte { return d.impl.csv.extra }

// keep returns a copy of s in the arena, capped so that an append by the
// caller cannot reach the next value.
func (st *decoderState) keep(s []byte) []byte {
	start := len(st.arena)
	st.arena = append(st.arena, s...)
	return st.arena[start:len(st.arena):len(st.arena)]
}

// keepUnescaped decodes the contents of a JSON string into the arena.
func (st *decoderState) keepUnescaped(raw []byte) []byte {
	start := len(st.arena)
	st.arena = appendUnescaped(st.arena, raw)
	return st.arena[start:len(st.arena):len(st.arena)]
}

// text returns the decoded text of the contents of a JSON string: raw
// itself when it needs no decoding, else a decoded copy in scratch that is
// valid until scratch is next used.
func (st *decoderState) text(raw []byte) []byte {
	if !needsUnescape(raw) {
		return raw
	}
	st.scratch = appendUnescaped(st.scratch[:0], raw)
	return st.scratch
}
