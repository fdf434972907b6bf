package fakeapi

import (
	"net/http"
	"strconv"
	"time"
)

// Inject makes the next len(faults) requests to route r get these faults,
// in order (after any injected earlier and not yet used).
func (s *Server) Inject(r Route, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected[r] = append(s.injected[r], faults...)
}

// SetRandomFaults faults a share rate (0..1) of all requests, picking
// uniformly from kinds, for soak tests. Injected faults take precedence. The
// picks come from a generator seeded by Options.Seed. Rate 0 turns it off.
func (s *Server) SetRandomFaults(rate float64, kinds []Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.randomRate = rate
	s.randomKinds = append([]Fault(nil), kinds...)
}

// SetFaultDelay sets how long FaultTimeout and FaultSlowBody stall (default
// 30 s); a stall also ends when the client gives up.
func (s *Server) SetFaultDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultDelay = d
}

// SetRetryAfter sets the seconds that FaultThrottle and FaultUnavailable
// ask the client to wait (default 1; 0 is allowed).
func (s *Server) SetRetryAfter(seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = max(seconds, 0)
}

// SetForeignBaseURL sets the scheme and host that FaultForeignNextLink
// points at (default "http://127.0.0.2:9", a loopback address where nothing
// listens). A test can point it at its own server to watch for leaked keys.
func (s *Server) SetForeignBaseURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.foreignBase = base
}

// takeFault pops the next injected fault of route r or draws a random one.
func (s *Server) takeFault(r Route) (f Fault, delay time.Duration, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests[r]++
	if q := s.injected[r]; len(q) > 0 {
		f = q[0]
		s.injected[r] = q[1:]
	} else if s.randomRate > 0 && len(s.randomKinds) > 0 && s.rng.Float64() < s.randomRate {
		f = s.randomKinds[s.rng.IntN(len(s.randomKinds))]
	}
	if f != FaultNone {
		s.stats.FaultsInjected++
	}
	return f, s.faultDelay, s.retryAfter
}

// garbagePage is what a proxy in front of the API might send with a 200.
const garbagePage = `<!DOCTYPE html>
<html><head><title>Service Unavailable</title></head>
<body><h1>Our services aren't available right now</h1>
<p>We're working to restore all services as soon as possible. Please check back soon.</p>
</body></html>
`

// usageDataExtract is the text a JSON endpoint was seen to send for an empty
// range (reference 5.1).
const usageDataExtract = "\"Usage Data Extract\",\r\n\"\",\r\n"

// answerFault writes the answer of a fault that replaces the normal one and
// reports whether it did.
func (c *call) answerFault() bool {
	w := c.w
	switch c.fault {
	case FaultThrottle:
		w.Header().Set("x-ms-ratelimit-microsoft.consumption-retry-after", strconv.Itoa(c.retryAfter))
		writeError(w, http.StatusTooManyRequests, "Too many requests. Please retry.")
	case FaultUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(c.retryAfter))
		writeError(w, http.StatusServiceUnavailable, "The service is temporarily unavailable.")
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, "DB didn't return complete data for MeterInfo. Please try again.")
	case FaultGarbage:
		writeBody(w, http.StatusOK, "text/html; charset=utf-8", []byte(garbagePage))
	case FaultUnauthorized:
		writeError(w, http.StatusUnauthorized, "Unauthorized: the API key is not valid.")
	case FaultNoData400:
		writeError(w, http.StatusBadRequest, "No data found for the enrollment in the requested range.")
	case FaultNoData404:
		writeError(w, http.StatusNotFound, "No records found for the requested range.")
	case FaultUsageDataExtract:
		writeBody(w, http.StatusOK, "text/csv", []byte(usageDataExtract))
	case FaultTimeout:
		// Hold the request; answer normally if the client is still there.
		return !sleepCtx(c.r.Context(), c.delay)
	default:
		return false
	}
	return true
}
