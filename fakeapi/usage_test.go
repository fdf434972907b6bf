package fakeapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sumsOf aggregates decoded rows the way a client would, in serving order.
type rowSums struct {
	rows                 int
	cost, qty            float64
	byDept, bySub, byCat map[string]float64
	billedSeparately     float64
	latestDay            string
	latestDayCostByDept  map[string]float64
}

func newRowSums() *rowSums {
	return &rowSums{byDept: map[string]float64{}, bySub: map[string]float64{}, byCat: map[string]float64{},
		latestDayCostByDept: map[string]float64{}}
}

func (s *rowSums) add(day, dept, sub, cat string, cost, qty float64, billed bool) {
	s.rows++
	s.cost += cost
	s.qty += qty
	s.byDept[dept] += cost
	s.bySub[sub] += cost
	s.byCat[cat] += cost
	if billed {
		s.billedSeparately += cost
	}
	if day > s.latestDay {
		s.latestDay = day
		s.latestDayCostByDept = map[string]float64{}
	}
	if day == s.latestDay {
		s.latestDayCostByDept[dept] += cost
	}
}

func sumJSONRows(t *testing.T, rows []usageRowJSON) *rowSums {
	s := newRowSums()
	for _, r := range rows {
		billed, _ := r.ChargesBilledSeparately.(bool)
		s.add(r.Date[:10], r.DepartmentName, r.SubscriptionGUID, r.MeterCategory, num(t, r.Cost), num(t, r.ConsumedQuantity), billed)
	}
	return s
}

// checkAgainstTruth compares sums with the truth: exactly when they were
// added in serving order, approximately otherwise.
func checkAgainstTruth(t *testing.T, got *rowSums, want PeriodTruth, exact bool) {
	t.Helper()
	eq := func(a, b float64) bool { return a == b || (!exact && near(a, b)) }
	if got.rows != want.UsageRows || !eq(got.cost, want.UsageCost) || !eq(got.qty, want.UsageQuantity) ||
		!eq(got.billedSeparately, want.BilledSeparatelyCost) {
		t.Errorf("rows %d cost %v qty %v billed %v; truth %d %v %v %v", got.rows, got.cost, got.qty,
			got.billedSeparately, want.UsageRows, want.UsageCost, want.UsageQuantity, want.BilledSeparatelyCost)
	}
	for name, pair := range map[string][2]map[string]float64{
		"department": {got.byDept, want.CostByDepartment}, "subscription": {got.bySub, want.CostBySubscription},
		"category": {got.byCat, want.CostByMeterCategory}, "latest day": {got.latestDayCostByDept, want.LatestDayCostByDepartment},
	} {
		g, w := pair[0], pair[1]
		if len(g) != len(w) {
			t.Errorf("%s: %d keys, truth %d", name, len(g), len(w))
		}
		for k, v := range w {
			if !eq(g[k], v) {
				t.Errorf("%s %q: %v, truth %v", name, k, g[k], v)
			}
		}
	}
	if got.latestDay != want.LatestDay.Format("2006-01-02") {
		t.Errorf("latest day %s, truth %s", got.latestDay, want.LatestDay)
	}
}

func TestUsagePagingMatchesTruth(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 37, PageSize: 100})
	for _, period := range f.s.Periods() {
		for _, path := range []string{
			enr("v3") + "/billingPeriods/" + period + "/usagedetails",
			enr("v2") + "/billingperiods/" + period + "/usagedetails",
		} {
			rows, _, pages := f.followPages(path)
			truth := f.s.Truth(period)
			if want := (truth.UsageRows + 99) / 100; pages != want {
				t.Errorf("%s: %d pages, want %d", path, pages, want)
			}
			got := sumJSONRows(t, rows)
			if strings.HasPrefix(path, "/v2/") {
				got.billedSeparately = truth.BilledSeparatelyCost // v2 rows lack the field
			}
			checkAgainstTruth(t, got, truth, true)
		}
	}
	// The current-period route serves the current month.
	rows, _, _ := f.followPages(enr("v3") + "/usagedetails")
	checkAgainstTruth(t, sumJSONRows(t, rows), f.s.Truth("202611"), true)
}

