package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// The tests of this file run the exporter binary against hostile or
// misbehaving APIs and check that the key goes nowhere but the API host:
// not to another host, not into any output.

// keyPieceLen is the shortest piece of a key that counts as a leak.
const keyPieceLen = 16

// findKey reports the first place where text holds key, or any run of
// keyPieceLen characters of its payload or signature (the JWT header is the
// same for every key and secret to no one).
func findKey(text, key string) (int, bool) {
	pieces := map[string]bool{}
	segments := strings.Split(key, ".")
	if len(segments) == 3 {
		segments = segments[1:]
	}
	for _, seg := range segments {
		for i := 0; i+keyPieceLen <= len(seg); i++ {
			pieces[seg[i:i+keyPieceLen]] = true
		}
	}
	for i := 0; i+keyPieceLen <= len(text); i++ {
		if pieces[text[i:i+keyPieceLen]] {
			return i, true
		}
	}
	return 0, false
}

// noKey fails the test when text, from where, holds the key or a piece of
// it. It never prints the key.
func noKey(t *testing.T, where, text, key string) {
	t.Helper()
	if i, ok := findKey(text, key); ok {
		t.Errorf("%s holds a piece of the key at byte %d of %d", where, i, len(text))
	}
}

// recordingHost is an httptest server that remembers the Authorization
// header of every request it gets.
type recordingHost struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newRecordingHost(t *testing.T, h http.Handler) *recordingHost {
	t.Helper()
	rh := &recordingHost{}
	rh.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rh.mu.Lock()
		rh.auth = append(rh.auth, r.Header.Get("Authorization"))
		rh.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(rh.Close)
	return rh
}

