package flex

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// ErrHTML is an HTML page where a JSON answer was expected.
var ErrHTML = fmt.Errorf("%w: an HTML page instead of JSON (a proxy or sign-in page?)", apiclient.ErrBadResponse)

// Payload returns body without surrounding space or a byte order mark, and
// refuses what is plainly no JSON answer: an HTML page (a proxy's or a
// sign-in page, told by its type or its first byte) or an empty body.
func Payload(contentType string, body []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\ufeff")))
	switch {
	case strings.Contains(strings.ToLower(contentType), "html") || bytes.HasPrefix(trimmed, []byte("<")):
		return nil, ErrHTML
	case len(trimmed) == 0:
		return nil, fmt.Errorf("%w: an empty body instead of JSON", apiclient.ErrBadResponse)
	}
	return trimmed, nil
}
