package usagedec

// This file only makes the package compile until the decoders land; the
// helper that writes them deletes it.

import (
	"errors"
	"io"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

type decoderState struct{}

// CSVSchema maps the columns a CSV report may have to the row's fields.
type CSVSchema struct{}

// EASchema is the EA Reporting API's usage CSV.
var EASchema = &CSVSchema{}

var errTODO = errors.New("usagedec: not implemented yet")

func (d *Decoder) page([]byte) ([]apiclient.UsageRow, string, error) { return nil, "", errTODO }

func (d *Decoder) csv(io.Reader, *CSVSchema, time.Time, time.Time, func(*apiclient.UsageRow) error) error {
	return errTODO
}
