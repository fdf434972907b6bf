package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// apiMetrics counts the API calls of every enrollment, and the usage rows
// their answers held that could not be used whole. Unlike the data gauges
// these are live counters: they move during a refresh.
type apiMetrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	refused     *prometheus.CounterVec
	quota       *prometheus.GaugeVec
	skippedRows *prometheus.CounterVec
}

func newAPIMetrics(reg prometheus.Registerer) *apiMetrics {
	m := &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "api_requests_total",
			Help: "HTTP requests made to the billing API, by endpoint and status code class (error: no response).",
		}, []string{lEnrollment, "endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "api_request_duration_seconds",
			Help:    "Duration of HTTP requests to the billing API, body included, by endpoint.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{lEnrollment, "endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "api_retries_total",
			Help: "Billing API requests retried, by endpoint and reason (throttled: 429, unavailable: 503, server_error, timeout, network, truncated).",
		}, []string{lEnrollment, "endpoint", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "api_refused_links_total",
			Help: "Links from the billing API (nextLink, reportUrl) that pointed to another host and were not followed, so the credential was not sent there.",
		}, []string{lEnrollment, "endpoint"}),
		quota: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "api_quota_remaining",
			Help: "Remaining API quota as the last answer reported it (Cost Management's x-ms-ratelimit-remaining-* headers, arm source), by quota name.",
		}, []string{lEnrollment, "endpoint", "quota"}),
		skippedRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "usage_rows_skipped_total",
			Help: "Usage rows from the billing API that could not be used whole: dropped because their date or cost could not be read, or counted with quantity 0 because their quantity could not be read. Counted per usage read that succeeded; each read logs a warning with the first reason.",
		}, []string{lEnrollment}),
	}
	reg.MustRegister(m.requests, m.duration, m.retries, m.refused, m.quota, m.skippedRows)
	return m
}

// observer returns the apiclient.Observer of one enrollment, after creating
// every series it can touch at zero so that they exist before the first
// event.
func (m *apiMetrics) observer(enrollment string) apiclient.Observer {
	for _, ep := range apiclient.Endpoints {
		for _, code := range apiclient.CodeClasses {
			m.requests.WithLabelValues(enrollment, ep, code)
		}
		for _, reason := range apiclient.RetryReasons {
			m.retries.WithLabelValues(enrollment, ep, reason)
		}
		m.duration.WithLabelValues(enrollment, ep)
		m.refused.WithLabelValues(enrollment, ep)
	}
	m.skippedRows.WithLabelValues(enrollment)
	return &enrollmentObserver{m: m, enrollment: enrollment}
}

// usageSkipped returns the counter of one enrollment's usage rows that
// could not be used whole.
func (m *apiMetrics) usageSkipped(enrollment string) prometheus.Counter {
	return m.skippedRows.WithLabelValues(enrollment)
}

// forget removes an enrollment's series after it left the configuration.
func (m *apiMetrics) forget(enrollment string) {
	l := prometheus.Labels{lEnrollment: enrollment}
	m.requests.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.retries.DeletePartialMatch(l)
	m.refused.DeletePartialMatch(l)
	m.quota.DeletePartialMatch(l)
	m.skippedRows.DeletePartialMatch(l)
}

type enrollmentObserver struct {
	m          *apiMetrics
	enrollment string
}

func (o *enrollmentObserver) ObserveRequest(endpoint string, code int, d time.Duration) {
	o.m.requests.WithLabelValues(o.enrollment, endpoint, apiclient.CodeClass(code)).Inc()
	o.m.duration.WithLabelValues(o.enrollment, endpoint).Observe(d.Seconds())
}

func (o *enrollmentObserver) ObserveRetry(endpoint, reason string) {
	o.m.retries.WithLabelValues(o.enrollment, endpoint, reason).Inc()
}

func (o *enrollmentObserver) ObserveRefused(endpoint string) {
	o.m.refused.WithLabelValues(o.enrollment, endpoint).Inc()
}

func (o *enrollmentObserver) ObserveQuota(endpoint, quota string, remaining float64) {
	o.m.quota.WithLabelValues(o.enrollment, endpoint, quota).Set(remaining)
}
