package usagedec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// csvResult is what one CSV call delivered.
type csvResult struct {
	rows                             []wantRow
	kinds                            []string
	extras                           [][]string
	skipped, outOfRange, kindDropped int
}

func decodeCSV(t *testing.T, dec *Decoder, r io.Reader, schema *CSVSchema, from, to time.Time) (csvResult, error) {
	t.Helper()
	var res csvResult
	err := dec.CSV(r, schema, from, to, func(row *apiclient.UsageRow) error {
		res.rows = append(res.rows, rowOf(row))
		res.kinds = append(res.kinds, string(dec.Kind()))
		var extra []string
		for _, e := range dec.Extra() {
			extra = append(extra, string(e))
		}
		res.extras = append(res.extras, extra)
		return nil
	})
	res.skipped, res.outOfRange, res.kindDropped = dec.Skipped(), dec.OutOfRange(), dec.KindDropped()
	return res, err
}

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// eaRow builds the expected row of the small EA CSVs below.
func eaRow(date time.Time, cost, quantity float64, dept, meter string, tags ...string) wantRow {
	w := wantRow{Date: date, Cost: cost, Quantity: quantity, Tags: tags}
	w.Values[apiclient.DimDepartment], w.Values[apiclient.DimMeterCategory] = dept, meter
	return w
}

const eaSmallHeader = "AccountId,DepartmentName,MeterCategory,Cost,ConsumedQuantity,Date,ChargesBilledSeparately,Tags\n"

func TestCSVPreambleAndHeader(t *testing.T) {
	data := "1,Eng,Storage,1.5,2,08/01/2018,False,\"{\"\"env\"\":\"\"prod\"\"}\"\n"
	want := []wantRow{eaRow(utcDay(2018, 8, 1), 1.5, 2, "Eng", "Storage", "prod")}
	tests := []struct{ name, body string }{
		{"no preamble", eaSmallHeader + data},
		{"EA preamble", "\"Usage Data Extract\",\"Billing Period 201808\"\r\n" + eaSmallHeader + data},
		{"several preamble lines with odd quotes", "Report \"x\nPeriod: 201808\n\n" + eaSmallHeader + data},
		{"BOM", "\uFEFF" + eaSmallHeader + data},
		{"BOM then quoted header", "\uFEFF\"AccountId\",\"DepartmentName\",\"MeterCategory\",\"Cost\",\"ConsumedQuantity\",\"Date\",\"ChargesBilledSeparately\",\"Tags\"\n" + data},
		{"BOM repeated on the first data line", "\uFEFF" + eaSmallHeader + "\uFEFF\uFEFF" + data},
		{"header in another case and order", "tags,DATE,consumedquantity,cost,metercategory,departmentname\n" +
			"\"{\"\"env\"\":\"\"prod\"\"}\",08/01/2018,2,1.5,Storage,Eng\n"},
		{"CRLF, blank lines, no final newline", strings.ReplaceAll(eaSmallHeader+"\n"+data, "\n", "\r\n") + "\r\n\r\n"},
		{"no final newline", eaSmallHeader + strings.TrimSuffix(data, "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := decodeCSV(t, New([]string{"ENV"}), strings.NewReader(tt.body), EASchema, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.rows, want) || res.skipped != 0 {
				t.Errorf("rows %+v skipped %d, want %+v", res.rows, res.skipped, want)
			}
		})
	}
}

func TestCSVBad(t *testing.T) {
	tests := []struct {
		name, body string
		err        error
		msg        string
	}{
		// A real report always has a header line.
		{"empty body", "", apiclient.ErrBadResponse, "unexpected response: usage CSV: empty body, no header line"},
		{"only blank lines", "\uFEFF\r\n\n", apiclient.ErrBadResponse, "unexpected response: usage CSV: empty body, no header line"},
		{"usage data extract only", "\"Usage Data Extract\",\r\n", ErrNoData, ""},
		{"no header", "Report\nsomething,else\n1,2,3\n", apiclient.ErrBadResponse,
			"unexpected response: usage CSV: no header line with a cost column (Cost or ExtendedCost) and a date column (Date) in the first 100 lines"},
		{"header without cost", "AccountId,DepartmentName,MeterCategory,Date\n1,a,b,08/01/2018\n", apiclient.ErrBadResponse,
			"unexpected response: usage CSV header lacks a cost column (Cost or ExtendedCost)"},
		{"header without cost and date", "AccountId,DepartmentName,MeterCategory,MeterName\n", apiclient.ErrBadResponse,
			"unexpected response: usage CSV header lacks a cost column (Cost or ExtendedCost) and a date column (Date)"},
		{"unterminated quote", eaSmallHeader + "1,\"Eng,Storage,1,2,08/01/2018,,\n", apiclient.ErrBadResponse,
			"unexpected response: usage CSV: unterminated quoted field at byte 95"},
		{"html", "<html><body>Error</body></html>", apiclient.ErrBadResponse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := decodeCSV(t, New(nil), strings.NewReader(tt.body), EASchema, time.Time{}, time.Time{})
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("error %q, want %q", err, tt.msg)
			}
			if len(res.rows) != 0 {
				t.Errorf("%d rows delivered", len(res.rows))
			}
		})
	}
}

