// Package flex holds the tolerant JSON types both API clients decode
// records with: the real APIs send numbers as strings, nulls where values
// belong and dates in several layouts (reference sections 4 and 5), and the
// two sources must read those quirks the same way.
package flex

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// MaxFieldBytes bounds one JSON string of a record: anything longer is no
// name, date or number the exporter could use, and a label built from it
// would hurt every scrape.
const MaxFieldBytes = 64 << 10

// String is a string field that may arrive as a string, a number, a bool
// or null (""). Objects and arrays are refused.
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	if len(b) > MaxFieldBytes {
		return fmt.Errorf("%w: a field of %d bytes is over the %d-byte limit", apiclient.ErrBadResponse, len(b), MaxFieldBytes)
	}
	switch {
	case string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("%w: an object or array where a string belongs", apiclient.ErrBadResponse)
	default:
		*s = String(b)
	}
	return nil
}

// Float is a number that may arrive as a JSON number, a string ("1.5", ""
// = 0) or null (0). Set tells a present value from an absent or null one.
type Float struct {
	Value float64
	Set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	return f.Parse(string(b) == "null", string(s))
}

// Parse sets f from the text of a number; null or blank text is no value.
func (f *Float) Parse(null bool, s string) error {
	text := strings.TrimSpace(s)
	if null || text == "" {
		*f = Float{}
		return nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("%w: %s is not a number", apiclient.ErrBadResponse, QuoteShort(text))
	}
	*f = Float{Value: v, Set: true}
	return nil
}

// timeLayouts are the date layouts of the reference (section 4 and 6.5.4):
// RFC 3339 with any fraction or offset, the same without a zone (UTC, with
// or without a fraction), with a space, a bare date, and MM/dd/yyyy.
var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02", "01/02/2006",
}

// ParseTime reads a date in any of the reference's layouts, as UTC. ""
// is the zero time; field names the field in the error.
func ParseTime(field string, s String) (time.Time, error) {
	text := strings.TrimSpace(string(s))
	if text == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %s is not a date", apiclient.ErrBadResponse, field, QuoteShort(text))
}

// QuoteShort quotes the start of s for an error message.
func QuoteShort(s string) string {
	const keep = 40
	if len(s) > keep {
		return strconv.Quote(s[:keep]) + "…"
	}
	return strconv.Quote(s)
}
