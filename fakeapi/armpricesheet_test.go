package fakeapi

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// priceSheetOperation is a finished price sheet download.
type priceSheetOperation struct {
	Status     string `json:"status"`
	Properties struct {
		DownloadURL string `json:"downloadUrl"`
		ValidTill   string `json:"validTill"`
	} `json:"properties"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// downloadPriceSheet runs a download of period to its end.
func (f *armFixture) downloadPriceSheet(period string) (priceSheetOperation, []int) {
	f.t.Helper()
	r := f.do(http.MethodPost, f.account()+"/billingPeriods/"+period+
		"/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2023-11-01", "", nil)
	loc := r.header.Get("Location")
	if r.status != 202 || r.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(loc, f.ts.URL+f.account()+"/providers/Microsoft.CostManagement/operationResults/") {
		f.t.Fatalf("download: %d %v", r.status, r.header)
	}
	codes := []int{r.status}
	for len(codes) < 10 {
		r = f.get(loc)
		codes = append(codes, r.status)
		if r.status == 202 {
			if !strings.Contains(string(r.body), `"status":"Running"`) {
				f.t.Errorf("poll body %s", r.body)
			}
			continue
		}
		var op priceSheetOperation
		decodeJSON(f.t, r.body, &op)
		return op, codes
	}
	f.t.Fatal("price sheet never finished")
	return priceSheetOperation{}, nil
}

// readPriceZip reads every CSV of the zip into rows by column name.
func readPriceZip(t *testing.T, body []byte) (files int, rows []costRow) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, utf8BOM))).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if got := strings.Join(recs[0], ",") + "\r\n"; got != priceSheetHeader {
			t.Errorf("%s header %s", zf.Name, got)
		}
		for _, rec := range recs[1:] {
			row := costRow{}
			for i, v := range rec {
				row[recs[0][i]] = v
			}
			rows = append(rows, row)
		}
		files++
	}
	return files, rows
}

func TestPriceSheetDownloadMatchesTheEASheet(t *testing.T) {
	f := newARMFixture(t, Options{PriceSheetMeters: 250, ARM: ARMOptions{PriceSheetFiles: 3}})
	ea := httptestServer(t, f.s)
	op, codes := f.downloadPriceSheet("202610")
	if op.Status != "Completed" || len(codes) != 3 || codes[1] != 202 || codes[2] != 200 {
		t.Fatalf("operation %+v, codes %v", op, codes)
	}
	r := f.do(http.MethodGet, op.Properties.DownloadURL, "", noAuth)
	if r.status != 200 || r.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %v", r.status, r.header)
	}
	files, rows := readPriceZip(t, r.body)
	var eaItems []struct {
		MeterID          string  `json:"meterId"`
		MeterName        string  `json:"meterName"`
		UnitOfMeasure    string  `json:"unitOfMeasure"`
		IncludedQuantity float64 `json:"includedQuantity"`
		PartNumber       string  `json:"partNumber"`
		UnitPrice        float64 `json:"unitPrice"`
	}
	decodeJSON(t, ea.mustGet(enr("v3")+"/billingPeriods/202610/pricesheet").body, &eaItems)
	if files != 3 || len(rows) != len(eaItems) || len(rows) != 250 {
		t.Fatalf("%d files, %d rows, EA %d items", files, len(rows), len(eaItems))
	}
	for i, it := range eaItems {
		r := rows[i]
		price, _ := strconv.ParseFloat(r["UnitPrice"], 64)
		incl, _ := strconv.ParseFloat(r["IncludedQuantity"], 64)
		if r["MeterId"] != it.MeterID || r["Product"] != it.MeterName || r["UnitOfMeasure"] != it.UnitOfMeasure ||
			r["PartNumber"] != it.PartNumber || price != it.UnitPrice || incl != it.IncludedQuantity ||
			r["CurrencyCode"] != DefaultCurrency || r["EffectiveStartDate"] != "10/01/2026" ||
			!strings.Contains(it.MeterName, r["MeterName"]) || r["MeterCategory"] == "" {
			t.Fatalf("item %d: %v, EA %+v", i, r, it)
		}
	}
	if r := f.get(op.Properties.DownloadURL); r.status != 403 {
		t.Errorf("download with Authorization: %d", r.status)
	}
}

func TestPriceSheetDownloadOutcomes(t *testing.T) {
	f := newARMFixture(t, Options{PriceSheetMeters: 10})
	// A period without data gives a sheet without items.
	op, _ := f.downloadPriceSheet("202609")
	r := f.do(http.MethodGet, op.Properties.DownloadURL, "", noAuth)
	if files, rows := readPriceZip(t, r.body); files != 1 || len(rows) != 0 {
		t.Errorf("period without data: %d files, %d rows", files, len(rows))
	}
	f.s.SetARMOperations(ARMOperations{Polls: 0, Outcome: ARMFailed})
	if op, codes := f.downloadPriceSheet("202610"); op.Status != "Failed" || op.Error == nil || len(codes) != 2 {
		t.Errorf("failed: %+v %v", op, codes)
	}
	bad := f.do(http.MethodPost, f.account()+"/billingPeriods/2026/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2023-11-01", "", nil)
	if bad.status != 400 {
		t.Errorf("malformed period: %d", bad.status)
	}
	// A cost details poll URL is not a price sheet's, and the other way round.
	m := f.startReport(`{"billingPeriod":"202610"}`)
	if r := f.get(strings.Replace(m, "costDetailsOperationResults", "operationResults", 1)); r.status != 404 {
		t.Errorf("report id as a price sheet operation: %d", r.status)
	}
}
