package fakeapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sumCostRows checks the kinds of rows and sums them the way a client
// would, in file order: Azure usage rows into usage sums, Marketplace rows
// by publisher, and Azure purchases on their own.
func sumCostRows(t *testing.T, rows []costRow, currency string) (usage *rowSums, market map[string]float64, purchases float64) {
	t.Helper()
	usage, market = newRowSums(), map[string]float64{}
	for _, r := range rows {
		if r["BillingCurrencyCode"] != currency || r["ChargeType"] == "" || r["InvoiceSectionId"] == "" {
			t.Fatalf("row %v", r)
		}
		day, err := time.Parse("01/02/2006", r["Date"])
		if err != nil {
			t.Fatalf("Date %q: %v", r["Date"], err)
		}
		switch {
		case r["PublisherType"] == "Azure" && r["ChargeType"] == "Purchase":
			if r["MeterCategory"] != "" || r["Frequency"] != "Recurring" || r["IsAzureCreditEligible"] != "True" ||
				(r["PricingModel"] != "Reservation" && r["PricingModel"] != "SavingsPlan") || day.Day() != 1 {
				t.Fatalf("purchase row %v", r)
			}
			purchases += r.float(t, "CostInBillingCurrency")
		case r["PublisherType"] == "Azure" && r["ChargeType"] == "Usage":
			usage.add(day.Format("2006-01-02"), r["InvoiceSectionName"], r["SubscriptionId"], r["MeterCategory"],
				r.float(t, "CostInBillingCurrency"), r.float(t, "Quantity"), r["IsAzureCreditEligible"] == "False")
		case r["PublisherType"] == "Marketplace":
			if r["IsAzureCreditEligible"] != "False" || r["OfferId"] == "" || r["PlanName"] == "" {
				t.Fatalf("marketplace row %v", r)
			}
			market[r["PublisherName"]] += r.float(t, "CostInBillingCurrency")
		default:
			t.Fatalf("PublisherType %q, ChargeType %q", r["PublisherType"], r["ChargeType"])
		}
	}
	return usage, market, purchases
}

func TestCostDetailsReportMatchesTruth(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 31, ARM: ARMOptions{CostDetailsBlobs: 3}})
	for _, period := range f.s.Periods() {
		loc := f.startReport(`{"metric":"ActualCost","billingPeriod":"` + period + `"}`)
		if !strings.HasPrefix(loc, f.ts.URL+f.account()+"/providers/Microsoft.CostManagement/costDetailsOperationResults/") ||
			!strings.HasSuffix(loc, "?api-version=2023-11-01") {
			t.Fatalf("Location %s", loc)
		}
		m, polls := f.pollReport(loc)
		if polls != 2 || m.Manifest.BlobCount != 3 || m.Manifest.DataFormat != "Csv" || m.Manifest.CompressData ||
			m.Manifest.RequestContext.RequestBody["billingPeriod"] != period {
			t.Errorf("%s: %d polls, manifest %+v", period, polls, m)
		}
		if _, err := time.Parse(time.RFC3339Nano, m.ValidTill); err != nil {
			t.Errorf("validTill %q", m.ValidTill)
		}
		header, rows := f.fetchBlobs(m)
		if !slices.Equal(header, costColumns()) {
			t.Errorf("header %v", header)
		}
		usage, market, purchases := sumCostRows(t, rows, DefaultCurrency)
		truth := f.s.Truth(period)
		checkAgainstTruth(t, usage, truth, true)
		if want := f.s.ARMPurchaseCost(period); purchases != want || purchases == 0 {
			t.Errorf("%s: purchases %v, ARMPurchaseCost %v", period, purchases, want)
		}
		if len(market) != len(truth.MarketplaceByPublisher) {
			t.Errorf("%s: publishers %v, truth %v", period, market, truth.MarketplaceByPublisher)
		}
		for p, v := range truth.MarketplaceByPublisher {
			if market[p] != v {
				t.Errorf("%s: publisher %q %v, truth %v", period, p, market[p], v)
			}
		}
	}
}

