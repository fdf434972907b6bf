package usagedec

import "time"

// parseDate returns midnight UTC of the UTC day that s names. It takes the
// forms the usage APIs write, without allocating:
//
//	2018-08-01                  date only
//	2018-08-01T00:00:00         no zone: UTC ("T" may also be "t" or a space)
//	2017-04-27T23:01:43.799Z    fractional seconds, any number of digits
//	2018-08-01T20:00:00-05:00   an offset (also -0500): the UTC day counts
//	08/01/2018, 8/1/2018        MM/dd/yyyy of the ARM cost details files
//	8/1/2018 12:00:00 AM        ... with a time of day, which is ignored
//
// Spaces around s are ignored.
func parseDate(s []byte) (time.Time, bool) {
	s = trimSpaces(s)
	if len(s) >= 10 && s[4] == '-' {
		return parseISODate(s)
	}
	return parseUSDate(s)
}

func parseISODate(s []byte) (time.Time, bool) {
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || s[7] != '-' || !validDay(y, m, d) {
		return time.Time{}, false
	}
	rest := s[10:]
	if len(rest) == 0 {
		return day(y, m, d, 0), true
	}
	if c := rest[0]; c != 'T' && c != 't' && c != ' ' {
		return time.Time{}, false
	}
	secs, rest, ok := clockTime(rest[1:], true)
	if !ok {
		return time.Time{}, false
	}
	offset, ok := zoneOffset(rest)
	if !ok {
		return time.Time{}, false
	}
	return day(y, m, d, secs-offset), true
}

// clockTime reads hh:mm[:ss[.fff]] at the start of s and returns the
// seconds since midnight and what follows. Hours take two digits when
// twoDigits is set, else one or two.
func clockTime(s []byte, twoDigits bool) (int, []byte, bool) {
	hLen := 2
	if !twoDigits && len(s) > 1 && s[1] == ':' {
		hLen = 1
	}
	if len(s) < hLen+3 || s[hLen] != ':' {
		return 0, nil, false
	}
	h, ok1 := num(s[:hLen])
	mi, ok2 := num(s[hLen+1 : hLen+3])
	s = s[hLen+3:]
	sec, ok3 := 0, true
	if len(s) >= 3 && s[0] == ':' {
		sec, ok3 = num(s[1:3])
		s = s[3:]
		if len(s) > 0 && (s[0] == '.' || s[0] == ',') {
			end := digitsEnd(s, 1)
			if end == 1 {
				return 0, nil, false
			}
			s = s[end:]
		}
	}
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return 0, nil, false
	}
	return h*3600 + mi*60 + sec, s, true
}

// zoneOffset reads what follows the time: nothing or Z (UTC), or an offset
// ±hh:mm or ±hhmm, returned in seconds east of UTC.
func zoneOffset(s []byte) (int, bool) {
	switch {
	case len(s) == 0:
		return 0, true
	case len(s) == 1 && (s[0] == 'Z' || s[0] == 'z'):
		return 0, true
	case s[0] != '+' && s[0] != '-':
		return 0, false
	}
	var h, m int
	var ok1, ok2 bool
	switch {
	case len(s) == 6 && s[3] == ':':
		h, ok1 = num(s[1:3])
		m, ok2 = num(s[4:6])
	case len(s) == 5:
		h, ok1 = num(s[1:3])
		m, ok2 = num(s[3:5])
	}
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	if s[0] == '-' {
		return -(h*3600 + m*60), true
	}
	return h*3600 + m*60, true
}

// parseUSDate reads M/d/yyyy with an optional time of day (h:mm[:ss], then
// an optional AM or PM, before which hours run 1 to 12).
func parseUSDate(s []byte) (time.Time, bool) {
	m, s, ok1 := numUntil(s, '/')
	d, s, ok2 := numUntil(s, '/')
	if !ok1 || !ok2 || len(s) < 4 {
		return time.Time{}, false
	}
	y, ok3 := num(s[:4])
	if !ok3 || !validDay(y, m, d) {
		return time.Time{}, false
	}
	s = s[4:]
	if len(s) == 0 {
		return day(y, m, d, 0), true
	}
	if s[0] != ' ' {
		return time.Time{}, false
	}
	secs, s, ok := clockTime(s[1:], false)
	if !ok {
		return time.Time{}, false
	}
	if len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	switch {
	case len(s) == 0:
	case len(s) == 2 && (s[1] == 'M' || s[1] == 'm') && isAMPM(s[0]):
		if h := secs / 3600; h < 1 || h > 12 {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	return day(y, m, d, 0), true
}

func isAMPM(c byte) bool { return c == 'A' || c == 'a' || c == 'P' || c == 'p' }

// numUntil reads one or two digits followed by sep.
func numUntil(s []byte, sep byte) (int, []byte, bool) {
	switch {
	case len(s) >= 2 && s[1] == sep:
		n, ok := num(s[:1])
		return n, s[2:], ok
	case len(s) >= 3 && s[2] == sep:
		n, ok := num(s[:2])
		return n, s[3:], ok
	}
	return 0, nil, false
}

// num parses a short run of ASCII digits.
func num(s []byte) (int, bool) {
	n := 0
	for _, c := range s {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func validDay(y, m, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// day returns midnight UTC of the day that is secs seconds (possibly
// negative, or past one day) after midnight of y-m-d.
func day(y, m, d, secs int) time.Time {
	shift := secs / 86400
	if secs < 0 && secs%86400 != 0 {
		shift--
	}
	return time.Date(y, time.Month(m), d+shift, 0, 0, 0, 0, time.UTC)
}

func trimSpaces(s []byte) []byte {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
