package apiclient

import "time"

// Endpoint names identify API calls in observations. They are fixed names,
// never URLs, so that a metric label built from them stays bounded.
const (
	EndpointBillingPeriods     = "billing_periods"
	EndpointBalanceSummary     = "balance_summary"
	EndpointUsageDetails       = "usage_details"
	EndpointUsageDownload      = "usage_download"
	EndpointUsageSubmit        = "usage_submit"
	EndpointUsageReport        = "usage_report"
	EndpointUsageBlob          = "usage_blob"
	EndpointMarketplaceCharges = "marketplace_charges"
	EndpointPriceSheet         = "price_sheet"
	EndpointToken              = "token"
	EndpointBudgets            = "budgets"
)

// Endpoints lists every endpoint name a source may observe, so that metrics
// can be initialised before the first request.
var Endpoints = []string{
	EndpointBillingPeriods, EndpointBalanceSummary, EndpointUsageDetails,
	EndpointUsageDownload, EndpointUsageSubmit, EndpointUsageReport,
	EndpointUsageBlob, EndpointMarketplaceCharges, EndpointPriceSheet,
	EndpointToken, EndpointBudgets,
}

// Retry reasons.
const (
	ReasonThrottled   = "throttled"    // 429
	ReasonUnavailable = "unavailable"  // 503
	ReasonServerError = "server_error" // other 5xx
	ReasonTimeout     = "timeout"      // the request or its body timed out
	ReasonNetwork     = "network"      // connection refused, reset, ...
	ReasonTruncated   = "truncated"    // the body ended early
)

// RetryReasons lists every retry reason.
var RetryReasons = []string{
	ReasonThrottled, ReasonUnavailable, ReasonServerError,
	ReasonTimeout, ReasonNetwork, ReasonTruncated,
}

// CodeClasses lists the values ObserveRequest's code is reported as by
// CodeClass.
var CodeClasses = []string{"2xx", "3xx", "4xx", "5xx", "error"}

// CodeClass maps an HTTP status code to its class ("2xx" ... "5xx"), and 0
// (no response) to "error".
func CodeClass(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "2xx"
	case code >= 300 && code < 400:
		return "3xx"
	case code >= 400 && code < 500:
		return "4xx"
	case code >= 500 && code < 600:
		return "5xx"
	}
	return "error"
}

// Observer receives one call per HTTP attempt and per retry, so that the
// caller can count them. Implementations must be safe for concurrent use and
// fast; they must not block.
type Observer interface {
	// ObserveRequest reports one finished HTTP attempt: its endpoint name,
	// its status code (0 when no response arrived) and its duration.
	ObserveRequest(endpoint string, code int, d time.Duration)
	// ObserveRetry reports that an attempt is being retried, and why.
	ObserveRetry(endpoint, reason string)
	// ObserveRefused reports a URL the client refused to follow (a nextLink
	// or reportUrl on a host other than the configured one).
	ObserveRefused(endpoint string)
}

// NopObserver ignores every observation.
type NopObserver struct{}

// ObserveRequest does nothing.
func (NopObserver) ObserveRequest(string, int, time.Duration) {}

// ObserveRetry does nothing.
func (NopObserver) ObserveRetry(string, string) {}

// ObserveRefused does nothing.
func (NopObserver) ObserveRefused(string) {}

// QuotaObserver is implemented by observers that record the remaining API
// quota some APIs report in response headers (Cost Management's
// x-ms-ratelimit-remaining-* headers). Sources check for it with a type
// assertion.
type QuotaObserver interface {
	// ObserveQuota reports the remaining amount of one named quota (e.g.
	// "QueriesPerHour") after a response from endpoint.
	ObserveQuota(endpoint, quota string, remaining float64)
}