func TestCostDetailsRowsMatchTheEACSV(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 5})
	ea := httptestServer(t, f.s)
	_, eaHeader, eaRows := readCSV(t, ea.mustGet(enr("v3")+"/usagedetails/download?startTime=2026-11-02&endTime=2026-11-02").body)
	m, _ := f.pollReport(f.startReport(`{"timePeriod":{"start":"2026-11-02","end":"2026-11-02"}}`))
	_, rows := f.fetchBlobs(m)
	col := map[string]int{}
	for i, h := range eaHeader {
		col[h] = i
	}
	var azure []costRow
	for _, r := range rows {
		if r["PublisherType"] == "Azure" {
			azure = append(azure, r)
		}
	}
	if len(azure) != len(eaRows) || len(rows) != len(eaRows)+3 {
		t.Fatalf("%d Azure rows of %d, EA CSV %d", len(azure), len(rows), len(eaRows))
	}
	pairs := [][2]string{{"DepartmentName", "InvoiceSectionName"}, {"DepartmentId", "InvoiceSectionId"},
		{"AccountName", "AccountName"}, {"AccountOwnerEmail", "AccountOwnerId"}, {"AccountId", "AccountId"},
		{"SubscriptionGuid", "SubscriptionId"}, {"SubscriptionName", "SubscriptionName"}, {"ResourceGroup", "ResourceGroup"},
		{"MeterId", "MeterId"}, {"MeterCategory", "MeterCategory"}, {"MeterSubCategory", "MeterSubCategory"},
		{"MeterName", "MeterName"}, {"MeterRegion", "MeterRegion"}, {"ResourceLocation", "ResourceLocation"},
		{"UnitOfMeasure", "UnitOfMeasure"}, {"Cost", "CostInBillingCurrency"}, {"ConsumedQuantity", "Quantity"},
		{"ResourceRate", "EffectivePrice"}, {"CostCenter", "CostCenter"}, {"InstanceId", "ResourceId"},
		{"Product", "ProductName"}, {"PartNumber", "PartNumber"}, {"OfferId", "OfferId"}, {"Date", "Date"},
		{"ConsumedService", "ConsumedService"}, {"AdditionalInfo", "AdditionalInfo"}, {"Location", "ResourceLocationNormalized"}}
	for i, er := range eaRows {
		for _, p := range pairs {
			if er[col[p[0]]] != azure[i][p[1]] {
				t.Fatalf("row %d: EA %s %q, ARM %s %q", i, p[0], er[col[p[0]]], p[1], azure[i][p[1]])
			}
		}
		if tags := er[col["Tags"]]; tags != "" && "{"+azure[i]["Tags"]+"}" != tags {
			t.Errorf("row %d: tags %q vs %q", i, tags, azure[i]["Tags"])
		}
		if (er[col["ChargesBilledSeparately"]] == "True") != (azure[i]["IsAzureCreditEligible"] == "False") {
			t.Errorf("row %d: credit eligibility", i)
		}
	}
	if r := rows[0]; r["BillingPeriodStartDate"] != "11/01/2026" || r["BillingPeriodEndDate"] != "11/30/2026" ||
		r["BillingAccountId"] != DefaultEnrollment {
		t.Errorf("billing columns %v", r)
	}
}

