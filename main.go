// Command azure-ea-exporter serves Azure Enterprise Agreement billing data
// (cost, prepaid credit and overage) as Prometheus metrics. It refreshes the
// data in the background; scrapes are answered from memory.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	slgk "github.com/tjhop/slog-gokit"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/arm"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/ea"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

const (
	programName = "azure-ea-exporter"
	// exitUsage is the exit code of a start-up error the user must fix.
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// flags holds the command line.
type flags struct {
	web           *web.FlagConfig
	telemetryPath string
	logLevel      string
	logFormat     string
	configFile    string
	configCheck   bool
	enrollment    string
	apiKeyFile    string
	baseURL       string
	dimensions    string
	tagLabels     string
	priceSheet    bool
	currency      string
	usageMethod   string
	refresh       time.Duration
	demo          bool
	source        string
	armAccount    string
	armURL        string
	// withoutFile names the flags that build the one enrollment without
	// --config.file, with whether each was given.
	withoutFile map[string]*bool
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	app := kingpin.New(programName, "Prometheus exporter for Azure Enterprise Agreement billing: cost, prepaid credit and overage by department, meter and subscription.")
	app.Version(version.Print(programName))
	app.HelpFlag.Short('h')
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	f := &flags{web: kingpinflag.AddFlags(app, ":9743"), withoutFile: map[string]*bool{}}
	// noFile marks a flag that only applies without --config.file.
	noFile := func(name, help string) *kingpin.FlagClause {
		set := new(bool)
		f.withoutFile[name] = set
		return app.Flag(name, help).IsSetByUser(set)
	}
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.telemetryPath)
	app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").EnumVar(&f.logLevel, "debug", "info", "warn", "error")
	app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").EnumVar(&f.logFormat, "logfmt", "json")
	app.Flag("config.file", "YAML file with one or more enrollments (source, credentials, dimensions, datasets, budgets). Reloaded on SIGHUP and POST /-/reload.").PlaceHolder("FILE").StringVar(&f.configFile)
	app.Flag("config.check", "Validate the configuration (flags or --config.file) and the credentials' presence, then exit.").BoolVar(&f.configCheck)
	noFile("ea.enrollment", "EA enrollment number, for one enrollment without --config.file.").PlaceHolder("NUMBER").StringVar(&f.enrollment)
	noFile("ea.api-key-file", "File holding the EA API key. Without it, the key is read from the environment variable AZURE_EA_API_KEY. The key is never a flag value.").PlaceHolder("FILE").StringVar(&f.apiKeyFile)
	noFile("ea.base-url", "Base URL of the EA Reporting API.").Default(config.DefaultEABaseURL).StringVar(&f.baseURL)
	noFile("usage.dimensions", "Comma-separated usage cost labels, without --config.file. Choose from: department, account, cost_center, subscription_id, subscription, resource_group, meter_id, meter_category, meter_subcategory, meter_name, meter_region, location, unit_of_measure.").Default(strings.Join(config.DefaultDimensions, ",")).StringVar(&f.dimensions)
	noFile("usage.tag-labels", "Comma-separated tag keys exported as tag_<key> usage labels, without --config.file.").PlaceHolder("KEYS").StringVar(&f.tagLabels)
	noFile("usage.method", "How usage details are downloaded, without --config.file. One of: [auto, json, csv, async]").Default("auto").EnumVar(&f.usageMethod, "auto", "json", "csv", "async")
	noFile("collect.price-sheet", "Export the price sheet (thousands of series), without --config.file.").BoolVar(&f.priceSheet)
	noFile("currency", "Currency code for money series when neither the balance summary nor the price sheet says, without --config.file.").PlaceHolder("CODE").StringVar(&f.currency)
	app.Flag("refresh.interval", "How often data is refreshed in the background.").Default("30m").DurationVar(&f.refresh)
	app.Flag("demo", "Serve a built-in simulated enrollment: no Azure account needed. With --source=arm, the simulation speaks the management.azure.com APIs.").BoolVar(&f.demo)
	noFile("source", "Data source for one enrollment without --config.file: ea (EA Reporting API, API key) or arm (management.azure.com, Entra ID). One of: [ea, arm]").Default(config.SourceEA).EnumVar(&f.source, config.SourceEA, config.SourceARM)
	noFile("arm.billing-account", "EA billing account id (the enrollment number) for --source=arm; default: --ea.enrollment.").PlaceHolder("ID").StringVar(&f.armAccount)
	noFile("arm.management-url", "Resource Manager endpoint for --source=arm. Credentials come from azidentity's default chain (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, ...).").Default(config.DefaultARMManagementURL).StringVar(&f.armURL)
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}
	if f.refresh < time.Second {
		return nil, fmt.Errorf("--refresh.interval %s is too short: use 1s or more", f.refresh)
	}
	if err := checkTelemetryPath(f.telemetryPath); err != nil {
		return nil, err
	}
	if err := checkListenAddresses(f.web); err != nil {
		return nil, err
	}
	return f, nil
}