// requests returns how many requests came, and how many carried credentials.
func (rh *recordingHost) requests() (all, withAuth int) {
	rh.mu.Lock()
	defer rh.mu.Unlock()
	for _, a := range rh.auth {
		if a != "" {
			withAuth++
		}
	}
	return len(rh.auth), withAuth
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sample returns the value of the series of name whose labels include
// want, and whether there is one (none while the exporter is not up yet).
func sample(p *exporterProc, t *testing.T, name string, want map[string]string) (float64, bool) {
	t.Helper()
	code, body := p.get(t, "/metrics")
	if code != http.StatusOK {
		return 0, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	for _, m := range mfs[name].GetMetric() {
		match := 0
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; ok && v == lp.GetValue() {
				match++
			}
		}
		if match == len(want) {
			if m.Counter != nil {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// writeConfig writes a configuration file for one enrollment of fake.
func writeConfig(t *testing.T, path, keyFile, baseURL, extra string) {
	t.Helper()
	cfg := fmt.Sprintf("enrollments:\n  - enrollment: %q\n    api_key_file: %s\n    base_url: %s\n%s",
		fakeapi.DefaultEnrollment, keyFile, baseURL, extra)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestKeyStaysHome runs the exporter at debug level against an API that
// sends a nextLink to another host, answers one request 401 and redirects
// one to another host; then feeds /-/reload and SIGHUP a key file that
// cannot be sent and a broken file. The key must reach neither host nor
// any output, and the refusal must be counted.
func TestKeyStaysHome(t *testing.T) {
	t.Parallel()
	expiry := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	key := fakeapi.NewJWTKey(expiry)
	fake := fakeapi.New(fakeapi.Options{RowsPerDay: 20, Keys: map[string]time.Time{key: expiry}})
	foreign := newRecordingHost(t, http.NotFoundHandler())
	fake.SetForeignBaseURL(foreign.URL)
	elsewhere := newRecordingHost(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "[]")
	}))
	var redirected sync.Once
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(strings.ToLower(r.URL.Path), "/billingperiods") {
			done := false
			redirected.Do(func() {
				http.Redirect(w, r, elsewhere.URL+"/moved", http.StatusTemporaryRedirect)
				done = true
			})
			if done {
				return
			}
		}
		fake.ServeHTTP(w, r)
	}))
	defer api.Close()
	fake.Inject(fakeapi.RouteUsageDetails, fakeapi.FaultForeignNextLink)
	fake.Inject(fakeapi.RouteBalanceSummary, fakeapi.FaultUnauthorized)

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgFile, keyFile, api.URL, "")
	p := startExporter(t, nil, "--config.file="+cfgFile, "--refresh.interval=3s", "--log.level=debug")
	waitFor(t, 60*time.Second, "a refused nextLink, then every dataset refreshed", func() bool {
		refused, _ := sample(p, t, "azure_ea_api_refused_links_total", map[string]string{"endpoint": "usage_details"})
		up, _ := sample(p, t, "azure_ea_up", nil)
		return refused >= 1 && up == 1
	})
	if n, _ := foreign.requests(); n != 0 {
		t.Errorf("the foreign nextLink's host got %d requests", n)
	}
	if n, withAuth := elsewhere.requests(); n == 0 || withAuth != 0 {
		t.Errorf("the redirect target got %d requests, %d with credentials; want some, none with", n, withAuth)
	}
	if got, _ := sample(p, t, "azure_ea_api_key_expiry_timestamp_seconds", nil); got != float64(expiry.Unix()) {
		t.Errorf("azure_ea_api_key_expiry_timestamp_seconds = %v, want the key's exp %d", got, expiry.Unix())
	}
	logs := p.logs.String()
	for _, want := range []string{"API key rejected", "link points to another host", `msg="API request"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the debug log does not say %q", want)
		}
	}

	// A key file that cannot be sent, and then a file that is no YAML:
	// both keep the running configuration and say why, without the key.
	if err := os.WriteFile(keyFile, []byte(key+" "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := post(t, "http://"+p.addr+"/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "holds spaces") {
		t.Errorf("POST /-/reload with a bad key file: %d %q", code, body)
	}
	noKey(t, "the /-/reload error", body, key)
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, []byte("enrollments: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	failedBefore := strings.Count(p.logs.String(), "reload failed; keeping the running configuration")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "SIGHUP with a broken file logged", func() bool {
		return strings.Count(p.logs.String(), "reload failed; keeping the running configuration") > failedBefore
	})
	if v, _ := sample(p, t, "azure_ea_config_last_reload_successful", nil); v != 0 {
		t.Errorf("azure_ea_config_last_reload_successful = %v after a bad SIGHUP, want 0", v)
	}
	if up, _ := sample(p, t, "azure_ea_up", nil); up != 1 {
		t.Error("the running configuration stopped after bad reloads")
	}

	checkOutputs(t, p, key)
}

// checkOutputs greps everything the exporter shows for the key.
func checkOutputs(t *testing.T, p *exporterProc, key string) {
	t.Helper()
	for _, path := range []string{"/metrics", "/", "/-/healthy", "/-/ready", "/-/reload"} {
		_, body := p.get(t, path)
		noKey(t, "GET "+path, body, key)
	}
	noKey(t, "the exporter's output", p.logs.String(), key)
}

// TestReportFlowBlobWithoutKey runs the exporter with the asynchronous
// report flow, whose blobs live on another host: they are fetched, and
// without the key.
func TestReportFlowBlobWithoutKey(t *testing.T) {
	t.Parallel()
	var blobs http.Handler
	blobHost := newRecordingHost(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { blobs.ServeHTTP(w, r) }))
	fake := fakeapi.New(fakeapi.Options{BlobBaseURL: blobHost.URL + "/container"})
	blobs = fake.BlobHandler()
	fake.SetReportStates(fakeapi.ReportCompleted) // ready at the first poll, 10 s after the submit
	api := httptest.NewServer(fake)
	defer api.Close()
	keyFile := writeKey(t, fake.Key())
	p := startExporter(t, nil, "--ea.enrollment="+fakeapi.DefaultEnrollment, "--ea.api-key-file="+keyFile,
		"--ea.base-url="+api.URL, "--usage.method=async", "--usage.dimensions=department", "--refresh.interval=60s",
		"--log.level=debug")
	waitFor(t, 60*time.Second, "a report's blob fetched", func() bool {
		return strings.Contains(p.logs.String(), "endpoint=usage_blob status=200")
	})
	n, withAuth := blobHost.requests()
	if st := fake.Stats(); n == 0 || withAuth != 0 || st.AuthorizedBlobRequests != 0 || st.ReportsSubmitted == 0 {
		t.Errorf("blob host: %d requests, %d with credentials; fake: %d reports, %d authorized blob requests",
			n, withAuth, st.ReportsSubmitted, st.AuthorizedBlobRequests)
	}
	checkOutputs(t, p, fake.Key())
}

// TestKeyRotation rotates the key file under the running binary: the new
// key is used from the next refresh on; a key the API rejects is said so.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	expiry := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	oldKey := fakeapi.NewJWTKey(expiry)
	fake := fakeapi.New(fakeapi.Options{RowsPerDay: 20, Keys: map[string]time.Time{oldKey: expiry}})
	api := httptest.NewServer(fake)
	defer api.Close()
	keyFile := writeKey(t, oldKey)
	p := startExporter(t, nil, "--ea.enrollment="+fakeapi.DefaultEnrollment, "--ea.api-key-file="+keyFile,
		"--ea.base-url="+api.URL, "--usage.dimensions=department", "--refresh.interval=3s")
	p.waitUp(t, 60*time.Second)
	lastSuccess := func() float64 {
		v, _ := sample(p, t, "azure_ea_refresh_last_success_timestamp_seconds", map[string]string{"dataset": "balance_summary"})
		return v
	}
	succeedsAfter := func(what string, since time.Time) {
		t.Helper()
		waitFor(t, 60*time.Second, what, func() bool {
			up, _ := sample(p, t, "azure_ea_up", nil)
			return up == 1 && lastSuccess() > float64(since.UnixNano())/1e9
		})
	}

	// Rotation as the portal does it: the new key works at once, the old
	// one is revoked once the exporter has moved on.
	newExpiry := expiry.Add(180 * 24 * time.Hour)
	newKey := fakeapi.NewJWTKey(newExpiry)
	fake.AddKey(newKey, newExpiry)
	if err := os.WriteFile(keyFile, []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Refreshes run one at a time: the second to end after the write began
	// after it, so the old key is out of use when it is revoked.
	rotated := time.Now()
	succeedsAfter("a refresh ending after the rotation", rotated)
	succeedsAfter("a refresh begun after the rotation", time.Now())
	fake.RevokeKey(oldKey)
	revoked := time.Now()
	succeedsAfter("a refresh after the old key was revoked", revoked)
	if got, _ := sample(p, t, "azure_ea_api_key_expiry_timestamp_seconds", nil); got != float64(newExpiry.Unix()) {
		t.Errorf("key expiry %v after rotation, want %d", got, newExpiry.Unix())
	}
	if n := fake.Stats().Unauthorized; n != 0 {
		t.Errorf("%d requests were refused during the rotation", n)
	}

	// A rotation to a key the API does not know.
	badKey := fakeapi.NewJWTKey(newExpiry)
	if err := os.WriteFile(keyFile, []byte(badKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the rejected key reported", func() bool {
		up, _ := sample(p, t, "azure_ea_up", nil)
		return up == 0 && strings.Contains(p.logs.String(), "API key rejected")
	})
	var rejected []string
	for _, line := range strings.Split(p.logs.String(), "\n") {
		if strings.Contains(line, "API key rejected") {
			rejected = append(rejected, line)
		}
	}
	first := rejected[0]
	for _, want := range []string{"level=error", `msg="refresh failed; serving the last good data"`, "dataset=", "HTTP 401"} {
		if !strings.Contains(first, want) {
			t.Errorf("the rejected key's log line %q does not say %q", first, want)
		}
	}
	if cost, ok := sample(p, t, "azure_ea_usage_cost", nil); !ok || cost == 0 {
		t.Error("the last good data was dropped when the key was rejected")
	}
	if code, _ := p.get(t, "/-/healthy"); code != http.StatusOK {
		t.Error("the exporter is not healthy after the rotation")
	}
	for _, k := range []string{oldKey, newKey, badKey} {
		checkOutputs(t, p, k)
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key, and
// returns a pool that trusts it.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "azure-ea-exporter test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestWebConfigTLSAndBasicAuth serves /metrics over TLS with basic auth
// from --web.config.file: 401 without credentials or with wrong ones, 200
// with them, and no answer over plain HTTP.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	const user, password = "prometheus", "correct horse battery staple"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, []byte(fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  %s: %s\n",
		certFile, keyFile, user, hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, "--demo", "--web.config.file="+webCfg)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	request := func(method, path, user, pass string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "https://"+p.addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, 60*time.Second, "the demo's data over TLS with credentials", func() bool {
		code, body := request(http.MethodGet, "/metrics", user, password)
		return code == http.StatusOK && strings.Contains(body, `azure_ea_up{enrollment="`+fakeapi.DefaultEnrollment+`"} 1`)
	})
	for _, tc := range []struct {
		method, path, user, pass string
		want                     int
	}{
		{http.MethodGet, "/metrics", "", "", http.StatusUnauthorized},
		{http.MethodGet, "/metrics", user, "wrong", http.StatusUnauthorized},
		{http.MethodGet, "/metrics", "someone", password, http.StatusUnauthorized},
		{http.MethodGet, "/", "", "", http.StatusUnauthorized},
		{http.MethodPost, "/-/reload", "", "", http.StatusUnauthorized},
		{http.MethodGet, "/", user, password, http.StatusOK},
		{http.MethodGet, "/metrics", user, password, http.StatusOK},
	} {
		if code, body := request(tc.method, tc.path, tc.user, tc.pass); code != tc.want {
			t.Errorf("%s %s as %q: %d, want %d: %.200s", tc.method, tc.path, tc.user, code, tc.want, body)
		}
	}
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(b), "azure_ea_up") {
			t.Errorf("plain HTTP served metrics: %d", resp.StatusCode)
		}
	}
}
