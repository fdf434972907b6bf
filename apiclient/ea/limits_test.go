package ea

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// endlessBody answers 200 with prefix and then filler, up to total bytes
// or until the client stops reading, and counts the bytes it got out.
type endlessBody struct {
	contentType string
	prefix      string
	total       int64
	declare     bool // send Content-Length: total
	written     atomic.Int64
}

func (e *endlessBody) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", e.contentType)
	if e.declare {
		w.Header().Set("Content-Length", strconv.FormatInt(e.total, 10))
	}
	w.WriteHeader(http.StatusOK)
	n, err := w.Write([]byte(e.prefix))
	e.written.Add(int64(n))
	chunk := bytes.Repeat([]byte("x"), 256<<10)
	for err == nil && e.written.Load() < e.total {
		n, err = w.Write(chunk[:min(int64(len(chunk)), e.total-e.written.Load())])
		e.written.Add(int64(n))
	}
}

const (
	gib = 1 << 30
	mib = 1 << 20
	// slack covers what sits in socket buffers and the decoders' own
	// memory.
	slack = 32 * mib
)

// TestHugeBodiesFailUnderLimits sends each endpoint a 1 GiB body that is one
// endless JSON string (or CSV field), and one that declares its size: each
// fails with ErrBadResponse at the endpoint's limit, the client stops
// reading there, and the memory it allocated stays within twice the limit.
func TestHugeBodiesFailUnderLimits(t *testing.T) {
	type call func(c *Client) error
	usage := func(m apiclient.UsageMethod) call {
		return func(c *Client) error {
			return c.Usage(context.Background(), apiclient.UsageQuery{BillingPeriod: "202402", Method: m},
				func(*apiclient.UsageRow) error { return nil })
		}
	}
	tests := []struct {
		name, contentType, prefix string
		limit                     int64
		call                      call
	}{
		{"billing periods", "application/json", `[{"billingPeriodId":"`, maxSmallBody,
			func(c *Client) error { _, err := c.BillingPeriods(context.Background()); return err }},
		{"balance summary", "application/json", `{"currencyCode":"`, maxSmallBody,
			func(c *Client) error { _, err := c.BalanceSummary(context.Background(), "202402"); return err }},
		{"marketplace", "application/json", `[{"offerName":"`, DefaultMaxBodyBytes,
			func(c *Client) error {
				return c.MarketplaceCharges(context.Background(), "202402", func(*apiclient.MarketplaceCharge) error { return nil })
			}},
		{"price sheet", "application/json", `[{"meterName":"`, DefaultMaxBodyBytes,
			func(c *Client) error {
				return c.PriceSheet(context.Background(), "202402", func(*apiclient.PriceSheetItem) error { return nil })
			}},
		{"usage page", "application/json", `{"data":[{"departmentName":"`, DefaultMaxBodyBytes, usage(apiclient.UsageJSON)},
		{"usage CSV field", "application/octet-stream", "Date,Cost,DepartmentName\n02/01/2024,1,\"", 16 * mib, usage(apiclient.UsageCSV)},
	}
	for _, tt := range tests {
		for _, declare := range []bool{false, true} {
			name := tt.name + ", streamed"
			if declare {
				name = tt.name + ", declared"
			}
			t.Run(name, func(t *testing.T) {
				body := &endlessBody{contentType: tt.contentType, prefix: tt.prefix, total: gib, declare: declare}
				hs := newHarness(t, body, nil)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				err := tt.call(hs.Client)
				runtime.ReadMemStats(&after)
				if !errors.Is(err, apiclient.ErrBadResponse) {
					t.Fatalf("err %v, want ErrBadResponse", err)
				}
				if !strings.Contains(err.Error(), "limit") && !strings.Contains(err.Error(), "longer than") {
					t.Errorf("err %q does not name the limit", err)
				}
				if w := body.written.Load(); w > tt.limit+slack {
					t.Errorf("the client read on: the server wrote %d MiB past a %d MiB limit", w/mib, tt.limit/mib)
				}
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(2*tt.limit+slack) {
					t.Errorf("allocated %d MiB for a %d MiB limit", alloc/mib, tt.limit/mib)
				}
			})
		}
	}
}

// TestTenMegabyteStrings sends each JSON endpoint a body of normal size
// whose one string is 10 MB: refused as a whole, nothing delivered.
func TestTenMegabyteStrings(t *testing.T) {
	long := strings.Repeat("é", 5<<20)
	for _, tt := range []struct {
		name, body string
		call       func(c *Client) (int, error)
	}{
		{"billing periods", `[{"billingPeriodId":"202402","balanceSummary":"` + long + `"}]`, func(c *Client) (int, error) {
			p, err := c.BillingPeriods(context.Background())
			return len(p), err
		}},
		{"balance summary", `{"billingPeriodId":"202402","currencyCode":"` + long + `"}`, func(c *Client) (int, error) {
			b, err := c.BalanceSummary(context.Background(), "202402")
			if b != nil {
				return 1, err
			}
			return 0, err
		}},
		{"marketplace", `[{"usageStartDate":"2024-02-01","publisherName":"` + long + `","extendedCost":1}]`, func(c *Client) (int, error) {
			n := 0
			err := c.MarketplaceCharges(context.Background(), "202402", func(*apiclient.MarketplaceCharge) error { n++; return nil })
			return n, err
		}},
		{"price sheet", `[{"meterId":"m","meterName":"` + long + `","unitPrice":1}]`, func(c *Client) (int, error) {
			n := 0
			err := c.PriceSheet(context.Background(), "202402", func(*apiclient.PriceSheetItem) error { n++; return nil })
			return n, err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, jsonReply(tt.body), nil)
			n, err := tt.call(hs.Client)
			if !errors.Is(err, apiclient.ErrBadResponse) || n != 0 {
				t.Fatalf("%d records, err %v", n, err)
			}
		})
	}
}
