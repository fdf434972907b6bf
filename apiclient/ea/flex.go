package ea

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/usagedec"
)

// The tolerant record types are shared with the arm client.
type (
	flexString = flex.String
	flexFloat  = flex.Float
)

const maxFieldBytes = flex.MaxFieldBytes

func parseTime(field string, s flexString) (time.Time, error) { return flex.ParseTime(field, s) }

func quoteShort(s string) string { return flex.QuoteShort(s) }

// jsonPayload is flex.Payload. The caller marks what it refuses for a
// retry, and so it does the syntax errors of the decoders (a truncated
// body), which encoding/json finds before it decodes anything.
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	return flex.Payload(contentType, body)
}

// orNoDataText makes decode take the "Usage Data Extract" text, which the
// API sends instead of JSON when it has no data (reference 5.1), as an
// empty result: decode does not see it, and leaves its result empty.
func orNoDataText(decode func([]byte) error) func([]byte) error {
	return func(payload []byte) error {
		if usagedec.IsNoData(payload) {
			return nil
		}
		return decode(payload)
	}
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
