package fakeapi

import (
	"fmt"
	"time"
)

// Route names one group of endpoints, for fault injection and statistics.
type Route string

// The routes of the simulated API.
const (
	// RouteBillingPeriods is GET .../billingperiods.
	RouteBillingPeriods Route = "billing_periods"
	// RouteBalanceSummary is GET .../balancesummary, current and by period.
	RouteBalanceSummary Route = "balance_summary"
	// RouteUsageDetails is the paged JSON usage: current period, by period,
	// and usagedetailsbycustomdate.
	RouteUsageDetails Route = "usage_details"
	// RouteUsageDownload is the synchronous CSV, GET .../usagedetails/download.
	RouteUsageDownload Route = "usage_download"
	// RouteUsageSubmit is POST .../usagedetails/submit.
	RouteUsageSubmit Route = "usage_submit"
	// RouteReportStatus is GET of a reportUrl returned by submit.
	RouteReportStatus Route = "report_status"
	// RouteBlob is GET of a blobPath, served by ServeHTTP under /blob/ and by
	// BlobHandler.
	RouteBlob Route = "blob"
	// RouteMarketplace is the three marketplace charges routes.
	RouteMarketplace Route = "marketplace"
	// RoutePriceSheet is GET .../pricesheet, current and by period.
	RoutePriceSheet Route = "price_sheet"
)

// AllRoutes lists every route of the EA side (ARMRoutes lists the others).
func AllRoutes() []Route {
	return []Route{
		RouteBillingPeriods, RouteBalanceSummary, RouteUsageDetails, RouteUsageDownload,
		RouteUsageSubmit, RouteReportStatus, RouteBlob, RouteMarketplace, RoutePriceSheet,
	}
}

// Fault is a misbehaviour the server shows on one request instead of, or on
// top of, its normal answer.
type Fault int

// The faults. A fault that does not apply to a route (a nextLink fault on the
// price sheet) leaves the answer unchanged, but is still counted.
const (
	// FaultNone serves the request normally; inject it to let a request
	// through between faulted ones.
	FaultNone Fault = iota
	// FaultThrottle answers 429 with x-ms-ratelimit-microsoft.consumption-retry-after.
	FaultThrottle
	// FaultUnavailable answers 503 with Retry-After.
	FaultUnavailable
	// FaultServerError answers 500 with {"error":{"code":"500","message":...}}.
	FaultServerError
	// FaultTimeout holds the request for the fault delay (or until the client
	// gives up), then answers normally.
	FaultTimeout
	// FaultSlowBody sends the headers and part of the body, stalls for the
	// fault delay (or until the client gives up), then sends the rest.
	FaultSlowBody
	// FaultTruncated declares a Content-Length larger than the bytes sent,
	// then closes the connection.
	FaultTruncated
	// FaultGarbage answers 200 with an HTML error page.
	FaultGarbage
	// FaultWrongContentType sends the normal body labelled text/html.
	FaultWrongContentType
	// FaultUnauthorized answers 401 whatever the key.
	FaultUnauthorized
	// FaultNoData400 answers 400, the way the API says "no data" after an
	// enrollment transfer.
	FaultNoData400
	// FaultNoData404 answers 404 "no data for the requested range".
	FaultNoData404
	// FaultUsageDataExtract answers 200 with the text body that begins
	// "Usage Data Extract" instead of JSON.
	FaultUsageDataExtract
	// FaultRepeatNextLink makes a usage page's nextLink point at the page
	// itself (a paging loop). Usage JSON only.
	FaultRepeatNextLink
	// FaultForeignNextLink makes a usage page's nextLink point at another
	// host (see SetForeignBaseURL). Also applies to a submit's reportUrl.
	FaultForeignNextLink
	// FaultEmptyNextLink makes a usage page's nextLink "", which ends the
	// listing there ("" on the last page is Quirks.EmptyNextLink).
	FaultEmptyNextLink
	numFaults
)

var faultNames = [numFaults]string{
	"none", "throttle", "unavailable", "server_error", "timeout", "slow_body",
	"truncated", "garbage", "wrong_content_type", "unauthorized", "no_data_400",
	"no_data_404", "usage_data_extract", "repeat_next_link", "foreign_next_link",
	"empty_next_link",
}

// AllFaults lists every fault except FaultNone.
func AllFaults() []Fault {
	out := make([]Fault, 0, numFaults-1)
	for f := FaultNone + 1; f < numFaults; f++ {
		out = append(out, f)
	}
	return out
}