func TestCSVRowsAndCounts(t *testing.T) {
	body := eaSmallHeader +
		"1,Eng,Storage,1.5,2,08/01/2018,False,\n" +
		"1,Eng,Storage,0.25,1,2018-08-02,True,\n" +
		"1,Eng,Storage,3,1,2018-08-03T00:00:00Z,true,\n" +
		"1,Eng,Storage,4,1,8/4/2018 12:00:00 AM,,\n" +
		"1,Eng,Storage,5,,2018-08-05T00:00:00.0000000,,\n" +
		"1,Eng,Storage,, 6 ,08/06/2018,,\n" +
		"1,Eng,Storage,7,1,07/31/2018,,\n" + // before from
		"1,Eng,Storage,8,1,09/01/2018,,\n" + // after to
		"1,Eng,Storage,abc,1,08/01/2018,,\n" + // bad cost
		"1,Eng,Storage,1,x,08/01/2018,,\n" + // bad quantity
		"1,Eng,Storage,1,1,,,\n" + // no date
		"1,Eng,Storage,1,1,13/01/2018,,\n" + // bad date
		"Total,,,,,,,\n" + // a footer
		"1,Eng\n" // a short row: no date
	from := time.Date(2018, 8, 1, 12, 0, 0, 0, time.UTC) // whole days: 08/01 counts
	to := time.Date(2018, 8, 31, 0, 0, 0, 0, time.UTC)
	res, err := decodeCSV(t, New(nil), strings.NewReader(body), EASchema, from, to)
	if err != nil {
		t.Fatal(err)
	}
	billed := func(w wantRow) wantRow { w.BilledSeparately = true; return w }
	want := []wantRow{
		eaRow(utcDay(2018, 8, 1), 1.5, 2, "Eng", "Storage"),
		billed(eaRow(utcDay(2018, 8, 2), 0.25, 1, "Eng", "Storage")),
		billed(eaRow(utcDay(2018, 8, 3), 3, 1, "Eng", "Storage")),
		eaRow(utcDay(2018, 8, 4), 4, 1, "Eng", "Storage"),
		eaRow(utcDay(2018, 8, 5), 5, 0, "Eng", "Storage"),
		eaRow(utcDay(2018, 8, 6), 0, 6, "Eng", "Storage"),
		eaRow(utcDay(2018, 8, 1), 1, 0, "Eng", "Storage"), // its cost counts without its quantity
	}
	if !reflect.DeepEqual(res.rows, want) {
		t.Errorf("rows\n got %+v\nwant %+v", res.rows, want)
	}
	if res.skipped != 6 || res.outOfRange != 2 {
		t.Errorf("skipped %d out of range %d, want 6 and 2", res.skipped, res.outOfRange)
	}
}

// armHeader is the 2024-08-01 EA cost details header (reference 6.5.4).
const armHeader = "InvoiceSectionName,AccountName,AccountOwnerId,SubscriptionId,SubscriptionName,ResourceGroup,ResourceLocation," +
	"Date,ProductName,MeterCategory,MeterSubCategory,MeterId,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice," +
	"CostInBillingCurrency,CostCenter,ConsumedService,ResourceId,Tags,OfferId,AdditionalInfo,ServiceInfo1,ServiceInfo2," +
	"ResourceName,ReservationId,ReservationName,UnitPrice,ProductOrderId,ProductOrderName,Term,PublisherType,PublisherName," +
	"ChargeType,Frequency,PricingModel,AvailabilityZone,BillingAccountId,BillingAccountName,BillingCurrencyCode," +
	"BillingPeriodStartDate,BillingPeriodEndDate,BillingProfileId,BillingProfileName,InvoiceSectionId,IsAzureCreditEligible," +
	"PartNumber,PayGPrice,PlanName,ServiceFamily,CostAllocationRuleName,benefitId,benefitName,AccountId,ResourceLocationNormalized\r\n"

