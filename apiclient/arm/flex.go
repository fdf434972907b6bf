package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
)

// The tolerant record types are shared with the ea client: the two sources
// decode the same quirks (numbers as strings, nulls) the same way.
type (
	flexString = flex.String
	flexFloat  = flex.Float
)

func parseTime(field string, s flexString) (time.Time, error) { return flex.ParseTime(field, s) }

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
