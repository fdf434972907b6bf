package fakeapi

import (
	"math"
	"strconv"
)

// armPurchase is a reservation or savings plan purchase: a row of the cost
// details file (ChargeType Purchase) that is not usage. The EA usage details
// never held purchases (they had their own route, reference 3.8), so a
// client that takes these rows for usage no longer agrees with Truth.
type armPurchase struct {
	sub  *subscription
	kind purchaseKind
	k    int
	cost float64
}

// purchaseKind is what an enrollment buys every month, paid monthly.
type purchaseKind struct {
	product, pricingModel, serviceFamily, orderPrefix string
	// minCost and spread bound the monthly payment.
	minCost, spread float64
}

// numPurchaseKinds is the number of purchaseKindAt's kinds.
const numPurchaseKinds = 2

func purchaseKindAt(k int) purchaseKind {
	if k == 0 {
		return purchaseKind{"Reserved VM Instance, Standard_D4s_v5, US East, 1 Year", "Reservation", "Compute", "VM RI", 180, 420}
	}
	return purchaseKind{"Savings Plan, Compute, 3 Years", "SavingsPlan", "Compute", "Compute SP", 500, 1500}
}

// purchaseCount is the number of purchase rows of a day: one per kind on
// the first of the month, none otherwise, and none for an enrollment
// without usage.
func (s *Server) purchaseCount(day int64) int {
	if s.opts.RowsPerDay <= 0 || dayTime(day).Day() != 1 {
		return 0
	}
	return numPurchaseKinds
}

// fillPurchase generates purchase k of a day: a pure function of (seed,
// day, k). Purchase k is the same order, by the same subscription, every
// month.
func (s *Server) fillPurchase(p *armPurchase, day int64, k int) {
	e := s.ent
	p.k, p.kind = k, purchaseKindAt(k)
	p.sub = e.subs[hash2(e.seed, domARMPurchase, uint64(k), 0)%uint64(len(e.subs))]
	u := unitFloat(hash2(e.seed, domARMPurchase, uint64(day), uint64(k)))
	p.cost = math.Round((p.kind.minCost+p.kind.spread*u)*100) / 100
}

// ARMPurchaseCost is the cost of the purchase rows that the cost details
// reports of period (yyyyMM) hold on the available days: cost that Truth
// does not count as usage.
func (s *Server) ARMPurchaseCost(period string) float64 {
	m, ok := parsePeriod(period)
	if !ok {
		return 0
	}
	from, to := s.window(s.opts.Now()).clip(monthRange(m))
	var p armPurchase
	total := 0.0
	for day := from; day <= to; day++ {
		for k := range s.purchaseCount(day) {
			s.fillPurchase(&p, day, k)
			total += p.cost
		}
	}
	return total
}

// purchaseCostFields collects a purchase row: PublisherType Azure, ChargeType
// Purchase, Frequency Recurring (a monthly payment), no meter, resource or
// tags, and the order's ids.
func (s *Server) purchaseCostFields(f *costFields, p *armPurchase, cd *costDay) {
	sub, kind := p.sub, p.kind
	a := sub.acct
	order := guid(s.opts.Seed, domARMPurchase, uint64(1000+p.k))
	name := kind.orderPrefix + " " + strconv.Itoa(p.k+1)
	f.reset()
	f.str(a.dept.name)
	f.str(a.name)
	f.str(a.ownerEmail)
	f.str(sub.guid)
	f.str(sub.name)
	f.empty(2) // ResourceGroup, ResourceLocation
	f.usDay(cd.day)
	f.str(kind.product)
	f.empty(6) // MeterCategory, MeterSubCategory, MeterId, MeterName, MeterRegion, UnitOfMeasure
	f.float(1)
	f.float(p.cost)
	f.float(p.cost)
	f.str(a.costCenter)
	f.empty(3) // ConsumedService, ResourceId, Tags
	f.str(sub.offerID)
	f.empty(4) // AdditionalInfo, ServiceInfo1, ServiceInfo2, ResourceName
	f.str(guid(s.opts.Seed, domARMPurchase, uint64(2000+p.k)))
	f.str(name)
	f.float(p.cost)
	f.str(order)
	f.str(name)
	f.str("12")
	f.str("Azure")
	f.str("Microsoft")
	f.str("Purchase")
	f.str("Recurring")
	f.str(kind.pricingModel)
	s.appendBilling(f, cd, a.dept, true)
	f.empty(2) // PartNumber, PayGPrice
	f.empty(1) // PlanName
	f.str(kind.serviceFamily)
	f.empty(1) // CostAllocationRuleName
	f.str(order)
	f.str(name)
	f.int(int64(a.id))
	f.empty(1) // ResourceLocationNormalized
}
