package arm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// operation is a Resource Manager asynchronous operation: a POST answered
// by 202 with Location and Retry-After, whose Location is polled until a
// 200 carries the final body, or a 204 says there is no result.
type operation struct {
	// submit and poll are the endpoint names of the POST and the polls.
	submit, poll string
	scope        string
	url          string
	body         []byte
	apiVersion   string
	// final inspects a 200 answer's payload and says whether the operation
	// is over; an error ends it.
	final func(payload []byte) (done bool, err error)
}

// run starts op and polls it. It returns true when a 200 answer ended it,
// false when a 204 said there is no result.
func (c *Client) run(ctx context.Context, op operation) (bool, error) {
	deadline := c.cfg.now().Add(c.cfg.ReportTimeout)
	var done bool
	decode := func(payload []byte) (err error) {
		done, err = op.final(payload)
		return err
	}
	res, err := c.call(ctx, mgmtCall{endpoint: op.submit, scope: op.scope, method: http.MethodPost, url: op.url, body: op.body}, decode)
	var pollURL string
	for polls := 1; ; polls++ {
		if err != nil {
			return false, err
		}
		switch {
		case res.StatusCode == http.StatusNoContent:
			return false, nil
		case res.StatusCode != http.StatusAccepted && done:
			return true, nil
		}
		if loc := strings.TrimSpace(res.Header.Get("Location")); loc != "" {
			if pollURL, err = c.resolve(loc, op.apiVersion); err != nil {
				return false, fmt.Errorf("%s: %w: Location is not a URL", op.submit, apiclient.ErrBadResponse)
			}
		}
		if pollURL == "" {
			return false, fmt.Errorf("%s: %w: HTTP %d without a Location to poll", op.submit, apiclient.ErrBadResponse, res.StatusCode)
		}
		wait := c.pollWait(res.Header)
		if c.cfg.now().Add(wait).After(deadline) {
			return false, fmt.Errorf("%s: not ready after %s (%d polls)", op.poll, c.cfg.ReportTimeout, polls-1)
		}
		level.Debug(c.cfg.Logger).Log("msg", "waiting for operation", "endpoint", op.poll, "wait", wait, "polls", polls-1)
		if err := c.cfg.sleep(ctx, wait); err != nil {
			return false, fmt.Errorf("%s: waiting to poll: %w", op.poll, err)
		}
		done = false
		res, err = c.call(ctx, mgmtCall{endpoint: op.poll, scope: op.scope, method: http.MethodGet, url: pollURL}, decode)
	}
}

// resolve makes a link from the API (a Location, a nextLink) absolute
// against the management endpoint and keeps it as given, except that an
// api-version is added when it has none: every Resource Manager call needs
// one. A link on another host is refused by the transport, so the token
// never leaves the management endpoint.
func (c *Client) resolve(link, apiVersion string) (string, error) {
	ref, err := url.Parse(link)
	if err != nil {
		return "", err
	}
	u := c.base.ResolveReference(ref)
	if !u.Query().Has("api-version") {
		q := u.Query()
		q.Set("api-version", apiVersion)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// pollWait is the wait before the next poll: the answer's Retry-After
// (seconds or an HTTP date) bounded by the configured minimum and maximum,
// or the poll interval when it has none.
func (c *Client) pollWait(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return c.cfg.PollInterval
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e6 {
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(c.cfg.now())
	} else {
		return c.cfg.PollInterval
	}
	return min(max(d, c.cfg.MinPollInterval), c.cfg.MaxPollInterval)
}
