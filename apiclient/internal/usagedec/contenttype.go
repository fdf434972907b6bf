package usagedec

import (
	"fmt"
	"mime"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
)

// CheckCSVType accepts the content types a usage CSV report is served with
// (the EA API's and Azure Storage's application/octet-stream, the CSV and
// text types a mirror may use, or none); it refuses HTML, JSON and XML, which
// are error pages.
func CheckCSVType(contentType string) error {
	if contentType == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
	case mediaType == "application/octet-stream", mediaType == "text/csv", mediaType == "application/csv",
		mediaType == "text/plain", mediaType == "binary/octet-stream":
		return nil
	}
	return fmt.Errorf("%w: content type %s, want CSV", apiclient.ErrBadResponse, flex.QuoteShort(contentType))
}
