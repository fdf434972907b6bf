package arm

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
)

// maxPriceFileBytes bounds one decompressed CSV file of the price sheet
// zip: the API promises at most 75 MB per file (reference 6.5.5), and a
// zip must not be able to inflate without end.
const maxPriceFileBytes = 1 << 30

// PriceSheet downloads the price sheet of period (yyyyMM), or of the
// current calendar month when period is "": it asks for the download,
// polls it, fetches the zip from its link without credentials, and streams
// the rows of every CSV file in it. A 404 of the API's (not a proxy's HTML
// page) or a 204 is "no data".
func (c *Client) PriceSheet(ctx context.Context, period string, fn func(*apiclient.PriceSheetItem) error) error {
	p, err := c.periodOrCurrent(period)
	if err != nil {
		return err
	}
	link, err := c.priceSheetLink(ctx, p)
	if err != nil || link == "" {
		return err
	}
	var buf bytes.Buffer
	_, err = c.tr.Do(ctx, transport.Request{
		Endpoint: apiclient.EndpointPriceSheet, URL: link, Accept: "application/zip, application/octet-stream",
		Check: func(r *transport.Response) error {
			if !bytes.HasPrefix(r.Body, []byte("PK")) {
				return transport.Damaged(fmt.Errorf("%w: the price sheet download is not a zip", apiclient.ErrBadResponse))
			}
			return nil
		},
	}, &buf)
	if err != nil {
		return err
	}
	if err := readPriceZip(buf.Bytes(), fn); err != nil {
		return fmt.Errorf("%s: %w", apiclient.EndpointPriceSheet, err)
	}
	return nil
}

// priceSheetLink runs the download operation of period p and returns the
// file's link, or "" when there is no price sheet.
func (c *Client) priceSheetLink(ctx context.Context, p string) (string, error) {
	var st priceSheetStatus
	op := operation{
		submit: apiclient.EndpointPriceSheet, poll: apiclient.EndpointPriceSheet,
		scope: c.accountScope(), apiVersion: apiVersionCostManagement,
		url: c.mgmtURL(c.accountScope()+"/billingPeriods/"+p+"/providers/Microsoft.CostManagement/pricesheets/default/download",
			apiVersionCostManagement),
		final: func(payload []byte) (bool, error) {
			var err error
			if st, err = decodePriceSheetStatus(payload); err != nil {
				return false, err
			}
			return st.outcome()
		},
	}
	finished, err := c.run(ctx, op)
	switch {
	case isNoData(err):
		return "", nil
	case err != nil:
		return "", err
	case !finished:
		return "", nil
	}
	level.Debug(c.cfg.Logger).Log("msg", "price sheet ready", "billing_period", p)
	return st.downloadURL, nil
}

// priceSheetStatus is the price sheet download operation's status.
type priceSheetStatus struct {
	status, downloadURL, message string
}

type priceSheetStatusJSON struct {
	Status     flexString `json:"status"`
	Properties *struct {
		DownloadURL flexString `json:"downloadUrl"`
	} `json:"properties"`
	Error *struct {
		Code    flexString `json:"code"`
		Message flexString `json:"message"`
	} `json:"error"`
}

// decodePriceSheetStatus decodes {status, properties:{downloadUrl}}.
func decodePriceSheetStatus(payload []byte) (priceSheetStatus, error) {
	var j priceSheetStatusJSON
	if err := decodeObject(payload, "price sheet status", &j); err != nil {
		return priceSheetStatus{}, err
	}
	st := priceSheetStatus{status: strings.TrimSpace(string(j.Status))}
	if j.Properties != nil {
		st.downloadURL = strings.TrimSpace(string(j.Properties.DownloadURL))
	}
	if j.Error != nil {
		st.message = strings.Trim(strings.TrimSpace(string(j.Error.Code))+": "+strings.TrimSpace(string(j.Error.Message)), ": ")
	}
	return st, nil
}

func (s *priceSheetStatus) outcome() (bool, error) {
	switch strings.ToLower(s.status) {
	case "completed", "succeeded":
		if s.downloadURL == "" {
			return true, fmt.Errorf("%w: price sheet completed without a downloadUrl", apiclient.ErrBadResponse)
		}
		return true, nil
	case "running", "inprogress", "notstarted", "queued", "accepted":
		return false, nil
	case "failed", "timedout", "canceled", "cancelled":
		msg := "status " + s.status
		if s.message != "" {
			msg += ": " + shorten(s.message, "")
		}
		return true, fmt.Errorf("%w: price sheet %s", apiclient.ErrReportFailed, msg)
	}
	return true, fmt.Errorf("%w: unknown price sheet status %s", apiclient.ErrBadResponse, quoteShort(s.status))
}

// readPriceZip streams the rows of every CSV file in the zip.
func readPriceZip(data []byte, fn func(*apiclient.PriceSheetItem) error) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: price sheet zip: %w", apiclient.ErrBadResponse, err)
	}
	files := 0
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			continue
		}
		files++
		if err := readPriceFile(f, fn); err != nil {
			return err
		}
	}
	if files == 0 {
		return fmt.Errorf("%w: price sheet zip holds no CSV file", apiclient.ErrBadResponse)
	}
	return nil
}

func readPriceFile(f *zip.File, fn func(*apiclient.PriceSheetItem) error) error {
	if f.UncompressedSize64 > maxPriceFileBytes {
		return fmt.Errorf("%w: price sheet file of %d bytes, over the %d-byte limit", apiclient.ErrBadResponse, f.UncompressedSize64, maxPriceFileBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: price sheet zip: %w", apiclient.ErrBadResponse, err)
	}
	defer rc.Close()
	return readPriceCSV(io.LimitReader(zipDamage{rc}, maxPriceFileBytes), fn)
}

// zipDamage marks the read errors of a file in the zip (a bad checksum, a
// corrupt deflate stream) as a damaged answer: the zip is in memory, so no
// network is to blame.
type zipDamage struct{ r io.Reader }

func (z zipDamage) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: price sheet zip: %w", apiclient.ErrBadResponse, err)
	}
	return n, err
}
