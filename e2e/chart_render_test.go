package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Where the chart lives, relative to this package, and how the tests install it.
const (
	chartDir       = "../charts/azure-ea-exporter"
	chartValuesDir = "testdata/chart"
	chartRelease   = "billing"
	chartNamespace = "monitoring"
	helmInstall    = "go install helm.sh/helm/v3/cmd/helm@v3.22.0"
)

// helmBinary returns the path of helm: on PATH, or where `go install` puts
// it. It fails the test when there is none, so that the chart is never
// quietly left unchecked.
func helmBinary(t *testing.T) string {
	t.Helper()
	if path, err := exec.LookPath("helm"); err == nil {
		return path
	}
	out, err := exec.CommandContext(t.Context(), "go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		t.Fatalf("helm is not on PATH and `go env` failed (%v): install helm with `%s`", err, helmInstall)
	}
	// One line each, GOBIN first; either may be empty.
	lines := strings.SplitN(string(out), "\n", 3)
	var candidates []string
	if len(lines) >= 2 {
		if gobin := strings.TrimSpace(lines[0]); gobin != "" {
			candidates = append(candidates, filepath.Join(gobin, "helm"))
		}
		if gopath := strings.TrimSpace(lines[1]); gopath != "" {
			first := strings.Split(gopath, string(os.PathListSeparator))[0]
			candidates = append(candidates, filepath.Join(first, "bin", "helm"))
		}
	}
	for _, path := range candidates {
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path
		}
	}
	t.Fatalf("helm is neither on PATH nor in %v. The chart checks need it: install it with `%s` "+
		"(about 75 s; scripts/test.sh does this), then run the tests again.", candidates, helmInstall)
	return ""
}

// runHelm runs helm with args and returns its standard output; it fails the
// test with helm's own words when helm does.
func runHelm(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := helmCommand(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// helmCommand runs helm and returns its standard output, or an error that
// holds its standard error.
func helmCommand(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), helmBinary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// helm keeps caches and repository lists in these: nothing of the
	// user's is read or written.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%w\n%s%s", err, stderr.Bytes(), out)
	}
	return out, nil
}

// valuesFile returns the path of a values file in testdata/chart.
func valuesFile(name string) string { return filepath.Join(chartValuesDir, name) }

// renderedDoc is one object of helm's output, as text.
type renderedDoc struct {
	kind, name string
	text       []byte
}

// chartObjects holds what one `helm template` rendered, each object decoded
// strictly into its Kubernetes or prometheus-operator type.
type chartObjects struct {
	docs            []renderedDoc
	deployments     []appsv1.Deployment
	services        []corev1.Service
	secrets         []corev1.Secret
	configMaps      []corev1.ConfigMap
	serviceAccounts []corev1.ServiceAccount
	serviceMonitors []monitoringv1.ServiceMonitor
	prometheusRules []monitoringv1.PrometheusRule
}

// renderChart runs `helm template` with the values files (none: the
// defaults) and decodes the result.
func renderChart(t *testing.T, values ...string) *chartObjects {
	t.Helper()
	args := []string{"template", chartRelease, chartDir, "--namespace", chartNamespace}
	for _, v := range values {
		args = append(args, "--values", valuesFile(v))
	}
	objs, err := decodeChartObjects(runHelm(t, args...))
	if err != nil {
		t.Fatalf("helm template %v: %v", values, err)
	}
	return objs
}

// docSeparator splits a YAML stream into documents.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeChartObjects decodes every document of helm's output. Unknown kinds,
// unknown fields and duplicate keys are errors: a typo in a template must
// not become a field the API server silently drops.
func decodeChartObjects(out []byte) (*chartObjects, error) {
	objs := &chartObjects{}
	var errs []error
	for _, doc := range docSeparator.Split(string(out), -1) {
		if isBlankYAML(doc) {
			continue
		}
		if err := objs.add([]byte(doc)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(objs.docs) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no objects rendered"))
	}
	return objs, errors.Join(errs...)
}

// isBlankYAML reports whether doc holds only comments and white space.
func isBlankYAML(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func (o *chartObjects) add(doc []byte) error {
	var head struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return fmt.Errorf("not a Kubernetes object: %w\n%s", err, doc)
	}
	o.docs = append(o.docs, renderedDoc{kind: head.Kind, name: head.Metadata.Name, text: doc})
	where := head.APIVersion + " " + head.Kind + " " + head.Metadata.Name
	var err error
	switch head.APIVersion + "/" + head.Kind {
	case "apps/v1/Deployment":
		err = decodeStrict(doc, &o.deployments)
	case "v1/Service":
		err = decodeStrict(doc, &o.services)
	case "v1/Secret":
		err = decodeStrict(doc, &o.secrets)
	case "v1/ConfigMap":
		err = decodeStrict(doc, &o.configMaps)
	case "v1/ServiceAccount":
		err = decodeStrict(doc, &o.serviceAccounts)
	case monitoringv1.SchemeGroupVersion.String() + "/" + monitoringv1.ServiceMonitorsKind:
		err = decodeStrict(doc, &o.serviceMonitors)
	case monitoringv1.SchemeGroupVersion.String() + "/" + monitoringv1.PrometheusRuleKind:
		err = decodeStrict(doc, &o.prometheusRules)
	default:
		err = errors.New("a kind these tests do not know: add it to chartObjects")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// decodeStrict decodes doc into a new T and appends it to list. It decodes
// as the API server does, with field names case-sensitive (encoding/json
// would take readOnlyRootFileSystem for readOnlyRootFilesystem, which the
// API server drops), and refuses unknown and duplicate fields.
func decodeStrict[T any](doc []byte, list *[]T) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("converting to JSON: %w", err)
	}
	var v T
	strictErrs, err := kjson.UnmarshalStrict(j, &v)
	if err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	if len(strictErrs) > 0 {
		return fmt.Errorf("strict decoding: %w", errors.Join(strictErrs...))
	}
	*list = append(*list, v)
	return nil
}

// kinds counts the rendered objects by kind.
func (o *chartObjects) kinds() map[string]int {
	n := map[string]int{}
	for _, d := range o.docs {
		n[d.kind]++
	}
	return n
}

// exactlyOne returns the single element of list, failing the test otherwise.
func exactlyOne[T any](t *testing.T, what string, list []T) T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("rendered %d %s, want exactly 1", len(list), what)
	}
	return list[0]
}
