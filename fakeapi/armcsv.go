package fakeapi

import (
	"strconv"
	"strings"
)

// costColumns are the columns of the EA cost details file, version
// 2024-08-01, in file order (reference 6.5.4).
func costColumns() []string {
	return []string{
		"InvoiceSectionName", "AccountName", "AccountOwnerId", "SubscriptionId", "SubscriptionName",
		"ResourceGroup", "ResourceLocation", "Date", "ProductName", "MeterCategory", "MeterSubCategory",
		"MeterId", "MeterName", "MeterRegion", "UnitOfMeasure", "Quantity", "EffectivePrice",
		"CostInBillingCurrency", "CostCenter", "ConsumedService", "ResourceId", "Tags", "OfferId",
		"AdditionalInfo", "ServiceInfo1", "ServiceInfo2", "ResourceName", "ReservationId",
		"ReservationName", "UnitPrice", "ProductOrderId", "ProductOrderName", "Term", "PublisherType",
		"PublisherName", "ChargeType", "Frequency", "PricingModel", "AvailabilityZone", "BillingAccountId",
		"BillingAccountName", "BillingCurrencyCode", "BillingPeriodStartDate", "BillingPeriodEndDate",
		"BillingProfileId", "BillingProfileName", "InvoiceSectionId", "IsAzureCreditEligible", "PartNumber",
		"PayGPrice", "PlanName", "ServiceFamily", "CostAllocationRuleName", "benefitId", "benefitName",
		"AccountId", "ResourceLocationNormalized",
	}
}

const numCostColumns = 57

// costLayout is the column order and header of a blob under the quirks.
type costLayout struct {
	order  [numCostColumns]int // file column i holds costColumns()[order[i]]
	header []byte
}

func newCostLayout(q ARMQuirks) *costLayout {
	l := &costLayout{}
	names := costColumns()
	for i := range l.order {
		l.order[i] = i
		if q.ShuffledColumns {
			l.order[i] = (i*23 + 5) % numCostColumns // 23 and 57 are coprime: a permutation
		}
	}
	for i, k := range l.order {
		if i > 0 {
			l.header = append(l.header, ',')
		}
		l.header = append(l.header, headerName(names[k], q)...)
	}
	l.header = append(l.header, '\r', '\n')
	return l
}

func headerName(name string, q ARMQuirks) string {
	if q.AliasColumns {
		switch name {
		case "CostInBillingCurrency":
			name = "Cost"
		case "BillingCurrencyCode":
			name = "BillingCurrency"
		case "ProductName":
			name = "Product"
		}
	}
	if q.CamelCaseHeader {
		name = strings.ToLower(name[:1]) + name[1:]
	}
	return name
}

// costFields collects one row's encoded fields in costColumns order, so
// that any layout can write them.
type costFields struct {
	buf  []byte
	ends [numCostColumns]int
	n    int
}

func (f *costFields) next()        { f.ends[f.n] = len(f.buf); f.n++ }
func (f *costFields) str(s string) { f.buf = appendCSV(f.buf, s); f.next() }
func (f *costFields) empty(n int) {
	for ; n > 0; n-- {
		f.next()
	}
}
func (f *costFields) float(v float64) { f.buf = appendCSVFloat(f.buf, v); f.next() }
func (f *costFields) int(v int64)     { f.buf = strconv.AppendInt(f.buf, v, 10); f.next() }
func (f *costFields) usDay(d int64)   { f.buf = appendUSDay(f.buf, d); f.next() }
func (f *costFields) bool(v bool)     { f.buf = append(f.buf, dotnetBool(v)...); f.next() }
func (f *costFields) reset()          { f.buf, f.n = f.buf[:0], 0 }
func (f *costFields) field(k int) []byte {
	start := 0
	if k > 0 {
		start = f.ends[k-1]
	}
	return f.buf[start:f.ends[k]]
}

// appendRow writes the collected fields as a CSV line in the layout.
func (l *costLayout) appendRow(b []byte, f *costFields) []byte {
	for i, k := range l.order {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.field(k)...)
	}
	return append(b, '\r', '\n')
}

// costDay holds what the rows of one day share.
type costDay struct {
	day, periodStart, periodEnd int64
	accountName                 string // the billing account's
}

