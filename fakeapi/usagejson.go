package fakeapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// usageRange resolves the days a usage or marketplace request selects,
// clipped to the available data (empty when to < from). It answers 400
// itself for invalid parameters.
func (c *call) usageRange(maxMonths int) (from, to int64, ok bool) {
	if c.req.scope == scopeCustom {
		from, to, ok = c.dateRange(maxMonths)
	} else {
		var m time.Time
		m, ok = c.periodParam()
		from, to = monthRange(m)
	}
	if !ok {
		return 0, 0, false
	}
	from, to = c.win.clip(from, to)
	return from, to, true
}

// serveUsageJSON answers the three paged usage routes.
func (c *call) serveUsageJSON() {
	from, to, ok := c.usageRange(36)
	if !ok {
		return
	}
	perDay := int64(c.s.opts.RowsPerDay)
	total := max(0, (to-from+1)*perDay)
	offset, ok := c.skipToken(from)
	if !ok {
		c.badRequest("Invalid skiptoken.")
		return
	}
	if total == 0 && c.q.UsageDataExtractWhenEmpty {
		writeBody(c.w, http.StatusOK, "text/csv", []byte(usageDataExtract))
		return
	}
	if c.notModified(c.etag()) {
		return
	}
	end := min(total, offset+int64(c.s.opts.PageSize))
	offset = min(offset, end)
	bw := c.body(http.StatusOK, jsonType)
	defer c.done(bw)
	w := jsonWriter{b: bw.buf, q: &c.q}
	w.open('{')
	idKey := "id"
	if c.req.version == 1 {
		idKey = "reportId"
	}
	w.key(idKey)
	seq := c.s.callSeq.Add(1)
	w.b = append(w.b, '"')
	w.b = appendGUID(w.b, hash2(c.s.opts.Seed, domPage, seq, 1), hash2(c.s.opts.Seed, domPage, seq, 2))
	w.b = append(w.b, '"')
	w.comma = true
	w.key("data")
	w.open('[')
	if !c.writeUsageRows(bw, &w, from, offset, end) {
		return
	}
	w.close(']')
	c.writeNextLink(&w, from, offset, end, total)
	w.close('}')
	bw.buf = w.b
}

// writeUsageRows writes rows [offset, end) of the range starting at day
// from, flushing as the buffer fills. It reports false when the body was
// cut short.
func (c *call) writeUsageRows(bw *bodyWriter, w *jsonWriter, from, offset, end int64) bool {
	perDay := int64(c.s.opts.RowsPerDay)
	v3 := c.req.version >= 3
	var row usageRow
	var di dayInfo
	di.day = -1 << 62
	for o := offset; o < end; o++ {
		day := from + o/perDay
		if day != di.day {
			di = newDayInfo(day)
		}
		c.s.ent.fillUsageRow(&row, &di, int(o%perDay))
		c.appendUsageJSON(w, &row, v3)
		if len(w.b) >= flushThreshold {
			bw.buf = w.b
			err := bw.flushIfFull()
			w.b = bw.buf
			if err != nil {
				c.s.rowsServed.Add(o + 1 - offset)
				return false
			}
		}
	}
	c.s.rowsServed.Add(end - offset)
	return true
}

// writeNextLink writes the page's nextLink: the next page on this host,
// null at the end, or what a fault or quirk asks for.
func (c *call) writeNextLink(w *jsonWriter, from, offset, end, total int64) {
	next := end
	last := end >= total
	if last && c.q.TrailingEmptyPage && total > 0 && offset < total {
		last = false
	}
	switch {
	case c.fault == FaultEmptyNextLink:
		w.str("nextLink", "")
	case c.fault == FaultRepeatNextLink:
		w.str("nextLink", c.baseURL()+c.r.URL.RequestURI())
	case c.fault == FaultForeignNextLink:
		c.s.mu.Lock()
		foreign := c.s.foreignBase
		c.s.mu.Unlock()
		w.str("nextLink", foreign+c.r.URL.Path+"?"+c.queryWithToken(from, next))
	case last && c.q.EmptyNextLink:
		w.str("nextLink", "")
	case last:
		w.null("nextLink")
	default:
		w.str("nextLink", c.baseURL()+c.r.URL.Path+"?"+c.queryWithToken(from, next))
	}
}

// queryWithToken is the request's query with skiptoken replaced by the
// token of offset.
func (c *call) queryWithToken(from, offset int64) string {
	var parts []string
	for _, p := range strings.Split(c.r.URL.RawQuery, "&") {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); p == "" || (err == nil && strings.EqualFold(n, "skiptoken")) {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, "skiptoken="+c.makeSkipToken(from, offset))
	return strings.Join(parts, "&")
}

