//go:build unix

package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// armServeOne answers a management request in process.
func armServeOne(s *Server, method, url, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, url, strings.NewReader(""))
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	s.ARMHandler().ServeHTTP(w, req)
	return w
}

// BenchmarkCostDetailsBlobs serves the blobs of a cost details report of a
// 100k-row period (the manifest's byte counts are computed before the
// timer starts).
func BenchmarkCostDetailsBlobs(b *testing.B) {
	s := benchServer(b)
	s.SetARMOperations(ARMOperations{})
	tok := s.ARMToken()
	acct := "https://fake/providers/Microsoft.Billing/billingAccounts/" + DefaultEnrollment
	post := armServeOne(s, http.MethodPost, acct+"/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01", tok)
	var m costManifest
	res := armServeOne(s, http.MethodGet, post.Header().Get("Location"), tok)
	if err := json.Unmarshal(res.Body.Bytes(), &m); err != nil || m.Status != "Completed" {
		b.Fatalf("manifest %d %v %s", res.Code, err, res.Body)
	}
	blobs := s.BlobHandler()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, all := cpuSeconds(), int64(0)
	for i := 0; i < b.N; i++ {
		var n int64
		for _, bl := range m.Manifest.Blobs {
			w := &discardWriter{h: http.Header{}}
			blobs.ServeHTTP(w, httptest.NewRequest(http.MethodGet, bl.BlobLink, nil))
			n += w.n
		}
		if n != m.Manifest.ByteCount {
			b.Fatalf("served %d bytes, manifest %d", n, m.Manifest.ByteCount)
		}
		b.SetBytes(n)
		all += n
	}
	reportCPU(b, cpu0, all)
	b.ReportMetric(float64(31*3300), "rows/op")
}