func TestUsageDataCoversPreviousAndCurrentMonth(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 5})
	if got, want := strings.Join(f.s.Periods(), ","), "202611,202610"; got != want {
		t.Fatalf("periods %s, want %s", got, want)
	}
	prev, cur := f.s.Truth("202610"), f.s.Truth("202611")
	if prev.UsageRows != 31*5 || cur.UsageRows != 24*5 {
		t.Errorf("rows: previous %d (want 155), current %d (want 120: latency 1 day)", prev.UsageRows, cur.UsageRows)
	}
	if got := cur.LatestDay; !got.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("latest day %v", got)
	}
	if tr := f.s.Truth("202609"); tr.UsageRows != 0 || len(tr.CostByDepartment) != 0 {
		t.Errorf("a period without data has truth %+v", tr)
	}
	// Two months ago, the future and a period with no data answer an empty page.
	for _, p := range []string{"202609", "202612", "201401"} {
		var page usagePage
		decodeJSON(t, f.mustGet(enr("v3")+"/billingPeriods/"+p+"/usagedetails").body, &page)
		if len(page.Data) != 0 || page.NextLink != nil {
			t.Errorf("%s: %d rows, nextLink %v", p, len(page.Data), page.NextLink)
		}
	}
}

func TestLatencyDays(t *testing.T) {
	for _, tc := range []struct {
		latency int
		rows    int
	}{{0, 24}, {1, 24}, {3, 22}, {-1, 25}} {
		f := newFixture(t, Options{RowsPerDay: 1, LatencyDays: tc.latency})
		if got := f.s.Truth("202611").UsageRows; got != tc.rows {
			t.Errorf("LatencyDays %d: %d rows, want %d", tc.latency, got, tc.rows)
		}
	}
	// On the 1st with a day of latency, the current month has nothing yet.
	f := newFixture(t, Options{RowsPerDay: 1})
	f.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	if got := strings.Join(f.s.Periods(), ","); got != "202611" {
		t.Errorf("periods on the 1st: %s", got)
	}
	if got := f.s.Truth("202611").UsageRows; got != 30 {
		t.Errorf("November on Dec 1: %d rows, want 30", got)
	}
}

func TestCustomDateRangesSplitTheMonth(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 23, PageSize: 50})
	truth := f.s.Truth("202610")
	total := newRowSums()
	for _, r := range [][2]string{{"2026-10-01", "2026-10-01"}, {"2026-10-02", "2026-10-17"}, {"2026-10-18", "2026-10-31"}} {
		rows, _, _ := f.followPages(enr("v3") + "/usagedetailsbycustomdate?startTime=" + r[0] + "&endTime=" + r[1])
		for _, row := range rows {
			if d := row.Date[:10]; d < r[0] || d > r[1] {
				t.Errorf("range %v served a row of %s", r, d)
			}
			billed, _ := row.ChargesBilledSeparately.(bool)
			total.add(row.Date[:10], row.DepartmentName, row.SubscriptionGUID, row.MeterCategory,
				num(t, row.Cost), num(t, row.ConsumedQuantity), billed)
		}
	}
	checkAgainstTruth(t, total, truth, false)
	// A range across both months and beyond the data serves what is available.
	rows, _, _ := f.followPages(enr("v3") + "/usagedetailsbycustomdate?startTime=2026-09-01&endTime=2026-12-31")
	if want := truth.UsageRows + f.s.Truth("202611").UsageRows; len(rows) != want {
		t.Errorf("wide range: %d rows, want %d", len(rows), want)
	}
}

// readCSV parses a CSV report: preamble, header, rows.
func readCSV(t *testing.T, body []byte) (preamble string, header []string, rows [][]string) {
	t.Helper()
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	line, rest, ok := bytes.Cut(body, []byte("\r\n"))
	if !ok {
		t.Fatalf("no preamble line in %.200q", body)
	}
	r := csv.NewReader(bytes.NewReader(rest))
	all, err := r.ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if len(all) == 0 {
		t.Fatal("csv: no header")
	}
	return string(line), all[0], all[1:]
}

