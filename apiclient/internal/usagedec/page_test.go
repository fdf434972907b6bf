package usagedec

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// baseMembers make a usable row; a test appends members after them, and
// since the last duplicate wins, that overrides them.
const baseMembers = `"date":"2018-08-01T00:00:00","cost":1,"consumedQuantity":2`

func page(rows ...string) string {
	return `{"id":"x","data":[` + strings.Join(rows, ",") + `],"nextLink":null}`
}

func row(members string) string {
	if members == "" {
		return "{" + baseMembers + "}"
	}
	return "{" + baseMembers + "," + members + "}"
}

func baseRow(edit func(*wantRow)) wantRow {
	w := wantRow{Date: time.Date(2018, 8, 1, 0, 0, 0, 0, time.UTC), Cost: 1, Quantity: 2}
	if edit != nil {
		edit(&w)
	}
	return w
}

func dim(d apiclient.Dimension, v string) func(*wantRow) {
	return func(w *wantRow) { w.Values[d] = v }
}

// decodePage runs Page and returns its result in comparable form.
func decodePage(t *testing.T, dec *Decoder, body []byte) ([]wantRow, string, error) {
	t.Helper()
	rows, next, err := dec.Page(body)
	if err != nil && rows != nil {
		t.Errorf("Page returned %d rows with error %v", len(rows), err)
	}
	var got []wantRow
	for i := range rows {
		got = append(got, rowOf(&rows[i]))
	}
	return got, next, err
}

// checkAgainstReference compares Page with the encoding/json reference on
// a valid JSON body, using dec (a new decoder when nil).
func checkAgainstReference(t *testing.T, dec *Decoder, tagKeys []string, body []byte) {
	t.Helper()
	if !json.Valid(body) {
		return
	}
	if dec == nil {
		dec = New(tagKeys)
	}
	got, next, err := decodePage(t, dec, body)
	want, wantNext, wantSkipped, wantErr := refDecodePage(body, tagKeys)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("Page error %v, reference error %v, body %q", err, wantErr, body)
	case err != nil:
		if errors.Is(err, ErrNoData) != errors.Is(wantErr, ErrNoData) {
			t.Fatalf("Page error %v, reference error %v, body %q", err, wantErr, body)
		}
	case !reflect.DeepEqual(normTags(got), normTags(want)):
		t.Fatalf("Page rows differ from the reference on %q\n got %+v\nwant %+v", body, got, want)
	case next != wantNext || dec.Skipped() != wantSkipped:
		t.Fatalf("Page next %q skipped %d, reference %q %d, body %q", next, dec.Skipped(), wantNext, wantSkipped, body)
	}
}

// normTags makes rows without tags comparable whatever the form of "none".
func normTags(rows []wantRow) []wantRow {
	for i := range rows {
		if strings.Join(rows[i].Tags, "") == "" {
			rows[i].Tags = nil
		}
	}
	return rows
}

type pageQuirkCase struct {
	name    string
	body    string
	want    []wantRow
	next    string
	skipped int
}

