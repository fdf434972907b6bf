package collector

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestGaugeMakerWritesWhatConstGaugesWrite(t *testing.T) {
	descs := []*prometheus.Desc{
		prometheus.NewDesc("a", "h", []string{"zeta", "alpha", "mid"}, nil),
		prometheus.NewDesc("b", "h", []string{"x"}, prometheus.Labels{"const": "c", "y": "fixed"}),
		prometheus.NewDesc("c", "h", nil, nil),
		prometheus.NewDesc("d", "h", nil, prometheus.Labels{"only": "const"}),
	}
	values := [][]string{{"z1", "a1", "m1"}, {"x1"}, nil, nil}
	var m gaugeMaker
	for i, d := range descs {
		for n := range 3 {
			vals := append([]string(nil), values[i]...)
			if len(vals) > 0 {
				vals[0] += fmt.Sprint(n)
			}
			got, want := writeMetric(t, m.gauge(d, float64(n)/3, vals...)), writeMetric(t, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n)/3, vals...))
			if got.String() != want.String() {
				t.Errorf("desc %d: wrote %v, a const gauge writes %v", i, got, want)
			}
		}
	}
	one, two := writeMetric(t, m.gauge(descs[0], 1, "z", "shared", "m")), writeMetric(t, m.gauge(descs[0], 2, "z2", "shared", "m"))
	if one.Label[0] != two.Label[0] || one.Label[2] == two.Label[2] {
		t.Error("gauges with the same label value do not share its pair, or share another")
	}
}

func TestGaugeMakerRefusesLikeMustNewConstMetric(t *testing.T) {
	d := prometheus.NewDesc("a", "h", []string{"x", "y"}, nil)
	for name, vals := range map[string][]string{"invalid UTF-8": {"ok", "\xff"}, "too few values": {"one"}, "too many values": {"1", "2", "3"}} {
		var m gaugeMaker
		m.gauge(d, 1, "warm", "up")
		if !panics(func() { m.gauge(d, 1, vals...) }) {
			t.Errorf("%s: no panic", name)
		}
	}
	bad := prometheus.NewDesc("a", "h", []string{"x", "x"}, nil)
	var m gaugeMaker
	if !panics(func() { m.gauge(bad, 1) }) {
		t.Error("invalid desc: no panic")
	}
}

func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

func writeMetric(t *testing.T, m prometheus.Metric) *dto.Metric {
	t.Helper()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	return &pb
}
