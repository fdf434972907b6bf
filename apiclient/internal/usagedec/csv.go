package usagedec

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// maxPreambleLines bounds the search for the header line (the EA download
// has one preamble line; a file with no header must not be read whole).
const maxPreambleLines = 100

// headerLikeColumns is how many of a schema's column names make a line a
// header, so that lacking a required column is an error rather than a
// reason to keep looking.
const headerLikeColumns = 3

// csvState is what the CSV decoder reuses from call to call.
type csvState struct {
	rd    csvReader
	cols  csvColumns
	row   apiclient.UsageRow
	kind  []byte
	extra [][]byte
}

// csvColumns holds the index in a record of each column the schema reads,
// or -1.
type csvColumns struct {
	dims                                     [apiclient.NumDimensions]int
	cost, date, quantity, billed, tags, kind int
	extra                                    []int
}

func (d *Decoder) csv(src io.Reader, schema *CSVSchema, from, to time.Time, fn func(*apiclient.UsageRow) error) error {
	st := &d.impl
	st.skipped, st.outOfRange, st.kindDropped = 0, 0, 0
	cs := &st.csv
	cs.rd.reset(src)
	defer func() { cs.rd.src = nil }()
	if err := cs.findHeader(schema); err != nil {
		return err
	}
	cs.rd.checkBOM = true
	cs.row.Tags = resize(cs.row.Tags, len(d.tagKeys))
	cs.extra = resize(cs.extra, len(schema.cols.Extra))
	lo, hi := dayOf(from), dayOf(to)
	for {
		rec, err := cs.rd.record()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(rec) == 1 && len(rec[0]) == 0 {
			continue // an empty line
		}
		if st.csvRow(rec, schema, lo, hi, d.tagKeys) {
			if err := fn(&cs.row); err != nil {
				return err
			}
		}
	}
}

func resize(s [][]byte, n int) [][]byte {
	if cap(s) < n {
		return make([][]byte, n)
	}
	return s[:n]
}

// dayOf returns midnight UTC of t's UTC day, or the zero time for zero.
func dayOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// findHeader skips the preamble up to the header line and maps the
// schema's columns.
func (cs *csvState) findHeader(schema *CSVSchema) error {
	sawText, noData := false, false
	for range maxPreambleLines {
		line, err := cs.rd.line()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(trimSpaces(line)) == 0 {
			continue
		}
		if !sawText {
			sawText, noData = true, hasNoDataText(line)
		}
		known := cs.cols.mapHeader(cs.rd.splitLine(line), &schema.cols)
		if cs.cols.cost >= 0 && cs.cols.date >= 0 {
			return nil
		}
		if known >= headerLikeColumns {
			return missingColumns(&cs.cols, &schema.cols)
		}
	}
	switch {
	case !sawText:
		// A report always has its header, also without rows: a body
		// without text was cut or lost on its way.
		return fmt.Errorf("%w: usage CSV: empty body, no header line", apiclient.ErrBadResponse)
	case noData:
		return ErrNoData
	}
	return fmt.Errorf("%w: usage CSV: no header line with a cost column (%s) and a date column (%s) in the first %d lines",
		apiclient.ErrBadResponse, strings.Join(schema.cols.Cost, " or "), strings.Join(schema.cols.Date, " or "), maxPreambleLines)
}

func missingColumns(cols *csvColumns, c *CSVColumns) error {
	var missing []string
	if cols.cost < 0 {
		missing = append(missing, "a cost column ("+strings.Join(c.Cost, " or ")+")")
	}
	if cols.date < 0 {
		missing = append(missing, "a date column ("+strings.Join(c.Date, " or ")+")")
	}
	return fmt.Errorf("%w: usage CSV header lacks %s", apiclient.ErrBadResponse, strings.Join(missing, " and "))
}

// mapHeader finds the schema's columns in the header fields and returns
// how many header fields are among the schema's names.
func (cols *csvColumns) mapHeader(header [][]byte, c *CSVColumns) int {
	for d := range cols.dims {
		cols.dims[d] = column(header, c.Dimensions[d])
	}
	cols.cost, cols.date = column(header, c.Cost), column(header, c.Date)
	cols.quantity, cols.billed = column(header, c.Quantity), column(header, c.BilledSeparately)
	cols.tags, cols.kind = column(header, c.Tags), column(header, c.Kind)
	cols.extra = cols.extra[:0]
	for _, names := range c.Extra {
		cols.extra = append(cols.extra, column(header, names))
	}
	known := 0
	for _, h := range header {
		if c.names(headerName(h)) {
			known++
		}
	}
	return known
}

