// Package transport sends the HTTP requests of the billing API clients: one
// reused http.Client with timeouts, credentials applied only to the
// configured host, retries with backoff that honour the servers' retry-after
// headers, bounded body reads, and errors that name an endpoint, never a URL
// or a credential. It knows nothing of any particular API.
package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// Authorizer adds credentials to a request. The client calls it only for
// requests to the configured base URL's scheme and host.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// Config configures a Client. Zero values take the defaults named below.
type Config struct {
	// BaseURL is the API's origin; only requests to its scheme, host and
	// port carry credentials. Required.
	BaseURL *url.URL
	// HTTPClient is used when set (its CheckRedirect is replaced by one
	// that never carries Authorization to another host); otherwise a
	// client with the timeouts below and the environment's proxy is built.
	HTTPClient *http.Client
	Observer   apiclient.Observer
	// Logger receives per-request detail at debug level.
	Logger log.Logger

	// RequestTimeout bounds one attempt, its body included (default 5m).
	RequestTimeout time.Duration
	// DialTimeout, TLSHandshakeTimeout and ResponseHeaderTimeout configure
	// the built client (defaults 30s, 10s and 3m).
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout time.Duration

	// MaxAttempts is the number of attempts of one request (default 5).
	MaxAttempts int
	// BackoffBase and BackoffMax bound the exponential backoff with full
	// jitter used when the server names no wait (defaults 1s and 30s).
	BackoffBase, BackoffMax time.Duration
	// MaxRetryWait is the longest wait a retry-after header may ask for;
	// a longer one fails the request at once (default 5m).
	MaxRetryWait time.Duration
	// RetryAfterHeaders are the headers read, in order, for the wait the
	// server asks for (seconds, or an HTTP date). Retry-After is always
	// read last. Default: the EA API's throttling header.
	RetryAfterHeaders []string

	// MaxBodyBytes bounds a buffered body (default 256 MiB).
	MaxBodyBytes int64
	// MaxStreamBytes bounds a streamed body (default 64 GiB): streams use
	// no memory, but a body that never ends must still end.
	MaxStreamBytes int64

	// UserAgent is sent with every request.
	UserAgent string
	// Unauthorized is the error a 401 answer wraps (default
	// apiclient.ErrUnauthorized); it must be that one for errors.Is.
	Unauthorized error

	// Sleep waits d or until ctx ends; tests replace it to run retries
	// without waiting. Now is the clock. Both default to the real ones.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// ThrottleHeaderEA is the header in which the EA Reporting API gives the
// seconds to wait after a 429.
const ThrottleHeaderEA = "x-ms-ratelimit-microsoft.consumption-retry-after"

// Client sends requests. It is safe for concurrent use.
type Client struct {
	cfg    Config
	origin string
	http   *http.Client
	// debug is the logger at debug level, made once: a usage listing logs
	// every page.
	debug log.Logger
	// retryHeaders is RetryAfterHeaders then Retry-After.
	retryHeaders []string
	// acceptJSON and userAgent are header values shared by every request
	// (net/http never changes a value it is given), so that a page costs no
	// allocation for them.
	acceptJSON, userAgent []string
}

// Request describes one API call.
type Request struct {
	// Endpoint is the fixed name used in observations and errors.
	Endpoint string
	Method   string
	// URL is absolute. It never appears in errors or logs.
	URL string
	// Auth, when set, adds credentials; the URL must then be on the base
	// URL's origin, else the request is refused with ErrForeignHost. A
	// request without Auth never carries credentials, to any host.
	Auth Authorizer
	// Accept is the Accept header (default application/json).
	Accept string
	// IfNoneMatch, when set, is sent as If-None-Match: a 304 answer then
	// ends the request with an error wrapping apiclient.ErrNotModified,
	// without retries. Without it a 304 is an unexpected answer.
	IfNoneMatch string
	// MaxBytes, when positive and lower, replaces MaxBodyBytes for this
	// request: an endpoint whose answers are small can refuse a big one
	// before decoding it.
	MaxBytes int64
	// Answered, when set, sees every answer to an attempt, whatever its
	// status, before the client reads it: the headers of a refusal (a
	// 401's challenge, a 429's quota) are the caller's to read. It must
	// not read or close the body.
	Answered func(*http.Response)
	// Check inspects a 2xx answer before Do or Open returns it: the whole
	// body for Do, the start of it (up to PeekBytes) for Open. An error
	// made with Damaged makes the request be retried (reason truncated);
	// any other error is returned at once.
	Check func(*Response) error
}

// Response is a buffered 2xx answer.
type Response struct {
	StatusCode int
	Header     http.Header
	// Body aliases the buffer passed to Do; for Open's Check, it is the
	// start of the stream.
	Body []byte
}

// PeekBytes is how much of a stream Open shows to Request.Check.
const PeekBytes = 512

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == nil || cfg.BaseURL.Host == "" {
		return nil, errors.New("transport: base URL with a host is required")
	}
	cfg = withDefaults(cfg)
	c := &Client{cfg: cfg, origin: originOf(cfg.BaseURL), debug: level.Debug(cfg.Logger),
		retryHeaders: append(slices.Clone(cfg.RetryAfterHeaders), "Retry-After"),
		acceptJSON:   []string{"application/json"}}
	if cfg.UserAgent != "" {
		c.userAgent = []string{cfg.UserAgent}
	}
	c.http = c.buildHTTPClient()
	return c, nil
}

