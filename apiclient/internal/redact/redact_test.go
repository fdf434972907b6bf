package redact

import (
	"net/url"
	"strings"
	"testing"
)

// secret is shaped like an older Entra ID client secret: base64, with the
// characters a form body escapes.
const secret = "ARM+CLIENT/SECRET+VALUE=abcdefghij0123456789"

func TestSecretRedactsEscapedForms(t *testing.T) {
	query, path := url.QueryEscape(secret), url.PathEscape(secret)
	if query == secret || path == secret || query == path {
		t.Fatalf("the test secret does not exercise escaping: %q %q", query, path)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"as sent", "bad secret " + secret + ".", "bad secret [redacted]."},
		{"query-escaped", "body client_secret=" + query + "&client_id=x", "body client_secret=[redacted]&client_id=x"},
		{"path-escaped", "path /s/" + path + "/x", "path /s/[redacted]/x"},
		{"prefix, query-escaped", "client_secret=" + query[:20] + " cut", "client_secret=[redacted] cut"},
		{"middle, as sent", "x " + secret[6:30] + " y", "x [redacted] y"},
		{"split by a line break", "a " + query[:20] + "\n" + query[20:] + " b", "a [redacted]\n[redacted] b"},
		{"too short a piece", "a " + query[:MinPiece-1] + " b", "a " + query[:MinPiece-1] + " b"},
		{"unrelated", "invalid_client: AADSTS7000215", "invalid_client: AADSTS7000215"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Secret(tc.in, secret); got != tc.want {
				t.Errorf("Secret(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestSecretLeavesNoShortEndOfAnotherForm: a query-escaped echo whose
// unescaped start is a long run of the secret as sent, and whose end after
// the last escape is short. Redacting one form after the other left that
// end, shorter than MinPiece of the escaped form, in the message.
func TestSecretLeavesNoShortEndOfAnotherForm(t *testing.T) {
	const s = "abcdefghijklmnopqrstuvwx+yz12"
	in := "echo " + url.QueryEscape(s) + " end"
	if got, want := Secret(in, s), "echo [redacted] end"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSecretShortOrEmpty(t *testing.T) {
	if got := Secret("abc+1 said abc+1", "abc+1"); got != "abc+1 said abc+1" {
		t.Errorf("a short value was redacted: %q", got)
	}
	if got := Secret("nothing to hide", ""); got != "nothing to hide" {
		t.Errorf("empty secret: %q", got)
	}
	if got := Secret("key 12345678 and 12345678", "12345678"); got != "key [redacted] and [redacted]" {
		t.Errorf("a whole secret of %d characters: %q", minWhole, got)
	}
}

// secretAlphabet holds the characters of Entra ID client secrets, old
// (base64) and new.
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-+/="

// FuzzSecret: whatever part of whichever form of a secret a message
// echoes, and however it is cut by a line break, no run of MinPiece
// characters of any form is left.
func FuzzSecret(f *testing.F) {
	f.Add([]byte(secret), "client_secret=", "&x", uint8(1), uint16(0), uint16(60), uint8(0))
	f.Add([]byte("abcdefghijklmnopqrstuvwx+yz12"), "", "", uint8(1), uint16(0), uint16(100), uint8(30))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaa"), "aaa", "aaa", uint8(0), uint16(3), uint16(9), uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, prefix, suffix string, form uint8, from, to uint16, cut uint8) {
		s := make([]byte, len(raw))
		for i, c := range raw {
			s[i] = secretAlphabet[int(c)%len(secretAlphabet)]
		}
		sec := string(s)
		all := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
		echoed := all[int(form)%len(all)]
		a, b := min(int(from), len(echoed)), min(int(to), len(echoed))
		echo := echoed[min(a, b):max(a, b)]
		if c := int(cut); c > 0 && c < len(echo) {
			echo = echo[:c] + "\n" + echo[c:]
		}
		msg := Secret(prefix+echo+suffix, sec)
		for _, f := range all {
			for i := 0; i+MinPiece <= len(f); i++ {
				if piece := f[i : i+MinPiece]; strings.Contains(msg, piece) && !strings.Contains(prefix+suffix, piece) {
					t.Fatalf("message %q holds %q of %q", msg, piece, f)
				}
			}
		}
	})
}
