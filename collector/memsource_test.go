package collector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// memRow is a usage row of a memSource, in plain strings.
type memRow struct {
	period           string
	date             string // yyyy-mm-dd
	cost, qty        float64
	billedSeparately bool
	values           map[apiclient.Dimension]string
	tags             map[string]string
}

// memSource is an in-memory apiclient.Source whose data and failures tests
// set directly.
type memSource struct {
	mu           sync.Mutex
	periods      []apiclient.BillingPeriod
	balances     map[string]*apiclient.BalanceSummary
	rows         []memRow
	market       map[string][]apiclient.MarketplaceCharge
	prices       []apiclient.PriceSheetItem
	fail         map[string]error // dataset name -> error to return
	expiry       time.Time
	azureBudgets []apiclient.Budget
	// version is part of every usage ETag: bump it to change the data.
	version    int
	usageCalls []apiclient.UsageQuery
	// skipped is what every usage read that returns rows says it skipped.
	skipped apiclient.UsageSkipped
}

func (m *memSource) err(dataset string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fail[dataset]
}

func (m *memSource) setFail(dataset string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail == nil {
		m.fail = map[string]error{}
	}
	m.fail[dataset] = err
}

func (m *memSource) BillingPeriods(context.Context) ([]apiclient.BillingPeriod, error) {
	if err := m.err("billing_periods"); err != nil {
		return nil, err
	}
	return m.periods, nil
}

func (m *memSource) BalanceSummary(_ context.Context, p string) (*apiclient.BalanceSummary, error) {
	if err := m.err("balance_summary"); err != nil {
		return nil, err
	}
	return m.balances[p], nil
}

func (m *memSource) Usage(_ context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	if err := m.err("usage_details"); err != nil {
		return err
	}
	m.mu.Lock()
	etag := fmt.Sprintf("v%d-%s-%s-%s", m.version, q.BillingPeriod, q.Start.Format("20060102"), q.End.Format("20060102"))
	m.usageCalls = append(m.usageCalls, q)
	m.mu.Unlock()
	if q.IfNoneMatch != "" && q.IfNoneMatch == etag {
		return apiclient.ErrNotModified
	}
	if q.ETag != nil {
		*q.ETag = etag
	}
	if q.Skipped != nil {
		*q.Skipped = m.skipped
	}
	var row apiclient.UsageRow
	for _, r := range m.rows {
		if q.Start.IsZero() && r.period != q.BillingPeriod {
			continue
		}
		if !q.Start.IsZero() && (r.date < q.Start.Format("2006-01-02") || r.date > q.End.Format("2006-01-02")) {
			continue
		}
		row = apiclient.UsageRow{Cost: r.cost, Quantity: r.qty, BilledSeparately: r.billedSeparately}
		row.Date, _ = time.Parse("2006-01-02", r.date)
		for d, v := range r.values {
			row.Values[d] = []byte(v)
		}
		row.Tags = nil
		for _, k := range q.TagKeys {
			// Azure tag names are case-insensitive; so is the decoder.
			row.Tags = append(row.Tags, []byte(r.tags[strings.ToLower(k)]))
		}
		if err := fn(&row); err != nil {
			return err
		}
		// The decoder owns the bytes: scribble over them to catch a
		// collector that keeps them past the callback.
		for d := range row.Values {
			for i := range row.Values[d] {
				row.Values[d][i] = '#'
			}
		}
	}
	return nil
}

func (m *memSource) MarketplaceCharges(_ context.Context, p string, fn func(*apiclient.MarketplaceCharge) error) error {
	if err := m.err("marketplace_charges"); err != nil {
		return err
	}
	for i := range m.market[p] {
		c := m.market[p][i]
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) PriceSheet(_ context.Context, _ string, fn func(*apiclient.PriceSheetItem) error) error {
	if err := m.err("price_sheet"); err != nil {
		return err
	}
	for i := range m.prices {
		it := m.prices[i]
		if err := fn(&it); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) CredentialExpiry() (time.Time, bool) { return m.expiry, !m.expiry.IsZero() }

func (m *memSource) Budgets(context.Context) ([]apiclient.Budget, error) {
	if err := m.err("budgets"); err != nil {
		return nil, err
	}
	return m.azureBudgets, nil
}