func withDefaults(cfg Config) Config {
	setDuration(&cfg.RequestTimeout, 5*time.Minute)
	setDuration(&cfg.DialTimeout, 30*time.Second)
	setDuration(&cfg.TLSHandshakeTimeout, 10*time.Second)
	setDuration(&cfg.ResponseHeaderTimeout, 3*time.Minute)
	setDuration(&cfg.BackoffBase, time.Second)
	setDuration(&cfg.BackoffMax, 30*time.Second)
	setDuration(&cfg.MaxRetryWait, 5*time.Minute)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 256 << 20
	}
	if cfg.MaxStreamBytes <= 0 {
		cfg.MaxStreamBytes = 64 << 30
	}
	if cfg.RetryAfterHeaders == nil {
		cfg.RetryAfterHeaders = []string{ThrottleHeaderEA}
	}
	if cfg.Observer == nil {
		cfg.Observer = apiclient.NopObserver{}
	}
	if cfg.Unauthorized == nil {
		cfg.Unauthorized = apiclient.ErrUnauthorized
	}
	if cfg.Logger == nil {
		cfg.Logger = log.NewNopLogger()
	}
	if cfg.Sleep == nil {
		cfg.Sleep = Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Do sends r, retrying as configured, and reads the whole 2xx body into buf
// (reset first; bounded by MaxBodyBytes or r.MaxBytes). A non-2xx answer that is not
// retried, or that still fails after the last attempt, is a
// *apiclient.StatusError.
func (c *Client) Do(ctx context.Context, r Request, buf *bytes.Buffer) (*Response, error) {
	if err := c.admit(r); err != nil {
		return nil, err
	}
	var res *Response
	err := c.retry(ctx, r, func(attempt int) *failure {
		var f *failure
		res, f = c.attemptBuffered(ctx, r, buf, attempt)
		return f
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// admit refuses what must not be sent at all: a URL that is not absolute
// http(s), and credentials for another host.
func (c *Client) admit(r Request) error {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %w: not an absolute http(s) URL", r.Endpoint, apiclient.ErrBadResponse)
	}
	if r.Auth != nil && originOf(u) != c.origin {
		c.cfg.Observer.ObserveRefused(r.Endpoint)
		return fmt.Errorf("%s: %w: refused to send the credential there", r.Endpoint, apiclient.ErrForeignHost)
	}
	return nil
}

// newRequest builds one attempt's request, credentials included.
func (c *Client) newRequest(ctx context.Context, r Request) (*http.Request, string, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("%s: building request: %w", r.Endpoint, errors.Unwrap(err))
	}
	if r.Accept == "" {
		req.Header["Accept"] = c.acceptJSON
	} else {
		req.Header.Set("Accept", r.Accept)
	}
	if r.IfNoneMatch != "" {
		req.Header.Set("If-None-Match", r.IfNoneMatch)
	}
	if c.userAgent != nil {
		req.Header["User-Agent"] = c.userAgent
	}
	if r.Auth == nil {
		return req, "", nil
	}
	if err := r.Auth.Authorize(ctx, req); err != nil {
		return nil, "", fmt.Errorf("%s: %w", r.Endpoint, err)
	}
	return req, credentialOf(req), nil
}
