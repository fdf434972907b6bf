package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// failure is one failed attempt: its error, and when it may be retried, the
// reason and the wait the server asked for.
type failure struct {
	err     error
	reason  string // "" when the failure is final
	wait    time.Duration
	hasWait bool
}

// retry runs attempt until it succeeds, fails finally, or runs out of
// attempts, sleeping between attempts.
func (c *Client) retry(ctx context.Context, r Request, attempt func(n int) *failure) error {
	for n := 1; ; n++ {
		f := attempt(n)
		if f == nil {
			return nil
		}
		if f.reason == "" {
			return f.err
		}
		if n >= c.cfg.MaxAttempts {
			return fmt.Errorf("%w (gave up after %d attempts)", f.err, n)
		}
		wait, err := c.waitBefore(ctx, f, n)
		if err != nil {
			return err
		}
		c.cfg.Observer.ObserveRetry(r.Endpoint, f.reason)
		c.debug.Log("msg", "retrying API request", "endpoint", r.Endpoint,
			"reason", f.reason, "wait", wait, "attempt", n)
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: waiting to retry: %w (after: %w)", r.Endpoint, err, f.err)
		}
	}
}

// waitBefore returns how long to wait before attempt n+1, or an error when
// that wait is longer than allowed or would pass ctx's deadline.
func (c *Client) waitBefore(ctx context.Context, f *failure, n int) (time.Duration, error) {
	wait := c.backoff(n)
	if f.hasWait {
		if f.wait > c.cfg.MaxRetryWait {
			return 0, fmt.Errorf("%w: the server asks to wait %s before retrying, more than the %s limit",
				f.err, f.wait, c.cfg.MaxRetryWait)
		}
		wait = f.wait
	}
	if deadline, ok := ctx.Deadline(); ok && c.cfg.Now().Add(wait).After(deadline) {
		return 0, fmt.Errorf("%w: retrying after %s would pass the deadline", f.err, wait.Round(time.Millisecond))
	}
	return wait, nil
}

// backoff is the capped exponential backoff with full jitter after attempt n.
func (c *Client) backoff(n int) time.Duration {
	ceiling := c.cfg.BackoffMax
	if shift := n - 1; shift < 32 {
		if d := c.cfg.BackoffBase << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// statusFailure maps a non-2xx answer to a failure; body is at most the
// start of the answer's body.
func (c *Client) statusFailure(r Request, resp *http.Response, body []byte, secret string) *failure {
	code := resp.StatusCode
	contentType := resp.Header.Get("Content-Type")
	se := &apiclient.StatusError{Endpoint: r.Endpoint, Code: code,
		Message: apiMessage(body, contentType, secret, r.URL), HTML: htmlPage(body, contentType)}
	f := &failure{err: se}
	switch {
	case code == http.StatusBadRequest:
		se.Err = apiclient.ErrBadRequest
	case code == http.StatusUnauthorized:
		se.Err = c.cfg.Unauthorized
	case code == http.StatusTooManyRequests:
		f.reason = apiclient.ReasonThrottled
	case code == http.StatusServiceUnavailable:
		f.reason = apiclient.ReasonUnavailable
	case code == http.StatusInternalServerError, code == http.StatusBadGateway, code == http.StatusGatewayTimeout:
		f.reason = apiclient.ReasonServerError
	case code == http.StatusRequestTimeout:
		f.reason = apiclient.ReasonTimeout
	case code < 200 || (code >= 300 && code < 400):
		se.Err = apiclient.ErrBadResponse
	}
	if f.reason != "" {
		f.wait, f.hasWait = c.retryAfter(resp.Header)
	}
	return f
}

// retryAfter reads the wait the server asks for from the configured headers,
// then Retry-After: seconds (integer or decimal) or an HTTP date.
func (c *Client) retryAfter(h http.Header) (time.Duration, bool) {
	for _, name := range c.retryHeaders {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			if secs < 0 || secs != secs || secs > 1e9 {
				continue
			}
			return time.Duration(secs * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(c.cfg.Now()), 0), true
		}
	}
	return 0, false
}

// transportFailure maps an error from http.Client.Do or a body read. It
// drops *url.Error's URL: a nextLink can carry a token.
func transportFailure(ctx context.Context, endpoint, what string, err error) *failure {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() != nil {
		return &failure{err: fmt.Errorf("%s: %s: %w", endpoint, what, ctx.Err())}
	}
	f := &failure{err: fmt.Errorf("%s: %s: %w", endpoint, what, err)}
	switch {
	case errors.Is(err, apiclient.ErrForeignHost), isCertificateError(err):
	case isTimeout(err):
		f.reason = apiclient.ReasonTimeout
	default:
		f.reason = apiclient.ReasonNetwork
	}
	return f
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isCertificateError reports TLS failures that retrying cannot fix.
func isCertificateError(err error) bool {
	var verr *tls.CertificateVerificationError
	var rerr tls.RecordHeaderError
	return errors.As(err, &verr) || errors.As(err, &rerr)
}

// Damaged marks an error from Request.Check as a sign that the body was
// damaged on its way (truncated, replaced by a proxy's page), so that the
// request is retried with reason truncated.
func Damaged(err error) error {
	if err == nil {
		return nil
	}
	return damagedError{err}
}

type damagedError struct{ err error }

func (d damagedError) Error() string { return d.err.Error() }
func (d damagedError) Unwrap() error { return d.err }

// checkFailure maps an error from Request.Check.
func checkFailure(endpoint string, err error) *failure {
	var d damagedError
	if errors.As(err, &d) {
		return &failure{err: fmt.Errorf("%s: %w", endpoint, d.err), reason: apiclient.ReasonTruncated}
	}
	return &failure{err: fmt.Errorf("%s: %w", endpoint, err)}
}
