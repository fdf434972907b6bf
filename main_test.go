package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/exporter-toolkit/web"

	dto "github.com/prometheus/client_model/go"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// binary is the exporter built once for the tests that run it.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func exporterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "azure-ea-exporter-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "azure-ea-exporter")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a process's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// exporterProc is a running exporter binary.
type exporterProc struct {
	addr string
	cmd  *exec.Cmd
	logs *syncBuffer
}

func startExporter(t *testing.T, env []string, args ...string) *exporterProc {
	t.Helper()
	p := &exporterProc{addr: freeAddr(t), logs: &syncBuffer{}}
	p.cmd = exec.Command(exporterBinary(t), append([]string{"--web.listen-address=" + p.addr}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("exporter output:\n%s", p.logs.String())
		}
	})
	return p
}

func (p *exporterProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape parses /metrics.
func (p *exporterProc) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := p.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// waitUp scrapes until azure_ea_up is 1 for every enrollment.
func (p *exporterProc) waitUp(t *testing.T, timeout time.Duration) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if code, _ := p.get(t, "/-/healthy"); code == http.StatusOK {
			mfs := p.scrape(t)
			if up := mfs["azure_ea_up"]; up != nil && len(up.Metric) > 0 {
				all := true
				for _, m := range up.Metric {
					all = all && m.GetGauge().GetValue() == 1
				}
				if all {
					return mfs
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("azure_ea_up did not become 1 within %s", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// contractMetrics are the metrics --demo must show: every metric of the
// contract (the demo turns the price sheet and budgets on).
var contractMetrics = []string{
	"azure_ea_credit_beginning_balance", "azure_ea_credit_new_purchases", "azure_ea_credit_adjustments",
	"azure_ea_credit_utilized", "azure_ea_credit_ending_balance", "azure_ea_overage_service_charges",
	"azure_ea_overage_billed_separately_charges", "azure_ea_overage_charges", "azure_ea_usage_charges",
	"azure_ea_marketplace_service_charges", "azure_ea_usage_cost", "azure_ea_usage_quantity",
	"azure_ea_usage_daily_cost", "azure_ea_usage_cost_forecast", "azure_ea_marketplace_cost",
	"azure_ea_usage_records", "azure_ea_usage_latest_day_timestamp_seconds",
	"azure_ea_price_unit_price", "azure_ea_price_included_quantity",
	"azure_ea_billing_period_start_timestamp_seconds", "azure_ea_billing_period_end_timestamp_seconds",
	"azure_ea_credit_exhaustion_timestamp_seconds",
	"azure_ea_budget_amount", "azure_ea_budget_cost", "azure_ea_budget_forecast_cost",
	"azure_ea_up", "azure_ea_refresh_success", "azure_ea_refresh_duration_seconds",
	"azure_ea_refresh_last_success_timestamp_seconds", "azure_ea_api_requests_total",
	"azure_ea_api_request_duration_seconds", "azure_ea_api_retries_total",
	"azure_ea_api_key_expiry_timestamp_seconds", "azure_ea_config_last_reload_successful",
	"azure_ea_exporter_build_info",
}

func TestDemoShowsEveryContractMetric(t *testing.T) {
	p := startExporter(t, nil, "--demo")
	mfs := p.waitUp(t, 60*time.Second)
	for _, name := range contractMetrics {
		if mf := mfs[name]; mf == nil || len(mf.Metric) == 0 {
			t.Errorf("--demo does not show %s", name)
		}
	}
	code, page := p.get(t, "/")
	if code != http.StatusOK || !strings.Contains(page, "Enrollment "+fakeapi.DefaultEnrollment) || !strings.Contains(page, "usage_details") {
		t.Errorf("landing page %d does not show the enrollment's refresh status:\n%s", code, page)
	}
	if strings.Contains(page, "eyJ") {
		t.Error("the landing page shows something that looks like the key")
	}
}

func TestDemoARMSource(t *testing.T) {
	p := startExporter(t, nil, "--demo", "--source=arm")
	mfs := p.waitUp(t, 60*time.Second)
	for _, name := range contractMetrics {
		if name == "azure_ea_api_key_expiry_timestamp_seconds" {
			continue // an Entra ID token, not an EA key
		}
		if mf := mfs[name]; mf == nil || len(mf.Metric) == 0 {
			t.Errorf("--demo --source=arm does not show %s", name)
		}
	}
	// Azure's own budgets come next to the configured ones.
	budgets := map[string]bool{}
	for _, m := range mfs["azure_ea_budget_amount"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "budget" {
				budgets[lp.GetValue()] = true
			}
		}
	}
	if len(budgets) <= 3 {
		t.Errorf("budgets %v: want the 3 configured ones and Azure's", budgets)
	}
	if mf := mfs["azure_ea_api_quota_remaining"]; mf == nil || len(mf.Metric) == 0 {
		t.Error("no azure_ea_api_quota_remaining from the management API")
	}
}

// writeKey writes key to a file only the owner can read.
func writeKey(t *testing.T, key string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(f, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBinaryAgainstFakeAPI(t *testing.T) {
	fake := fakeapi.New(fakeapi.Options{})
	api := httptest.NewServer(fake)
	defer api.Close()
	keyFile := writeKey(t, fake.Key())
	p := startExporter(t, nil,
		"--ea.enrollment="+fakeapi.DefaultEnrollment, "--ea.api-key-file="+keyFile,
		"--ea.base-url="+api.URL, "--usage.dimensions=department")
	mfs := p.waitUp(t, 60*time.Second)
	cur, _ := periodsNow()
	truth := fake.Truth(cur)
	got := map[string]float64{}
	for _, m := range mfs["azure_ea_usage_cost"].GetMetric() {
		l := map[string]string{}
		for _, lp := range m.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		if l["billing_period"] == cur {
			got[l["department"]] += m.GetGauge().GetValue()
		}
	}
	if len(got) != len(truth.CostByDepartment) {
		t.Errorf("departments %v, want %v", got, truth.CostByDepartment)
	}
	for dept, want := range truth.CostByDepartment {
		if d := got[dept] - want; d > 1e-6 || d < -1e-6 {
			t.Errorf("cost of %q = %v, want %v", dept, got[dept], want)
		}
	}
	// The key must not show in the logs.
	if strings.Contains(p.logs.String(), fake.Key()) {
		t.Error("the key appears in the exporter's output")
	}
}

func periodsNow() (cur, prev string) {
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.Format("200601"), first.AddDate(0, -1, 0).Format("200601")
}

// runExporter runs the binary to completion and returns its exit code and
// output.
func runExporter(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exporterBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	badCfg := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(badCfg, []byte("enrollments: [{enrollment: \"1\", dimensions: [colour]}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noKey := []string{"AZURE_EA_API_KEY="}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--no-such-flag"}, "unknown long flag '--no-such-flag'"},
		{"bad log level", []string{"--log.level=loud"}, "enum value must be one of debug,info,warn,error, got 'loud'"},
		{"no enrollment", nil, "no enrollment: set --ea.enrollment"},
		{"missing key file", []string{"--ea.enrollment=1", "--ea.api-key-file=" + filepath.Join(dir, "nope")}, "nope"},
		{"empty key file", []string{"--ea.enrollment=1", "--ea.api-key-file=" + empty}, "empty"},
		{"key file is a named pipe", []string{"--ea.enrollment=1", "--ea.api-key-file=" + fifo}, "not a regular file"},
		{"config file is a named pipe", []string{"--config.file=" + fifo}, "not a regular file"},
		{"no key at all", []string{"--ea.enrollment=1"}, "AZURE_EA_API_KEY"},
		{"bad config", []string{"--config.file=" + badCfg}, `dimensions[0]: unknown dimension \"colour\"`},
		{"bad dimension flag", []string{"--ea.enrollment=1", "--usage.dimensions=colour"}, `--usage.dimensions[0]: unknown dimension \"colour\"`},
		{"bad base url", []string{"--ea.enrollment=1", "--ea.base-url=ftp://x"}, `--ea.base-url: \"ftp://x\" must be an absolute http(s) URL`},
		{"flags of the flag-built enrollment with a config file", []string{"--config.file=" + badCfg, "--usage.method=csv", "--collect.price-sheet"}, "--collect.price-sheet, --usage.method cannot be combined with --config.file"},
		{"relative telemetry path", []string{"--web.telemetry-path=metrics"}, `--web.telemetry-path "metrics" must start with /`},
		{"telemetry path of the landing page", []string{"--web.telemetry-path=/"}, "landing page"},
		{"telemetry path of reload", []string{"--web.telemetry-path=/-/reload"}, "/-/ endpoints"},
		{"telemetry path pattern", []string{"--web.telemetry-path=/{x}"}, "braces"},
		{"bad listen address", []string{"--web.listen-address=nonsense"}, `--web.listen-address "nonsense" is not [host]:port`},
		{"bad listen port", []string{"--web.listen-address=:http-ish"}, `--web.listen-address ":http-ish"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runExporter(t, noKey, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; output:\n%s", code, exitUsage, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, out)
			}
			if n := strings.Count(strings.TrimSpace(out), "\n"); n > 0 {
				t.Errorf("want a one-line error, got %d lines:\n%s", n+1, out)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	keyFile := writeKey(t, "k")
	cfg := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(cfg, []byte("enrollments:\n  - enrollment: \"42\"\n    api_key_file: "+keyFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runExporter(t, nil, "--config.file="+cfg, "--config.check")
	if code != 0 || !strings.Contains(out, "configuration OK: 1 enrollment(s)") {
		t.Errorf("--config.check: exit %d, output %q", code, out)
	}
}

func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	fake := fakeapi.New(fakeapi.Options{})
	api := httptest.NewServer(fake)
	defer api.Close()
	keyFile := writeKey(t, fake.Key())
	cfgFile := filepath.Join(t.TempDir(), "c.yml")
	good := fmt.Sprintf("enrollments:\n  - enrollment: %q\n    api_key_file: %s\n    base_url: %s\n", fakeapi.DefaultEnrollment, keyFile, api.URL)
	if err := os.WriteFile(cfgFile, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, "--config.file="+cfgFile)
	p.waitUp(t, 60*time.Second)
	reloadOK := func() float64 {
		return p.scrape(t)["azure_ea_config_last_reload_successful"].GetMetric()[0].GetGauge().GetValue()
	}
	if v := reloadOK(); v != 1 {
		t.Fatalf("azure_ea_config_last_reload_successful = %v at start", v)
	}
	if err := os.WriteFile(cfgFile, []byte("enrollments: [{enrollment: nope}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+p.addr+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("POST /-/reload with a bad file: %d, want 500", resp.StatusCode)
	}
	if v := reloadOK(); v != 0 {
		t.Errorf("azure_ea_config_last_reload_successful = %v after a bad reload, want 0", v)
	}
	mfs := p.scrape(t)
	if up := mfs["azure_ea_up"]; up == nil || up.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Error("the running configuration stopped after a bad reload")
	}
	if !strings.Contains(p.logs.String(), "reload failed; keeping the running configuration") {
		t.Error("a bad reload was not logged")
	}
	// SIGHUP with the good file back restores success.
	if err := os.WriteFile(cfgFile, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for reloadOK() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP with a good file did not reload")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCheckListenAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{":9743", true}, {"127.0.0.1:9743", true}, {"[::1]:9743", true}, {"localhost:http", true},
		{"vsock://:9799", true}, // exporter-toolkit listens on vsock
		{"nonsense", false}, {":http-ish", false}, {"vsock://nonsense", false},
	} {
		addrs, systemd := []string{tc.addr}, false
		err := checkListenAddresses(&web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd})
		if (err == nil) != tc.ok {
			t.Errorf("checkListenAddresses(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
}
