package fakeapi

import (
	"net/http"
	"strings"
)

// request is a parsed API request.
type request struct {
	route      Route
	version    int // 1, 2 or 3
	enrollment string
	scope      scope
	period     string // the {p} path segment, as sent
	id         string // report or blob id
	query      map[string]string
}

// scope says which data a usage, marketplace, balance or price-sheet request
// selects.
type scope uint8

const (
	scopeCurrent scope = iota // the current period
	scopePeriod               // billingPeriods/{p}/...
	scopeCustom               // ...bycustomdate?startTime=&endTime=
)

// lowerQuery returns the query with lower-case names (first value wins):
// the real server matched query names case-insensitively.
func lowerQuery(r *http.Request) map[string]string {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		lk := strings.ToLower(k)
		if _, dup := q[lk]; !dup && len(v) > 0 {
			q[lk] = v[0]
		}
	}
	return q
}

func lastSegment(path string) string {
	path = strings.TrimRight(path, "/")
	return path[strings.LastIndexByte(path, '/')+1:]
}

// parseRequest matches a path case-insensitively against the routes of
// reference section 2 (v1-v3) and the fake's own report and blob routes.
func parseRequest(r *http.Request) (*request, bool) {
	segs := strings.Split(strings.Trim(strings.ToLower(r.URL.Path), "/"), "/")
	if len(segs) == 2 && segs[0] == "blob" {
		return &request{route: blobRoute(segs[1]), id: segs[1], query: lowerQuery(r)}, true
	}
	if len(segs) < 4 || segs[1] != "enrollments" {
		return nil, false
	}
	req := &request{enrollment: segs[2], query: lowerQuery(r)}
	switch segs[0] {
	case "v1":
		req.version = 1
	case "v2":
		req.version = 2
	case "v3":
		req.version = 3
	default:
		return nil, false
	}
	if !req.matchRest(segs[3:]) {
		return nil, false
	}
	return req, true
}

func (req *request) matchRest(rest []string) bool {
	if len(rest) == 3 && rest[0] == "billingperiods" {
		req.scope, req.period = scopePeriod, rest[1]
		return req.matchDataset(rest[2])
	}
	switch {
	case len(rest) == 1 && rest[0] == "billingperiods":
		req.route = RouteBillingPeriods
	case len(rest) == 1 && rest[0] == "usagedetailsbycustomdate":
		req.route, req.scope = RouteUsageDetails, scopeCustom
	case len(rest) == 1 && rest[0] == "marketplacechargesbycustomdate":
		req.route, req.scope = RouteMarketplace, scopeCustom
	case len(rest) == 1:
		return req.matchDataset(rest[0])
	case len(rest) == 2 && rest[0] == "usagedetails" && rest[1] == "download":
		req.route = RouteUsageDownload
	case len(rest) == 2 && rest[0] == "usagedetails" && rest[1] == "submit":
		req.route = RouteUsageSubmit
	case len(rest) == 3 && rest[0] == "usagedetails" && rest[1] == "reports":
		req.route, req.id = RouteReportStatus, rest[2]
	default:
		return false
	}
	return true
}

func (req *request) matchDataset(name string) bool {
	switch name {
	case "balancesummary":
		req.route = RouteBalanceSummary
	case "usagedetails":
		req.route = RouteUsageDetails
	case "marketplacecharges":
		req.route = RouteMarketplace
	case "pricesheet":
		req.route = RoutePriceSheet
	default:
		return false
	}
	return true
}
