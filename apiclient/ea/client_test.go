package ea

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no enrollment", Config{}, "Enrollment"},
		{"letters in enrollment", Config{Enrollment: "12a4"}, "Enrollment"},
		{"path in enrollment", Config{Enrollment: "1/../2"}, "Enrollment"},
		{"relative base URL", Config{Enrollment: "1", BaseURL: "consumption.azure.com"}, "BaseURL"},
		{"ftp base URL", Config{Enrollment: "1", BaseURL: "ftp://consumption.azure.com"}, "BaseURL"},
		{"query in base URL", Config{Enrollment: "1", BaseURL: "https://consumption.azure.com/?a=b"}, "BaseURL"},
		{"fragment in base URL", Config{Enrollment: "1", BaseURL: "https://consumption.azure.com/#x"}, "BaseURL"},
		{"user in base URL", Config{Enrollment: "1", BaseURL: "https://u:p@consumption.azure.com"}, "BaseURL"},
		{"no host", Config{Enrollment: "1", BaseURL: "https:///v3"}, "BaseURL"},
		{"unparsable", Config{Enrollment: "1", BaseURL: "https://[::1"}, "BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one naming %s", err, tt.want)
			}
		})
	}
	c, err := New(Config{Enrollment: "8608480"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.apiURL("v3", "/usagedetails", nil); got != "https://consumption.azure.com/v3/enrollments/8608480/usagedetails" {
		t.Errorf("default URL %s", got)
	}
	c, err = New(Config{Enrollment: "1", BaseURL: "http://127.0.0.1:8080/mirror/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.apiURL("v2", "/billingperiods", nil); got != "http://127.0.0.1:8080/mirror/v2/enrollments/1/billingperiods" {
		t.Errorf("prefixed URL %s", got)
	}
}

func TestKeyErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content *string // nil: no file
		want    string
	}{
		{"missing file", nil, "no such file"},
		{"empty file", ptr(""), "is empty or unset"},
		{"blank file", ptr(" \n\t\n"), "is empty or unset"},
		{"two lines", ptr(testKey + "\n" + testKey), "line breaks"},
		{"control character", ptr(testKey + "\x00"), "cannot be sent in a header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if tt.content != nil {
				writeFile(t, path, *tt.content)
			}
			hs := newHarness(t, jsonReply("[]"), func(c *Config) { c.KeyFile = path })
			_, err := hs.BillingPeriods(context.Background())
			if !errors.Is(err, apiclient.ErrNoCredential) || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), path) {
				t.Fatalf("err %v, want ErrNoCredential naming %s and %q", err, path, tt.want)
			}
			noSecret(t, err)
			if len(hs.requests()) != 0 {
				t.Errorf("a request was sent without a key")
			}
		})
	}
	t.Run("key file is a directory", func(t *testing.T) {
		hs := newHarness(t, jsonReply("[]"), func(c *Config) { c.KeyFile = dir })
		if _, err := hs.BillingPeriods(context.Background()); !errors.Is(err, apiclient.ErrNoCredential) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("huge key file", func(t *testing.T) {
		path := filepath.Join(dir, "huge")
		writeFile(t, path, strings.Repeat("a", maxKeyBytes+1))
		hs := newHarness(t, jsonReply("[]"), func(c *Config) { c.KeyFile = path })
		if _, err := hs.BillingPeriods(context.Background()); !errors.Is(err, apiclient.ErrNoCredential) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("unset environment variable", func(t *testing.T) {
		hs := newHarness(t, jsonReply("[]"), func(c *Config) {
			c.KeyFile = ""
			c.getenv = func(string) string { return "" }
		})
		_, err := hs.BillingPeriods(context.Background())
		if !errors.Is(err, apiclient.ErrNoCredential) || !strings.Contains(err.Error(), EnvAPIKey) {
			t.Fatalf("err %v", err)
		}
	})
}

func ptr(s string) *string { return &s }

func TestKeySources(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"trailing newline", testKey + "\r\n"},
		{"byte order mark", "\ufeff" + testKey},
		{"pasted scheme", "Bearer " + testKey + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, jsonReply("[]"), nil)
			writeFile(t, hs.keyFile, tt.content)
			if _, err := hs.BillingPeriods(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := hs.requests()[0].auth; got != "bearer "+testKey {
				t.Errorf("Authorization %q", got)
			}
		})
	}
	t.Run("environment", func(t *testing.T) {
		hs := newHarness(t, jsonReply("[]"), func(c *Config) {
			c.KeyFile = ""
			c.getenv = func(name string) string {
				if name == EnvAPIKey {
					return " envkey123 \n"
				}
				return ""
			}
		})
		if _, err := hs.BillingPeriods(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := hs.requests()[0].auth; got != "bearer envkey123" {
			t.Errorf("Authorization %q", got)
		}
	})
}

func TestKeyRotationPickedUp(t *testing.T) {
	hs := newHarness(t, jsonReply("[]"), nil)
	ctx := context.Background()
	if _, err := hs.BillingPeriods(ctx); err != nil {
		t.Fatal(err)
	}
	rotated := filepath.Join(filepath.Dir(hs.keyFile), "new")
	writeFile(t, rotated, "rotated-key-2\n")
	// Rename over the old file, as secret mounts and editors do.
	if err := os.Rename(rotated, hs.keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.BillingPeriods(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := hs.requests()
	if len(reqs) != 2 || reqs[0].auth != "bearer "+testKey || reqs[1].auth != "bearer rotated-key-2" {
		t.Errorf("keys sent: %+v", reqs)
	}
}

func TestUnauthorizedNotRetried(t *testing.T) {
	hs := newHarness(t, reply(401, "application/json", `{"error":{"code":"401","message":"Token expired"}}`), nil)
	_, err := hs.BillingPeriods(context.Background())
	if !errors.Is(err, apiclient.ErrUnauthorized) || !strings.Contains(err.Error(), "API key rejected: expired or revoked?") {
		t.Fatalf("err %v", err)
	}
	if len(hs.requests()) != 1 || len(hs.rec.retryReasons()) != 0 {
		t.Errorf("401 retried: %d requests", len(hs.requests()))
	}
	noSecret(t, err)
}

func TestCredentialExpiry(t *testing.T) {
	exp := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	hs := newHarness(t, jsonReply("[]"), nil)
	if got, ok := hs.CredentialExpiry(); !ok || !got.Equal(exp) {
		t.Errorf("CredentialExpiry = %v, %v; want %v", got, ok, exp)
	}
	writeFile(t, hs.keyFile, "opaque-key")
	if _, ok := hs.CredentialExpiry(); ok {
		t.Error("expiry of a key that is no JWT")
	}
	os.Remove(hs.keyFile)
	if _, ok := hs.CredentialExpiry(); ok {
		t.Error("expiry without a key")
	}
}

func TestJWTExpiry(t *testing.T) {
	const header = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"
	tests := []struct {
		name    string
		payload string // base64url of the claims
		want    int64  // 0: no expiry
	}{
		{"integer", "eyJleHAiOjE3MzU2ODk2MDB9", 1735689600},       // {"exp":1735689600}
		{"padded", "eyJleHAiOjE3MzU2ODk2MDB9==", 1735689600},      // same, with padding
		{"float", "eyJleHAiOjEuNzM1Njg5NmU5fQ", 1735689600},       // {"exp":1.7356896e9}
		{"string", "eyJleHAiOiIxNzM1Njg5NjAwIn0", 1735689600},     // {"exp":"1735689600"}
		{"url alphabet", "eyJhIjoiPz8_Pz4-IiwiZXhwIjoxMDB9", 100}, // {"a":"???>>","exp":100}
		{"no exp", "eyJzdWIiOiJ4In0", 0},                          // {"sub":"x"}
		{"negative", "eyJleHAiOi0xfQ", 0},                         // {"exp":-1}
		{"far future", "eyJleHAiOjFlMjB9", 0},                     // {"exp":1e20}
		{"not JSON", "bm90IGpzb24", 0},                            // not json
		{"not base64", "!!!", 0},                                  //
		{"exp is an object", "eyJleHAiOnsiYSI6MX19", 0},           // {"exp":{"a":1}}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := jwtExpiry(header + "." + tt.payload + ".sig")
			if ok != (tt.want != 0) || (ok && got.Unix() != tt.want) {
				t.Errorf("jwtExpiry = %v, %v; want %d", got, ok, tt.want)
			}
		})
	}
	for _, key := range []string{"", "opaque", "a.b", "a.b.c.d", header + ".."} {
		if _, ok := jwtExpiry(key); ok {
			t.Errorf("jwtExpiry(%q) found an expiry", key)
		}
	}
}
