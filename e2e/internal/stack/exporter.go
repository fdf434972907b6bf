package stack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/internal/proc"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// StartExporter starts the exporter binary with configYAML as its
// --config.file, refreshing every refresh.
func StartExporter(t testing.TB, binary string, configYAML []byte, refresh time.Duration) *proc.Process {
	t.Helper()
	path := filepath.Join(t.TempDir(), "azure-ea-exporter.yml")
	if err := os.WriteFile(path, configYAML, 0o600); err != nil {
		t.Fatalf("writing the exporter config: %v", err)
	}
	return proc.StartServer(t, proc.Server{
		Name: "azure-ea-exporter",
		Args: func(addr string) []string {
			return []string{
				binary,
				"--config.file=" + path,
				"--web.listen-address=" + addr,
				"--refresh.interval=" + refresh.String(),
			}
		},
		ReadyPath: "/-/healthy",
		Timeout:   30 * time.Second,
	})
}

// Scrape returns the exporter's /metrics page.
func Scrape(ctx context.Context, exporter *proc.Process) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, exporter.URL()+"/metrics", nil)
	if err != nil {
		return "", fmt.Errorf("scraping the exporter: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("scraping the exporter: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("scraping the exporter: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("scraping the exporter: %s: %.500s", resp.Status, body)
	}
	return string(body), nil
}

// WaitUp scrapes the exporter until azure_ea_up is 1 for every enrollment
// listed, that is until the first refresh of each has succeeded.
func WaitUp(ctx context.Context, exporter *proc.Process, enrollments []string) error {
	var last string
	err := proc.Poll(ctx, 100*time.Millisecond, func() (bool, error) {
		page, err := Scrape(ctx, exporter)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		up, err := upByEnrollment(page)
		if err != nil {
			return false, err
		}
		last = fmt.Sprintf("azure_ea_up by enrollment: %v", up)
		for _, e := range enrollments {
			if up[e] != 1 {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for azure_ea_up 1 of enrollments %v: %w; last seen: %s", enrollments, err, last)
	}
	return nil
}

// upByEnrollment reads azure_ea_up from a /metrics page.
func upByEnrollment(page string) (map[string]float64, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	up := map[string]float64{}
	for _, m := range families["azure_ea_up"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "enrollment" {
				up[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	return up, nil
}

// SampleNames returns the distinct names of the samples on a /metrics page
// in the text format that start with prefix, sorted: counters with _total,
// histograms as their _bucket, _sum and _count series.
func SampleNames(page, prefix string) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(strings.NewReader(page))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading /metrics: %w", err)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
