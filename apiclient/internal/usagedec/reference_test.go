package usagedec

// An independent decoder of usage pages built on encoding/json, with the
// semantics the brief specifies, to check Page against: same rows, same
// next link, same skipped count, an error exactly when Page errs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// flexString takes any JSON value: a string's text, a number's or a
// boolean's literal text, "" for null, objects and arrays.
type flexString struct {
	s        string
	isString bool
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	*f = flexString{}
	switch b[0] {
	case '"':
		f.isString = true
		return json.Unmarshal(b, &f.s)
	case 'n', '{', '[':
		return nil
	}
	f.s = string(b)
	return nil
}

// flexNum takes a number, a string holding one, or null.
type flexNum struct {
	v     float64
	state numState
}

var refDecimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func (f *flexNum) UnmarshalJSON(b []byte) error {
	*f = flexNum{}
	text := string(b)
	switch b[0] {
	case 'n':
		return nil
	case '"':
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text = strings.Trim(text, " "); text == "" {
			return nil
		}
	case '{', '[', 't', 'f':
		f.state = numBad
		return nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || !refDecimal.MatchString(text) {
		f.state = numBad
		return nil
	}
	f.v, f.state = v, numOK
	return nil
}

// flexBool is true for true and for a string saying "true" in any case.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	*f = false
	switch b[0] {
	case 't':
		*f = true
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexBool(strings.EqualFold(strings.Trim(s, " "), "true"))
	}
	return nil
}

// refRow is the full 40-field v3 row (plus v1's extendedCost) with
// flexible types, the way a client built on encoding/json would decode it.
type refRow struct {
	AccountID               flexNum         `json:"accountId"`
	ProductID               flexNum         `json:"productId"`
	ResourceLocationID      flexNum         `json:"resourceLocationId"`
	ConsumedServiceID       flexNum         `json:"consumedServiceId"`
	DepartmentID            flexNum         `json:"departmentId"`
	AccountOwnerEmail       flexString      `json:"accountOwnerEmail"`
	AccountName             flexString      `json:"accountName"`
	ServiceAdministratorID  flexString      `json:"serviceAdministratorId"`
	SubscriptionID          flexNum         `json:"subscriptionId"`
	SubscriptionGUID        flexString      `json:"subscriptionGuid"`
	SubscriptionName        flexString      `json:"subscriptionName"`
	Date                    flexString      `json:"date"`
	Product                 flexString      `json:"product"`
	MeterID                 flexString      `json:"meterId"`
	MeterCategory           flexString      `json:"meterCategory"`
	MeterSubCategory        flexString      `json:"meterSubCategory"`
	MeterRegion             flexString      `json:"meterRegion"`
	MeterName               flexString      `json:"meterName"`
	ConsumedQuantity        flexNum         `json:"consumedQuantity"`
	ResourceRate            flexNum         `json:"resourceRate"`
	Cost                    flexNum         `json:"cost"`
	ExtendedCost            flexNum         `json:"extendedCost"`
	ResourceLocation        flexString      `json:"resourceLocation"`
	ConsumedService         flexString      `json:"consumedService"`
	InstanceID              flexString      `json:"instanceId"`
	ServiceInfo1            flexString      `json:"serviceInfo1"`
	ServiceInfo2            flexString      `json:"serviceInfo2"`
	AdditionalInfo          flexString      `json:"additionalInfo"`
	Tags                    json.RawMessage `json:"tags"`
	StoreServiceIdentifier  flexString      `json:"storeServiceIdentifier"`
	DepartmentName          flexString      `json:"departmentName"`
	CostCenter              flexString      `json:"costCenter"`
	UnitOfMeasure           flexString      `json:"unitOfMeasure"`
	ResourceGroup           flexString      `json:"resourceGroup"`
	ServiceName             flexString      `json:"serviceName"`
	ServiceTier             flexString      `json:"serviceTier"`
	Location                flexString      `json:"location"`
	ChargesBilledSeparately flexBool        `json:"chargesBilledSeparately"`
	PartNumber              flexString      `json:"partNumber"`
	ResourceGUID            flexString      `json:"resourceGuid"`
	OfferID                 flexString      `json:"offerId"`
}

// refPage is the page wrapper; members are kept raw to check their types.
type refPage struct {
	Data     json.RawMessage `json:"data"`
	NextLink json.RawMessage `json:"nextLink"`
}

// fullPage is what BenchmarkEncodingJSONFull decodes into.
type fullPage struct {
	ID       string   `json:"id"`
	Data     []refRow `json:"data"`
	NextLink *string  `json:"nextLink"`
}

// wantRow is a decoded row in comparable form.
type wantRow struct {
	Date             time.Time
	Cost, Quantity   float64
	BilledSeparately bool
	Values           [apiclient.NumDimensions]string
	Tags             []string
}

func rowOf(r *apiclient.UsageRow) wantRow {
	w := wantRow{Date: r.Date, Cost: r.Cost, Quantity: r.Quantity, BilledSeparately: r.BilledSeparately}
	for d, v := range r.Values {
		w.Values[d] = string(v)
	}
	for _, t := range r.Tags {
		w.Tags = append(w.Tags, string(t))
	}
	return w
}

var errRefBad = errors.New("reference: bad page")

