package collector

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// results holds the last good data of every dataset of one enrollment. Each
// field is immutable once stored; a refresh replaces a field when its
// dataset refreshed successfully, or when only some of its periods kept
// their last good data (see errNoDataLost).
type results struct {
	periods  []apiclient.BillingPeriod
	balances map[string]*apiclient.BalanceSummary
	usage    *usageResult
	market   map[string]marketAgg
	prices   *priceSheet
	// pricesPeriod is the period that was current when prices were read.
	pricesPeriod string
	// budgets are the budgets defined in Azure (arm source).
	budgets []apiclient.Budget
}

// datasetStatus is what the self-metrics say about one dataset.
type datasetStatus struct {
	attempted   bool
	success     bool
	duration    time.Duration
	lastSuccess time.Time
}

// snapshot is everything one enrollment exposes, rendered once per refresh
// into const metrics. Scrapes only read it, so concurrent scrapes see one
// whole refresh or another, never a mix.
type snapshot struct {
	metrics []prometheus.Metric
	// cfg, status and updated are kept for the landing page.
	cfg     *config.Enrollment
	status  map[string]datasetStatus
	updated time.Time
}

// refresher refreshes one enrollment's datasets in the background and
// publishes a new snapshot after each refresh.
type refresher struct {
	src      apiclient.Source
	logger   log.Logger
	now      func() time.Time
	interval time.Duration
	timeout  time.Duration

	running atomic.Bool
	snap    atomic.Pointer[snapshot]

	// mu guards what follows. cfg, layout and descs change when a reload
	// changes only what the snapshot shows (see retarget); a refresh
	// fetches with the cfg it started with. res and status are written by
	// refresh, and series, the usage series of the last snapshot, by
	// building one.
	mu     sync.Mutex
	cfg    config.Enrollment
	layout *layout
	descs  *descs
	res    results
	status map[string]datasetStatus
	series map[string]periodSeries
	// usageSizes outlives failed usage refreshes.
	usageSizes usageSizes
	// skippedRows counts the usage rows the source could not use whole;
	// the Exporter sets it before the refresher runs (nil: not counted).
	skippedRows prometheus.Counter
}

func newRefresher(cfg config.Enrollment, l *layout, d *descs, src apiclient.Source, logger log.Logger, now func() time.Time, interval time.Duration) *refresher {
	r := &refresher{
		cfg: cfg, layout: l, descs: d, src: src, now: now, interval: interval,
		logger: log.With(logger, "enrollment", cfg.Enrollment),
		// The deadline leaves a tenth of the interval free, so a slow API
		// never makes refreshes pile up.
		timeout: interval - interval/10,
		status:  map[string]datasetStatus{},
		series:  map[string]periodSeries{},
	}
	r.publish()
	return r
}

