// Package collector refreshes Azure EA billing data in the background,
// aggregates it into immutable snapshots and exposes them to Prometheus.
//
// One refresher per enrollment fetches each dataset on its own schedule-free
// loop (first refresh at once, then every interval), keeps the last good data
// of a dataset whose refresh fails, and publishes a snapshot of pre-built
// const metrics with an atomic swap. Collect only sends the current
// snapshots: it never calls Azure and never waits for a refresh.
package collector

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// SourceFactory makes the data source of one enrollment. The observer counts
// its API calls.
type SourceFactory func(e config.Enrollment, obs apiclient.Observer, logger log.Logger) (apiclient.Source, error)

// Options configures an Exporter.
type Options struct {
	// NewSource makes each enrollment's data source.
	NewSource SourceFactory
	// Interval is the time between refreshes.
	Interval time.Duration
	// Logger receives one line per failed refresh and debug detail.
	Logger log.Logger
	// Registerer gets the API request metrics; the Exporter itself must be
	// registered by the caller.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Exporter is a prometheus.Collector for every configured enrollment.
type Exporter struct {
	opts Options
	api  *apiMetrics

	mu         sync.Mutex // serialises Apply and Stop
	ctx        context.Context
	layout     *layout
	descs      *descs
	refreshers map[string]*running
	// current is what Collect reads, without locks.
	current atomic.Pointer[[]*refresher]
}

// running is a refresher and the means to stop it.
type running struct {
	r *refresher
	// cfg is the configuration last given to r.
	cfg    config.Enrollment
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns an Exporter with no enrollments; Apply gives it some.
func New(ctx context.Context, opts Options) *Exporter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	e := &Exporter{opts: opts, api: newAPIMetrics(opts.Registerer), ctx: ctx, refreshers: map[string]*running{}}
	e.current.Store(&[]*refresher{})
	return e
}

// Apply switches to cfg. A reload keeps what it does not make wrong (see
// reload.go): an enrollment whose fetched data does not change keeps its
// refresher, which publishes a snapshot with the new configuration at once;
// one whose source or usage layout changed gets a new refresher that starts
// from the old one's data; removed ones stop. If a data source cannot be
// made, Apply returns the error and changes nothing.
func (e *Exporter) Apply(cfg *config.Config) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := newLayout(cfg)
	d := e.descs
	if e.layout == nil || !e.layout.equal(l) {
		d = newDescs(l)
	} else {
		l = e.layout
	}

	// Every source first, so that an error changes nothing.
	sources := map[string]apiclient.Source{}
	wanted := map[string]bool{}
	for _, ec := range cfg.Enrollments {
		wanted[ec.Enrollment] = true
		if old, ok := e.refreshers[ec.Enrollment]; ok && reflect.DeepEqual(fetchSettings(old.cfg), fetchSettings(ec)) {
			continue
		}
		src, err := e.opts.NewSource(ec, e.api.observer(ec.Enrollment), e.opts.Logger)
		if err != nil {
			return fmt.Errorf("enrollment %s: %w", ec.Enrollment, err)
		}
		sources[ec.Enrollment] = src
	}
	// Replaced refreshers stop before their data seeds the new ones, which
	// then own it alone.
	var stopped []*running
	for id, old := range e.refreshers {
		if _, replaced := sources[id]; replaced || !wanted[id] {
			old.cancel()
			stopped = append(stopped, old)
			if !wanted[id] {
				e.api.forget(id)
			}
		}
	}
	for _, s := range stopped {
		<-s.done
	}

	next := map[string]*running{}
	var started []*running
	for _, ec := range cfg.Enrollments {
		old := e.refreshers[ec.Enrollment]
		src, replaced := sources[ec.Enrollment]
		if !replaced {
			old.r.retarget(ec, l, d)
			old.cfg = ec
			next[ec.Enrollment] = old
			continue
		}
		r := newRefresher(ec, l, d, src, e.opts.Logger, e.opts.Now, e.opts.Interval)
		r.skippedRows = e.api.usageSkipped(ec.Enrollment)
		if old != nil {
			r.seed(old.r)
		}
		ctx, cancel := context.WithCancel(e.ctx)
		run := &running{r: r, cfg: ec, ctx: ctx, cancel: cancel, done: make(chan struct{})}
		next[ec.Enrollment] = run
		started = append(started, run)
	}
	e.layout, e.descs, e.refreshers = l, d, next
	list := make([]*refresher, 0, len(next))
	for _, id := range slices.Sorted(maps.Keys(next)) {
		list = append(list, next[id].r)
	}
	e.current.Store(&list)
	for _, run := range started {
		go func() {
			defer close(run.done)
			run.r.run(run.ctx)
		}()
	}
	return nil
}

// Stop stops every refresher and waits for them.
func (e *Exporter) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.refreshers {
		r.cancel()
	}
	for _, r := range e.refreshers {
		<-r.done
	}
	e.refreshers = map[string]*running{}
	e.current.Store(&[]*refresher{})
}

// Describe sends nothing: the usage labels follow the configuration, which can
// be reloaded, so the Exporter is an unchecked collector. Label consistency is
// ensured by the shared layout instead.
func (e *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect sends the current snapshot of every enrollment.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	for _, r := range *e.current.Load() {
		for _, m := range r.snap.Load().metrics {
			ch <- m
		}
	}
}

// DatasetStatus is one dataset's refresh state, for the landing page.
type DatasetStatus struct {
	Dataset     string
	Attempted   bool
	Success     bool
	Duration    time.Duration
	LastSuccess time.Time
}

// EnrollmentStatus is one enrollment's refresh state, for the landing page.
type EnrollmentStatus struct {
	Enrollment string
	Source     string
	Updated    time.Time
	Datasets   []DatasetStatus
}

// Status reports every enrollment's refresh state. It holds no secret.
func (e *Exporter) Status() []EnrollmentStatus {
	var out []EnrollmentStatus
	for _, r := range *e.current.Load() {
		s := r.snap.Load()
		es := EnrollmentStatus{Enrollment: s.cfg.Enrollment, Source: s.cfg.Source, Updated: s.updated}
		for _, ds := range config.AllDatasets {
			if !s.cfg.Enabled(ds) {
				continue
			}
			st := s.status[ds]
			es.Datasets = append(es.Datasets, DatasetStatus{
				Dataset: ds, Attempted: st.attempted, Success: st.success,
				Duration: st.duration, LastSuccess: st.lastSuccess,
			})
		}
		out = append(out, es)
	}
	return out
}
