package fakeapi

import (
	"strconv"
	"time"
)

// Days are counted as Unix days (days since 1970-01-01 UTC) so that a usage
// row can be keyed by a plain integer.
const secondsPerDay = 86400

// unixDay returns the Unix day of t's UTC date.
func unixDay(t time.Time) int64 {
	s := t.Unix()
	d := s / secondsPerDay
	if s%secondsPerDay < 0 {
		d--
	}
	return d
}

// dayTime returns midnight UTC of Unix day d.
func dayTime(d int64) time.Time {
	return time.Unix(d*secondsPerDay, 0).UTC()
}

// monthStart returns the first instant of t's UTC calendar month.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// periodID formats a month as yyyyMM.
func periodID(t time.Time) string {
	return t.UTC().Format("200601")
}

// parsePeriod parses yyyyMM into the first instant of that month.
func parsePeriod(s string) (time.Time, bool) {
	if len(s) != 6 {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	y, m := n/100, n%100
	if y < 1900 || m < 1 || m > 12 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), true
}

// parseDate parses a yyyy-MM-dd query date into a Unix day.
func parseDate(s string) (int64, bool) {
	if len(s) != len("2006-01-02") {
		return 0, false
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, false
	}
	return unixDay(t), true
}

// window is the data the fake holds at one instant: the previous and the
// current calendar month, up to the last day whose usage is available.
type window struct {
	now       time.Time
	prevStart int64 // first day of the previous month
	curStart  int64 // first day of the current month
	nextStart int64 // first day of the next month
	last      int64 // last available day; < prevStart when nothing is available
}

func newWindow(now time.Time, latencyDays int) window {
	now = now.UTC()
	cur := monthStart(now)
	return window{
		now:       now,
		prevStart: unixDay(cur.AddDate(0, -1, 0)),
		curStart:  unixDay(cur),
		nextStart: unixDay(cur.AddDate(0, 1, 0)),
		last:      unixDay(now.Add(-time.Duration(latencyDays) * 24 * time.Hour)),
	}
}

// clip intersects the inclusive day range [a, b] with the available days.
// The result is empty when to < from.
func (w window) clip(a, b int64) (from, to int64) {
	from, to = max(a, w.prevStart), min(b, w.last)
	return from, to
}

// monthRange returns the inclusive day range of the month starting at m.
func monthRange(m time.Time) (a, b int64) {
	return unixDay(m), unixDay(m.AddDate(0, 1, 0)) - 1
}

// periods lists the months that have available usage, newest first.
func (w window) periods() []time.Time {
	var out []time.Time
	for _, start := range []int64{w.curStart, w.prevStart} {
		if w.last >= start {
			out = append(out, dayTime(start))
		}
	}
	return out
}

// hasPeriod reports whether month m has available usage.
func (w window) hasPeriod(m time.Time) bool {
	d := unixDay(m)
	return (d == w.curStart || d == w.prevStart) && w.last >= d
}

// version identifies the available data: it changes only when a new day
// becomes available.
func (w window) version() int64 {
	return min(w.last, w.nextStart-1)
}

// appendDigits writes n zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var tmp [8]byte
	for k := width - 1; k >= 0; k-- {
		tmp[k] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[:width]...)
}

// appendISODay writes the date of Unix day d as yyyy-MM-dd.
func appendISODay(b []byte, d int64) []byte {
	y, m, dd := dayTime(d).Date()
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(m), 2)
	b = append(b, '-')
	return appendDigits(b, dd, 2)
}

// appendUSDay writes the date of Unix day d as MM/dd/yyyy, the layout of the
// EA CSV reports.
func appendUSDay(b []byte, d int64) []byte {
	y, m, dd := dayTime(d).Date()
	b = appendDigits(b, int(m), 2)
	b = append(b, '/')
	b = appendDigits(b, dd, 2)
	b = append(b, '/')
	return appendDigits(b, y, 4)
}
