package ea

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

const acceptCSV = "application/octet-stream, text/csv"

// usageDownload streams the synchronous CSV report, one request per
// calendar month of a custom range. A 404 means no rows.
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
	for _, r := range ranges {
		s, err := c.tr.Open(ctx, transport.Request{Endpoint: apiclient.EndpointUsageDownload, Accept: acceptCSV,
			URL: c.apiURL("v3", "/usagedetails/download", r.query(c.currentPeriod())), Auth: auth, Check: checkCSV})
		if isStatus(err, http.StatusNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		err = streamCSV(apiclient.EndpointUsageDownload, s, dec, c.csvDays(r), fn)
		s.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// usageAsync submits an asynchronous report per range of at most 36
// months, polls it, and streams its blob, fetched without the key.
func (c *Client) usageAsync(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	ranges, err := c.plan(q, maxMonthsJSON)
	if err != nil {
		return err
	}
	auth, err := c.authorizer()
	if err != nil {
		return err
	}
	dec := usagedec.New(q.TagKeys)
	for _, r := range ranges {
		blob, err := c.runReport(ctx, auth, r)
		if err != nil {
			return err
		}
		if blob == "" {
			continue
		}
		s, err := c.tr.Open(ctx, transport.Request{Endpoint: apiclient.EndpointUsageBlob, Accept: acceptCSV, URL: blob, Check: checkCSV})
		if err != nil {
			return err
		}
		err = streamCSV(apiclient.EndpointUsageBlob, s, dec, c.csvDays(r), fn)
		s.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// runReport submits the report of r and polls it until it is ready,
// returning its blob URL, or "" when the report has no data.
func (c *Client) runReport(ctx context.Context, auth transport.Authorizer, r usageRange) (string, error) {
	var st reportStatus
	decode := func(payload []byte) (err error) {
		st, err = decodeReportStatus(payload)
		return err
	}
	submit := c.apiURL("v3", "/usagedetails/submit", r.query(c.currentPeriod()))
	err := c.getJSON(ctx, apiclient.EndpointUsageSubmit, http.MethodPost, submit, maxSmallBody, auth, decode)
	if isStatus(err, http.StatusNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	maxPolls := max(int(c.cfg.ReportTimeout/c.cfg.PollInterval), 1)
	var pollURL string
	for polls := 0; ; polls++ {
		done, err := st.outcome()
		if done || err != nil {
			return c.blobURL(st.BlobPath), err
		}
		if st.ReportURL != "" {
			pollURL = st.ReportURL
		}
		if pollURL == "" {
			return "", fmt.Errorf("%s: %w: report status %d without a reportUrl to poll", apiclient.EndpointUsageSubmit, apiclient.ErrBadResponse, st.Status)
		}
		if polls >= maxPolls {
			return "", fmt.Errorf("%s: report not ready after %s (status %d)", apiclient.EndpointUsageReport, c.cfg.ReportTimeout, st.Status)
		}
		if err := c.cfg.sleep(ctx, c.cfg.PollInterval); err != nil {
			return "", fmt.Errorf("%s: waiting for the report: %w", apiclient.EndpointUsageReport, err)
		}
		if err := c.getJSON(ctx, apiclient.EndpointUsageReport, http.MethodGet, c.resolve(pollURL), maxSmallBody, auth, decode); err != nil {
			return "", err
		}
	}
}

// resolve makes a link from the API absolute against the base URL.
func (c *Client) resolve(link string) string {
	ref, err := url.Parse(link)
	if err != nil {
		return link // the transport refuses it without naming it
	}
	return c.base.ResolveReference(ref).String()
}

func (c *Client) blobURL(blobPath string) string {
	if blobPath == "" {
		return ""
	}
	return c.resolve(blobPath)
}

// reportStatus is the asynchronous report object (reference 3.5).
type reportStatus struct {
	Status    int
	BlobPath  string
	ReportURL string
}

// The report states of the reference.
const (
	reportQueued          = 1
	reportInProgress      = 2
	reportCompleted       = 3
	reportFailed          = 4
	reportNoDataFound     = 5
	reportReadyToDownload = 6
	reportTimedOut        = 7
)

// outcome says whether polling is over: done with a blob, or done with no
// data (BlobPath cleared), or failed.
func (s *reportStatus) outcome() (bool, error) {
	switch s.Status {
	case reportCompleted, reportReadyToDownload:
		// Completed can come before its blobPath: keep polling then.
		return s.BlobPath != "", nil
	case reportQueued, reportInProgress:
		return false, nil
	case reportNoDataFound:
		s.BlobPath = ""
		return true, nil
	case reportFailed:
		return true, fmt.Errorf("%s: %w: status 4 (Failed)", apiclient.EndpointUsageReport, apiclient.ErrReportFailed)
	case reportTimedOut:
		return true, fmt.Errorf("%s: %w: status 7 (TimedOut)", apiclient.EndpointUsageReport, apiclient.ErrReportFailed)
	}
	return true, fmt.Errorf("%s: %w: unknown report status %d", apiclient.EndpointUsageReport, apiclient.ErrBadResponse, s.Status)
}

type reportStatusJSON struct {
	Status    flexString `json:"status"`
	BlobPath  flexString `json:"blobPath"`
	ReportURL flexString `json:"reportUrl"`
}

// decodeReportStatus decodes the report object; status may be a number or
// a string.
func decodeReportStatus(payload []byte) (reportStatus, error) {
	if payload[0] != '{' {
		return reportStatus{}, wrongShape(payload, "report status", "a JSON object")
	}
	var j reportStatusJSON
	if err := json.Unmarshal(payload, &j); err != nil {
		return reportStatus{}, decodeError("report status", err)
	}
	text := strings.TrimSpace(string(j.Status))
	status, err := strconv.Atoi(text)
	if err != nil {
		return reportStatus{}, fmt.Errorf("%w: report status %s is not a number", apiclient.ErrBadResponse, quoteShort(text))
	}
	return reportStatus{Status: status, BlobPath: strings.TrimSpace(string(j.BlobPath)),
		ReportURL: strings.TrimSpace(string(j.ReportURL))}, nil
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

// streamCSV streams the rows of a CSV body dated in r to fn. fn's own error
// is returned unchanged.
func streamCSV(endpoint string, s *transport.Stream, dec *usagedec.Decoder, r usageRange, fn func(*apiclient.UsageRow) error) error {
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
	return nil
}

// checkCSV refuses, for a retry, an answer that is plainly no CSV report:
// an HTML page, or a content type of another kind.
func checkCSV(res *transport.Response) error {
	if isHTML("", res.Body) {
		return transport.Damaged(fmt.Errorf("%w: an HTML page instead of CSV", apiclient.ErrBadResponse))
	}
	return transport.Damaged(checkCSVType(res.Header.Get("Content-Type")))
}

// checkCSVType accepts the API's application/octet-stream and the CSV and
// text types a mirror may use; it refuses HTML, JSON and XML.
func checkCSVType(contentType string) error {
	if contentType == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
	case mediaType == "application/octet-stream", mediaType == "text/csv", mediaType == "application/csv",
		mediaType == "text/plain", mediaType == "binary/octet-stream":
		return nil
	}
	return fmt.Errorf("%w: content type %s, want CSV", apiclient.ErrBadResponse, quoteShort(contentType))
}
