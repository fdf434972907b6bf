package arm

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// maxClaimsBytes bounds the claims of a challenge: they name a few claims.
const maxClaimsBytes = 16 << 10

// claimsChallenge returns the claims of a continuous access evaluation
// challenge, decoded (WWW-Authenticate: Bearer ..., error="insufficient_claims",
// claims="<base64 JSON>"), or "" when h has none that can be read. Every
// challenge of every value counts: Resource Manager sends several in one
// value (PoP ..., Bearer ...).
func claimsChallenge(h http.Header) string {
	for _, v := range h.Values("WWW-Authenticate") {
		for _, ch := range parseChallenges(v) {
			if claims := bearerClaims(ch); claims != "" {
				return claims
			}
		}
	}
	return ""
}

// bearerClaims returns the decoded claims of a Bearer insufficient_claims
// challenge, or "".
func bearerClaims(ch challenge) string {
	encoded := ch.params["claims"]
	if !strings.EqualFold(ch.scheme, "Bearer") || !strings.EqualFold(ch.params["error"], "insufficient_claims") ||
		encoded == "" || len(encoded) > maxClaimsBytes {
		return ""
	}
	claims, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		claims, err = base64.RawStdEncoding.DecodeString(encoded)
	}
	if err != nil || !json.Valid(claims) {
		return ""
	}
	return string(claims)
}

// challenge is one challenge of a WWW-Authenticate value: its scheme and
// its auth-params, with the keys in lower case.
type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges reads the challenges of a WWW-Authenticate value
// (RFC 7235: challenges separated by commas, each a scheme followed by
// auth-params key=token or key="quoted", themselves separated by commas).
// A word not followed by "=" starts the next challenge; a token68 (as of
// Basic or Negotiate) is read as a challenge or a parameter and does no
// harm. It stops at an unterminated quoted string.
func parseChallenges(s string) []challenge {
	var out []challenge
	for {
		s = strings.TrimLeft(s, ", \t")
		if s == "" {
			return out
		}
		end := strings.IndexAny(s, ", \t=")
		if end < 0 {
			end = len(s)
		}
		word, rest := s[:end], s[end:]
		after := strings.TrimLeft(rest, " \t")
		switch {
		case word == "":
			s = s[1:] // a stray "="
		case len(out) > 0 && strings.HasPrefix(after, "="):
			value, next, ok := paramValue(strings.TrimLeft(after[1:], " \t"))
			if !ok {
				return out
			}
			out[len(out)-1].params[strings.ToLower(word)] = value
			s = next
		default:
			out = append(out, challenge{scheme: word, params: map[string]string{}})
			s = rest
		}
	}
}

// paramValue reads an auth-param's value at the start of s, a quoted string
// (with backslash escapes) or a token, and returns it and what follows; ok
// is false for an unterminated quoted string.
func paramValue(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexAny(s, ", \t")
		if end < 0 {
			end = len(s)
		}
		return s[:end], s[end:], true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// answers is what the answers to a call's attempts said.
type answers struct {
	mu sync.Mutex
	// claims are the last 401's challenge claims, "" when it had none.
	claims string
}

func (an *answers) record(resp *http.Response) {
	if resp.StatusCode != http.StatusUnauthorized {
		return
	}
	claims := claimsChallenge(resp.Header)
	an.mu.Lock()
	defer an.mu.Unlock()
	an.claims = claims
}

func (an *answers) challenge() string {
	an.mu.Lock()
	defer an.mu.Unlock()
	return an.claims
}
