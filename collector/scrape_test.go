package collector

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrape serves one request with h and returns the response.
func scrape(t *testing.T, h http.Handler, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// decodedBody returns the families of a response, gunzipped as its
// Content-Encoding says, in name order. A gzip body must be one member
// with nothing after it.
func decodedBody(t *testing.T, resp *http.Response) []*dto.MetricFamily {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := raw
	if resp.Header.Get("Content-Encoding") == "gzip" {
		br := bufio.NewReader(bytes.NewReader(raw))
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		zr.Multistream(false)
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		if rest, _ := io.ReadAll(br); len(rest) > 0 {
			t.Fatalf("%d bytes after the gzip member", len(rest))
		}
	}
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.Format(resp.Header.Get("Content-Type")))
	var mfs []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding %s body: %v", resp.Header.Get("Content-Type"), err)
		}
		mfs = append(mfs, mf)
	}
	slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return mfs
}

func textOf(t *testing.T, mfs []*dto.MetricFamily) string {
	t.Helper()
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func TestHandlerServesWhatPromhttpServes(t *testing.T) {
	e, live, _ := startedExporter(t)
	ours := e.Handler(live, HandlerOptions{})
	theirs := promhttp.HandlerFor(e.Gatherer(live), promhttp.HandlerOpts{})
	protobuf := `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3`
	prometheus3 := `text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1`
	for _, tc := range []struct {
		accept, encoding string
		gzip             bool
	}{
		{"", "gzip", true},
		{"", "", false},
		{"", "GZIP;q=0.5", false},     // promhttp compares codings as written
		{"", "*", false},              // identity is offered first, and wins the tie
		{"", "gzip, identity", false}, // the same tie
		{"", "identity;q=0.5, gzip;q=0.8", true},
		{"", "gzip;q=0", false},
		{"", "deflate", false},
		{protobuf, "gzip", true},
		{prometheus3, "gzip", true},
		{"text/plain", "gzip;level=9", false}, // not read plainly: promhttp decides
	} {
		header := map[string]string{"Accept": tc.accept, "Accept-Encoding": tc.encoding}
		got, want := scrape(t, ours, "/metrics", header), scrape(t, theirs, "/metrics", header)
		name := tc.accept + " | " + tc.encoding
		if got.StatusCode != 200 || want.StatusCode != 200 {
			t.Fatalf("%s: status %d, promhttp's %d", name, got.StatusCode, want.StatusCode)
		}
		for _, h := range []string{"Content-Type", "Content-Encoding"} {
			if got.Header.Get(h) != want.Header.Get(h) {
				t.Errorf("%s: %s %q, promhttp's %q", name, h, got.Header.Get(h), want.Header.Get(h))
			}
		}
		if g, w := got.Header.Values("Vary"), want.Header.Values("Vary"); !slices.Equal(g, w) {
			t.Errorf("%s: Vary %q, promhttp's %q", name, g, w)
		}
		if isGzip := got.Header.Get("Content-Encoding") == "gzip"; isGzip != tc.gzip {
			t.Errorf("%s: gzip %v, want %v", name, isGzip, tc.gzip)
		}
		gotText, wantText := textOf(t, decodedBody(t, got)), textOf(t, decodedBody(t, want))
		if gotText != wantText {
			t.Errorf("%s: served\n%s\npromhttp serves\n%s", name, gotText, wantText)
		}
		if !strings.Contains(gotText, "live_gauge 0") || !strings.Contains(gotText, `azure_ea_usage_cost{`) {
			t.Errorf("%s: body lacks live or snapshot metrics:\n%s", name, gotText)
		}
	}
}

func TestHandlerCompressesSnapshotsOncePerRefreshAndFormat(t *testing.T) {
	e, live, src := startedExporter(t)
	h := e.Handler(live, HandlerOptions{}).(*scrapeHandler)
	gz := map[string]string{"Accept-Encoding": "gzip"}
	proto := map[string]string{"Accept-Encoding": "gzip", "Accept": string(expfmt.NewFormat(expfmt.TypeProtoDelim))}
	first := textOf(t, decodedBody(t, scrape(t, h, "/metrics", gz)))
	for range 3 {
		if again := textOf(t, decodedBody(t, scrape(t, h, "/metrics", gz))); again != first {
			t.Fatalf("a second scrape served\n%s\nthe first\n%s", again, first)
		}
	}
	scrape(t, h, "/metrics", proto)
	scrape(t, h, "/metrics", map[string]string{}) // uncompressed: promhttp
	if h.builds != 2 {
		t.Errorf("%d compressions for 5 gzip scrapes in 2 formats, want 2", h.builds)
	}

	src.mu.Lock()
	src.rows[0].cost += 1000
	src.version++
	src.mu.Unlock()
	(*e.current.Load())[0].refresh(context.Background())
	after := textOf(t, decodedBody(t, scrape(t, h, "/metrics", gz)))
	if after == first {
		t.Error("a refresh that changed the usage did not change the body")
	}
	want := textOf(t, decodedBody(t, scrape(t, h, "/metrics", map[string]string{})))
	if after != want {
		t.Errorf("after a refresh gzip serves\n%s\nuncompressed\n%s", after, want)
	}
	if h.builds != 3 {
		t.Errorf("%d compressions after a refresh, want 3", h.builds)
	}
}

func TestHandlerNameFilter(t *testing.T) {
	e, live, _ := startedExporter(t)
	resp := scrape(t, e.Handler(live, HandlerOptions{}), "/metrics?name[]=live_gauge", map[string]string{"Accept-Encoding": "gzip"})
	mfs := decodedBody(t, resp)
	if len(mfs) != 1 || mfs[0].GetName() != "live_gauge" {
		t.Errorf("name[]=live_gauge served %d families: %s", len(mfs), textOf(t, mfs))
	}
}

func TestHandlerReportsADuplicateFamilyAsPromhttp(t *testing.T) {
	e, live, _ := startedExporter(t)
	live.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "azure_ea_up", Help: "A clash."}))
	resp := scrape(t, e.Handler(live, HandlerOptions{}), "/metrics", map[string]string{"Accept-Encoding": "gzip"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "azure_ea_up") {
		t.Errorf("status %d, body %q: want a 500 naming the clash", resp.StatusCode, body)
	}
}

