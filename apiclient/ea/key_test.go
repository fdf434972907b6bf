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
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/boundedfile/boundedfiletest"
)

// TestKeyFileNotRegularRefusedPromptly: a key file that names a named pipe
// held the first call in open(2) until a writer came, for ever at start-up;
// a device was read as a key. Each is refused at once, naming the file.
func TestKeyFileNotRegularRefusedPromptly(t *testing.T) {
	for _, tt := range boundedfiletest.NotRegular(t) {
		t.Run(tt.Name, func(t *testing.T) {
			hs := newHarness(t, jsonReply("[]"), func(c *Config) { c.KeyFile = tt.Path })
			done := make(chan error, 1)
			go func() {
				_, err := hs.BillingPeriods(context.Background())
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the call is still reading the key file")
			}
			want := "key file " + `"` + tt.Path + `": ` + tt.Want
			if !errors.Is(err, apiclient.ErrNoCredential) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err %v, want ErrNoCredential with %q", err, want)
			}
			if len(hs.requests()) != 0 {
				t.Error("a request was sent without a key")
			}
		})
	}
}

// TestKeyFileSymlinkAccepted: Kubernetes mounts a secret's keys as links
// to regular files.
func TestKeyFileSymlinkAccepted(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "..data-key"), filepath.Join(dir, "key")
	writeFile(t, target, testKey+"\n")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t, jsonReply("[]"), func(c *Config) { c.KeyFile = link })
	if _, err := hs.BillingPeriods(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := hs.requests()[0].auth; got != "bearer "+testKey {
		t.Errorf("Authorization %q", got)
	}
}

func TestKeyFileTooLargeSaysTheBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge")
	writeFile(t, path, strings.Repeat("a", maxKeyBytes+1))
	hs := newHarness(t, jsonReply("[]"), func(c *Config) { c.KeyFile = path })
	_, err := hs.BillingPeriods(context.Background())
	if !errors.Is(err, apiclient.ErrNoCredential) || !strings.Contains(err.Error(), "larger than 64 KiB") ||
		strings.Contains(err.Error(), "aaaaaaaa") {
		t.Fatalf("err %v", err)
	}
}