// pageQuirkCases are valid pages with every quirk Page tolerates, and what
// Page must make of them with the tag keys "env" and "Owner".
func pageQuirkCases() []pageQuirkCase {
	return []pageQuirkCase{
		{name: "doc example row", body: `{"id":"1","data":[{"serviceName":"Storage","serviceTier":"Premium Page Blobs","location":"US West","chargesBilledSeparately":false,
			"partNumber":"ABC-12345","resourceGuid":"00000000-0000-0000-0000-000000000000","offerId":"MS-AZR-0017P","cost":1.0,
			"accountId":123456,"productId":1234,"resourceLocationId":12,"consumedServiceId":1,"departmentId":3456,
			"accountOwnerEmail":"account@contoso.com","accountName":"Account Name","serviceAdministratorId":"admin@contoso.com",
			"subscriptionId":1234567,"subscriptionGuid":"00000000-0000-0000-0000-000000000001","subscriptionName":"Sub",
			"date":"2018-08-01T00:00:00","product":"Locally Redundant Storage Premium Storage - Page Blob/P10 - US West",
			"meterId":"00000000-0000-0000-0000-000000000002","meterCategory":"Storage","meterSubCategory":"Locally Redundant",
			"meterRegion":"California","meterName":"Premium Storage - Page Blob/P10 (Units)","consumedQuantity":1,"resourceRate":1,
			"resourceLocation":"uswest","consumedService":"Microsoft.Compute","instanceId":"/subscriptions/.../disks/d1",
			"serviceInfo1":"","serviceInfo2":"","additionalInfo":"","tags":"{\"env\":\"prod\"}","storeServiceIdentifier":"",
			"departmentName":"Department Name","costCenter":"1234","unitOfMeasure":"Units","resourceGroup":"ResourceGroup"}],
			"nextLink":"https://consumption.azure.com/v3/enrollments/1/usagedetails?billingPeriod=201808&skiptoken=abc"}`,
			want: []wantRow{{Date: time.Date(2018, 8, 1, 0, 0, 0, 0, time.UTC), Cost: 1, Quantity: 1, Values: [13]string{
				"Department Name", "Account Name", "1234", "00000000-0000-0000-0000-000000000001", "Sub", "ResourceGroup",
				"00000000-0000-0000-0000-000000000002", "Storage", "Locally Redundant", "Premium Storage - Page Blob/P10 (Units)",
				"California", "uswest", "Units"}, Tags: []string{"prod", ""}}},
			next: "https://consumption.azure.com/v3/enrollments/1/usagedetails?billingPeriod=201808&skiptoken=abc"},
		{name: "wrapper in another order", body: `{"nextLink":"https://h/p?a=1","data":[` + row("") + `],"id":"x"}`,
			want: []wantRow{baseRow(nil)}, next: "https://h/p?a=1"},
		{name: "v1 wrapper with cost and extendedCost", body: `{"reportId":"r","data":[` + row(`"extendedCost":9,"cost":3`) + `]}`,
			want: []wantRow{baseRow(func(w *wantRow) { w.Cost = 3 })}},
		{name: "v1 extendedCost without cost", body: `{"reportId":"r","data":[{"date":"2018-08-01","extendedCost":"9.5"}]}`,
			want: []wantRow{{Date: time.Date(2018, 8, 1, 0, 0, 0, 0, time.UTC), Cost: 9.5}}},
		{name: "null cost falls back to extendedCost", body: page(row(`"extendedCost":4,"cost":null`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.Cost = 4 })}},
		{name: "data null", body: `{"id":"x","data":null,"nextLink":""}`},
		{name: "data empty", body: `{"data":[]}`},
		{name: "nextLink empty", body: `{"data":[],"nextLink":""}`},
		{name: "nextLink with escapes", body: `{"data":[],"nextLink":"https:\/\/h\/p?a=1\u0026b=2"}`, next: "https://h/p?a=1&b=2"},
		{name: "whitespace everywhere", body: " \r\n\t{ \"data\" : [ { \"date\" : \"2018-08-01\" , \"cost\" : 1 } ] , \"nextLink\" : null } \n",
			want: []wantRow{{Date: time.Date(2018, 8, 1, 0, 0, 0, 0, time.UTC), Cost: 1}}},
		{name: "keys in any case", body: page(row(`"Cost":5,"CONSUMEDQUANTITY":"7","DepartmentName":"D","consumedServiceID":1,"MeterSubcategory":"ms"`)),
			want: []wantRow{baseRow(func(w *wantRow) {
				w.Cost, w.Quantity = 5, 7
				w.Values[apiclient.DimDepartment], w.Values[apiclient.DimMeterSubcategory] = "D", "ms"
			})}},
		{name: "escaped and folded keys", body: page(row(`"co\u0073t":6,"\u017fubscriptionName":"S"`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.Cost = 6; w.Values[apiclient.DimSubscription] = "S" })}},
		{name: "numbers as strings and nulls", body: page(row(`"cost":"1.5","consumedQuantity":null`), row(`"cost":" -2.5e1 ","consumedQuantity":""`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.Cost, w.Quantity = 1.5, 0 }), baseRow(func(w *wantRow) { w.Cost, w.Quantity = -25, 0 })}},
		{name: "long decimals", body: page(row(`"cost":0.0123456789012345678901,"consumedQuantity":"123456789012345678901234"`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.Cost, w.Quantity = 0.0123456789012345678901, 123456789012345678901234 })}},
		{name: "an unusable cost skips the row, an unusable quantity only itself", body: page(row(`"cost":"abc"`), row(`"consumedQuantity":true`),
			row(`"cost":1e400`), row(`"cost":{}`), row(`"consumedQuantity":"2,5"`), row("")),
			want: []wantRow{baseRow(func(w *wantRow) { w.Quantity = 0 }), baseRow(func(w *wantRow) { w.Quantity = 0 }), baseRow(nil)}, skipped: 5},
		{name: "a later good value wins over a bad one", body: page(row(`"cost":"abc","cost":3`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.Cost = 3 })}},
		{name: "id fields of any type are skipped", body: page(row(`"accountId":"x","subscriptionId":{"a":[1,{"b":null}]},"departmentId":[1,2],"productId":null,"resourceLocationId":1.5e3`)),
			want: []wantRow{baseRow(nil)}},
		{name: "unknown members of any type", body: page(row(`"zz":{"a":{"b":[[],{},"x\"y",-0.5e-3,true,false,null]}},"yy":[],"xx":"}]"`)),
			want: []wantRow{baseRow(nil)}},
		{name: "null everywhere", body: page(row(`"departmentName":null,"tags":null,"chargesBilledSeparately":null,"meterId":null,"product":null`)),
			want: []wantRow{baseRow(nil)}},
		{name: "duplicate keys: the last wins", body: page(row(`"departmentName":"a","meterName":"m","departmentName":"b","tags":"{\"env\":\"x\"}","tags":"{\"owner\":\"o\"}","date":"2018-08-03"`)),
			want: []wantRow{baseRow(func(w *wantRow) {
				w.Values[apiclient.DimDepartment], w.Values[apiclient.DimMeterName] = "b", "m"
				w.Tags, w.Date = []string{"", "o"}, time.Date(2018, 8, 3, 0, 0, 0, 0, time.UTC)
			})}},
		{name: "dimensions that are not strings", body: page(row(`"costCenter":1234,"accountName":true,"meterRegion":{"a":1},"meterId":[1]`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.Values[apiclient.DimCostCenter], w.Values[apiclient.DimAccount] = "1234", "true" })}},
		{name: "date layouts", body: page(
			row(`"date":"2017-04-27T23:01:43.799Z"`), row(`"date":"2017-08-29T06:56:29.1290704Z"`),
			row(`"date":"2018-08-01T00:00:00+00:00"`), row(`"date":"2018-08-01T22:00:00-05:00"`),
			row(`"date":"2018-08-01T01:00:00+02:00"`), row(`"date":"2018-08-01"`), row(`"date":"08/01/2018"`)),
			want: []wantRow{
				baseRow(func(w *wantRow) { w.Date = time.Date(2017, 4, 27, 0, 0, 0, 0, time.UTC) }),
				baseRow(func(w *wantRow) { w.Date = time.Date(2017, 8, 29, 0, 0, 0, 0, time.UTC) }),
				baseRow(nil),
				baseRow(func(w *wantRow) { w.Date = time.Date(2018, 8, 2, 0, 0, 0, 0, time.UTC) }),
				baseRow(func(w *wantRow) { w.Date = time.Date(2018, 7, 31, 0, 0, 0, 0, time.UTC) }),
				baseRow(nil), baseRow(nil),
			}},
		{name: "unusable dates skip the row", body: page(row(`"date":null`), row(`"date":"2018-02-30"`), row(`"date":"yesterday"`),
			row(`"date":20180801`), `{"cost":1}`), skipped: 5},
		{name: "billed separately", body: page(row(`"chargesBilledSeparately":true`), row(`"chargesBilledSeparately":"True"`),
			row(`"chargesBilledSeparately":"true"`), row(`"chargesBilledSeparately":"False"`), row(`"chargesBilledSeparately":false`),
			row(`"chargesBilledSeparately":1`)),
			want: []wantRow{baseRow(func(w *wantRow) { w.BilledSeparately = true }), baseRow(func(w *wantRow) { w.BilledSeparately = true }),
				baseRow(func(w *wantRow) { w.BilledSeparately = true }), baseRow(nil), baseRow(nil), baseRow(nil)}},
		{name: "escapes in values", body: page(row(`"departmentName":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00","meterName":"\ud800x","meterId":"\udc00\ud800\u0041"`)),
			want: []wantRow{baseRow(func(w *wantRow) {
				w.Values[apiclient.DimDepartment] = "a\"b\\c/d\b\f\n\r\t\u00e9\U0001F600"
				w.Values[apiclient.DimMeterName] = "\uFFFDx"
				w.Values[apiclient.DimMeterID] = "\uFFFD\uFFFDA"
			})}},
		{name: "invalid escapes and UTF-8 are replaced", body: page(row(`"departmentName":"a\xb\q","meterName":"` + "\xff\xfe ok" + `"`)),
			want: []wantRow{baseRow(func(w *wantRow) {
				w.Values[apiclient.DimDepartment] = "a\uFFFDxb\uFFFDq"
				w.Values[apiclient.DimMeterName] = "\uFFFD\uFFFD ok"
			})}},
		{name: "tags forms", body: page(
			row(`"tags":"{\"Env\":\"prod\",\"OWNER\":\"me\",\"x\":\"y\"}"`),
			row(`"tags":"\"env\": \"dev\",\"owner\": \"you\""`),
			row(`"tags":""`), row(`"tags":null`), row(`"tags":"{}"`),
			row(`"tags":"{\"env\":\"prod\""`), row(`"tags":"not json"`), row(`"tags":42`),
			row(`"tags":{"env":"obj","owner":null}`),
			row(`"tags":"{\"env\":12.5,\"owner\":true}"`),
			row(`"tags":"{\"env\":\"a\\\"b\\u00e9\",\"env\":\"last\",\"owner\":{\"n\":[1]}}"`),
			row(`"tags":"{\"e\\u006ev\":\"escaped key\"}"`),
			row(`"tags":"{\"env\":\"bad \\q escape\"}"`),
		),
			want: []wantRow{
				baseRow(func(w *wantRow) { w.Tags = []string{"prod", "me"} }),
				baseRow(func(w *wantRow) { w.Tags = []string{"dev", "you"} }),
				baseRow(nil), baseRow(nil), baseRow(nil), baseRow(nil), baseRow(nil), baseRow(nil),
				baseRow(func(w *wantRow) { w.Tags = []string{"obj", ""} }),
				baseRow(func(w *wantRow) { w.Tags = []string{"12.5", "true"} }),
				baseRow(func(w *wantRow) { w.Tags = []string{"last", `{"n":[1]}`} }),
				baseRow(func(w *wantRow) { w.Tags = []string{"escaped key", ""} }),
				baseRow(nil),
			}},
	}
}

