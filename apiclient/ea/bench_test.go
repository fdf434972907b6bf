package ea

import (
	"context"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/fakeapi"
)

// BenchmarkUsageFetch fetches a whole closed period (29 days of 2000 rows,
// 58 pages) from fakeapi over loopback, by each method. The fake runs in
// the same process, so the figures include generating the answers; bytes
// are those the fake served (after gzip, when used). The allocations are
// mostly the fake's and net/http's: the client's decoders reuse their
// buffers.
func BenchmarkUsageFetch(b *testing.B) {
	for _, bm := range []struct {
		name   string
		method apiclient.UsageMethod
	}{{"JSON", apiclient.UsageJSON}, {"CSV", apiclient.UsageCSV}, {"Async", apiclient.UsageAsync}} {
		b.Run(bm.name, func(b *testing.B) {
			env := newFakeEnv(b, fakeapi.Options{RowsPerDay: 2000, PageSize: 1000}, nil)
			q := apiclient.UsageQuery{BillingPeriod: "202402", Method: bm.method, TagKeys: []string{"env"}}
			want := env.fake.Truth("202402").UsageRows
			before := env.fake.Stats().BytesServed
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rows := 0
				count := func(*apiclient.UsageRow) error { rows++; return nil }
				if err := env.client.Usage(context.Background(), q, count); err != nil {
					b.Fatal(err)
				}
				if rows != want {
					b.Fatalf("%d rows, want %d", rows, want)
				}
			}
			b.StopTimer()
			served := env.fake.Stats().BytesServed - before
			b.SetBytes(served / int64(b.N))
			b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