// checkTelemetryPath refuses a --web.telemetry-path the mux would reject or
// that would hide another page: it must be an absolute path other than the
// landing page and the /-/ endpoints, without spaces or pattern braces.
func checkTelemetryPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("--web.telemetry-path %q must start with /", p)
	case p == "/" || p == "/-" || strings.HasPrefix(p, "/-/"):
		return fmt.Errorf("--web.telemetry-path %q is the landing page's or the /-/ endpoints' path", p)
	case strings.ContainsAny(p, " \t\r\n{}?#"):
		return fmt.Errorf("--web.telemetry-path %q may not contain spaces, braces, ? or #", p)
	}
	return nil
}

// checkListenAddresses refuses a --web.listen-address that is not
// host:port (or exporter-toolkit's vsock://:port), so that it is a usage
// error rather than a failed start.
func checkListenAddresses(fc *web.FlagConfig) error {
	if fc.WebSystemdSocket != nil && *fc.WebSystemdSocket {
		return nil
	}
	for _, addr := range *fc.WebListenAddresses {
		hostPort := strings.TrimPrefix(addr, "vsock://")
		_, port, err := net.SplitHostPort(hostPort)
		if err == nil {
			_, err = net.LookupPort("tcp", port)
		}
		if err != nil {
			return fmt.Errorf("--web.listen-address %q is not [host]:port: %w", addr, err)
		}
	}
	return nil
}

