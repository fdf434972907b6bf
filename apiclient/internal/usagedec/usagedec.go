// Package usagedec decodes usage-details rows, the one dataset that is too
// large for encoding/json: JSON pages of the EA Reporting API and the CSV
// reports of both the EA and the Resource Manager APIs.
//
// Decoders extract only the fields the exporter needs, tolerate every quirk in
// spec/ea-reporting-api.md section 5, and allocate nothing per row in steady
// state: rows hold byte slices into the caller's buffer or the decoder's own
// reusable arena.
package usagedec

import (
	"errors"
	"io"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// ErrNoData reports a body that means "no data" although it is not JSON:
// the "Usage Data Extract" text that the EA API sends for empty ranges.
var ErrNoData = errors.New("usage data extract: no data")

// IsNoData reports a body that begins, after any byte order mark and
// whitespace, with the "Usage Data Extract" text (quoted or not): what the
// EA API's JSON endpoints were seen to answer for a range without data.
func IsNoData(body []byte) bool {
	return hasNoDataText(body[skipBOMAndSpace(body):])
}

// Decoder decodes usage rows. It is not safe for concurrent use; make one per
// goroutine. Its zero value is not usable: call New.
type Decoder struct {
	tagKeys []string
	impl    decoderState
}

// New returns a decoder that extracts the values of tagKeys from each row's
// tags into UsageRow.Tags, in that order.
func New(tagKeys []string) *Decoder {
	return &Decoder{tagKeys: append([]string(nil), tagKeys...)}
}

// Page decodes one whole JSON usage-details page ({"id","data":[...],
// "nextLink"}, or the v1 {"reportId",...} form) held in buf.
//
// It returns the page's rows, valid until the next call on d or until buf is
// changed, and nextLink ("" when null, empty or absent). A body that starts
// with "Usage Data Extract" (quoted or not) returns ErrNoData. A body that is
// not a complete, valid page returns an error wrapping
// apiclient.ErrBadResponse and no rows, so that the caller can retry it
// without having delivered any row.
func (d *Decoder) Page(buf []byte) (rows []apiclient.UsageRow, nextLink string, err error) {
	return d.page(buf)
}

// CSV streams the rows of a usage CSV report from r to fn. Lines before the
// header (a preamble, a byte order mark) are skipped; a body without a
// header line (empty or blank included) is an error wrapping
// apiclient.ErrBadResponse, and the "Usage Data Extract" text alone returns
// ErrNoData; columns are found by
// header name through schema, case-insensitively. When from or to is
// non-zero, rows dated before from or after to (whole UTC days, inclusive) are
// dropped. Each row passed to fn is valid only during the call.
func (d *Decoder) CSV(r io.Reader, schema *CSVSchema, from, to time.Time, fn func(*apiclient.UsageRow) error) error {
	return d.csv(r, schema, from, to, fn)
}