// makeSkipToken encodes an offset opaquely, bound to the range start and
// the seed so that a token from elsewhere is refused.
func (c *call) makeSkipToken(from, offset int64) string {
	check := hash2(c.s.opts.Seed, domPage, uint64(from), uint64(offset)) & 0xffffffff
	raw := strconv.FormatInt(offset, 10) + ":" + strconv.FormatUint(check, 36)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// skipToken reads the request's skiptoken; no token is offset 0.
func (c *call) skipToken(from int64) (int64, bool) {
	tok, present := c.req.query["skiptoken"]
	if !present {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	off, _, _ := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(off, 10, 64)
	if err != nil || n < 0 || c.makeSkipToken(from, n) != tok {
		return 0, false
	}
	return n, true
}

// tagsText is a row's tags string as served under the quirks.
func tagsText(r *usageRow, q *Quirks) string {
	t := r.tags
	switch {
	case t == "":
		return ""
	case q.MalformedTags && r.malformedTags:
		// Cut in the middle, but on a character boundary: the real API
		// sends broken JSON, not broken UTF-8.
		n := len(t) / 2
		for n > 0 && !utf8.RuneStart(t[n]) {
			n--
		}
		return t[:n]
	case q.TagsWithoutBraces:
		return t[1 : len(t)-1]
	}
	return t
}

// appendInstanceID writes the row's ARM resource id, unquoted.
func appendInstanceID(b []byte, r *usageRow) []byte {
	b = append(b, "/subscriptions/"...)
	b = append(b, r.sub.guid...)
	b = append(b, "/resourceGroups/"...)
	b = append(b, r.rg...)
	b = append(b, "/providers/"...)
	b = append(b, r.meter.tmpl.provider...)
	b = append(b, '/')
	b = append(b, r.meter.tmpl.resourcePrefix...)
	b = append(b, '-')
	return strconv.AppendInt(b, int64(r.i), 10)
}

// consumedService is the row's consumedService ("" on some rows).
func (r *usageRow) consumedService() string {
	if r.emptyService {
		return ""
	}
	return r.meter.tmpl.service
}

// resourceGUID is the row's resourceGuid ("" on some rows).
func (r *usageRow) resourceGUID() string {
	if r.emptyResGUID {
		return ""
	}
	return r.meter.guid
}

// appendUsageJSON writes one usage row object: the 33 fields of v1/v2 and,
// for v3, the 7 later ones (reference 3.3).
func (c *call) appendUsageJSON(w *jsonWriter, r *usageRow, v3 bool) {
	m, t, sub := r.meter, r.meter.tmpl, r.sub
	a := sub.acct
	q := w.q
	w.open('{')
	w.int("accountId", int64(a.id))
	w.int("productId", int64(m.productID))
	w.int("resourceLocationId", int64(r.loc.id))
	w.int("consumedServiceId", int64(t.serviceID))
	w.int("departmentId", int64(a.dept.id))
	w.str("accountOwnerEmail", a.ownerEmail)
	w.str("accountName", a.name)
	w.str("serviceAdministratorId", sub.admin)
	w.int("subscriptionId", sub.id)
	w.str("subscriptionGuid", sub.guid)
	w.strASCII("subscriptionName", sub.name)
	w.dateTime("date", r.day, "00:00:00", q.DatesWithZone)
	w.str("product", m.product)
	w.str("meterId", m.guid)
	w.str("meterCategory", t.category)
	w.strOrNull("meterSubCategory", t.subCategory)
	w.strOrNull("meterRegion", m.meterRgn)
	w.str("meterName", t.name)
	w.float("consumedQuantity", r.qty)
	w.float("resourceRate", t.rate)
	if q.CapitalCost {
		w.float("Cost", r.cost)
	} else {
		w.float("cost", r.cost)
	}
	w.str("resourceLocation", r.loc.resourceLocation)
	w.strOrNull("consumedService", r.consumedService())
	w.key("instanceId")
	w.b = append(w.b, '"')
	w.b = appendInstanceID(w.b, r)
	w.b = append(w.b, '"')
	w.comma = true
	w.strOrNull("serviceInfo1", "")
	w.strOrNull("serviceInfo2", "")
	w.strOrNull("additionalInfo", t.additionalInfo)
	w.strOrNull("tags", tagsText(r, q))
	w.strOrNull("storeServiceIdentifier", "")
	w.str("departmentName", a.dept.name)
	w.str("costCenter", a.costCenter)
	w.str("unitOfMeasure", t.unit)
	w.str("resourceGroup", r.rg)
	if v3 {
		w.str("serviceName", t.serviceName)
		w.str("serviceTier", t.serviceTier)
		w.str("location", r.loc.location)
		if q.ChargesBilledSeparatelyAsString {
			w.str("chargesBilledSeparately", dotnetBool(r.billedSeparately))
		} else {
			w.bool("chargesBilledSeparately", r.billedSeparately)
		}
		w.str("partNumber", m.partNumber)
		w.strOrNull("resourceGuid", r.resourceGUID())
		w.str("offerId", sub.offerID)
	}
	w.close('}')
}

// dotnetBool is a bool the way .NET writes it: "True" or "False".
func dotnetBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}
