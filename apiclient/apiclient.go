// Package apiclient talks to Azure billing APIs for one enrollment and hands
// the collector typed records. It knows nothing of Prometheus: the collector
// consumes the Source interface, and each data source (the EA Reporting API in
// package ea, the Resource Manager APIs in package arm) implements it.
//
// Records carry only what the exporter's labels and figures need. Usage rows
// are streamed through a callback so that millions of rows can be aggregated
// without holding them; a row and every byte slice it holds are valid only
// for the duration of the callback.
package apiclient

import (
	"context"
	"time"
)

// Source is what the collector needs from a billing data source. Every method
// is safe for concurrent use. A method that finds "no data" (as the API
// reference defines it for each endpoint) returns an empty result and a nil
// error.
type Source interface {
	// BillingPeriods lists the enrollment's billing periods, newest first.
	BillingPeriods(ctx context.Context) ([]BillingPeriod, error)
	// BalanceSummary reads the credit and overage summary of one billing
	// period (yyyyMM), or of the current one when period is "". It returns
	// nil and a nil error when the API has no summary for that period.
	BalanceSummary(ctx context.Context, period string) (*BalanceSummary, error)
	// Usage streams the usage rows that q selects to fn, one at a time.
	// An error returned by fn stops the stream and is returned.
	Usage(ctx context.Context, q UsageQuery, fn func(*UsageRow) error) error
	// MarketplaceCharges streams the marketplace store charges of one billing
	// period (yyyyMM), or of the current one when period is "".
	MarketplaceCharges(ctx context.Context, period string, fn func(*MarketplaceCharge) error) error
	// PriceSheet streams the price sheet of one billing period (yyyyMM), or
	// of the current one when period is "".
	PriceSheet(ctx context.Context, period string, fn func(*PriceSheetItem) error) error
}

// CredentialExpirer is implemented by sources whose credential carries an
// expiry time that the exporter can report (an EA API key that is a JWT).
type CredentialExpirer interface {
	// CredentialExpiry returns the expiry of the credential currently in
	// use, and false when it has none or it cannot be read.
	CredentialExpiry() (time.Time, bool)
}

// BillingPeriod is one entry of the billing periods list.
type BillingPeriod struct {
	// ID is the period as yyyyMM, e.g. "201704".
	ID string
	// Start and End are billingStart and billingEnd as the API gives them.
	Start, End time.Time
	// The Has* fields are false when the API's link for that dataset is
	// null, meaning the period has no such data.
	HasBalanceSummary, HasUsageDetails, HasMarketplaceCharges, HasPriceSheet bool
}