func (s *Server) newCostDay(day int64) costDay {
	a, b := monthRange(monthStart(dayTime(day)))
	return costDay{day: day, periodStart: a, periodEnd: b, accountName: s.billingAccountName()}
}

// billingAccountName is the enrollment's display name in the files.
func (s *Server) billingAccountName() string { return "Contoso EA " + s.opts.Enrollment }

// appendBilling writes the columns from AvailabilityZone to
// IsAzureCreditEligible, shared by both kinds of row.
func (s *Server) appendBilling(f *costFields, cd *costDay, dept *department, creditEligible bool) {
	f.empty(1) // AvailabilityZone
	f.str(s.opts.Enrollment)
	f.str(cd.accountName)
	f.str(s.opts.Currency)
	f.usDay(cd.periodStart)
	f.usDay(cd.periodEnd)
	f.str(s.opts.Enrollment)
	f.str(cd.accountName)
	f.int(int64(dept.id))
	f.bool(creditEligible)
}

// usageCostFields collects an Azure usage row: the same figures as the EA
// usage row, IsAzureCreditEligible the opposite of chargesBilledSeparately.
func (s *Server) usageCostFields(f *costFields, r *usageRow, cd *costDay) {
	m, t, sub := r.meter, r.meter.tmpl, r.sub
	a := sub.acct
	f.reset()
	f.str(a.dept.name)
	f.str(a.name)
	f.str(a.ownerEmail)
	f.str(sub.guid)
	f.str(sub.name)
	f.str(r.rg)
	f.str(r.loc.resourceLocation)
	f.usDay(cd.day)
	f.str(m.product)
	f.str(t.category)
	f.str(t.subCategory)
	f.str(m.guid)
	f.str(t.name)
	f.str(m.meterRgn)
	f.str(t.unit)
	f.float(r.qty)
	f.float(t.rate)
	f.float(r.cost)
	f.str(a.costCenter)
	f.str(r.consumedService())
	f.buf = appendInstanceID(f.buf, r)
	f.next()
	f.str(tagsWithoutBraces(r.tags))
	f.str(sub.offerID)
	f.str(t.additionalInfo)
	f.empty(2) // ServiceInfo1, ServiceInfo2
	f.buf = strconv.AppendInt(append(append(f.buf, t.resourcePrefix...), '-'), int64(r.i), 10)
	f.next()   // ResourceName
	f.empty(2) // ReservationId, ReservationName
	f.float(t.rate)
	f.empty(3) // ProductOrderId, ProductOrderName, Term
	f.str("Azure")
	f.str("Microsoft")
	f.str("Usage")
	f.str("UsageBased")
	f.str("OnDemand")
	s.appendBilling(f, cd, a.dept, !r.billedSeparately)
	f.str(m.partNumber)
	f.float(t.rate)
	f.empty(1) // PlanName
	f.str(serviceFamily(t.category))
	f.empty(3) // CostAllocationRuleName, benefitId, benefitName
	f.int(int64(a.id))
	f.str(r.loc.location)
}

// marketCostFields collects a marketplace charge: PublisherType
// Marketplace, OfferId the offer's name, no meter names or unit prices.
func (s *Server) marketCostFields(f *costFields, mc *marketCharge, cd *costDay, q *ARMQuirks) {
	of, sub := mc.offer, mc.sub
	a := sub.acct
	resource := of.plan + "-" + strconv.Itoa(mc.j)
	f.reset()
	f.str(a.dept.name)
	f.str(a.name)
	f.str(a.ownerEmail)
	f.str(sub.guid)
	f.str(sub.name)
	f.str("rg-marketplace")
	f.empty(1) // ResourceLocation
	f.usDay(cd.day)
	f.str(of.offer + " - " + of.plan)
	f.empty(2) // MeterCategory, MeterSubCategory
	f.str(of.meterID)
	f.empty(2) // MeterName, MeterRegion
	f.str(of.unit)
	f.float(mc.qty)
	f.float(of.rate)
	f.float(mc.cost)
	f.str(a.costCenter)
	f.empty(1) // ConsumedService
	f.str("/subscriptions/" + sub.guid + "/resourceGroups/rg-marketplace/providers/Microsoft.SaaS/resources/" + resource)
	f.empty(1) // Tags
	f.str(of.offer)
	f.str(`{"ImageType":null,"ServiceType":"Medium"}`)
	f.empty(2) // ServiceInfo1, ServiceInfo2
	f.str(resource)
	f.empty(6) // ReservationId, ReservationName, UnitPrice, ProductOrderId, ProductOrderName, Term
	f.str("Marketplace")
	f.str(of.publisher)
	chargeType, frequency := "Usage", "UsageBased"
	if of.recurring {
		frequency = "Recurring"
		if q.PurchaseRows {
			chargeType = "Purchase"
		}
	}
	f.str(chargeType)
	f.str(frequency)
	f.str("OnDemand")
	s.appendBilling(f, cd, a.dept, false)
	f.empty(2) // PartNumber, PayGPrice
	f.str(of.plan)
	f.empty(4) // ServiceFamily, CostAllocationRuleName, benefitId, benefitName
	f.int(int64(a.id))
	f.empty(1) // ResourceLocationNormalized
}

