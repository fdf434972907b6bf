// Package redact removes a credential from text that a server, a proxy or
// another library wrote, before the text reaches an error or a log: the
// credential whole, in pieces, and in the URL-escaped forms in which a
// form body or a query carries it.
package redact

import (
	"net/url"
	"slices"
	"strings"
)

// Placeholder replaces what is redacted.
const Placeholder = "[redacted]"

// MinPiece is the shortest run of a secret's characters that is redacted
// where it appears without the rest: a server or proxy that echoes part of
// the secret (a header cut short, a secret split across lines) must not put
// that part in an error or a log.
const MinPiece = 16

// minWhole is the shortest secret replaced where it appears whole. Shorter
// values would match by chance and are no secret.
const minWhole = 8

// Secret redacts secret from s, as sent and as url.QueryEscape and
// url.PathEscape write it (a token request's form body holds the client
// secret query-escaped, and a server may echo that body): each form whole,
// and every stretch made of runs of MinPiece or more characters of any form.
func Secret(s, secret string) string {
	if secret == "" {
		return s
	}
	all := forms(secret)
	for _, form := range all {
		if len(form) >= minWhole {
			s = strings.ReplaceAll(s, form, Placeholder)
		}
	}
	return runs(s, all)
}

// forms returns secret's distinct URL-escaped forms, longest first (so
// that replacing one whole does not cut another up), then secret.
func forms(secret string) []string {
	var out []string
	for _, escaped := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		if escaped != secret && !slices.Contains(out, escaped) {
			out = append(out, escaped)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return append(out, secret)
}

// Pieces replaces each stretch of s made of runs of at least MinPiece
// characters of secret.
func Pieces(s, secret string) string { return runs(s, []string{secret}) }

// runs replaces each stretch of s made of runs of at least MinPiece
// characters of any of secrets. One pass over all of them: a stretch where
// one form's run meets another's is redacted whole, with no short end left.
func runs(s string, secrets []string) string {
	pieces := map[string]struct{}{}
	for _, secret := range secrets {
		for i := 0; i+MinPiece <= len(secret); i++ {
			pieces[secret[i:i+MinPiece]] = struct{}{}
		}
	}
	if len(pieces) == 0 || len(s) < MinPiece {
		return s
	}
	var b strings.Builder
	done, covered := 0, 0 // s[:done] is written; s[:covered] is a secret run
	for i := 0; i+MinPiece <= len(s); i++ {
		if _, ok := pieces[s[i:i+MinPiece]]; !ok {
			continue
		}
		if i > covered || covered == 0 {
			b.WriteString(s[done:i])
			b.WriteString(Placeholder)
		}
		covered = i + MinPiece
		done = covered
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}
