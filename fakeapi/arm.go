package fakeapi

import (
	"net/http"
	"strings"
	"time"
)

// armState is the ARM side's mutable state, guarded by Server.mu.
type armState struct {
	tokens         map[string]*armToken
	tokenOrder     []string
	ops            map[string]*armOperation
	opOrder        []string
	blobs          map[string]armBlobRef
	operations     ARMOperations
	quirks         ARMQuirks
	throttleHeader string
	quota          int
	enforceQuota   bool
	calls          map[string][]time.Time // Cost Management calls by ClientType, wall clock
}

func newARMState() armState {
	return armState{
		tokens:         map[string]*armToken{},
		ops:            map[string]*armOperation{},
		blobs:          map[string]armBlobRef{},
		operations:     ARMOperations{Polls: 1, RetryAfter: 1},
		throttleHeader: HeaderCostManagementEntityRetryAfter,
		quota:          defaultARMQuota,
		calls:          map[string][]time.Time{},
	}
}

// Hash domains of the ARM side, after those of hash.go.
const (
	domARMCredential uint64 = 100 + iota
	domARMToken
	domARMOperation
	domARMRequest
	domARMPurchase
)

func (o *ARMOptions) setDefaults(seed uint64) {
	if o.TenantID == "" {
		o.TenantID = guid(seed, domARMCredential, 1)
	}
	if o.ClientID == "" {
		o.ClientID = guid(seed, domARMCredential, 2)
	}
	if o.ClientSecret == "" {
		// Shaped like an Entra secret value: 40 characters with a "~".
		h := appendHex(appendHex(nil, hash2(seed, domARMCredential, 3, 0)), hash2(seed, domARMCredential, 3, 1))
		o.ClientSecret = "Fk8Q~" + string(h) + "Zq0"
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 3599 * time.Second
	}
	if o.CostDetailsBlobs <= 0 {
		o.CostDetailsBlobs = 2
	}
	if o.PriceSheetFiles <= 0 {
		o.PriceSheetFiles = 2
	}
}

// ARMCredentials returns the service principal the ARM token endpoint
// accepts.
func (s *Server) ARMCredentials() (tenantID, clientID, clientSecret string) {
	a := &s.opts.ARM
	return a.TenantID, a.ClientID, a.ClientSecret
}

// SetARMOperations sets how cost details reports and price sheet downloads
// started afterwards behave. The default is one 202 poll, Retry-After 1,
// outcome ARMCompleted.
func (s *Server) SetARMOperations(o ARMOperations) {
	o.Polls, o.RetryAfter = max(o.Polls, 0), max(o.RetryAfter, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm.operations = o
}

// SetARMQuirks replaces the cost details file variations in effect for
// blobs served afterwards.
func (s *Server) SetARMQuirks(q ARMQuirks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm.quirks = q
}

// ARMHandler serves the ARM side on its own host: the Entra ID endpoints a
// client-secret credential uses (with instance discovery off), the
// management.azure.com routes of reference 6.5 at EA billing account scope,
// and /blob/ for the links those return. Serve it over TLS: azcore refuses
// to send a bearer token over http, and MSAL an http authority.
func (s *Server) ARMHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w, n: &s.bytesServed}
		segs := strings.Split(strings.Trim(strings.ToLower(r.URL.Path), "/"), "/")
		if len(segs) == 2 && segs[0] == "blob" {
			s.serve(cw, r, &request{route: blobRoute(segs[1]), id: segs[1], query: lowerQuery(r)})
			return
		}
		if ar, ok := parseEntraPath(segs); ok {
			s.serveEntra(cw, r, ar)
			return
		}
		ar, ok := parseARMPath(segs)
		if !ok {
			writeARMError(cw, http.StatusNotFound, "NotFound",
				"No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
			return
		}
		s.serveManagement(cw, r, ar)
	})
}

// armCall is one ARM side request being answered.
type armCall struct {
	*call
	ar *armRequest
}

// newARMCall starts answering an ARM request: it takes the route's fault.
func (s *Server) newARMCall(w http.ResponseWriter, r *http.Request, ar *armRequest) *armCall {
	c := &call{s: s, w: w, r: r, req: &request{route: ar.route, enrollment: ar.enrollment,
		period: ar.period, id: ar.id, query: lowerQuery(r)}}
	c.fault, c.delay, c.retryAfter = s.takeFault(ar.route)
	return &armCall{call: c, ar: ar}
}

