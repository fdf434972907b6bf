package arm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// BenchmarkUsageReport measures a cached report's blob streamed over TLS
// from the blob host and decoded into usage rows.
func BenchmarkUsageReport(b *testing.B) {
	f := newFakeARM(b)
	var sb strings.Builder
	sb.WriteString("\ufeff" + costHeader)
	const rows = 50000
	for i := range rows {
		fmt.Fprintf(&sb, `Dept %d,Acct %d,11111111-0000-0000-0000-%012d,Sub %d,rg%d,05/%02d/2024,Storage,Hot,m-%d,LRS Data Stored,1 GB,%d.5,%d.25,"""env"": ""prod"",""app"": ""web%d""",Azure,Microsoft,MS-AZR-0017P,,USD,%d,True`+"\r\n",
			i%20, i%50, i%200, i%200, i%300, 1+i%28, i%1000, i%7, i%13, i%9, i%20)
	}
	blob := sb.String()
	link := f.serveBlobFile("/armreports/big.csv", "text/csv", blob)
	f.scriptReport(b, finished(completed(link)))
	env := newTestEnv(b, f)
	q := apiclient.UsageQuery{TagKeys: []string{"app"}}
	n := 0
	count := func(*apiclient.UsageRow) error { n++; return nil }
	b.SetBytes(int64(len(blob)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n = 0
		if err := env.c.Usage(context.Background(), q, count); err != nil || n != rows {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(rows), "rows/op")
}
