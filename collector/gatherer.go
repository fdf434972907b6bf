package collector

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gatherer returns what /metrics should serve: live's metrics (the
// process's own, the API counters) and the Exporter's snapshots. The
// snapshots are gathered (written out, sorted, checked) once each time one
// of them changes, not at every scrape: a scrape of 100,000 usage series
// then only encodes what it is given. The Exporter must not be registered
// with live as well.
//
// The families it returns are shared by concurrent scrapes and must not be
// changed; promhttp's encoders only read them.
func (e *Exporter) Gatherer(live prometheus.Gatherer) prometheus.Gatherer {
	return &snapshotGatherer{e: e, live: live}
}

// snapshotGatherer caches the gathered families of one set of snapshots.
type snapshotGatherer struct {
	e    *Exporter
	live prometheus.Gatherer

	// mu makes concurrent scrapes after a refresh wait for one gathering
	// instead of each doing its own.
	mu       sync.Mutex
	from     []*snapshot
	families []*dto.MetricFamily
	err      error
	// gen counts the sets of snapshots gathered: 1 for the first.
	gen uint64
}

// Gather implements prometheus.Gatherer. Like a registry's, it returns what
// it could gather with the errors it met.
func (g *snapshotGatherer) Gather() ([]*dto.MetricFamily, error) {
	own, ownErr := g.snapshotFamilies()
	live, liveErr := g.live.Gather()
	out := make([]*dto.MetricFamily, 0, len(own)+len(live))
	out = append(out, live...)
	seen := make(map[string]bool, len(live))
	for _, mf := range live {
		seen[mf.GetName()] = true
	}
	var dupErr error
	for _, mf := range own {
		if seen[mf.GetName()] {
			dupErr = fmt.Errorf("metric family %s is both a snapshot's and a live one", mf.GetName())
			continue
		}
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, errors.Join(ownErr, liveErr, dupErr)
}

// snapshotFamilies gathers the current snapshots, unless they are the ones
// gathered last time.
func (g *snapshotGatherer) snapshotFamilies() ([]*dto.MetricFamily, error) {
	families, _, err := g.snapshotFamiliesGen()
	return families, err
}

// snapshotFamiliesGen is snapshotFamilies with the generation of the
// snapshots gathered.
func (g *snapshotGatherer) snapshotFamiliesGen() ([]*dto.MetricFamily, uint64, error) {
	refreshers := *g.e.current.Load()
	current := make([]*snapshot, len(refreshers))
	for i, r := range refreshers {
		current[i] = r.snap.Load()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.from != nil && slices.Equal(current, g.from) {
		return g.families, g.gen, g.err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(snapshotSet(current))
	g.families, g.err = reg.Gather()
	g.from = current
	g.gen++
	return g.families, g.gen, g.err
}

// snapshotSet collects the metrics of some snapshots.
type snapshotSet []*snapshot

// Describe sends nothing: the labels follow the configuration.
func (s snapshotSet) Describe(chan<- *prometheus.Desc) {}

// Collect sends every snapshot's metrics.
func (s snapshotSet) Collect(ch chan<- prometheus.Metric) {
	for _, snap := range s {
		for _, m := range snap.metrics {
			ch <- m
		}
	}
}
