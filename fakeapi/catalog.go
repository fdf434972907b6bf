package fakeapi

// The catalogue the generated enrollment draws from: meters, regions,
// marketplace offers and names. Values imitate reference 3.3, 3.6 and 3.7.

// qtyKind says how a meter's daily consumed quantity behaves.
type qtyKind uint8

const (
	qtyHours        qtyKind = iota // up to 24 per day
	qtyHundredHours                // hours / 100
	qtyGB                          // a size or a volume in GB
	qtyTenThousand                 // operations / 10,000
	qtyMonthly                     // 1/days-in-month per day
	qtyDaily                       // 1 per day
)

// meterTemplate is a kind of meter; each is offered in several regions.
type meterTemplate struct {
	category, subCategory, name, unit string
	rate                              float64
	service                           string // consumedService
	serviceID                         int    // consumedServiceId
	serviceName, serviceTier          string // v3 fields
	provider                          string // ARM resource type, for instanceId
	resourcePrefix                    string
	qty                               qtyKind
	partPrefix                        string
	// fixedRegion is set for meters without a region: their meterRegion.
	fixedRegion      *string
	billedSeparately bool
	includedQuantity float64
	additionalInfo   string // JSON text or ""
}

func strp(s string) *string { return &s }

// meterTemplates is a constant table; it is never modified.
func meterTemplates() []meterTemplate {
	vmInfo := `{"UsageType":"ComputeHR","ImageType":"Canonical","ServiceType":"Standard_D2s_v3","VMName":null,"VMProperties":null,"VCPUs":2,"CPUs":0}`
	return []meterTemplate{
		{category: "Virtual Machines", subCategory: "D2 v3/D2s v3 Series", name: "D2 v3/D2s v3", unit: "Hours", rate: 0.096,
			service: "Microsoft.Compute", serviceID: 1, serviceName: "Virtual Machines", serviceTier: "Dv3/DSv3 Series",
			provider: "Microsoft.Compute/virtualMachines", resourcePrefix: "vm-app", qty: qtyHours, partPrefix: "AAD", additionalInfo: vmInfo},
		{category: "Virtual Machines", subCategory: "Dv3/DSv3 Series Windows", name: "D4 v3/D4s v3", unit: "100 Hours", rate: 37.6,
			service: "Microsoft.Compute", serviceID: 1, serviceName: "Virtual Machines", serviceTier: "Dv3/DSv3 Series Windows",
			provider: "Microsoft.Compute/virtualMachines", resourcePrefix: "vm-win", qty: qtyHundredHours, partPrefix: "AAF",
			additionalInfo: `{"UsageType":"ComputeHR","ImageType":"Windows Server 2022 Datacenter","ServiceType":"Standard_D4s_v3","VCPUs":4}`},
		{category: "Virtual Machines", subCategory: "BS Series", name: "B2ms", unit: "Hours", rate: 0.0832,
			service: "Microsoft.Compute", serviceID: 1, serviceName: "Virtual Machines", serviceTier: "BS Series",
			provider: "Microsoft.Compute/virtualMachines", resourcePrefix: "vm-burst", qty: qtyHours, partPrefix: "AAH", additionalInfo: vmInfo},
		{category: "Storage", subCategory: "Locally Redundant", name: "Premium Storage - Page Blob/P10 (Units)", unit: "Units", rate: 19.71,
			service: "Microsoft.Compute", serviceID: 1, serviceName: "Storage", serviceTier: "Premium Page Blobs",
			provider: "Microsoft.Compute/disks", resourcePrefix: "disk", qty: qtyMonthly, partPrefix: "N9H"},
		{category: "Storage", subCategory: "Tables", name: "Batch Write Operations", unit: "10,000 s", rate: 0.00036,
			service: "Microsoft.Storage", serviceID: 2, serviceName: "Storage", serviceTier: "Tables",
			provider: "Microsoft.Storage/storageAccounts", resourcePrefix: "sttables", qty: qtyTenThousand, partPrefix: "N7H"},
		{category: "Storage", subCategory: "General Block Blob", name: "LRS Data Stored", unit: "GB", rate: 0.0208,
			service: "Microsoft.Storage", serviceID: 2, serviceName: "Storage", serviceTier: "General Block Blob",
			provider: "Microsoft.Storage/storageAccounts", resourcePrefix: "stdata", qty: qtyGB, partPrefix: "N7H"},
		{category: "Bandwidth", subCategory: "", name: "Data Transfer Out (GB)", unit: "GB", rate: 0.087,
			service: "Microsoft.Network", serviceID: 3, serviceName: "Bandwidth", serviceTier: "Bandwidth",
			provider: "Microsoft.Network/publicIPAddresses", resourcePrefix: "pip", qty: qtyGB, partPrefix: "N3H",
			fixedRegion: strp("Zone 1"), includedQuantity: 5},
		{category: "SQL Database", subCategory: "Single Standard", name: "S1 DTUs", unit: "1/Day", rate: 0.9677,
			service: "Microsoft.Sql", serviceID: 4, serviceName: "SQL Database", serviceTier: "Single Standard",
			provider: "Microsoft.Sql/servers", resourcePrefix: "sql", qty: qtyDaily, partPrefix: "7JQ"},
		{category: "Azure App Service", subCategory: "Premium v2 Plan", name: "P1 v2", unit: "Hours", rate: 0.2,
			service: "Microsoft.Web", serviceID: 5, serviceName: "Azure App Service", serviceTier: "Premium v2 Plan",
			provider: "Microsoft.Web/serverfarms", resourcePrefix: "plan", qty: qtyHours, partPrefix: "AAJ"},
		{category: "Virtual Network", subCategory: "IP Addresses", name: "Standard IPv4 Static Public IP", unit: "Hours", rate: 0.005,
			service: "Microsoft.Network", serviceID: 3, serviceName: "Virtual Network", serviceTier: "IP Addresses",
			provider: "Microsoft.Network/publicIPAddresses", resourcePrefix: "ip", qty: qtyHours, partPrefix: "AAK"},
		{category: "Azure Monitor", subCategory: "Log Analytics", name: "Data Ingestion", unit: "GB", rate: 2.76,
			service: "Microsoft.OperationalInsights", serviceID: 6, serviceName: "Log Analytics", serviceTier: "Pay-as-you-go",
			provider: "Microsoft.OperationalInsights/workspaces", resourcePrefix: "log", qty: qtyGB, partPrefix: "AAL", includedQuantity: 5},
		{category: "Key Vault", subCategory: "Standard", name: "Operations", unit: "10,000 s", rate: 0.03,
			service: "Microsoft.KeyVault", serviceID: 7, serviceName: "Key Vault", serviceTier: "Standard",
			provider: "Microsoft.KeyVault/vaults", resourcePrefix: "kv", qty: qtyTenThousand, partPrefix: "AAM"},
		{category: "Azure Cosmos DB", subCategory: "RUs", name: "100 RU/s", unit: "100 Hours", rate: 0.8,
			service: "Microsoft.DocumentDB", serviceID: 8, serviceName: "Azure Cosmos DB", serviceTier: "RUs",
			provider: "Microsoft.DocumentDB/databaseAccounts", resourcePrefix: "cosmos", qty: qtyHundredHours, partPrefix: "AAN"},
		{category: "Azure Kubernetes Service", subCategory: "Uptime SLA", name: "Standard Uptime SLA", unit: "Hours", rate: 0.1,
			service: "Microsoft.ContainerService", serviceID: 9, serviceName: "Azure Kubernetes Service", serviceTier: "Uptime SLA",
			provider: "Microsoft.ContainerService/managedClusters", resourcePrefix: "aks", qty: qtyHours, partPrefix: "AAP"},
		{category: "Azure DNS", subCategory: "", name: "Public Zone", unit: "Units", rate: 0.5,
			service: "Microsoft.Network", serviceID: 3, serviceName: "Azure DNS", serviceTier: "Public",
			provider: "Microsoft.Network/dnszones", resourcePrefix: "zone", qty: qtyMonthly, partPrefix: "AAQ", fixedRegion: strp("")},
		{category: "Virtual Machines Licenses", subCategory: "Red Hat Enterprise Linux", name: "1-4 vCPU VM License", unit: "Hours", rate: 0.06,
			service: "Microsoft.Compute", serviceID: 1, serviceName: "Virtual Machines Licenses", serviceTier: "Red Hat Enterprise Linux",
			provider: "Microsoft.Compute/virtualMachines", resourcePrefix: "vm-rhel", qty: qtyHours, partPrefix: "AAR", billedSeparately: true},
		{category: "Azure DevOps", subCategory: "Azure Pipelines", name: "Microsoft-hosted CI/CD", unit: "1/Month", rate: 40,
			service: "Microsoft.VisualStudio", serviceID: 10, serviceName: "Azure DevOps", serviceTier: "Azure Pipelines",
			provider: "Microsoft.VisualStudio/account", resourcePrefix: "devops", qty: qtyMonthly, partPrefix: "AAS", billedSeparately: true},
	}
}

