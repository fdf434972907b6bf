package collector

import (
	"html/template"
	"net/http"
	"time"
)

// LandingOptions configures the landing page.
type LandingOptions struct {
	Name, Version, MetricsPath string
	// Demo says that the data is simulated.
	Demo bool
	// Now is the clock for data ages; nil means time.Now.
	Now func() time.Time
}

var landingTemplate = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Name}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
th { background: #f4f4f4; }
.ok { color: #11691f; } .fail { color: #b00020; font-weight: bold; } .pending { color: #8a6d00; }
.demo { background: #fff3cd; padding: 0.5em 1em; border: 1px solid #e0c36a; display: inline-block; }
</style>
</head>
<body>
<h1>{{.Name}}</h1>
<p>Prometheus exporter for Azure Enterprise Agreement billing: cost, prepaid credit and overage by department, meter and subscription.</p>
{{if .Demo}}<p class="demo">Demo mode: the data comes from a built-in simulated enrollment, not from Azure.</p>{{end}}
<ul>
<li><a href="{{.MetricsPath}}">Metrics</a> (served from memory; data is refreshed in the background)</li>
<li><a href="-/healthy">Health</a></li>
</ul>
<h2>Enrollments</h2>
{{range .Enrollments}}
<h3>Enrollment {{.Enrollment}} <small>(source {{.Source}})</small></h3>
<table>
<tr><th>Dataset</th><th>Last refresh</th><th>Duration</th><th>Last success</th><th>Data age</th></tr>
{{range .Datasets}}<tr>
<td>{{.Dataset}}</td>
<td>{{if not .Attempted}}<span class="pending">pending</span>{{else if .Success}}<span class="ok">ok</span>{{else if .HasSuccess}}<span class="fail">failed, serving last good data</span>{{else}}<span class="fail">failed, no data yet</span>{{end}}</td>
<td>{{if .Attempted}}{{.Duration}}{{end}}</td>
<td>{{if .HasSuccess}}{{.LastSuccess}}{{else}}never{{end}}</td>
<td>{{if .HasSuccess}}{{.Age}}{{end}}</td>
</tr>{{end}}
</table>
{{else}}<p>No enrollment configured.</p>{{end}}
<p><small>Version: {{.Version}}</small></p>
</body>
</html>
`))

type landingDataset struct {
	Dataset            string
	Attempted, Success bool
	HasSuccess         bool
	Duration, Age      time.Duration
	LastSuccess        string
}

type landingEnrollment struct {
	Enrollment, Source string
	Datasets           []landingDataset
}

// LandingPage serves the exporter's front page: links and each enrollment's
// refresh status and data freshness. It shows no credential: the status holds
// none.
func LandingPage(e *Exporter, o LandingOptions) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		now := o.Now()
		var ens []landingEnrollment
		for _, s := range e.Status() {
			le := landingEnrollment{Enrollment: s.Enrollment, Source: s.Source}
			for _, d := range s.Datasets {
				ld := landingDataset{
					Dataset: d.Dataset, Attempted: d.Attempted, Success: d.Success,
					Duration: d.Duration.Round(time.Millisecond),
				}
				if !d.LastSuccess.IsZero() {
					ld.HasSuccess = true
					ld.LastSuccess = d.LastSuccess.UTC().Format(time.RFC3339)
					ld.Age = now.Sub(d.LastSuccess).Round(time.Second)
				}
				le.Datasets = append(le.Datasets, ld)
			}
			ens = append(ens, le)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = landingTemplate.Execute(w, struct {
			LandingOptions
			Enrollments []landingEnrollment
		}{o, ens})
	})
}
