package arm

import (
	"errors"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func FuzzDecodeBalance(f *testing.F) {
	f.Add([]byte(balanceBody), "")
	f.Add([]byte(`{"properties":{"currency":null,"utilized":"1e3"}}`), "202401")
	f.Add([]byte(`{"id":"billingPeriods/202402/x","properties":{}}`), "")
	f.Add([]byte(`[{"properties":{}}]`), "")
	f.Fuzz(func(t *testing.T, body []byte, period string) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		b, err := decodeBalance(payload, period)
		if err != nil {
			if !errors.Is(err, apiclient.ErrBadResponse) {
				t.Fatalf("error %v does not wrap ErrBadResponse", err)
			}
			return
		}
		if b != nil && b.Currency != strings.TrimSpace(b.Currency) {
			t.Fatalf("currency %q not trimmed", b.Currency)
		}
	})
}

func FuzzDecodeReportStatus(f *testing.F) {
	f.Add([]byte(completed("https://blob.example/a?sig=1", "https://blob.example/b?sig=2")))
	f.Add([]byte(`{"status":"NoDataFound"}`))
	f.Add([]byte(`{"status":"Failed","error":{"code":500,"message":"boom"}}`))
	f.Add([]byte(`{"status":"InProgress","validTill":null}`))
	f.Add([]byte(`{"status":"Completed","manifest":{"blobs":[null,{"blobLink":""}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		st, err := decodeReportStatus(payload)
		if err != nil {
			if !errors.Is(err, apiclient.ErrBadResponse) {
				t.Fatalf("error %v does not wrap ErrBadResponse", err)
			}
			return
		}
		done, err := st.outcome()
		if err != nil && !done {
			t.Fatalf("an error that does not end polling: %v", err)
		}
		if err != nil && !errors.Is(err, apiclient.ErrBadResponse) && !errors.Is(err, apiclient.ErrReportFailed) {
			t.Fatalf("outcome error %v wraps no sentinel", err)
		}
		for _, b := range st.blobs {
			if b == "" || b != strings.TrimSpace(b) {
				t.Fatalf("blob link %q", b)
			}
		}
		if len(st.blobs) > maxReportBlobs {
			t.Fatalf("%d blobs", len(st.blobs))
		}
	})
}

func FuzzDecodePriceSheetStatus(f *testing.F) {
	f.Add([]byte(`{"status":"Completed","properties":{"downloadUrl":"https://b.example/x.zip?sig=1"}}`))
	f.Add([]byte(`{"status":"Running"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, err := jsonPayload("application/json", body)
		if err != nil {
			return
		}
		st, err := decodePriceSheetStatus(payload)
		if err != nil {
			return
		}
		if done, err := st.outcome(); done && err == nil && st.downloadURL == "" {
			t.Fatal("completed without a link")
		}
	})
}

func FuzzParseQuota(f *testing.F) {
	f.Add("entity-requests", "DefaultQuota:3")
	f.Add("qpu", "QueriesPerHour:577")
	f.Add("qpu", " 12 ")
	f.Fuzz(func(t *testing.T, family, item string) {
		name, v, ok := parseQuota(family, item)
		if !ok {
			return
		}
		if v < 0 || len(name) > maxQuotaNameLen || !strings.HasPrefix(name, family) {
			t.Fatalf("parseQuota(%q, %q) = %q, %v", family, item, name, v)
		}
	})
}

func FuzzReadPriceCSV(f *testing.F) {
	f.Add(priceFile1)
	f.Add(priceFile2)
	f.Add("MeterId,UnitPrice\n\"a,1\n")
	f.Fuzz(func(t *testing.T, content string) {
		err := readPriceCSV(strings.NewReader(content), func(it *apiclient.PriceSheetItem) error {
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

// A header value holds at most one challenge per byte, each with a scheme
// that is a word of it: the parser neither loops nor invents.
func FuzzParseChallenges(f *testing.F) {
	f.Add(`PoP nonce="ey==", Bearer error="insufficient_claims", claims="e30="`)
	f.Add(`Negotiate YWxh==, Basic realm="a \"b\" c"`)
	f.Add(`Bearer claims="unterminated`)
	f.Fuzz(func(t *testing.T, value string) {
		challenges := parseChallenges(value)
		if len(challenges) > len(value) {
			t.Fatalf("%d challenges in %d bytes", len(challenges), len(value))
		}
		for _, ch := range challenges {
			if ch.scheme == "" || strings.ContainsAny(ch.scheme, ", \t=") || !strings.Contains(value, ch.scheme) {
				t.Fatalf("scheme %q of %q", ch.scheme, value)
			}
		}
	})
}
