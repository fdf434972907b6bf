package fakeapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestQuirks switches each quirk on alone and checks that it shows, and that
// it does not show without it.
func TestQuirks(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 60, PageSize: 60})
	usage := enr("v3") + "/usagedetailsbycustomdate?startTime=2026-10-01&endTime=2026-10-01"
	for _, tc := range []struct {
		name  string
		q     Quirks
		path  string
		check func(body []byte) bool
	}{
		{"BalanceAsObject", Quirks{BalanceAsObject: true}, enr("v3") + "/balancesummary",
			func(b []byte) bool { return b[0] == '{' && json.Valid(b) }},
		{"NumbersAsStrings", Quirks{NumbersAsStrings: true}, usage,
			func(b []byte) bool {
				return bytes.Contains(b, []byte(`"accountId":"`)) && bytes.Contains(b, []byte(`"cost":"`))
			}},
		{"NumbersAsStrings balance", Quirks{NumbersAsStrings: true}, enr("v3") + "/balancesummary",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"utilized":"`)) }},
		{"CapitalCost", Quirks{CapitalCost: true}, usage,
			func(b []byte) bool {
				return bytes.Contains(b, []byte(`"Cost":`)) && !bytes.Contains(b, []byte(`"cost":`))
			}},
		{"DatesWithZone", Quirks{DatesWithZone: true}, usage,
			func(b []byte) bool { return bytes.Contains(b, []byte(`"date":"2026-10-01T00:00:00Z"`)) }},
		{"SevenFractionDigits", Quirks{SevenFractionDigits: true}, usage,
			func(b []byte) bool { return bytes.Contains(b, []byte(`"date":"2026-10-01T00:00:00.0000000"`)) }},
		{"SevenFractionDigits periods", Quirks{SevenFractionDigits: true}, enr("v2") + "/billingperiods",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"billingStart":"2026-11-01T00:00:00.0000000Z"`)) }},
		{"TagsWithoutBraces", Quirks{TagsWithoutBraces: true}, usage,
			func(b []byte) bool {
				return bytes.Contains(b, []byte(`"tags":"\"env\":`)) && !bytes.Contains(b, []byte(`"tags":"{`))
			}},
		{"MalformedTags", Quirks{MalformedTags: true}, usage, func(b []byte) bool { return countBadTags(t, b) > 0 }},
		{"NullStrings", Quirks{NullStrings: true}, usage,
			func(b []byte) bool {
				return bytes.Contains(b, []byte(`"tags":null`)) && bytes.Contains(b, []byte(`"serviceInfo1":null`))
			}},
		{"BillingPeriodIDAsNumber", Quirks{BillingPeriodIDAsNumber: true}, enr("v2") + "/billingperiods",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"billingPeriodId":202611,`)) }},
		{"BillingPeriodIDAsNumber balance", Quirks{BillingPeriodIDAsNumber: true}, enr("v3") + "/balancesummary",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"billingPeriodId":202611,`)) }},
		{"ChargesBilledSeparatelyAsString", Quirks{ChargesBilledSeparatelyAsString: true}, usage,
			func(b []byte) bool { return bytes.Contains(b, []byte(`"chargesBilledSeparately":"False"`)) }},
		{"EmptyNextLink", Quirks{EmptyNextLink: true}, usage,
			func(b []byte) bool { return bytes.HasSuffix(b, []byte(`"nextLink":""}`)) }},
		{"CSVRowsOutsideRange", Quirks{CSVRowsOutsideRange: true},
			enr("v3") + "/usagedetails/download?startTime=2026-10-10&endTime=2026-10-10",
			func(b []byte) bool {
				return bytes.Contains(b, []byte(",10/09/2026,")) && bytes.Contains(b, []byte(",10/11/2026,"))
			}},
		{"V1LinksInBillingPeriods", Quirks{V1LinksInBillingPeriods: true}, enr("v2") + "/billingperiods",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"usageDetails":"/v1/enrollments/`)) }},
		{"UsageDataExtractWhenEmpty", Quirks{UsageDataExtractWhenEmpty: true}, enr("v3") + "/billingPeriods/202601/usagedetails",
			func(b []byte) bool { return bytes.HasPrefix(b, []byte(`"Usage Data Extract"`)) }},
		{"TrailingEmptyPage", Quirks{TrailingEmptyPage: true}, usage,
			func(b []byte) bool { return bytes.Contains(b, []byte(`"nextLink":"http`)) }},
		{"PaddedCurrency", Quirks{PaddedCurrency: true}, enr("v3") + "/pricesheet",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"currencyCode":"USD  "`)) }},
		{"BillingEndAtNoon", Quirks{BillingEndAtNoon: true}, enr("v2") + "/billingperiods",
			func(b []byte) bool { return bytes.Contains(b, []byte(`"billingEnd":"2026-11-30T11:59:59Z"`)) }},
		{"CSVByteOrderMark", Quirks{CSVByteOrderMark: true}, enr("v3") + "/usagedetails/download?billingPeriod=202610",
			func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xef\xbb\xbfUsage Data Extract")) }},
	} {
		f.s.SetQuirks(Quirks{})
		if off := f.mustGet(tc.path); tc.check(off.body) {
			t.Errorf("%s shows without the quirk", tc.name)
		}
		f.s.SetQuirks(tc.q)
		if on := f.mustGet(tc.path); !tc.check(on.body) {
			t.Errorf("%s does not show: %.300s", tc.name, on.body)
		}
	}
}

// countBadTags counts usage rows whose tags string is not a JSON object.
func countBadTags(t *testing.T, body []byte) int {
	var p usagePage
	decodeJSON(t, body, &p)
	bad := 0
	for _, raw := range p.Data {
		var row usageRowJSON
		decodeJSON(t, raw, &row)
		var m map[string]any
		if row.Tags != nil && *row.Tags != "" && json.Unmarshal([]byte(*row.Tags), &m) != nil {
			bad++
		}
	}
	return bad
}

func TestTrailingEmptyPageEndsTheListing(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 10, PageSize: 10})
	f.s.SetQuirks(Quirks{TrailingEmptyPage: true})
	rows, _, pages := f.followPages(enr("v3") + "/usagedetailsbycustomdate?startTime=2026-10-01&endTime=2026-10-02")
	if len(rows) != 20 || pages != 3 {
		t.Errorf("%d rows in %d pages, want 20 in 3", len(rows), pages)
	}
}

func TestQuirksKeepTheFigures(t *testing.T) {
	// With every quirk on, a tolerant reader still finds the same sums.
	f := newFixture(t, Options{RowsPerDay: 20, PageSize: 200})
	f.s.SetQuirks(Quirks{NumbersAsStrings: true, CapitalCost: true, DatesWithZone: true, SevenFractionDigits: true,
		TagsWithoutBraces: true, MalformedTags: true, NullStrings: true, ChargesBilledSeparatelyAsString: true,
		EmptyNextLink: true, TrailingEmptyPage: true})
	_, raws, _ := f.followPages(enr("v3")+"/billingPeriods/202610/usagedetails", true)
	s := newRowSums()
	for _, m := range raws {
		cost := parseNumber(t, m["Cost"])
		qty := parseNumber(t, m["consumedQuantity"])
		date := m["date"].(string)
		if !strings.HasSuffix(date, ".0000000Z") {
			t.Fatalf("date %q", date)
		}
		s.add(date[:10], m["departmentName"].(string), m["subscriptionGuid"].(string), m["meterCategory"].(string),
			cost, qty, m["chargesBilledSeparately"] == "True")
	}
	checkAgainstTruth(t, s, f.s.Truth("202610"), true)
}

func parseNumber(t *testing.T, v any) float64 {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("number %v is not a string", v)
	}
	return num(t, json.Number(s))
}

func TestMalformedTagsStayValidUTF8(t *testing.T) {
	f := newFixture(t, Options{RowsPerDay: 400, PageSize: 400})
	f.s.SetQuirks(Quirks{MalformedTags: true})
	for _, path := range []string{enr("v3") + "/usagedetails", enr("v3") + "/usagedetails/download?billingPeriod=202611"} {
		if body := f.mustGet(path).body; !utf8.Valid(body) {
			t.Errorf("%s: invalid UTF-8", path)
		}
	}
}
