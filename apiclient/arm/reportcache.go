package arm

import (
	"context"
	"sync"
	"time"
)

// linkMargin is how long before its links expire a report stops being
// reused: its blobs must still be readable to the end of a download.
const linkMargin = 5 * time.Minute

// reportCache shares cost details reports between Usage and
// MarketplaceCharges: both read the same report, and Cost Management's
// quota is counted in reports, so a refresh asks for one per period. A
// report being generated is waited for rather than asked for again.
type reportCache struct {
	mu      sync.Mutex
	entries map[string]*reportEntry
}

// reportEntry is one report, finished when done is closed.
type reportEntry struct {
	done   chan struct{}
	report *costReport
	err    error
}

func (e *reportEntry) finished() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// report returns the report of r: a fresh one from the cache, the one
// being generated, or a new one.
func (c *Client) report(ctx context.Context, r reportRange) (*costReport, error) {
	key := r.key()
	rc := c.reports
	rc.mu.Lock()
	rc.pruneLocked(c.fresh)
	e := rc.entries[key]
	leader := e == nil
	if leader {
		e = &reportEntry{done: make(chan struct{})}
		rc.entries[key] = e
	}
	rc.mu.Unlock()
	if leader {
		e.report, e.err = c.generateReport(ctx, r)
		if e.err != nil {
			rc.forget(key, e)
		}
		close(e.done)
	}
	select {
	case <-e.done:
		return e.report, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fresh says whether a finished report may still be used.
func (c *Client) fresh(rep *costReport) bool {
	now := c.cfg.now()
	if now.Sub(rep.created) >= c.cfg.ReportMaxAge {
		return false
	}
	return rep.validTill.IsZero() || now.Before(rep.validTill.Add(-linkMargin))
}

// pruneLocked drops the finished entries that are failed or stale, so that
// the cache holds only what can be used.
func (rc *reportCache) pruneLocked(fresh func(*costReport) bool) {
	for key, e := range rc.entries {
		if e.finished() && (e.err != nil || !fresh(e.report)) {
			delete(rc.entries, key)
		}
	}
}

// forget drops entry e of key, e.g. after one of its blobs could not be
// read: its links may have expired.
func (rc *reportCache) forget(key string, e *reportEntry) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.entries[key] == e {
		delete(rc.entries, key)
	}
}

// forgetReport drops the entry that holds rep.
func (rc *reportCache) forgetReport(key string, rep *costReport) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if e := rc.entries[key]; e != nil && e.finished() && e.report == rep {
		delete(rc.entries, key)
	}
}
