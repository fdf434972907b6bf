// Package naive is the baseline that the exporter's performance figures are
// measured against: a usage client written the obvious way, which pages
// through the EA usage JSON with encoding/json, decodes every row into a
// struct of all its fields, and sums the cost by the exporter's default
// labels. It tolerates the API's quirks the way such a client must (numbers
// as strings, nulls, "True" for true), and nothing more. It streams (each
// page is dropped once summed) or, with Sums.KeepRows, keeps every row.
//
// Only the benchmarks and the load test use it.
package naive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Str is a string field that may arrive as a string, a number, a bool or
// null.
type Str string

// UnmarshalJSON implements json.Unmarshaler.
func (s *Str) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
	default:
		*s = Str(b)
	}
	return nil
}

// Num is a number that may arrive as a JSON number, a string or null.
type Num float64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	var s Str
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	text := strings.TrimSpace(string(s))
	if text == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseFloat(text, 64)
	*n = Num(v)
	return err
}

// Bool is a bool that may arrive as true/false or as "True"/"False".
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	var s Str
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*v = Bool(strings.EqualFold(strings.TrimSpace(string(s)), "true"))
	return nil
}

// Row is a v3 usage-details row with all 40 of its fields.
type Row struct {
	AccountID               Num  `json:"accountId"`
	ProductID               Num  `json:"productId"`
	ResourceLocationID      Num  `json:"resourceLocationId"`
	ConsumedServiceID       Num  `json:"consumedServiceId"`
	DepartmentID            Num  `json:"departmentId"`
	AccountOwnerEmail       Str  `json:"accountOwnerEmail"`
	AccountName             Str  `json:"accountName"`
	ServiceAdministratorID  Str  `json:"serviceAdministratorId"`
	SubscriptionID          Num  `json:"subscriptionId"`
	SubscriptionGUID        Str  `json:"subscriptionGuid"`
	SubscriptionName        Str  `json:"subscriptionName"`
	Date                    Str  `json:"date"`
	Product                 Str  `json:"product"`
	MeterID                 Str  `json:"meterId"`
	MeterCategory           Str  `json:"meterCategory"`
	MeterSubCategory        Str  `json:"meterSubCategory"`
	MeterRegion             Str  `json:"meterRegion"`
	MeterName               Str  `json:"meterName"`
	ConsumedQuantity        Num  `json:"consumedQuantity"`
	ResourceRate            Num  `json:"resourceRate"`
	Cost                    Num  `json:"cost"`
	ResourceLocation        Str  `json:"resourceLocation"`
	ConsumedService         Str  `json:"consumedService"`
	InstanceID              Str  `json:"instanceId"`
	ServiceInfo1            Str  `json:"serviceInfo1"`
	ServiceInfo2            Str  `json:"serviceInfo2"`
	AdditionalInfo          Str  `json:"additionalInfo"`
	Tags                    Str  `json:"tags"`
	StoreServiceIdentifier  Str  `json:"storeServiceIdentifier"`
	DepartmentName          Str  `json:"departmentName"`
	CostCenter              Str  `json:"costCenter"`
	UnitOfMeasure           Str  `json:"unitOfMeasure"`
	ResourceGroup           Str  `json:"resourceGroup"`
	ServiceName             Str  `json:"serviceName"`
	ServiceTier             Str  `json:"serviceTier"`
	Location                Str  `json:"location"`
	ChargesBilledSeparately Bool `json:"chargesBilledSeparately"`
	PartNumber              Str  `json:"partNumber"`
	ResourceGUID            Str  `json:"resourceGuid"`
	OfferID                 Str  `json:"offerId"`
}

// Page is one usage-details page.
type Page struct {
	ID       Str   `json:"id"`
	Data     []Row `json:"data"`
	NextLink Str   `json:"nextLink"`
}

// DecodePage decodes a whole page.
func DecodePage(body []byte) (*Page, error) {
	var p Page
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Key is the label set the exporter sums cost by by default.
type Key struct {
	Department, SubscriptionID, Subscription, MeterCategory, MeterSubcategory, MeterName string
}

// Sums is what a naive refresh adds up.
type Sums struct {
	Rows  int
	Cost  float64
	ByKey map[Key]float64
	// KeepRows keeps every decoded row in Kept, as clients do that collect
	// a listing before they process it (the ones that run out of memory on
	// a large enrollment).
	KeepRows bool
	Kept     []Row
}

// Add sums the rows of p.
func (s *Sums) Add(p *Page) {
	if s.ByKey == nil {
		s.ByKey = map[Key]float64{}
	}
	if s.KeepRows {
		s.Kept = append(s.Kept, p.Data...)
	}
	for i := range p.Data {
		r := &p.Data[i]
		s.Rows++
		s.Cost += float64(r.Cost)
		s.ByKey[Key{string(r.DepartmentName), string(r.SubscriptionGUID), string(r.SubscriptionName),
			string(r.MeterCategory), string(r.MeterSubCategory), string(r.MeterName)}] += float64(r.Cost)
	}
}

// Client pages through the usage of billing periods.
type Client struct {
	HTTP       *http.Client
	BaseURL    string
	Enrollment string
	Key        string
	// MaxPages bounds one listing (default 100000).
	MaxPages int
}

// Period reads the usage of one billing period (yyyyMM) into s, decoding
// each page straight from the response body.
func (c *Client) Period(ctx context.Context, period string, s *Sums) error {
	next := c.BaseURL + "/v3/enrollments/" + c.Enrollment + "/billingPeriods/" + period + "/usagedetails"
	maxPages := c.MaxPages
	if maxPages <= 0 {
		maxPages = 100000
	}
	for n := 0; next != ""; n++ {
		if n == maxPages {
			return fmt.Errorf("usage of %s: more than %d pages", period, maxPages)
		}
		p, err := c.page(ctx, next)
		if err != nil {
			return fmt.Errorf("usage of %s, page %d: %w", period, n+1, err)
		}
		s.Add(p)
		next = string(p.NextLink)
	}
	return nil
}

func (c *Client) page(ctx context.Context, url string) (*Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "bearer "+c.Key)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var p Page
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}
