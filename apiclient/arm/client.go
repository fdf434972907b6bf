// Package arm is the client of the Cost Management and Consumption APIs on
// Azure Resource Manager (https://management.azure.com) for one EA billing
// account, the replacement of the retired EA Reporting API (reference
// section 6). It implements apiclient.Source and apiclient.BudgetLister.
//
// It authenticates with Microsoft Entra ID through azidentity, sends the
// token only to the management endpoint, never to the blob links that
// reports and price sheets are downloaded from, and paces its calls per
// scope to stay inside Cost Management's quotas.
package arm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/go-kit/log"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

// Config configures a Client. Zero values take the defaults named below.
type Config struct {
	// BillingAccount is the EA billing account id: the enrollment number.
	BillingAccount string
	// ManagementURL is the Resource Manager endpoint, https only (default:
	// the cloud's, https://management.azure.com for the public cloud). A
	// path prefix is kept.
	ManagementURL string
	// Cloud is "public", "usgovernment" or "china": it gives the default
	// management endpoint, token audience and authority host. Empty is the
	// public cloud, except that the authority host is then taken from
	// AZURE_AUTHORITY_HOST when that is set, as azidentity does.
	Cloud string
	// Audience overrides the cloud's token audience (a private cloud's);
	// tokens are requested for Audience + "/.default".
	Audience string

	// Credential, when set, is used as is and the fields below up to
	// AuthorityHost are ignored.
	Credential azcore.TokenCredential
	// TenantID and ClientID name a service principal, which then
	// authenticates with the secret in ClientSecretFile or the PEM (or
	// unencrypted PKCS#12) certificate and key in ClientCertificateFile.
	// Without either file, azidentity's DefaultAzureCredential chain is
	// used, configured by the standard AZURE_* environment variables, with
	// TenantID (if set) as its default tenant.
	TenantID, ClientID                      string
	ClientSecretFile, ClientCertificateFile string
	// AuthorityHost is the Entra ID authority (default: the cloud's, or
	// AZURE_AUTHORITY_HOST). A host outside Entra's own list is used with
	// instance discovery turned off (reference 6.5.1).
	AuthorityHost string

	// Observer counts requests, retries, refused links and, when it
	// implements apiclient.QuotaObserver, the remaining quotas.
	Observer apiclient.Observer
	// Logger receives per-request and per-poll detail at debug level.
	Logger log.Logger
	// HTTPClient, when set, sends every request: management calls, blob
	// downloads and azidentity's token requests.
	HTTPClient *http.Client

	// Retry configures retries of failed requests.
	Retry RetryConfig
	// RequestTimeout bounds one HTTP attempt, body included (default 5m).
	RequestTimeout time.Duration
	// ScopeInterval is the least time between two calls to one scope
	// (default 2s: Cost Management allows 30 calls a minute per scope);
	// negative turns pacing off.
	ScopeInterval time.Duration
	// Polling of reports and downloads: the wait between polls is the
	// answer's Retry-After, bounded by MinPollInterval and MaxPollInterval
	// (defaults 5s and 2m), or PollInterval when it has none (default
	// 30s). ReportTimeout bounds the polling of one operation (default 30m).
	PollInterval, MinPollInterval, MaxPollInterval, ReportTimeout time.Duration
	// ReportMaxAge is how long a cost details report is reused from when it
	// is ready, by Usage and MarketplaceCharges alike, while its links are
	// valid (default 10m).
	ReportMaxAge time.Duration
	// MaxBodyBytes bounds a body held in memory: JSON and the price sheet
	// zip (default 256 MiB).
	MaxBodyBytes int64
	// MaxStreamBytes bounds one streamed report blob (default 64 GiB).
	MaxStreamBytes int64

	// Test hooks: the clock, the sleep between retries, polls and paced
	// calls, and the environment.
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	getenv func(string) string
}

// RetryConfig configures retries of 429, 5xx, timeouts, network errors and
// truncated bodies.
type RetryConfig = apiclient.RetryConfig

// Client talks to the Resource Manager billing APIs for one EA billing
// account. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	tr      *transport.Client
	tokens  *tokenSource
	pace    *pacer
	quota   *quotaReporter
	reports *reportCache
	schema  *usagedec.CSVSchema
	depts   departments
	// nonce and reportSeq make report ids unique across clients, so that an
	// ETag never matches another client's report.
	nonce     string
	reportSeq atomic.Uint64
}

var (
	_ apiclient.Source       = (*Client)(nil)
	_ apiclient.BudgetLister = (*Client)(nil)
)

// New validates cfg, builds the credential (reading the secret or
// certificate file once) and returns a client. No request is sent.
func New(cfg Config) (*Client, error) {
	if err := validID("BillingAccount", cfg.BillingAccount); err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	cl, err := cloudOf(cfg.Cloud)
	if err != nil {
		return nil, err
	}
	if cfg.ManagementURL == "" {
		cfg.ManagementURL = cl.endpoint
	}
	base, err := parseManagementURL(cfg.ManagementURL)
	if err != nil {
		return nil, err
	}
	tokens, err := newTokenSource(cfg, cl)
	if err != nil {
		return nil, err
	}
	tr, err := newTransport(cfg, base)
	if err != nil {
		return nil, err
	}
	schema, err := usagedec.NewCSVSchema(costColumns())
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg: cfg, base: base, tr: tr, tokens: tokens, schema: schema,
		pace:    &pacer{interval: cfg.ScopeInterval, now: cfg.now, sleep: cfg.sleep, next: map[string]time.Time{}},
		quota:   newQuotaReporter(cfg.Observer),
		reports: &reportCache{entries: map[string]*reportEntry{}},
		depts:   departments{names: map[string]string{}},
		nonce:   rand.Text()[:10],
	}, nil
}

