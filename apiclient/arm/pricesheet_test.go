package arm

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

const (
	priceHeader = "BasePrice,CurrencyCode,EffectiveEndDate,EffectiveStartDate,IncludedQuantity,MarketPrice,MeterId,MeterCategory,MeterName,MeterSubCategory,MeterRegion,MeterType,PartNumber,priceType,Product,ProductID,ServiceFamily,SkuID,Term,UnitOfMeasure,UnitPrice\n"
	priceFile1  = "\ufeff" + priceHeader +
		`0.02,USD ,2024-05-31,2024-05-01,0,0.02,dc210ecb-97e8-4522-8134-2385494233c0,Storage,LRS Data Stored,Hot,US East,1 GB,N7H-00015,Consumption,"Storage, Hot",P1,Storage,S1,,1 GB,"0.018"` + "\n"
	priceFile2 = priceHeader +
		`,USD,,,5,,9c6ed0c7-0000-4b5e-9a31-cde2cb7cba3d,Virtual Machines,D2 v3,Dv3,US West,,ABC-12345,Consumption,D2 v3,P2,Compute,S2,,1 Hour,0.096` + "\n" +
		`,USD,,,,,bad-row,Virtual Machines,D4 v3,Dv3,US West,,ABC-1,Consumption,D4,P3,Compute,S3,,1 Hour,n/a` + "\n"
)

func zipOf(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"part1.csv", "part2.csv", "readme.txt"} {
		content, ok := files[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func (f *fakeARM) scriptPriceSheet(period, downloadURL string) {
	path := accountPath + "/billingPeriods/" + period + "/providers/Microsoft.CostManagement/pricesheets/default/download"
	f.handle("POST "+path, func(w http.ResponseWriter, r *http.Request) {
		// A relative Location without api-version: both are completed.
		w.Header().Set("Location", accountPath+"/providers/Microsoft.CostManagement/operationResults/ps-1")
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusAccepted)
	})
	var polls atomic.Int32
	f.handle("GET "+accountPath+"/providers/Microsoft.CostManagement/operationResults/ps-1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api-version") != "2023-11-01" {
			f.t.Errorf("poll api-version %q", r.URL.Query().Get("api-version"))
		}
		if polls.Add(1) == 1 {
			writeJSON(w, http.StatusOK, `{"status":"Running"}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"status":"Completed","properties":{"downloadUrl":`+jsonString(downloadURL)+`,"validTill":"2024-05-15T11:00:00Z"}}`)
	})
}

func TestPriceSheet(t *testing.T) {
	f := newFakeARM(t)
	link := f.serveBlobFile("/pricesheets/202405.zip", "application/zip",
		zipOf(t, map[string]string{"part1.csv": priceFile1, "part2.csv": priceFile2, "readme.txt": "not a price"}))
	f.scriptPriceSheet("202405", link)
	env := newTestEnv(t, f)

	var got []apiclient.PriceSheetItem
	err := env.c.PriceSheet(context.Background(), "", func(it *apiclient.PriceSheetItem) error {
		got = append(got, *it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []apiclient.PriceSheetItem{
		{MeterID: "dc210ecb-97e8-4522-8134-2385494233c0", MeterName: "LRS Data Stored", PartNumber: "N7H-00015", UnitOfMeasure: "1 GB", UnitPrice: 0.018, Currency: "USD"},
		{MeterID: "9c6ed0c7-0000-4b5e-9a31-cde2cb7cba3d", MeterName: "D2 v3", PartNumber: "ABC-12345", UnitOfMeasure: "1 Hour", UnitPrice: 0.096, IncludedQuantity: 5, Currency: "USD"},
	}
	if len(got) != len(want) {
		t.Fatalf("items %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// The POST's Retry-After (60s), then the poll interval after a 200
	// Running without one.
	if slept := env.clock.Slept(); len(slept) != 2 || slept[0].Seconds() != 60 || slept[1].Seconds() != 10 {
		t.Errorf("waits %v", slept)
	}
}

func TestPriceSheetFaults(t *testing.T) {
	tests := []struct {
		name, content, contentType string
		want                       error
	}{
		{"not a zip", "<html>expired</html>", "text/html", apiclient.ErrBadResponse},
		{"zip without CSV", "", "application/zip", apiclient.ErrBadResponse},
		{"CSV without header", "x,y\n1,2\n", "application/zip", apiclient.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeARM(t)
			content := tt.content
			if tt.contentType == "application/zip" {
				files := map[string]string{"readme.txt": "x"}
				if content != "" {
					files["part1.csv"] = content
				}
				content = zipOf(t, files)
			}
			f.scriptPriceSheet("202404", f.serveBlobFile("/p.zip", tt.contentType, content))
			env := newTestEnv(t, f)
			err := env.c.PriceSheet(context.Background(), "202404", func(*apiclient.PriceSheetItem) error { return nil })
			if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), apiclient.EndpointPriceSheet) {
				t.Fatalf("err %v, want %v naming price_sheet", err, tt.want)
			}
		})
	}
}

func TestPriceSheetFailedAndMissing(t *testing.T) {
	f := newFakeARM(t)
	path := accountPath + "/billingPeriods/202404/providers/Microsoft.CostManagement/pricesheets/default/download"
	f.handle("POST "+path, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"Failed","error":{"code":"500","message":"DB didn't return complete data"}}`)
	})
	env := newTestEnv(t, f)
	err := env.c.PriceSheet(context.Background(), "202404", func(*apiclient.PriceSheetItem) error { return nil })
	if !errors.Is(err, apiclient.ErrReportFailed) || !strings.Contains(err.Error(), "DB didn't return complete data") {
		t.Errorf("failed: %v", err)
	}
	// No route for 202403: the mux answers 404, which is "no data".
	if err := env.c.PriceSheet(context.Background(), "202403", func(*apiclient.PriceSheetItem) error { return nil }); err != nil {
		t.Errorf("404: %v", err)
	}
}

func TestReadPriceCSV(t *testing.T) {
	var got []string
	err := readPriceCSV(strings.NewReader("Price sheet for 202405\n\n\"Meter ID\",\"Unit Price\",Currency\nm1,1.5,EUR\n,,\n"),
		func(it *apiclient.PriceSheetItem) error {
			got = append(got, it.MeterID+" "+formatFloat(it.UnitPrice)+" "+it.Currency)
			return nil
		})
	if err != nil || len(got) != 1 || got[0] != "m1 1.5 EUR" {
		t.Errorf("preamble and spaced names: %q, %v", got, err)
	}
	if err := readPriceCSV(strings.NewReader(""), nil); err != nil {
		t.Errorf("empty file: %v", err)
	}
}
