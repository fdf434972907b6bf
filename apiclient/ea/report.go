package ea

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

// usageAsync submits an asynchronous report per range of at most 36
// months, polls it, and streams its blob, fetched without the key. Each
// report is new, so the query cannot be conditional: q.IfNoneMatch is
// ignored and the ETag is "".
func (c *Client) usageAsync(ctx context.Context, q apiclient.UsageQuery, fn func(*apiclient.UsageRow) error) error {
	if q.ETag != nil {
		*q.ETag = ""
	}
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
		err = streamCSV(apiclient.EndpointUsageBlob, s, dec, c.csvDays(r), q.Skipped, fn)
		s.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// runReport submits the report of r and polls it until it is ready,
// returning its blob URL, or "" when the report has no data: a submit
// answered 400 or 404, as the JSON route's, or the status NoDataFound.
func (c *Client) runReport(ctx context.Context, auth transport.Authorizer, r usageRange) (string, error) {
	var st reportStatus
	decode := func(payload []byte) (err error) {
		st, err = decodeReportStatus(payload)
		return err
	}
	submit := c.apiURL("v3", "/usagedetails/submit", r.query(c.currentPeriod()))
	err := c.getJSON(ctx, apiclient.EndpointUsageSubmit, http.MethodPost, submit, maxSmallBody, auth, decode)
	if isNoData(err) {
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