func TestCostDetailsRequestValidation(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	path := f.account() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01"
	for _, body := range []string{
		`not json`, `{"metric":"ActualCost"} {}`, `{"metrics":"ActualCost"}`, `{"metric":"Usage"}`,
		`{"billingPeriod":"202610","timePeriod":{"start":"2026-10-01","end":"2026-10-02"}}`,
		`{"invoiceId":"E123"}`, `{"billingPeriod":"2026-10"}`,
		`{"timePeriod":{"start":"2026-10-01","end":"2026-11-01"}}`,
		`{"timePeriod":{"start":"2026-10-05","end":"2026-10-01"}}`,
		`{"timePeriod":{"start":"2026-10-01"}}`,
		`{"timePeriod":{"start":"2025-09-01","end":"2025-09-30"}}`,
	} {
		if r := f.do(http.MethodPost, path, body, nil); r.status != 400 || !strings.Contains(string(r.body), `"code":"BadRequest"`) {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	for _, body := range []string{``, `{}`, `{"metric":"amortizedcost"}`, `{"timePeriod":{"start":"2026-10-01","end":"2026-10-31"}}`,
		`{"timePeriod":{"start":"2026-10-01T00:00:00Z","end":"2026-10-03T00:00:00Z"}}`, `{"billingPeriod":"202512"}`} {
		if r := f.do(http.MethodPost, path, body, nil); r.status != 202 {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	if st := f.s.Stats(); st.ARMOperationsStarted != 6 {
		t.Errorf("ARMOperationsStarted %d", st.ARMOperationsStarted)
	}
}

func TestCostDetailsDefaultRangeAndNoData(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 4, MarketplacePerDay: -1})
	m, _ := f.pollReport(f.startReport(""))
	_, rows := f.fetchBlobs(m)
	usage, market, _ := sumCostRows(t, rows, DefaultCurrency)
	checkAgainstTruth(t, usage, f.s.Truth("202611"), true)
	if len(market) != 0 {
		t.Errorf("marketplace rows without marketplace: %v", market)
	}
	// A range the data does not cover ends in NoDataFound.
	for _, body := range []string{`{"billingPeriod":"202609"}`, `{"timePeriod":{"start":"2026-11-26","end":"2026-11-30"}}`} {
		if m, _ := f.pollReport(f.startReport(body)); m.Status != "NoDataFound" || m.Manifest.BlobCount != 0 {
			t.Errorf("%s: %+v", body, m)
		}
	}
}

func TestCostDetailsOutcomes(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	path := f.account() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2022-05-01"
	body := `{"billingPeriod":"202610"}`

	f.s.SetARMOperations(ARMOperations{Polls: 3, RetryAfter: 7})
	loc := f.startReport(body)
	var codes []int
	for i := 0; i < 5; i++ {
		r := f.get(loc)
		codes = append(codes, r.status)
		if r.status == 202 && (r.header.Get("Retry-After") != "7" || r.header.Get("Location") != loc ||
			!strings.Contains(string(r.body), `"status":"InProgress"`)) {
			t.Errorf("poll 202: %v %s", r.header, r.body)
		}
	}
	if !slices.Equal(codes, []int{202, 202, 202, 200, 200}) {
		t.Errorf("poll codes %v", codes)
	}

	f.s.SetARMOperations(ARMOperations{Outcome: ARMFailed})
	if m, polls := f.pollReport(f.startReport(body)); m.Status != "Failed" || m.Error == nil || m.Error.Code == "" || polls != 1 {
		t.Errorf("failed: %+v after %d polls", m, polls)
	}
	f.s.SetARMOperations(ARMOperations{Outcome: ARMNoDataFound})
	if m, _ := f.pollReport(f.startReport(body)); m.Status != "NoDataFound" {
		t.Errorf("no data: %+v", m)
	}
	f.s.SetARMOperations(ARMOperations{Outcome: ARMNoContent})
	if r := f.do(http.MethodPost, path, body, nil); r.status != 204 || len(r.body) != 0 {
		t.Errorf("no content: %d %s", r.status, r.body)
	}
	f.s.SetARMOperations(ARMOperations{Outcome: ARMImmediate})
	r := f.do(http.MethodPost, path, body, nil)
	var m costManifest
	decodeJSON(t, r.body, &m)
	if r.status != 200 || r.header.Get("Location") != "" || m.Status != "Completed" {
		t.Fatalf("immediate: %d %s", r.status, r.body)
	}
	f.fetchBlobs(m)
	if r := f.get(f.account() + "/providers/Microsoft.CostManagement/costDetailsOperationResults/nope?api-version=2022-05-01"); r.status != 404 {
		t.Errorf("unknown operation: %d", r.status)
	}
}

func TestCostDetailsBlobLinks(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 3})
	m, _ := f.pollReport(f.startReport(`{"billingPeriod":"202610"}`))
	link := m.Manifest.Blobs[0].BlobLink
	if !strings.HasPrefix(link, f.ts.URL+"/blob/arm-") || !strings.Contains(link, "?sv=") || !strings.Contains(link, "&sig=") {
		t.Errorf("blobLink %s", link)
	}
	if r := f.get(link); r.status != 403 || !strings.Contains(string(r.body), "AuthenticationFailed") {
		t.Errorf("blob with Authorization: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, strings.Replace(link, "sig=", "sig=0", 1), "", noAuth); r.status != 403 {
		t.Errorf("wrong signature: %d", r.status)
	}
	if r := f.do(http.MethodGet, strings.Replace(link, "/blob/arm-", "/blob/arm-0", 1), "", noAuth); r.status != 404 {
		t.Errorf("unknown blob: %d", r.status)
	}
	r := f.do(http.MethodGet, link, "", noAuth)
	if etag := r.header.Get("ETag"); etag == "" ||
		f.do(http.MethodGet, link, "", map[string]string{"Authorization": "", "If-None-Match": etag}).status != 304 {
		t.Errorf("ETag %q", etag)
	}
	f.clock.Set(testNow.Add(time.Hour))
	if r := f.do(http.MethodGet, link, "", noAuth); r.status != 403 {
		t.Errorf("expired link: %d", r.status)
	}
	st := f.s.Stats()
	if st.AuthorizedBlobRequests != 1 || st.Requests[RouteARMBlob] != 6 || st.Requests[RouteBlob] != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestCostDetailsBlobsOnAnotherHost(t *testing.T) {
	c := &clock{t: testNow}
	blobs := httptest.NewUnstartedServer(nil)
	base := "http://" + blobs.Listener.Addr().String()
	s := New(Options{Now: c.Now, RowsPerDay: 6, BlobBaseURL: base + "/container"})
	blobs.Config.Handler = s.BlobHandler()
	blobs.Start()
	t.Cleanup(blobs.Close)
	arm := httptest.NewTLSServer(s.ARMHandler())
	t.Cleanup(arm.Close)
	f := &armFixture{t: t, s: s, ts: arm, clock: c, token: s.ARMToken()}
	m, _ := f.pollReport(f.startReport(`{"billingPeriod":"202611"}`))
	for _, b := range m.Manifest.Blobs {
		if !strings.HasPrefix(b.BlobLink, base+"/container/arm-") {
			t.Fatalf("blobLink %s", b.BlobLink)
		}
	}
	_, rows := f.fetchBlobs(m)
	usage, _, _ := sumCostRows(t, rows, DefaultCurrency)
	checkAgainstTruth(t, usage, s.Truth("202611"), true)
}

func TestCostDetailsQuirks(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 7})
	f.s.SetARMQuirks(ARMQuirks{DuplicateBOM: true, ShuffledColumns: true, AliasColumns: true, CamelCaseHeader: true, PurchaseRows: true})
	m, _ := f.pollReport(f.startReport(`{"billingPeriod":"202610"}`))
	r := f.do(http.MethodGet, m.Manifest.Blobs[0].BlobLink, "", noAuth)
	headerEnd := bytes.Index(r.body, []byte("\r\n"))
	if !bytes.HasPrefix(r.body[headerEnd+2:], utf8BOM) {
		t.Errorf("no second BOM: %.60q", r.body[headerEnd:])
	}
	header, _ := readCostBlob(t, r.body)
	if header[0] == "invoiceSectionName" || !slices.Contains(header, "invoiceSectionName") || !slices.Contains(header, "cost") ||
		!slices.Contains(header, "billingCurrency") || !slices.Contains(header, "product") || slices.Contains(header, "costInBillingCurrency") {
		t.Errorf("header %v", header)
	}
	// With the second BOM stripped, the rows still sum to the truth.
	var rows []costRow
	for _, b := range m.Manifest.Blobs {
		body := f.do(http.MethodGet, b.BlobLink, "", noAuth).body
		end := bytes.Index(body, []byte("\r\n")) + 2
		_, part := readCostBlob(t, append(body[:end:end], body[end+len(utf8BOM):]...))
		for _, r := range part {
			row := costRow{"CostInBillingCurrency": r["cost"], "BillingCurrencyCode": r["billingCurrency"]}
			for k, v := range r {
				if _, set := row[k]; !set {
					row[strings.ToUpper(k[:1])+k[1:]] = v
				}
			}
			rows = append(rows, row)
		}
	}
	usage, market, _ := sumCostRows(t, rows, DefaultCurrency)
	truth := f.s.Truth("202610")
	checkAgainstTruth(t, usage, truth, true)
	purchases := 0
	for _, r := range rows {
		if r["PublisherType"] == "Marketplace" && r["ChargeType"] == "Purchase" && r["Frequency"] == "Recurring" {
			purchases++
		}
	}
	if purchases != 1 || market["Twilio SendGrid"] != truth.MarketplaceByPublisher["Twilio SendGrid"] {
		t.Errorf("%d purchase rows, %v", purchases, market)
	}
}

