package arm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// maxReportBlobs bounds the blobs of one report: a report holds at most
// about 2 GB (reference 6.5.3), so thousands of blobs mean a broken answer.
const maxReportBlobs = 1000

// reportRange is what one read of a cost details report delivers: the
// report of a billing period (a calendar month), and when from is set, only
// its rows dated in [from, to]. Every range of a month reads the month's
// report, so that the usage ranges and the marketplace charges of one
// refresh cost Cost Management one report per period (its advice is to call
// rarely: the data changes every 4 hours).
type reportRange struct {
	period   string
	from, to time.Time
}

// key identifies the report in the cache.
func (r reportRange) key() string { return r.period }

func (r reportRange) custom() bool { return !r.from.IsZero() }

// body is the generateCostDetailsReport request body (reference 6.5.3).
func (r reportRange) body() []byte {
	return []byte(`{"metric":"ActualCost","billingPeriod":"` + r.period + `"}`)
}

// costReport is a finished cost details report: the links of its blobs,
// none when it found no data.
type costReport struct {
	blobs []string
	// validTill is when the links expire; zero when the API did not say.
	validTill time.Time
	// created is when the report was ready.
	created time.Time
	// id tells this report from every other, for the ETags of usage reads.
	id string
}

// generateReport asks for the cost details report of r and polls it until
// it is done.
func (c *Client) generateReport(ctx context.Context, r reportRange) (*costReport, error) {
	var st reportStatus
	op := operation{
		submit: apiclient.EndpointUsageSubmit, poll: apiclient.EndpointUsageReport,
		scope: c.accountScope(), apiVersion: apiVersionCostManagement, body: r.body(),
		url: c.mgmtURL(c.accountScope()+"/providers/Microsoft.CostManagement/generateCostDetailsReport", apiVersionCostManagement),
		final: func(payload []byte) (bool, error) {
			var err error
			if st, err = decodeReportStatus(payload); err != nil {
				return false, err
			}
			return st.outcome()
		},
	}
	finished, err := c.run(ctx, op)
	if err != nil {
		return nil, err
	}
	// Its age counts from now, when it is ready, not from the request: a
	// report generated for longer than ReportMaxAge would be stale at once,
	// and every later read of the refresh would wait for another one.
	rep := &costReport{created: c.cfg.now(), id: fmt.Sprintf("%s-%d", c.nonce, c.reportSeq.Add(1))}
	if finished {
		rep.blobs, rep.validTill = st.blobs, st.validTill
	}
	level.Debug(c.cfg.Logger).Log("msg", "cost details report ready", "billing_period", r.period, "blobs", len(rep.blobs))
	return rep, nil
}

// reportStatus is the decoded status of a cost details report.
type reportStatus struct {
	status    string
	blobs     []string
	validTill time.Time
	message   string
}

type reportStatusJSON struct {
	Status   flexString `json:"status"`
	Manifest *struct {
		Blobs []*struct {
			BlobLink flexString `json:"blobLink"`
		} `json:"blobs"`
	} `json:"manifest"`
	ValidTill flexString `json:"validTill"`
	Error     *struct {
		Code    flexString `json:"code"`
		Message flexString `json:"message"`
	} `json:"error"`
}

// decodeReportStatus decodes a report's status body (reference 6.5.3).
func decodeReportStatus(payload []byte) (reportStatus, error) {
	var j reportStatusJSON
	if err := decodeObject(payload, "report status", &j); err != nil {
		return reportStatus{}, err
	}
	st := reportStatus{status: strings.TrimSpace(string(j.Status))}
	if j.Manifest != nil {
		if len(j.Manifest.Blobs) > maxReportBlobs {
			return reportStatus{}, fmt.Errorf("%w: report status: %d blobs, more than %d", apiclient.ErrBadResponse, len(j.Manifest.Blobs), maxReportBlobs)
		}
		for _, b := range j.Manifest.Blobs {
			if b != nil && strings.TrimSpace(string(b.BlobLink)) != "" {
				st.blobs = append(st.blobs, strings.TrimSpace(string(b.BlobLink)))
			}
		}
	}
	validTill, err := parseTime("validTill", j.ValidTill)
	if err != nil {
		return reportStatus{}, fmt.Errorf("report status: %w", err)
	}
	st.validTill = validTill
	if j.Error != nil {
		st.message = strings.Trim(strings.TrimSpace(string(j.Error.Code))+": "+strings.TrimSpace(string(j.Error.Message)), ": ")
	}
	return st, nil
}

// outcome says whether the report is done, and how it failed.
func (s *reportStatus) outcome() (bool, error) {
	switch strings.ToLower(s.status) {
	case "completed":
		return true, nil
	case "nodatafound":
		s.blobs = nil
		return true, nil
	case "inprogress", "running", "queued", "notstarted", "accepted":
		return false, nil
	case "failed", "timedout", "canceled", "cancelled":
		msg := "status " + s.status
		if s.message != "" {
			msg += ": " + shorten(s.message, "")
		}
		return true, fmt.Errorf("%w: %s", apiclient.ErrReportFailed, msg)
	}
	return true, fmt.Errorf("%w: unknown report status %s", apiclient.ErrBadResponse, quoteShort(s.status))
}
