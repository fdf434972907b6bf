package fakeapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// report is a submitted asynchronous CSV report.
type report struct {
	id          string
	blobID      string
	sig         string
	version     int
	from, to    int64 // requested days, inclusive
	requestedOn time.Time
	states      []int
	polls       int
	blobBase    string
	reportURL   string
}

// blobLifetime is how long a blobPath works after requestedOn (reference 3.5).
const blobLifetime = time.Hour

// maxReports bounds the reports kept; the oldest are forgotten first.
const maxReports = 1000

// serveSubmit accepts a report request: 202 with status 1 and a reportUrl.
func (c *call) serveSubmit() {
	from, to, ok := c.csvRange(36)
	if !ok {
		return
	}
	s := c.s
	seq := s.callSeq.Add(1)
	rep := &report{
		id:          string(appendHex(nil, hash2(s.opts.Seed, domReport, seq, 1))),
		blobID:      string(appendHex(nil, hash2(s.opts.Seed, domReport, seq, 2))),
		version:     c.req.version,
		from:        from,
		to:          to,
		requestedOn: c.now,
		blobBase:    s.opts.BlobBaseURL,
	}
	rep.sig = string(appendHex(nil, hash2(s.opts.Seed, domBlobSig, seq, 3)))
	if rep.blobBase == "" {
		rep.blobBase = c.baseURL() + "/blob"
	}
	base := c.baseURL()
	s.mu.Lock()
	if c.fault == FaultForeignNextLink {
		base = s.foreignBase
	}
	rep.states = append([]int(nil), s.reportStates...)
	s.storeReport(rep)
	s.stats.ReportsSubmitted++
	s.mu.Unlock()
	rep.reportURL = base + "/v" + strconv.Itoa(rep.version) + "/enrollments/" + s.opts.Enrollment +
		"/usagedetails/reports/" + rep.id
	c.writeReport(http.StatusAccepted, rep, ReportQueued)
}

// storeReport keeps rep, forgetting the oldest beyond maxReports. s.mu is held.
func (s *Server) storeReport(rep *report) {
	s.reports[rep.id] = rep
	s.blobs[rep.blobID] = rep
	s.reportOrder = append(s.reportOrder, rep.id)
	if len(s.reportOrder) > maxReports {
		old := s.reports[s.reportOrder[0]]
		delete(s.reports, old.id)
		delete(s.blobs, old.blobID)
		s.reportOrder = s.reportOrder[1:]
	}
}

// serveReportStatus answers a poll: the next state of the report's sequence
// (the last one repeats).
func (c *call) serveReportStatus() {
	s := c.s
	s.mu.Lock()
	rep := s.reports[c.req.id]
	state := 0
	if rep != nil {
		state = rep.states[min(rep.polls, len(rep.states)-1)]
		rep.polls++
	}
	s.mu.Unlock()
	if rep == nil {
		c.notFound("Report " + c.req.id + " not found.")
		return
	}
	if state == ReportCompleted || state == ReportReadyToDownload {
		if from, to := c.win.clip(rep.from, rep.to); to < from {
			state = ReportNoDataFound
		}
	}
	etag := `"` + string(appendHex(nil, mixString(uint64(state), c.etag()))) + `"`
	if c.notModified(etag) {
		return
	}
	c.writeReport(http.StatusOK, rep, state)
}

// writeReport writes the ReportStatus object of reference 3.5.
func (c *call) writeReport(status int, rep *report, state int) {
	blobPath := ""
	if state == ReportCompleted || state == ReportReadyToDownload {
		expiry := rep.requestedOn.Add(blobLifetime).UTC().Format(time.RFC3339)
		blobPath = rep.blobBase + "/" + rep.blobID + "?sv=2018-03-28&sr=b&sig=" + rep.sig +
			"&se=" + url.QueryEscape(expiry) + "&sp=r"
	}
	if state == ReportCompletedWithoutBlob {
		state = ReportCompleted
	}
	bw := c.body(status, jsonType)
	defer c.done(bw)
	w := jsonWriter{b: bw.buf, q: &c.q}
	w.open('{')
	w.str("id", rep.id)
	w.str("enrollmentNumber", c.s.opts.Enrollment)
	w.str("requestedOn", rep.requestedOn.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	w.int("status", int64(state))
	w.str("blobPath", blobPath)
	w.str("reportUrl", rep.reportURL)
	w.dateTime("startDate", rep.from, "00:00:00", c.q.DatesWithZone)
	w.dateTime("endDate", rep.to, "00:00:00", c.q.DatesWithZone)
	w.close('}')
	bw.buf = w.b
}

// blobError writes an Azure Storage error.
func blobError(w http.ResponseWriter, status int, code, msg string) {
	body := `<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`
	writeBody(w, status, "application/xml", []byte(body))
}

// serveBlob answers a blobPath like Azure Storage with a SAS: no
// Authorization header allowed, the signature must match, and the link
// expires an hour after the report was requested.
func (c *call) serveBlob() {
	if c.refuseAuthorization() {
		return
	}
	c.s.mu.Lock()
	rep := c.s.blobs[c.req.id]
	c.s.mu.Unlock()
	switch {
	case rep == nil:
		blobError(c.w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
	case !c.checkSAS(rep.sig, rep.requestedOn):
	case c.notModified(c.etag()):
	default:
		c.writeCSV(rep.from, rep.to, rep.version >= 3)
	}
}

// refuseAuthorization answers 403 to a blob request that carries an
// Authorization header, as Azure Storage does with a SAS, and counts it.
func (c *call) refuseAuthorization() bool {
	if c.r.Header.Get("Authorization") == "" {
		return false
	}
	c.s.count(func(st *Stats) { st.AuthorizedBlobRequests++ })
	blobError(c.w, http.StatusForbidden, "AuthenticationFailed",
		"Server failed to authenticate the request: an Authorization header is not allowed with a SAS.")
	return true
}

// checkSAS checks the request's signature against sig and the link's
// expiry, blobLifetime after requestedOn; it answers 403 itself when
// either fails.
func (c *call) checkSAS(sig string, requestedOn time.Time) bool {
	switch {
	case c.req.query["sig"] != sig:
		blobError(c.w, http.StatusForbidden, "AuthenticationFailed", "Signature did not match.")
	case !c.now.Before(requestedOn.Add(blobLifetime)):
		blobError(c.w, http.StatusForbidden, "AuthenticationFailed", "Signed expiry time has passed.")
	default:
		return true
	}
	return false
}
