// Package config reads and validates the exporter's configuration: one or more
// enrollments, each with its data source, credentials, usage dimensions,
// enabled datasets and budgets. A Config only exists after validation, so the
// rest of the exporter never sees a half-checked value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/boundedfile"
)

// Source names.
const (
	SourceEA  = "ea"
	SourceARM = "arm"
)

// Default endpoints.
const (
	DefaultEABaseURL        = "https://consumption.azure.com"
	DefaultARMManagementURL = "https://management.azure.com"
)

// DefaultDimensions are the usage labels used when none are configured.
var DefaultDimensions = []string{
	"department", "subscription_id", "subscription",
	"meter_category", "meter_subcategory", "meter_name",
}

// Dataset names, as they appear in the dataset label.
const (
	DatasetBillingPeriods     = "billing_periods"
	DatasetBalanceSummary     = "balance_summary"
	DatasetUsageDetails       = "usage_details"
	DatasetMarketplaceCharges = "marketplace_charges"
	DatasetPriceSheet         = "price_sheet"
	// DatasetBudgets is the budgets defined in Azure itself, which only the
	// arm source can read.
	DatasetBudgets = "budgets"
)

// AllDatasets lists the datasets in refresh order.
var AllDatasets = []string{
	DatasetBillingPeriods, DatasetBalanceSummary, DatasetUsageDetails,
	DatasetMarketplaceCharges, DatasetPriceSheet, DatasetBudgets,
}

// Budget scope types.
const (
	ScopeEnrollment    = "enrollment"
	ScopeDepartment    = "department"
	ScopeSubscription  = "subscription"
	ScopeMeterCategory = "meter_category"
)

var scopeTypes = []string{ScopeEnrollment, ScopeDepartment, ScopeSubscription, ScopeMeterCategory}

// Config is a validated configuration.
type Config struct {
	Enrollments []Enrollment `yaml:"enrollments"`
}

// Enrollment is one enrollment to export.
type Enrollment struct {
	// Enrollment is the EA enrollment number, the value of the enrollment
	// label (and, for the arm source, the billing account id).
	Enrollment string `yaml:"enrollment"`
	// Source is "ea" (default) or "arm".
	Source string `yaml:"source"`
	// APIKeyFile holds the EA API key; "" reads AZURE_EA_API_KEY instead.
	APIKeyFile string `yaml:"api_key_file"`
	// BaseURL is the EA Reporting API's base URL.
	BaseURL string `yaml:"base_url"`
	// Currency labels money series when neither the balance summary nor the
	// price sheet says which currency the enrollment bills in.
	Currency string `yaml:"currency"`
	// Dimensions are the usage cost labels; empty means DefaultDimensions.
	Dimensions []string `yaml:"dimensions"`
	// TagLabels are tag keys exported as tag_<key> usage labels.
	TagLabels []string `yaml:"tag_labels"`
	// Datasets turns datasets on and off.
	Datasets Datasets `yaml:"datasets"`
	// UsageMethod is how usage details are downloaded: auto, json, csv or
	// async.
	UsageMethod string `yaml:"usage_method"`
	// SettleDays is how many days back usage data can still change: each
	// refresh re-reads only those days (default 3; Azure's usage data
	// arrives with up to 72 hours of latency).
	SettleDays *int `yaml:"settle_days"`
	// FullRefresh is how often the older, settled days of a period are read
	// again (conditionally, with their ETag) to catch late corrections
	// (default 24h; 0 reads them at every refresh).
	FullRefresh *model.Duration `yaml:"full_refresh"`
	// CSVThresholdRows: with usage_method auto, a read expected to return at
	// least this many rows uses the CSV download instead of JSON pages
	// (default 200000).
	CSVThresholdRows *int `yaml:"csv_threshold_rows"`
	// Budgets are amounts per billing period to compare spend with.
	Budgets []Budget `yaml:"budgets"`
	// ARM configures the arm source.
	ARM ARM `yaml:"arm"`
}

// Datasets switches datasets on and off; nil means the default: every
// dataset but the price sheet, which is opt-in, and Azure's own budgets, which
// are on for the arm source (the EA API has none).
type Datasets struct {
	BillingPeriods     *bool `yaml:"billing_periods"`
	BalanceSummary     *bool `yaml:"balance_summary"`
	UsageDetails       *bool `yaml:"usage_details"`
	MarketplaceCharges *bool `yaml:"marketplace_charges"`
	PriceSheet         *bool `yaml:"price_sheet"`
	Budgets            *bool `yaml:"budgets"`
}

