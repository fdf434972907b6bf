package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"

	"github.com/azure-ea-exporter/azure-ea-exporter/e2e/assets"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// forLine matches the value of a rule's for: key, the only thing
// CopyRulesFiringAtOnce changes. keep_firing_for: does not match.
var forLine = regexp.MustCompile(`(?m)^([ \t]+)for:[ \t]*[^\s#]+`)

// CopyRulesFiringAtOnce copies the rule files of srcDir (not the promtool
// unit tests) into dstDir with every for: duration rewritten to 0s, so that
// alerts fire at the first evaluation that sees their condition instead of
// hours later, and returns the copies' paths.
//
// Only the for: values change: the copy is parsed again and compared with
// the original rule by rule, so the expressions, labels and annotations
// Prometheus runs are byte for byte the shipped ones.
func CopyRulesFiringAtOnce(srcDir, dstDir string) ([]string, error) {
	srcPaths, err := assets.RuleFilePaths(srcDir)
	if err != nil {
		return nil, err
	}
	var dstPaths []string
	for _, src := range srcPaths {
		raw, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("reading rule file: %w", err)
		}
		dst := filepath.Join(dstDir, filepath.Base(src))
		if err := os.WriteFile(dst, forLine.ReplaceAll(raw, []byte("${1}for: 0s")), 0o600); err != nil {
			return nil, fmt.Errorf("writing rule file: %w", err)
		}
		dstPaths = append(dstPaths, dst)
	}
	if err := sameRulesButFor(srcDir, dstDir); err != nil {
		return nil, err
	}
	return dstPaths, nil
}

// sameRulesButFor checks that the rule files of copyDir hold the rules of
// origDir with every for: zero and nothing else changed.
func sameRulesButFor(origDir, copyDir string) error {
	p := assets.NewParser()
	orig, err := assets.LoadRuleFiles(origDir, p)
	if err != nil {
		return err
	}
	copies, err := assets.LoadRuleFiles(copyDir, p)
	if err != nil {
		return fmt.Errorf("the rewritten copy: %w", err)
	}
	if len(orig) != len(copies) {
		return fmt.Errorf("%d rule files copied to %d", len(orig), len(copies))
	}
	for i := range orig {
		if err := compareGroups(orig[i], copies[i]); err != nil {
			return err
		}
	}
	return nil
}

func compareGroups(orig, cp assets.RuleFile) error {
	want := zeroFor(orig.Groups)
	for _, g := range cp.Groups {
		for _, r := range g.Rules {
			if r.For != 0 {
				return fmt.Errorf("%s: rule %s%s still has for: %s", cp.Path, r.Alert, r.Record, r.For)
			}
		}
	}
	if !reflect.DeepEqual(want, cp.Groups) {
		return fmt.Errorf("rewriting for: in %s changed more than for: (compare %s)", orig.Path, cp.Path)
	}
	return nil
}

// zeroFor returns a copy of groups with every rule's for: zero.
func zeroFor(groups []rulefmt.RuleGroup) []rulefmt.RuleGroup {
	out := make([]rulefmt.RuleGroup, len(groups))
	for i, g := range groups {
		g.Rules = append([]rulefmt.Rule(nil), g.Rules...)
		for j := range g.Rules {
			g.Rules[j].For = 0
		}
		out[i] = g
	}
	return out
}
