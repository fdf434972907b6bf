package fakeapi

import (
	"net/http"
	"strconv"
	"time"
)

// errorFlavour selects the error shapes and throttling headers of a group
// of ARM side routes.
type errorFlavour uint8

const (
	flavourEntra          errorFlavour = iota // the token endpoints
	flavourConsumption                        // Microsoft.Consumption
	flavourCostManagement                     // Microsoft.CostManagement
)

// writeARMError writes ARM's error shape, {"error":{"code","message"}}.
func writeARMError(w http.ResponseWriter, status int, code, message string) {
	b := append([]byte(`{"error":{"code":`), appendJSONString(nil, code, false)...)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message, false)
	b = append(b, "}}"...)
	writeBody(w, status, jsonType, b)
}

// writeEntraError writes Entra ID's OAuth error shape: error,
// error_description starting "AADSTS<code>:", error_codes, timestamp,
// trace_id, correlation_id and error_uri.
func writeEntraError(w http.ResponseWriter, status int, errName string, aadsts int, message string, now time.Time) {
	code := strconv.Itoa(aadsts)
	stamp := now.UTC().Format("2006-01-02 15:04:05Z")
	trace := guid(uint64(now.UnixNano()), domARMRequest, uint64(aadsts))
	corr := guid(uint64(now.UnixNano()), domARMRequest, uint64(aadsts)+1)
	desc := "AADSTS" + code + ": " + message + " Trace ID: " + trace + " Correlation ID: " + corr + " Timestamp: " + stamp
	jw := jsonWriter{q: &Quirks{}}
	jw.open('{')
	jw.str("error", errName)
	jw.str("error_description", desc)
	jw.raw("error_codes", []byte("["+code+"]"))
	jw.str("timestamp", stamp)
	jw.str("trace_id", trace)
	jw.str("correlation_id", corr)
	jw.str("error_uri", "https://login.microsoftonline.com/error?code="+code)
	jw.close('}')
	writeBody(w, status, jsonType, jw.b)
}

// wwwAuthenticate sets the Bearer challenge ARM sends with a 401.
func (c *armCall) wwwAuthenticate(errName, description string) {
	c.w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+c.baseURL()+"/"+c.s.opts.ARM.TenantID+
		`", error="`+errName+`", error_description="`+description+`"`)
}

// answerARMFault writes the answer of a fault in the shapes of the route's
// flavour and reports whether it did. The faults without an ARM shape
// (garbage, the "Usage Data Extract" body, timeouts) are the EA side's.
func (c *armCall) answerARMFault(flavour errorFlavour) bool {
	w, now, after := c.w, c.s.opts.Now(), strconv.Itoa(c.retryAfter)
	entra := flavour == flavourEntra
	switch c.fault {
	case FaultThrottle:
		c.throttleHeaders(flavour, c.retryAfter)
		if entra {
			writeEntraError(w, http.StatusTooManyRequests, "temporarily_unavailable", 90033, "Too many requests. Please retry.", now)
		} else {
			writeARMError(w, http.StatusTooManyRequests, "429", "Too many requests. Please retry.")
		}
	case FaultUnavailable:
		w.Header().Set("Retry-After", after)
		if entra {
			writeEntraError(w, http.StatusServiceUnavailable, "temporarily_unavailable", 90033,
				"A transient error has occurred. Please try again.", now)
		} else {
			writeARMError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable.")
		}
	case FaultServerError:
		if entra {
			writeEntraError(w, http.StatusInternalServerError, "server_error", 90100, "An internal error occurred.", now)
		} else {
			writeARMError(w, http.StatusInternalServerError, "InternalServerError",
				"Encountered internal server error. Diagnostic information: timestamp '"+now.UTC().Format("20060102T150405Z")+"'.")
		}
	case FaultUnauthorized:
		if entra {
			writeEntraError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided.", now)
		} else {
			c.wwwAuthenticate("invalid_token", "The access token is invalid.")
			writeARMError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		}
	case FaultNoData400:
		writeARMError(w, http.StatusBadRequest, "BadRequest", "No data found for the billing account in the requested range.")
	case FaultNoData404:
		writeARMError(w, http.StatusNotFound, "NotFound", "No records found for the requested range.")
	default:
		return c.answerFault()
	}
	return true
}

// throttleHeaders sets the headers of a 429: Retry-After on the token
// endpoints, the Consumption retry header on Consumption routes, and on Cost
// Management routes the configured retry header with the remaining quota at
// zero and no Retry-After (reference 6.5.3).
func (c *armCall) throttleHeaders(flavour errorFlavour, seconds int) {
	h := c.w.Header()
	after := strconv.Itoa(seconds)
	switch flavour {
	case flavourEntra:
		h.Set("Retry-After", after)
	case flavourConsumption:
		h.Set(HeaderConsumptionRetryAfter, after)
	case flavourCostManagement:
		c.s.mu.Lock()
		name := c.s.arm.throttleHeader
		c.s.mu.Unlock()
		h.Set(name, after)
		h.Set(HeaderCostManagementRemaining, "DefaultQuota:0")
	}
}