// TestConcurrentARMClients runs report flows, token requests and quota
// accounting from several goroutines at once (run with -race).
func TestConcurrentARMClients(t *testing.T) {
	f := newARMFixture(t, Options{RowsPerDay: 6})
	f.s.SetARMOperations(ARMOperations{Polls: 2})
	tenant, client, secret := f.s.ARMCredentials()
	truth := f.s.Truth("202610")
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		go func() {
			errs <- f.concurrentFlow(tenant, client, secret, truth)
		}()
	}
	for g := 0; g < 4; g++ {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
	if st := f.s.Stats(); st.ARMTokensIssued != 4 || st.ARMOperationsStarted != 4 || st.Requests[RouteARMReportStatus] != 12 {
		t.Errorf("stats %+v", st)
	}
}

// concurrentFlow gets a token and runs one report; it returns what went
// wrong ("" for nothing), as t.Fatal must not be called off the test's
// goroutine.
func (f *armFixture) concurrentFlow(tenant, client, secret string, truth PeriodTruth) string {
	post := func(url, contentType, body, token string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+url, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return readResponse(f.ts.Client().Do(req))
	}
	form := "grant_type=client_credentials&client_id=" + client + "&client_secret=" + url.QueryEscape(secret) +
		"&scope=" + url.QueryEscape(managementScope)
	_, body, err := post("/"+tenant+"/oauth2/v2.0/token", "application/x-www-form-urlencoded", form, "")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err != nil || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return fmt.Sprintf("token: %v %s", err, body)
	}
	resp, _, err := post(f.account()+"/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2023-11-01",
		"application/json", `{"billingPeriod":"202610"}`, tok.AccessToken)
	if err != nil || resp.StatusCode != 202 {
		return fmt.Sprintf("report: %v %v", err, resp)
	}
	var m costManifest
	for polls := 0; m.Status == ""; polls++ {
		req, _ := http.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r, body, err := readResponse(f.ts.Client().Do(req))
		switch {
		case err != nil || polls > 5:
			return fmt.Sprintf("poll %d: %v", polls, err)
		case r.StatusCode == 200 && json.Unmarshal(body, &m) != nil:
			return "manifest: " + string(body)
		}
	}
	var cost float64
	for _, bl := range m.Manifest.Blobs {
		r, body, err := readResponse(f.ts.Client().Get(bl.BlobLink))
		if err != nil || r.StatusCode != 200 {
			return fmt.Sprintf("blob: %v %v", err, r)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, utf8BOM))).ReadAll()
		if err != nil {
			return err.Error()
		}
		col := slices.Index(recs[0], "CostInBillingCurrency")
		for _, rec := range recs[1:] {
			if rec[slices.Index(recs[0], "PublisherType")] == "Azure" && rec[slices.Index(recs[0], "ChargeType")] == "Usage" {
				v, _ := strconv.ParseFloat(rec[col], 64)
				cost += v
			}
		}
	}
	if cost != truth.UsageCost {
		return fmt.Sprintf("cost %v, truth %v", cost, truth.UsageCost)
	}
	return ""
}

func readResponse(resp *http.Response, err error) (*http.Response, []byte, error) {
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
