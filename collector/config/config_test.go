package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	c, err := Parse([]byte(`
enrollments:
  - enrollment: "8608480"
    api_key_file: /etc/azure-ea/key
    currency: EUR
    dimensions: [department, meter_category]
    tag_labels: [env, Cost-Center]
    datasets:
      price_sheet: true
      marketplace_charges: false
    usage_method: csv
    budgets:
      - name: total
        amount: 100000
      - name: eng
        amount: 40000
        scope_type: department
        scope: Engineering
  - enrollment: "100"
    source: arm
`))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Enrollments[0]
	if e.Source != SourceEA || e.BaseURL != DefaultEABaseURL {
		t.Errorf("defaults not filled: source %q base_url %q", e.Source, e.BaseURL)
	}
	if !e.Enabled(DatasetPriceSheet) || e.Enabled(DatasetMarketplaceCharges) || !e.Enabled(DatasetUsageDetails) {
		t.Error("datasets switches not honoured")
	}
	if e.Budgets[0].ScopeType != ScopeEnrollment {
		t.Errorf("budget scope type default = %q", e.Budgets[0].ScopeType)
	}
	a := c.Enrollments[1]
	if a.ARM.BillingAccount != "100" || a.ARM.ManagementURL != DefaultARMManagementURL {
		t.Errorf("arm defaults = %+v", a.ARM)
	}
	if !slices.Equal(a.Dimensions, DefaultDimensions) || a.Enabled(DatasetPriceSheet) {
		t.Errorf("default dimensions/datasets not applied: %v", a.Dimensions)
	}
	if got := TagLabelName("Cost-Center"); got != "tag_cost_center" {
		t.Errorf("TagLabelName = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", ``, "empty configuration: it must list at least one enrollment"},
		{"no enrollments", `enrollments: []`, "enrollments: at least one enrollment is required"},
		{"unknown field", "enrollments:\n  - enrollment: \"1\"\n    apikey: x\n", "decoding YAML: yaml: unmarshal errors:\n  line 3: field apikey not found in type config.Enrollment"},
		{"bad number", `enrollments: [{enrollment: "12a"}]`, `enrollments[0]: enrollment: "12a" is not an enrollment number (1 to 12 digits)`},
		{"bad source", `enrollments: [{enrollment: "1", source: csp}]`, `enrollments[0]: source: "csp" is not a source (valid: ea, arm)`},
		{"duplicate", `enrollments: [{enrollment: "1"}, {enrollment: "1"}]`, `enrollments[1]: enrollment "1" is already configured in enrollments[0]`},
		{"bad url", `enrollments: [{enrollment: "1", base_url: "consumption.azure.com"}]`, `enrollments[0]: base_url: "consumption.azure.com" must be an absolute http(s) URL`},
		{"url with query", `enrollments: [{enrollment: "1", base_url: "https://x/?a=b"}]`, `enrollments[0]: base_url: "https://x/?a=b" must not carry a query, fragment or user info`},
		{"bad currency", `enrollments: [{enrollment: "1", currency: usd}]`, `enrollments[0]: currency: "usd" is not an ISO 4217 code such as USD`},
		{"bad dimension", `enrollments: [{enrollment: "1", dimensions: [department, metercategory]}]`, `enrollments[0]: dimensions[1]: unknown dimension "metercategory" (valid: department, account, cost_center, subscription_id, subscription, resource_group, meter_id, meter_category, meter_subcategory, meter_name, meter_region, location, unit_of_measure; tags go in tag_labels)`},
		{"dimension twice", `enrollments: [{enrollment: "1", dimensions: [department, department]}]`, `enrollments[0]: dimensions[1]: "department" is listed twice`},
		{"tag clash", `enrollments: [{enrollment: "1", tag_labels: [cost-center, cost_center]}]`, `enrollments[0]: tag_labels[1]: "cost-center" and "cost_center" both become label tag_cost_center`},
		{"bad method", `enrollments: [{enrollment: "1", usage_method: ftp}]`, `enrollments[0]: usage_method: "ftp" is not a method (valid: auto, json, csv, async)`},
		{"negative budget", `enrollments: [{enrollment: "1", budgets: [{name: b, amount: -1}]}]`, `enrollments[0]: budgets[0] (b): amount -1 must not be negative`},
		{"budget scope type", `enrollments: [{enrollment: "1", budgets: [{name: b, amount: 1, scope_type: tag, scope: x}]}]`, `enrollments[0]: budgets[0] (b): scope_type "tag" is not a scope type (valid: enrollment, department, subscription, meter_category)`},
		{"budget duplicate", `enrollments: [{enrollment: "1", budgets: [{name: b, amount: 1}, {name: b, amount: 2}]}]`, `enrollments[0]: budgets[1]: name "b" is already used by budgets[0]`},
		{"budget no scope", `enrollments: [{enrollment: "1", budgets: [{name: b, amount: 1, scope_type: department}]}]`, `enrollments[0]: budgets[0] (b): scope is required for scope_type department`},
		{"budget no name", `enrollments: [{enrollment: "1", budgets: [{amount: 1}]}]`, `enrollments[0]: budgets[0]: name is required`},
		{"arm with key", `enrollments: [{enrollment: "1", source: arm, api_key_file: k}]`, `enrollments[0]: api_key_file: the arm source uses Entra ID credentials, not an EA API key`},
		{"arm with base_url", `enrollments: [{enrollment: "1", source: arm, base_url: "https://consumption.example"}]`, `enrollments[0]: base_url: the EA Reporting API's URL, which the arm source does not call; set arm.management_url instead`},
		{"arm on ea", `enrollments: [{enrollment: "1", arm: {tenant_id: t}}]`, `enrollments[0]: arm: set only for source arm`},
		{"arm half explicit", `enrollments: [{enrollment: "1", source: arm, arm: {client_secret_file: s}}]`, `enrollments[0]: arm: tenant_id and client_id are required with client_secret_file or client_certificate_file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.yml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(p, []byte("enrollments: [{enrollment: x}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p)
	want := "config file " + p + `: enrollments[0]: enrollment: "x" is not an enrollment number (1 to 12 digits)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// FuzzParse checks that no input makes the parser panic, and that whatever it
// accepts is valid.
func FuzzParse(f *testing.F) {
	f.Add([]byte("enrollments: [{enrollment: \"1\"}]"))
	f.Add([]byte("enrollments:\n  - enrollment: \"8608480\"\n    tag_labels: [env]\n    budgets: [{name: a, amount: 1, scope_type: department, scope: x}]\n"))
	f.Add([]byte("enrollments: [{enrollment: \"1\", source: arm, arm: {tenant_id: t, client_id: c, client_secret_file: s}}]"))
	f.Add([]byte("{{{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		if len(c.Enrollments) == 0 {
			t.Fatal("accepted a config without enrollments")
		}
		if err := c.validate(); err != nil {
			t.Fatalf("accepted config fails validation again: %v", err)
		}
	})
}

// An arm enrollment without a cloud leaves Cloud empty, so that the client
// takes the authority from AZURE_AUTHORITY_HOST (azidentity's rule) rather
// than the public cloud's; the management endpoint is still the public one.
func TestARMWithoutCloudLeavesTheAuthorityToTheEnvironment(t *testing.T) {
	c, err := Parse([]byte("enrollments:\n  - enrollment: \"1\"\n    source: arm\n  - enrollment: \"2\"\n    source: arm\n    arm: {cloud: china}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Enrollments[0].ARM; a.Cloud != "" || a.ManagementURL != DefaultARMManagementURL {
		t.Errorf("no cloud: cloud %q, management_url %q; want empty and %s", a.Cloud, a.ManagementURL, DefaultARMManagementURL)
	}
	if a := c.Enrollments[1].ARM; a.Cloud != "china" || a.ManagementURL != "" {
		t.Errorf("china: cloud %q, management_url %q; want the client to take China's endpoint", a.Cloud, a.ManagementURL)
	}
}

// The EA API key travels in a header: plain http is for this machine only.
func TestEABaseURLOverHTTPOnlyToLoopback(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://consumption.azure.com", true},
		{"https://mirror.example:8443/ea/", true},
		{"http://127.0.0.1:8080/mirror/", true},
		{"http://127.10.0.3", true},
		{"http://[::1]:9000", true},
		{"http://localhost:8080", true},
		{"http://LOCALHOST", true},
		{"http://mirror.example:8080", false},
		{"http://10.0.0.5", false},
		{"http://[::2]:80", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
	} {
		_, err := New(Enrollment{Enrollment: "1", BaseURL: tt.url})
		if tt.ok != (err == nil) {
			t.Errorf("base_url %s: %v, want ok %v", tt.url, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "in the clear") {
			t.Errorf("base_url %s: error %q does not say why", tt.url, err)
		}
	}
}

// TestParseRefusesSecondDocument: Parse decoded the first YAML document and
// ignored the rest, so a good document followed by garbage passed
// --config.check.
func TestParseRefusesSecondDocument(t *testing.T) {
	const good = "enrollments: [{enrollment: \"1\"}]\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"garbage after", good + "---\n]]{{ not yaml\n", "the config file must hold one YAML document; after the first: yaml: line 2: did not find expected node content"},
		{"a second configuration", good + "---\n" + good, "the config file must hold one YAML document; a second one starts at line 2"},
		{"a configuration after empty documents", good + "---\n# nothing\n---\n...\n---\n" + good, "the config file must hold one YAML document; a second one starts at line 6"},
		{"an explicit null", good + "---\nnull\n", "the config file must hold one YAML document; a second one starts at line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	// Empty documents after the first are nothing to ignore: a closing
	// "---", alone or followed by comments, or several.
	for _, ok := range []string{"---\n" + good, good + "...\n", good + "# the end\n", good + "---\n", good + "---\n# the end\n",
		good + "--- # the end\n", good + "---\n---\n...\n"} {
		if _, err := Parse([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestLoadRefusesWhatIsNotARegularFile: --config.file=/dev/zero was read
// until memory ran out, and a named pipe held start-up in open(2).
func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{fifo: "not a regular file (a named pipe)", dir: "not a regular file (a directory)"}
	if info, err := os.Stat("/dev/zero"); err == nil && info.Mode()&fs.ModeCharDevice != 0 {
		cases["/dev/zero"] = "not a regular file (a device)"
	}
	for path, cause := range cases {
		done := make(chan error, 1)
		go func() {
			_, err := Load(path)
			done <- err
		}()
		select {
		case err := <-done:
			if want := "reading config file " + path + ": " + cause; err == nil || err.Error() != want {
				t.Errorf("err %v, want %s", err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) is still reading", path)
		}
	}
}

func TestLoadTooLargeSaysTheBound(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yml")
	pad := "#" + strings.Repeat("x", maxConfigBytes) + "\n"
	if err := os.WriteFile(p, []byte("enrollments: [{enrollment: \"1\"}]\n"+pad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if want := "reading config file " + p + ": larger than 4 MiB"; err == nil || err.Error() != want {
		t.Errorf("err %v, want %s", err, want)
	}
}

// TestLoadThroughSymlink: Kubernetes mounts a ConfigMap's keys as links to
// regular files.
func TestLoadThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "..data-config.yml"), filepath.Join(dir, "config.yml")
	if err := os.WriteFile(target, []byte("enrollments: [{enrollment: \"1\"}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(link); err != nil || c.Enrollments[0].Enrollment != "1" {
		t.Fatalf("Load through a link: %v", err)
	}
}
