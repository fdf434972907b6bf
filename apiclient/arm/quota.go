package arm

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// The remaining-quota headers of Cost Management (reference 6.5.3): the
// family is what follows the prefix, or what precedes the suffix, e.g.
// x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests and
// x-ms-ratelimit-microsoft.costmanagement-qpu-remaining.
const (
	quotaPrefix      = "x-ms-ratelimit-remaining-microsoft.costmanagement-"
	quotaQPUPrefix   = "x-ms-ratelimit-microsoft.costmanagement-"
	quotaQPUSuffix   = "-remaining"
	maxQuotaNames    = 32
	maxQuotaNameLen  = 64
	maxQuotasPerCall = 16
)

// quotaReporter reports remaining quotas to an observer that wants them.
// The set of quota names it reports is bounded, so that a server cannot make
// a metric label grow without end.
type quotaReporter struct {
	obs apiclient.QuotaObserver // nil: nobody listens

	mu    sync.Mutex
	names map[string]bool
}

func newQuotaReporter(obs apiclient.Observer) *quotaReporter {
	qo, _ := obs.(apiclient.QuotaObserver)
	return &quotaReporter{obs: qo, names: map[string]bool{}}
}

// observe reports the quotas that the headers of an answer from endpoint
// name.
func (q *quotaReporter) observe(endpoint string, h http.Header) {
	if q.obs == nil {
		return
	}
	reported := 0
	for key, values := range h {
		family, ok := quotaFamily(strings.ToLower(key))
		if !ok || len(values) == 0 {
			continue
		}
		for _, item := range strings.Split(values[0], ",") {
			name, remaining, ok := parseQuota(family, item)
			if !ok || !q.admit(name) {
				continue
			}
			if reported++; reported > maxQuotasPerCall {
				return
			}
			q.obs.ObserveQuota(endpoint, name, remaining)
		}
	}
}

// admit says whether name may be reported: a name seen before, or a new
// one while there is room.
func (q *quotaReporter) admit(name string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.names[name] {
		return true
	}
	if len(q.names) >= maxQuotaNames {
		return false
	}
	q.names[name] = true
	return true
}

// quotaFamily returns the family of a remaining-quota header (lower case),
// or false for any other header.
func quotaFamily(key string) (string, bool) {
	var family string
	switch {
	case strings.HasPrefix(key, quotaPrefix):
		family = key[len(quotaPrefix):]
	case strings.HasPrefix(key, quotaQPUPrefix) && strings.HasSuffix(key, quotaQPUSuffix):
		family = strings.TrimSuffix(key[len(quotaQPUPrefix):], quotaQPUSuffix)
	default:
		return "", false
	}
	return family, family != "" && validQuotaName(family)
}

// parseQuota reads one "Name:remaining" item (or a bare number) of a
// family's header into the quota name family/Name and the amount.
func parseQuota(family, item string) (string, float64, bool) {
	name, amount := family, strings.TrimSpace(item)
	if i := strings.LastIndexByte(amount, ':'); i >= 0 {
		part := strings.TrimSpace(amount[:i])
		if !validQuotaName(part) {
			return "", 0, false
		}
		name, amount = family+"/"+part, strings.TrimSpace(amount[i+1:])
	}
	v, err := strconv.ParseFloat(amount, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || len(name) > maxQuotaNameLen {
		return "", 0, false
	}
	return name, v, true
}

func validQuotaName(s string) bool {
	if s == "" || len(s) > maxQuotaNameLen {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