// Budget is a spending limit per billing period on one scope.
type Budget struct {
	Name   string  `yaml:"name"`
	Amount float64 `yaml:"amount"`
	// ScopeType is enrollment, department, subscription or meter_category.
	ScopeType string `yaml:"scope_type"`
	// Scope is the department name, subscription name or id, or meter
	// category; empty for the enrollment scope.
	Scope string `yaml:"scope"`
}

// ARM configures the Resource Manager source.
type ARM struct {
	// BillingAccount is the EA billing account id; default: the enrollment.
	BillingAccount string `yaml:"billing_account"`
	// ManagementURL is the Resource Manager endpoint.
	ManagementURL string `yaml:"management_url"`
	// TenantID, ClientID and one of ClientSecretFile and
	// ClientCertificateFile select a service principal explicitly; when they
	// are empty, azidentity's default credential chain is used.
	TenantID              string `yaml:"tenant_id"`
	ClientID              string `yaml:"client_id"`
	ClientSecretFile      string `yaml:"client_secret_file"`
	ClientCertificateFile string `yaml:"client_certificate_file"`
	// AuthorityHost is the Entra ID authority, for sovereign and private
	// clouds.
	AuthorityHost string `yaml:"authority_host"`
	// Cloud is public, usgovernment or china: it sets the default
	// management endpoint, token audience and authority host. Empty means
	// the public cloud's endpoint and audience, and the authority of
	// AZURE_AUTHORITY_HOST when it is set (else the public cloud's), as
	// azidentity does; public names that cloud's authority outright.
	Cloud string `yaml:"cloud"`
	// Audience overrides the token audience, for private clouds.
	Audience string `yaml:"audience"`
}

// Enabled reports whether dataset (a Dataset* name) is switched on.
func (e *Enrollment) Enabled(dataset string) bool {
	var p *bool
	def := true
	switch dataset {
	case DatasetBillingPeriods:
		p = e.Datasets.BillingPeriods
	case DatasetBalanceSummary:
		p = e.Datasets.BalanceSummary
	case DatasetUsageDetails:
		p = e.Datasets.UsageDetails
	case DatasetMarketplaceCharges:
		p = e.Datasets.MarketplaceCharges
	case DatasetPriceSheet:
		p, def = e.Datasets.PriceSheet, false
	case DatasetBudgets:
		p, def = e.Datasets.Budgets, e.Source == SourceARM
	default:
		return false
	}
	if p == nil {
		return def
	}
	return *p
}

// TagLabelName returns the label name of a tag key: tag_ followed by the key
// in lower case with every character outside [a-z0-9_] replaced by "_".
func TagLabelName(key string) string {
	var b strings.Builder
	b.WriteString("tag_")
	for _, r := range strings.ToLower(key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// UsageDimensions returns the enrollment's dimensions as apiclient values.
func (e *Enrollment) UsageDimensions() []apiclient.Dimension {
	out := make([]apiclient.Dimension, 0, len(e.Dimensions))
	for _, name := range e.Dimensions {
		d, _ := apiclient.ParseDimension(name)
		out = append(out, d)
	}
	return out
}

// Method returns the enrollment's usage download method.
func (e *Enrollment) Method() apiclient.UsageMethod {
	switch e.UsageMethod {
	case "json":
		return apiclient.UsageJSON
	case "csv":
		return apiclient.UsageCSV
	case "async":
		return apiclient.UsageAsync
	}
	return apiclient.UsageAuto
}

// maxConfigBytes bounds the config file read: a real one is a few KiB,
// and --config.file=/dev/zero or a runaway generated file must fail, not
// fill memory.
const maxConfigBytes = 4 << 20

// Load reads, decodes and validates the file at path, which must be a
// regular file (or a link to one) of at most 4 MiB.
func Load(path string) (*Config, error) {
	b, err := boundedfile.Read(path, maxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("reading config file %s: %w", path, err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a YAML configuration. Unknown fields are
// errors, so that a misspelt option never goes unnoticed.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty configuration: it must list at least one enrollment")
		}
		return nil, fmt.Errorf("decoding YAML: %w", err)
	}
	if err := noSecondDocument(dec); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// noSecondDocument refuses a YAML document with content after the first:
// it would be ignored, so that a file cut and pasted together, or ending in
// garbage, would pass --config.check. Empty documents (a closing "---", or
// one followed only by comments) are read over to the end of the file.
func noSecondDocument(dec *yaml.Decoder) error {
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("the config file must hold one YAML document; after the first: %w", err)
		case !emptyDocument(&next):
			return fmt.Errorf("the config file must hold one YAML document; a second one starts at line %d", next.Line)
		}
	}
}

// emptyDocument reports a document without content, which yaml.v3 reads
// as a document holding an implicit null (an explicit "null" or "~" is
// content).
func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return len(doc.Content) == 1 && n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == ""
}