// refDecodePage decodes a page with encoding/json.
func refDecodePage(body []byte, tagKeys []string) (rows []wantRow, nextLink string, skipped int, err error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n\uFEFF")
	if bytes.HasPrefix(bytes.TrimPrefix(trimmed, []byte(`"`)), []byte("Usage Data Extract")) {
		return nil, "", 0, ErrNoData
	}
	var p refPage
	if err := json.Unmarshal(body, &p); err != nil || p.Data == nil {
		return nil, "", 0, errRefBad
	}
	switch string(p.NextLink[0:min(1, len(p.NextLink))]) {
	case "", "n":
	case `"`:
		if err := json.Unmarshal(p.NextLink, &nextLink); err != nil {
			return nil, "", 0, errRefBad
		}
	default:
		return nil, "", 0, errRefBad
	}
	if p.Data[0] == 'n' {
		return nil, nextLink, 0, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(p.Data, &elems); err != nil {
		return nil, "", 0, errRefBad
	}
	for _, e := range elems {
		if e[0] != '{' {
			return nil, "", 0, errRefBad
		}
		var r refRow
		if err := json.Unmarshal(e, &r); err != nil {
			return nil, "", 0, errRefBad
		}
		w, keep, whole := r.want(tagKeys)
		if keep {
			rows = append(rows, w)
		}
		if !whole {
			skipped++
		}
	}
	return rows, nextLink, skipped, nil
}

// want returns the row, whether it is kept, and whether it is whole: a row
// without a usable date or cost is dropped, one without a usable quantity
// kept with quantity 0.
func (r *refRow) want(tagKeys []string) (w wantRow, keep, whole bool) {
	w = wantRow{Quantity: r.ConsumedQuantity.v, BilledSeparately: bool(r.ChargesBilledSeparately)}
	cost := r.Cost
	if cost.state == numAbsent {
		cost = r.ExtendedCost
	}
	w.Cost = cost.v
	date, dateOK := time.Time{}, false
	if r.Date.isString {
		date, dateOK = refParseDate(r.Date.s)
	}
	w.Date = date
	w.Values = [apiclient.NumDimensions]string{r.DepartmentName.s, r.AccountName.s, r.CostCenter.s,
		r.SubscriptionGUID.s, r.SubscriptionName.s, r.ResourceGroup.s, r.MeterID.s, r.MeterCategory.s,
		r.MeterSubCategory.s, r.MeterName.s, r.MeterRegion.s, r.ResourceLocation.s, r.UnitOfMeasure.s}
	if len(tagKeys) > 0 {
		w.Tags = refTagsMember(r.Tags, tagKeys)
	}
	if r.ConsumedQuantity.state == numBad {
		w.Quantity = 0
	}
	keep = dateOK && cost.state != numBad
	return w, keep, keep && r.ConsumedQuantity.state != numBad
}

func refTagsMember(raw json.RawMessage, tagKeys []string) []string {
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			panic(err)
		}
		return refTags(s, tagKeys)
	case len(raw) > 0 && raw[0] == '{':
		return refTags(string(raw), tagKeys)
	}
	return make([]string, len(tagKeys))
}

// refTags reads the tags JSON text with encoding/json: a JSON object, or
// its members without braces; malformed text gives no tags.
func refTags(text string, tagKeys []string) []string {
	vals := make([]string, len(tagKeys))
	text = strings.Trim(text, " \t\r\n")
	if text == "" {
		return vals
	}
	if text[0] != '{' {
		text = "{" + text + "}"
	}
	if !json.Valid([]byte(text)) {
		return vals
	}
	dec := json.NewDecoder(strings.NewReader(text))
	if _, err := dec.Token(); err != nil {
		panic(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			panic(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			panic(err)
		}
		value := string(raw)
		switch raw[0] {
		case 'n':
			value = ""
		case '"':
			if err := json.Unmarshal(raw, &value); err != nil {
				panic(err)
			}
		}
		for j, k := range tagKeys {
			if strings.EqualFold(tok.(string), k) {
				vals[j] = value
			}
		}
	}
	return vals
}

var (
	refISODate = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?)?$`)
	refUSDate  = regexp.MustCompile(`^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?(?: ?([AaPp][Mm]))?)?$`)
)

// refParseDate is parseDate written with regular expressions and the time
// package.
func refParseDate(s string) (time.Time, bool) {
	s = strings.Trim(s, " ")
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	var y, m, d, h, mi, sec, offset int
	if g := refISODate.FindStringSubmatch(s); g != nil {
		y, m, d, h, mi, sec = atoi(g[1]), atoi(g[2]), atoi(g[3]), atoi(g[4]), atoi(g[5]), atoi(g[6])
		oh, om := atoi(g[9]), atoi(g[10])
		if oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = oh*3600 + om*60
		if g[8] == "-" {
			offset = -offset
		}
	} else if g := refUSDate.FindStringSubmatch(s); g != nil {
		m, d, y, h, mi, sec = atoi(g[1]), atoi(g[2]), atoi(g[3]), atoi(g[4]), atoi(g[5]), atoi(g[6])
		if g[7] != "" && (h < 1 || h > 12) {
			return time.Time{}, false
		}
	} else {
		return time.Time{}, false
	}
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false
	}
	y2, m2, d2 := t.Add(time.Duration(h*3600+mi*60+sec-offset) * time.Second).Date()
	return time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC), true
}
