package ea

import (
	"context"
	"errors"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

// A pager whose query has Staging decodes each page as it arrives, through
// the decoder's small window, instead of reading it whole first: memory no
// longer follows the page size. The page's rows are staged: committed once
// the page is whole, rolled back before a damaged page is read again. A page
// the stream cannot decode as it goes (a second data member, whose rows
// replace the first's) is read again whole, the way pages are without
// Staging.

// errReadWhole asks for a page to be read again whole.
var errReadWhole = errors.New("page must be read whole")

// streamPage reads the page req asks for and delivers its rows, staged.
// It leaves the page's nextLink and header in p.link and p.header.
func (p *pager) streamPage(ctx context.Context, req transport.Request, r usageRange) error {
	p.link, p.header, p.streamRange = "", nil, r
	err := p.c.tr.Consume(ctx, req, p.consume)
	if errors.Is(err, errReadWhole) {
		if err := p.fetch(ctx, req); err != nil {
			return err
		}
		p.streamed = len(p.rows)
		return p.deliver(p.rows, r)
	}
	return err
}

// consumeAttempt decodes one attempt's body. Any failure takes back the rows it
// delivered; the transport then reads the page again if the failure is a
// damaged or cut body.
func (p *pager) consumeAttempt(s *transport.Stream) error {
	p.header, p.streamed, p.deliverErr = s.Header, 0, nil
	// An HTML page (a proxy's or a sign-in page) is told by its type here;
	// one sent as JSON fails to decode at its first byte.
	if containsFold(s.Header.Get("Content-Type"), "html") {
		return transport.Damaged(flex.ErrHTML)
	}
	p.staging.Begin()
	link, err := p.dec.Stream(s.Body, p.deliverStreamed)
	switch {
	case err == nil:
		p.staging.Commit()
		p.link = link
		return nil
	case errors.Is(err, usagedec.ErrNoData):
		// The text comes before any row; run decides what it means.
		p.staging.Rollback()
		return err
	}
	p.staging.Rollback()
	switch {
	case p.deliverErr != nil && errors.Is(err, p.deliverErr):
		return err
	case errors.Is(err, usagedec.ErrDuplicateData):
		return errReadWhole
	case errors.Is(err, apiclient.ErrBadResponse):
		return transport.Damaged(err)
	}
	return err
}

// deliverStreamed checks and delivers one decoded row, as checkFieldSizes
// and deliver do for a whole page.
func (p *pager) deliverStreamed(row *apiclient.UsageRow) error {
	if err := checkFieldSizes(row); err != nil {
		p.deliverErr = err
		return err
	}
	r := p.streamRange
	if r.custom() && (row.Date.Before(r.from) || row.Date.After(r.to)) {
		return nil
	}
	p.streamed++
	if err := p.fn(row); err != nil {
		p.deliverErr = err
		return err
	}
	return nil
}
