package fakeapi

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// Enrollment is the enrollment number; default "8608480".
	Enrollment string
	// Currency is the billing currency code; default "USD".
	Currency string
	// Seed selects the generated data; default 1.
	Seed uint64
	// Now is the clock; default time.Now. Data covers the previous and the
	// current UTC calendar month, up to the last available day.
	Now func() time.Time
	// LatencyDays: usage for day D is available once Now >= D + LatencyDays
	// days. 0 means the default, 1; a negative value means no latency.
	LatencyDays int
	// Departments, AccountsPerDepartment and SubscriptionsPerAccount size
	// the hierarchy; defaults 4, 2, 2.
	Departments, AccountsPerDepartment, SubscriptionsPerAccount int
	// RowsPerDay is the number of usage rows per day across the enrollment;
	// default 150.
	RowsPerDay int
	// PageSize is the usage JSON page size; default 1000.
	PageSize int
	// PriceSheetMeters is the price sheet length; default 300. The first
	// items are the meters that usage uses.
	PriceSheetMeters int
	// MarketplacePerDay is the number of usage-based marketplace charges per
	// day (plus one recurring charge on the first of the month); default 3,
	// negative for none.
	MarketplacePerDay int
	// Commitment is the beginning balance of the previous period. The
	// default is sized so that credit is left at the end of the current
	// month but visibly drains; a small value makes service overage start.
	Commitment float64
	// Keys maps accepted API keys to their expiry (zero: never). If nil, one
	// key is made by NewJWTKey, expiring 180 days after Now.
	Keys map[string]time.Time
	// BlobBaseURL is where blobPath links point; default this server's own
	// /blob/ route, on the host the submit request came to. The ARM side's
	// blobLink and downloadUrl links point there too.
	BlobBaseURL string
	// ARM configures the ARM side (ARMHandler).
	ARM ARMOptions
}

// Server is the simulated EA Reporting API. It is safe for concurrent use.
type Server struct {
	opts    Options
	latency int
	ent     *enrollment

	mu           sync.Mutex
	keys         map[string]time.Time
	primaryKey   string
	quirks       Quirks
	quirksGen    uint64
	injected     map[Route][]Fault
	randomRate   float64
	randomKinds  []Fault
	rng          *rand.Rand
	faultDelay   time.Duration
	retryAfter   int
	foreignBase  string
	reportStates []int
	reports      map[string]*report // by report id
	blobs        map[string]*report // by blob id
	reportOrder  []string
	stats        Stats

	callSeq     atomic.Uint64
	bytesServed atomic.Int64
	rowsServed  atomic.Int64

	truthMu sync.Mutex
	truths  map[truthKey]*truthEntry
	bufPool sync.Pool

	arm armState // guarded by mu
}

// Defaults of Options.
const (
	DefaultEnrollment = "8608480"
	DefaultCurrency   = "USD"
	DefaultRowsPerDay = 150
	DefaultPageSize   = 1000
)

func (o *Options) setDefaults() {
	if o.Enrollment == "" {
		o.Enrollment = DefaultEnrollment
	}
	if o.Currency == "" {
		o.Currency = DefaultCurrency
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	positive := func(p *int, def int) {
		if *p <= 0 {
			*p = def
		}
	}
	positive(&o.Departments, 4)
	positive(&o.AccountsPerDepartment, 2)
	positive(&o.SubscriptionsPerAccount, 2)
	positive(&o.RowsPerDay, DefaultRowsPerDay)
	positive(&o.PageSize, DefaultPageSize)
	positive(&o.PriceSheetMeters, 300)
	if o.MarketplacePerDay == 0 {
		o.MarketplacePerDay = 3
	}
	o.ARM.setDefaults(o.Seed)
}

// New returns a server for opts.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts:         opts,
		latency:      opts.LatencyDays,
		injected:     map[Route][]Fault{},
		rng:          rand.New(rand.NewPCG(opts.Seed, 0x5eedfa17)),
		faultDelay:   30 * time.Second,
		retryAfter:   1,
		foreignBase:  "http://127.0.0.2:9",
		reportStates: []int{ReportQueued, ReportInProgress, ReportCompleted},
		reports:      map[string]*report{},
		blobs:        map[string]*report{},
		truths:       map[truthKey]*truthEntry{},
		stats:        Stats{Requests: map[Route]int{}, ClientTypes: map[string]int{}},
	}
	switch {
	case s.latency == 0:
		s.latency = 1
	case s.latency < 0:
		s.latency = 0
	}
	s.ent = newEnrollment(&s.opts)
	s.bufPool.New = func() any { b := make([]byte, 0, flushThreshold+8<<10); return &b }
	s.keys = map[string]time.Time{}
	if opts.Keys == nil {
		s.primaryKey = NewJWTKey(opts.Now().Add(180 * 24 * time.Hour))
		s.keys[s.primaryKey] = opts.Now().Add(180 * 24 * time.Hour)
	} else {
		for k, exp := range opts.Keys {
			s.keys[k] = exp
		}
		s.primaryKey = pickKey(opts.Keys)
	}
	if s.opts.Commitment <= 0 {
		s.opts.Commitment = s.defaultCommitment(opts.Now())
	}
	s.arm = newARMState()
	return s
}

// Enrollment returns the enrollment number the server answers for.
func (s *Server) Enrollment() string { return s.opts.Enrollment }

// Commitment returns the beginning balance of the previous period.
func (s *Server) Commitment() float64 { return s.opts.Commitment }

// SetQuirks replaces the quirks in effect. ETags change with them.
func (s *Server) SetQuirks(q Quirks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quirks = q
	s.quirksGen++
}

// SetReportStates sets the async report status sequence that successive
// polls of a report submitted afterwards see (the last repeats). The default
// is 1, 2, 3. Use ReportCompletedWithoutBlob for "3 with an empty blobPath".
func (s *Server) SetReportStates(states ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reportStates = append([]int(nil), states...)
	if len(s.reportStates) == 0 {
		s.reportStates = []int{ReportCompleted}
	}
}

// Stats returns a copy of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = make(map[Route]int, len(s.stats.Requests))
	for r, n := range s.stats.Requests {
		st.Requests[r] = n
	}
	st.ClientTypes = make(map[string]int, len(s.stats.ClientTypes))
	for k, n := range s.stats.ClientTypes {
		st.ClientTypes[k] = n
	}
	st.BytesServed = s.bytesServed.Load()
	st.UsageRowsServed = s.rowsServed.Load()
	return st
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &countingWriter{ResponseWriter: w, n: &s.bytesServed}
	req, ok := parseRequest(r)
	if !ok {
		writeError(cw, http.StatusNotFound, "No HTTP resource was found that matches the request URI.")
		return
	}
	s.serve(cw, r, req)
}

// BlobHandler serves blob paths (the last path segment is the blob id) of
// both sides, like Azure Storage with a SAS: a request that carries an
// Authorization header is refused with 403 and counted.
func (s *Server) BlobHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w, n: &s.bytesServed}
		id := lastSegment(r.URL.Path)
		s.serve(cw, r, &request{route: blobRoute(id), id: id, query: lowerQuery(r)})
	})
}

func (s *Server) count(f func(st *Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *Server) snapshotQuirks() (Quirks, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quirks, s.quirksGen
}

// window returns the data available at now.
func (s *Server) window(now time.Time) window { return newWindow(now, s.latency) }
