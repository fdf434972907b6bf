package e2e

import (
	"encoding/base64"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// What the chart promises about the exporter's pod.
const (
	metricsPortName = "http-metrics"
	metricsPort     = 9743
	// keyMarker is the API key of values-key.yaml, looked for in every object.
	keyMarker = "ea-key-marker-5f2d1c0b9a"
	// chartFullname is the object name of release chartRelease.
	chartFullname = chartRelease + "-azure-ea-exporter"
)

func TestChartLints(t *testing.T) {
	for _, values := range [][]string{nil, {"values-all.yaml"}, {"values-key.yaml"}, {"values-demo.yaml"}} {
		t.Run(strings.Join(append([]string{"defaults"}, values...), "+"), func(t *testing.T) {
			t.Parallel()
			args := []string{"lint", "--strict", chartDir, "--namespace", chartNamespace}
			for _, v := range values {
				args = append(args, "--values", valuesFile(v))
			}
			runHelm(t, args...)
		})
	}
}

func TestChartDefaults(t *testing.T) {
	objs := renderChart(t)
	checkKinds(t, objs, map[string]int{"ServiceAccount": 1, "Secret": 1, "Service": 1, "Deployment": 1})
	checkObjectNames(t, objs)
	pod, c := checkWorkload(t, objs)
	secret := exactlyOne(t, "Secrets", objs.secrets)
	if secret.Name != chartFullname {
		t.Errorf("Secret %q, want %q", secret.Name, chartFullname)
	}
	dir := checkKeyMount(t, pod, chartFullname)
	checkArgs(t, c, []string{"--ea.api-key-file=" + path.Join(dir, "api-key")}, []string{"--ea.enrollment", "--config.file", "--demo"})
	if _, ok := secret.Data["api-key"]; !ok {
		t.Errorf("Secret %s lacks the key file api-key that --ea.api-key-file names; it has %v", secret.Name, slices.Sorted(maps.Keys(secret.Data)))
	}
}

// TestChartKeyStaysInItsSecret gives the chart the key itself and looks for
// it, plain and base64, in everything but the Secret.
func TestChartKeyStaysInItsSecret(t *testing.T) {
	objs := renderChart(t, "values-key.yaml")
	checkKinds(t, objs, map[string]int{"ServiceAccount": 1, "Secret": 1, "Service": 1, "Deployment": 1})
	secret := exactlyOne(t, "Secrets", objs.secrets)
	if got := string(secret.Data["api-key"]); got != keyMarker {
		t.Errorf("Secret %s holds api-key %q, want the key of values-key.yaml", secret.Name, got)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(keyMarker))
	for _, d := range objs.docs {
		if d.kind == "Secret" {
			continue
		}
		for _, form := range []string{keyMarker, encoded} {
			if strings.Contains(string(d.text), form) {
				t.Errorf("%s %s contains the API key (%q)", d.kind, d.name, form)
			}
		}
	}
	pod, c := checkWorkload(t, objs)
	dir := checkKeyMount(t, pod, secret.Name)
	checkArgs(t, c, []string{"--ea.enrollment=12345678", "--ea.api-key-file=" + path.Join(dir, "api-key")}, []string{"--config.file"})
	for _, arg := range slices.Concat(c.Command, c.Args) {
		if strings.Contains(arg, keyMarker) {
			t.Errorf("the container's command line holds the key: %q", arg)
		}
	}
	for _, e := range c.Env {
		if strings.Contains(e.Value, keyMarker) {
			t.Errorf("environment variable %s holds the key", e.Name)
		}
	}
}

// TestChartEverythingOn: an existing key Secret, a config file, and every
// optional object. The monitoring objects have tests of their own.
func TestChartEverythingOn(t *testing.T) {
	objs := renderChart(t, "values-all.yaml")
	dashboards := len(chartDashboardFiles(t))
	checkKinds(t, objs, map[string]int{
		"ServiceAccount": 1, "Service": 1, "Deployment": 1, "ConfigMap": 1 + dashboards,
		"ServiceMonitor": 1, "PrometheusRule": 1,
	})
	checkObjectNames(t, objs)
	pod, c := checkWorkload(t, objs)
	keyDir := checkKeyMount(t, pod, "azure-ea-keys")
	configFile := checkConfigMount(t, pod)
	checkArgs(t, c, []string{"--config.file=" + configFile}, []string{"--ea.enrollment", "--ea.api-key-file", "--demo"})
	sa := exactlyOne(t, "ServiceAccounts", objs.serviceAccounts)
	if sa.Annotations["azure.workload.identity/client-id"] == "" {
		t.Errorf("ServiceAccount %s lacks serviceAccount.annotations: %v", sa.Name, sa.Annotations)
	}
	var cfg struct {
		Enrollments []struct {
			APIKeyFile string `yaml:"api_key_file"`
		} `yaml:"enrollments"`
	}
	if err := yaml.Unmarshal([]byte(chartConfigFile(t, objs)), &cfg); err != nil {
		t.Fatal(err)
	}
	for _, e := range cfg.Enrollments {
		if path.Dir(e.APIKeyFile) != keyDir {
			t.Errorf("the config's api_key_file %q is not in the key Secret's mount %s", e.APIKeyFile, keyDir)
		}
	}
}

func TestChartDemo(t *testing.T) {
	objs := renderChart(t, "values-demo.yaml")
	checkKinds(t, objs, map[string]int{"ServiceAccount": 1, "Service": 1, "Deployment": 1})
	pod, c := checkWorkload(t, objs)
	checkArgs(t, c, []string{"--demo"}, []string{"--ea.api-key-file", "--config.file", "--ea.enrollment"})
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			t.Errorf("the demo mounts Secret %s; it needs none", v.Secret.SecretName)
		}
	}
}

