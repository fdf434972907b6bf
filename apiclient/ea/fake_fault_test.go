package ea

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// fakeRoute calls the client so that it reaches one route of the fake, and
// counts what it delivered.
type fakeRoute struct {
	route fakeapi.Route
	run   func(ctx context.Context, c *Client) (int, error)
}

// usageCount reads usage by method, staged as the exporter reads it, and
// counts the rows that were committed.
func usageCount(method apiclient.UsageMethod) func(context.Context, *Client) (int, error) {
	return func(ctx context.Context, c *Client) (int, error) {
		var n stagedCount
		err := c.Usage(ctx, apiclient.UsageQuery{Method: method, Staging: &n}, n.add)
		return n.final, err
	}
}

// stagedCount counts rows as an apiclient.UsageStaging: staged rows count
// once committed.
type stagedCount struct {
	final, staged int
	staging       bool
}

func (c *stagedCount) add(*apiclient.UsageRow) error {
	if c.staging {
		c.staged++
	} else {
		c.final++
	}
	return nil
}

func (c *stagedCount) Begin()    { c.staging, c.staged = true, 0 }
func (c *stagedCount) Commit()   { c.final += c.staged; c.Rollback() }
func (c *stagedCount) Rollback() { c.staging, c.staged = false, 0 }

var fakeRoutes = []fakeRoute{
	{fakeapi.RouteBillingPeriods, func(ctx context.Context, c *Client) (int, error) {
		p, err := c.BillingPeriods(ctx)
		return len(p), err
	}},
	{fakeapi.RouteBalanceSummary, func(ctx context.Context, c *Client) (int, error) {
		b, err := c.BalanceSummary(ctx, "")
		if b == nil {
			return 0, err
		}
		return 1, err
	}},
	{fakeapi.RouteUsageDetails, usageCount(apiclient.UsageJSON)},
	{fakeapi.RouteUsageDownload, usageCount(apiclient.UsageCSV)},
	{fakeapi.RouteUsageSubmit, usageCount(apiclient.UsageAsync)},
	{fakeapi.RouteReportStatus, usageCount(apiclient.UsageAsync)},
	{fakeapi.RouteBlob, usageCount(apiclient.UsageAsync)},
	{fakeapi.RouteMarketplace, func(ctx context.Context, c *Client) (int, error) {
		n := 0
		err := c.MarketplaceCharges(ctx, "", func(*apiclient.MarketplaceCharge) error { n++; return nil })
		return n, err
	}},
	{fakeapi.RoutePriceSheet, func(ctx context.Context, c *Client) (int, error) {
		n := 0
		err := c.PriceSheet(ctx, "", func(*apiclient.PriceSheetItem) error { n++; return nil })
		return n, err
	}},
}

// outcome is what a faulted call should end in.
type outcome struct {
	retry string // the one retry reason seen, then the normal result
	none  bool   // no items, no error
	err   error  // an error matching this
	code  int    // an error with this HTTP status
	items int    // this many items, no error, no retry (when > 0)
}

var (
	streamed = []fakeapi.Route{fakeapi.RouteUsageDownload, fakeapi.RouteBlob}
	csvFed   = []fakeapi.Route{fakeapi.RouteUsageDownload, fakeapi.RouteUsageSubmit, fakeapi.RouteReportStatus, fakeapi.RouteBlob}
)

// expected gives the outcome of fault f on route r; pageSize is the fake's.
func expected(r fakeapi.Route, f fakeapi.Fault, pageSize int) outcome {
	in := func(routes ...fakeapi.Route) bool { return slices.Contains(routes, r) }
	switch f {
	case fakeapi.FaultThrottle:
		return outcome{retry: apiclient.ReasonThrottled}
	case fakeapi.FaultUnavailable:
		return outcome{retry: apiclient.ReasonUnavailable}
	case fakeapi.FaultServerError:
		return outcome{retry: apiclient.ReasonServerError}
	case fakeapi.FaultTimeout:
		return outcome{retry: apiclient.ReasonTimeout}
	case fakeapi.FaultSlowBody:
		if in(streamed...) {
			// Rows were delivered already: the stream cannot be retried.
			return outcome{err: context.DeadlineExceeded}
		}
		return outcome{retry: apiclient.ReasonTimeout}
	case fakeapi.FaultTruncated:
		if in(streamed...) {
			return outcome{err: apiclient.ErrBadResponse}
		}
		return outcome{retry: apiclient.ReasonTruncated}
	case fakeapi.FaultGarbage, fakeapi.FaultWrongContentType:
		return outcome{retry: apiclient.ReasonTruncated}
	case fakeapi.FaultUnauthorized:
		return outcome{err: apiclient.ErrUnauthorized}
	case fakeapi.FaultNoData400:
		if in(fakeapi.RouteBalanceSummary, fakeapi.RouteUsageDetails, fakeapi.RouteUsageDownload, fakeapi.RouteUsageSubmit,
			fakeapi.RouteMarketplace, fakeapi.RoutePriceSheet) {
			return outcome{none: true}
		}
		return outcome{err: apiclient.ErrBadRequest}
	case fakeapi.FaultNoData404:
		if in(fakeapi.RouteBillingPeriods, fakeapi.RouteReportStatus, fakeapi.RouteBlob) {
			return outcome{code: 404}
		}
		return outcome{none: true}
	case fakeapi.FaultUsageDataExtract:
		if in(fakeapi.RouteUsageDetails, fakeapi.RouteUsageDownload, fakeapi.RouteBlob,
			fakeapi.RouteBalanceSummary, fakeapi.RouteMarketplace, fakeapi.RoutePriceSheet) {
			return outcome{none: true}
		}
		return outcome{retry: apiclient.ReasonTruncated}
	case fakeapi.FaultRepeatNextLink:
		if r == fakeapi.RouteUsageDetails {
			return outcome{err: apiclient.ErrPageLoop}
		}
	case fakeapi.FaultForeignNextLink:
		if in(fakeapi.RouteUsageDetails, fakeapi.RouteUsageSubmit) {
			return outcome{err: apiclient.ErrForeignHost}
		}
	case fakeapi.FaultEmptyNextLink:
		if r == fakeapi.RouteUsageDetails {
			return outcome{items: pageSize}
		}
	}
	return outcome{} // the fault does not apply: the normal result
}

