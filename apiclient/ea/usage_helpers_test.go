package ea

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// usageRowJSON is a v3 usage row of day (yyyy-MM-dd) in department dept.
func usageRowJSON(day, dept string, cost float64) string {
	return fmt.Sprintf(`{"accountId":123456,"accountName":"Account","departmentName":%q,"subscriptionGuid":"00000000-0000-0000-0000-000000000001",`+
		`"subscriptionName":"Sub","date":"%sT00:00:00","meterCategory":"Storage","meterSubCategory":"Locally Redundant","meterName":"P10",`+
		`"consumedQuantity":2,"resourceRate":1,"cost":%v,"tags":"{\"env\":\"prod\"}","chargesBilledSeparately":false,"unitOfMeasure":"10,000 s"}`,
		dept, day, cost)
}

// usagePage is a usage-details page; next "" writes null.
func usagePage(next string, rows ...string) string {
	link := "null"
	if next != "" {
		link = fmt.Sprintf("%q", next)
	}
	return fmt.Sprintf(`{"id":"5d2ff2a2-0000-0000-0000-000000000000","data":[%s],"nextLink":%s}`, strings.Join(rows, ","), link)
}

// csvHeader is the v3 CSV header: 33 alphabetical columns, then the v3 ones.
const csvHeader = "AccountId,AccountName,AccountOwnerEmail,AdditionalInfo,ConsumedQuantity,ConsumedService,ConsumedServiceId,Cost," +
	"CostCenter,Date,DepartmentId,DepartmentName,InstanceId,MeterCategory,MeterId,MeterName,MeterRegion,MeterSubCategory,Product," +
	"ProductId,ResourceGroup,ResourceLocation,ResourceLocationId,ResourceRate,ServiceAdministratorId,ServiceInfo1,ServiceInfo2," +
	"StoreServiceIdentifier,SubscriptionGuid,SubscriptionId,SubscriptionName,Tags,UnitOfMeasure,PartNumber,ResourceGuid,OfferId," +
	"ChargesBilledSeparately,Location,ServiceName,ServiceTier"

// usageCSV is a CSV report with a preamble line; each row is (day, dept,
// cost).
func usageCSV(rows ...[3]string) string {
	var b strings.Builder
	b.WriteString("Usage Data Extract for enrollment 100\r\n" + csvHeader + "\r\n")
	for _, r := range rows {
		fmt.Fprintf(&b, `1,Account,a@b.c,"{""ImageType"":null}",2,Microsoft.Compute,1,%s,1234,%s,3456,%s,/subs/x,Storage,m-1,P10,US West,LRS,"Disk, P10",`+
			`1,rg,uswest,12,1,admin,,,,00000000-0000-0000-0000-000000000001,1234567,Sub,"{""env"":""prod""}",Units,N7H,rg-1,MS-AZR-0017P,False,US West,Storage,Premium`+"\r\n",
			r[2], r[0], r[1])
	}
	return b.String()
}

// collected is what a usage stream delivered. It is also the query's
// apiclient.UsageStaging: rows delivered between Begin and Commit count only
// once committed.
type collected struct {
	rows  int
	cost  float64
	days  map[string]int
	depts map[string]float64
	// staging holds the rows of the page being staged; delivered counts
	// every row delivered, rolled back or not, and rolledBack the rows taken
	// back.
	staging    bool
	staged     []stagedRow
	delivered  int
	rolledBack int
}

type stagedRow struct {
	day, dept string
	cost      float64
}

func (c *collected) add(r *apiclient.UsageRow) error {
	c.delivered++
	row := stagedRow{r.Date.Format("2006-01-02"), string(r.Values[apiclient.DimDepartment]), r.Cost}
	if c.staging {
		c.staged = append(c.staged, row)
		return nil
	}
	c.count(row)
	return nil
}

func (c *collected) count(r stagedRow) {
	if c.days == nil {
		c.days, c.depts = map[string]int{}, map[string]float64{}
	}
	c.rows++
	c.cost += r.cost
	c.days[r.day]++
	c.depts[r.dept] += r.cost
}

func (c *collected) Begin() {
	if c.staging {
		panic("Begin while a page is staged")
	}
	c.staging = true
}

func (c *collected) Commit() {
	for _, r := range c.staged {
		c.count(r)
	}
	c.staged, c.staging = nil, false
}

func (c *collected) Rollback() {
	c.rolledBack += len(c.staged)
	c.staged, c.staging = nil, false
}

func (c *collected) costIs(want float64) bool { return math.Abs(c.cost-want) < 1e-9 }

// usage reads q as the exporter does: pages are streamed and staged.
func usage(t *testing.T, hs *harness, q apiclient.UsageQuery) (*collected, error) {
	t.Helper()
	var got collected
	q.Staging = &got
	err := hs.Usage(context.Background(), q, got.add)
	noSecret(t, err)
	if got.staging {
		t.Errorf("Usage returned with a page staged")
	}
	return &got, err
}

// usageWhole reads q without staging: each page is read whole before any
// of its rows is delivered.
func usageWhole(t *testing.T, hs *harness, q apiclient.UsageQuery) (*collected, error) {
	t.Helper()
	var got collected
	err := hs.Usage(context.Background(), q, got.add)
	noSecret(t, err)
	if got.delivered != got.rows {
		t.Errorf("%d rows delivered, %d counted: without staging every row is final", got.delivered, got.rows)
	}
	return &got, err
}

// usageModes are the two ways of reading pages, for the tests that must
// hold for both.
var usageModes = map[string]func(*testing.T, *harness, apiclient.UsageQuery) (*collected, error){
	"streamed": usage, "whole pages": usageWhole,
}

// byPath routes on the request path (and query, when a key has "?").
func byPath(routes map[string]http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.URL.Path+"?"+r.URL.RawQuery]; ok {
			h(w, r)
			return
		}
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.Error(w, "no route "+r.URL.Path, http.StatusTeapot)
	}
}
