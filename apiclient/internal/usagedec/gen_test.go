package usagedec

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// genRow is one realistic v3 usage row: the 40 fields of reference 3.3, in
// the doc example's order, with the values a large enrollment produces.
type genRow struct {
	accountID, productID, resourceLocationID, consumedServiceID, departmentID int
	accountOwnerEmail, accountName, serviceAdministratorID                    string
	subscriptionID                                                            int64
	subscriptionGUID, subscriptionName, product, meterID, meterCategory       string
	meterSubCategory, meterRegion, meterName                                  string
	date                                                                      time.Time
	consumedQuantity, resourceRate, cost                                      string // number text
	resourceLocation, consumedService, instanceID, serviceInfo1               string
	serviceInfo2, additionalInfo, tags, storeServiceIdentifier                string
	departmentName, costCenter, unitOfMeasure, resourceGroup                  string
	serviceName, serviceTier, location, partNumber, resourceGUID, offerID     string
	chargesBilledSeparately                                                   bool
}

var (
	genDepartments = []string{"Engineering", "Finance & Ops", "R&D \u00c9quipe", "Marketing", "Data \"Lake\" Team", "Sales EMEA"}
	genMeters      = [][4]string{
		{"Virtual Machines", "D2 v3/D2s v3", "D2 v3/D2s v3 (Hours)", "Hours"},
		{"Storage", "Locally Redundant", "Premium Storage - Page Blob/P10 (Units)", "Units"},
		{"Bandwidth", "Data Transfer Out", "Data Transfer Out (GB)", "GB"},
		{"SQL Database", "Single General Purpose", "vCore", "1 Hour"},
		{"Azure App Service", "Premium v2 Plan", "P1 v2", "Hours"},
		{"Log Analytics", "Pay-as-you-go", "Data Ingestion", "GB"},
	}
	genRegions = []string{"US East", "US West 2", "EU West", "EU North", "AP Southeast", ""}
	genEnvs    = []string{"prod", "staging", "dev", "test"}
)

func genGUID(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
}

// genDecimal writes a decimal the way the API does: a few digits, or the
// long DECIMAL(28,22)-style tails costs sometimes carry.
func genDecimal(r *rand.Rand, scale float64) string {
	v := r.Float64() * scale
	switch r.IntN(4) {
	case 0:
		return strconv.FormatFloat(v, 'f', 22, 64)
	case 1:
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'f', 2+r.IntN(12), 64)
}

func genRows(n int, seed uint64) []genRow {
	r := rand.New(rand.NewPCG(seed, 42))
	subs := make([]string, 20)
	for i := range subs {
		subs[i] = genGUID(r)
	}
	rows := make([]genRow, n)
	for i := range rows {
		m := genMeters[r.IntN(len(genMeters))]
		sub := r.IntN(len(subs))
		rg := fmt.Sprintf("rg-%s-%02d", genEnvs[r.IntN(len(genEnvs))], r.IntN(30))
		vm := fmt.Sprintf("vm-%05d", r.IntN(100000))
		rows[i] = genRow{
			accountID: 100000 + r.IntN(50), productID: 1000 + r.IntN(3000), resourceLocationID: r.IntN(80),
			consumedServiceID: r.IntN(40), departmentID: 3000 + r.IntN(6),
			accountOwnerEmail: fmt.Sprintf("owner%02d@contoso.com", r.IntN(50)), accountName: fmt.Sprintf("Account %02d", r.IntN(50)),
			serviceAdministratorID: fmt.Sprintf("admin%02d@contoso.com", r.IntN(50)), subscriptionID: 1e9 + int64(sub),
			subscriptionGUID: subs[sub], subscriptionName: fmt.Sprintf("Subscription %02d (%s)", sub, genEnvs[sub%4]),
			date:    time.Date(2018, 8, 1+r.IntN(31), 0, 0, 0, 0, time.UTC),
			product: m[0] + " " + m[2] + " - " + genRegions[r.IntN(5)], meterID: genGUID(r),
			meterCategory: m[0], meterSubCategory: m[1], meterRegion: genRegions[r.IntN(len(genRegions))], meterName: m[2],
			consumedQuantity: genDecimal(r, 24), resourceRate: genDecimal(r, 2), cost: genDecimal(r, 50),
			resourceLocation: "eastus", consumedService: "Microsoft.Compute",
			instanceID:   fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", subs[sub], rg, vm),
			serviceInfo1: "", serviceInfo2: "Windows Server BYOL",
			additionalInfo:         `{"ImageType":null,"ServiceType":"Standard_D2s_v3"}`,
			tags:                   fmt.Sprintf(`{"env":%q,"costCenter":"CC-%04d","app":"web \u00e9t\u00e9"}`, genEnvs[r.IntN(4)], r.IntN(10000)),
			storeServiceIdentifier: "", departmentName: genDepartments[r.IntN(len(genDepartments))], costCenter: strconv.Itoa(1000 + r.IntN(9000)),
			unitOfMeasure: m[3], resourceGroup: rg, serviceName: m[0], serviceTier: m[1], location: genRegions[r.IntN(5)],
			chargesBilledSeparately: r.IntN(10) == 0, partNumber: fmt.Sprintf("N7H-%05d", r.IntN(100000)),
			resourceGUID: genGUID(r), offerID: "MS-AZR-0017P",
		}
	}
	return rows
}