func TestPageQuirks(t *testing.T) {
	tagKeys := []string{"env", "Owner"}
	for _, tt := range pageQuirkCases() {
		t.Run(tt.name, func(t *testing.T) {
			dec := New(tagKeys)
			got, next, err := decodePage(t, dec, []byte(tt.body))
			if err != nil {
				t.Fatalf("Page: %v", err)
			}
			if !reflect.DeepEqual(normTags(got), normTags(tt.want)) {
				t.Errorf("rows\n got %+v\nwant %+v", got, tt.want)
			}
			if next != tt.next || dec.Skipped() != tt.skipped {
				t.Errorf("next %q skipped %d, want %q %d", next, dec.Skipped(), tt.next, tt.skipped)
			}
			checkAgainstReference(t, nil, tagKeys, []byte(tt.body))
		})
	}
}

// SkipReason names the first skipped row's field, from a page, a stream and
// a CSV file alike, and nothing once a call skipped no row.
func TestSkipReason(t *testing.T) {
	tests := []struct {
		name, page, csv, reason string
	}{
		{"none", page(row(""), row("")), eaSmallHeader + "1,Eng,Storage,1,2,08/01/2018,,\n", ""},
		{"quantity first", page(row(""), row(`"consumedQuantity":"2,5"`), row(`"cost":"x"`)),
			eaSmallHeader + "1,Eng,Storage,1,\"2,5\",08/01/2018,,\n1,Eng,Storage,x,2,08/01/2018,,\n", skipQuantity},
		{"cost first", page(row(`"cost":"x"`), row(`"date":null`)),
			eaSmallHeader + "1,Eng,Storage,x,2,08/01/2018,,\n1,Eng,Storage,1,2,,,\n", skipCost},
		{"date over the rest", page(row(`"date":"yesterday","cost":"x","consumedQuantity":"y"`)),
			eaSmallHeader + "1,Eng,Storage,x,y,yesterday,,\n", skipDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := New(nil)
			if _, _, err := dec.Page([]byte(tt.page)); err != nil || dec.SkipReason() != tt.reason {
				t.Errorf("Page: reason %q, err %v; want %q", dec.SkipReason(), err, tt.reason)
			}
			if _, err := dec.Stream(strings.NewReader(tt.page), func(*apiclient.UsageRow) error { return nil }); err != nil || dec.SkipReason() != tt.reason {
				t.Errorf("Stream: reason %q, err %v; want %q", dec.SkipReason(), err, tt.reason)
			}
			err := dec.CSV(strings.NewReader(tt.csv), EASchema, time.Time{}, time.Time{}, func(*apiclient.UsageRow) error { return nil })
			if err != nil || dec.SkipReason() != tt.reason {
				t.Errorf("CSV: reason %q, err %v; want %q", dec.SkipReason(), err, tt.reason)
			}
			if (tt.reason == "") != (dec.Skipped() == 0) {
				t.Errorf("CSV: %d skipped with reason %q", dec.Skipped(), dec.SkipReason())
			}
		})
	}
}

