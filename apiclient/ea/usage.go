package ea

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

// Range limits of the reference (1.5): the JSON and asynchronous endpoints
// take at most 36 months, the synchronous CSV download one.
const (
	maxMonthsJSON     = 36
	maxMonthsDownload = 1
)

// Usage streams the usage rows that q selects to fn, by q.Method. UsageAuto
// pages through the JSON endpoints.
func (c *Client) Usage(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	if q.Skipped != nil {
		*q.Skipped = apiclient.UsageSkipped{}
	}
	switch q.Method {
	case apiclient.UsageAuto, apiclient.UsageJSON:
		return c.usageJSON(ctx, q, fn)
	case apiclient.UsageCSV:
		return c.usageDownload(ctx, q, fn)
	case apiclient.UsageAsync:
		return c.usageAsync(ctx, q, fn)
	}
	return fmt.Errorf("ea: unknown usage method %d", q.Method)
}

// usageRange is one request's worth of a usage query: a billing period
// ("" for the current one), or a custom range of whole UTC days.
type usageRange struct {
	period   string
	from, to time.Time
}

func (r usageRange) custom() bool { return !r.from.IsZero() }

// query is the range's query string for the CSV routes, which take either
// form; current names the current period for them.
func (r usageRange) query(current string) url.Values {
	if r.custom() {
		return url.Values{"startTime": {r.from.Format(time.DateOnly)}, "endTime": {r.to.Format(time.DateOnly)}}
	}
	if r.period == "" {
		return url.Values{"billingPeriod": {current}}
	}
	return url.Values{"billingPeriod": {r.period}}
}

