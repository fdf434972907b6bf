package arm

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// A reservation or savings plan purchase is a row of the cost details file
// (ChargeType Purchase) but was never EA usage: Usage leaves it out, and the
// Marketplace rows stay marketplace charges whatever their ChargeType.
func TestUsageLeavesOutPurchasesAndRefunds(t *testing.T) {
	const header = "InvoiceSectionName,SubscriptionId,SubscriptionName,Date,MeterCategory,Quantity,CostInBillingCurrency," +
		"PublisherType,PublisherName,OfferId,PlanName,BillingCurrencyCode,InvoiceSectionId,ChargeType\r\n"
	blob := "\ufeff" + header +
		"Research,s-1,Lab,05/01/2024,Storage,10,1.5,Azure,Microsoft,,,USD,101,Usage\r\n" +
		"Research,s-1,Lab,05/01/2024,Bandwidth,1,0.25,Azure,Microsoft,,,USD,101, usage \r\n" +
		"Research,s-1,Lab,05/02/2024,Key Vault,1,0.5,Azure,Microsoft,,,USD,101,\r\n" +
		"Research,s-1,Lab,05/02/2024,,1,12000,Azure,Microsoft,,,USD,101,Purchase\r\n" +
		"Research,s-1,Lab,05/03/2024,,1,-300,Azure,Microsoft,,,USD,101,Refund\r\n" +
		"Research,s-1,Lab,05/03/2024,,1,99,Azure,Microsoft,,,USD,101,UnusedReservation\r\n" +
		"Research,s-1,Lab,05/03/2024,,1,40,Marketplace,Contoso,contoso-saas,gold,USD,101,Purchase\r\n"
	f := newFakeARM(t)
	link := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob)
	f.scriptReport(t, finished(completed(link)))
	env := newTestEnv(t, f)

	got := collectUsage(t, env.c, apiclient.UsageQuery{BillingPeriod: "202405"})
	want := []string{"2024-05-01 Research Storage 1.5", "2024-05-01 Research Bandwidth 0.25", "2024-05-02 Research Key Vault 0.5"}
	if !slices.Equal(got, want) {
		t.Errorf("usage rows\n got %q\nwant %q", got, want)
	}
	var market []float64
	err := env.c.MarketplaceCharges(context.Background(), "202405", func(m *apiclient.MarketplaceCharge) error {
		market = append(market, m.Cost)
		return nil
	})
	if err != nil || !slices.Equal(market, []float64{40}) {
		t.Errorf("marketplace charges %v, %v; want the Marketplace purchase of 40", market, err)
	}
}

// The fake's reports hold two purchases on the first of the month, which
// its truth does not count as usage: Usage agrees with the truth.
func TestUsageOfTheFakeLeavesOutItsPurchases(t *testing.T) {
	now := time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)
	fake := fakeapi.New(fakeapi.Options{Now: func() time.Time { return now }, RowsPerDay: 20})
	c := newFakeAPIClient(t, fake, now)
	var usage float64
	rows := 0
	err := c.Usage(context.Background(), apiclient.UsageQuery{BillingPeriod: "202405"}, func(r *apiclient.UsageRow) error {
		usage += r.Cost
		rows++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	truth := fake.Truth("202405")
	if fake.ARMPurchaseCost("202405") == 0 {
		t.Fatal("the fake's report holds no purchase")
	}
	if rows != truth.UsageRows || math.Abs(usage-truth.UsageCost) > 1e-6*truth.UsageCost {
		t.Errorf("usage %d rows, %v; truth %d rows, %v", rows, usage, truth.UsageRows, truth.UsageCost)
	}
}