// names reports whether name is one of the schema's column names.
func (c *CSVColumns) names(name []byte) bool {
	for _, list := range [...][]string{c.Cost, c.Date, c.Quantity, c.BilledSeparately, c.Tags, c.Kind} {
		if column([][]byte{name}, list) == 0 {
			return true
		}
	}
	for _, list := range c.Dimensions {
		if column([][]byte{name}, list) == 0 {
			return true
		}
	}
	for _, list := range c.Extra {
		if column([][]byte{name}, list) == 0 {
			return true
		}
	}
	return false
}

// column returns the index of the first of names the header has, or -1.
func column(header [][]byte, names []string) int {
	for _, n := range names {
		for i, h := range header {
			if tagKeyEqual(headerName(h), n) {
				return i
			}
		}
	}
	return -1
}

// headerName strips what may surround a header cell: spaces, quotes and a
// byte order mark.
func headerName(h []byte) []byte {
	for {
		n := len(h)
		h = trimSpaces(h)
		for hasBOM(h) {
			h = h[len(bom):]
		}
		if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
			h = h[1 : len(h)-1]
		}
		if len(h) == n {
			return h
		}
	}
}

// csvRow fills the decoder's row from a record and reports whether it is
// to be delivered, counting the rows it drops.
func (st *decoderState) csvRow(rec [][]byte, schema *CSVSchema, lo, hi time.Time, tagKeys []string) bool {
	cs, c := &st.csv, &schema.cols
	cols := &cs.cols
	st.arena = st.arena[:0]
	cs.kind = st.utf8Cell(rec, cols.kind)
	if c.KeepKind != nil && !c.KeepKind(cs.kind) {
		st.kindDropped++
		return false
	}
	date, ok := parseDate(cell(rec, cols.date))
	if !ok {
		st.skip(skipDate)
		return false
	}
	if (!lo.IsZero() && date.Before(lo)) || (!hi.IsZero() && date.After(hi)) {
		st.outOfRange++
		return false
	}
	cost, costOK := csvNumber(cell(rec, cols.cost))
	if !costOK {
		st.skip(skipCost)
		return false
	}
	// The cost counts without its quantity, as in a JSON page.
	quantity, quantityOK := csvNumber(cell(rec, cols.quantity))
	if !quantityOK {
		st.skip(skipQuantity)
		quantity = 0
	}
	r := &cs.row
	r.Date, r.Cost, r.Quantity = date, cost, quantity
	for d := range r.Values {
		r.Values[d] = st.utf8Cell(rec, cols.dims[d])
	}
	r.BilledSeparately = billedSeparately(cell(rec, cols.billed), c.BilledSeparatelyInverted)
	clear(r.Tags)
	if t := cell(rec, cols.tags); len(tagKeys) > 0 && len(t) > 0 && !st.parseTags(t, true, r.Tags, tagKeys) {
		clear(r.Tags)
	}
	for n, idx := range cols.extra {
		cs.extra[n] = st.utf8Cell(rec, idx)
	}
	return true
}

func cell(rec [][]byte, idx int) []byte {
	if idx < 0 || idx >= len(rec) {
		return nil
	}
	return rec[idx]
}

// utf8Cell returns a cell that is valid UTF-8, as label values must be.
func (st *decoderState) utf8Cell(rec [][]byte, idx int) []byte {
	c := cell(rec, idx)
	if utf8.Valid(c) {
		return c[:len(c):len(c)]
	}
	start := len(st.arena)
	st.arena = appendValidUTF8(st.arena, c)
	return st.arena[start:len(st.arena):len(st.arena)]
}

// csvNumber parses a number cell; empty is zero.
func csvNumber(c []byte) (float64, bool) {
	c = trimSpaces(c)
	if len(c) == 0 {
		return 0, true
	}
	return parseDecimal(c)
}

func billedSeparately(c []byte, inverted bool) bool {
	c = trimSpaces(c)
	if inverted {
		return equalFoldASCII(c, "false")
	}
	return equalFoldASCII(c, "true")
}