// slowRoutes are the routes that the faults which cost a request timeout
// are tried on: a buffered and a streamed body, and the report poll.
var slowRoutes = map[fakeapi.Fault][]fakeapi.Route{
	fakeapi.FaultTimeout:  {fakeapi.RouteUsageDetails, fakeapi.RouteReportStatus},
	fakeapi.FaultSlowBody: {fakeapi.RouteUsageDetails, fakeapi.RouteBlob},
}

func TestFakeFaults(t *testing.T) {
	opts := fakeapi.Options{RowsPerDay: 20, PageSize: 100}
	baseline := map[fakeapi.Route]int{}
	env := newFakeEnv(t, opts, nil)
	for _, r := range fakeRoutes {
		n, err := r.run(context.Background(), env.client)
		if err != nil || n == 0 {
			t.Fatalf("%s without faults: %d items, %v", r.route, n, err)
		}
		baseline[r.route] = n
	}
	for _, r := range fakeRoutes {
		for _, f := range fakeapi.AllFaults() {
			slow := f == fakeapi.FaultTimeout || f == fakeapi.FaultSlowBody
			if slow && !slices.Contains(slowRoutes[f], r.route) {
				continue // the same code path as a route that is tested; each costs a timeout
			}
			t.Run(fmt.Sprintf("%s/%s", r.route, f), func(t *testing.T) {
				var logged bytes.Buffer
				env := newFakeEnv(t, opts, func(c *Config) {
					c.Logger = log.NewLogfmtLogger(log.NewSyncWriter(&logged))
					if slow {
						c.RequestTimeout = time.Second
					}
				})
				env.fake.SetFaultDelay(20 * time.Second)
				watch := newBlobServer(t, "")
				env.fake.SetForeignBaseURL(watch.URL)
				env.fake.Inject(r.route, f)
				n, err := r.run(context.Background(), env.client)
				noKeyIn(t, err, env.fake.Key())
				if f == fakeapi.FaultThrottle || f == fakeapi.FaultUnavailable {
					// The fake asks for 1s; report polls wait PollInterval (10s).
					if w := env.sleeps(); !slices.Contains(w, time.Second) {
						t.Errorf("waits %v, want the fake's 1s among them", w)
					}
				}
				checkOutcome(t, expected(r.route, f, opts.PageSize), baseline[r.route], n, err, env.rec.retryReasons())
				if !strings.Contains(logged.String(), "level=debug msg=\"API request\"") {
					t.Errorf("no debug line per request: %q", logged.String())
				}
				for _, part := range strings.Split(env.fake.Key(), ".") {
					if strings.Contains(logged.String(), part) {
						t.Errorf("the key is in the log")
					}
				}
				if got := len(watch.authHeaders()); got != 0 {
					t.Errorf("the foreign host got %d requests", got)
				}
				if st := env.fake.Stats(); st.FaultsInjected != 1 || st.AuthorizedBlobRequests != 0 {
					t.Errorf("fake stats %+v", st)
				}
			})
		}
	}
}

// A fault on a later usage page: the rows of the pages before it were
// delivered, so what means "no data" on the first page is an error there.
func TestFakeNoDataOnLaterUsagePage(t *testing.T) {
	opts := fakeapi.Options{RowsPerDay: 20, PageSize: 100}
	for _, f := range []fakeapi.Fault{fakeapi.FaultUsageDataExtract, fakeapi.FaultNoData400, fakeapi.FaultNoData404} {
		t.Run(f.String(), func(t *testing.T) {
			env := newFakeEnv(t, opts, nil)
			env.fake.Inject(fakeapi.RouteUsageDetails, fakeapi.FaultNone, f)
			n, err := usageCount(apiclient.UsageJSON)(context.Background(), env.client)
			if err == nil {
				t.Fatalf("%d rows and no error", n)
			}
			if f == fakeapi.FaultUsageDataExtract && !errors.Is(err, apiclient.ErrBadResponse) {
				t.Errorf("err %v, want ErrBadResponse", err)
			}
		})
	}
}

func checkOutcome(t *testing.T, want outcome, baseline, n int, err error, retries []string) {
	t.Helper()
	var se *apiclient.StatusError
	switch {
	case want.err != nil:
		if !errors.Is(err, want.err) {
			t.Fatalf("err %v, want %v", err, want.err)
		}
	case want.code != 0:
		if !errors.As(err, &se) || se.Code != want.code {
			t.Fatalf("err %v, want HTTP %d", err, want.code)
		}
	case err != nil:
		t.Fatalf("err %v", err)
	case want.none:
		if n != 0 {
			t.Errorf("%d items, want none", n)
		}
	case want.items > 0:
		if n != want.items {
			t.Errorf("%d items, want %d", n, want.items)
		}
	default:
		if n != baseline {
			t.Errorf("%d items, want %d as without the fault", n, baseline)
		}
	}
	wantRetries := []string(nil)
	if want.retry != "" {
		wantRetries = []string{want.retry}
	}
	if !slices.Equal(retries, wantRetries) {
		t.Errorf("retries %v, want %v", retries, wantRetries)
	}
	if err != nil && strings.Contains(err.Error(), "http://") {
		t.Errorf("error names a URL: %v", err)
	}
}
