package fakeapi

import (
	"net/http"
	"sort"
	"strconv"
	"time"
)

// Cost Management quotas: calls per scope and minute (reference 5, item
// 11), and the query processing units of the documented QPU headers.
const (
	defaultARMQuota  = 30
	qpuPerHour       = 600
	qpuPerMinute     = 60
	maxRecordedCalls = 10000
)

// SetARMQuota sets the Cost Management quota: perMinute calls in any 60
// seconds of wall-clock time, counted per ClientType header value (a
// ClientType has its own bucket). Every Cost Management answer reports what
// is left in HeaderCostManagementRemaining; with enforce, a call beyond the
// quota is answered 429 with the throttle header (see SetARMThrottleHeader)
// and no Retry-After. The default is 30, not enforced.
//
// The window is wall-clock time, not Options.Now: quotas pace requests, and
// tests freeze the data clock.
func (s *Server) SetARMQuota(perMinute int, enforce bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm.quota = max(perMinute, 0)
	s.arm.enforceQuota = enforce
	s.arm.calls = map[string][]time.Time{}
}

// SetARMThrottleHeader sets the header that carries the seconds to wait on
// a throttled Cost Management answer (FaultThrottle or the enforced quota):
// one of the HeaderCostManagement*RetryAfter names. The default is
// HeaderCostManagementEntityRetryAfter.
func (s *Server) SetARMThrottleHeader(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm.throttleHeader = name
}

// quotaUse is the state of one bucket after a call.
type quotaUse struct {
	remaining, lastMinute, lastHour int
	throttled                       bool
	wait                            time.Duration
	header                          string
}

// useQuota records a call of bucket at now, unless the enforced quota is
// exhausted.
func (s *Server) useQuota(bucket string, now time.Time) quotaUse {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := s.arm.calls[bucket]
	calls = calls[sort.Search(len(calls), func(i int) bool { return calls[i].After(now.Add(-time.Hour)) }):]
	inMinute := len(calls) - sort.Search(len(calls), func(i int) bool { return calls[i].After(now.Add(-time.Minute)) })
	u := quotaUse{header: s.arm.throttleHeader}
	if s.arm.enforceQuota && inMinute >= s.arm.quota {
		u.throttled = true
		if inMinute > 0 {
			u.wait = calls[len(calls)-inMinute].Add(time.Minute).Sub(now)
		}
		s.stats.ARMThrottled++
	} else {
		calls = append(calls, now)
		inMinute++
		if len(calls) > maxRecordedCalls {
			calls = calls[len(calls)-maxRecordedCalls:]
		}
	}
	s.arm.calls[bucket] = calls
	u.remaining = max(s.arm.quota-inMinute, 0)
	u.lastMinute, u.lastHour = inMinute, len(calls)
	return u
}

// takeQuota counts a Cost Management call and sets the quota headers: the
// remaining entity requests on every answer, and the QPU headers on report
// requests. It answers 429 itself when the enforced quota is exhausted.
func (c *armCall) takeQuota() bool {
	u := c.s.useQuota(c.r.Header.Get("ClientType"), time.Now())
	h := c.w.Header()
	h.Set(HeaderCostManagementRemaining, "DefaultQuota:"+strconv.Itoa(u.remaining))
	if c.ar.route == RouteARMCostReport {
		h.Set("x-ms-ratelimit-microsoft.costmanagement-qpu-consumed", "1")
		h.Set("x-ms-ratelimit-microsoft.costmanagement-qpu-remaining",
			"QueriesPerHour:"+strconv.Itoa(max(qpuPerHour-u.lastHour, 0))+",QueriesPerMin:"+strconv.Itoa(max(qpuPerMinute-u.lastMinute, 0)))
	}
	if !u.throttled {
		return true
	}
	seconds := int((u.wait + time.Second - 1) / time.Second)
	h.Set(u.header, strconv.Itoa(max(seconds, 1)))
	writeARMError(c.w, http.StatusTooManyRequests, "429",
		"Too many requests. Please retry after "+strconv.Itoa(max(seconds, 1))+" seconds.")
	return false
}
