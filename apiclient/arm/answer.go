package arm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// answerWatch shows every answer to a management call to the call that sent
// it, whatever its status: the transport hands back the headers of 2xx
// answers only, and a 401's WWW-Authenticate says how to get a token the API
// will take. Calls mark their requests with their mgmtAuth in the context;
// other requests (blob downloads) pass through untouched.
type answerWatch struct {
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (w answerWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if err == nil {
		if a, ok := req.Context().Value(answerKey{}).(*mgmtAuth); ok {
			a.answered(resp)
		}
	}
	return resp, err
}

// answerKey is the context key of the mgmtAuth whose answers a request's
// are.
type answerKey struct{}

// withAnswers marks the requests sent with ctx as a's.
func withAnswers(ctx context.Context, a *mgmtAuth) context.Context {
	return context.WithValue(ctx, answerKey{}, a)
}

// watchedClient returns the HTTP client of management calls and blob
// downloads: the configured one, or one with the transport's own defaults
// (the environment's proxy, bounded dial, TLS and header waits), with its
// answers watched.
func watchedClient(hc *http.Client) *http.Client {
	var out http.Client
	if hc != nil {
		out = *hc
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 3 * time.Minute
		tr.MaxIdleConnsPerHost = 4
		out.Transport = tr
	}
	if out.Transport == nil {
		out.Transport = http.DefaultTransport
	}
	out.Transport = answerWatch{next: out.Transport}
	return &out
}

// maxClaimsBytes bounds the claims of a challenge: they name a few claims.
const maxClaimsBytes = 16 << 10

// claimsChallenge returns the claims of a continuous access evaluation
// challenge, decoded (WWW-Authenticate: Bearer ..., error="insufficient_claims",
// claims="<base64 JSON>"), or "" when h has none that can be read.
func claimsChallenge(h http.Header) string {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		params := authParams(rest)
		encoded := params["claims"]
		if !strings.EqualFold(params["error"], "insufficient_claims") || encoded == "" || len(encoded) > maxClaimsBytes {
			continue
		}
		claims, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			claims, err = base64.RawStdEncoding.DecodeString(encoded)
		}
		if err == nil && json.Valid(claims) {
			return string(claims)
		}
	}
	return ""
}

// authParams reads a challenge's parameters (key="value" or key=token,
// separated by commas), with the keys in lower case.
func authParams(s string) map[string]string {
	params := map[string]string{}
	for {
		s = strings.TrimLeft(s, ", \t")
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return params
		}
		rest = strings.TrimLeft(rest, " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return params
			}
			value, s = rest[1:1+end], rest[2+end:]
		} else {
			value, s, _ = strings.Cut(rest, ",")
		}
		params[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(value)
	}
}

// answers is what the answers to a call's attempts said, as the watch
// records it.
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
