package usagedec

import (
	"strconv"
	"unsafe"
)

// exactPow10 holds the powers of ten that float64 represents exactly. It is a
// read-only table.
var exactPow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// parseDecimal parses a decimal number: an optional sign, digits with an
// optional fraction (either side of the point may be empty, not both), and
// an optional exponent. That covers JSON numbers and what CSV writers and
// "1.5"-style JSON strings hold, and excludes the NaN, Inf, hex and
// underscore forms strconv would also take.
//
// Numbers with at most 19 significant digits, a mantissa below 2^53 and a
// small exponent take the exact fast path (one correctly rounded float64
// operation on exact operands, so the result equals strconv.ParseFloat's);
// the rest go to strconv.ParseFloat through a string view that does not
// copy. It reports false for bad syntax and for values out of float64 range.
func parseDecimal(s []byte) (float64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var mant uint64
	significant, fracDigits, digits := 0, 0, 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		mant, significant = addDigit(mant, significant, s[i])
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			mant, significant = addDigit(mant, significant, s[i])
			fracDigits++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	exp, ok := 0, true
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if exp, i, ok = parseExponent(s, i+1); !ok {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	if significant <= 19 && mant <= 1<<53 {
		if f, ok := exactDecimal(mant, exp-fracDigits); ok {
			if neg {
				f = -f
			}
			return f, true
		}
	}
	f, err := strconv.ParseFloat(unsafe.String(&s[0], len(s)), 64)
	return f, err == nil
}

// addDigit accumulates a digit, counting significant digits (leading zeros
// are not); past 19 of them the mantissa is no longer used.
func addDigit(mant uint64, significant int, c byte) (uint64, int) {
	if mant == 0 && c == '0' {
		return 0, significant
	}
	if significant < 19 {
		mant = mant*10 + uint64(c-'0')
	}
	return mant, significant + 1
}

// parseExponent reads the exponent digits after 'e' at i; huge exponents
// are clamped, which keeps them off the fast path.
func parseExponent(s []byte, i int) (exp, end int, ok bool) {
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for ; i < len(s) && isDigit(s[i]); i++ {
		if exp < 1<<20 {
			exp = exp*10 + int(s[i]-'0')
		}
	}
	if i == start {
		return 0, i, false
	}
	if neg {
		exp = -exp
	}
	return exp, i, true
}

// exactDecimal returns mant × 10^exp when both operands are exact float64
// values, so that the one multiplication or division rounds correctly.
func exactDecimal(mant uint64, exp int) (float64, bool) {
	f := float64(mant)
	switch {
	case mant == 0:
		return 0, true
	case exp == 0:
		return f, true
	case exp > 0 && exp < len(exactPow10):
		return f * exactPow10[exp], true
	case exp < 0 && -exp < len(exactPow10):
		return f / exactPow10[-exp], true
	}
	return 0, false
}