func newTransport(cfg Config, base *url.URL) (*transport.Client, error) {
	return transport.New(transport.Config{
		BaseURL: base, HTTPClient: cfg.HTTPClient, Observer: cfg.Observer, Logger: cfg.Logger,
		RequestTimeout: cfg.RequestTimeout,
		MaxAttempts:    cfg.Retry.MaxAttempts, BackoffBase: cfg.Retry.BackoffBase,
		BackoffMax: cfg.Retry.BackoffMax, MaxRetryWait: cfg.Retry.MaxWait,
		RetryAfterHeaders: throttleHeaders,
		MaxBodyBytes:      cfg.MaxBodyBytes, MaxStreamBytes: cfg.MaxStreamBytes,
		UserAgent: userAgent, Sleep: cfg.sleep, Now: cfg.now, Unauthorized: errTokenRejected,
	})
}

// What a 401 says, on each side of the replacement API: Resource Manager
// rejects the access token, Entra ID the credential it was asked to take.
var (
	errTokenRejected      = apiclient.Unauthorized("access token rejected: expired, or for another tenant?")
	errCredentialRejected = apiclient.Unauthorized("credential rejected by Entra ID: wrong or expired secret or certificate, or another tenant?")
)

// throttleHeaders are the headers in which Cost Management and Consumption
// give the seconds to wait after a 429 (reference 6.5.3), often without a
// Retry-After.
var throttleHeaders = []string{
	"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after",
	transport.ThrottleHeaderEA,
}

const userAgent = "azure-ea-exporter"

func withDefaults(cfg Config) Config {
	setDuration(&cfg.PollInterval, 30*time.Second)
	setDuration(&cfg.MinPollInterval, 5*time.Second)
	setDuration(&cfg.MaxPollInterval, 2*time.Minute)
	setDuration(&cfg.ReportTimeout, 30*time.Minute)
	setDuration(&cfg.ReportMaxAge, 10*time.Minute)
	if cfg.ScopeInterval == 0 {
		cfg.ScopeInterval = 2 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 256 << 20
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
	return cfg
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// validID accepts what can stand in a URL path segment as a billing account
// or department id.
func validID(what, id string) error {
	if !isID(id) {
		return fmt.Errorf("arm: %s %s: want an id of letters, digits, '-', '_' or ':'", what, quoteShort(id))
	}
	return nil
}

func isID(id string) bool {
	return id != "" && len(id) <= 100 && strings.IndexFunc(id, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == ':')
	}) < 0
}

func parseManagementURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("arm: ManagementURL: %w", errors.Unwrap(err))
	case u.Scheme != "https":
		// azcore refuses bearer tokens over http, and so do we.
		return nil, errors.New("arm: ManagementURL: want an absolute https URL (tokens are never sent over http)")
	case u.Host == "":
		return nil, errors.New("arm: ManagementURL: no host")
	case u.User != nil:
		return nil, errors.New("arm: ManagementURL: user information is not allowed")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("arm: ManagementURL: a query or fragment is not allowed")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// accountScope is the billing account's scope path.
func (c *Client) accountScope() string {
	return "/providers/Microsoft.Billing/billingAccounts/" + c.cfg.BillingAccount
}

// mgmtURL is the URL of path under the management endpoint with the
// api-version every Resource Manager call carries.
func (c *Client) mgmtURL(path, apiVersion string) string {
	u := *c.base
	u.Path += path
	u.RawQuery = url.Values{"api-version": {apiVersion}}.Encode()
	return u.String()
}

// periodOrCurrent validates a yyyyMM period and turns "" into the current
// calendar month (UTC): EA billing periods are calendar months.
func (c *Client) periodOrCurrent(period string) (string, error) {
	if period == "" {
		return c.cfg.now().UTC().Format("200601"), nil
	}
	if len(period) != 6 || strings.Trim(period, "0123456789") != "" || period[4:] < "01" || period[4:] > "12" {
		return "", fmt.Errorf("arm: billing period %s: want yyyyMM", quoteShort(period))
	}
	return period, nil
}

// departments remembers the department (invoice section) ids and names that
// cost reports named, for the department budgets.
type departments struct {
	mu    sync.Mutex
	names map[string]string
}

// maxDepartments bounds what a report can make the client remember.
const maxDepartments = 10000

func (d *departments) merge(seen map[string]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, name := range seen {
		if _, ok := d.names[id]; ok || len(d.names) < maxDepartments {
			d.names[id] = name
		}
	}
}

func (d *departments) snapshot() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]string, len(d.names))
	for id, name := range d.names {
		out[id] = name
	}
	return out
}
