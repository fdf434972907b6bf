package fakeapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// costReportRequest is the body of generateCostDetailsReport (reference
// 6.5.3): all members optional, at most one of the three scopes of time.
type costReportRequest struct {
	Metric     *string `json:"metric"`
	TimePeriod *struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"timePeriod"`
	BillingPeriod *string `json:"billingPeriod"`
	InvoiceID     *string `json:"invoiceId"`
}

// maxReportBody bounds the request body read.
const maxReportBody = 64 << 10

// serveCostReport starts a cost details report: 202 with Location and
// Retry-After, or what the configured outcome asks for.
func (c *armCall) serveCostReport() {
	req, ok := c.readCostReportRequest()
	if !ok {
		return
	}
	from, to, ok := c.costReportRange(&req)
	if !ok {
		return
	}
	from, to = c.win.clip(from, to)
	var rows int64
	for day := from; day <= to; day++ {
		rows += int64(c.s.costRowsOfDay(day))
	}
	op := c.newOperation(opCostDetails, int(min(int64(c.s.opts.ARM.CostDetailsBlobs), max(rows, 1))))
	op.from, op.to, op.rows, op.request = from, to, rows, req
	switch op.outcome {
	case ARMNoContent:
		c.w.WriteHeader(http.StatusNoContent)
	case ARMImmediate:
		c.writeCostReportResult(http.StatusOK, op)
	default:
		c.accepted(op)
	}
}

// readCostReportRequest decodes the body strictly; it answers 400 itself
// for a body that is not JSON, has an unknown member, or names more than
// one of timePeriod, billingPeriod and invoiceId.
func (c *armCall) readCostReportRequest() (costReportRequest, bool) {
	var req costReportRequest
	body, err := io.ReadAll(io.LimitReader(c.r.Body, maxReportBody))
	if err != nil {
		writeARMError(c.w, http.StatusBadRequest, "BadRequest", "The request body could not be read.")
		return req, false
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || dec.More() {
			writeARMError(c.w, http.StatusBadRequest, "BadRequest", "The request payload is not valid: "+errText(err))
			return req, false
		}
	}
	n := 0
	for _, set := range []bool{req.TimePeriod != nil, req.BillingPeriod != nil, req.InvoiceID != nil} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		writeARMError(c.w, http.StatusBadRequest, "BadRequest", "Only one of timePeriod, invoiceId or billingPeriod can be specified.")
		return req, false
	case req.InvoiceID != nil:
		writeARMError(c.w, http.StatusBadRequest, "BadRequest", "invoiceId is supported for Microsoft Customer Agreement billing accounts only.")
		return req, false
	case req.Metric != nil && !strings.EqualFold(*req.Metric, "ActualCost") && !strings.EqualFold(*req.Metric, "AmortizedCost"):
		writeARMError(c.w, http.StatusBadRequest, "BadRequest", "Invalid metric '"+*req.Metric+"': expected ActualCost or AmortizedCost.")
		return req, false
	}
	return req, true
}

func errText(err error) string {
	if err == nil {
		return "trailing data after the JSON object."
	}
	return err.Error()
}

// costReportRange resolves the days a report asks for; it answers 400
// itself for a malformed date or period, a range over one month, or a
// start more than 13 months back.
func (c *armCall) costReportRange(req *costReportRequest) (from, to int64, ok bool) {
	switch {
	case req.BillingPeriod != nil:
		m, valid := parsePeriod(*req.BillingPeriod)
		if !valid {
			writeARMError(c.w, http.StatusBadRequest, "BadRequest", "Invalid billingPeriod '"+*req.BillingPeriod+"': expected yyyyMM.")
			return 0, 0, false
		}
		from, to = monthRange(m)
	case req.TimePeriod != nil:
		a, okA := parseReportDate(req.TimePeriod.Start)
		b, okB := parseReportDate(req.TimePeriod.End)
		switch {
		case !okA || !okB:
			writeARMError(c.w, http.StatusBadRequest, "BadRequest", "timePeriod start and end are required, as yyyy-MM-dd.")
			return 0, 0, false
		case b < a:
			writeARMError(c.w, http.StatusBadRequest, "BadRequest", "timePeriod end is before its start.")
			return 0, 0, false
		case b >= unixDay(dayTime(a).AddDate(0, 1, 0)):
			writeARMError(c.w, http.StatusBadRequest, "BadRequest", "The time period cannot exceed one month.")
			return 0, 0, false
		}
		from, to = a, b
	default:
		from, to = monthRange(dayTime(c.win.curStart))
	}
	if from < unixDay(c.now.AddDate(0, -13, 0)) {
		writeARMError(c.w, http.StatusBadRequest, "BadRequest", "The start date cannot be more than 13 months in the past.")
		return 0, 0, false
	}
	return from, to, true
}

// parseReportDate reads yyyy-MM-dd, or the date of a date-time.
func parseReportDate(s string) (int64, bool) {
	if len(s) > 10 && s[10] == 'T' {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			if _, err := time.Parse("2006-01-02T15:04:05", s); err != nil {
				return 0, false
			}
		}
		s = s[:10]
	}
	return parseDate(s)
}

// writeCostReportResult writes a finished report: Completed with its
// manifest, NoDataFound, or Failed.
func (c *armCall) writeCostReportResult(status int, op *armOperation) {
	switch {
	case op.outcome == ARMFailed:
		c.writeFailed(op)
		return
	case op.outcome == ARMNoDataFound || op.to < op.from:
		bw, w := c.json(status)
		defer c.end(bw, w)
		w.open('{')
		w.str("id", c.operationResourceID(op))
		w.str("name", op.id)
		w.str("status", "NoDataFound")
		w.close('}')
		return
	}
	sizes := c.s.costBlobSizes(op)
	var total int64
	for _, n := range sizes {
		total += n
	}
	bw, w := c.json(status)
	defer c.end(bw, w)
	w.open('{')
	w.str("id", c.operationResourceID(op))
	w.str("name", op.id)
	w.str("status", "Completed")
	w.key("manifest")
	w.open('{')
	w.str("manifestVersion", "2022-05-01")
	w.str("dataFormat", "Csv")
	w.int("blobCount", int64(len(sizes)))
	w.int("byteCount", total)
	w.bool("compressData", false)
	c.appendRequestContext(w, op)
	w.key("blobs")
	w.open('[')
	for k, n := range sizes {
		w.open('{')
		w.str("blobLink", op.blobLink(k))
		w.int("byteCount", n)
		w.close('}')
	}
	w.close(']')
	w.close('}')
	w.str("validTill", op.validTill().UTC().Format("2006-01-02T15:04:05.0000000Z"))
	w.close('}')
}

// appendRequestContext echoes the scope and the request body.
func (c *armCall) appendRequestContext(w *jsonWriter, op *armOperation) {
	req := &op.request
	w.key("requestContext")
	w.open('{')
	w.str("requestScope", c.accountPath())
	w.key("requestBody")
	w.open('{')
	metric := "ActualCost"
	if req.Metric != nil {
		metric = *req.Metric
	}
	w.str("metric", metric)
	switch {
	case req.BillingPeriod != nil:
		w.str("billingPeriod", *req.BillingPeriod)
	case req.TimePeriod != nil:
		w.key("timePeriod")
		w.open('{')
		w.str("start", req.TimePeriod.Start)
		w.str("end", req.TimePeriod.End)
		w.close('}')
	}
	w.close('}')
	w.close('}')
}

// costRowsOfDay is the number of cost details rows of a day: its usage rows,
// its marketplace charges and its purchases.
func (s *Server) costRowsOfDay(day int64) int {
	return s.opts.RowsPerDay + s.ent.marketplaceCount(s.opts.MarketplacePerDay, day) + s.purchaseCount(day)
}

// costBlobSizes returns the byte count of each blob of op, generating them
// once: the manifest must state what the blobs will hold.
func (s *Server) costBlobSizes(op *armOperation) []int64 {
	op.sizesOnce.Do(func() {
		buf := make([]byte, 0, flushThreshold+8<<10)
		for k := range op.blobIDs {
			var n int64
			rest, _ := s.writeCostPart(op, k, buf[:0], func(p []byte) ([]byte, error) {
				n += int64(len(p))
				return p[:0], nil
			}, nil)
			op.sizes = append(op.sizes, n+int64(len(rest)))
		}
	})
	return op.sizes
}

// writeCostBlob streams blob part of op.
func (c *call) writeCostBlob(op *armOperation, part int) {
	bw := c.body(http.StatusOK, "text/csv")
	defer c.done(bw)
	var rows int64
	rest, _ := c.s.writeCostPart(op, part, bw.buf, func(p []byte) ([]byte, error) {
		bw.buf = p
		err := bw.flushIfFull()
		return bw.buf, err
	}, &rows)
	bw.buf = rest
	c.s.rowsServed.Add(rows)
}