// TestChartRefusesEnrollmentWithConfig: the exporter refuses --ea.enrollment
// next to --config.file, so the chart says so before anything is installed.
func TestChartRefusesEnrollmentWithConfig(t *testing.T) {
	_, err := helmCommand(t, "template", chartRelease, chartDir, "--values", valuesFile("values-all.yaml"), "--set", "enrollment=12345678")
	if err == nil || !strings.Contains(err.Error(), "enrollment and config cannot both be set") {
		t.Fatalf("helm template with both enrollment and config: %v, want the chart's refusal", err)
	}
}

// checkKinds compares the number of rendered objects of each kind.
func checkKinds(t *testing.T, objs *chartObjects, want map[string]int) {
	t.Helper()
	if got := objs.kinds(); !maps.Equal(got, want) {
		t.Fatalf("rendered kinds %v, want %v", got, want)
	}
	for _, d := range objs.docs {
		var meta struct {
			Metadata struct {
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
		}
		if err := yaml.Unmarshal(d.text, &meta); err != nil || meta.Metadata.Namespace != chartNamespace {
			t.Errorf("%s %s: namespace %q (%v), want the release's %q", d.kind, d.name, meta.Metadata.Namespace, err, chartNamespace)
		}
	}
}

// checkObjectNames holds names and labels to what the API server accepts,
// which strict decoding does not check.
func checkObjectNames(t *testing.T, objs *chartObjects) {
	t.Helper()
	for _, d := range objs.docs {
		for _, msg := range validation.IsDNS1123Subdomain(d.name) {
			t.Errorf("%s %q: %s", d.kind, d.name, msg)
		}
	}
	for _, s := range objs.services {
		for _, msg := range validation.IsDNS1035Label(s.Name) {
			t.Errorf("Service %q: %s", s.Name, msg)
		}
	}
	for _, d := range objs.deployments {
		for _, l := range []map[string]string{d.Labels, d.Spec.Template.Labels} {
			for k, v := range l {
				for _, msg := range slices.Concat(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)) {
					t.Errorf("Deployment %s: label %s=%s: %s", d.Name, k, v, msg)
				}
			}
		}
	}
}

