// Package e2e checks what azure-ea-exporter ships for its users, the Grafana
// dashboards in ../dashboards and the Prometheus rules in ../alerts, against
// the Grafana schema, the PromQL grammar, promtool and the list of metrics the
// exporter exports. It is a module of its own so that the Prometheus and
// Grafana SDK dependencies stay out of the exporter's go.mod. The checks are
// tests: run them with `go test ./...` in this directory.
package e2e
