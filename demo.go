package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// demo is the simulated enrollment --demo serves: fakeapi on a loopback port
// of its own, and a configuration that points at it with every dataset on.
type demo struct {
	cfg    *config.Config
	srv    *http.Server
	keyDir string
}

// demoKeyLifetime makes the demo key expire soon enough for the key expiry
// panel and alert to have something to say.
const demoKeyLifetime = 10 * 24 * time.Hour

func startDemo(ctx context.Context, logger log.Logger) (*demo, error) {
	key := fakeapi.NewJWTKey(time.Now().Add(demoKeyLifetime))
	fake := fakeapi.New(fakeapi.Options{Keys: map[string]time.Time{key: time.Now().Add(demoKeyLifetime)}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &demo{srv: &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}}
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
	d.cfg, err = config.New(config.Enrollment{
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
	})
	if err != nil {
		d.close()
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	level.Info(logger).Log("msg", "demo mode: serving a simulated enrollment", "api", d.cfg.Enrollments[0].BaseURL)
	go func() {
		<-ctx.Done()
		d.close()
	}()
	return d, nil
}

func (d *demo) close() {
	_ = d.srv.Close()
	if d.keyDir != "" {
		_ = os.RemoveAll(d.keyDir)
	}
}
