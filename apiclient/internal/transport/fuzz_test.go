package transport

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/redact"
)

// fuzzURL is the request URL a fuzzed error answer may echo; its skiptoken
// is a secret like the key.
const fuzzURL = "https://consumption.azure.com/v3/enrollments/100/usagedetails?skiptoken=U0tJUFRPS0VOU0VDUkVUVkFMVUU"

// keyPieces returns every run of pieceLen characters of secret.
func keyPieces(secret string, pieceLen int) map[string]bool {
	out := map[string]bool{}
	for i := 0; i+pieceLen <= len(secret); i++ {
		out[secret[i:i+pieceLen]] = true
	}
	return out
}

// FuzzAPIMessage: whatever an error body holds, and however it echoes the
// key (whole, in part, or cut up by spaces and control characters), the
// message kept for errors and logs is one line of valid UTF-8, bounded, and
// holds no piece of the key of redact.MinPiece characters or more.
func FuzzAPIMessage(f *testing.F) {
	for _, seed := range []struct {
		prefix, suffix, contentType string
		from, to                    uint16
	}{
		{`{"error":{"code":"401","message":"bad key `, `"}}`, "application/json", 0, 1000},
		{`{"message":"token `, ` expired"}`, "application/json", 37, 90},
		{"<html>", "</html>", "text/html", 0, 40},
		{"Authorization: bearer ", "\n", "text/plain", 0, 1000},
		{`{"error":{"code":401,"message":"`, `\u0000"}}`, "", 10, 30},
		{"plain ", " text", "text/plain", 5, 5},
	} {
		f.Add(seed.prefix, seed.suffix, seed.contentType, seed.from, seed.to, uint8(0))
	}
	pieces := keyPieces(testKey, redact.MinPiece)
	f.Fuzz(func(t *testing.T, prefix, suffix, contentType string, from, to uint16, cut uint8) {
		a, b := min(int(from), len(testKey)), min(int(to), len(testKey))
		echo := testKey[min(a, b):max(a, b)]
		if c := int(cut); c > 0 && c < len(echo) {
			echo = echo[:c] + "\n" + echo[c:] // a line break in the middle
		}
		body := prefix + echo + suffix + " " + fuzzURL
		msg := apiMessage([]byte(body), contentType, testKey, fuzzURL)
		if !utf8.ValidString(msg) {
			t.Fatalf("message %q is not UTF-8", msg)
		}
		if utf8.RuneCountInString(msg) > maxMessageRunes+1 {
			t.Fatalf("message of %d runes", utf8.RuneCountInString(msg))
		}
		if strings.IndexFunc(msg, func(r rune) bool { return unicode.IsControl(r) || r == '\n' }) >= 0 {
			t.Fatalf("message %q has a control character", msg)
		}
		for i := 0; i+redact.MinPiece <= len(msg); i++ {
			if pieces[msg[i:i+redact.MinPiece]] {
				t.Fatalf("message %q holds a piece of the key", msg)
			}
		}
		if strings.Contains(msg, "U0tJUFRPS0VOU0VDUkVUVkFMVUU") {
			t.Fatalf("message %q holds the skiptoken", msg)
		}
	})
}

// FuzzRetryAfter: any retry-after header value gives no wait, or a wait
// that is not negative.
func FuzzRetryAfter(f *testing.F) {
	for _, v := range []string{"1", "0.5", "-1", "NaN", "1e300", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", " 30 ", ""} {
		f.Add(v, v)
	}
	base, err := url.Parse("https://consumption.azure.com")
	if err != nil {
		f.Fatal(err)
	}
	c, err := New(Config{BaseURL: base, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, throttle, retryAfter string) {
		h := http.Header{}
		h.Set(ThrottleHeaderEA, throttle)
		h.Set("Retry-After", retryAfter)
		if d, ok := c.retryAfter(h); ok && d < 0 {
			t.Fatalf("wait %v for %q, %q", d, throttle, retryAfter)
		}
	})
}

func TestPartialKeyRedacted(t *testing.T) {
	half := len(testKey) / 2
	for _, tc := range []struct{ body, want string }{
		{"x " + testKey[10:40] + " y", "x [redacted] y"},
		{testKey[:half] + "\n" + testKey[half:], "[redacted] [redacted]"},
		{testKey[:redact.MinPiece-1] + " and more", testKey[:redact.MinPiece-1] + " and more"},
		{testKey[5:30] + testKey[40:60], "[redacted]"},
		{"a" + testKey + "b" + testKey[20:50], "a[redacted]b[redacted]"},
	} {
		if got := apiMessage([]byte(tc.body), "text/plain", testKey, ""); got != tc.want {
			t.Errorf("apiMessage(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