// plan splits q into ranges of at most maxMonths calendar months.
func (c *Client) plan(q apiclient.UsageQuery, maxMonths int) ([]usageRange, error) {
	if q.Start.IsZero() {
		if q.BillingPeriod != "" {
			if err := validPeriod(q.BillingPeriod); err != nil {
				return nil, err
			}
		}
		return []usageRange{{period: q.BillingPeriod}}, nil
	}
	from, to := utcDay(q.Start), utcDay(c.cfg.now())
	if !q.End.IsZero() {
		to = utcDay(q.End)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("ea: usage query ends (%s) before it starts (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return splitRange(from, to, maxMonths), nil
}

// splitRange cuts [from, to] at calendar month boundaries into ranges of at
// most months months each.
func splitRange(from, to time.Time, months int) []usageRange {
	var ranges []usageRange
	for start := from; !start.After(to); {
		end := time.Date(start.Year(), start.Month()+time.Month(months), 0, 0, 0, 0, 0, time.UTC)
		if end.After(to) {
			end = to
		}
		ranges = append(ranges, usageRange{from: start, to: end})
		start = end.AddDate(0, 0, 1)
	}
	return ranges
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// currentPeriod is the current calendar month as yyyyMM: EA billing
// periods are calendar months, and the CSV routes want a period.
func (c *Client) currentPeriod() string { return c.cfg.now().UTC().Format("200601") }

// usageJSON pages through the JSON usage-details routes, each range's
// first page conditionally on its part of q.IfNoneMatch.
func (c *Client) usageJSON(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	ranges, err := c.plan(q, maxMonthsJSON)
	if err != nil {
		return err
	}
	auth, err := c.authorizer()
	if err != nil {
		return err
	}
	p := &pager{c: c, auth: auth, dec: usagedec.New(q.TagKeys), fn: fn, debug: level.Debug(c.cfg.Logger), staging: q.Staging, skipped: q.Skipped}
	p.check, p.consume = p.checkPage, p.consumeAttempt
	return conditionally(q, len(ranges), func(i int, ifNoneMatch string) (string, error) {
		return p.run(ctx, ranges[i], ifNoneMatch)
	})
}

// pager follows the nextLinks of one usage listing. Each page is read whole
// into buf and decoded before any of its rows is delivered, so that a
// damaged page is fetched again without a row being delivered twice.
type pager struct {
	c     *Client
	auth  transport.Authorizer
	dec   *usagedec.Decoder
	fn    func(*apiclient.UsageRow) error
	debug log.Logger
	buf   bytes.Buffer
	// skipped, when set, counts the rows of the pages read that could not
	// be used whole.
	skipped *apiclient.UsageSkipped
	// check is checkPage, bound once; it leaves the decoded page in rows,
	// link and header. Together they spare each page a closure.
	check  func(*transport.Response) error
	rows   []apiclient.UsageRow
	link   string
	header http.Header
	// staging, when set, makes pages be decoded as they arrive (see
	// streamPage); consume is consumeAttempt, bound once, and streamRange,
	// streamed and deliverErr the page being streamed: its range, the rows
	// delivered, and the error the delivery failed with.
	staging     apiclient.UsageStaging
	consume     func(*transport.Stream) error
	streamRange usageRange
	streamed    int
	deliverErr  error
}

func (p *pager) firstURL(r usageRange) (string, error) {
	if r.custom() {
		return p.c.apiURL("v3", "/usagedetailsbycustomdate", url.Values{
			"startTime": {r.from.Format(time.DateOnly)}, "endTime": {r.to.Format(time.DateOnly)}}), nil
	}
	path, err := periodPath(r.period)
	return p.c.apiURL("v3", path+"/usagedetails", nil), err
}

// run delivers the rows of range r and returns the ETag of its first page.
// The first page is asked for conditionally on ifNoneMatch, when set: a 304
// returns an error wrapping apiclient.ErrNotModified. A 400 or 404 on the
// first page, or the "Usage Data Extract" body, means no data; on a later
// page it is an error, since rows were delivered already and the rest of
// the listing would be lost.
func (p *pager) run(ctx context.Context, r usageRange, ifNoneMatch string) (string, error) {
	next, err := p.firstURL(r)
	if err != nil {
		return "", err
	}
	var etag string
	seen := make(map[string]bool)
	for page := 1; next != ""; page++ {
		if page > p.c.cfg.MaxPages {
			return "", fmt.Errorf("%s: %w: more than %d pages", apiclient.EndpointUsageDetails, apiclient.ErrPageLoop, p.c.cfg.MaxPages)
		}
		if seen[next] {
			return "", fmt.Errorf("%s: %w: page %d links back to an earlier page", apiclient.EndpointUsageDetails, apiclient.ErrPageLoop, page-1)
		}
		seen[next] = true
		req := transport.Request{Endpoint: apiclient.EndpointUsageDetails, URL: next, Auth: p.auth}
		if page == 1 {
			req.IfNoneMatch = ifNoneMatch
		}
		rows, err := p.page(ctx, req, r)
		switch {
		case page == 1 && isNoData(err):
			return "", nil
		case page == 1 && errors.Is(err, usagedec.ErrNoData):
			return p.header.Get("ETag"), nil
		case errors.Is(err, usagedec.ErrNoData):
			return "", fmt.Errorf("%s: %w: page %d answered the \"Usage Data Extract\" text, which only the first page of an empty listing may",
				apiclient.EndpointUsageDetails, apiclient.ErrBadResponse, page)
		case err != nil:
			return "", err
		}
		if page == 1 {
			etag = p.header.Get("ETag")
		}
		p.debug.Log("msg", "usage page", "endpoint", apiclient.EndpointUsageDetails, "page", page, "rows", rows)
		if next, err = resolveLink(next, p.link); err != nil {
			return "", err
		}
	}
	return etag, nil
}

// page reads one page and delivers its rows, streamed when the query has
// Staging, else read whole first, and returns how many it delivered. The
// rows the page skipped count once it is read whole, whatever the attempts
// before.
func (p *pager) page(ctx context.Context, req transport.Request, r usageRange) (int, error) {
	n, err := p.readPage(ctx, req, r)
	if err == nil {
		p.dec.AddSkipped(p.skipped)
	}
	return n, err
}

func (p *pager) readPage(ctx context.Context, req transport.Request, r usageRange) (int, error) {
	if p.staging != nil {
		err := p.streamPage(ctx, req, r)
		return p.streamed, err
	}
	if err := p.fetch(ctx, req); err != nil {
		return 0, err
	}
	return len(p.rows), p.deliver(p.rows, r)
}

// fetch reads and decodes one page into p.rows, p.link and p.header; the
// rows are valid until the next call.
func (p *pager) fetch(ctx context.Context, req transport.Request) error {
	p.rows, p.link, p.header = nil, "", nil
	req.Check = p.check
	_, err := p.c.tr.Do(ctx, req, &p.buf)
	return err
}

func (p *pager) checkPage(res *transport.Response) error {
	var err error
	p.rows, p.link, err = p.decode(res)
	p.header = res.Header
	return err
}

func (p *pager) decode(res *transport.Response) ([]apiclient.UsageRow, string, error) {
	if isHTML(res.Header.Get("Content-Type"), res.Body) {
		return nil, "", transport.Damaged(flex.ErrHTML)
	}
	rows, link, err := p.dec.Page(res.Body)
	switch {
	case errors.Is(err, usagedec.ErrNoData):
		// Not damaged: whether it ends the listing is run's to say.
		return nil, "", err
	case err != nil:
		return nil, "", transport.Damaged(err)
	}
	for i := range rows {
		if err := checkFieldSizes(&rows[i]); err != nil {
			return nil, "", err
		}
	}
	return rows, link, nil
}

// checkFieldSizes refuses a row value too long to be a label.
func checkFieldSizes(row *apiclient.UsageRow) error {
	for _, v := range row.Values {
		if len(v) > maxFieldBytes {
			return fmt.Errorf("%w: a usage field of %d bytes is over the %d-byte limit", apiclient.ErrBadResponse, len(v), maxFieldBytes)
		}
	}
	for _, v := range row.Tags {
		if len(v) > maxFieldBytes {
			return fmt.Errorf("%w: a tag value of %d bytes is over the %d-byte limit", apiclient.ErrBadResponse, len(v), maxFieldBytes)
		}
	}
	return nil
}

// deliver passes rows to fn, dropping those dated outside a custom range.
func (p *pager) deliver(rows []apiclient.UsageRow, r usageRange) error {
	for i := range rows {
		row := &rows[i]
		if r.custom() && (row.Date.Before(r.from) || row.Date.After(r.to)) {
			continue
		}
		if err := p.fn(row); err != nil {
			return err
		}
	}
	return nil
}

// resolveLink resolves a nextLink (absolute in practice) against the page
// it came from; a blank one ends the listing, as the reference's C# client
// reads it (IsNullOrWhiteSpace). An absolute http(s) link is taken as it
// is: the transport checks its host before anything is sent.
func resolveLink(pageURL, link string) (string, error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return "", nil
	}
	if hasPrefixFold(link, "https://") || hasPrefixFold(link, "http://") {
		return link, nil
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return "", fmt.Errorf("%s: %w: bad page URL", apiclient.EndpointUsageDetails, apiclient.ErrBadResponse)
	}
	ref, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%s: %w: nextLink is not a URL", apiclient.EndpointUsageDetails, apiclient.ErrBadResponse)
	}
	return base.ResolveReference(ref).String(), nil
}

// isHTML reports an HTML page by its content type or first byte.
func isHTML(contentType string, body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return bytes.HasPrefix(trimmed, []byte("<")) || containsFold(contentType, "html")
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// containsFold reports whether s holds the lower-case ASCII word, ignoring
// case, without the copy strings.ToLower makes.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}
