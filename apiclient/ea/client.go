// Package ea is the client of the EA Reporting API
// (https://consumption.azure.com) for one enrollment. It implements
// apiclient.Source and apiclient.CredentialExpirer.
//
// The API key is read from its file (or the environment) at the start of
// every call, so that a rotated key is used from the next refresh on, and it
// is sent only to the configured base URL's host.
package ea

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-kit/log"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
)

// DefaultBaseURL is the EA Reporting API's host.
const DefaultBaseURL = "https://consumption.azure.com"

// DefaultMaxBodyBytes bounds a JSON answer held in memory. A usage page of
// 1000 rows is about 1.4 MB and a price sheet item about 350 bytes (64 MiB
// hold some 190,000); a broken or hostile server must not make the exporter
// hold more.
const DefaultMaxBodyBytes = 64 << 20

// EnvAPIKey is the environment variable that holds the key when no key file
// is configured.
const EnvAPIKey = "AZURE_EA_API_KEY"

// Config configures a Client. Zero values take the defaults named below.
type Config struct {
	// BaseURL is the API's absolute http(s) URL, without query
	// (default DefaultBaseURL). A path prefix is kept.
	BaseURL string
	// Enrollment is the enrollment number (digits).
	Enrollment string
	// KeyFile holds the API key; "" reads it from EnvAPIKey.
	KeyFile string
	// Observer counts requests, retries and refused links.
	Observer apiclient.Observer
	// Logger receives per-request detail at debug level.
	Logger log.Logger
	// HTTPClient replaces the built-in client (timeouts, gzip, proxy from
	// the environment) when set.
	HTTPClient *http.Client

	// MaxPages bounds the pages of one usage listing (default 10000).
	MaxPages int
	// Retry configures retries of failed requests.
	Retry RetryConfig
	// RequestTimeout bounds one HTTP attempt, body included (default 5m).
	RequestTimeout time.Duration
	// PollInterval is the wait between polls of an asynchronous report
	// (default 10s); ReportTimeout bounds the polling (default 1h).
	PollInterval, ReportTimeout time.Duration
	// MaxBodyBytes bounds a JSON body held in memory (default
	// DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxStreamBytes bounds a streamed CSV body (default 64 GiB).
	MaxStreamBytes int64

	// Test hooks: the clock, the sleep between retries and polls, the
	// environment, and the bound of the answers kept for conditional
	// requests.
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	getenv     func(string) string
	cacheBytes int64
}

// RetryConfig configures retries of 429, 5xx, timeouts, network errors and
// truncated bodies.
type RetryConfig = apiclient.RetryConfig

// Client talks to the EA Reporting API for one enrollment. It is safe for
// concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	tr    *transport.Client
	cache *bodyCache
}

var (
	_ apiclient.Source            = (*Client)(nil)
	_ apiclient.CredentialExpirer = (*Client)(nil)
)

// New validates cfg and returns a client. It does not read the key: that
// happens at each call.
func New(cfg Config) (*Client, error) {
	if err := validEnrollment(cfg.Enrollment); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	tr, err := transport.New(transport.Config{
		BaseURL: base, HTTPClient: cfg.HTTPClient, Observer: cfg.Observer, Logger: cfg.Logger,
		RequestTimeout: cfg.RequestTimeout,
		MaxAttempts:    cfg.Retry.MaxAttempts, BackoffBase: cfg.Retry.BackoffBase,
		BackoffMax: cfg.Retry.BackoffMax, MaxRetryWait: cfg.Retry.MaxWait,
		RetryAfterHeaders: []string{transport.ThrottleHeaderEA},
		MaxBodyBytes:      cfg.MaxBodyBytes, MaxStreamBytes: cfg.MaxStreamBytes,
		UserAgent: "azure-ea-exporter", Sleep: cfg.sleep, Now: cfg.now,
	})
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, base: base, tr: tr, cache: newBodyCache(cfg.cacheBytes)}, nil
}

