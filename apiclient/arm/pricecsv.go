package arm

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// maxPricePreamble bounds the lines searched for the price sheet's header.
const maxPricePreamble = 20

// priceColumns holds the index of each price sheet column read, or -1.
type priceColumns struct {
	meterID, meterName, partNumber, unit, unitPrice, included, currency int
}

// find maps a header record, and says whether it is the header: it names
// the meter id and the unit price. Names are the EA price sheet's
// (reference 6.5.5), matched without case or spaces.
func (p *priceColumns) find(rec []string) bool {
	*p = priceColumns{-1, -1, -1, -1, -1, -1, -1}
	for i, cell := range rec {
		if col := p.column(foldHeader(cell)); col != nil && *col < 0 {
			*col = i
		}
	}
	return p.meterID >= 0 && p.unitPrice >= 0
}

func (p *priceColumns) column(name string) *int {
	switch name {
	case "meterid":
		return &p.meterID
	case "metername":
		return &p.meterName
	case "partnumber":
		return &p.partNumber
	case "unitofmeasure":
		return &p.unit
	case "unitprice":
		return &p.unitPrice
	case "includedquantity":
		return &p.included
	case "currencycode", "currency":
		return &p.currency
	}
	return nil
}

// foldHeader strips a byte order mark, quotes and spaces, and folds case.
func foldHeader(h string) string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")
	h = strings.Trim(h, `" `)
	return strings.ToLower(strings.ReplaceAll(h, " ", ""))
}

// readPriceCSV streams the rows of one price sheet CSV file to fn. Lines
// before the header are skipped; a row whose price is not a number is
// skipped rather than failing the sheet.
func readPriceCSV(r io.Reader, fn func(*apiclient.PriceSheetItem) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = -1, true, true
	var cols priceColumns
	for line := 0; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if line == 0 {
				return nil // an empty file: no prices
			}
			return fmt.Errorf("%w: price sheet CSV without a header naming MeterId and UnitPrice", apiclient.ErrBadResponse)
		}
		if err != nil {
			return csvError(err)
		}
		if cols.find(rec) {
			break
		}
		if line >= maxPricePreamble {
			return fmt.Errorf("%w: no price sheet header in the first %d lines", apiclient.ErrBadResponse, maxPricePreamble)
		}
	}
	var item apiclient.PriceSheetItem
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		if !cols.item(rec, &item) {
			continue
		}
		if err := fn(&item); err != nil {
			return err
		}
	}
}

// item fills it from rec and says whether the row is a price.
func (p *priceColumns) item(rec []string, it *apiclient.PriceSheetItem) bool {
	var price, included flexFloat
	if price.Parse(false, field(rec, p.unitPrice)) != nil || included.Parse(false, field(rec, p.included)) != nil {
		return false
	}
	meterID := strings.TrimSpace(field(rec, p.meterID))
	if meterID == "" && !price.Set {
		return false // an empty line
	}
	*it = apiclient.PriceSheetItem{
		MeterID:          meterID,
		MeterName:        strings.TrimSpace(field(rec, p.meterName)),
		PartNumber:       strings.TrimSpace(field(rec, p.partNumber)),
		UnitOfMeasure:    strings.TrimSpace(field(rec, p.unit)),
		UnitPrice:        price.Value,
		IncludedQuantity: included.Value,
		Currency:         strings.TrimSpace(field(rec, p.currency)),
	}
	return true
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: price sheet CSV line %d: %w", apiclient.ErrBadResponse, pe.Line, pe.Err)
	}
	return err
}