func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// genPage writes rows as a v3 page, the way the API orders its members.
func genPage(rows []genRow, nextLink string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":"e1a2b3c4","data":[`)
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"serviceName":%s,"serviceTier":%s,"location":%s,"chargesBilledSeparately":%t,"partNumber":%s,`+
			`"resourceGuid":%s,"offerId":%s,"cost":%s,"accountId":%d,"productId":%d,"resourceLocationId":%d,`+
			`"consumedServiceId":%d,"departmentId":%d,"accountOwnerEmail":%s,"accountName":%s,"serviceAdministratorId":%s,`+
			`"subscriptionId":%d,"subscriptionGuid":%s,"subscriptionName":%s,"date":%s,"product":%s,"meterId":%s,`+
			`"meterCategory":%s,"meterSubCategory":%s,"meterRegion":%s,"meterName":%s,"consumedQuantity":%s,`+
			`"resourceRate":%s,"resourceLocation":%s,"consumedService":%s,"instanceId":%s,"serviceInfo1":%s,`+
			`"serviceInfo2":%s,"additionalInfo":%s,"tags":%s,"storeServiceIdentifier":%s,"departmentName":%s,`+
			`"costCenter":%s,"unitOfMeasure":%s,"resourceGroup":%s}`,
			jsonString(r.serviceName), jsonString(r.serviceTier), jsonString(r.location), r.chargesBilledSeparately,
			jsonString(r.partNumber), jsonString(r.resourceGUID), jsonString(r.offerID), r.cost, r.accountID, r.productID,
			r.resourceLocationID, r.consumedServiceID, r.departmentID, jsonString(r.accountOwnerEmail),
			jsonString(r.accountName), jsonString(r.serviceAdministratorID), r.subscriptionID, jsonString(r.subscriptionGUID),
			jsonString(r.subscriptionName), jsonString(r.date.Format("2006-01-02T15:04:05")), jsonString(r.product),
			jsonString(r.meterID), jsonString(r.meterCategory), jsonString(r.meterSubCategory), jsonString(r.meterRegion),
			jsonString(r.meterName), r.consumedQuantity, r.resourceRate, jsonString(r.resourceLocation),
			jsonString(r.consumedService), jsonString(r.instanceID), jsonString(r.serviceInfo1), jsonString(r.serviceInfo2),
			jsonString(r.additionalInfo), jsonString(r.tags), jsonString(r.storeServiceIdentifier),
			jsonString(r.departmentName), jsonString(r.costCenter), jsonString(r.unitOfMeasure), jsonString(r.resourceGroup))
	}
	fmt.Fprintf(&b, `],"nextLink":%s}`, jsonString(nextLink))
	return b.Bytes()
}

// eaCSVHeader is the EA download's header: 33 alphabetical columns, then
// the 7 v3 additions (reference 3.4).
var eaCSVHeader = []string{"AccountId", "AccountName", "AccountOwnerEmail", "AdditionalInfo", "ConsumedQuantity",
	"ConsumedService", "ConsumedServiceId", "Cost", "CostCenter", "Date", "DepartmentId", "DepartmentName", "InstanceId",
	"MeterCategory", "MeterId", "MeterName", "MeterRegion", "MeterSubCategory", "Product", "ProductId", "ResourceGroup",
	"ResourceLocation", "ResourceLocationId", "ResourceRate", "ServiceAdministratorId", "ServiceInfo1", "ServiceInfo2",
	"StoreServiceIdentifier", "SubscriptionGuid", "SubscriptionId", "SubscriptionName", "Tags", "UnitOfMeasure",
	"PartNumber", "ResourceGuid", "OfferId", "ChargesBilledSeparately", "Location", "ServiceName", "ServiceTier"}

// genEACSV writes rows as the EA download: a preamble line, the header,
// then the rows, with the date in one of the layouts the files use.
func genEACSV(rows []genRow) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFFUsage Data Extract,Billing Period 201808\r\n")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(eaCSVHeader); err != nil {
		panic(err)
	}
	for i, r := range rows {
		date := r.date.Format("01/02/2006")
		if i%3 == 1 {
			date = r.date.Format("2006-01-02")
		}
		rec := []string{strconv.Itoa(r.accountID), r.accountName, r.accountOwnerEmail, r.additionalInfo, r.consumedQuantity,
			r.consumedService, strconv.Itoa(r.consumedServiceID), r.cost, r.costCenter, date, strconv.Itoa(r.departmentID),
			r.departmentName, r.instanceID, r.meterCategory, r.meterID, r.meterName, r.meterRegion, r.meterSubCategory,
			r.product, strconv.Itoa(r.productID), r.resourceGroup, r.resourceLocation, strconv.Itoa(r.resourceLocationID),
			r.resourceRate, r.serviceAdministratorID, r.serviceInfo1, r.serviceInfo2, r.storeServiceIdentifier,
			r.subscriptionGUID, strconv.FormatInt(r.subscriptionID, 10), r.subscriptionName, r.tags, r.unitOfMeasure,
			r.partNumber, r.resourceGUID, r.offerID, strconv.FormatBool(r.chargesBilledSeparately), r.location,
			r.serviceName, r.serviceTier}
		if err := w.Write(rec); err != nil {
			panic(err)
		}
	}
	w.Flush()
	return b.Bytes()
}

// values returns the dimension values Page and CSV must produce for r.
func (r *genRow) values() [13]string {
	return [13]string{r.departmentName, r.accountName, r.costCenter, r.subscriptionGUID, r.subscriptionName,
		r.resourceGroup, r.meterID, r.meterCategory, r.meterSubCategory, r.meterName, r.meterRegion,
		r.resourceLocation, r.unitOfMeasure}
}