// noDataBodies are the forms of the "Usage Data Extract" answer.
func noDataBodies() []string {
	return []string{`"Usage Data Extract"`, "\uFEFF\"Usage Data Extract\",\r\n", " \n Usage Data Extract\nAccountId,..."}
}

func TestPageNoData(t *testing.T) {
	for _, body := range noDataBodies() {
		rows, next, err := New(nil).Page([]byte(body))
		if !errors.Is(err, ErrNoData) || rows != nil || next != "" {
			t.Errorf("Page(%q) = %d rows, %q, %v; want ErrNoData", body, len(rows), next, err)
		}
	}
}

// pageBadCases are bodies Page rejects, with the message it gives.
func pageBadCases() []struct{ name, body, msg string } {
	return []struct{ name, body, msg string }{
		{"empty", "", "empty body at byte 0"},
		{"html", "<html><body>Service Unavailable</body></html>", "not a JSON object at byte 0"},
		{"array", `[{"date":"2018-08-01"}]`, "not a JSON object at byte 0"},
		{"trailing garbage", `{"data":[]} x`, "data after the page object at byte 12"},
		{"two objects", `{"data":[]}{"data":[]}`, "data after the page object at byte 11"},
		{"data is an object", `{"data":{}}`, "data is not an array at byte 8"},
		{"data is a string", `{"data":"[]"}`, "data is not an array at byte 8"},
		{"data element is a number", `{"data":[1]}`, "data element is not an object at byte 9"},
		{"data element is null", `{"data":[` + row("") + `,null]}`, "data element is not an object at byte 70"},
		{"nextLink is a number", `{"data":[],"nextLink":5}`, "nextLink is not a string at byte 22"},
		{"nextLink is an object", `{"nextLink":{},"data":[]}`, "nextLink is not a string at byte 12"},
		{"no data member", `{"id":"x","nextLink":null}`, "page object has no data member at byte 0"},
		{"missing comma", `{"data":[] "nextLink":null}`, "expected ',' or '}' at byte 11"},
		{"bad literal", `{"data":[{"date":nul}]}`, "invalid literal at byte 17"},
		{"bad number", `{"data":[{"cost":01}]}`, "expected ',' or '}' at byte 18"},
		{"bad number in unknown member", `{"data":[{"x":-}]}`, "invalid number at byte 15"},
		{"unquoted key", `{"data":[{date:1}]}`, "expected a member name at byte 10"},
		{"too deep", `{"data":[{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}]}`, "nesting too deep at byte 10011"},
	}
}