// checkWorkload checks what every configuration of the chart must hold: one
// exporter container, hardened, probed, with resources, behind the Service.
// It returns the pod spec and the container.
func checkWorkload(t *testing.T, objs *chartObjects) (corev1.PodSpec, corev1.Container) {
	t.Helper()
	d := exactlyOne(t, "Deployments", objs.deployments)
	pod := d.Spec.Template.Spec
	c := exactlyOne(t, "containers", pod.Containers)
	checkHardened(t, pod, c)
	checkProbes(t, c)
	checkResources(t, c)
	checkArgs(t, c, []string{"--web.listen-address=:9743"}, nil)
	checkServiceSelects(t, exactlyOne(t, "Services", objs.services), d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas %v, want 1: each replica calls the EA API on its own", d.Spec.Replicas)
	}
	for _, sa := range objs.serviceAccounts {
		if pod.ServiceAccountName != sa.Name {
			t.Errorf("the pod runs as ServiceAccount %q, not the chart's %q", pod.ServiceAccountName, sa.Name)
		}
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a Kubernetes API token; the exporter never calls the API")
	}
	return pod, c
}

func checkHardened(t *testing.T, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("the container has no securityContext")
	}
	nonRoot := (pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot) ||
		(sc.RunAsNonRoot != nil && *sc.RunAsNonRoot)
	if !nonRoot {
		t.Error("runAsNonRoot is not set")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the root file system is writable")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want all dropped and none added", sc.Capabilities)
	}
}

func checkProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	var port *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].Name == metricsPortName {
			port = &c.Ports[i]
		}
	}
	if port == nil || port.ContainerPort != metricsPort {
		t.Fatalf("container ports %+v, want %s on %d", c.Ports, metricsPortName, metricsPort)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/-/healthy"}, {"readiness", c.ReadinessProbe, "/-/ready"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", p.name)
			continue
		}
		get := p.probe.HTTPGet
		if get.Path != p.path || get.Port.String() != metricsPortName {
			t.Errorf("%s probe GET %s on port %s, want %s on %s", p.name, get.Path, get.Port.String(), p.path, metricsPortName)
		}
	}
}

func checkResources(t *testing.T, c corev1.Container) {
	t.Helper()
	for what, set := range map[string]bool{
		"requests.cpu":    !c.Resources.Requests.Cpu().IsZero(),
		"requests.memory": !c.Resources.Requests.Memory().IsZero(),
		"limits.memory":   !c.Resources.Limits.Memory().IsZero(),
	} {
		if !set {
			t.Errorf("resources.%s is not set", what)
		}
	}
}

// checkArgs checks that the container's arguments hold every one of want and
// none that starts with a prefix in unwanted.
func checkArgs(t *testing.T, c corev1.Container, want, unwanted []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(c.Args, w) {
			t.Errorf("args %q lack %q", c.Args, w)
		}
	}
	for _, arg := range c.Args {
		for _, u := range unwanted {
			if strings.HasPrefix(arg, u) {
				t.Errorf("args %q hold %q", c.Args, arg)
			}
		}
	}
}

// checkServiceSelects checks that the Service selects the Deployment's pods
// on the metrics port.
func checkServiceSelects(t *testing.T, svc corev1.Service, d appsv1.Deployment) {
	t.Helper()
	pods := d.Spec.Template.Labels
	if len(svc.Spec.Selector) == 0 || !labelsWithin(svc.Spec.Selector, pods) {
		t.Errorf("Service selector %v does not select the pod labels %v", svc.Spec.Selector, pods)
	}
	if d.Spec.Selector == nil || !labelsWithin(d.Spec.Selector.MatchLabels, pods) || len(d.Spec.Selector.MatchExpressions) > 0 {
		t.Errorf("Deployment selector %+v does not select its own pod labels %v", d.Spec.Selector, pods)
	}
	p := exactlyOne(t, "Service ports", svc.Spec.Ports)
	if p.Name != metricsPortName || p.Port != metricsPort || p.TargetPort.String() != metricsPortName {
		t.Errorf("Service port %s %d -> %s, want %s %d -> %s", p.Name, p.Port, p.TargetPort.String(), metricsPortName, metricsPort, metricsPortName)
	}
}

