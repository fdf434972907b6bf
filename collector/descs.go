package collector

import (
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "azure_ea"

// refreshedNote ends every data metric's HELP: the numbers come from memory.
const refreshedNote = " Refreshed in the background; scrapes never call Azure."

// Label names shared by many metrics.
const (
	lEnrollment = "enrollment"
	lPeriod     = "billing_period"
	lCurrency   = "currency"
	lDataset    = "dataset"
	lDepartment = "department"
)

// balanceField is one balance summary figure and the metric it becomes.
type balanceField struct {
	name, help string
	value      func(b *apiclient.BalanceSummary) float64
}

// balanceFields lists the credit and overage gauges in contract order.
var balanceFields = []balanceField{
	{"credit_beginning_balance", "Prepaid credit (monetary commitment) balance at the start of the billing period (beginningBalance).", func(b *apiclient.BalanceSummary) float64 { return b.BeginningBalance }},
	{"credit_new_purchases", "New prepaid credit purchased in the billing period (newPurchases).", func(b *apiclient.BalanceSummary) float64 { return b.NewPurchases }},
	{"credit_adjustments", "Credit adjustments in the billing period, such as promotional credits (adjustments).", func(b *apiclient.BalanceSummary) float64 { return b.Adjustments }},
	{"credit_utilized", "Prepaid credit used in the billing period (utilized).", func(b *apiclient.BalanceSummary) float64 { return b.Utilized }},
	{"credit_ending_balance", "Prepaid credit balance at the end of the billing period, or now for the open period (endingBalance).", func(b *apiclient.BalanceSummary) float64 { return b.EndingBalance }},
	{"overage_service_charges", "Azure service charges beyond the prepaid credit in the billing period (serviceOverage).", func(b *apiclient.BalanceSummary) float64 { return b.ServiceOverage }},
	{"overage_billed_separately_charges", "Charges billed outside the prepaid credit in the billing period (chargesBilledSeparately).", func(b *apiclient.BalanceSummary) float64 { return b.ChargesBilledSeparately }},
	{"overage_charges", "Total overage in the billing period: service overage plus charges billed separately (totalOverage).", func(b *apiclient.BalanceSummary) float64 { return b.TotalOverage }},
	{"usage_charges", "Total usage in the billing period: credit used plus total overage (totalUsage).", func(b *apiclient.BalanceSummary) float64 { return b.TotalUsage }},
	{"marketplace_service_charges", "Azure Marketplace service charges in the billing period, from the balance summary (azureMarketplaceServiceCharges).", func(b *apiclient.BalanceSummary) float64 { return b.AzureMarketplaceServiceCharges }},
}

// descs holds every descriptor the exporter emits. Usage descriptors depend on
// the configured dimensions, so a descs value is built per label layout and
// is immutable afterwards.
type descs struct {
	balance []*prometheus.Desc // parallel to balanceFields

	usageCost, usageQuantity         *prometheus.Desc
	dailyCost, forecast              *prometheus.Desc
	marketplaceCost                  *prometheus.Desc
	usageRecords, latestDay          *prometheus.Desc
	unitPrice, includedQuantity      *prometheus.Desc
	periodStart, periodEnd           *prometheus.Desc
	creditExhaustion                 *prometheus.Desc
	budgetAmount, budgetCost         *prometheus.Desc
	budgetForecast                   *prometheus.Desc
	up, refreshSuccess               *prometheus.Desc
	refreshDuration, refreshLastGood *prometheus.Desc
	keyExpiry                        *prometheus.Desc
}

func name(n string) string { return prometheus.BuildFQName(namespace, "", n) }

func newDescs(l *layout) *descs {
	money := []string{lEnrollment, lPeriod, lCurrency}
	d := &descs{}
	for _, f := range balanceFields {
		d.balance = append(d.balance, prometheus.NewDesc(name(f.name), f.help+refreshedNote, money, nil))
	}
	d.usageCost = prometheus.NewDesc(name("usage_cost"),
		"Usage cost of the billing period to date, summed over usage details rows by the configured dimensions."+refreshedNote,
		append(append([]string{}, money...), l.costLabels...), nil)
	d.usageQuantity = prometheus.NewDesc(name("usage_quantity"),
		"Consumed quantity of the billing period to date, in unit_of_measure units, summed over usage details rows."+refreshedNote,
		append([]string{lEnrollment, lPeriod}, l.quantityLabels...), nil)
	d.dailyCost = prometheus.NewDesc(name("usage_daily_cost"),
		"Usage cost of the latest UTC day that has usage data (see azure_ea_usage_latest_day_timestamp_seconds), per department."+refreshedNote,
		[]string{lEnrollment, lPeriod, lCurrency, lDepartment}, nil)
	d.forecast = prometheus.NewDesc(name("usage_cost_forecast"),
		"Projected usage cost at the end of the billing period per department: cost to date plus the average daily cost of the last 7 days with data times the days left. Absent until the period has a day with usage data."+refreshedNote,
		[]string{lEnrollment, lPeriod, lCurrency, lDepartment}, nil)
	d.marketplaceCost = prometheus.NewDesc(name("marketplace_cost"),
		"Marketplace store charges of the billing period to date."+refreshedNote,
		[]string{lEnrollment, lPeriod, lCurrency, lDepartment, "subscription_id", "subscription", "publisher", "offer", "plan"}, nil)
	d.usageRecords = prometheus.NewDesc(name("usage_records"),
		"Usage details rows aggregated into the current data for the billing period."+refreshedNote,
		[]string{lEnrollment, lPeriod}, nil)
	d.latestDay = prometheus.NewDesc(name("usage_latest_day_timestamp_seconds"),
		"Start (UTC midnight) of the latest day that has usage data. Azure usage data arrives with up to 3 days latency."+refreshedNote,
		[]string{lEnrollment}, nil)
	priceLabels := []string{lEnrollment, lCurrency, "meter_id", "meter_name", "part_number", "unit_of_measure"}
	d.unitPrice = prometheus.NewDesc(name("price_unit_price"),
		"Unit price of a meter in the current billing period's price sheet, per unit_of_measure."+refreshedNote, priceLabels, nil)
	d.includedQuantity = prometheus.NewDesc(name("price_included_quantity"),
		"Quantity of a meter included at no charge in the current billing period's price sheet."+refreshedNote, priceLabels, nil)
	d.periodStart = prometheus.NewDesc(name("billing_period_start_timestamp_seconds"),
		"Start of the billing period (billingStart)."+refreshedNote, []string{lEnrollment, lPeriod}, nil)
	d.periodEnd = prometheus.NewDesc(name("billing_period_end_timestamp_seconds"),
		"End of the billing period (billingEnd, as the API gives it)."+refreshedNote, []string{lEnrollment, lPeriod}, nil)
	d.creditExhaustion = prometheus.NewDesc(name("credit_exhaustion_timestamp_seconds"),
		"When the prepaid credit's ending balance reaches zero at the average daily credit-eligible cost of the last 7 days with usage data; absent when there is no credit left or no burn."+refreshedNote,
		[]string{lEnrollment, lPeriod, lCurrency}, nil)
	budget := []string{lEnrollment, lPeriod, lCurrency, "budget", "scope_type", "scope"}
	d.budgetAmount = prometheus.NewDesc(name("budget_amount"),
		"Configured budget amount per billing period."+refreshedNote, budget, nil)
	d.budgetCost = prometheus.NewDesc(name("budget_cost"),
		"Usage cost in the budget's scope for the billing period to date."+refreshedNote, budget, nil)
	d.budgetForecast = prometheus.NewDesc(name("budget_forecast_cost"),
		"Projected usage cost in the budget's scope at the end of the billing period (same method as azure_ea_usage_cost_forecast)."+refreshedNote, budget, nil)
	d.up = prometheus.NewDesc(name("up"),
		"1 when the last refresh of every enabled dataset succeeded, else 0.", []string{lEnrollment}, nil)
	d.refreshSuccess = prometheus.NewDesc(name("refresh_success"),
		"1 when the last background refresh of the dataset succeeded, else 0 (its last good data, if any, is still served).", []string{lEnrollment, lDataset}, nil)
	d.refreshDuration = prometheus.NewDesc(name("refresh_duration_seconds"),
		"Duration of the last background refresh of the dataset.", []string{lEnrollment, lDataset}, nil)
	d.refreshLastGood = prometheus.NewDesc(name("refresh_last_success_timestamp_seconds"),
		"When the dataset was last refreshed successfully.", []string{lEnrollment, lDataset}, nil)
	d.keyExpiry = prometheus.NewDesc(name("api_key_expiry_timestamp_seconds"),
		"Expiry of the EA API key, from its exp claim (the key is a JWT). EA keys last 6 months; renew before this time.",
		[]string{lEnrollment}, nil)
	return d
}
