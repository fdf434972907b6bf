package usagedec

import (
	"unicode"
	"unicode/utf8"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// field identifies a JSON member the decoder reads; the dimensions come
// first so that a field below numDimFields is its apiclient.Dimension.
type field uint8

const numDimFields = field(apiclient.NumDimensions)

const (
	fieldCost field = numDimFields + iota
	fieldExtendedCost
	fieldQuantity
	fieldBilledSeparately
	fieldDate
	fieldTags
	fieldData
	fieldNextLink
	fieldUnknown
)

// fieldOf names the member whose key is key, matched case-insensitively as
// encoding/json matches struct fields. Keys with escapes or non-ASCII bytes
// go through keyFold first, in the caller.
func fieldOf(key []byte) field {
	switch len(key) {
	case 4:
		return pick4(key)
	case 7:
		return pick(key, "meterid", field(apiclient.DimMeterID))
	case 8:
		return pick(key, "nextlink", fieldNextLink)
	case 9:
		return pick(key, "metername", field(apiclient.DimMeterName))
	case 10:
		return pick(key, "costcenter", field(apiclient.DimCostCenter))
	case 11:
		if f := pick(key, "accountname", field(apiclient.DimAccount)); f != fieldUnknown {
			return f
		}
		return pick(key, "meterregion", field(apiclient.DimMeterRegion))
	case 12:
		return pick(key, "extendedcost", fieldExtendedCost)
	case 13:
		return pick13(key)
	case 14:
		return pick(key, "departmentname", field(apiclient.DimDepartment))
	case 16:
		return pick16(key)
	case 23:
		return pick(key, "chargesbilledseparately", fieldBilledSeparately)
	}
	return fieldUnknown
}

func pick4(key []byte) field {
	switch lower(key[0]) {
	case 'c':
		return pick(key, "cost", fieldCost)
	case 't':
		return pick(key, "tags", fieldTags)
	case 'd':
		if f := pick(key, "date", fieldDate); f != fieldUnknown {
			return f
		}
		return pick(key, "data", fieldData)
	}
	return fieldUnknown
}

func pick13(key []byte) field {
	switch lower(key[0]) {
	case 'r':
		return pick(key, "resourcegroup", field(apiclient.DimResourceGroup))
	case 'm':
		return pick(key, "metercategory", field(apiclient.DimMeterCategory))
	case 'u':
		return pick(key, "unitofmeasure", field(apiclient.DimUnitOfMeasure))
	}
	return fieldUnknown
}

func pick16(key []byte) field {
	switch lower(key[0]) {
	case 's':
		if f := pick(key, "subscriptionguid", field(apiclient.DimSubscriptionID)); f != fieldUnknown {
			return f
		}
		return pick(key, "subscriptionname", field(apiclient.DimSubscription))
	case 'm':
		return pick(key, "metersubcategory", field(apiclient.DimMeterSubcategory))
	case 'r':
		return pick(key, "resourcelocation", field(apiclient.DimLocation))
	case 'c':
		return pick(key, "consumedquantity", fieldQuantity)
	}
	return fieldUnknown
}

// pick returns f when key equals name, ignoring ASCII case.
func pick(key []byte, name string, f field) field {
	if equalFoldASCII(key, name) {
		return f
	}
	return fieldUnknown
}

// equalFoldASCII reports whether s equals lowerName (in lower case) when
// ASCII letters are compared ignoring case.
func equalFoldASCII(s []byte, lowerName string) bool {
	if len(s) != len(lowerName) {
		return false
	}
	for i := range len(s) {
		if lower(s[i]) != lowerName[i] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// keyFold appends to dst the key (decoded JSON text) in a form fieldOf
// matches: encoding/json folds each non-ASCII rune to the smallest rune of
// its case-folding set, which maps U+017F (long s) to 'S' and U+212A (Kelvin
// sign) to 'K'. A rune that folds outside ASCII cannot match any field, so
// it is kept as a byte no field name holds.
func keyFold(dst, key []byte) []byte {
	for i := 0; i < len(key); {
		if c := key[i]; c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		if f := foldRune(r); f < utf8.RuneSelf {
			dst = append(dst, byte(f))
		} else {
			dst = append(dst, 0)
		}
		i += n
	}
	return dst
}

// foldRune returns the smallest rune of r's case-folding set.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
