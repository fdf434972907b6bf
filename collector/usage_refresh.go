package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// usageResult is the usage dataset's last good data and what the next refresh
// needs to read only what can still change.
type usageResult struct {
	agg   *usageAgg
	state map[string]periodState
}

// periodState remembers how a period was last read. A period is read as two
// custom date ranges: the settled days, which change no more (read in full
// once, then again every FullRefresh, conditionally on their ETag), and the
// window of the last SettleDays days up to today, which late usage data can
// still change (read at every refresh, conditionally on its ETag).
type periodState struct {
	settledFrom, settledTo int32
	settledETag            string
	settledAt              time.Time
	winFrom, winTo         int32
	winETag                string
	// rowsPerDay estimates the period's row count per day, to choose the CSV
	// download for large reads.
	rowsPerDay float64
}

// usageReader runs one refresh of the usage dataset.
type usageReader struct {
	src  apiclient.Source
	cfg  *config.Enrollment
	now  time.Time
	prev *usageResult
	// sizes, when set, outlives the refresh (see usageSizes).
	sizes *usageSizes
	// logger and skippedRows, when set, receive the rows that a read could
	// not use whole (see reportSkipped).
	logger      log.Logger
	skippedRows prometheus.Counter
}

// usageSizes remembers how many rows a day of each period held in reads
// that did not finish. The download method is chosen from the size of the
// last complete read; without this, a period too large to page through as
// JSON before the refresh deadline would be paged through again at every
// refresh, and never finish. With it, the next refresh downloads the CSV.
type usageSizes struct {
	mu     sync.Mutex
	perDay map[string]float64
}

// observe records that a read of a period saw rows rows over days days.
func (s *usageSizes) observe(period string, rows int, days int32) {
	if s == nil || rows == 0 || days <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perDay == nil {
		s.perDay = map[string]float64{}
	}
	s.perDay[period] = max(s.perDay[period], float64(rows)/float64(days))
}

// rowsPerDay is the largest rows per day seen in a period's unfinished reads.
func (s *usageSizes) rowsPerDay(period string) float64 {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perDay[period]
}

// read refreshes every period and returns the new result, and the ranges
// that kept their last good data because the API answered no data for them
// (see refreshRange). The previous result is never modified: days that are
// kept are shared, days that are read again are new objects.
func (u *usageReader) read(ctx context.Context, periods ...string) (*usageResult, noDataLoss, error) {
	var agg *usageAgg
	state := map[string]periodState{}
	if u.prev != nil && u.prev.agg.periods[periods[0]] != nil {
		agg = u.prev.agg.next()
	} else {
		// First refresh, or a new month: start afresh, which also lets the
		// intern table forget the values of periods no longer exported.
		agg = newUsageAgg(u.cfg.UsageDimensions(), len(u.cfg.TagLabels))
	}
	unchanged := u.prev != nil && agg.internTable == u.prev.agg.internTable && len(u.prev.agg.periods) == len(periods)
	var lost noDataLoss
	for _, p := range periods {
		var old, known *periodAgg
		var st periodState
		if u.prev != nil {
			known = u.prev.agg.periods[p]
		}
		if u.prev != nil && agg.internTable == u.prev.agg.internTable {
			old, st = known, u.prev.state[p]
		}
		pr := periodRead{agg: agg, period: p, old: old, known: known, st: st}
		if err := u.readPeriod(ctx, &pr); err != nil {
			return nil, nil, fmt.Errorf("usage details of %s: %w", p, err)
		}
		agg.periods[p], state[p] = pr.pa, pr.st
		lost = append(lost, pr.lost...)
		unchanged = unchanged && old != nil && !pr.changed
	}
	if unchanged {
		// Nothing was read again: keep the previous aggregation, whose
		// metrics the snapshot can then reuse (see builder.series).
		return &usageResult{agg: u.prev.agg, state: state}, lost, nil
	}
	agg.closeDays()
	return &usageResult{agg: agg, state: state}, lost, nil
}

// periodRead is the refresh of one period: what it builds on, and what it
// made.
type periodRead struct {
	agg    *usageAgg
	period string
	// old is the period's last good aggregation when agg builds on it;
	// known is that aggregation whatever agg builds on, which an answer of
	// no data must not wipe.
	old, known *periodAgg
	// st is the period's state, updated for the ranges that were read.
	st periodState
	// pa is the period's new aggregation; changed says whether any of its
	// days was read again; lost names the ranges that kept known's days.
	pa      *periodAgg
	changed bool
	lost    noDataLoss
}

