package collector

import (
	"maps"
	"reflect"
	"slices"

	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// A reload keeps whatever an enrollment's new configuration does not make
// wrong. It compares three views of the old and the new configuration:
//
//   - fetchSettings: what data is fetched. When it is the same, the running
//     refresher is kept and only told the new configuration (retarget):
//     budgets and the currency fallback only change what the snapshot
//     shows; the usage tuning changes how usage is read, not what it is.
//   - the usage layout (dimensions and tag labels): the aggregation's key.
//     When it changed, the usage details must be read again.
//   - apiSettings: which API the data comes from. When it changed, the
//     usage details are still shown until read again, but they are read
//     again in full, not conditionally on the old API's ETags.
//
// Otherwise a new refresher (new source) starts from the old one's data
// (seed), so that nothing goes empty and no last success is forgotten, but
// for usage details read again for a new layout: pending until then.

// fetchSettings returns e without the settings that do not change what data
// is fetched.
func fetchSettings(e config.Enrollment) config.Enrollment {
	e.Currency, e.Budgets = "", nil
	e.UsageMethod, e.SettleDays, e.FullRefresh, e.CSVThresholdRows = "", nil, nil, nil
	return e
}

// apiSettings returns e without the settings that do not change which API
// the data comes from.
func apiSettings(e config.Enrollment) config.Enrollment {
	e = fetchSettings(e)
	e.APIKeyFile, e.Datasets, e.Dimensions, e.TagLabels = "", config.Datasets{}, nil, nil
	return e
}

// sameUsageLayout reports whether a and b aggregate usage by the same key.
func sameUsageLayout(a, b *config.Enrollment) bool {
	return slices.Equal(a.UsageDimensions(), b.UsageDimensions()) && slices.Equal(a.TagLabels, b.TagLabels)
}

// retarget gives a running refresher a configuration whose fetchSettings
// are its own, and the shared layout, and publishes a snapshot at once.
func (r *refresher) retarget(cfg config.Enrollment, l *layout, d *descs) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l == r.layout && reflect.DeepEqual(cfg, r.cfg) {
		return
	}
	if l != r.layout {
		// The kept series carry the old layout's labels.
		r.layout, r.descs, r.series = l, d, map[string]periodSeries{}
	}
	r.cfg = cfg
	r.publishLocked()
}

// seed gives r, a new refresher that has not run yet, the data of old, a
// stopped refresher of the same enrollment, that r's configuration does not
// make wrong, and publishes it.
func (r *refresher) seed(old *refresher) {
	old.mu.Lock()
	oldCfg, res, status := old.cfg, old.res, maps.Clone(old.status)
	old.mu.Unlock()
	old.usageSizes.mu.Lock()
	sizes := maps.Clone(old.usageSizes.perDay)
	old.usageSizes.mu.Unlock()

	r.mu.Lock()
	defer r.mu.Unlock()
	for ds, st := range status {
		if r.cfg.Enabled(ds) {
			r.status[ds] = st
		}
	}
	on := r.cfg.Enabled
	if on(config.DatasetBillingPeriods) {
		r.res.periods = res.periods
	}
	if on(config.DatasetBalanceSummary) {
		r.res.balances = res.balances
	}
	if on(config.DatasetMarketplaceCharges) {
		r.res.market = res.market
	}
	if on(config.DatasetPriceSheet) {
		r.res.prices, r.res.pricesPeriod = res.prices, res.pricesPeriod
	}
	if on(config.DatasetBudgets) {
		r.res.budgets = res.budgets
	}
	if on(config.DatasetUsageDetails) {
		r.usageSizes.perDay = sizes
	}
	if on(config.DatasetUsageDetails) && res.usage != nil {
		switch {
		case !sameUsageLayout(&oldCfg, &r.cfg):
			// Nothing is served until then: the dataset is pending, not
			// successful as of the old data's last success.
			delete(r.status, config.DatasetUsageDetails)
			level.Info(r.logger).Log("msg", "usage dimensions or tag labels changed: usage details are read again", "dataset", config.DatasetUsageDetails)
		case !reflect.DeepEqual(apiSettings(oldCfg), apiSettings(r.cfg)):
			r.res.usage = &usageResult{agg: res.usage.agg}
		default:
			r.res.usage = res.usage
		}
	}
	r.publishLocked()
}