// String returns a short name such as "throttle".
func (f Fault) String() string {
	if f >= 0 && f < numFaults {
		return faultNames[f]
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Quirks switches on documented oddities of the real API (reference section
// 5 and the doc/reality differences of 3.x). All are off by default.
type Quirks struct {
	// BalanceAsObject serves the balance summary as one object (as the docs
	// show) instead of a one-element array (as clients saw).
	BalanceAsObject bool
	// NumbersAsStrings writes every number as a JSON string ("1.5").
	NumbersAsStrings bool
	// CapitalCost names the usage cost field "Cost" (the v2 doc example).
	CapitalCost bool
	// DatesWithZone appends "Z" to the usage row date and report dates.
	DatesWithZone bool
	// SevenFractionDigits writes date-times with ".0000000" seconds.
	SevenFractionDigits bool
	// TagsWithoutBraces drops the outer braces of tags strings.
	TagsWithoutBraces bool
	// MalformedTags makes some rows' tags invalid JSON.
	MalformedTags bool
	// NullStrings writes null for empty strings (tags, consumedService,
	// meterRegion, resourceGuid, additionalInfo, ...).
	NullStrings bool
	// BillingPeriodIDAsNumber writes billingPeriodId as a number.
	BillingPeriodIDAsNumber bool
	// ChargesBilledSeparatelyAsString writes "True"/"False" instead of a bool.
	ChargesBilledSeparatelyAsString bool
	// EmptyNextLink writes "" instead of null on the last usage page.
	EmptyNextLink bool
	// CSVRowsOutsideRange adds the rows of the day before and the day after
	// the requested range to CSV reports (when those days have data).
	CSVRowsOutsideRange bool
	// V1LinksInBillingPeriods writes /v1/ links in billing periods.
	V1LinksInBillingPeriods bool
	// UsageDataExtractWhenEmpty answers a JSON usage request whose range has
	// no rows with the "Usage Data Extract" text body.
	UsageDataExtractWhenEmpty bool
	// TrailingEmptyPage ends a usage listing with an extra page whose data is
	// empty.
	TrailingEmptyPage bool
	// PaddedCurrency pads currency codes with spaces ("USD  ").
	PaddedCurrency bool
	// BillingEndAtNoon writes billingEnd as 11:59:59 (the doc's example)
	// instead of 23:59:59.
	BillingEndAtNoon bool
	// CSVByteOrderMark starts CSV reports with a UTF-8 byte order mark.
	CSVByteOrderMark bool
}

// The asynchronous report states of reference 3.5, plus one glitch.
const (
	ReportQueued          = 1
	ReportInProgress      = 2
	ReportCompleted       = 3
	ReportFailed          = 4
	ReportNoDataFound     = 5
	ReportReadyToDownload = 6
	ReportTimedOut        = 7
	// ReportCompletedWithoutBlob is served as status 3 with an empty
	// blobPath, a glitch clients saw before the path appeared.
	ReportCompletedWithoutBlob = 103
)

// Balance holds the ten balance summary figures.
type Balance struct {
	BeginningBalance               float64
	EndingBalance                  float64
	NewPurchases                   float64
	Adjustments                    float64
	Utilized                       float64
	ServiceOverage                 float64
	ChargesBilledSeparately        float64
	TotalOverage                   float64
	TotalUsage                     float64
	AzureMarketplaceServiceCharges float64
}

// PeriodTruth is what the fake serves for one billing period, computed from
// exactly the rows it serves. Sums are accumulated in the order the rows are
// served (day by day, page by page), so a client that sums in that order gets
// the same float64 values.
type PeriodTruth struct {
	// Period is yyyyMM.
	Period string
	// Start and End are billingStart and billingEnd as served.
	Start, End time.Time
	// Currency is the currency code (unpadded).
	Currency string
	// Balance is the balance summary as served.
	Balance Balance

	UsageCost, UsageQuantity float64
	UsageRows                int
	// CostByDepartment is keyed by departmentName.
	CostByDepartment map[string]float64
	// CostBySubscription is keyed by subscriptionGuid.
	CostBySubscription map[string]float64
	// CostByMeterCategory is keyed by meterCategory.
	CostByMeterCategory map[string]float64
	// BilledSeparatelyCost sums the rows with chargesBilledSeparately true.
	BilledSeparatelyCost float64

	// LatestDay is the latest UTC day with usage; zero when none.
	LatestDay time.Time
	// LatestDayCostByDepartment is the cost of LatestDay by departmentName.
	LatestDayCostByDepartment map[string]float64

	MarketplaceCost float64
	// MarketplaceByPublisher is keyed by publisherName.
	MarketplaceByPublisher map[string]float64
}

// Stats counts what the server did.
type Stats struct {
	// Requests counts requests per route, whatever their outcome.
	Requests map[Route]int
	// FaultsInjected counts faults applied (FaultNone excluded).
	FaultsInjected int
	// BytesServed counts response body bytes written.
	BytesServed int64
	// NotModified counts 304 answers.
	NotModified int
	// Unauthorized counts 401 answers for a missing, unknown, revoked or
	// expired key (not those of FaultUnauthorized).
	Unauthorized int
	// AuthorizedBlobRequests counts blob requests that carried an
	// Authorization header (and were refused).
	AuthorizedBlobRequests int
	// ReportsSubmitted counts accepted async report submissions.
	ReportsSubmitted int
	// UsageRowsServed counts usage rows written (JSON and CSV, both sides).
	UsageRowsServed int64

	// ARMTokensIssued counts access tokens the ARM token endpoint issued.
	ARMTokensIssued int
	// ARMTokenErrors counts Entra requests refused (wrong secret, unknown
	// client or tenant, bad scope or grant), not those of faults.
	ARMTokenErrors int
	// ARMUnauthorized counts management requests refused with 401 for a
	// missing, unknown, expired, revoked or wrong-audience token, or an
	// enrollment the caller has no claims on (not those of
	// FaultUnauthorized).
	ARMUnauthorized int
	// ARMOperationsStarted counts accepted cost details reports and price
	// sheet downloads.
	ARMOperationsStarted int
	// ARMThrottled counts 429 answers of the enforced Cost Management
	// quota (not those of FaultThrottle).
	ARMThrottled int
	// ClientTypes counts management requests by their ClientType header
	// (requests without one are not counted).
	ClientTypes map[string]int
}