func TestPageBad(t *testing.T) {
	for _, tt := range pageBadCases() {
		t.Run(tt.name, func(t *testing.T) {
			rows, next, err := New([]string{"env"}).Page([]byte(tt.body))
			if !errors.Is(err, apiclient.ErrBadResponse) || rows != nil || next != "" {
				t.Fatalf("Page = %d rows, %q, %v; want ErrBadResponse", len(rows), next, err)
			}
			if want := "unexpected response: usage page: " + tt.msg; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			checkAgainstReference(t, nil, []string{"env"}, []byte(tt.body))
		})
	}
}

// TestPageTruncated cuts a realistic page at every offset: each prefix must
// be an error and deliver no rows, so that the client can retry the page.
func TestPageTruncated(t *testing.T) {
	body := genPage(genRows(3, 1), "https://h/next")
	dec := New([]string{"env"})
	for n := range len(body) {
		rows, _, err := dec.Page(body[:n])
		if !errors.Is(err, apiclient.ErrBadResponse) || rows != nil {
			t.Fatalf("prefix of %d bytes: %d rows, %v; want ErrBadResponse", n, len(rows), err)
		}
	}
	if rows, _, err := dec.Page(body); err != nil || len(rows) != 3 {
		t.Fatalf("whole page: %d rows, %v", len(rows), err)
	}
}