// region is where a meter is offered.
type region struct {
	meterRegion      string // "US West"
	resourceLocation string // "westus"
	location         string // normalized, v3
	id               int    // resourceLocationId
}

func usageRegions() []region {
	return []region{
		{"US West", "westus", "US West", 12},
		{"US East", "EastUS", "US East", 5},
		{"EU West", "westeurope", "EU West", 21},
		{"EU North", "northeurope", "EU North", 20},
		{"AP East", "eastasia", "AP East", 30},
	}
}

// priceSheetRegions adds regions that appear only in the price sheet.
func priceSheetRegions() []string {
	return []string{
		"US West", "US East", "EU West", "EU North", "AP East", "US Central", "US West 2",
		"US East 2", "US South Central", "US North Central", "CA Central", "BR South",
		"UK South", "UK West", "FR Central", "DE West Central", "CH North", "NO East",
		"SE Central", "AU East", "AU Southeast", "JA East", "KR Central", "IN Central",
	}
}

// marketplaceOffer is a third-party product bought through the marketplace.
type marketplaceOffer struct {
	publisher, offer, plan, meterID, unit string
	rate                                  float64
	recurring                             bool
}

func marketplaceOffers() []marketplaceOffer {
	return []marketplaceOffer{
		{"Kemp Technologies", "Virtual LoadMaster™ (VLM) for Azure", "vlm-500", "2core", "Hours", 0.1, false},
		{"Datadog, Inc.", "Datadog – An Azure Native ISV Service", "payg_v2", "host", "Units", 0.5, false},
		{"Barracuda Networks, Inc.", "Barracuda CloudGen Firewall for Azure", "byol", "1core", "Hours", 0.04, false},
		{"Canonical", "Ubuntu Pro 22.04 LTS", "pro-22_04-lts", "4core", "Hours", 0.022, false},
		{"Elastic", "Elastic Cloud (Elasticsearch Service)", "ess-consumption-2024", "ecu", "", 0.0135, false},
		// The recurring charge is billed once a month, on the first day.
		{"Twilio SendGrid", "SendGrid Email Delivery", "silver", "email-100k", "1/Month", 89.95, true},
	}
}