// BalanceSummary holds the credit and overage figures of one billing period,
// in the enrollment's billing currency.
type BalanceSummary struct {
	// BillingPeriod is the period as yyyyMM, "" when the API did not say.
	BillingPeriod string
	// Currency is the ISO currency code, trimmed; "" when absent.
	Currency string

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

// Dimension names one attribute of a usage row that can become a label.
type Dimension uint8

// The usage row attributes, in label order of spec/product.md.
const (
	DimDepartment Dimension = iota
	DimAccount
	DimCostCenter
	DimSubscriptionID
	DimSubscription
	DimResourceGroup
	DimMeterID
	DimMeterCategory
	DimMeterSubcategory
	DimMeterName
	DimMeterRegion
	DimLocation
	DimUnitOfMeasure
	// NumDimensions is the number of dimensions; not a dimension itself.
	NumDimensions
)

var dimensionNames = [NumDimensions]string{
	DimDepartment:       "department",
	DimAccount:          "account",
	DimCostCenter:       "cost_center",
	DimSubscriptionID:   "subscription_id",
	DimSubscription:     "subscription",
	DimResourceGroup:    "resource_group",
	DimMeterID:          "meter_id",
	DimMeterCategory:    "meter_category",
	DimMeterSubcategory: "meter_subcategory",
	DimMeterName:        "meter_name",
	DimMeterRegion:      "meter_region",
	DimLocation:         "location",
	DimUnitOfMeasure:    "unit_of_measure",
}

// String returns the dimension's label name, e.g. "meter_category".
func (d Dimension) String() string {
	if d < NumDimensions {
		return dimensionNames[d]
	}
	return "unknown"
}

// ParseDimension returns the dimension whose label name is s.
func ParseDimension(s string) (Dimension, bool) {
	for d, n := range dimensionNames {
		if n == s {
			return Dimension(d), true
		}
	}
	return 0, false
}

// UsageRow is one usage-details row, reduced to what the exporter needs.
//
// A row and every byte slice it holds belong to the decoder and are valid only
// during the callback that receives it: copy (or intern) what you keep.
type UsageRow struct {
	// Date is midnight UTC of the usage day.
	Date time.Time
	// Cost is the row's charge in the billing currency.
	Cost float64
	// Quantity is the consumed quantity, in UnitOfMeasure units.
	Quantity float64
	// BilledSeparately is true for charges billed outside the monetary
	// commitment (chargesBilledSeparately).
	BilledSeparately bool
	// Values holds each dimension's value, indexed by Dimension; a missing
	// or null field is empty.
	Values [NumDimensions][]byte
	// Tags holds the value of each tag key the query asked for, in the order
	// of UsageQuery.TagKeys; empty when the row has no such tag.
	Tags [][]byte
}

// UsageMethod chooses how usage details are downloaded.
type UsageMethod uint8

// The usage download methods.
const (
	// UsageAuto lets the source choose (paged JSON unless it knows better).
	UsageAuto UsageMethod = iota
	// UsageJSON pages through the JSON usage-details endpoints.
	UsageJSON
	// UsageCSV downloads the synchronous CSV report (at most one month).
	UsageCSV
	// UsageAsync submits an asynchronous CSV report, polls it and downloads
	// the result.
	UsageAsync
)

// UsageQuery selects usage rows.
type UsageQuery struct {
	// BillingPeriod is yyyyMM; "" means the current period. It is ignored
	// when Start is set.
	BillingPeriod string
	// Start and End select a custom range of whole UTC days, both inclusive.
	// Rows dated outside the range are dropped.
	Start, End time.Time
	// TagKeys are the tag keys whose values each row's Tags carries.
	TagKeys []string
	// Method chooses the download method.
	Method UsageMethod
	// IfNoneMatch, when set, is the ETag an earlier answer to the same query
	// carried: if the data has not changed since, Usage delivers no row and
	// returns ErrNotModified. Sources without ETags ignore it.
	IfNoneMatch string
	// ETag, when not nil, receives the ETag of the answer ("" when the API
	// sent none), to be given as IfNoneMatch next time.
	ETag *string
	// Skipped, when not nil, receives the count of the rows read that could
	// not be used whole, so that the caller can make them visible. A page
	// read again counts once.
	Skipped *UsageSkipped
	// Staging, when set, lets a paging source deliver a page's rows as it
	// decodes them, before it knows the page is whole, instead of holding
	// the whole page first. Without it, no row of a page is delivered
	// until the whole page has been read and checked.
	Staging UsageStaging
}

// UsageSkipped counts the usage rows of a read that could not be used
// whole: rows dropped because their date or cost cannot be read, and rows
// delivered with quantity 0 because their quantity cannot be read.
type UsageSkipped struct {
	// Rows is the number of such rows.
	Rows int
	// Reason says why the first of them was skipped. It names fields, never
	// a row's values, so that it can be logged.
	Reason string
}

// UsageStaging takes back rows that a source delivered from a page it then
// found damaged, so that the page can be read again without counting any row
// twice. A source calls Begin before a page's rows, then Commit once the page
// is whole, or Rollback before it reads the page again or gives up. Rows
// delivered outside Begin and Commit or Rollback are final at once.
type UsageStaging interface {
	Begin()
	Commit()
	Rollback()
}

// MarketplaceCharge is one marketplace store charge, reduced to what the
// exporter needs.
type MarketplaceCharge struct {
	// Date is the start of the usage (usageStartDate), UTC.
	Date           time.Time
	Department     string
	SubscriptionID string
	Subscription   string
	Publisher      string
	Offer          string
	Plan           string
	// Cost is the charge (extendedCost) in the billing currency.
	Cost     float64
	Quantity float64
}

// PriceSheetItem is one price sheet entry.
type PriceSheetItem struct {
	MeterID          string
	MeterName        string
	PartNumber       string
	UnitOfMeasure    string
	UnitPrice        float64
	IncludedQuantity float64
	// Currency is the ISO currency code, trimmed; "" when absent.
	Currency string
}

// BudgetLister is implemented by sources that can read the budgets defined in
// Azure itself (the arm source), so that they are exported next to the
// configured ones.
type BudgetLister interface {
	// Budgets lists the cost budgets at the enrollment and department scopes.
	Budgets(ctx context.Context) ([]Budget, error)
}

// Budget is a cost budget defined in Azure.
type Budget struct {
	Name string
	// ScopeType is "enrollment", "department", or "meter_category" for an
	// enrollment budget filtered to one meter category.
	ScopeType string
	// Scope is the department's name (or id when the name is unknown), or
	// the meter category; "" for the enrollment scope.
	Scope string
	// Amount is the budget per TimeGrain.
	Amount float64
	// TimeGrain is Azure's grain: Monthly, Quarterly, Annually,
	// BillingMonth, BillingQuarter or BillingAnnual.
	TimeGrain string
	// CurrentSpend is Azure's last evaluated spend (evaluated once a day).
	CurrentSpend float64
	// ForecastSpend is Azure's forecast, when HasForecast.
	ForecastSpend float64
	HasForecast   bool
	// Currency is the ISO currency code of the amounts, trimmed.
	Currency string
}

// RetryConfig configures the retries of 429, 5xx, timeouts, network errors
// and truncated bodies, for either source's client.
type RetryConfig struct {
	// MaxAttempts is the number of attempts of one request (default 5).
	MaxAttempts int
	// BackoffBase and BackoffMax bound the exponential backoff with full
	// jitter used when the API names no wait (defaults 1s and 30s).
	BackoffBase, BackoffMax time.Duration
	// MaxWait is the longest wait a retry-after header may ask for; a
	// longer one fails at once (default 5m).
	MaxWait time.Duration
}
