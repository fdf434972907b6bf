package arm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

// Indexes in Decoder.Extra of the columns that costColumns adds to
// usagedec's ARM columns.
const (
	extraDepartmentID = usagedec.ARMExtraPlan + 1 + iota
	extraChargeType
)

// costColumns are the EA cost details file's columns (reference 6.5.4),
// with the department id, which the department budgets need, and the
// charge type, which tells usage from purchases.
func costColumns() usagedec.CSVColumns {
	cols := usagedec.ARMColumns()
	cols.Extra = append(cols.Extra, []string{"InvoiceSectionId"}, []string{"ChargeType"})
	return cols
}

const acceptCSV = "text/csv, application/octet-stream"

// Usage streams the usage rows that q selects to fn: the rows of the cost
// details report whose PublisherType is not Marketplace and whose ChargeType
// is Usage. Every method reads
// that report, the one usage source of the Resource Manager APIs at
// billing-account scope; a custom range reads the report of each month it
// touches and keeps the rows dated in it.
//
// The ETag of a read names the reports it used: a query repeated while they
// are reused (ReportMaxAge) with that ETag as IfNoneMatch returns
// apiclient.ErrNotModified without a download.
//
// q.Skipped receives the rows of the files read, dated in the range, that
// could not be used whole. The files hold the Marketplace and purchase rows
// too, which count as well: no other read reports them. A row without a
// readable date cannot be placed in a range, so it counts in every read of
// its month's report.
func (c *Client) Usage(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	if q.Skipped != nil {
		*q.Skipped = apiclient.UsageSkipped{}
	}
	ranges, err := c.plan(q)
	if err != nil {
		return err
	}
	reports := make([]*costReport, len(ranges))
	for i, r := range ranges {
		if reports[i], err = c.report(ctx, r); err != nil {
			return err
		}
	}
	etag := usageETag(ranges, reports)
	if q.ETag != nil {
		*q.ETag = etag
	}
	if q.IfNoneMatch != "" && q.IfNoneMatch == etag {
		return apiclient.ErrNotModified
	}
	dec := usagedec.New(q.TagKeys)
	for i, r := range ranges {
		err := c.streamReport(ctx, r, reports[i], dec, q.Skipped, func(row *apiclient.UsageRow) error {
			if isMarketplace(dec.Kind()) || !isUsageCharge(dec.Extra()[extraChargeType]) {
				return nil
			}
			return fn(row)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// usageETag names the reports and the ranges of a usage read.
func usageETag(ranges []reportRange, reports []*costReport) string {
	var b strings.Builder
	b.WriteString(`W/"`)
	for i, r := range ranges {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(reports[i].id)
		if r.custom() {
			b.WriteString(":" + r.from.Format("20060102") + "-" + r.to.Format("20060102"))
		}
	}
	b.WriteByte('"')
	return b.String()
}

// MarketplaceCharges streams the Marketplace rows of the cost details
// report of period (yyyyMM), or of the current period when period is "",
// whatever their ChargeType: the EA marketplace charges held a plan's
// monthly charge, which the file may write as a Purchase.
func (c *Client) MarketplaceCharges(ctx context.Context, period string, fn func(*apiclient.MarketplaceCharge) error) error {
	p, err := c.periodOrCurrent(period)
	if err != nil {
		return err
	}
	r := reportRange{period: p}
	rep, err := c.report(ctx, r)
	if err != nil {
		return err
	}
	dec := usagedec.New(nil)
	var charge apiclient.MarketplaceCharge
	return c.streamReport(ctx, r, rep, dec, nil, func(row *apiclient.UsageRow) error {
		if !isMarketplace(dec.Kind()) {
			return nil
		}
		extra := dec.Extra()
		charge = apiclient.MarketplaceCharge{
			Date:           row.Date,
			Department:     string(row.Values[apiclient.DimDepartment]),
			SubscriptionID: string(row.Values[apiclient.DimSubscriptionID]),
			Subscription:   string(row.Values[apiclient.DimSubscription]),
			Publisher:      string(extra[usagedec.ARMExtraPublisher]),
			Offer:          string(extra[usagedec.ARMExtraOffer]),
			Plan:           string(extra[usagedec.ARMExtraPlan]),
			Cost:           row.Cost,
			Quantity:       row.Quantity,
		}
		return fn(&charge)
	})
}

func isMarketplace(kind []byte) bool {
	return bytes.EqualFold(bytes.TrimSpace(kind), []byte("Marketplace"))
}

// isUsageCharge tells a usage row from a purchase or refund (a reservation
// or savings plan bought that day): the EA usage details held usage only,
// purchases had their own route (reference 3.8). A file without the column,
// or a row without a value, is usage.
func isUsageCharge(chargeType []byte) bool {
	t := bytes.TrimSpace(chargeType)
	return len(t) == 0 || bytes.EqualFold(t, []byte("Usage"))
}

// plan turns q into report ranges: its billing period, or one range per
// calendar month its custom range touches.
func (c *Client) plan(q apiclient.UsageQuery) ([]reportRange, error) {
	if q.Start.IsZero() {
		p, err := c.periodOrCurrent(q.BillingPeriod)
		if err != nil {
			return nil, err
		}
		return []reportRange{{period: p}}, nil
	}
	from, to := utcDay(q.Start), utcDay(c.cfg.now())
	if !q.End.IsZero() {
		to = utcDay(q.End)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("arm: usage query ends (%s) before it starts (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	var ranges []reportRange
	for start := from; !start.After(to); {
		end := time.Date(start.Year(), start.Month()+1, 0, 0, 0, 0, 0, time.UTC)
		if end.After(to) {
			end = to
		}
		ranges = append(ranges, reportRange{period: start.Format("200601"), from: start, to: end})
		start = end.AddDate(0, 0, 1)
	}
	return ranges, nil
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// streamReport streams the rows of r's report rep, blob after blob, to fn,
// remembers the departments they name and, when skipped is set, counts there
// the rows of each blob read whole that could not be used whole. fn's own
// error is returned unchanged. A blob that cannot be read drops the report
// from the cache.
func (c *Client) streamReport(ctx context.Context, r reportRange, rep *costReport, dec *usagedec.Decoder,
	skipped *apiclient.UsageSkipped, fn func(*apiclient.UsageRow) error) error {
	seen := map[string]string{}
	for _, link := range rep.blobs {
		if err := c.streamBlob(ctx, link, r, dec, seen, fn); err != nil {
			c.reports.forgetReport(r.key(), rep)
			return err
		}
		// Only a blob read to its end counts: one that fails fails the
		// read, and the next read starts its count afresh.
		dec.AddSkipped(skipped)
	}
	c.depts.merge(seen)
	return nil
}

// streamBlob downloads one blob, without credentials, and decodes it. Each
// blob starts with its own header line.
func (c *Client) streamBlob(ctx context.Context, link string, r reportRange, dec *usagedec.Decoder,
	seen map[string]string, fn func(*apiclient.UsageRow) error) error {
	s, err := c.tr.Open(ctx, transport.Request{Endpoint: apiclient.EndpointUsageBlob, Accept: acceptCSV, URL: link})
	if err != nil {
		return err
	}
	defer s.Body.Close()
	if err := usagedec.CheckCSVType(s.Header.Get("Content-Type")); err != nil {
		return fmt.Errorf("%s: %w", apiclient.EndpointUsageBlob, err)
	}
	br := bufio.NewReaderSize(s.Body, 64<<10)
	if head, _ := br.Peek(512); bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("<")) {
		return fmt.Errorf("%s: %w: an HTML or XML page instead of CSV", apiclient.EndpointUsageBlob, apiclient.ErrBadResponse)
	}
	var fnErr error
	err = dec.CSV(br, c.schema, r.from, r.to, func(row *apiclient.UsageRow) error {
		noteDepartment(seen, dec.Extra()[extraDepartmentID], row.Values[apiclient.DimDepartment])
		if err := fn(row); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", apiclient.EndpointUsageBlob, err)
	}
	return nil
}

// noteDepartment records a department's id and name; the lookup of a known
// id allocates nothing.
func noteDepartment(seen map[string]string, id, name []byte) {
	if len(id) == 0 {
		return
	}
	if _, ok := seen[string(id)]; ok || len(seen) >= maxDepartments || !isID(string(id)) {
		return
	}
	seen[string(id)] = string(name)
}
