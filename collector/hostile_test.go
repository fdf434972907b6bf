package collector

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/collector/config"
)

// hostileValues are label values an API might send: invalid UTF-8 (two
// different byte strings that both become U+FFFD), 10 KB values that differ
// only after the length limit, control characters and exposition syntax,
// and multi-byte text cut by the limit.
var hostileValues = []string{
	"\xff\xfe", "\xfe", "ok\xc3",
	strings.Repeat("x", 10<<10) + "a", strings.Repeat("x", 10<<10) + "b",
	"ctl\x00\x01\n\r\t\"\\}{=,#", strings.Repeat("é", 300), "\u2028\ufeff", "",
}

// hostileSource serves every hostile value in every field that becomes a
// label, including the currency.
func hostileSource() *memSource {
	src := testSource()
	src.balances["202611"].Currency = strings.Repeat("€", 5000) + "\xff"
	src.rows = nil
	src.market = map[string][]apiclient.MarketplaceCharge{}
	src.prices = nil
	for i, v := range hostileValues {
		values := map[apiclient.Dimension]string{}
		for d := apiclient.Dimension(0); d < apiclient.NumDimensions; d++ {
			values[d] = v
		}
		src.rows = append(src.rows, memRow{period: "202611", date: "2026-11-18", cost: float64(i + 1), qty: 1, values: values, tags: map[string]string{"env": v}})
		src.market["202611"] = append(src.market["202611"], apiclient.MarketplaceCharge{
			Department: v, SubscriptionID: v, Subscription: v, Publisher: v, Offer: v, Plan: v, Cost: float64(i + 1)})
		src.prices = append(src.prices, apiclient.PriceSheetItem{MeterID: v, MeterName: v, PartNumber: v, UnitOfMeasure: v,
			UnitPrice: float64(i + 1), Currency: v})
	}
	return src
}

func TestHostileLabelValues(t *testing.T) {
	yes := true
	var every []string
	for d := apiclient.Dimension(0); d < apiclient.NumDimensions; d++ {
		every = append(every, d.String())
	}
	r := newTestRefresher(t, hostileSource(), config.Enrollment{
		Enrollment: "100", Dimensions: every, TagLabels: []string{"env"}, Datasets: config.Datasets{PriceSheet: &yes},
	})
	r.refresh(context.Background())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(snapCollector{r})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gathering: %v", err)
	}
	var want float64
	for i := range hostileValues {
		want += float64(i + 1)
	}
	totals := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			checkLabels(t, mf.GetName(), m)
			totals[mf.GetName()] += m.GetGauge().GetValue()
		}
	}
	for _, name := range []string{"azure_ea_usage_cost", "azure_ea_marketplace_cost"} {
		if totals[name] != want {
			t.Errorf("%s sums to %v, want %v: values that became equal must be added up, not dropped", name, totals[name], want)
		}
	}
	if v := totals["azure_ea_refresh_success"]; v != 5 {
		t.Errorf("%v datasets refreshed, want 5", v)
	}
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(&text); err != nil {
		t.Errorf("the exposition does not parse: %v", err)
	}
}

func checkLabels(t *testing.T, name string, m *dto.Metric) {
	t.Helper()
	for _, lp := range m.GetLabel() {
		if v := lp.GetValue(); !utf8.ValidString(v) || len(v) > maxLabelValueLen {
			t.Errorf("%s{%s}: a value of %d bytes, valid UTF-8 %v", name, lp.GetName(), len(v), utf8.ValidString(v))
		}
	}
}

func TestSanitizeLabelValue(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                        "plain",
		"\xff":                         "\ufffd",
		"a\xc3b":                       "a\ufffdb",
		strings.Repeat("é", 200):       strings.Repeat("é", 128),
		strings.Repeat("x", 255) + "é": strings.Repeat("x", 255),
		"ctl\x00":                      "ctl\x00",
	} {
		if got := sanitizeLabelValue([]byte(in)); got != want {
			t.Errorf("sanitizeLabelValue(%.20q) = %.20q (%d bytes), want %.20q", in, got, len(got), want)
		}
	}
}
