package fakeapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// NewJWTKey returns a JWT-shaped API key (header.payload.signature, each
// base64url without padding) of about 760 characters, like the keys of the EA
// portal: header {"typ":"JWT","alg":"RS256"}, a payload whose "exp" is
// expires (omitted when expires is zero), and random bytes as signature, so
// that two keys with the same expiry differ.
func NewJWTKey(expires time.Time) string {
	var random [256 + 16]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never fails
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","x5t":"fakeapi-signing-key"}`))
	id := appendGUID(nil, beUint64(random[256:]), beUint64(random[264:]))
	payload := `{"EnrollmentNumber":"","Id":"` + string(id) + `","ReportView":"System",` +
		`"PartnerId":"","DepartmentId":"","AccountId":"","Scope":"Enrollment","iss":"ea.microsoftazure.com",` +
		`"aud":"client.ea.microsoftazure.com"`
	if !expires.IsZero() {
		nbf := expires.Add(-180 * 24 * time.Hour).Unix()
		payload += `,"exp":` + strconv.FormatInt(expires.Unix(), 10) + `,"nbf":` + strconv.FormatInt(nbf, 10)
	}
	payload += "}"
	return header + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(random[:256])
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// pickKey chooses a valid key from keys deterministically: the one that
// expires last (never-expiring first), ties broken by the key's text.
func pickKey(keys map[string]time.Time) string {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	best := ""
	for _, k := range names {
		if best == "" || laterExpiry(keys[k], keys[best]) {
			best = k
		}
	}
	return best
}

// laterExpiry orders expiries with zero (never) as the latest.
func laterExpiry(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return !b.IsZero()
	case b.IsZero():
		return false
	}
	return a.After(b)
}

// Key returns a key the server accepts: the generated one, or the one of
// Options.Keys that expires last. Once that key is revoked or expired, it
// returns the known key that expires last (which may itself have expired).
func (s *Server) Key() string {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.keys[s.primaryKey]; !ok || (!exp.IsZero() && !now.Before(exp)) {
		return pickKey(s.keys)
	}
	return s.primaryKey
}

// AddKey makes key acceptable until expires (zero: never).
func (s *Server) AddKey(key string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = expires
}

// RevokeKey makes key unacceptable.
func (s *Server) RevokeKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
}

// authorized checks the Authorization header: scheme "bearer" in any case,
// then a known key that has not expired at now.
func (s *Server) authorized(r *http.Request, now time.Time) bool {
	scheme, key, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	key = strings.TrimSpace(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, known := s.keys[key]
	return known && (exp.IsZero() || now.Before(exp))
}
