package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/loadtest/procstatus"
)

func numCPU() int { return runtime.NumCPU() }

// fakeAPI is fakeapi served on a loopback port.
type fakeAPI struct {
	*fakeapi.Server
	url string
	srv *http.Server
}

func serveFake(opts fakeapi.Options) (*fakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeAPI{Server: fakeapi.New(opts), url: "http://" + ln.Addr().String()}
	f.srv = &http.Server{Handler: f.Server, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *fakeAPI) close() { f.srv.Close() }

// writeSetup writes the fake's key and an exporter configuration for it:
// the usage dimensions dims (nil: the default) and usage_method method
// ("": the default).
func writeSetup(work, name string, f *fakeAPI, dims []string, method string) (string, error) {
	keyFile := filepath.Join(work, name+".key")
	if err := os.WriteFile(keyFile, []byte(f.Key()), 0o600); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "enrollments:\n  - enrollment: %q\n    api_key_file: %q\n    base_url: %q\n", f.Enrollment(), keyFile, f.url)
	if len(dims) > 0 {
		fmt.Fprintf(&b, "    dimensions: [%s]\n", strings.Join(dims, ", "))
	}
	if method != "" {
		fmt.Fprintf(&b, "    usage_method: %s\n", method)
	}
	cfg := filepath.Join(work, name+".yml")
	return cfg, os.WriteFile(cfg, []byte(b.String()), 0o600)
}

// exporterProc is a running exporter.
type exporterProc struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	log     *os.File
	started time.Time
	client  *http.Client
	// rss samples the exporter's memory, when asked for, until the
	// caller stops it.
	rss *rssSampler
}

// startExporter runs bin with cfg on a free loopback port and waits until
// it answers. With sampleMemory, p.rss samples its memory from the start.
func startExporter(ctx context.Context, bin, cfg, logPath string, interval time.Duration, sampleMemory bool) (*exporterProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "--config.file="+cfg, "--web.listen-address="+addr, "--refresh.interval="+interval.String())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := &exporterProc{cmd: cmd, url: "http://" + addr, logPath: logPath, log: logFile,
		client: &http.Client{Timeout: 2 * time.Minute}}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting the exporter: %w", err)
	}
	if sampleMemory {
		p.rss = sampleRSS(cmd.Process.Pid, rssPeriod)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := p.get(ctx, "/-/healthy"); err == nil {
			return p, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("the exporter did not answer within 30s (log %s)", logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (p *exporterProc) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return body, err
}

// stop ends the exporter (SIGTERM, then SIGKILL after 10s).
func (p *exporterProc) stop() {
	defer p.log.Close()
	if p.rss != nil {
		_, _ = p.rss.stop() // a no-op once the caller has stopped it
	}
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// peakRSS is the exporter's peak resident set size so far (VmHWM).
func (p *exporterProc) peakRSS() (int64, error) {
	m, err := procstatus.Read(p.cmd.Process.Pid)
	return m.HWM, err
}

// datasetRow is one dataset's line of the landing page.
type datasetRow struct {
	state       string // pending, ok or fail
	duration    time.Duration
	lastSuccess string
}

var landingRow = regexp.MustCompile(`<td>(\w+)</td>\s*<td><span class="(\w+)">[^<]*</span></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>`)

// parseLanding reads the dataset rows of the exporter's landing page.
func parseLanding(page []byte) (map[string]datasetRow, error) {
	rows := map[string]datasetRow{}
	for _, m := range landingRow.FindAllSubmatch(page, -1) {
		r := datasetRow{state: string(m[2]), lastSuccess: string(m[4])}
		if d := strings.TrimSpace(string(m[3])); d != "" {
			var err error
			if r.duration, err = time.ParseDuration(d); err != nil {
				return nil, fmt.Errorf("landing page: duration %q: %w", d, err)
			}
		}
		rows[string(m[1])] = r
	}
	if len(rows) == 0 {
		return nil, errors.New("landing page: no dataset rows")
	}
	return rows, nil
}

// waitRefresh waits until every dataset has refreshed successfully after
// the refresh whose rows are before (nil: the first refresh), and returns
// the new rows.
func (p *exporterProc) waitRefresh(ctx context.Context, before map[string]datasetRow, timeout time.Duration) (map[string]datasetRow, error) {
	deadline := time.Now().Add(timeout)
	for {
		page, err := p.get(ctx, "/")
		if err != nil {
			return nil, err
		}
		rows, err := parseLanding(page)
		if err != nil {
			return nil, err
		}
		if done, err := refreshed(rows, before); done || err != nil {
			if err != nil {
				err = fmt.Errorf("%w (log %s)", err, p.logPath)
			}
			return rows, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no complete refresh within %s (log %s)", timeout, p.logPath)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// refreshed reports whether rows show a complete refresh after before.
func refreshed(rows, before map[string]datasetRow) (bool, error) {
	for name, r := range rows {
		switch {
		case r.state == "fail":
			return false, fmt.Errorf("the %s refresh failed", name)
		case r.state != "ok":
			return false, nil
		case before != nil && r.lastSuccess == before[name].lastSuccess:
			return false, nil
		}
	}
	return true, nil
}

// scrape reads /metrics as Prometheus does (its Accept header, gzip unless
// told otherwise) and returns the body size as sent. A compressed body is
// not decompressed: the scrapers share the machine with the exporter.
func (p *exporterProc) scrape(ctx context.Context, c *http.Client, gzip bool) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("/metrics: HTTP %d", resp.StatusCode)
	}
	return n, err
}

// usageFigures are what one scrape says of the usage data.
type usageFigures struct {
	series int // azure_ea_usage_cost and azure_ea_usage_quantity samples
	rows   float64
	cost   float64
}

// parseUsage reads the usage figures from a text exposition.
func parseUsage(r io.Reader) (usageFigures, error) {
	var u usageFigures
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, _, _ := strings.Cut(line, "{")
		if name != "azure_ea_usage_cost" && name != "azure_ea_usage_quantity" && name != "azure_ea_usage_records" {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return u, fmt.Errorf("sample %q: %w", line, err)
		}
		switch name {
		case "azure_ea_usage_records":
			u.rows += v
		case "azure_ea_usage_cost":
			u.cost += v
			u.series++
		default:
			u.series++
		}
	}
	return u, sc.Err()
}