// begin applies the fault, sets the clock and checks the method; it
// reports whether the request should go on.
func (c *armCall) begin(flavour errorFlavour) bool {
	if c.answerARMFault(flavour) {
		return false
	}
	c.now = c.s.opts.Now().UTC()
	c.win = c.s.window(c.now)
	want := armMethod(c.ar.route)
	if c.r.Method == want || (want == http.MethodGet && c.r.Method == http.MethodHead) {
		return true
	}
	c.w.Header().Set("Allow", want)
	msg := "The requested resource does not support http method '" + c.r.Method + "'."
	if flavour == flavourEntra {
		writeEntraError(c.w, http.StatusMethodNotAllowed, "invalid_request", 900561, msg, c.now)
	} else {
		writeARMError(c.w, http.StatusMethodNotAllowed, "MethodNotAllowed", msg)
	}
	return false
}

// serveManagement answers a management request: fault, method, token,
// api-version, billing account, quota, then the route.
func (s *Server) serveManagement(w http.ResponseWriter, r *http.Request, ar *armRequest) {
	c := s.newARMCall(w, r, ar)
	flavour := flavourConsumption
	if ar.costMgmt {
		flavour = flavourCostManagement
	}
	c.w.Header().Set("x-ms-request-id", c.requestID())
	if !c.begin(flavour) || !c.authorizeToken() || !c.checkAPIVersion() || !c.checkBillingAccount() {
		return
	}
	if ct := r.Header.Get("ClientType"); ct != "" {
		s.count(func(st *Stats) { st.ClientTypes[ct]++ })
	}
	if ar.costMgmt && !c.takeQuota() {
		return
	}
	switch ar.route {
	case RouteARMBalance:
		c.serveBalance()
	case RouteARMCostReport:
		c.serveCostReport()
	case RouteARMReportStatus:
		c.serveOperationStatus(opCostDetails)
	case RouteARMPriceSheet:
		c.servePriceSheetDownload()
	case RouteARMPriceSheetStatus:
		c.serveOperationStatus(opPriceSheet)
	case RouteARMBudgets:
		c.serveBudgets()
	}
}

// requestID is a fresh GUID for x-ms-request-id.
func (c *armCall) requestID() string {
	seq := c.s.callSeq.Add(1)
	return string(appendGUID(nil, hash2(c.s.opts.Seed, domARMRequest, seq, 1), hash2(c.s.opts.Seed, domARMRequest, seq, 2)))
}

// checkAPIVersion requires api-version, shaped yyyy-MM-dd with an optional
// -preview (reference 6.5.7); any such version is accepted.
func (c *armCall) checkAPIVersion() bool {
	v, ok := c.req.query["api-version"]
	if !ok || v == "" {
		writeARMError(c.w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return false
	}
	date := strings.TrimSuffix(v, "-preview")
	if _, err := time.Parse("2006-01-02", date); err != nil {
		writeARMError(c.w, http.StatusBadRequest, "InvalidApiVersionParameter",
			"The api-version '"+v+"' is invalid. The supported versions are 'yyyy-MM-dd' dates with an optional '-preview'.")
		return false
	}
	return true
}

// checkBillingAccount answers an unknown billing account the way the API
// answers a caller without an EA role on it (reference 6.2).
func (c *armCall) checkBillingAccount() bool {
	if c.ar.enrollment == strings.ToLower(c.s.opts.Enrollment) {
		return true
	}
	c.s.count(func(st *Stats) { st.ARMUnauthorized++ })
	writeARMError(c.w, http.StatusUnauthorized, "Unauthorized", "No claims present for the caller in the system.")
	return false
}

// apiVersion is the request's api-version.
func (c *armCall) apiVersion() string { return c.req.query["api-version"] }

// accountPath is the billing account's resource path, without a leading
// slash.
func (c *armCall) accountPath() string {
	return "providers/Microsoft.Billing/billingAccounts/" + c.s.opts.Enrollment
}

// paddedCurrency is the currency as the Consumption API writes it.
func (c *armCall) paddedCurrency() string { return c.s.opts.Currency + "  " }

// json starts a JSON body; finish it with end. The ARM side's shapes are
// fixed, so the EA quirks do not apply.
func (c *armCall) json(status int) (*bodyWriter, *jsonWriter) {
	bw := c.body(status, jsonType)
	return bw, &jsonWriter{b: bw.buf, q: &Quirks{}}
}

// end writes what w holds and releases bw.
func (c *armCall) end(bw *bodyWriter, w *jsonWriter) {
	bw.buf = w.b
	c.done(bw)
}
