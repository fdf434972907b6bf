package stack

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
)

func TestCopyRulesFiringAtOnceKeepsTheShippedExpressions(t *testing.T) {
	const shipped = "../../../alerts"
	paths, err := CopyRulesFiringAtOnce(shipped, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	orig, err := assets.LoadRuleFiles(shipped, assets.NewParser())
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(orig) {
		t.Fatalf("%d copies of %d rule files", len(paths), len(orig))
	}
	withFor := 0
	for _, f := range orig {
		for _, a := range f.Alerts() {
			if a.For > 0 {
				withFor++
			}
		}
	}
	if withFor == 0 {
		t.Fatal("no shipped alert has a for: duration; this test checks nothing")
	}
}

func writeRules(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.yml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCopyRulesFiringAtOnce(t *testing.T) {
	src := writeRules(t, `groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        for: 1h  # long
        keep_firing_for: 5m
        labels: {severity: warning}
      - record: job:up:sum
        expr: sum by (job) (up)
`)
	dst := t.TempDir()
	paths, err := CopyRulesFiringAtOnce(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "        for: 0s  # long\n        keep_firing_for: 5m\n") {
		t.Errorf("copy:\n%s", raw)
	}
}

func TestCopyRulesFiringAtOnceRefusesWhatItCannotRewrite(t *testing.T) {
	src := writeRules(t, `groups:
  - name: g
    rules:
      - {alert: A, expr: up == 0, for: 1h}
`)
	if _, err := CopyRulesFiringAtOnce(src, t.TempDir()); err == nil || !strings.Contains(err.Error(), "still has for: 1h") {
		t.Errorf("error %v, want one about the for: left", err)
	}
}

func TestSampleNames(t *testing.T) {
	page := `# HELP a_total A.
# TYPE a_total counter
a_total{x="1 2"} 1
a_total{x="3"} 2
# TYPE h histogram
h_bucket{le="+Inf"} 1
h_sum 1
h_count 1
go_goroutines 7
a_up 1
`
	got, err := SampleNames(page, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a_total", "a_up"}; !slices.Equal(got, want) {
		t.Errorf("SampleNames(a) = %v, want %v", got, want)
	}
	got, _ = SampleNames(page, "h")
	if want := []string{"h_bucket", "h_count", "h_sum"}; !slices.Equal(got, want) {
		t.Errorf("SampleNames(h) = %v, want %v", got, want)
	}
}

func TestUpByEnrollment(t *testing.T) {
	page := `# HELP azure_ea_up Up.
# TYPE azure_ea_up gauge
azure_ea_up{enrollment="1"} 1
azure_ea_up{enrollment="2"} 0
`
	up, err := upByEnrollment(page)
	if err != nil || len(up) != 2 || up["1"] != 1 || up["2"] != 0 {
		t.Errorf("upByEnrollment = %v, %v", up, err)
	}
	if _, err := upByEnrollment("azure_ea_up{"); err == nil {
		t.Error("a broken page parsed")
	}
}
