package collector

import (
	"strconv"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gaugeMaker makes the gauges of one snapshot. A const metric made by
// prometheus.MustNewConstMetric holds a label pair object of its own for
// every label, about 1.3 KB a usage series; thousands of series share each
// department, subscription or meter, so the gauges of a snapshot share one
// pair per distinct label name and value instead: a tenth of the memory,
// and scrapes that touch fewer objects. What a gauge writes is what a
// const gauge with the same labels writes.
type gaugeMaker struct {
	layouts map[*prometheus.Desc]*pairLayout
	pairs   map[[2]string]*dto.LabelPair
}

// pairLayout maps a descriptor's label values onto its label pairs, which
// are sorted by name: position i is label names[i], which takes variable
// label from[i], or is the constant pair fixed[i] when from[i] is -1.
type pairLayout struct {
	names     []string
	from      []int
	fixed     []*dto.LabelPair
	variables int
}

// sharedGauge is a gauge whose label pairs are shared with other gauges.
type sharedGauge struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	gauge  *dto.Gauge
}

// Desc implements prometheus.Metric.
func (g *sharedGauge) Desc() *prometheus.Desc { return g.desc }

// Write implements prometheus.Metric. Like a const metric's, it hands out
// its label pairs and value themselves, so that a scrape allocates nothing
// for it: readers of a dto.Metric do not change it.
func (g *sharedGauge) Write(out *dto.Metric) error {
	out.Label = g.labels
	out.Gauge = g.gauge
	return nil
}

// gauge returns a gauge of d with value v and the label values of d's
// variable labels. Labels that MustNewConstMetric refuses (a wrong count,
// invalid UTF-8) make it panic the same way.
func (m *gaugeMaker) gauge(d *prometheus.Desc, v float64, values ...string) prometheus.Metric {
	l := m.layout(d)
	if l == nil || len(values) != l.variables {
		return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, values...)
	}
	labels := make([]*dto.LabelPair, len(l.from))
	for i, from := range l.from {
		if from < 0 {
			labels[i] = l.fixed[i]
			continue
		}
		p := m.pair(l.names[i], values[from])
		if p == nil {
			return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, values...)
		}
		labels[i] = p
	}
	return &sharedGauge{desc: d, labels: labels, gauge: &dto.Gauge{Value: &v}}
}

// pair returns the shared pair of name and value, or nil when the value is
// no valid label value.
func (m *gaugeMaker) pair(name, value string) *dto.LabelPair {
	if m.pairs == nil {
		m.pairs = map[[2]string]*dto.LabelPair{}
	}
	key := [2]string{name, value}
	if p, ok := m.pairs[key]; ok {
		return p
	}
	if !utf8.ValidString(value) {
		return nil
	}
	p := &dto.LabelPair{Name: &key[0], Value: &key[1]}
	m.pairs[key] = p
	return p
}

// probe marks variable label i in the metric layout learns from: no label
// value of the exporter starts with U+FFFF, a noncharacter.
func probe(i int) string { return "\uFFFFprobe" + strconv.Itoa(i) }

// layout learns d's label pairs from a const metric with probe values: the
// registry sorts pairs by name, constant labels included. It returns nil
// when d itself is invalid, for MustNewConstMetric to report.
func (m *gaugeMaker) layout(d *prometheus.Desc) *pairLayout {
	if l, ok := m.layouts[d]; ok {
		return l
	}
	if m.layouts == nil {
		m.layouts = map[*prometheus.Desc]*pairLayout{}
	}
	var l *pairLayout
	for n := 0; n <= 64 && l == nil; n++ {
		l = learnLayout(d, n)
	}
	m.layouts[d] = l
	return l
}

// learnLayout tries d with n variable labels; nil when that is not its
// number of variable labels.
func learnLayout(d *prometheus.Desc, n int) *pairLayout {
	values := make([]string, n)
	for i := range values {
		values[i] = probe(i)
	}
	c, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, 0, values...)
	if err != nil {
		return nil
	}
	var pb dto.Metric
	if err := c.Write(&pb); err != nil {
		return nil
	}
	l := &pairLayout{variables: n}
	for _, lp := range pb.GetLabel() {
		from := -1
		for i := range values {
			if lp.GetValue() == values[i] {
				from = i
			}
		}
		var fixed *dto.LabelPair
		if from < 0 {
			fixed = lp
		}
		l.names = append(l.names, lp.GetName())
		l.from = append(l.from, from)
		l.fixed = append(l.fixed, fixed)
	}
	return l
}