func TestCSVARMSchema(t *testing.T) {
	azure := "Dept A,Acct,o@x.com,sub-guid-1,Sub 1,rg1,EastUS,05/13/2023,Prod,Storage,Hot,meter-1,LRS,US East,1 GB,3.5,0.1," +
		"12.25,CC1,Microsoft.Storage,/subs/x,\"\"\"env\"\": \"\"prod\"\",\"\"app\"\": \"\"web\"\"\",MS-AZR-0017P,,,,,,,,,,,Azure,,Usage,UsageBased,OnDemand,," +
		"1,Billing,USD,05/01/2023,05/31/2023,,,,True,,,,,,,,1,eastus\r\n"
	market := "Dept B,Acct,o@x.com,sub-guid-2,Sub 2,rg2,,2023-05-14T00:00:00Z,Prod,,,,,,1 Month,1,,99,CC2,,,,offer-x,,,,,,,,,,,Marketplace," +
		"Contoso Ltd,Purchase,Recurring,,,1,Billing,EUR,05/01/2023,05/31/2023,,,,False,,,Gold plan,,,,,1,\r\n"
	body := "\uFEFF" + armHeader + azure + market
	res, err := decodeCSV(t, New([]string{"env", "app"}), strings.NewReader(body), ARMSchema, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var want0, want1 wantRow
	want0 = wantRow{Date: utcDay(2023, 5, 13), Cost: 12.25, Quantity: 3.5, Tags: []string{"prod", "web"},
		Values: [13]string{"Dept A", "Acct", "CC1", "sub-guid-1", "Sub 1", "rg1", "meter-1", "Storage", "Hot", "LRS", "US East", "EastUS", "1 GB"}}
	want1 = wantRow{Date: utcDay(2023, 5, 14), Cost: 99, Quantity: 1, BilledSeparately: true, Tags: []string{"", ""},
		Values: [13]string{"Dept B", "Acct", "CC2", "sub-guid-2", "Sub 2", "rg2", "", "", "", "", "", "", "1 Month"}}
	if !reflect.DeepEqual(res.rows, []wantRow{want0, want1}) {
		t.Errorf("rows\n got %+v\nwant %+v", res.rows, []wantRow{want0, want1})
	}
	if !reflect.DeepEqual(res.kinds, []string{"Azure", "Marketplace"}) {
		t.Errorf("kinds %q", res.kinds)
	}
	wantExtra := [][]string{{"USD", "", "MS-AZR-0017P", ""}, {"EUR", "Contoso Ltd", "offer-x", "Gold plan"}}
	if !reflect.DeepEqual(res.extras, wantExtra) {
		t.Errorf("extras %q, want %q", res.extras, wantExtra)
	}
}

func TestCSVARMAliases(t *testing.T) {
	body := "InvoiceSectionName,Cost,Date,BillingCurrency,Currency,ResourceLocationNormalized\nD,2.5,05/13/2023,GBP,XXX,uksouth\n"
	res, err := decodeCSV(t, New(nil), strings.NewReader(body), ARMSchema, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.rows) != 1 || res.rows[0].Cost != 2.5 || res.rows[0].Values[apiclient.DimLocation] != "uksouth" || res.extras[0][ARMExtraCurrency] != "GBP" {
		t.Errorf("got %+v extras %q", res.rows, res.extras)
	}
	if res.rows[0].BilledSeparately {
		t.Error("an empty IsAzureCreditEligible made the row billed separately")
	}
}

func TestCSVKeepKind(t *testing.T) {
	cols := ARMColumns()
	cols.KeepKind = func(kind []byte) bool { return !bytes.EqualFold(kind, []byte("marketplace")) }
	schema, err := NewCSVSchema(cols)
	if err != nil {
		t.Fatal(err)
	}
	body := "Date,CostInBillingCurrency,PublisherType\n05/13/2023,1,Azure\n05/13/2023,2,Marketplace\n05/13/2023,3,\n"
	res, err := decodeCSV(t, New(nil), strings.NewReader(body), schema, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.rows) != 2 || res.rows[0].Cost != 1 || res.rows[1].Cost != 3 || res.kindDropped != 1 {
		t.Errorf("rows %+v kind dropped %d", res.rows, res.kindDropped)
	}
}

func TestNewCSVSchema(t *testing.T) {
	if _, err := NewCSVSchema(CSVColumns{Cost: []string{"Cost"}}); err == nil {
		t.Error("a schema without a date column was accepted")
	}
	cols := CSVColumns{Cost: []string{"Amount"}, Date: []string{"Day"}, Extra: [][]string{{"Note"}}}
	schema, err := NewCSVSchema(cols)
	if err != nil {
		t.Fatal(err)
	}
	cols.Cost[0], cols.Extra[0][0] = "Changed", "Changed"
	res, err := decodeCSV(t, New(nil), strings.NewReader("Day,Amount,Note\n2023-05-13,4,hi\n"), schema, time.Time{}, time.Time{})
	if err != nil || len(res.rows) != 1 || res.rows[0].Cost != 4 || res.extras[0][0] != "hi" {
		t.Errorf("schema not isolated from its input: %+v %q %v", res.rows, res.extras, err)
	}
}

func TestCSVQuoting(t *testing.T) {
	body := "Date,Cost,DepartmentName,MeterCategory,MeterName,Tags\n" +
		"08/01/2018,1,\"multi\nline, with comma\",\"say \"\"hi\"\"\",lazy \"quote\" here,\"\"\n" +
		"08/01/2018,2,\"a\"b\",x,\"" + "\xff\xfeok" + "\",\n" +
		"08/01/2018,3,,,,\"{\"\"env\"\":\"\"\\u00e9\\\"\"\"}\"\n"
	res, err := decodeCSV(t, New([]string{"env"}), strings.NewReader(body), EASchema, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.rows) != 3 {
		t.Fatalf("%d rows: %+v", len(res.rows), res.rows)
	}
	v := res.rows[0].Values
	if v[apiclient.DimDepartment] != "multi\nline, with comma" || v[apiclient.DimMeterCategory] != `say "hi"` || v[apiclient.DimMeterName] != `lazy "quote" here` {
		t.Errorf("row 0 values %q", v)
	}
	v = res.rows[1].Values
	if v[apiclient.DimDepartment] != `a"b` || v[apiclient.DimMeterName] != "\uFFFD\uFFFDok" {
		t.Errorf("row 1 values %q", v)
	}
	if res.rows[2].Tags[0] != "\u00e9\"" {
		t.Errorf("row 2 tags %q", res.rows[2].Tags)
	}
}

// TestCSVRealistic decodes a generated EA download read in small and odd
// pieces, and checks it against what was generated.
func TestCSVRealistic(t *testing.T) {
	gen := genRows(300, 3)
	body := genEACSV(gen)
	readers := map[string]io.Reader{
		"whole":    bytes.NewReader(body),
		"one byte": iotest.OneByteReader(bytes.NewReader(body)),
		"half":     iotest.HalfReader(bytes.NewReader(body)),
		"data+EOF": iotest.DataErrReader(bytes.NewReader(body)),
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			res, err := decodeCSV(t, New([]string{"env", "app"}), r, EASchema, time.Time{}, time.Time{})
			if err != nil || len(res.rows) != len(gen) {
				t.Fatalf("%d rows, %v", len(res.rows), err)
			}
			for i, g := range gen {
				var tags map[string]string
				if err := json.Unmarshal([]byte(g.tags), &tags); err != nil {
					t.Fatal(err)
				}
				want := wantRow{Date: g.date, Cost: mustFloat(t, g.cost), Quantity: mustFloat(t, g.consumedQuantity),
					BilledSeparately: g.chargesBilledSeparately, Values: g.values(), Tags: []string{tags["env"], tags["app"]}}
				if !reflect.DeepEqual(res.rows[i], want) {
					t.Fatalf("row %d\n got %+v\nwant %+v", i, res.rows[i], want)
				}
			}
		})
	}
}

