package ea

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// maxFieldBytes bounds one JSON string of a record: anything longer is no
// name, date or number the exporter could use, and a label built from it
// would hurt every scrape.
const maxFieldBytes = 64 << 10

// flexString is a string field that may arrive as a string, a number, a
// bool or null (""). Objects and arrays are refused.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > maxFieldBytes {
		return fmt.Errorf("%w: a field of %d bytes is over the %d-byte limit", apiclient.ErrBadResponse, len(b), maxFieldBytes)
	}
	switch {
	case string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("%w: an object or array where a string belongs", apiclient.ErrBadResponse)
	default:
		*s = flexString(b)
	}
	return nil
}

// flexFloat is a number that may arrive as a JSON number, a string ("1.5",
// "" = 0) or null (0). Set tells a present value from an absent or null one.
type flexFloat struct {
	Value float64
	Set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	text := strings.TrimSpace(string(s))
	if string(b) == "null" || text == "" {
		*f = flexFloat{}
		return nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("%w: %s is not a number", apiclient.ErrBadResponse, quoteShort(text))
	}
	*f = flexFloat{Value: v, Set: true}
	return nil
}

// parseTime reads the date layouts of the reference (section 4): RFC 3339
// with any fraction or offset, the same without a zone (UTC), or a bare
// date. "" is the zero time.
func parseTime(field string, s flexString) (time.Time, error) {
	text := strings.TrimSpace(string(s))
	if text == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "01/02/2006"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %s is not a date", apiclient.ErrBadResponse, field, quoteShort(text))
}

// quoteShort quotes the start of s for an error message.
func quoteShort(s string) string {
	const keep = 40
	if len(s) > keep {
		return strconv.Quote(s[:keep]) + "…"
	}
	return strconv.Quote(s)
}

// jsonPayload returns body without surrounding space or a byte order mark,
// and refuses what is plainly no JSON answer: an HTML page (a proxy's or a
// sign-in page) or an empty body. The caller marks these for a retry, and
// so it does the syntax errors of the decoders (a truncated body), which
// encoding/json finds before it decodes anything.
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\ufeff")))
	switch {
	case strings.Contains(strings.ToLower(contentType), "html") || bytes.HasPrefix(trimmed, []byte("<")):
		return nil, fmt.Errorf("%w: an HTML page instead of JSON (a proxy or sign-in page?)", apiclient.ErrBadResponse)
	case len(trimmed) == 0:
		return nil, fmt.Errorf("%w: an empty body instead of JSON", apiclient.ErrBadResponse)
	}
	return trimmed, nil
}

// isSyntaxError reports a body that is not JSON at all, or cut short.
func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// decodeArray decodes a bare JSON array of T from a payload checked by
// jsonPayload, skipping null elements.
func decodeArray[T any](payload []byte, what string) ([]*T, error) {
	if payload[0] != '[' {
		return nil, wrongShape(payload, what, "a JSON array")
	}
	var items []*T
	if err := json.Unmarshal(payload, &items); err != nil {
		return nil, decodeError(what, err)
	}
	return items, nil
}

// wrongShape is the error for a payload that is valid JSON of another
// shape than want, or the syntax error of one that is not JSON at all.
func wrongShape(payload []byte, what, want string) error {
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return decodeError(what, err)
	}
	return fmt.Errorf("%w: %s: want %s", apiclient.ErrBadResponse, what, want)
}

// decodeError wraps an encoding/json error once in ErrBadResponse.
func decodeError(what string, err error) error {
	if errors.Is(err, apiclient.ErrBadResponse) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", apiclient.ErrBadResponse, what, err)
}
