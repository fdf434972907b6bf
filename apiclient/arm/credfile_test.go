package arm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/boundedfile/boundedfiletest"
)

// TestCredentialFileNotRegularRefusedPromptly: a secret or certificate file
// that names a named pipe held New (start-up) in open(2) until a writer
// came; a device was read as a credential. Each is refused at once.
func TestCredentialFileNotRegularRefusedPromptly(t *testing.T) {
	for _, f := range boundedfiletest.NotRegular(t) {
		for _, kind := range []string{"client secret file", "client certificate file"} {
			t.Run(kind+" is a "+f.Name, func(t *testing.T) {
				cfg := Config{BillingAccount: testAccount, TenantID: testTenant, ClientID: testClient}
				if kind == "client secret file" {
					cfg.ClientSecretFile = f.Path
				} else {
					cfg.ClientCertificateFile = f.Path
				}
				err := newWithin(t, cfg)
				want := kind + ` "` + f.Path + `": ` + f.Want
				if !errors.Is(err, apiclient.ErrNoCredential) || !strings.Contains(err.Error(), want) {
					t.Fatalf("err %v, want ErrNoCredential with %q", err, want)
				}
			})
		}
	}
}

// TestSecretFileSymlinkAccepted: Kubernetes mounts a secret's keys as links
// to regular files.
func TestSecretFileSymlinkAccepted(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "..data-secret"), filepath.Join(dir, "client-secret")
	if err := os.WriteFile(target, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	secret, err := readSecret(link)
	if err != nil || secret != testSecret {
		t.Fatalf("readSecret through a link: %v", err)
	}
}

func TestSecretFileTooLargeSaysTheBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge")
	if err := os.WriteFile(path, []byte(strings.Repeat("s", maxCredentialFileBytes+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readSecret(path)
	if !errors.Is(err, apiclient.ErrNoCredential) || !strings.Contains(err.Error(), "larger than 1 MiB") ||
		strings.Contains(err.Error(), "ssssssss") {
		t.Fatalf("err %v", err)
	}
}

// newWithin calls New and fails the test if it has not returned in time.
func newWithin(t *testing.T, cfg Config) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := New(cfg)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("New is still reading the credential file")
		return nil
	}
}
