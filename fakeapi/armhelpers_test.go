package fakeapi

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// armFixture is the ARM side on a TLS test server with a settable clock.
type armFixture struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *clock
	token string
}

func newARMFixture(t *testing.T, o Options) *armFixture {
	t.Helper()
	c := &clock{t: testNow}
	if o.Now == nil {
		o.Now = c.Now
	}
	if o.RowsPerDay == 0 {
		o.RowsPerDay = 40
	}
	s := New(o)
	s.SetARMOperations(ARMOperations{Polls: 1})
	ts := httptest.NewTLSServer(s.ARMHandler())
	t.Cleanup(ts.Close)
	return &armFixture{t: t, s: s, ts: ts, clock: c, token: s.ARMToken()}
}

// account is the billing account's path.
func (f *armFixture) account() string {
	return "/providers/Microsoft.Billing/billingAccounts/" + f.s.Enrollment()
}

// do sends a request with the fixture's token (unless header sets
// Authorization, to "" for none) and reads the whole answer.
func (f *armFixture) do(method, url, body string, header map[string]string) response {
	f.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = f.ts.URL + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func (f *armFixture) get(url string) response {
	f.t.Helper()
	return f.do(http.MethodGet, url, "", nil)
}

// noAuth is the header set of a blob request.
var noAuth = map[string]string{"Authorization": ""}

// costManifest is a finished cost details report.
type costManifest struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Manifest struct {
		ManifestVersion string `json:"manifestVersion"`
		DataFormat      string `json:"dataFormat"`
		BlobCount       int    `json:"blobCount"`
		ByteCount       int64  `json:"byteCount"`
		CompressData    bool   `json:"compressData"`
		RequestContext  struct {
			RequestScope string         `json:"requestScope"`
			RequestBody  map[string]any `json:"requestBody"`
		} `json:"requestContext"`
		Blobs []struct {
			BlobLink  string `json:"blobLink"`
			ByteCount int64  `json:"byteCount"`
		} `json:"blobs"`
	} `json:"manifest"`
	ValidTill string `json:"validTill"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startReport posts a cost details report request and wants 202.
func (f *armFixture) startReport(body string) string {
	f.t.Helper()
	r := f.do(http.MethodPost, f.account()+"/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01", body, nil)
	if r.status != http.StatusAccepted || r.header.Get("Location") == "" || r.header.Get("Retry-After") == "" {
		f.t.Fatalf("generateCostDetailsReport %s: %d %v %s", body, r.status, r.header, r.body)
	}
	return r.header.Get("Location")
}

// pollReport polls location until it stops answering 202.
func (f *armFixture) pollReport(location string) (costManifest, int) {
	f.t.Helper()
	for polls := 1; polls < 20; polls++ {
		r := f.get(location)
		if r.status == http.StatusAccepted {
			continue
		}
		if r.status != http.StatusOK {
			f.t.Fatalf("poll: %d %s", r.status, r.body)
		}
		var m costManifest
		decodeJSON(f.t, r.body, &m)
		return m, polls
	}
	f.t.Fatal("report never finished")
	return costManifest{}, 0
}

// costRow is one parsed cost details row, by column name.
type costRow map[string]string

// readCostBlob parses a cost details blob: a BOM, a header, rows.
func readCostBlob(t *testing.T, b []byte) (header []string, rows []costRow) {
	t.Helper()
	if !bytes.HasPrefix(b, utf8BOM) {
		t.Fatalf("blob without a byte order mark: %.40q", b)
	}
	recs, err := csv.NewReader(bytes.NewReader(b[len(utf8BOM):])).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("empty CSV")
	}
	header = recs[0]
	for _, rec := range recs[1:] {
		row := costRow{}
		for i, v := range rec {
			row[header[i]] = v
		}
		rows = append(rows, row)
	}
	return header, rows
}

func (r costRow) float(t *testing.T, col string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(r[col], 64)
	if err != nil {
		t.Fatalf("%s %q: %v", col, r[col], err)
	}
	return v
}

// fetchBlobs downloads and parses every blob of a manifest, without
// Authorization.
func (f *armFixture) fetchBlobs(m costManifest) (header []string, rows []costRow) {
	f.t.Helper()
	if m.Status != "Completed" || m.Manifest.BlobCount != len(m.Manifest.Blobs) {
		f.t.Fatalf("manifest %+v", m)
	}
	var total int64
	for _, bl := range m.Manifest.Blobs {
		r := f.do(http.MethodGet, bl.BlobLink, "", noAuth)
		if r.status != http.StatusOK || int64(len(r.body)) != bl.ByteCount {
			f.t.Fatalf("blob %s: %d, %d bytes, manifest says %d: %.200s", bl.BlobLink, r.status, len(r.body), bl.ByteCount, r.body)
		}
		total += bl.ByteCount
		h, part := readCostBlob(f.t, r.body)
		if header != nil && strings.Join(h, ",") != strings.Join(header, ",") {
			f.t.Fatalf("blob headers differ: %v vs %v", h, header)
		}
		header = h
		rows = append(rows, part...)
	}
	if total != m.Manifest.ByteCount {
		f.t.Errorf("byteCount %d, blobs hold %d", m.Manifest.ByteCount, total)
	}
	return header, rows
}
