package arm

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

func TestDisableInstanceDiscovery(t *testing.T) {
	tests := []struct {
		host string
		off  bool
	}{
		{"https://login.microsoftonline.com/", false},
		{"https://LOGIN.MicrosoftOnline.com", false},
		{"https://login.microsoftonline.us/", false},
		{"https://login.chinacloudapi.cn/", false},
		{"https://login.partner.microsoftonline.cn/", false},
		{"https://login.sovcloud-identity.fr/", false},
		{"https://sts.windows.net/", false},
		{"https://adfs.azurestack.local/", true},
		{"https://login.microsoftonline.com.evil.example/", true},
		{"https://login.microsoftonline.com:8443/", true},
		{"https://127.0.0.1:44321/", true},
		{"not a url at all", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := disableInstanceDiscovery(tt.host); got != tt.off {
			t.Errorf("disableInstanceDiscovery(%q) = %v, want %v", tt.host, got, tt.off)
		}
	}
}

func TestAuthorityHostPrecedence(t *testing.T) {
	env := func(string) string { return "https://adfs.example/" }
	public, _ := cloudOf("")
	china, _ := cloudOf("china")
	tests := []struct {
		name string
		cfg  Config
		cl   cloudConfig
		want string
	}{
		{"configured wins", Config{AuthorityHost: "https://a.example/", Cloud: "china", getenv: env}, china, "https://a.example/"},
		{"named cloud before the environment", Config{Cloud: "china", getenv: env}, china, "https://login.chinacloudapi.cn/"},
		{"environment", Config{getenv: env}, public, "https://adfs.example/"},
		{"public default", Config{getenv: func(string) string { return "" }}, public, "https://login.microsoftonline.com/"},
	}
	for _, tt := range tests {
		if got := authorityHost(tt.cfg, tt.cl); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	twoLines := filepath.Join(dir, "two")
	os.WriteFile(twoLines, []byte("a\nb\n"), 0o600)
	sp := func(c Config) Config {
		c.BillingAccount, c.TenantID, c.ClientID = "1", "t", "c"
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string
		is   error
	}{
		{"no billing account", Config{}, "BillingAccount", nil},
		{"path in billing account", Config{BillingAccount: "1/../2"}, "BillingAccount", nil},
		{"http management URL", Config{BillingAccount: "1", ManagementURL: "http://127.0.0.1"}, "https", nil},
		{"query in management URL", Config{BillingAccount: "1", ManagementURL: "https://m.example/?a=b"}, "query", nil},
		{"unknown cloud", Config{BillingAccount: "1", Cloud: "mars"}, "Cloud", nil},
		{"secret without tenant", Config{BillingAccount: "1", ClientSecretFile: empty}, "TenantID", nil},
		{"secret and certificate", sp(Config{ClientSecretFile: empty, ClientCertificateFile: empty}), "not both", nil},
		{"missing secret file", sp(Config{ClientSecretFile: filepath.Join(dir, "nope")}), "nope", apiclient.ErrNoCredential},
		{"empty secret file", sp(Config{ClientSecretFile: empty}), "empty", apiclient.ErrNoCredential},
		{"two-line secret file", sp(Config{ClientSecretFile: twoLines}), "more than one line", apiclient.ErrNoCredential},
		{"bad certificate file", sp(Config{ClientCertificateFile: twoLines}), "certificate", apiclient.ErrNoCredential},
		{"client id without a secret", sp(Config{}), "ClientID", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err %v, want one naming %s", err, tt.want)
			}
		})
	}
	// The default chain is built without a request.
	c, err := New(Config{BillingAccount: "8608480", Cloud: "usgovernment"})
	if err != nil {
		t.Fatal(err)
	}
	if c.base.String() != "https://management.usgovcloudapi.net" || c.tokens.scope != "https://management.core.usgovcloudapi.net//.default" {
		t.Errorf("US Government: endpoint %s, scope %s", c.base, c.tokens.scope)
	}
	c, err = New(Config{BillingAccount: "1", ManagementURL: "https://arm.stack.example:30024/", Audience: "https://arm.stack.example/abc"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.mgmtURL("/x", "v"); got != "https://arm.stack.example:30024/x?api-version=v" || c.tokens.scope != "https://arm.stack.example/abc/.default" {
		t.Errorf("private cloud: %s, scope %s", got, c.tokens.scope)
	}
}

func TestSecretNeverLeaks(t *testing.T) {
	f := newFakeARM(t)
	f.secretEcho = true
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, `{"properties":{}}`) })
	env := newTestEnv(t, f)
	_, err := env.c.BalanceSummary(context.Background(), "")
	var se *apiclient.StatusError
	if !errors.As(err, &se) || se.Endpoint != apiclient.EndpointToken || se.Code != http.StatusUnauthorized || !errors.Is(err, apiclient.ErrUnauthorized) {
		t.Fatalf("err %#v, want the token endpoint's 401", err)
	}
	if !strings.Contains(err.Error(), "invalid_client: AADSTS7000215: Invalid client secret provided") || strings.Contains(err.Error(), "Trace ID") {
		t.Errorf("err %q should carry Entra's message without its trace ids", err)
	}
	if !strings.Contains(err.Error(), "credential rejected by Entra ID") || strings.Contains(err.Error(), "API key") {
		t.Errorf("err %q should say the Entra credential was rejected, not an API key", err)
	}
	checkNoLeak(t, "the error", err.Error())
	checkNoLeak(t, "the error (%#v)", fmt.Sprintf("%#v %+v", err, env.c))
	if env.obs.requests[apiclient.EndpointToken] == 0 {
		t.Error("token requests were not observed")
	}

	// A working flow logs at debug level, and names no credential either.
	f.mu.Lock()
	f.secretEcho = false
	f.mu.Unlock()
	link := f.serveBlobFile("/armreports/part1.csv", "text/csv", blob1)
	f.scriptReport(t, accepted("1"), finished(completed(link)))
	if err := env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	logs := env.logs.String()
	if !strings.Contains(logs, "usage_report") {
		t.Errorf("no debug log of the polls: %q", logs)
	}
	checkNoLeak(t, "the log", logs)
	if strings.Contains(logs, "sig=") {
		t.Errorf("the log holds a SAS link: %s", logs)
	}
}

