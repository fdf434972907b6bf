package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// dataVersion is what the fake serves while its clock is on one day: the
// truth of the current and the previous billing period.
type dataVersion struct {
	day       time.Time
	cur, prev fakeapi.PeriodTruth
}

// keyEvents counts what the key chaos did.
type keyEvents struct {
	revoked, restored, rotated int
}

// simulatedAPI is fakeapi on loopback with a clock that the soak moves a day
// at a time, so that the data changes during the run, and a key that is
// revoked, restored and rotated. Every data version's truth is computed
// before the first request, so a scrape can always be checked against it.
type simulatedAPI struct {
	fake     *fakeapi.Server
	srv      *httptest.Server
	foreign  *httptest.Server
	keyFile  string
	expiry   time.Time
	cur      string
	prev     string
	versions []dataVersion

	clock    atomic.Int64 // the fake's now, Unix nanoseconds
	position atomic.Int32 // index of the version being served
	served   []atomic.Bool

	// foreignRequests counts requests that reached the foreign host, and
	// foreignKeyed those that carried an Authorization header.
	foreignRequests, foreignKeyed atomic.Int64

	secrets *secretIndex // every key used, for the leak check

	mu     sync.Mutex
	key    string
	events keyEvents
}

// apiOptions configure the simulated API.
type apiOptions struct {
	now        time.Time
	seed       uint64
	pageSize   int
	faults     []fakeapi.Fault
	rate       float64
	faultDelay time.Duration
	dir        string // where the key file goes
}

// newSimulatedAPI starts the fake for the month of now: one data version per
// day from the month's first day up to today, so that the exporter (which
// reads up to its own today) can see all of it.
func newSimulatedAPI(o apiOptions, secrets *secretIndex) (*simulatedAPI, error) {
	now := o.now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, time.UTC)
	a := &simulatedAPI{
		expiry:  now.Add(180 * 24 * time.Hour),
		cur:     first.Format("200601"),
		prev:    first.AddDate(0, -1, 0).Format("200601"),
		secrets: secrets,
	}
	a.clock.Store(first.UnixNano())
	a.key = fakeapi.NewJWTKey(a.expiry)
	secrets.add(a.key)
	a.fake = fakeapi.New(fakeapi.Options{
		Seed: o.seed, LatencyDays: -1, PageSize: o.pageSize, Keys: map[string]time.Time{a.key: a.expiry},
		Now: func() time.Time { return time.Unix(0, a.clock.Load()).UTC() },
	})
	for d := first; d.Day() <= now.Day() && d.Month() == now.Month(); d = d.AddDate(0, 0, 1) {
		a.clock.Store(d.UnixNano())
		a.versions = append(a.versions, dataVersion{day: d, cur: a.fake.Truth(a.cur), prev: a.fake.Truth(a.prev)})
	}
	a.served = make([]atomic.Bool, len(a.versions))
	a.moveTo(0)

	a.keyFile = filepath.Join(o.dir, "api-key")
	if err := writeFileAtomic(a.keyFile, a.key); err != nil {
		return nil, err
	}
	a.foreign = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.foreignRequests.Add(1)
		if r.Header.Get("Authorization") != "" {
			a.foreignKeyed.Add(1)
		}
		http.Error(w, "not the API host", http.StatusForbidden)
	}))
	a.fake.SetForeignBaseURL(a.foreign.URL)
	a.fake.SetFaultDelay(o.faultDelay)
	a.fake.SetRetryAfter(1)
	a.srv = httptest.NewServer(a.fake)
	return a, nil
}

func (a *simulatedAPI) close() {
	a.srv.Close()
	a.foreign.Close()
}

// moveTo sets the clock to version i's day. The version counts as served
// before the clock moves, so that no scrape can see data the checker does
// not know yet.
func (a *simulatedAPI) moveTo(i int) {
	a.served[i].Store(true)
	a.position.Store(int32(i))
	a.clock.Store(a.versions[i].day.UnixNano())
}

// wasServed reports whether version i has been served.
func (a *simulatedAPI) wasServed(i int) bool { return a.served[i].Load() }

// advanceDays moves the clock to the next day every interval, back to the
// month's first day after today, until ctx ends.
func (a *simulatedAPI) advanceDays(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.moveTo((int(a.position.Load()) + 1) % len(a.versions))
		}
	}
}

// churnKeys alternates, every interval, between revoking the key for a
// while and then restoring it, and rotating it: a new key is accepted, the
// key file rewritten, and the old key revoked after grace.
func (a *simulatedAPI) churnKeys(ctx context.Context, interval, outage, grace time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n%2 == 0 {
			a.revokeFor(ctx, outage)
			continue
		}
		if err := a.rotate(ctx, grace); err != nil {
			return err
		}
	}
}

func (a *simulatedAPI) revokeFor(ctx context.Context, outage time.Duration) {
	a.mu.Lock()
	key := a.key
	a.events.revoked++
	a.mu.Unlock()
	a.fake.RevokeKey(key)
	sleep(ctx, outage)
	a.fake.AddKey(key, a.expiry)
	a.mu.Lock()
	a.events.restored++
	a.mu.Unlock()
}

func (a *simulatedAPI) rotate(ctx context.Context, grace time.Duration) error {
	next := fakeapi.NewJWTKey(a.expiry)
	a.secrets.add(next)
	a.fake.AddKey(next, a.expiry)
	a.mu.Lock()
	old := a.key
	a.key = next
	a.events.rotated++
	a.mu.Unlock()
	if err := writeFileAtomic(a.keyFile, next); err != nil {
		return fmt.Errorf("rotating the key: %w", err)
	}
	sleep(ctx, grace)
	a.fake.RevokeKey(old)
	return nil
}

func (a *simulatedAPI) keyEvents() keyEvents {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.events
}

// writeFileAtomic replaces path with content, so that the exporter never
// reads a half-written key.
func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