func run(args []string, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", programName, err)
		return exitUsage
	}
	base, levelVar := newLogger(f.logLevel, f.logFormat, stderr)
	slogger := slog.New(slgk.NewGoKitHandler(base, levelVar))
	logger := log.With(base, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
	fail := func(err error) int {
		level.Error(logger).Log("msg", "cannot start", "err", err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP is caught from the start: its default action would end the
	// process before the reloader listens. One that comes early reloads
	// once the exporter runs.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var cfg *config.Config
	var armTweak func(*arm.Config)
	if f.demo {
		d, err := startDemo(ctx, logger, f.source)
		if err != nil {
			return fail(fmt.Errorf("demo: %w", err))
		}
		defer d.close()
		cfg, armTweak = d.cfg, d.tweakARM
	} else if cfg, err = loadConfig(f); err != nil {
		return fail(err)
	}
	if err := checkCredentials(cfg); err != nil {
		return fail(err)
	}
	if f.web.WebConfigFile != nil && *f.web.WebConfigFile != "" {
		if err := web.Validate(*f.web.WebConfigFile); err != nil {
			return fail(fmt.Errorf("--web.config.file: %w", err))
		}
	}
	if f.configCheck {
		fmt.Fprintf(stderr, "configuration OK: %d enrollment(s)\n", len(cfg.Enrollments))
		return 0
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		versioncollector.NewCollector("azure_ea_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	exp := collector.New(ctx, collector.Options{
		NewSource: sourceFactory(armTweak), Interval: f.refresh, Logger: logger, Registerer: reg,
	})
	defer exp.Stop()
	rl := newReloader(f, exp, logger, reg)
	if err := rl.apply(cfg); err != nil {
		return fail(err)
	}
	level.Info(logger).Log("msg", "starting", "version", version.Info(), "enrollments", len(cfg.Enrollments), "refresh_interval", f.refresh)
	go rl.watchSIGHUP(ctx, hup)

	mux := http.NewServeMux()
	// The Exporter's snapshots are served beside reg (not registered with
	// it): gathered, and for gzip scrapes compressed, once per refresh, not
	// at every scrape. No promhttp Timeout: a scrape is served from memory
	// and cannot hang, and that timeout buffers the whole body of every
	// scrape (tens of MB at 100k series, as many times as scrapes run at
	// once).
	mux.Handle(f.telemetryPath, exp.Handler(reg, collector.HandlerOptions{
		ErrorLog:            slog.NewLogLogger(slogger.Handler(), slog.LevelError),
		MaxRequestsInFlight: 40,
	}))
	mux.Handle("/-/reload", rl)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy.") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready.") })
	mux.Handle("/", collector.LandingPage(exp, collector.LandingOptions{
		Name: programName, Version: version.Info(), MetricsPath: f.telemetryPath, Demo: f.demo,
	}))
	// WriteTimeout bounds a scrape that reads too slowly; promhttp's own
	// Timeout is not used because it buffers every scrape's whole body.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(slogger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, f.web, slogger) }()
	select {
	case err := <-errc:
		level.Error(logger).Log("msg", "web server failed", "err", err)
		return 1
	case <-ctx.Done():
		level.Info(logger).Log("msg", "shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		return 0
	}
}

// newLogger builds the go-kit logger of --log.level and --log.format, without
// time stamp and caller, and the level exporter-toolkit's slog bridge filters
// on. The bridge adds its own time and caller; go-kit callers get theirs from
// withTimestamp.
func newLogger(lvl, format string, w io.Writer) (log.Logger, *slog.LevelVar) {
	var logger log.Logger
	if format == "json" {
		logger = log.NewJSONLogger(log.NewSyncWriter(w))
	} else {
		logger = log.NewLogfmtLogger(log.NewSyncWriter(w))
	}
	levels := map[string]struct {
		allow level.Option
		slog  slog.Level
	}{
		"debug": {level.AllowDebug(), slog.LevelDebug},
		"info":  {level.AllowInfo(), slog.LevelInfo},
		"warn":  {level.AllowWarn(), slog.LevelWarn},
		"error": {level.AllowError(), slog.LevelError},
	}
	l, ok := levels[lvl]
	if !ok {
		l = levels["info"]
	}
	levelVar := &slog.LevelVar{}
	levelVar.Set(l.slog)
	opt := l.allow
	logger = level.NewFilter(logger, opt)
	return logger, levelVar
}

// givenWithoutFileFlags lists, sorted, the flags given that only apply
// without --config.file.
func (f *flags) givenWithoutFileFlags() []string {
	var given []string
	for name, set := range f.withoutFile {
		if *set {
			given = append(given, "--"+name)
		}
	}
	slices.Sort(given)
	return given
}

// loadConfig reads --config.file, or builds one enrollment from flags.
func loadConfig(f *flags) (*config.Config, error) {
	if f.configFile != "" {
		if given := f.givenWithoutFileFlags(); len(given) > 0 {
			return nil, fmt.Errorf("%s cannot be combined with --config.file: put them in the file", strings.Join(given, ", "))
		}
		return config.Load(f.configFile)
	}
	if f.enrollment == "" && f.armAccount != "" {
		f.enrollment = f.armAccount
	}
	if f.enrollment == "" {
		return nil, errors.New("no enrollment: set --ea.enrollment (with --ea.api-key-file or AZURE_EA_API_KEY), --config.file, or try --demo")
	}
	yes := true
	e := config.Enrollment{
		Enrollment: f.enrollment, Source: f.source,
		Dimensions: splitList(f.dimensions), TagLabels: splitList(f.tagLabels),
		Currency: f.currency, UsageMethod: f.usageMethod,
	}
	if f.source == config.SourceARM {
		if f.apiKeyFile != "" {
			return nil, errors.New("--ea.api-key-file: the arm source uses Entra ID credentials, not an EA API key")
		}
		e.ARM = config.ARM{BillingAccount: f.armAccount, ManagementURL: f.armURL}
	} else {
		e.APIKeyFile, e.BaseURL = f.apiKeyFile, f.baseURL
	}
	if f.priceSheet {
		e.Datasets.PriceSheet = &yes
	}
	c, err := config.New(e)
	if err != nil {
		return nil, errors.New(flagError(err.Error()))
	}
	return c, nil
}

