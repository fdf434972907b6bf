package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// TestShortSoak is the CI version of the soak: 15 seconds of chaos against
// the race-enabled exporter binary, with every check of the long run.
func TestShortSoak(t *testing.T) {
	o, err := parseOptions([]string{"-duration=15s", "-refresh=3s", "-day-every=3s", "-key-every=7s", "-race", "-scrape-pause=250ms", "-dimensions=department,meter_category"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	awayFromMonthEnd(o.duration)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.write(&out)
	t.Logf("\n%s", out.String())
	for _, f := range rep.failures() {
		t.Error(f)
	}
	// The run must have exercised what it claims to.
	if rep.fake.FaultsInjected == 0 || sumCounts(rep.logs.refreshFailed) == 0 {
		t.Errorf("%d faults injected, %d refreshes failed: the chaos did not bite", rep.fake.FaultsInjected, sumCounts(rep.logs.refreshFailed))
	}
	if rep.keys.revoked == 0 || rep.keys.restored == 0 || rep.keys.rotated == 0 {
		t.Errorf("key events %+v: want a revocation, a restoration and a rotation", rep.keys)
	}
	if rep.scrapes.ok < o.scrapers || len(rep.scrapes.versionsSeen) == 0 {
		t.Errorf("%d scrapes checked, usage versions seen %v: too little was checked", rep.scrapes.ok, rep.scrapes.versionsSeen)
	}
	if rep.versionsServed < 2 && len(rep.versions) >= 2 {
		t.Errorf("%d data versions served: the clock did not move", rep.versionsServed)
	}
}

// awayFromMonthEnd waits, in the last minutes of a UTC month, for the next
// month to begin: a run that crosses midnight sees the exporter move to the
// next billing period, which the soak refuses to check.
func awayFromMonthEnd(d time.Duration) {
	now := time.Now().UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	if left := next.Sub(now); left < d+2*time.Minute {
		time.Sleep(left + time.Second)
	}
}

// testVersions returns the truths of the first two days of the fake's
// current month.
func testVersions(t *testing.T) (cur, prev string, versions []dataVersion) {
	t.Helper()
	var now time.Time
	fake := fakeapi.New(fakeapi.Options{LatencyDays: -1, Now: func() time.Time { return now }})
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cur, prev = "202603", "202602"
	for i := range 2 {
		now = first.AddDate(0, 0, i)
		versions = append(versions, dataVersion{day: now, cur: fake.Truth(cur), prev: fake.Truth(prev)})
	}
	return cur, prev, versions
}

// exposition renders what a correct exporter would show for version v:
// one usage series per department, the balance and the marketplace total.
func exposition(cur, prev string, v dataVersion) string {
	var b strings.Builder
	b.WriteString("# TYPE azure_ea_usage_cost gauge\n")
	for _, dept := range slices.Sorted(maps.Keys(v.cur.CostByDepartment)) {
		fmt.Fprintf(&b, "azure_ea_usage_cost{billing_period=%q,department=%q} %v\n", cur, dept, v.cur.CostByDepartment[dept])
	}
	for _, dept := range slices.Sorted(maps.Keys(v.prev.CostByDepartment)) {
		fmt.Fprintf(&b, "azure_ea_usage_cost{billing_period=%q,department=%q} %v\n", prev, dept, v.prev.CostByDepartment[dept])
	}
	fmt.Fprintf(&b, "# TYPE azure_ea_usage_records gauge\nazure_ea_usage_records{billing_period=%q} %d\n", cur, v.cur.UsageRows)
	fmt.Fprintf(&b, "# TYPE azure_ea_credit_ending_balance gauge\nazure_ea_credit_ending_balance{billing_period=%q} %v\n", cur, v.cur.Balance.EndingBalance)
	fmt.Fprintf(&b, "# TYPE azure_ea_usage_charges gauge\nazure_ea_usage_charges{billing_period=%q} %v\n", cur, v.cur.Balance.TotalUsage)
	fmt.Fprintf(&b, "# TYPE azure_ea_marketplace_cost gauge\nazure_ea_marketplace_cost{billing_period=%q} %v\n", cur, v.cur.MarketplaceCost)
	return b.String()
}

func parseText(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func TestCheckerAcceptsOnlyServedVersions(t *testing.T) {
	cur, prev, versions := testVersions(t)
	servedUpTo := 1
	chk := &checker{cur: cur, prev: prev, versions: versions, served: func(i int) bool { return i <= servedUpTo }}
	for i, v := range versions {
		got := chk.check(parseText(t, exposition(cur, prev, v)))
		if got.usageVersion != i || len(got.problems) != 0 {
			t.Errorf("version %d: matched %d, problems %q", i, got.usageVersion, got.problems)
		}
	}
	if got := chk.check(parseText(t, "")); got.usageVersion != -1 || len(got.problems) != 0 {
		t.Errorf("empty scrape: matched %d, problems %q", got.usageVersion, got.problems)
	}
	servedUpTo = 0
	if got := chk.check(parseText(t, exposition(cur, prev, versions[1]))); len(got.problems) == 0 {
		t.Error("a version the fake has not served yet was accepted")
	}
}

func TestCheckerFindsMixedSnapshots(t *testing.T) {
	cur, prev, versions := testVersions(t)
	chk := &checker{cur: cur, prev: prev, versions: versions, served: func(int) bool { return true }}
	old, next := exposition(cur, prev, versions[0]), exposition(cur, prev, versions[1])
	oldLines, nextLines := strings.Split(old, "\n"), strings.Split(next, "\n")
	// The first department's series of the newer version with the rest of
	// the older one: the total and the split then match neither.
	mixed := strings.Join(append([]string{nextLines[0], nextLines[1]}, oldLines[2:]...), "\n")
	for name, text := range map[string]string{
		"one series from another version": mixed,
		"a cent off": strings.Replace(old, "\nazure_ea_usage_records{",
			"\nazure_ea_usage_cost{billing_period=\""+cur+"\",department=\"x\"} 0.01\nazure_ea_usage_records{", 1),
		"rows of another version": strings.Replace(old, fmt.Sprintf("} %d\n", versions[0].cur.UsageRows), fmt.Sprintf("} %d\n", versions[1].cur.UsageRows), 1),
		"balance of another version": strings.Replace(old, fmt.Sprint(versions[0].cur.Balance.EndingBalance),
			fmt.Sprint(versions[1].cur.Balance.EndingBalance), 1),
		"marketplace doubled": strings.Replace(old, fmt.Sprintf("} %v\n", versions[0].cur.MarketplaceCost),
			fmt.Sprintf("} %v\n", 2*versions[0].cur.MarketplaceCost), 1),
	} {
		if text == old {
			t.Fatalf("%s: the exposition did not change", name)
		}
		if got := chk.check(parseText(t, text)); len(got.problems) == 0 {
			t.Errorf("%s: not found", name)
		}
	}
}

func TestSecretIndex(t *testing.T) {
	key := fakeapi.NewJWTKey(time.Unix(2000000000, 0))
	x := newSecretIndex()
	x.add(key)
	parts := strings.Split(key, ".")
	for name, text := range map[string]string{
		"whole key":        "auth=" + key,
		"signature part":   "x " + parts[2][40:60] + " y",
		"payload part":     parts[1][10:30],
		"key across lines": "bearer " + key[:len(key)/2],
	} {
		if !x.find(text) {
			t.Errorf("%s: not found", name)
		}
	}
	for name, text := range map[string]string{
		"the JWT header, the same for every key": parts[0],
		"a short piece":                          parts[2][:partLen-1],
		"another key's signature":                strings.Split(fakeapi.NewJWTKey(time.Unix(2000000000, 0)), ".")[2],
	} {
		if x.find(text) {
			t.Errorf("%s: found", name)
		}
	}
}

func TestLogScanner(t *testing.T) {
	x := newSecretIndex()
	key := fakeapi.NewJWTKey(time.Time{})
	x.add(key)
	l := newLogScanner(x)
	l.scan(strings.NewReader(strings.Join([]string{
		`{"level":"debug","msg":"refreshed","dataset":"usage_details"}`,
		`{"level":"error","msg":"refresh failed; serving the last good data","dataset":"usage_details","err":"usage_details: HTTP 401: API key rejected: expired or revoked?"}`,
		`{"level":"error","msg":"refresh failed; serving the last good data","dataset":"balance_summary","err":"balance_summary: context deadline exceeded"}`,
		`{"level":"debug","msg":"API request","endpoint":"usage_details"}`,
		`{"level":"error","msg":"web server failed"}`,
		`{"level":"debug","msg":"leak","auth":"` + key + `"}`,
		`panic: runtime error: index out of range`,
		`goroutine 1 [running]:`,
	}, "\n")))
	c := l.counts()
	want := logCounts{lines: 8, refreshOK: map[string]int{"usage_details": 1},
		refreshFailed: map[string]int{"usage_details": 1, "balance_summary": 1}, keyRejected: 1, apiRequests: 1,
		causes: map[string]int{"key rejected": 1, "deadline": 1},
		errors: 1, crashes: 1, unstructured: 1, leaks: 1}
	got := c
	got.examples = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts\n%+v, want\n%+v", got, want)
	}
	for _, e := range c.examples {
		if x.find(e) {
			t.Errorf("an example shows the key: %q", e)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions(nil, io.Discard)
	if err != nil || o.duration != 10*time.Minute || o.scrapers != 50 || o.refresh != 2*time.Second || o.faultRate != 0.2 || len(o.faults) != 9 {
		t.Errorf("defaults %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"-faults=throttle,meteor"}, {"-fault-rate=1.5"}, {"-duration=1s"}, {"-scrapers=0"}, {"-refresh=100ms"},
	} {
		if _, err := parseOptions(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