func sumCSVRows(t *testing.T, header []string, rows [][]string) *rowSums {
	t.Helper()
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	s := newRowSums()
	for _, r := range rows {
		cost, err1 := strconv.ParseFloat(r[col["Cost"]], 64)
		qty, err2 := strconv.ParseFloat(r[col["ConsumedQuantity"]], 64)
		day, err3 := time.Parse("01/02/2006", r[col["Date"]])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("row %v: %v %v %v", r, err1, err2, err3)
		}
		billed := false
		if i, ok := col["ChargesBilledSeparately"]; ok {
			billed = r[i] == "True"
		}
		s.add(day.Format("2006-01-02"), r[col["DepartmentName"]], r[col["SubscriptionGuid"]], r[col["MeterCategory"]], cost, qty, billed)
	}
	return s
}

func TestUsageDownloadCSV(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 29})
	for _, period := range f.s.Periods() {
		r := f.mustGet(enr("v3") + "/usagedetails/download?billingPeriod=" + period)
		if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("content type %q", ct)
		}
		pre, header, rows := readCSV(t, r.body)
		if !strings.HasPrefix(pre, "Usage Data Extract") || len(header) != 40 || header[0] != "AccountId" ||
			header[32] != "UnitOfMeasure" || header[39] != "ServiceTier" {
			t.Errorf("preamble %q header %v", pre, header)
		}
		checkAgainstTruth(t, sumCSVRows(t, header, rows), f.s.Truth(period), true)
	}
	// v2: the 33 columns only; a custom range of at most a month.
	r := f.mustGet(enr("v2") + "/usagedetails/download?startTime=2026-10-20&endTime=2026-11-19")
	_, header, rows := readCSV(t, r.body)
	if len(header) != 33 || len(rows) != 31*29 {
		t.Errorf("v2 range: %d columns, %d rows", len(header), len(rows))
	}
	for _, h := range header[:32] {
		if h > header[len(header)-1] && h != "UnitOfMeasure" {
			t.Errorf("v2 columns not alphabetical: %v", header)
			break
		}
	}
}

func TestUsageDownloadNoRows(t *testing.T) {
	f := newFixture(t, Options{})
	for _, q := range []string{"billingPeriod=202609", "billingPeriod=202612", "startTime=2026-11-25&endTime=2026-11-30"} {
		if r := f.get(enr("v3") + "/usagedetails/download?" + q); r.status != 404 {
			t.Errorf("%s: %d, want 404", q, r.status)
		}
	}
}

func TestUsageRowsAreRealistic(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 400, PageSize: 400})
	r := f.mustGet(enr("v3") + "/billingPeriods/202610/usagedetails")
	if !bytes.Contains(r.body, []byte(`\u00e9`)) || !bytes.Contains(r.body, []byte(`\"`)) || !bytes.Contains(r.body, []byte("Zürich")) {
		t.Error("page lacks escaped and non-ASCII text")
	}
	var page usagePage
	decodeJSON(t, r.body, &page)
	var emptyService, emptyRegion, billed, emptyTags, withTags int
	units := map[string]bool{}
	for _, raw := range page.Data {
		var m map[string]any
		decodeJSON(t, raw, &m)
		if len(m) != 40 {
			t.Fatalf("v3 row has %d fields", len(m))
		}
		var row usageRowJSON
		decodeJSON(t, raw, &row)
		if num(t, row.Cost) != num(t, row.ConsumedQuantity)*num(t, row.ResourceRate) {
			t.Errorf("cost %s != %s x %s", row.Cost, row.ConsumedQuantity, row.ResourceRate)
		}
		if len(row.Date) != 19 || !strings.HasSuffix(row.Date, "T00:00:00") {
			t.Errorf("date %q", row.Date)
		}
		if len(row.SubscriptionGUID) != 36 || len(row.MeterID) != 36 {
			t.Errorf("guids %q %q", row.SubscriptionGUID, row.MeterID)
		}
		if *row.Tags == "" {
			emptyTags++
		} else {
			var tags map[string]string
			if err := json.Unmarshal([]byte(*row.Tags), &tags); err != nil {
				t.Errorf("tags %q: %v", *row.Tags, err)
			}
			withTags++
		}
		if m["consumedService"] == "" {
			emptyService++
		}
		if m["meterRegion"] == "" {
			emptyRegion++
		}
		if m["chargesBilledSeparately"] == true {
			billed++
		}
		units[m["unitOfMeasure"].(string)] = true
		var info map[string]any
		if s := m["additionalInfo"].(string); s != "" && json.Unmarshal([]byte(s), &info) != nil {
			t.Errorf("additionalInfo %q", s)
		}
	}
	for name, n := range map[string]int{"empty consumedService": emptyService, "empty meterRegion": emptyRegion,
		"billed separately": billed, "no tags": emptyTags, "tags": withTags} {
		if n == 0 || n == len(page.Data) {
			t.Errorf("%s: %d of %d rows; want some", name, n, len(page.Data))
		}
	}
	for _, u := range []string{"10,000 s", "100 Hours", "Hours", "GB"} {
		if !units[u] {
			t.Errorf("no row with unit %q", u)
		}
	}
}

