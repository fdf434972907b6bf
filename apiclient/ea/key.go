package ea

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/boundedfile"
)

// maxKeyBytes bounds the key file read: real keys are about 760 bytes, and
// a key file that grew by mistake must not be read whole.
const maxKeyBytes = 64 << 10

// bearerKey authorizes requests with an EA API key. It holds the header's
// value, made once per call rather than once per page; net/http never
// changes a header value it is given.
type bearerKey struct{ header []string }

func newBearerKey(key string) *bearerKey { return &bearerKey{header: []string{"bearer " + key}} }

// Authorize implements transport.Authorizer.
func (k *bearerKey) Authorize(_ context.Context, req *http.Request) error {
	req.Header["Authorization"] = k.header
	return nil
}

// String keeps the key out of anything that prints the value.
func (*bearerKey) String() string { return "[EA API key]" }

// GoString keeps the key out of %#v.
func (*bearerKey) GoString() string { return "[EA API key]" }

// authorizer reads the key for one call. Errors name the file or variable,
// never the content.
func (c *Client) authorizer() (transport.Authorizer, error) {
	key, err := c.readKey()
	if err != nil {
		return nil, err
	}
	return newBearerKey(key), nil
}

func (c *Client) readKey() (string, error) {
	source := "environment variable " + EnvAPIKey
	var raw string
	if c.cfg.KeyFile == "" {
		raw = c.cfg.getenv(EnvAPIKey)
	} else {
		source = fmt.Sprintf("key file %q", c.cfg.KeyFile)
		b, err := boundedfile.Read(c.cfg.KeyFile, maxKeyBytes)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", apiclient.ErrNoCredential, source, err)
		}
		raw = string(b)
	}
	key := cleanKey(raw)
	switch {
	case key == "":
		return "", fmt.Errorf("%w: %s is empty or unset", apiclient.ErrNoCredential, source)
	case strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || r < 0x21 || r > 0x7e }) >= 0:
		return "", fmt.Errorf("%w: %s holds spaces, line breaks or characters that cannot be sent in a header",
			apiclient.ErrNoCredential, source)
	}
	return key, nil
}

// cleanKey trims space, a byte order mark, and a pasted "bearer " scheme.
func cleanKey(raw string) string {
	key := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), "\ufeff"))
	if len(key) > 7 && strings.EqualFold(key[:7], "bearer ") {
		key = strings.TrimSpace(key[7:])
	}
	return key
}

// CredentialExpiry returns the expiry (the exp claim) of the key currently
// in the key file or environment, when the key is a JWT. The signature is
// not verified: the time is only reported.
func (c *Client) CredentialExpiry() (time.Time, bool) {
	key, err := c.readKey()
	if err != nil {
		return time.Time{}, false
	}
	return jwtExpiry(key)
}

// jwtExpiry decodes the exp claim of a JWT's payload (base64url, with or
// without padding).
func jwtExpiry(key string) (time.Time, bool) {
	parts := strings.Split(key, ".")
	if len(key) > maxKeyBytes || len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.RawMessage `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || len(claims.Exp) == 0 {
		return time.Time{}, false
	}
	secs, err := strconv.ParseFloat(strings.Trim(string(claims.Exp), `"`), 64)
	// Beyond year 9999 is no expiry anyone could mean.
	if err != nil || !(secs > 0) || secs > 253402300799 {
		return time.Time{}, false
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC(), true
}
