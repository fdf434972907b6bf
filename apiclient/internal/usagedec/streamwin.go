package usagedec

import (
	"fmt"
	"io"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// refill makes room in the window and reads into it, and returns where the
// input at cp now is. Only a full window moves: the rows decoded so far
// point into it, so they are delivered first. A window that holds nothing
// but the input from cp on doubles, up to the limit.
func (ps *pageStream) refill(cp int) (int, error) {
	if ps.end == len(ps.buf) {
		if err := ps.deliver(); err != nil {
			return 0, err
		}
		n := copy(ps.buf, ps.buf[cp:ps.end])
		ps.base += int64(cp)
		ps.end, cp = n, 0
		if n == len(ps.buf) {
			if err := ps.grow(); err != nil {
				return 0, err
			}
		}
	}
	return cp, ps.fill()
}

// grow doubles the full window.
func (ps *pageStream) grow() error {
	if len(ps.buf) >= ps.limit {
		return fmt.Errorf("%w: usage page: a row or member longer than %d bytes at byte %d",
			apiclient.ErrBadResponse, ps.limit, ps.base)
	}
	grown := make([]byte, min(2*len(ps.buf), ps.limit))
	copy(grown, ps.buf[:ps.end])
	ps.buf = grown
	return nil
}

// fill reads until the window is full or the input ends: a step is run
// again after each fill, and a fill of a few bytes would run it again for
// every few bytes.
func (ps *pageStream) fill() error {
	for empty := 0; ps.end < len(ps.buf); {
		n, err := ps.src.Read(ps.buf[ps.end:])
		ps.end += n
		switch {
		case err == io.EOF:
			ps.eof = true
			return nil
		case err != nil:
			return fmt.Errorf("reading usage page: %w", err)
		case n > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				return fmt.Errorf("reading usage page: %w", io.ErrNoProgress)
			}
		}
	}
	return nil
}

// deliver passes the rows decoded so far to fn and forgets them.
func (ps *pageStream) deliver() error {
	st := ps.st
	k := len(ps.tagKeys)
	for n := range st.rows {
		r := &st.rows[n]
		if k > 0 {
			r.Tags = st.tagVals[n*k : (n+1)*k : (n+1)*k]
		}
		if err := ps.fn(r); err != nil {
			return err
		}
	}
	st.rows, st.tagVals, st.arena = st.rows[:0], st.tagVals[:0], st.arena[:0]
	return nil
}