// blockingGatherer gathers nothing, once release is closed.
type blockingGatherer struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingGatherer) Gather() ([]*dto.MetricFamily, error) {
	b.entered <- struct{}{}
	<-b.release
	return nil, nil
}

func TestHandlerLimitsScrapesInFlight(t *testing.T) {
	e, _, _ := startedExporter(t)
	live := &blockingGatherer{entered: make(chan struct{}, 1), release: make(chan struct{})}
	h := e.Handler(live, HandlerOptions{MaxRequestsInFlight: 1})
	done := make(chan *http.Response)
	go func() { done <- scrape(t, h, "/metrics", map[string]string{"Accept-Encoding": "gzip"}) }()
	<-live.entered
	if resp := scrape(t, h, "/metrics", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a second scrape in flight: status %d, want 503", resp.StatusCode)
	}
	close(live.release)
	if resp := <-done; resp.StatusCode != http.StatusOK {
		t.Errorf("the first scrape: status %d", resp.StatusCode)
	}
}

func TestHandlerConcurrentScrapesDuringRefreshes(t *testing.T) {
	e, live, _ := startedExporter(t)
	h := e.Handler(live, HandlerOptions{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				(*e.current.Load())[i%4/2].refresh(context.Background())
			}
			resp := scrape(t, h, "/metrics", map[string]string{"Accept-Encoding": "gzip"})
			if mfs := decodedBody(t, resp); len(mfs) == 0 {
				t.Error("a scrape served no families")
			}
		})
	}
	wg.Wait()
}

func TestChoosesGzip(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate", "gzip;q=0.9"}, true},
		{[]string{"identity;q=1", "gzip;q=1"}, false},
		{[]string{"gzip;q=0.1, *;q=0"}, true},
		{[]string{"gzip;q=x"}, false},
		{[]string{"gzip;q=2"}, false},
		{[]string{"gzip, br;foo=bar"}, false},
		{[]string{" gzip ; q=0.5 , "}, true},
	} {
		h := http.Header{"Accept-Encoding": tc.header}
		if got := choosesGzip(h); got != tc.want {
			t.Errorf("choosesGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}