// tagsWithoutBraces is a tags JSON object's members, as the cost details
// file writes them.
func tagsWithoutBraces(t string) string {
	if len(t) < 2 {
		return ""
	}
	return t[1 : len(t)-1]
}

// serviceFamily groups meter categories the way the files' ServiceFamily
// does.
func serviceFamily(category string) string {
	switch category {
	case "Virtual Machines", "Virtual Machines Licenses", "Azure App Service", "Azure Kubernetes Service":
		return "Compute"
	case "Storage":
		return "Storage"
	case "Bandwidth", "Virtual Network", "Azure DNS":
		return "Networking"
	case "SQL Database", "Azure Cosmos DB":
		return "Databases"
	case "Azure Monitor":
		return "Management and Governance"
	case "Key Vault":
		return "Security"
	case "Azure DevOps":
		return "Developer Tools"
	}
	return "Other"
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// writeCostPart generates blob part of op into b: a byte order mark, the
// header, then its share of the rows (each day's usage rows, then its
// marketplace charges, then its purchases). flush is called whenever b is full and returns the
// buffer to go on with; writeCostPart returns what is left unflushed. rows,
// when not nil, counts the usage rows written.
func (s *Server) writeCostPart(op *armOperation, part int, b []byte,
	flush func([]byte) ([]byte, error), rows *int64) ([]byte, error) {
	layout := newCostLayout(op.quirks)
	b = append(b, utf8BOM...)
	b = append(b, layout.header...)
	if op.quirks.DuplicateBOM {
		b = append(b, utf8BOM...)
	}
	parts := int64(len(op.blobIDs))
	lo, hi := op.rows*int64(part)/parts, op.rows*int64(part+1)/parts
	perDay, mPerDay := s.opts.RowsPerDay, s.opts.MarketplacePerDay
	var (
		f   costFields
		row usageRow
		mc  marketCharge
		pc  armPurchase
		idx int64
		err error
	)
	for day := op.from; day <= op.to && idx < hi; day++ {
		n := int64(s.costRowsOfDay(day))
		if idx+n <= lo {
			idx += n
			continue
		}
		di, cd := newDayInfo(day), s.newCostDay(day)
		usageEnd := int64(perDay)
		marketEnd := usageEnd + int64(s.ent.marketplaceCount(mPerDay, day))
		for i := int64(0); i < n && idx < hi; i, idx = i+1, idx+1 {
			if idx < lo {
				continue
			}
			switch {
			case i < usageEnd:
				s.ent.fillUsageRow(&row, &di, int(i))
				s.usageCostFields(&f, &row, &cd)
				if rows != nil {
					*rows++
				}
			case i < marketEnd:
				s.ent.fillMarketCharge(&mc, mPerDay, day, int(i-usageEnd))
				s.marketCostFields(&f, &mc, &cd, &op.quirks)
			default:
				s.fillPurchase(&pc, day, int(i-marketEnd))
				s.purchaseCostFields(&f, &pc, &cd)
			}
			b = layout.appendRow(b, &f)
			if len(b) >= flushThreshold {
				if b, err = flush(b); err != nil {
					return b, err
				}
			}
		}
	}
	return b, nil
}