// Names. Some carry non-ASCII letters, an ampersand or a quote so that a
// client's unescaping and label handling are exercised.
func departmentNames() []string {
	return []string{"Engineering", "Finance & Controlling", "Marketing", "R&D Zürich",
		"Operations", "Sales", "Data Science", "Customer Support"}
}

func accountNames() []string {
	return []string{"Platform", "Web Frontend", `Café "Ops"`, "Analytics", "Mobile",
		"Infra Core", "Billing Services", "Søren's Lab"}
}

func ownerNames() []string {
	return []string{"alice.mueller", "bjorn.larsen", "chen.wei", "dana.cohen", "emeka.obi",
		"fatima.zahra", "goran.petrovic", "hiro.tanaka"}
}

func environmentNames() []string {
	return []string{"Production", "Dev/Test", "Staging", "Sandbox"}
}

func resourceGroupNames() []string {
	return []string{"rg-web", "rg-data", "RG-SHARED", "MC_aks-prod_westeurope"}
}

// tagSets are the tags strings (JSON text) a resource may carry.
func tagSets() []string {
	return []string{
		`{"env":"prod","owner":"alice","app":"web"}`,
		`{"env":"dev","owner":"bob"}`,
		``,
		`{"env":"prod","costCenter":"1234","team":"Équipe Café"}`,
		`{"env":"test","note":"say \"hi\"","owner":"chen"}`,
		`{"Environment":"Production","owner":"søren","app":"billing"}`,
		`{"env":"prod","app":"api","tier":"backend"}`,
		`{"team":"Ødegård"}`, // its middle falls inside a character
	}
}