// readPeriod brings one period up to date.
func (u *usageReader) readPeriod(ctx context.Context, pr *periodRead) error {
	first, last, ok := periodBounds(pr.period)
	if !ok {
		return fmt.Errorf("bad billing period %q", pr.period)
	}
	st := &pr.st
	rowsPerDay := max(st.rowsPerDay, u.sizes.rowsPerDay(pr.period))
	today := dayIndex(u.now.UTC().Truncate(24 * time.Hour))
	winFrom, winTo := max(first, today-int32(*u.cfg.SettleDays)), min(last, today)
	settledTo := min(last, winFrom-1)

	pr.pa = &periodAgg{days: map[int32]*dayAgg{}}
	if pr.old != nil {
		for d, day := range pr.old.days {
			pr.pa.days[d] = day
		}
	}
	fullDue := pr.old == nil || u.now.Sub(st.settledAt) >= time.Duration(*u.cfg.FullRefresh)
	if settledTo >= first && fullDue {
		etag := ""
		if st.settledFrom == first && st.settledTo == settledTo {
			etag = st.settledETag
		}
		newETag, outcome, err := u.refreshRange(ctx, pr, first, settledTo, etag, rowsPerDay)
		if err != nil {
			return err
		}
		switch outcome {
		case rangeRead:
			st.settledETag = newETag
			pr.changed = true
			fallthrough
		case rangeNotModified:
			st.settledFrom, st.settledTo, st.settledAt = first, settledTo, u.now
		}
	}
	if winFrom <= winTo {
		etag := ""
		if pr.old != nil && st.winFrom == winFrom && st.winTo == winTo {
			etag = st.winETag
		}
		newETag, outcome, err := u.refreshRange(ctx, pr, winFrom, winTo, etag, rowsPerDay)
		if err != nil {
			return err
		}
		switch outcome {
		case rangeRead:
			st.winETag = newETag
			pr.changed = true
			fallthrough
		case rangeNotModified:
			st.winFrom, st.winTo = winFrom, winTo
		}
	}
	if n := min(today, last) - first + 1; n > 0 {
		st.rowsPerDay = float64(pr.pa.rows()) / float64(n)
	}
	return nil
}

// rangeOutcome is what the refresh of a range of days did.
type rangeOutcome int

const (
	// rangeNotModified: the API said the days did not change.
	rangeNotModified rangeOutcome = iota
	// rangeRead: the days were replaced with what was read.
	rangeRead
	// rangeLost: the API answered no data for days that had data; they
	// keep their last good data, and their state, so that the next
	// refresh reads them again.
	rangeLost
)

// refreshRange refreshes days [from, to] of pr.pa (see readRange). A read
// that leaves them without a row while pr.known had some puts known's
// days back: an answer of "no data" replaces nothing.
func (u *usageReader) refreshRange(ctx context.Context, pr *periodRead, from, to int32, etag string, rowsPerDay float64) (string, rangeOutcome, error) {
	newETag, changed, err := u.readRange(ctx, pr.agg, pr.pa, pr.period, from, to, etag, rowsPerDay)
	switch {
	case err != nil:
		return "", rangeNotModified, err
	case !changed:
		return etag, rangeNotModified, nil
	case pr.pa.rowsIn(from, to) > 0 || pr.known.rowsIn(from, to) == 0:
		return newETag, rangeRead, nil
	}
	pr.agg.adoptDays(pr.pa, pr.known, u.prev.agg.internTable, from, to)
	pr.lost = append(pr.lost, fmt.Sprintf("usage details of %s, days %s to %s", pr.period,
		dayTime(from).Format(time.DateOnly), dayTime(to).Format(time.DateOnly)))
	return "", rangeLost, nil
}

