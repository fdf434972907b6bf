package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// hierarchy of the simulated enrollment of the refresh run: 72
// subscriptions, a large enrollment's few thousand usage series.
const refreshDepartments, refreshAccounts, refreshSubscriptions = 8, 3, 3

// refreshResult is what the refresh run measured.
type refreshResult struct {
	rows, rowsPerDay        int
	days                    int
	firstUsage, firstWall   time.Duration
	secondUsage             time.Duration
	firstBytes, secondBytes int64
	firstRequests           int
	secondRequests          int
	notModified             int
	series                  int
	exporterRows            float64
	exporterCost            float64
	method                  string
	truthCost               float64
	// exporter is the exporter's memory from its start to its first
	// complete snapshot (hwm: VmHWM then), peakRSS its VmHWM after the
	// second refresh.
	exporter processMemory
	peakRSS  int64
	naive    []*naiveResult // streaming, then keeping the rows
	// naiveBinary is the size of the naive client's executable.
	naiveBinary int64
}

// processMemory is what the load test saw of one process's memory.
type processMemory struct {
	binary int64 // size of the executable
	hwm    int64 // VmHWM at the end of the measured span
	rss    rssPeaks
}

// periodsNow are the two periods the exporter exports now (yyyyMM).
func periodsNow() (cur, prev string) {
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.Format("200601"), first.AddDate(0, -1, 0).Format("200601")
}

// dataDays is the number of days with usage data in both periods, as the
// fake serves them now.
func dataDays(opts fakeapi.Options) int {
	opts.RowsPerDay = 1
	f := fakeapi.New(opts)
	cur, prev := periodsNow()
	return f.Truth(cur).UsageRows + f.Truth(prev).UsageRows
}

// refreshRun measures two refreshes of an enrollment with o.rows usage rows,
// and the naive client on the same data.
func refreshRun(ctx context.Context, o options, bin, work string) (*refreshResult, error) {
	opts := fakeapi.Options{Departments: refreshDepartments, AccountsPerDepartment: refreshAccounts,
		SubscriptionsPerAccount: refreshSubscriptions, PageSize: fakeapi.DefaultPageSize}
	res := &refreshResult{days: dataDays(opts), method: o.method}
	if res.days == 0 {
		return nil, fmt.Errorf("the fake has no usage days now")
	}
	res.rowsPerDay = (o.rows + res.days - 1) / res.days
	opts.RowsPerDay = res.rowsPerDay
	f, err := serveFake(opts)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cur, prev := periodsNow()
	for _, p := range []string{cur, prev} {
		t := f.Truth(p)
		res.rows += t.UsageRows
		res.truthCost += t.UsageCost
	}
	cfg, err := writeSetup(work, "refresh", f, nil, o.method)
	if err != nil {
		return nil, err
	}
	if res.exporter.binary, err = fileSize(bin); err != nil {
		return nil, err
	}
	if err := res.measureExporter(ctx, o, f, bin, cfg, filepath.Join(work, "refresh.log")); err != nil {
		return nil, err
	}
	if !o.naive {
		return res, nil
	}
	if res.naiveBinary, err = fileSize(o.naiveBin); err != nil {
		return nil, err
	}
	for _, keep := range []bool{false, true} {
		before := f.Stats().BytesServed
		n, err := runNaive(ctx, o.naiveBin, f, work, keep, cur+","+prev)
		if err != nil {
			return nil, err
		}
		n.bytes = f.Stats().BytesServed - before
		res.naive = append(res.naive, n)
	}
	return res, nil
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// measureExporter runs the exporter through two refreshes, sampling its
// memory until the first is complete.
func (res *refreshResult) measureExporter(ctx context.Context, o options, f *fakeAPI, bin, cfg, logPath string) error {
	p, err := startExporter(ctx, bin, cfg, logPath, o.interval, true)
	if err != nil {
		return err
	}
	defer p.stop()
	first, err := p.waitRefresh(ctx, nil, o.interval)
	if err != nil {
		return err
	}
	res.firstWall = time.Since(p.started)
	if res.exporter.rss, err = p.rss.stop(); err != nil {
		return err
	}
	if res.exporter.hwm, err = p.peakRSS(); err != nil {
		return err
	}
	res.firstUsage = first["usage_details"].duration
	st1 := f.Stats()
	res.firstBytes, res.firstRequests = st1.BytesServed, total(st1.Requests)
	second, err := p.waitRefresh(ctx, first, 2*o.interval)
	if err != nil {
		return err
	}
	st2 := f.Stats()
	res.secondUsage = second["usage_details"].duration
	res.secondBytes, res.secondRequests = st2.BytesServed-st1.BytesServed, total(st2.Requests)-res.firstRequests
	res.notModified = st2.NotModified - st1.NotModified
	if res.peakRSS, err = p.peakRSS(); err != nil {
		return err
	}
	body, err := p.get(ctx, "/metrics")
	if err != nil {
		return err
	}
	u, err := parseUsage(bytes.NewReader(body))
	if err != nil {
		return err
	}
	res.series, res.exporterRows, res.exporterCost = u.series, u.rows, u.cost
	return nil
}

func total(m map[fakeapi.Route]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
