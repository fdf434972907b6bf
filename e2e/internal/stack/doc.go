// Package stack starts the pieces of the end-to-end test: the exporter
// binary built from the parent module, real Prometheus and real
// Alertmanager (the Debian packages' binaries), each on a loopback port with
// its data in the test's temporary directory, each stopped when the test
// ends.
package stack
