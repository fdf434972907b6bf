package usagedec

import (
	"strings"
	"testing"
)

// FuzzStreamMatchesPage: on any input, with any starting window and any
// read size, Stream agrees with Page (checkStreamMatchesPage), on a decoder
// that has streamed a realistic page first.
func FuzzStreamMatchesPage(f *testing.F) {
	for _, body := range streamFixtures(f) {
		f.Add(body, uint16(0), uint8(0))
		f.Add(body, uint16(7), uint8(3))
	}
	// Window edges placed on purpose: the first fill ends inside the
	// marked text.
	for _, s := range []struct{ body, mark string }{
		{`{"data":[` + row(`"cost":123456.5e-1`) + `]}`, `3456.5e`},
		{`{"count":1234567,"data":[]}`, `34567`},
		{page(row(`"meterName":"caf\u00e9 \"x\""`)), `u00e9`},
		{page(row(`"meterName":"a\\\"b"`)), `\"b`},
		{"\uFEFF\uFEFF" + page(row("")), "\uFEFF" + `{`},
		{page(row(`"meterName":"` + strings.Repeat("m", 200) + `"`)), `mmmm`},
		{`{"data":[` + row("") + `],"data":[` + row("") + `]}`, `],"data`},
		{page(row(`"chargesBilledSeparately":true`)), `rue`},
	} {
		at := strings.Index(s.body, s.mark)
		f.Add([]byte(s.body), uint16(at+len(s.mark)/2), uint8(0))
		f.Add([]byte(s.body), uint16(at+1), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, window uint16, chunk uint8) {
		w := streamWindow
		if window > 0 {
			w = 1 + int(window)%2048
		}
		dec := New(fuzzTagKeys)
		if _, err := dec.stream(streamInput(fuzzWarmPage, 5), discardRow, w, maxStreamValue); err != nil {
			t.Fatal(err)
		}
		checkStreamMatchesPage(t, dec, body, w, int(chunk))
	})
}
