package fakeapi

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// call is one request being answered.
type call struct {
	s          *Server
	w          http.ResponseWriter
	r          *http.Request
	req        *request
	fault      Fault
	delay      time.Duration
	retryAfter int
	now        time.Time
	win        window
	q          Quirks
	quirksGen  uint64
}

// serve answers a parsed request: faults first, then method, auth and
// enrollment checks, then the route's handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, req *request) {
	c := &call{s: s, w: w, r: r, req: req}
	c.fault, c.delay, c.retryAfter = s.takeFault(req.route)
	if c.answerFault() {
		return
	}
	c.now = s.opts.Now().UTC()
	c.win = s.window(c.now)
	c.q, c.quirksGen = s.snapshotQuirks()
	if !c.checkMethod() {
		return
	}
	switch req.route {
	case RouteBlob:
		c.serveBlob()
		return
	case RouteARMBlob:
		c.serveARMBlob()
		return
	}
	if !s.authorized(r, c.now) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		writeError(w, http.StatusUnauthorized, "Unauthorized: the API key is missing, not valid or expired.")
		return
	}
	if req.enrollment != s.opts.Enrollment {
		c.badRequest("Invalid enrollment number " + req.enrollment + ".")
		return
	}
	switch req.route {
	case RouteBillingPeriods:
		c.serveBillingPeriods()
	case RouteBalanceSummary:
		c.serveBalanceSummary()
	case RouteUsageDetails:
		c.serveUsageJSON()
	case RouteUsageDownload:
		c.serveUsageDownload()
	case RouteUsageSubmit:
		c.serveSubmit()
	case RouteReportStatus:
		c.serveReportStatus()
	case RouteMarketplace:
		c.serveMarketplace()
	case RoutePriceSheet:
		c.servePriceSheet()
	}
}

func (c *call) checkMethod() bool {
	want := http.MethodGet
	if c.req.route == RouteUsageSubmit {
		want = http.MethodPost
	}
	m := c.r.Method
	if m == want || (want == http.MethodGet && m == http.MethodHead) {
		return true
	}
	c.w.Header().Set("Allow", want)
	writeError(c.w, http.StatusMethodNotAllowed, "The requested resource does not support http method '"+m+"'.")
	return false
}

func (c *call) badRequest(msg string) {
	writeError(c.w, http.StatusBadRequest, msg)
}

func (c *call) notFound(msg string) {
	writeError(c.w, http.StatusNotFound, msg)
}

// ctx is the request's context.
func (c *call) ctx() context.Context { return c.r.Context() }

// etag returns a strong ETag for (route, path, query, data version, quirks).
func (c *call) etag() string {
	h := hash2(c.s.opts.Seed, domETag, uint64(c.win.version()), c.quirksGen)
	h = mixString(h, strings.ToLower(c.r.URL.Path))
	keys := make([]string, 0, len(c.req.query))
	for k := range c.req.query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h = mixString(mixString(h, k), c.req.query[k])
	}
	return `"` + string(appendHex(nil, h)) + `"`
}

func mixString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001b3
	}
	return mix(h ^ uint64(len(s)))
}

// notModified sets the ETag and, when If-None-Match names it, answers 304.
func (c *call) notModified(etag string) bool {
	c.w.Header().Set("ETag", etag)
	inm := c.r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			c.s.count(func(st *Stats) { st.NotModified++ })
			c.w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// body starts a streamed answer with a pooled buffer; release it with done.
func (c *call) body(status int, contentType string) *bodyWriter {
	bp := c.s.bufPool.Get().(*[]byte)
	return &bodyWriter{w: c.w, ctx: c.ctx(), status: status, contentType: contentType,
		fault: c.fault, delay: c.delay, buf: (*bp)[:0]}
}

// done finishes bw and returns its buffer to the pool.
func (c *call) done(bw *bodyWriter) {
	_ = bw.finish()
	if cap(bw.buf) <= 4*flushThreshold {
		b := bw.buf[:0]
		c.s.bufPool.Put(&b)
	}
}

// baseURL is the scheme and host the request came to.
func (c *call) baseURL() string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host
}

// currency is the currency code as served.
func (c *call) currency() string {
	if c.q.PaddedCurrency {
		return c.s.opts.Currency + "  "
	}
	return c.s.opts.Currency
}

const jsonType = "application/json; charset=utf-8"

// periodParam resolves the month a request's scope names: the current month
// or billingPeriods/{p}. It answers 400 itself for a malformed period.
func (c *call) periodParam() (time.Time, bool) {
	if c.req.scope == scopeCurrent {
		return dayTime(c.win.curStart), true
	}
	m, ok := parsePeriod(c.req.period)
	if !ok {
		c.badRequest("Invalid billing period '" + c.req.period + "': expected yyyyMM.")
	}
	return m, ok
}

// dateRange reads startTime and endTime (yyyy-MM-dd, inclusive) and checks
// the span against maxMonths. It answers 400 itself when they are invalid.
func (c *call) dateRange(maxMonths int) (from, to int64, ok bool) {
	a, okA := parseDate(c.req.query["starttime"])
	b, okB := parseDate(c.req.query["endtime"])
	switch {
	case !okA || !okB:
		c.badRequest("startTime and endTime are required, as yyyy-MM-dd.")
		return 0, 0, false
	case b < a:
		c.badRequest("endTime is before startTime.")
		return 0, 0, false
	case b >= unixDay(dayTime(a).AddDate(0, maxMonths, 0)):
		c.badRequest("The date range exceeds the maximum of " + strconv.Itoa(maxMonths) + " months.")
		return 0, 0, false
	}
	return a, b, true
}
