package e2e

import (
	"bytes"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is what the example docker-compose.yml may hold: the keys it
// uses, decoded strictly so that a misspelt key fails here rather than being
// ignored by a Compose that nobody can run on this machine.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	DependsOn   []string          `yaml:"depends_on"`
	Restart     string            `yaml:"restart"`
}

// composeMount is a bind mount: a path relative to the compose file, seen
// at an absolute path in the container.
type composeMount struct{ host, container string }

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(slurp(t, exampleCompose)))
	dec.KnownFields(true)
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", exampleCompose, err)
	}
	return c
}

// mounts returns the service's bind mounts, failing the test for a mount that
// is not read-only or whose host file does not exist.
func (s composeService) mounts(t *testing.T, service string) []composeMount {
	t.Helper()
	var mounts []composeMount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) != 3 || parts[2] != "ro" || !path.IsAbs(parts[1]) {
			t.Errorf("service %s: volume %q: want host:/container:ro", service, v)
			continue
		}
		m := composeMount{host: filepath.Join(examplesDir, parts[0]), container: parts[1]}
		if _, err := os.Stat(m.host); err != nil {
			t.Errorf("service %s mounts %s, which does not exist: %v", service, parts[0], err)
		}
		mounts = append(mounts, m)
	}
	return mounts
}

// hostPath returns where a path in the container comes from on the host, or
// "" when no mount holds it.
func hostPath(mounts []composeMount, containerPath string) string {
	best := composeMount{}
	for _, m := range mounts {
		inside := containerPath == m.container || strings.HasPrefix(containerPath, m.container+"/")
		if inside && len(m.container) > len(best.container) {
			best = m
		}
	}
	if best.container == "" {
		return ""
	}
	return filepath.Join(best.host, strings.TrimPrefix(containerPath, best.container))
}

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// sameFile reports whether two paths name the same file.
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

func TestExampleComposeRunsTheDemo(t *testing.T) {
	c := loadCompose(t)
	want := []string{"alertmanager", "exporter", "grafana", "prometheus"}
	var got []string
	for name, s := range c.Services {
		got = append(got, name)
		s.mounts(t, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	exp := c.Services["exporter"]
	if !slices.Equal(exp.Command, []string{"--demo"}) {
		t.Errorf("the exporter runs with %q, want [--demo]: the stack needs no Azure account", exp.Command)
	}
	if exp.Build == nil {
		t.Fatal("the exporter is not built from the repository's Dockerfile")
	}
	dockerfile := filepath.Join(examplesDir, exp.Build.Context, exp.Build.Dockerfile)
	if !sameFile(t, dockerfile, "../Dockerfile") {
		t.Errorf("the exporter is built from %s, not the repository's Dockerfile", dockerfile)
	}
	if !slices.Contains(exp.Ports, "9743:9743") {
		t.Errorf("exporter ports %v lack 9743:9743", exp.Ports)
	}
}

// TestExampleComposePrometheusSeesItsFiles follows prometheus.yml's paths
// through the container's mounts: the config file, every rule file, and the
// targets, which must be services of the stack.
func TestExampleComposePrometheusSeesItsFiles(t *testing.T) {
	c := loadCompose(t)
	prom := c.Services["prometheus"]
	mounts := prom.mounts(t, "prometheus")
	configPath := flagValue(prom.Command, "config.file")
	if !sameFile(t, hostPath(mounts, configPath), examplePrometheusConfig) {
		t.Fatalf("Prometheus reads --config.file=%q, which is not %s in the container", configPath, examplePrometheusConfig)
	}
	cfg := loadPrometheusExample(t)
	for _, rf := range cfg.RuleFiles {
		inContainer := path.Join(path.Dir(configPath), rf)
		host := hostPath(mounts, inContainer)
		repo := filepath.Join(filepath.Dir(examplePrometheusConfig), rf)
		if host == "" || !sameFile(t, host, repo) {
			t.Errorf("rule file %s is %s in the container, which no mount maps to %s", rf, inContainer, repo)
		}
	}
	var targets []string
	for _, am := range cfg.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
	}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	for _, target := range targets {
		host, _, err := net.SplitHostPort(target)
		if _, ok := c.Services[host]; err != nil || !ok {
			t.Errorf("target %q is not a service of %s (%v)", target, exampleCompose, err)
		}
	}
}

func TestExampleComposeAlertmanagerSeesItsConfig(t *testing.T) {
	am := loadCompose(t).Services["alertmanager"]
	configPath := flagValue(am.Command, "config.file")
	if !sameFile(t, hostPath(am.mounts(t, "alertmanager"), configPath), exampleAlertmanager) {
		t.Errorf("Alertmanager reads --config.file=%q, which is not %s in the container", configPath, exampleAlertmanager)
	}
}

// grafanaDatasources and grafanaProviders are Grafana's provisioning files.
type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string         `yaml:"name"`
		UID       string         `yaml:"uid"`
		Type      string         `yaml:"type"`
		Access    string         `yaml:"access"`
		URL       string         `yaml:"url"`
		IsDefault bool           `yaml:"isDefault"`
		Editable  bool           `yaml:"editable"`
		JSONData  map[string]any `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type grafanaProviders struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		Folder                string `yaml:"folder"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// decodeKnown decodes a YAML file strictly into v.
func decodeKnown(t *testing.T, file string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(slurp(t, file)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestExampleComposeGrafanaSeesItsFiles: the provisioning files are where
// Grafana reads them, the data source is the stack's Prometheus, and the
// dashboard provider's directory is dashboards/.
func TestExampleComposeGrafanaSeesItsFiles(t *testing.T) {
	c := loadCompose(t)
	mounts := c.Services["grafana"].mounts(t, "grafana")
	const provisioning = "/etc/grafana/provisioning" // Grafana's default paths.provisioning
	for _, f := range []struct{ inContainer, file string }{
		{provisioning + "/datasources/" + filepath.Base(exampleGrafanaSources), exampleGrafanaSources},
		{provisioning + "/dashboards/" + filepath.Base(exampleGrafanaProviders), exampleGrafanaProviders},
	} {
		if !sameFile(t, hostPath(mounts, f.inContainer), f.file) {
			t.Errorf("Grafana reads %s, which is not %s", f.inContainer, f.file)
		}
	}

	var sources grafanaDatasources
	decodeKnown(t, exampleGrafanaSources, &sources)
	ds := exactlyOne(t, "data sources", sources.Datasources)
	u, err := url.Parse(ds.URL)
	if err != nil || ds.Type != "prometheus" || !ds.IsDefault {
		t.Errorf("data source %+v: want the default, of type prometheus (%v)", ds, err)
	} else if _, ok := c.Services[u.Hostname()]; !ok || u.Hostname() != "prometheus" {
		t.Errorf("data source URL %s is not the stack's prometheus service", ds.URL)
	}

	var providers grafanaProviders
	decodeKnown(t, exampleGrafanaProviders, &providers)
	p := exactlyOne(t, "dashboard providers", providers.Providers)
	if p.Type != "file" || !sameFile(t, hostPath(mounts, p.Options.Path), dashboardsDir) {
		t.Errorf("provider %s: type %s, path %s in the container, want type file and %s mounted there", p.Name, p.Type, p.Options.Path, dashboardsDir)
	}
}