// flagError names the flag behind a configuration error of the flags-only
// case, where the user wrote no configuration file to point into.
func flagError(msg string) string {
	msg = strings.TrimPrefix(msg, "enrollments[0]: ")
	for field, flag := range map[string]string{
		"enrollment:": "--ea.enrollment:", "base_url:": "--ea.base-url:", "currency:": "--currency:",
		"dimensions[": "--usage.dimensions[", "tag_labels[": "--usage.tag-labels[",
		"arm.management_url:": "--arm.management-url:",
	} {
		if strings.HasPrefix(msg, field) {
			return flag + strings.TrimPrefix(msg, field)
		}
	}
	return msg
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkCredentials fails when an enrollment's key cannot be read, so that a
// missing key file stops the start instead of failing every refresh.
func checkCredentials(cfg *config.Config) error {
	for _, e := range cfg.Enrollments {
		if e.Source == config.SourceARM {
			// Reads the service principal's secret or certificate file when
			// one is configured; the default chain is only tried at the
			// first refresh.
			if _, err := arm.New(armConfig(e, apiclient.NopObserver{}, log.NewNopLogger())); err != nil {
				return fmt.Errorf("enrollment %s: %w", e.Enrollment, err)
			}
			continue
		}
		c, err := ea.New(ea.Config{BaseURL: e.BaseURL, Enrollment: e.Enrollment, KeyFile: e.APIKeyFile})
		if err == nil {
			err = c.CheckCredential()
		}
		if err != nil {
			return fmt.Errorf("enrollment %s: %w", e.Enrollment, err)
		}
	}
	return nil
}

// sourceFactory makes each enrollment's data source. armTweak, when not nil,
// adjusts the arm client's configuration (the demo's trusts its simulated
// API and polls it faster).
func sourceFactory(armTweak func(*arm.Config)) collector.SourceFactory {
	return func(e config.Enrollment, obs apiclient.Observer, logger log.Logger) (apiclient.Source, error) {
		logger = log.With(logger, "enrollment", e.Enrollment)
		switch e.Source {
		case config.SourceEA:
			return ea.New(ea.Config{
				BaseURL: e.BaseURL, Enrollment: e.Enrollment, KeyFile: e.APIKeyFile,
				Observer: obs, Logger: logger,
			})
		case config.SourceARM:
			c := armConfig(e, obs, logger)
			if armTweak != nil {
				armTweak(&c)
			}
			return arm.New(c)
		}
		return nil, fmt.Errorf("source %q is not supported", e.Source)
	}
}

// armConfig maps an enrollment's configuration onto the arm client's.
func armConfig(e config.Enrollment, obs apiclient.Observer, logger log.Logger) arm.Config {
	return arm.Config{
		BillingAccount: e.ARM.BillingAccount, ManagementURL: e.ARM.ManagementURL,
		Cloud: e.ARM.Cloud, Audience: e.ARM.Audience,
		TenantID: e.ARM.TenantID, ClientID: e.ARM.ClientID,
		ClientSecretFile: e.ARM.ClientSecretFile, ClientCertificateFile: e.ARM.ClientCertificateFile,
		AuthorityHost: e.ARM.AuthorityHost, Observer: obs, Logger: logger,
	}
}
