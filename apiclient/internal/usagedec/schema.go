package usagedec

import (
	"errors"
	"slices"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// CSVColumns says which CSV columns feed a usage row: for each field, the
// header names that may hold it, in order of preference (the first one the
// header has is used). Names match case-insensitively.
type CSVColumns struct {
	// Dimensions holds each dimension's column names, indexed by
	// apiclient.Dimension.
	Dimensions [apiclient.NumDimensions][]string
	// Cost and Date are required: a header without them is an error.
	Cost, Date []string
	// Quantity, BilledSeparately and Tags are optional.
	Quantity, BilledSeparately, Tags []string
	// BilledSeparatelyInverted says that the BilledSeparately column has the
	// opposite meaning (ARM's IsAzureCreditEligible): a row is billed
	// separately when the cell says "False", and not when it is empty.
	BilledSeparatelyInverted bool
	// Kind names a column that tells kinds of rows apart (ARM's
	// PublisherType); Decoder.Kind returns its cell during the callback.
	Kind []string
	// KeepKind, when set, says from the Kind cell whether a row is delivered;
	// Decoder.KindDropped counts the rows it turns away.
	KeepKind func(kind []byte) bool
	// Extra lists more columns, each with its names, whose cells
	// Decoder.Extra returns during the callback, in this order.
	Extra [][]string
}

// CSVSchema is a validated, immutable CSVColumns. Build one with
// NewCSVSchema; EASchema and ARMSchema are ready-made.
type CSVSchema struct {
	cols CSVColumns
}

// NewCSVSchema checks cols and returns the schema, which holds its own copy
// of every list.
func NewCSVSchema(cols CSVColumns) (*CSVSchema, error) {
	if len(cols.Cost) == 0 || len(cols.Date) == 0 {
		return nil, errors.New("usage CSV schema: the cost and date columns are required")
	}
	c := cols
	for d := range c.Dimensions {
		c.Dimensions[d] = slices.Clone(c.Dimensions[d])
	}
	c.Cost, c.Date = slices.Clone(c.Cost), slices.Clone(c.Date)
	c.Quantity, c.BilledSeparately = slices.Clone(c.Quantity), slices.Clone(c.BilledSeparately)
	c.Tags, c.Kind = slices.Clone(c.Tags), slices.Clone(c.Kind)
	c.Extra = make([][]string, len(cols.Extra))
	for n, names := range cols.Extra {
		c.Extra[n] = slices.Clone(names)
	}
	return &CSVSchema{cols: c}, nil
}

// mustSchema builds the package's own schemas, whose columns are constants.
func mustSchema(cols CSVColumns) *CSVSchema {
	s, err := NewCSVSchema(cols)
	if err != nil {
		panic(err)
	}
	return s
}

// EASchema is the EA Reporting API's usage CSV (the download and the
// asynchronous report, reference 3.4), with the old portal export's
// spaced names as aliases.
var EASchema = mustSchema(EAColumns())

// ARMSchema is the EA cost details file of the Cost Management APIs
// (reference 6.5.4). Its Kind is PublisherType ("Marketplace" on
// third-party rows), and its Extra columns are, at the ARMExtra* indexes,
// the billing currency and the marketplace publisher, offer and plan.
var ARMSchema = mustSchema(ARMColumns())

// Indexes of ARMSchema's Extra columns in Decoder.Extra.
const (
	ARMExtraCurrency = iota
	ARMExtraPublisher
	ARMExtraOffer
	ARMExtraPlan
)

// EAColumns returns EASchema's columns, to build a variant from.
func EAColumns() CSVColumns {
	var c CSVColumns
	c.Dimensions = [apiclient.NumDimensions][]string{
		apiclient.DimDepartment:       {"DepartmentName", "Department Name"},
		apiclient.DimAccount:          {"AccountName", "Account Name"},
		apiclient.DimCostCenter:       {"CostCenter", "Cost Center"},
		apiclient.DimSubscriptionID:   {"SubscriptionGuid"},
		apiclient.DimSubscription:     {"SubscriptionName", "Subscription Name"},
		apiclient.DimResourceGroup:    {"ResourceGroup"},
		apiclient.DimMeterID:          {"MeterId", "Meter ID"},
		apiclient.DimMeterCategory:    {"MeterCategory", "Meter Category"},
		apiclient.DimMeterSubcategory: {"MeterSubCategory", "Meter Sub-Category"},
		apiclient.DimMeterName:        {"MeterName", "Meter Name"},
		apiclient.DimMeterRegion:      {"MeterRegion", "Meter Region"},
		apiclient.DimLocation:         {"ResourceLocation", "Resource Location"},
		apiclient.DimUnitOfMeasure:    {"UnitOfMeasure", "Unit of Measure"},
	}
	c.Cost = []string{"Cost", "ExtendedCost"}
	c.Date = []string{"Date"}
	c.Quantity = []string{"ConsumedQuantity", "Consumed Quantity"}
	c.BilledSeparately = []string{"ChargesBilledSeparately"}
	c.Tags = []string{"Tags"}
	return c
}

// ARMColumns returns ARMSchema's columns, to build a variant from (with a
// KeepKind, say).
func ARMColumns() CSVColumns {
	var c CSVColumns
	c.Dimensions = [apiclient.NumDimensions][]string{
		apiclient.DimDepartment:       {"InvoiceSectionName"},
		apiclient.DimAccount:          {"AccountName"},
		apiclient.DimCostCenter:       {"CostCenter"},
		apiclient.DimSubscriptionID:   {"SubscriptionId", "SubscriptionGuid"},
		apiclient.DimSubscription:     {"SubscriptionName"},
		apiclient.DimResourceGroup:    {"ResourceGroup"},
		apiclient.DimMeterID:          {"MeterId"},
		apiclient.DimMeterCategory:    {"MeterCategory"},
		apiclient.DimMeterSubcategory: {"MeterSubCategory"},
		apiclient.DimMeterName:        {"MeterName"},
		apiclient.DimMeterRegion:      {"MeterRegion"},
		apiclient.DimLocation:         {"ResourceLocation", "ResourceLocationNormalized"},
		apiclient.DimUnitOfMeasure:    {"UnitOfMeasure"},
	}
	c.Cost = []string{"CostInBillingCurrency", "Cost"}
	c.Date = []string{"Date"}
	c.Quantity = []string{"Quantity"}
	c.BilledSeparately = []string{"IsAzureCreditEligible"}
	c.BilledSeparatelyInverted = true
	c.Tags = []string{"Tags"}
	c.Kind = []string{"PublisherType"}
	c.Extra = [][]string{
		ARMExtraCurrency:  {"BillingCurrencyCode", "BillingCurrency", "Currency"},
		ARMExtraPublisher: {"PublisherName"},
		ARMExtraOffer:     {"OfferId"},
		ARMExtraPlan:      {"PlanName"},
	}
	return c
}
