package collector

import (
	"slices"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// layout is the label set of the usage metrics. One metric family must have
// the same label names for every enrollment, so the layout is the union of all
// enrollments' dimensions and tag labels; an enrollment that does not use a
// label leaves it empty, which Prometheus treats as absent.
type layout struct {
	dims      []apiclient.Dimension // in apiclient order
	tagLabels []string              // tag_<key> label names, sorted
	// costLabels are the usage cost labels (dims, then tag labels);
	// quantityLabels add unit_of_measure when it is not a dimension.
	costLabels, quantityLabels []string
	uomInDims                  bool
}

func newLayout(cfg *config.Config) *layout {
	var present [apiclient.NumDimensions]bool
	tags := map[string]bool{}
	for i := range cfg.Enrollments {
		e := &cfg.Enrollments[i]
		for _, d := range e.UsageDimensions() {
			present[d] = true
		}
		for _, k := range e.TagLabels {
			tags[config.TagLabelName(k)] = true
		}
	}
	l := &layout{}
	for d := apiclient.Dimension(0); d < apiclient.NumDimensions; d++ {
		if present[d] {
			l.dims = append(l.dims, d)
			l.costLabels = append(l.costLabels, d.String())
		}
	}
	for t := range tags {
		l.tagLabels = append(l.tagLabels, t)
	}
	slices.Sort(l.tagLabels)
	l.costLabels = append(l.costLabels, l.tagLabels...)
	l.uomInDims = present[apiclient.DimUnitOfMeasure]
	l.quantityLabels = slices.Clone(l.costLabels)
	if !l.uomInDims {
		l.quantityLabels = append(l.quantityLabels, apiclient.DimUnitOfMeasure.String())
	}
	return l
}

func (l *layout) equal(o *layout) bool {
	return slices.Equal(l.costLabels, o.costLabels) && slices.Equal(l.quantityLabels, o.quantityLabels)
}
