package assets

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// UnitTestSuffix ends the name of every promtool unit test file; other *.yml
// files in the rules directory are rule files.
const UnitTestSuffix = "_test.yml"

// RuleFile is one Prometheus rule file.
type RuleFile struct {
	// Path is the file the rules were read from.
	Path   string
	Groups []rulefmt.RuleGroup
}

// LoadRuleFiles reads and validates every rule file (*.yml, not *_test.yml)
// in dir the way Prometheus does: unknown fields, bad expressions, bad
// templates and names outside the classic metric-name character set are
// errors, as they are for Prometheus 2.42.
func LoadRuleFiles(dir string, p parser.Parser) ([]RuleFile, error) {
	paths, err := RuleFilePaths(dir)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.DiscardHandler)
	files := make([]RuleFile, 0, len(paths))
	for _, path := range paths {
		groups, errs := rulefmt.ParseFile(path, false, model.LegacyValidation, p, logger)
		if len(errs) > 0 {
			return nil, fmt.Errorf("parsing rule file: %w", errors.Join(errs...))
		}
		files = append(files, RuleFile{Path: path, Groups: groups.Groups})
	}
	return files, nil
}

// RuleFilePaths lists the rule files in dir, sorted.
func RuleFilePaths(dir string) ([]string, error) {
	return globYAML(dir, func(name string) bool { return !strings.HasSuffix(name, UnitTestSuffix) })
}

// UnitTestPaths lists the promtool unit test files in dir, sorted.
func UnitTestPaths(dir string) ([]string, error) {
	return globYAML(dir, func(name string) bool { return strings.HasSuffix(name, UnitTestSuffix) })
}

func globYAML(dir string, keep func(name string) bool) ([]string, error) {
	all, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var paths []string
	for _, path := range all {
		if keep(filepath.Base(path)) {
			paths = append(paths, path)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no matching *.yml files in %s", dir)
	}
	slices.Sort(paths)
	return paths, nil
}

// Alerts returns the file's alerting rules.
func (f RuleFile) Alerts() []rulefmt.Rule {
	return f.rules(func(r rulefmt.Rule) bool { return r.Alert != "" })
}

// Records returns the file's recording rules.
func (f RuleFile) Records() []rulefmt.Rule {
	return f.rules(func(r rulefmt.Rule) bool { return r.Record != "" })
}

func (f RuleFile) rules(keep func(rulefmt.Rule) bool) []rulefmt.Rule {
	var rules []rulefmt.Rule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if keep(r) {
				rules = append(rules, r)
			}
		}
	}
	return rules
}

// Queries returns the expression of every rule in the file.
func (f RuleFile) Queries() []Query {
	var qs []Query
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			name := "alert " + r.Alert
			if r.Record != "" {
				name = "record " + r.Record
			}
			qs = append(qs, Query{File: f.Path, Where: "group " + g.Name + ", " + name, Expr: r.Expr})
		}
	}
	return qs
}

// RecordedNames returns the metric names the recording rules in files produce.
func RecordedNames(files []RuleFile) []string {
	var names []string
	for _, f := range files {
		for _, r := range f.Records() {
			names = append(names, r.Record)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
