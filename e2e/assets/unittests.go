package assets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// UnitTestFile is a promtool unit test file (promtool test rules), decoded
// strictly: a misspelt key is an error here, where promtool might ignore it.
type UnitTestFile struct {
	// Path is the file the tests were read from.
	Path string `yaml:"-"`

	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	GroupEvalOrder     []string       `yaml:"group_eval_order"`
	Tests              []TestGroup    `yaml:"tests"`
}

// TestGroup is one set of input series with the checks made against it.
type TestGroup struct {
	Name            string            `yaml:"name"`
	Interval        model.Duration    `yaml:"interval"`
	InputSeries     []InputSeries     `yaml:"input_series"`
	AlertRuleTests  []AlertRuleTest   `yaml:"alert_rule_test"`
	PromQLExprTests []PromQLExprTest  `yaml:"promql_expr_test"`
	ExternalLabels  map[string]string `yaml:"external_labels"`
	ExternalURL     string            `yaml:"external_url"`
}

// InputSeries is one series in promtool's expanding notation.
type InputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// AlertRuleTest states which alerts of one name fire at one time. An empty
// ExpAlerts says none does.
type AlertRuleTest struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []ExpAlert     `yaml:"exp_alerts"`
}

// ExpAlert is one firing alert a test expects.
type ExpAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// PromQLExprTest states what an expression returns at one time.
type PromQLExprTest struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []ExpSample    `yaml:"exp_samples"`
}

// ExpSample is one sample a PromQLExprTest expects.
type ExpSample struct {
	Labels    string  `yaml:"labels"`
	Value     float64 `yaml:"value"`
	Histogram string  `yaml:"histogram"`
}

// LoadUnitTests reads every promtool unit test file (*_test.yml) in dir.
func LoadUnitTests(dir string) ([]UnitTestFile, error) {
	paths, err := UnitTestPaths(dir)
	if err != nil {
		return nil, err
	}
	files := make([]UnitTestFile, 0, len(paths))
	for _, path := range paths {
		f, err := loadUnitTest(path)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func loadUnitTest(path string) (UnitTestFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return UnitTestFile{}, fmt.Errorf("reading unit test file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var f UnitTestFile
	if err := dec.Decode(&f); err != nil {
		return UnitTestFile{}, fmt.Errorf("decoding unit test file %s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// RuleFilePaths returns the rule files the tests load, as paths relative to
// the working directory (promtool resolves them against the test file's
// directory).
func (f UnitTestFile) RuleFilePaths() []string {
	paths := make([]string, len(f.RuleFiles))
	for i, rf := range f.RuleFiles {
		if filepath.IsAbs(rf) {
			paths[i] = filepath.Clean(rf)
			continue
		}
		paths[i] = filepath.Join(filepath.Dir(f.Path), rf)
	}
	return paths
}