// TestCSVLongRecord makes one record longer than the read buffer, so that
// the buffer must grow.
func TestCSVLongRecord(t *testing.T) {
	long := strings.Repeat("x", 3*csvBufSize)
	body := "Date,Cost,DepartmentName\n08/01/2018,1,\"" + long + "\"\n08/02/2018,2,short\n"
	res, err := decodeCSV(t, New(nil), iotest.HalfReader(strings.NewReader(body)), EASchema, time.Time{}, time.Time{})
	if err != nil || len(res.rows) != 2 || res.rows[0].Values[apiclient.DimDepartment] != long || res.rows[1].Cost != 2 {
		t.Fatalf("%d rows, %v", len(res.rows), err)
	}
}

func TestCSVErrors(t *testing.T) {
	body := eaSmallHeader + "1,Eng,Storage,1,1,08/01/2018,,\n1,Eng,Storage,2,1,08/02/2018,,\n"
	stop := errors.New("stop")
	n := 0
	err := New(nil).CSV(strings.NewReader(body), EASchema, time.Time{}, time.Time{}, func(*apiclient.UsageRow) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("callback error: got %v after %d rows, want stop after 1", err, n)
	}
	readErr := io.ErrUnexpectedEOF
	r := io.MultiReader(strings.NewReader(body), iotest.ErrReader(readErr))
	err = New(nil).CSV(r, EASchema, time.Time{}, time.Time{}, func(*apiclient.UsageRow) error { return nil })
	if !errors.Is(err, readErr) {
		t.Errorf("read error: got %v, want %v", err, readErr)
	}
	err = New(nil).CSV(iotest.TimeoutReader(strings.NewReader(body)), EASchema, time.Time{}, time.Time{}, func(*apiclient.UsageRow) error { return nil })
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("timeout: got %v", err)
	}
}
