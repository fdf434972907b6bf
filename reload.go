package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/collector"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// reloader re-reads --config.file on SIGHUP and POST /-/reload. A file that
// fails to load, validate or start keeps the running configuration.
type reloader struct {
	f       *flags
	exp     *collector.Exporter
	logger  log.Logger
	mu      sync.Mutex // one reload at a time
	success prometheus.Gauge
	lastOK  prometheus.Gauge
}

func newReloader(f *flags, exp *collector.Exporter, logger log.Logger, reg prometheus.Registerer) *reloader {
	rl := &reloader{
		f: f, exp: exp, logger: logger,
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "azure_ea_config_last_reload_successful",
			Help: "1 when the last configuration (re)load succeeded, else 0 (the previous configuration keeps running).",
		}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "azure_ea_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last (re)loaded successfully.",
		}),
	}
	reg.MustRegister(rl.success, rl.lastOK)
	return rl
}

// apply switches to cfg and records the outcome.
func (rl *reloader) apply(cfg *config.Config) error {
	err := checkCredentials(cfg)
	if err == nil {
		err = rl.exp.Apply(cfg)
	}
	if err != nil {
		rl.success.Set(0)
		return err
	}
	rl.success.Set(1)
	rl.lastOK.SetToCurrentTime()
	return nil
}

// reload re-reads the configuration. Without --config.file there is nothing
// to re-read, and the credentials are read at every refresh anyway.
func (rl *reloader) reload() error {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.f.configFile == "" || rl.f.demo {
		level.Info(rl.logger).Log("msg", "reload requested; no --config.file to re-read")
		return nil
	}
	cfg, err := config.Load(rl.f.configFile)
	if err == nil {
		err = rl.apply(cfg)
	} else {
		rl.success.Set(0)
	}
	if err != nil {
		level.Error(rl.logger).Log("msg", "reload failed; keeping the running configuration", "err", err)
		return err
	}
	level.Info(rl.logger).Log("msg", "configuration reloaded", "enrollments", len(cfg.Enrollments))
	return nil
}

func (rl *reloader) watchSIGHUP(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = rl.reload()
		}
	}
}

// ServeHTTP handles POST /-/reload.
func (rl *reloader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "This endpoint requires a POST or PUT request.", http.StatusMethodNotAllowed)
		return
	}
	if err := rl.reload(); err != nil {
		http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "Reloaded.")
}
