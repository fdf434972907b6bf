package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// These tolerant JSON types mirror package ea's: the two sources decode
// the same quirks (numbers as strings, nulls) the same way.

// maxFieldBytes bounds one JSON string of a record: anything longer is no
// name, date or number the exporter could use.
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
	return f.parse(string(b) == "null", string(s))
}

func (f *flexFloat) parse(null bool, s string) error {
	text := strings.TrimSpace(s)
	if null || text == "" {
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

// parseTime reads an ISO 8601 date-time with any fraction or offset, or
// without a zone (UTC), or a bare date. "" is the zero time.
func parseTime(field string, s flexString) (time.Time, error) {
	text := strings.TrimSpace(string(s))
	if text == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02", "01/02/2006"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %s is not a date", apiclient.ErrBadResponse, field, quoteShort(text))
}

// decodeObject decodes a payload that must be a JSON object into v.
func decodeObject(payload []byte, what string, v any) error {
	if len(payload) == 0 || payload[0] != '{' {
		return fmt.Errorf("%w: %s: want a JSON object", apiclient.ErrBadResponse, what)
	}
	if err := json.Unmarshal(payload, v); err != nil {
		if errors.Is(err, apiclient.ErrBadResponse) {
			return fmt.Errorf("%s: %w", what, err)
		}
		return fmt.Errorf("%w: %s: %w", apiclient.ErrBadResponse, what, err)
	}
	return nil
}