// readRange reads the usage of days [from, to] and, unless the API says they
// did not change since the answer that carried etag, replaces those days of
// pa with what it read. It returns the new ETag and whether anything changed.
func (u *usageReader) readRange(ctx context.Context, agg *usageAgg, pa *periodAgg, period string, from, to int32, etag string, rowsPerDay float64) (string, bool, error) {
	method := u.method(rowsPerDay * float64(to-from+1))
	fresh, newETag, err := u.readDays(ctx, agg, period, from, to, etag, method)
	if errors.Is(err, errReadAsCSV) {
		// The first days showed a read far larger than expected: download
		// it instead of paging through it.
		fresh, newETag, err = u.readDays(ctx, agg, period, from, to, etag, apiclient.UsageCSV)
	}
	if errors.Is(err, apiclient.ErrNotModified) {
		return etag, false, nil
	}
	if err != nil {
		return "", false, err
	}
	for d := from; d <= to; d++ {
		if day := fresh.days[d]; day != nil {
			pa.days[d] = day
		} else {
			delete(pa.days, d)
		}
	}
	return newETag, true, nil
}

// errReadAsCSV stops a read by JSON pages that turns out too large for them.
var errReadAsCSV = errors.New("usage read larger than csv_threshold_rows: reading it as CSV")

// readDays reads the usage of days [from, to] by method into fresh days.
// A read by the default method stops with errReadAsCSV as soon as its
// complete days, rows arriving day by day, say it will pass the CSV
// threshold; a read that fails still tells u.sizes how large it was.
func (u *usageReader) readDays(ctx context.Context, agg *usageAgg, period string, from, to int32, etag string, method apiclient.UsageMethod) (*periodAgg, string, error) {
	fresh := &periodAgg{days: map[int32]*dayAgg{}}
	stage := &pageStage{agg: agg, period: fresh}
	threshold := float64(*u.cfg.CSVThresholdRows)
	// Only the EA API pages through JSON by default; the replacement API
	// always reads a report.
	switchable := method == apiclient.UsageAuto && threshold > 0 && u.cfg.Source == config.SourceEA
	seen, lastDay := 0, from
	var newETag string
	var skipped apiclient.UsageSkipped
	q := apiclient.UsageQuery{
		Start: dayTime(from), End: dayTime(to), TagKeys: u.cfg.TagLabels,
		Method: method, IfNoneMatch: etag, ETag: &newETag, Staging: stage, Skipped: &skipped,
	}
	err := u.src.Usage(ctx, q, func(row *apiclient.UsageRow) error {
		// A range read cannot place a row without a date: the daily
		// reread of the settled days would count it twice.
		if row.Date.IsZero() {
			return nil
		}
		if d := dayIndex(row.Date); d > lastDay {
			if switchable && float64(seen)/float64(d-from)*float64(to-from+1) >= threshold {
				return errReadAsCSV
			}
			lastDay = d
		}
		stage.add(row)
		seen++
		return nil
	})
	if err != nil {
		u.sizes.observe(period, seen, min(lastDay, to)-from+1)
		return nil, "", err
	}
	// A source that returns without ending a page it began has delivered
	// the page whole.
	stage.Commit()
	u.reportSkipped(period, from, to, skipped)
	return fresh, newETag, nil
}

// reportSkipped makes visible the rows that a read of days [from, to] could
// not use whole: one warning per read, with the count and the first reason
// (which names fields, never a row's values), and the self-metric. A read
// that fails reports nothing: its rows are not used, and it is read again.
func (u *usageReader) reportSkipped(period string, from, to int32, skipped apiclient.UsageSkipped) {
	if skipped.Rows == 0 {
		return
	}
	if u.skippedRows != nil {
		u.skippedRows.Add(float64(skipped.Rows))
	}
	if u.logger != nil {
		level.Warn(u.logger).Log("msg", "usage rows skipped: fields that cannot be read", "dataset", config.DatasetUsageDetails,
			"billing_period", period, "from", dayTime(from).Format(time.DateOnly), "to", dayTime(to).Format(time.DateOnly),
			"rows", skipped.Rows, "first_reason", skipped.Reason)
	}
}

// method picks the download method of a read expected to return rows rows.
func (u *usageReader) method(rows float64) apiclient.UsageMethod {
	m := u.cfg.Method()
	if m == apiclient.UsageAuto && rows >= float64(*u.cfg.CSVThresholdRows) && *u.cfg.CSVThresholdRows > 0 {
		return apiclient.UsageCSV
	}
	return m
}
