package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/arm"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// demo is the simulated enrollment --demo serves: fakeapi on a loopback port
// of its own, and a configuration that points at it with every dataset on.
type demo struct {
	cfg    *config.Config
	fake   *fakeapi.Server
	srv    *http.Server
	tlsSrv *httptest.Server
	keyDir string
	// httpClient trusts the simulated management API's certificate, for
	// the arm source.
	httpClient *http.Client
}

// demoKeyLifetime makes the demo key expire soon enough for the key expiry
// panel and alert to have something to say.
const demoKeyLifetime = 10 * 24 * time.Hour

func startDemo(ctx context.Context, logger log.Logger, source string) (*demo, error) {
	key := fakeapi.NewJWTKey(time.Now().Add(demoKeyLifetime))
	fake := fakeapi.New(fakeapi.Options{Keys: map[string]time.Time{key: time.Now().Add(demoKeyLifetime)}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &demo{fake: fake, srv: &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			level.Error(logger).Log("msg", "demo API stopped", "err", err)
		}
	}()
	// The key goes through a file like a real one: credentials never travel
	// in flags or the configuration itself.
	if d.keyDir, err = os.MkdirTemp("", "azure-ea-exporter-demo-"); err != nil {
		d.close()
		return nil, err
	}
	keyFile := filepath.Join(d.keyDir, "api-key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		d.close()
		return nil, err
	}
	yes := true
	e := config.Enrollment{
		Enrollment: fakeapi.DefaultEnrollment,
		APIKeyFile: keyFile,
		BaseURL:    "http://" + ln.Addr().String(),
		TagLabels:  []string{"env"},
		Datasets:   config.Datasets{PriceSheet: &yes},
		Budgets: []config.Budget{
			{Name: "enrollment-monthly", Amount: 60000},
			{Name: "engineering-monthly", Amount: 15000, ScopeType: config.ScopeDepartment, Scope: "Engineering"},
			{Name: "storage-monthly", Amount: 4000, ScopeType: config.ScopeMeterCategory, Scope: "Storage"},
		},
	}
	if source == config.SourceARM {
		if err := d.startARM(&e, keyFile); err != nil {
			d.close()
			return nil, err
		}
	}
	d.cfg, err = config.New(e)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	api := d.cfg.Enrollments[0].BaseURL
	if source == config.SourceARM {
		api = d.cfg.Enrollments[0].ARM.ManagementURL
	}
	level.Info(logger).Log("msg", "demo mode: serving a simulated enrollment", "source", source, "api", api)
	go func() {
		<-ctx.Done()
		d.close()
	}()
	return d, nil
}

// startARM serves the simulation's management.azure.com side, with its Entra
// ID token endpoint, over TLS on loopback (tokens never travel in the clear),
// and points e at it with the simulated service principal.
func (d *demo) startARM(e *config.Enrollment, keyFile string) error {
	d.tlsSrv = httptest.NewTLSServer(d.fake.ARMHandler())
	d.httpClient = d.tlsSrv.Client()
	tenant, client, secret := d.fake.ARMCredentials()
	secretFile := filepath.Join(filepath.Dir(keyFile), "client-secret")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		return err
	}
	// The simulation answers at once; the pacing and polling that protect
	// the real API's quotas would only make the demo slow.
	d.fake.SetARMOperations(fakeapi.ARMOperations{Polls: 1})
	e.Source, e.APIKeyFile, e.BaseURL = config.SourceARM, "", ""
	e.ARM = config.ARM{
		ManagementURL: d.tlsSrv.URL, AuthorityHost: d.tlsSrv.URL,
		TenantID: tenant, ClientID: client, ClientSecretFile: secretFile,
	}
	return nil
}

// tweakARM gives the arm client the demo's HTTP client, which trusts the
// simulated API's certificate, and fast polling.
func (d *demo) tweakARM(c *arm.Config) {
	c.HTTPClient = d.httpClient
	c.ScopeInterval = 50 * time.Millisecond
	c.MinPollInterval = 50 * time.Millisecond
}

func (d *demo) close() {
	if d.tlsSrv != nil {
		d.tlsSrv.Close()
	}
	_ = d.srv.Close()
	if d.keyDir != "" {
		_ = os.RemoveAll(d.keyDir)
	}
}