// TestPageRealistic decodes a generated page and checks every row against
// what was generated, and against the reference.
func TestPageRealistic(t *testing.T) {
	gen := genRows(200, 7)
	body := genPage(gen, "https://consumption.azure.com/v3/next?token=a")
	tagKeys := []string{"env", "COSTCENTER", "app", "missing"}
	dec := New(tagKeys)
	rows, next, err := dec.Page(body)
	if err != nil || len(rows) != len(gen) || next != "https://consumption.azure.com/v3/next?token=a" {
		t.Fatalf("Page = %d rows, %q, %v", len(rows), next, err)
	}
	for i := range rows {
		g := &gen[i]
		var tags map[string]string
		if err := json.Unmarshal([]byte(g.tags), &tags); err != nil {
			t.Fatal(err)
		}
		want := wantRow{Date: g.date, Cost: mustFloat(t, g.cost), Quantity: mustFloat(t, g.consumedQuantity),
			BilledSeparately: g.chargesBilledSeparately, Values: g.values(),
			Tags: []string{tags["env"], tags["costCenter"], tags["app"], ""}}
		if got := rowOf(&rows[i]); !reflect.DeepEqual(got, want) {
			t.Fatalf("row %d\n got %+v\nwant %+v", i, got, want)
		}
	}
	checkAgainstReference(t, nil, tagKeys, body)
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPageAliasing checks where values live: plain strings in the caller's
// buffer, decoded ones elsewhere, and that the rows slice is reused.
func TestPageAliasing(t *testing.T) {
	body := []byte(page(row(`"departmentName":"plain","meterName":"esc\u00e9"`)))
	dec := New(nil)
	rows, _, err := dec.Page(body)
	if err != nil || len(rows) != 1 {
		t.Fatalf("Page = %d rows, %v", len(rows), err)
	}
	inBody := func(v []byte) bool {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
		p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
		return p >= start && p < start+uintptr(len(body))
	}
	if v := rows[0].Values[apiclient.DimDepartment]; !inBody(v) || cap(v) != len(v) {
		t.Errorf("plain value %q is not a capped sub-slice of the body", v)
	}
	if v := rows[0].Values[apiclient.DimMeterName]; inBody(v) || string(v) != "esc\u00e9" {
		t.Errorf("escaped value %q is in the body", v)
	}
	again, _, err := dec.Page(body)
	if err != nil || unsafe.SliceData(again) != unsafe.SliceData(rows) {
		t.Errorf("rows slice not reused (err %v)", err)
	}
}

// TestPageNoTagKeys checks that rows carry no tag slots when no tag keys
// were asked for, whatever the tags hold.
func TestPageNoTagKeys(t *testing.T) {
	rows, _, err := New(nil).Page([]byte(page(row(`"tags":"{\"env\":\"prod\"}"`), row(`"tags":{"env":"x"}`))))
	if err != nil || len(rows) != 2 {
		t.Fatalf("Page = %d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Tags != nil {
			t.Errorf("Tags = %q, want nil", r.Tags)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	good := []string{"0", "-0", "1", "1.5", "-2.25", "1e3", "1E-05", "+7", ".5", "5.", "0.1", "0.3", "123456789012345678",
		"1234567890123456789", "12345678901234567890", "9007199254740993", "0.0123456789012345678901", "1e22", "1e23",
		"4.9e-324", "1.7976931348623157e308", "2.2250738585072011e-308", "000123.4500", "1e-400", "0e999999999999"}
	for _, s := range good {
		got, ok := parseDecimal([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("parseDecimal(%q) = %v %v, want %v (%v)", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "NaN", "Inf", "0x10", "1_000", "1,5", " 1", "1e400", "--1"} {
		if got, ok := parseDecimal([]byte(s)); ok {
			t.Errorf("parseDecimal(%q) = %v, want failure", s, got)
		}
	}
}

// keyOrderPages are pages whose member names change order, case and
// escaping from row to row, so that names remembered from earlier rows must
// never be trusted blindly.
func keyOrderPages() []string {
	return []string{
		page(row(`"departmentName":"a","cost":2`), row(`"cost":3,"departmentName":"b"`), row(`"cost":4`), row(`"departmentName":"c","cost":5`)),
		page(`{"cost":6,"date":"2018-08-02","costCenter":"cc"}`, `{"costCenter":"dd","cost":7,"date":"2018-08-03"}`),
		page(`{"co\u0073t":8,"date":"2018-08-04"}`, `{"cost":9,"date":"2018-08-05"}`, `{"COST":10,"Date":"2018-08-06"}`, `{"cost":11,"date":"2018-08-07"}`),
		page(`{"costX":1,"date":"2018-08-08"}`, `{"cost":12,"date":"2018-08-08"}`),
	}
}

// TestPageKeyOrderChanges feeds one decoder the keyOrderPages.
func TestPageKeyOrderChanges(t *testing.T) {
	dec := New(nil)
	for _, p := range keyOrderPages() {
		got, _, err := decodePage(t, dec, []byte(p))
		want, _, _, wantErr := refDecodePage([]byte(p), nil)
		if err != nil || wantErr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("page %s\n got %+v, %v\nwant %+v, %v", p, got, err, want, wantErr)
		}
	}
}