// New validates a configuration built in code (from flags) and fills in its
// defaults.
func New(enrollments ...Enrollment) (*Config, error) {
	c := Config{Enrollments: enrollments}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

var (
	enrollmentRE = regexp.MustCompile(`^[0-9]{1,12}$`)
	currencyRE   = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (c *Config) validate() error {
	if len(c.Enrollments) == 0 {
		return errors.New("enrollments: at least one enrollment is required")
	}
	seen := map[string]int{}
	for i := range c.Enrollments {
		e := &c.Enrollments[i]
		if err := e.validate(); err != nil {
			return fmt.Errorf("enrollments[%d]: %w", i, err)
		}
		if j, dup := seen[e.Enrollment]; dup {
			return fmt.Errorf("enrollments[%d]: enrollment %q is already configured in enrollments[%d]", i, e.Enrollment, j)
		}
		seen[e.Enrollment] = i
	}
	return nil
}

func (e *Enrollment) validate() error {
	if !enrollmentRE.MatchString(e.Enrollment) {
		return fmt.Errorf("enrollment: %q is not an enrollment number (1 to 12 digits)", e.Enrollment)
	}
	switch e.Source {
	case "":
		e.Source = SourceEA
	case SourceEA, SourceARM:
	default:
		return fmt.Errorf("source: %q is not a source (valid: ea, arm)", e.Source)
	}
	if err := e.validateEndpoints(); err != nil {
		return err
	}
	e.Currency = strings.TrimSpace(e.Currency)
	if e.Currency != "" && !currencyRE.MatchString(e.Currency) {
		return fmt.Errorf("currency: %q is not an ISO 4217 code such as USD", e.Currency)
	}
	if err := e.validateDimensions(); err != nil {
		return err
	}
	switch e.UsageMethod {
	case "":
		e.UsageMethod = "auto"
	case "auto", "json", "csv", "async":
	default:
		return fmt.Errorf("usage_method: %q is not a method (valid: auto, json, csv, async)", e.UsageMethod)
	}
	if err := e.validateUsageTuning(); err != nil {
		return err
	}
	return e.validateBudgets()
}

// Defaults of the usage refresh tuning.
const (
	DefaultSettleDays       = 3
	DefaultFullRefresh      = 24 * time.Hour
	DefaultCSVThresholdRows = 200000
)

func (e *Enrollment) validateUsageTuning() error {
	if e.SettleDays == nil {
		v := DefaultSettleDays
		e.SettleDays = &v
	}
	if *e.SettleDays < 0 || *e.SettleDays > 31 {
		return fmt.Errorf("settle_days: %d is out of range (0 to 31)", *e.SettleDays)
	}
	if e.FullRefresh == nil {
		v := model.Duration(DefaultFullRefresh)
		e.FullRefresh = &v
	}
	if *e.FullRefresh < 0 {
		return fmt.Errorf("full_refresh: %s must not be negative", *e.FullRefresh)
	}
	if e.CSVThresholdRows == nil {
		v := DefaultCSVThresholdRows
		e.CSVThresholdRows = &v
	}
	if *e.CSVThresholdRows < 0 {
		return fmt.Errorf("csv_threshold_rows: %d must not be negative", *e.CSVThresholdRows)
	}
	return nil
}

func (e *Enrollment) validateEndpoints() error {
	var err error
	switch e.Source {
	case SourceEA:
		if e.BaseURL == "" {
			e.BaseURL = DefaultEABaseURL
		}
		if err = checkURL(e.BaseURL); err != nil {
			return fmt.Errorf("base_url: %w", err)
		}
		if err = checkKeyTransport(e.BaseURL); err != nil {
			return fmt.Errorf("base_url: %w", err)
		}
		if e.ARM != (ARM{}) {
			return errors.New("arm: set only for source arm")
		}
		if e.Datasets.Budgets != nil && *e.Datasets.Budgets {
			return errors.New("datasets.budgets: Azure budgets can only be read with source arm; configure budgets in budgets: instead")
		}
	case SourceARM:
		if e.APIKeyFile != "" {
			return errors.New("api_key_file: the arm source uses Entra ID credentials, not an EA API key")
		}
		if e.BaseURL != "" {
			return errors.New("base_url: the EA Reporting API's URL, which the arm source does not call; set arm.management_url instead")
		}
		if e.ARM.BillingAccount == "" {
			e.ARM.BillingAccount = e.Enrollment
		}
		switch e.ARM.Cloud {
		case "", "public", "usgovernment", "china":
		default:
			return fmt.Errorf("arm.cloud: %q is not a cloud (valid: public, usgovernment, china; a private cloud sets management_url, authority_host and audience)", e.ARM.Cloud)
		}
		if e.ARM.ManagementURL == "" && (e.ARM.Cloud == "" || e.ARM.Cloud == "public") {
			e.ARM.ManagementURL = DefaultARMManagementURL
		}
		if e.ARM.ManagementURL != "" {
			if err = checkURL(e.ARM.ManagementURL); err != nil {
				return fmt.Errorf("arm.management_url: %w", err)
			}
			if !strings.HasPrefix(e.ARM.ManagementURL, "https://") {
				return fmt.Errorf("arm.management_url: %q must be https: Entra ID tokens are never sent in the clear", e.ARM.ManagementURL)
			}
		}
		if e.ARM.AuthorityHost != "" {
			if err = checkURL(e.ARM.AuthorityHost); err != nil {
				return fmt.Errorf("arm.authority_host: %w", err)
			}
		}
		if e.ARM.ClientSecretFile != "" && e.ARM.ClientCertificateFile != "" {
			return errors.New("arm: set client_secret_file or client_certificate_file, not both")
		}
		explicit := e.ARM.ClientSecretFile != "" || e.ARM.ClientCertificateFile != ""
		if explicit && (e.ARM.TenantID == "" || e.ARM.ClientID == "") {
			return errors.New("arm: tenant_id and client_id are required with client_secret_file or client_certificate_file")
		}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q must be an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not carry a query, fragment or user info", s)
	}
	return nil
}

// checkKeyTransport refuses a plain http URL to a host other than this
// machine's: the EA API key would cross the network in the clear. Loopback
// stays allowed for local mirrors, tests and the demo.
func checkKeyTransport(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%q must be https: the API key would be sent in the clear (http is allowed only to localhost, 127.0.0.0/8 and ::1)", s)
}

// isLoopback reports a host name or address of this machine's loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (e *Enrollment) validateDimensions() error {
	if len(e.Dimensions) == 0 {
		e.Dimensions = slices.Clone(DefaultDimensions)
	}
	seen := map[string]bool{}
	for i, name := range e.Dimensions {
		if _, ok := apiclient.ParseDimension(name); !ok {
			return fmt.Errorf("dimensions[%d]: unknown dimension %q (valid: %s; tags go in tag_labels)", i, name, validDimensions())
		}
		if seen[name] {
			return fmt.Errorf("dimensions[%d]: %q is listed twice", i, name)
		}
		seen[name] = true
	}
	labels := map[string]string{}
	for i, key := range e.TagLabels {
		if strings.TrimSpace(key) == "" || len(key) > 128 {
			return fmt.Errorf("tag_labels[%d]: %q is not a tag key", i, key)
		}
		l := TagLabelName(key)
		if prev, dup := labels[l]; dup {
			return fmt.Errorf("tag_labels[%d]: %q and %q both become label %s", i, prev, key, l)
		}
		labels[l] = key
	}
	return nil
}

func validDimensions() string {
	names := make([]string, 0, apiclient.NumDimensions)
	for d := apiclient.Dimension(0); d < apiclient.NumDimensions; d++ {
		names = append(names, d.String())
	}
	return strings.Join(names, ", ")
}

func (e *Enrollment) validateBudgets() error {
	seen := map[string]int{}
	for i := range e.Budgets {
		b := &e.Budgets[i]
		if b.Name == "" {
			return fmt.Errorf("budgets[%d]: name is required", i)
		}
		if j, dup := seen[b.Name]; dup {
			return fmt.Errorf("budgets[%d]: name %q is already used by budgets[%d]", i, b.Name, j)
		}
		seen[b.Name] = i
		if b.Amount < 0 || b.Amount != b.Amount {
			return fmt.Errorf("budgets[%d] (%s): amount %v must not be negative", i, b.Name, b.Amount)
		}
		if b.ScopeType == "" {
			b.ScopeType = ScopeEnrollment
		}
		if !slices.Contains(scopeTypes, b.ScopeType) {
			return fmt.Errorf("budgets[%d] (%s): scope_type %q is not a scope type (valid: %s)", i, b.Name, b.ScopeType, strings.Join(scopeTypes, ", "))
		}
		if b.ScopeType == ScopeEnrollment && b.Scope != "" {
			return fmt.Errorf("budgets[%d] (%s): scope must be empty for scope_type enrollment", i, b.Name)
		}
		if b.ScopeType != ScopeEnrollment && b.Scope == "" {
			return fmt.Errorf("budgets[%d] (%s): scope is required for scope_type %s", i, b.Name, b.ScopeType)
		}
	}
	return nil
}