func TestUsageVersionsSelectFields(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 2})
	v3only := []string{"serviceName", "serviceTier", "location", "chargesBilledSeparately", "partNumber", "resourceGuid", "offerId"}
	for _, tc := range []struct {
		version string
		fields  int
		idKey   string
	}{{"v1", 33, "reportId"}, {"v2", 33, "id"}, {"v3", 40, "id"}} {
		var page map[string]json.RawMessage
		decodeJSON(t, f.mustGet(enr(tc.version)+"/usagedetails").body, &page)
		if _, ok := page[tc.idKey]; !ok {
			t.Errorf("%s: no %q in wrapper", tc.version, tc.idKey)
		}
		var rows []map[string]any
		decodeJSON(t, page["data"], &rows)
		for _, row := range rows {
			if len(row) != tc.fields {
				t.Errorf("%s: %d fields", tc.version, len(row))
			}
			for _, k := range v3only {
				if _, has := row[k]; has != (tc.fields == 40) {
					t.Errorf("%s: field %s present=%v", tc.version, k, has)
				}
			}
		}
	}
}

func TestUsageWithMillionsOfRows(t *testing.T) {
	// 50,000 rows a day: 1.2 million in the current period so far. Pages
	// come at once from anywhere in the month, since nothing is stored.
	f := newFixture(t, Options{RowsPerDay: 50000, PageSize: 1000})
	var first usagePage
	decodeJSON(t, f.mustGet(enr("v3")+"/usagedetails").body, &first)
	if len(first.Data) != 1000 || first.NextLink == nil {
		t.Fatalf("first page: %d rows", len(first.Data))
	}
	c := call{s: f.s}
	last := enr("v3") + "/usagedetails?skiptoken=" + c.makeSkipToken(unixDay(testNow)-24, 24*50000-10)
	var end usagePage
	decodeJSON(t, f.mustGet(last).body, &end)
	var row usageRowJSON
	if len(end.Data) != 10 || end.NextLink != nil {
		t.Fatalf("last page: %d rows, nextLink %v", len(end.Data), end.NextLink)
	}
	decodeJSON(t, end.Data[9], &row)
	if row.Date != "2026-11-24T00:00:00" {
		t.Errorf("last row dated %s", row.Date)
	}
}

func TestSkipTokenIsValidated(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tok := range []string{"abc", "MTA6eHh4", "bm90LWEtdG9rZW4", "-1"} {
		if r := f.get(enr("v3") + "/usagedetails?skiptoken=" + tok); r.status != 400 {
			t.Errorf("token %q: %d", tok, r.status)
		}
	}
}

func ExampleServer() {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }, RowsPerDay: 10})
	fmt.Println(s.Periods(), s.Truth("202611").UsageRows)
	// Output: [202611 202610] 240
}

var _ = io.EOF