func TestTokenStaysOnManagementHost(t *testing.T) {
	f := newFakeARM(t)
	// A Location on the blob host must not be polled with the token.
	f.handle("POST "+reportPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", f.blobs.URL+resultPath+"op-1?api-version=2023-11-01")
		w.WriteHeader(http.StatusAccepted)
	})
	f.handle("GET "+accountPath+budgetsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"value":[],"nextLink":"`+f.blobs.URL+`/steal?api-version=1"}`)
	})
	env := newTestEnv(t, f)
	err := env.c.Usage(context.Background(), apiclient.UsageQuery{}, func(*apiclient.UsageRow) error { return nil })
	if !errors.Is(err, apiclient.ErrForeignHost) {
		t.Errorf("foreign Location: err %v, want ErrForeignHost", err)
	}
	if _, err := env.c.Budgets(context.Background()); !errors.Is(err, apiclient.ErrForeignHost) {
		t.Errorf("foreign nextLink: err %v, want ErrForeignHost", err)
	}
	if len(env.obs.refused) != 2 || f.blobCount() != 0 {
		t.Errorf("refused %q, blob requests %d", env.obs.refused, f.blobCount())
	}
}

func TestClientCertificateCredential(t *testing.T) {
	f := newFakeARM(t)
	f.handle("GET "+balancesPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"properties":{"totalUsage":2}}`)
	})
	certFile := writeTestCertificate(t)
	env := newTestEnv(t, f, func(c *Config) { c.ClientSecretFile, c.ClientCertificateFile = "", certFile })
	b, err := env.c.BalanceSummary(context.Background(), "")
	if err != nil || b == nil || b.TotalUsage != 2 {
		t.Fatalf("%+v, %v", b, err)
	}
}

// writeTestCertificate writes a self-signed certificate and its RSA key as
// PEM, the form ClientCertificateFile takes.
func writeTestCertificate(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "azure-ea-exporter test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	path := filepath.Join(t.TempDir(), "sp.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
