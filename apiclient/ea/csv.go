package ea

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

const acceptCSV = "application/octet-stream, text/csv"

// usageDownload streams the synchronous CSV report, one request per
// calendar month of a custom range, each conditionally on its part of
// q.IfNoneMatch. A 400 or 404 means no rows, as on the JSON route.
func (c *Client) usageDownload(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	ranges, err := c.plan(q, maxMonthsDownload)
	if err != nil {
		return err
	}
	auth, err := c.authorizer()
	if err != nil {
		return err
	}
	dec := usagedec.New(q.TagKeys)
	return conditionally(q, len(ranges), func(i int, ifNoneMatch string) (string, error) {
		r := ranges[i]
		s, err := c.tr.Open(ctx, transport.Request{Endpoint: apiclient.EndpointUsageDownload, Accept: acceptCSV,
			URL: c.apiURL("v3", "/usagedetails/download", r.query(c.currentPeriod())), Auth: auth, Check: checkCSV,
			IfNoneMatch: ifNoneMatch})
		if isNoData(err) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		defer s.Body.Close()
		return s.Header.Get("ETag"), streamCSV(apiclient.EndpointUsageDownload, s, dec, c.csvDays(r), q.Skipped, fn)
	})
}

// csvDays is the range of days whose rows a CSV report of r may deliver:
// CSV reports were seen to hold rows of days outside the request
// (reference 5.5), also for a billing period, which is a calendar month.
func (c *Client) csvDays(r usageRange) usageRange {
	if r.custom() {
		return r
	}
	period := r.period
	if period == "" {
		period = c.currentPeriod()
	}
	start, err := time.Parse("200601", period)
	if err != nil {
		return r // validated before; no filter rather than a wrong one
	}
	return usageRange{period: period, from: start, to: start.AddDate(0, 1, -1)}
}

// streamCSV streams the rows of a CSV body dated in r to fn, and counts the
// rows it skipped in skipped, when set. fn's own error is returned
// unchanged.
func streamCSV(endpoint string, s *transport.Stream, dec *usagedec.Decoder, r usageRange, skipped *apiclient.UsageSkipped, fn func(*apiclient.UsageRow) error) error {
	var fnErr error
	err := dec.CSV(s.Body, usagedec.EASchema, r.from, r.to, func(row *apiclient.UsageRow) error {
		if err := fn(row); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return fnErr
	case errors.Is(err, usagedec.ErrNoData):
		// The "Usage Data Extract" preamble without a header: no rows.
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", endpoint, err)
	}
	dec.AddSkipped(skipped)
	return nil
}

// checkCSV refuses, for a retry, an answer that is plainly no CSV report:
// an HTML page, a content type of another kind, or a body without text (a
// report always has its header line, as a JSON answer is never empty).
func checkCSV(res *transport.Response) error {
	if isHTML("", res.Body) {
		return transport.Damaged(fmt.Errorf("%w: an HTML page instead of CSV", apiclient.ErrBadResponse))
	}
	text := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(res.Body), []byte("\ufeff")))
	if len(res.Body) < transport.PeekBytes && len(text) == 0 {
		return transport.Damaged(fmt.Errorf("%w: an empty body instead of CSV", apiclient.ErrBadResponse))
	}
	return transport.Damaged(usagedec.CheckCSVType(res.Header.Get("Content-Type")))
}
