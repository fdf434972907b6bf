package flex

import (
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// BalanceFigures are the amounts of a balance summary, which the EA API
// (reference 3.2) and the Consumption API's balances (6.4) name alike: a
// client embeds them in the struct it decodes an answer into.
type BalanceFigures struct {
	BeginningBalance               Float `json:"beginningBalance"`
	EndingBalance                  Float `json:"endingBalance"`
	NewPurchases                   Float `json:"newPurchases"`
	Adjustments                    Float `json:"adjustments"`
	Utilized                       Float `json:"utilized"`
	ServiceOverage                 Float `json:"serviceOverage"`
	ChargesBilledSeparately        Float `json:"chargesBilledSeparately"`
	TotalOverage                   Float `json:"totalOverage"`
	TotalUsage                     Float `json:"totalUsage"`
	AzureMarketplaceServiceCharges Float `json:"azureMarketplaceServiceCharges"`
}

// Any reports whether the answer set at least one figure. One that sets
// none (an empty object, an error object sent with a 200, another API's
// wrapper) is no summary of zeros: read as one, it says the credit is used
// up.
func (f *BalanceFigures) Any() bool {
	for _, v := range [...]Float{f.BeginningBalance, f.EndingBalance, f.NewPurchases, f.Adjustments, f.Utilized,
		f.ServiceOverage, f.ChargesBilledSeparately, f.TotalOverage, f.TotalUsage, f.AzureMarketplaceServiceCharges} {
		if v.Set {
			return true
		}
	}
	return false
}

// Record returns the balance summary of period with these figures, in
// currency (surrounding spaces trimmed, as the APIs pad it).
func (f *BalanceFigures) Record(period string, currency String) *apiclient.BalanceSummary {
	return &apiclient.BalanceSummary{
		BillingPeriod:                  period,
		Currency:                       strings.TrimSpace(string(currency)),
		BeginningBalance:               f.BeginningBalance.Value,
		EndingBalance:                  f.EndingBalance.Value,
		NewPurchases:                   f.NewPurchases.Value,
		Adjustments:                    f.Adjustments.Value,
		Utilized:                       f.Utilized.Value,
		ServiceOverage:                 f.ServiceOverage.Value,
		ChargesBilledSeparately:        f.ChargesBilledSeparately.Value,
		TotalOverage:                   f.TotalOverage.Value,
		TotalUsage:                     f.TotalUsage.Value,
		AzureMarketplaceServiceCharges: f.AzureMarketplaceServiceCharges.Value,
	}
}