// checkKeyMount checks that the Secret named secretName reaches the pod
// only as files, mounted read-only as a whole (a subPath mount would not see
// a rotated key), and never through the environment. It returns the mount
// directory.
func checkKeyMount(t *testing.T, pod corev1.PodSpec, secretName string) string {
	t.Helper()
	var volume string
	for _, v := range pod.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secretName {
			volume = v.Name
		}
	}
	if volume == "" {
		t.Fatalf("no volume holds Secret %s; volumes: %+v", secretName, pod.Volumes)
	}
	var dirs []string
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, m := range c.VolumeMounts {
			if m.Name != volume {
				continue
			}
			dirs = append(dirs, m.MountPath)
			if !m.ReadOnly || m.SubPath != "" {
				t.Errorf("container %s mounts the key at %s with readOnly=%v subPath=%q, want read-only, whole", c.Name, m.MountPath, m.ReadOnly, m.SubPath)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secretName {
				t.Errorf("container %s puts the key Secret into environment variable %s", c.Name, e.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && e.SecretRef.Name == secretName {
				t.Errorf("container %s loads the key Secret into its environment", c.Name)
			}
		}
	}
	return exactlyOne(t, "mounts of the key Secret", dirs)
}

// checkConfigMount checks that the config ConfigMap is mounted read-only and
// returns the path of the config file in the container.
func checkConfigMount(t *testing.T, pod corev1.PodSpec) string {
	t.Helper()
	name := chartFullname + "-config"
	var volume string
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == name {
			volume = v.Name
		}
	}
	c := exactlyOne(t, "containers", pod.Containers)
	for _, m := range c.VolumeMounts {
		if volume != "" && m.Name == volume {
			if !m.ReadOnly {
				t.Errorf("the config is mounted writable at %s", m.MountPath)
			}
			return path.Join(m.MountPath, "config.yml")
		}
	}
	t.Fatalf("ConfigMap %s is not mounted; volumes %+v", name, pod.Volumes)
	return ""
}

// chartConfigFile returns the config file the chart rendered, after checking
// that it is values-all.yaml's config.
func chartConfigFile(t *testing.T, objs *chartObjects) string {
	t.Helper()
	var cm *corev1.ConfigMap
	for i := range objs.configMaps {
		if objs.configMaps[i].Name == chartFullname+"-config" {
			cm = &objs.configMaps[i]
		}
	}
	if cm == nil {
		t.Fatalf("no ConfigMap %s-config", chartFullname)
	}
	text, ok := cm.Data["config.yml"]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("ConfigMap %s holds %v, want config.yml only", cm.Name, slices.Sorted(maps.Keys(cm.Data)))
	}
	var rendered, given struct {
		Config any `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(text), &rendered.Config); err != nil {
		t.Fatalf("config.yml: %v", err)
	}
	given.Config = valuesKey(t, "values-all.yaml", "config")
	if !reflect.DeepEqual(rendered, given) {
		t.Errorf("config.yml is\n%s\nnot the values' config %v", text, given.Config)
	}
	return text
}

// valuesKey returns one top-level value of a values file in testdata/chart.
func valuesKey(t *testing.T, file, key string) any {
	t.Helper()
	var values map[string]any
	if err := yaml.Unmarshal(slurp(t, valuesFile(file)), &values); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return values[key]
}

// labelsWithin reports whether every label of sub is in set with the same value.
func labelsWithin(sub, set map[string]string) bool {
	for k, v := range sub {
		if w, ok := set[k]; !ok || w != v {
			return false
		}
	}
	return true
}
