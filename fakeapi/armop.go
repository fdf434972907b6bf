package fakeapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// opKind says what an asynchronous ARM operation produces.
type opKind uint8

const (
	opCostDetails opKind = iota // a cost details report: CSV blobs
	opPriceSheet                // a price sheet download: one zip
)

// armOperation is a cost details report or a price sheet download.
type armOperation struct {
	id          string
	kind        opKind
	from, to    int64     // cost details: the days, clipped when requested; to < from: no data
	rows        int64     // cost details: rows over all blobs
	month       time.Time // price sheet: the period
	request     costReportRequest
	requestedOn time.Time
	pollsLeft   int
	retryAfter  int
	outcome     ARMOutcome
	quirks      ARMQuirks
	apiVersion  string
	sig         string
	blobBase    string
	blobIDs     []string

	sizesOnce sync.Once
	sizes     []int64 // cost details: the bytes of each blob
}

// armBlobRef names one blob of an operation.
type armBlobRef struct {
	op   *armOperation
	part int
}

// armBlobPrefix starts the ids of ARM side blobs, so that one blob route
// serves both sides.
const armBlobPrefix = "arm-"

// blobRoute is the route of blob id.
func blobRoute(id string) Route {
	if strings.HasPrefix(id, armBlobPrefix) {
		return RouteARMBlob
	}
	return RouteBlob
}

// newOperation starts an operation of kind with the current settings and
// blobs blobs, and stores it.
func (c *armCall) newOperation(kind opKind, blobs int) *armOperation {
	s := c.s
	seq := s.callSeq.Add(1)
	op := &armOperation{
		id:          string(appendGUID(nil, hash2(s.opts.Seed, domARMOperation, seq, 1), hash2(s.opts.Seed, domARMOperation, seq, 2))),
		kind:        kind,
		requestedOn: c.now,
		apiVersion:  c.apiVersion(),
		sig:         string(appendHex(nil, hash2(s.opts.Seed, domBlobSig, seq, 4))),
		blobBase:    s.opts.BlobBaseURL,
	}
	if op.blobBase == "" {
		op.blobBase = c.baseURL() + "/blob"
	}
	for k := 0; k < blobs; k++ {
		op.blobIDs = append(op.blobIDs, armBlobPrefix+op.id+"-"+strconv.Itoa(k+1))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.arm.operations
	op.pollsLeft, op.retryAfter, op.outcome, op.quirks = set.Polls, set.RetryAfter, set.Outcome, s.arm.quirks
	s.stats.ARMOperationsStarted++
	s.arm.ops[op.id] = op
	for k, id := range op.blobIDs {
		s.arm.blobs[id] = armBlobRef{op: op, part: k}
	}
	s.arm.opOrder = append(s.arm.opOrder, op.id)
	if len(s.arm.opOrder) > maxReports {
		old := s.arm.ops[s.arm.opOrder[0]]
		delete(s.arm.ops, old.id)
		for _, id := range old.blobIDs {
			delete(s.arm.blobs, id)
		}
		s.arm.opOrder = s.arm.opOrder[1:]
	}
	return op
}

// statusSegment is the path segment of an operation's polling URL.
func (op *armOperation) statusSegment() string {
	if op.kind == opPriceSheet {
		return "operationResults"
	}
	return "costDetailsOperationResults"
}

// resourceID is the operation's id as its result writes it.
func (c *armCall) operationResourceID(op *armOperation) string {
	return "/" + c.accountPath() + "/providers/Microsoft.CostManagement/" + op.statusSegment() + "/" + op.id
}

// accepted answers 202 with Location (absolute, on this host unless
// FaultForeignNextLink moves it) and Retry-After, and no body.
func (c *armCall) accepted(op *armOperation) {
	base := c.baseURL()
	if c.fault == FaultForeignNextLink {
		c.s.mu.Lock()
		base = c.s.foreignBase
		c.s.mu.Unlock()
	}
	h := c.w.Header()
	h.Set("Location", base+c.operationResourceID(op)+"?api-version="+url.QueryEscape(op.apiVersion))
	h.Set("Retry-After", strconv.Itoa(op.retryAfter))
	h.Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusAccepted)
}

// serveOperationStatus answers a poll: 202 while polls are left (with a
// status body, Location and Retry-After), then the outcome.
func (c *armCall) serveOperationStatus(kind opKind) {
	s := c.s
	s.mu.Lock()
	op, pending := s.arm.ops[c.ar.id], false
	if op != nil && op.kind != kind {
		op = nil
	}
	if op != nil && op.pollsLeft > 0 {
		op.pollsLeft--
		pending = true
	}
	s.mu.Unlock()
	switch {
	case op == nil:
		writeARMError(c.w, http.StatusNotFound, "NotFound", "The operation '"+c.ar.id+"' was not found.")
	case pending:
		c.w.Header().Set("Location", c.baseURL()+c.r.URL.RequestURI())
		c.w.Header().Set("Retry-After", strconv.Itoa(op.retryAfter))
		state := "InProgress"
		if kind == opPriceSheet {
			state = "Running"
		}
		bw, w := c.json(http.StatusAccepted)
		defer c.end(bw, w)
		w.open('{')
		w.str("id", c.operationResourceID(op))
		w.str("name", op.id)
		w.str("status", state)
		w.close('}')
	case kind == opPriceSheet:
		c.writePriceSheetResult(op)
	default:
		c.writeCostReportResult(http.StatusOK, op)
	}
}

// validTill is when an operation's links expire.
func (op *armOperation) validTill() time.Time { return op.requestedOn.Add(blobLifetime) }

// blobLink is the SAS URL of blob k of op.
func (op *armOperation) blobLink(k int) string {
	expiry := op.validTill().UTC().Format(time.RFC3339)
	return op.blobBase + "/" + op.blobIDs[k] + "?sv=2018-03-28&sr=b&sig=" + op.sig +
		"&se=" + url.QueryEscape(expiry) + "&sp=r"
}

// writeFailed writes a failed operation's result.
func (c *armCall) writeFailed(op *armOperation) {
	bw, w := c.json(http.StatusOK)
	defer c.end(bw, w)
	w.open('{')
	w.str("id", c.operationResourceID(op))
	w.str("name", op.id)
	w.str("status", "Failed")
	w.key("error")
	w.open('{')
	w.str("code", "ReportGenerationFailed")
	w.str("message", "The operation failed. Please try again later.")
	w.close('}')
	w.close('}')
}

// serveARMBlob answers an ARM blob link like Azure Storage with a SAS: a
// cost details CSV or the price sheet zip.
func (c *call) serveARMBlob() {
	if c.refuseAuthorization() {
		return
	}
	c.s.mu.Lock()
	ref, ok := c.s.arm.blobs[c.req.id]
	c.s.mu.Unlock()
	switch {
	case !ok:
		blobError(c.w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
	case !c.checkSAS(ref.op.sig, ref.op.requestedOn):
	case c.notModified(`"0x` + string(appendHex(nil, mixString(uint64(ref.part), ref.op.id))) + `"`):
	case ref.op.kind == opPriceSheet:
		c.writePriceSheetZip(ref.op)
	default:
		c.writeCostBlob(ref.op, ref.part)
	}
}
