package arm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// TestCredentialFileNotRegularRefusedPromptly: a secret or certificate file
// that names a named pipe held New (start-up) in open(2) until a writer
// came; a device was read as a credential. Each is refused at once.
func TestCredentialFileNotRegularRefusedPromptly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	type fileCase struct{ name, path, want string }
	files := []fileCase{
		{"named pipe", fifo, "not a regular file (a named pipe)"},
		{"directory", dir, "not a regular file (a directory)"},
	}
	if info, err := os.Stat(os.DevNull); err == nil && info.Mode()&fs.ModeCharDevice != 0 {
		files = append(files, fileCase{"character device", os.DevNull, "not a regular file (a device)"})
	}
	for _, f := range files {
		for _, kind := range []string{"client secret file", "client certificate file"} {
			t.Run(kind+" is a "+f.name, func(t *testing.T) {
				cfg := Config{BillingAccount: testAccount, TenantID: testTenant, ClientID: testClient}
				if kind == "client secret file" {
					cfg.ClientSecretFile = f.path
				} else {
					cfg.ClientCertificateFile = f.path
				}
				err := newWithin(t, cfg)
				want := kind + ` "` + f.path + `": ` + f.want
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
