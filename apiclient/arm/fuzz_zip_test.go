package arm

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// zipArchive returns a zip archive holding files (name, content) in order.
func zipArchive(tb testing.TB, files ...[2]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		fw, err := w.Create(f[0])
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := fw.Write([]byte(f[1])); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadPriceZip: a price sheet download that is a broken, hostile or
// strange zip fails with ErrBadResponse or gives trimmed items; it never
// panics.
func FuzzReadPriceZip(f *testing.F) {
	good := zipArchive(f, [2]string{"pricesheet-1.csv", priceFile1}, [2]string{"pricesheet-2.csv", priceFile2})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(zipArchive(f, [2]string{"readme.txt", "no CSV here"}))
	f.Add(zipArchive(f, [2]string{"dir/", ""}, [2]string{"../../etc/passwd.csv", priceFile1}))
	f.Add(zipArchive(f, [2]string{"a.CSV", "MeterId,UnitPrice\n\"a,1\n"}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := readPriceZip(data, func(it *apiclient.PriceSheetItem) error {
			if it.MeterID != strings.TrimSpace(it.MeterID) || it.Currency != strings.TrimSpace(it.Currency) {
				t.Fatalf("untrimmed item %+v", it)
			}
			return nil
		})
		if err != nil && !errors.Is(err, apiclient.ErrBadResponse) {
			t.Fatalf("error %v does not wrap ErrBadResponse", err)
		}
	})
}
