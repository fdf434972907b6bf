package fakeapi

import "time"

// The routes of the ARM side (ARMHandler), for fault injection and
// statistics.
const (
	// RouteARMMetadata is GET /{tenant}/v2.0/.well-known/openid-configuration.
	RouteARMMetadata Route = "arm_openid_configuration"
	// RouteARMToken is POST /{tenant}/oauth2/v2.0/token.
	RouteARMToken Route = "arm_token"
	// RouteARMBalance is GET .../Microsoft.Consumption/balances, current and
	// by billing period.
	RouteARMBalance Route = "arm_balance"
	// RouteARMCostReport is POST .../generateCostDetailsReport.
	RouteARMCostReport Route = "arm_cost_report"
	// RouteARMReportStatus is GET of the Location a cost details report
	// returned.
	RouteARMReportStatus Route = "arm_report_status"
	// RouteARMPriceSheet is POST .../pricesheets/default/download.
	RouteARMPriceSheet Route = "arm_price_sheet"
	// RouteARMPriceSheetStatus is GET of the Location a price sheet
	// download returned.
	RouteARMPriceSheetStatus Route = "arm_price_sheet_status"
	// RouteARMBudgets is GET of the budgets, listed or one, at enrollment
	// or department scope.
	RouteARMBudgets Route = "arm_budgets"
	// RouteARMBlob is GET of a cost details blobLink or a price sheet
	// downloadUrl, served under /blob/ by ARMHandler, ServeHTTP and
	// BlobHandler.
	RouteARMBlob Route = "arm_blob"
)

// ARMRoutes lists every route of the ARM side.
func ARMRoutes() []Route {
	return []Route{
		RouteARMMetadata, RouteARMToken, RouteARMBalance, RouteARMCostReport, RouteARMReportStatus,
		RouteARMPriceSheet, RouteARMPriceSheetStatus, RouteARMBudgets, RouteARMBlob,
	}
}

// ARMOptions configure the ARM side. Zero values take the defaults.
type ARMOptions struct {
	// TenantID, ClientID and ClientSecret are the one service principal
	// the token endpoint accepts; the defaults are derived from the seed
	// (see ARMCredentials).
	TenantID, ClientID, ClientSecret string
	// TokenLifetime is how long an issued token is accepted, by
	// Options.Now, and what expires_in says; default 3599 s.
	TokenLifetime time.Duration
	// CostDetailsBlobs is the number of blobs a cost details report is
	// split over (fewer when it has fewer rows); default 2.
	CostDetailsBlobs int
	// PriceSheetFiles is the number of CSV files in the price sheet zip;
	// default 2.
	PriceSheetFiles int
}

// ARMOutcome is how an asynchronous ARM operation (a cost details report or
// a price sheet download) ends.
type ARMOutcome int

// The outcomes. A price sheet download knows only Completed and Failed;
// the others complete it.
const (
	// ARMCompleted ends in status Completed, or NoDataFound for a cost
	// details report whose range has no data.
	ARMCompleted ARMOutcome = iota
	// ARMNoDataFound ends a cost details report in status NoDataFound.
	ARMNoDataFound
	// ARMFailed ends in status Failed with an error object.
	ARMFailed
	// ARMNoContent makes generateCostDetailsReport answer 204 No Content.
	ARMNoContent
	// ARMImmediate makes generateCostDetailsReport answer 200 with the
	// final body at once, without a Location.
	ARMImmediate
)

// ARMOperations set how asynchronous ARM operations started afterwards
// behave.
type ARMOperations struct {
	// Polls is the number of polls answered 202 before the outcome; 0
	// means the first poll has it.
	Polls int
	// RetryAfter is the Retry-After, in seconds, of the 202 answers (0 is
	// allowed).
	RetryAfter int
	// Outcome is how the operation ends.
	Outcome ARMOutcome
}

// The retry-after headers of a throttled Cost Management request (reference
// 6.5.3): one names the quota that ran out.
const (
	HeaderCostManagementEntityRetryAfter     = "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after"
	HeaderCostManagementTenantRetryAfter     = "x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after"
	HeaderCostManagementClientTypeRetryAfter = "x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after"
	HeaderCostManagementQPURetryAfter        = "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after"
	// HeaderCostManagementRemaining is on every Cost Management answer,
	// as "DefaultQuota:<n>".
	HeaderCostManagementRemaining = "x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests"
	// HeaderConsumptionRetryAfter is on a throttled Consumption answer
	// (balances, budgets), as on the EA side.
	HeaderConsumptionRetryAfter = "x-ms-ratelimit-microsoft.consumption-retry-after"
)

// ARMQuirks switch on variations of the cost details file that clients must
// tolerate (reference 6.5.4). All are off by default.
type ARMQuirks struct {
	// DuplicateBOM repeats the byte order mark at the start of the first
	// data line of each blob, as reported for Exports.
	DuplicateBOM bool
	// ShuffledColumns writes the columns in another (fixed) order: the
	// file versions differ in order, so clients must find columns by name.
	ShuffledColumns bool
	// AliasColumns writes the older names Cost, BillingCurrency and
	// Product for CostInBillingCurrency, BillingCurrencyCode and
	// ProductName.
	AliasColumns bool
	// CamelCaseHeader writes the header names in lowerCamelCase
	// (invoiceSectionName), as other file versions do.
	CamelCaseHeader bool
	// PurchaseRows writes the monthly recurring marketplace charge as
	// ChargeType Purchase (Frequency Recurring) instead of Usage.
	PurchaseRows bool
}

// ARMBudget is a budget the ARM side serves, with the figures it serves
// now.
type ARMBudget struct {
	// Name is the budget's name (the last segment of its id).
	Name string
	// DepartmentID is the departmentId the budget is scoped to; "" for the
	// enrollment.
	DepartmentID string
	// MeterCategories are the values of the budget's filter
	// "MeterCategory In [...]"; none for a budget without a filter.
	MeterCategories []string
	// Amount is the budget per billing month.
	Amount float64
	// CurrentSpend is the current period's cost the budget counts: the
	// enrollment's usage and marketplace cost, its meter categories' usage
	// cost, or a department's usage and marketplace cost (Truth of the
	// current period).
	CurrentSpend float64
	// ForecastSpend is the projected cost at the end of the month, when
	// HasForecast (some budgets have none, as in life).
	ForecastSpend float64
	HasForecast   bool
	// Currency is the unit of the spend figures (unpadded).
	Currency string
}