func withDefaults(cfg Config) Config {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 10000
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 10 * time.Second
	}
	if cfg.ReportTimeout <= 0 {
		cfg.ReportTimeout = time.Hour
	}
	if cfg.Observer == nil {
		cfg.Observer = apiclient.NopObserver{}
	}
	if cfg.Logger == nil {
		cfg.Logger = log.NewNopLogger()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.sleep == nil {
		cfg.sleep = transport.Sleep
	}
	if cfg.getenv == nil {
		cfg.getenv = os.Getenv
	}
	if cfg.cacheBytes <= 0 {
		cfg.cacheBytes = defaultCacheBytes
	}
	return cfg
}

func validEnrollment(e string) error {
	if e == "" || len(e) > 20 || strings.Trim(e, "0123456789") != "" {
		return fmt.Errorf("ea: Enrollment %s: want the enrollment number, digits only", quoteShort(e))
	}
	return nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("ea: BaseURL: %w", errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("ea: BaseURL: want an absolute http or https URL")
	case u.Host == "":
		return nil, errors.New("ea: BaseURL: no host")
	case u.User != nil:
		return nil, errors.New("ea: BaseURL: user information is not allowed")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("ea: BaseURL: a query or fragment is not allowed")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// apiURL is the URL of path under the base URL and the enrollment, e.g.
// apiURL("v3", "/usagedetails", nil).
func (c *Client) apiURL(version, path string, query url.Values) string {
	u := *c.base
	u.Path += "/" + version + "/enrollments/" + c.cfg.Enrollment + path
	u.RawQuery = query.Encode()
	return u.String()
}

// periodPath is "/billingPeriods/{p}" for a period, "" for the current one.
func periodPath(period string) (string, error) {
	if period == "" {
		return "", nil
	}
	if err := validPeriod(period); err != nil {
		return "", err
	}
	return "/billingPeriods/" + period, nil
}

// validPeriod accepts yyyyMM: a billing period goes into URL paths.
func validPeriod(p string) error {
	if len(p) != 6 || strings.Trim(p, "0123456789") != "" || p[4:] < "01" || p[4:] > "12" {
		return fmt.Errorf("ea: billing period %s: want yyyyMM", quoteShort(p))
	}
	return nil
}

// maxSmallBody bounds the answers that hold a few objects (billing
// periods, a balance summary, a report status): anything bigger is no such
// answer, and is refused before it is decoded.
const maxSmallBody = 4 << 20

// getJSON fetches a JSON body from endpoint at rawURL with the key and
// passes its payload to decode, which runs before getJSON returns so that a
// damaged body is retried before anything is delivered. maxBytes bounds the
// body below MaxBodyBytes (0: no lower bound).
func (c *Client) getJSON(ctx context.Context, endpoint, method, rawURL string, maxBytes int64, auth transport.Authorizer, decode func([]byte) error) error {
	return c.doJSON(ctx, transport.Request{Endpoint: endpoint, Method: method, URL: rawURL, Auth: auth, MaxBytes: maxBytes},
		func(payload []byte, _ http.Header) error { return decode(payload) })
}

// doJSON sends req and passes the payload of its JSON answer, with the
// answer's headers, to decode, within the request's Check.
func (c *Client) doJSON(ctx context.Context, req transport.Request, decode func([]byte, http.Header) error) error {
	var buf bytes.Buffer
	req.Check = func(r *transport.Response) error {
		payload, err := jsonPayload(r.Header.Get("Content-Type"), r.Body)
		if err != nil {
			return transport.Damaged(err)
		}
		if err := decode(payload, r.Header); err != nil {
			if isSyntaxError(err) {
				return transport.Damaged(err)
			}
			return err
		}
		return nil
	}
	_, err := c.tr.Do(ctx, req, &buf)
	return err
}

// isNoData reports a 400 or 404 answer of the API's, which the reference
// says can mean "no data" (after an enrollment transfer, for an empty
// range). One with an HTML page comes from a proxy or gateway, which knows
// nothing of the data: it is a failure.
func isNoData(err error) bool {
	var se *apiclient.StatusError
	return errors.As(err, &se) && !se.HTML && (se.Code == http.StatusBadRequest || se.Code == http.StatusNotFound)
}