// run refreshes at once, then every interval with ±10% jitter so that many
// exporters do not hit the API in step, until ctx ends.
func (r *refresher) run(ctx context.Context) {
	for {
		r.refresh(ctx)
		jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(r.interval))
		t := time.NewTimer(r.interval + jitter)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// fetched is the outcome of one dataset's refresh.
type fetched struct {
	dataset string
	err     error
	dur     time.Duration
	// store stores the new data; nil when there is none (see fetch).
	store func(*results)
}

// refresh fetches every enabled dataset, concurrently but for those that run
// after others (see runsAfter), keeps the last good data of those that fail,
// and publishes one new snapshot once every dataset has ended: a scrape sees
// one whole refresh or another, never a mix. A refresh that finds another
// still running does nothing.
func (r *refresher) refresh(ctx context.Context) {
	if !r.running.CompareAndSwap(false, true) {
		level.Warn(r.logger).Log("msg", "previous refresh still running; skipping this one")
		return
	}
	defer r.running.Store(false)
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	p := pass{now: r.now()}
	p.cur, p.prev = periodsAround(p.now)
	r.mu.Lock()
	p.last, p.cfg = r.res, r.cfg
	r.mu.Unlock()
	var datasets []string
	for _, ds := range config.AllDatasets {
		if p.cfg.Enabled(ds) {
			datasets = append(datasets, ds)
		}
	}
	r.store(ctx, r.fetchAll(ctx, &p, datasets))
}

// runsAfter names the datasets whose refresh should end before dataset's
// starts, when they are enabled. The arm source lists the budgets of the
// departments that its cost reports have named: run before the usage and
// marketplace reads of the first refresh, the budgets would miss every
// department budget until the second.
func runsAfter(dataset string) []string {
	if dataset == config.DatasetBudgets {
		return []string{config.DatasetUsageDetails, config.DatasetMarketplaceCharges}
	}
	return nil
}

// fetchAll refreshes each of datasets, after those it runs after (see
// waitBefore), and returns their outcomes once every one has ended.
func (r *refresher) fetchAll(ctx context.Context, p *pass, datasets []string) []fetched {
	done := make(map[string]chan struct{}, len(datasets))
	for _, ds := range datasets {
		done[ds] = make(chan struct{})
	}
	out := make([]fetched, len(datasets))
	var wg sync.WaitGroup
	for i, ds := range datasets {
		wg.Go(func() {
			defer close(done[ds])
			r.waitBefore(ctx, ds, done)
			start := time.Now()
			store, err := r.fetch(ctx, p, ds)
			out[i] = fetched{dataset: ds, err: err, dur: time.Since(start), store: store}
		})
	}
	wg.Wait()
	return out
}

// waitBefore waits until the datasets that dataset runs after have ended
// (done), but no longer than until the last quarter of the refresh's time
// is left: a hung read must not fail the dataset waiting for it, which then
// runs with what the source knows by then.
func (r *refresher) waitBefore(ctx context.Context, dataset string, done map[string]chan struct{}) {
	before := runsAfter(dataset)
	if len(before) == 0 {
		return
	}
	deadline, _ := ctx.Deadline() // refresh gives every refresh one
	reserve := time.NewTimer(time.Until(deadline) - r.timeout/4)
	defer reserve.Stop()
	for _, ds := range before {
		ch, ok := done[ds]
		if !ok {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-reserve.C:
			level.Debug(r.logger).Log("msg", "refresh deadline near: not waiting any longer", "dataset", dataset, "for", ds)
			return
		}
	}
}

// store keeps the data of the datasets of batch that refreshed, records
// every one's status and publishes a new snapshot, unless the refresh was
// cancelled (shutting down or replaced): then it keeps nothing.
func (r *refresher) store(ctx context.Context, batch []fetched) {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, f := range batch {
		st := r.status[f.dataset]
		st.attempted, st.duration, st.success = true, f.dur, f.err == nil
		if f.store != nil {
			f.store(&r.res)
		}
		if f.err != nil {
			msg := "refresh failed; serving the last good data"
			if st.lastSuccess.IsZero() {
				msg = "refresh failed; no data yet"
			}
			level.Error(r.logger).Log("msg", msg, "dataset", f.dataset, "err", f.err)
		} else {
			st.lastSuccess = now
			level.Debug(r.logger).Log("msg", "refreshed", "dataset", f.dataset, "duration", f.dur)
		}
		r.status[f.dataset] = st
	}
	r.publishLocked()
}

// pass is what one refresh works from.
type pass struct {
	cfg       config.Enrollment
	now       time.Time
	cur, prev string
	// last is the data of the refreshes before, which incremental reads
	// build on and never modify.
	last results
}

// fetch runs one dataset's refresh and returns a function that stores its
// result: nil when the refresh failed, except for one that kept the last good
// data of some periods (errNoDataLost), which stores the others' data.
func (r *refresher) fetch(ctx context.Context, p *pass, dataset string) (func(*results), error) {
	cur, prev := p.cur, p.prev
	switch dataset {
	case config.DatasetBillingPeriods:
		p, err := r.src.BillingPeriods(ctx)
		return storing(func(res *results) { res.periods = p }, err)
	case config.DatasetBalanceSummary:
		b, lost, err := fetchBalances(ctx, r.src, p.last.balances, cur, prev)
		if err != nil {
			return nil, err
		}
		return func(res *results) { res.balances = b }, lost.err()
	case config.DatasetUsageDetails:
		ur := &usageReader{src: r.src, cfg: &p.cfg, now: p.now, prev: p.last.usage, sizes: &r.usageSizes,
			logger: r.logger, skippedRows: r.skippedRows}
		u, lost, err := ur.read(ctx, cur, prev)
		if err != nil {
			return nil, err
		}
		return func(res *results) { res.usage = u }, lost.err()
	case config.DatasetMarketplaceCharges:
		m, lost, err := fetchMarketplace(ctx, r.src, p.last.market, cur, prev)
		if err != nil {
			return nil, err
		}
		return func(res *results) { res.market = m }, lost.err()
	case config.DatasetPriceSheet:
		ps, err := fetchPriceSheet(ctx, r.src)
		if err == nil && len(ps.items) == 0 && p.last.pricesPeriod == cur && p.last.prices != nil && len(p.last.prices.items) > 0 {
			err = noDataLoss{"price sheet of " + cur}.err()
		}
		return storing(func(res *results) { res.prices, res.pricesPeriod = ps, cur }, err)
	case config.DatasetBudgets:
		bl, ok := r.src.(apiclient.BudgetLister)
		if !ok {
			return nil, errors.New("this source cannot read Azure budgets")
		}
		b, err := bl.Budgets(ctx)
		return storing(func(res *results) { res.budgets = b }, err)
	}
	return nil, errors.New("unknown dataset " + dataset)
}

// storing returns set and err, or no set when err failed the refresh.
func storing(set func(*results), err error) (func(*results), error) {
	if err != nil {
		return nil, err
	}
	return set, nil
}

func (r *refresher) publish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publishLocked()
}

func (r *refresher) publishLocked() {
	status := maps.Clone(r.status)
	cfg := r.cfg
	now := r.now()
	cur, prev := periodsAround(now)
	b := &builder{
		cfg: &cfg, layout: r.layout, d: r.descs, res: &r.res, status: status,
		cur: cur, prev: prev, series: r.series,
	}
	if ce, ok := r.src.(apiclient.CredentialExpirer); ok {
		b.keyExpiry, b.hasKeyExpiry = ce.CredentialExpiry()
	}
	r.snap.Store(&snapshot{metrics: presort(b.build()), cfg: &cfg, status: status, updated: now})
}

// periodsAround returns the billing periods (yyyyMM) of the calendar month of
// now and of the month before: EA billing periods are calendar months, UTC.
func periodsAround(now time.Time) (cur, prev string) {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.Format("200601"), first.AddDate(0, -1, 0).Format("200601")
}

// periodBounds returns the first and the last day of a yyyyMM period.
func periodBounds(period string) (first, last int32, ok bool) {
	t, err := time.Parse("200601", period)
	if err != nil {
		return 0, 0, false
	}
	return dayIndex(t), dayIndex(t.AddDate(0, 1, -1)), true
}
