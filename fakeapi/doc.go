// Package fakeapi simulates the EA Reporting API (consumption.azure.com), and
// its replacement on management.azure.com with Entra ID, for tests,
// benchmarks and the exporter's --demo mode.
//
// A Server is an http.Handler backed by a deterministic generator of a
// realistic enrollment (departments, accounts, subscriptions, meters, daily
// usage over the previous and the current calendar month, marketplace
// charges, a price sheet and balance summaries). Row i of a day is a pure
// function of (seed, day, i), so a month of millions of rows costs no
// memory: every answer is generated while it is written.
//
// Faults (throttling, outages, timeouts, truncated or foreign bodies, broken
// paging) can be injected per route and the documented quirks of the real API
// switched on, so that every client behaviour has a test that drives it.
// Truth reports the sums a correct client must arrive at.
//
// The package is written independently of apiclient on purpose: a simulator
// that shared the client's types or decoders could not catch its mistakes.
//
// Behaviour chosen where the reference leaves room (see
// spec/ea-reporting-api.md sections 3, 5 and 7):
//   - A period without data: usage JSON answers an empty page, the CSV
//     download 404, the balance summary 404, marketplace and price sheet an
//     empty array. An unknown enrollment is 400, a malformed query 400.
//   - billingEnd is the last second of the month (23:59:59Z) unless
//     Quirks.BillingEndAtNoon writes the doc's 11:59:59.
//   - The CSV report's preamble line is
//     "Usage Data Extract for enrollment <e>, <from> to <to>", its Date column
//     is MM/dd/yyyy, ChargesBilledSeparately is "True"/"False".
//   - A completed async report whose range has no rows ends in status 5.
//   - v1 routes serve the v2 field set (the v1 usage wrapper has reportId).
//
// # The ARM side
//
// ARMHandler serves the replacement APIs of reference section 6 from the
// same generated enrollment, on its own (TLS) host: an Entra ID tenant
// (OpenID configuration and a client credentials token endpoint, as MSAL
// calls them with instance discovery off) and the management.azure.com
// routes at EA billing account scope: Consumption balances, the Cost
// Management cost details report (202, polls, a manifest, CSV blobs), the
// price sheet download (202, polls, a zip of CSVs) and budgets. Truth(period)
// holds for both sides: the balances carry the EA balance summary's figures;
// the Azure usage rows of a cost details report (PublisherType Azure,
// ChargeType Usage) are the EA usage rows of its days, in the same order,
// and its Marketplace rows the EA marketplace charges; the price sheet has the EA sheet's meters and
// prices. ARMBudgets tells what the budgets serve.
//
// Differences from the EA side, and choices where reference 6 leaves room:
//   - There is no billing periods list: clients derive calendar months.
//     Balances of a period without data are 404; a cost details report of
//     such a range ends in NoDataFound; its price sheet has no items.
//   - A cost details report's rows are split evenly over
//     ARMOptions.CostDetailsBlobs blobs (fewer for fewer rows), day by day,
//     each day's usage rows, then its marketplace charges, then its
//     purchases; each blob starts with a UTF-8 byte order mark and its own
//     header (version 2024-08-01). Its days are fixed when it is requested,
//     so the manifest's byte counts hold. AmortizedCost gives the same rows
//     as ActualCost.
//   - The first of every month has two Azure purchase rows (ChargeType
//     Purchase, Frequency Recurring: the monthly payment of a reservation
//     and of a savings plan), which are not usage: Truth leaves them out,
//     ARMPurchaseCost sums them.
//   - Marketplace rows have ChargeType Usage, Frequency UsageBased, or
//     Recurring for the monthly charge (ARMQuirks.PurchaseRows makes that
//     one a Purchase); IsAzureCreditEligible False; no meter names or unit
//     prices.
//   - The price sheet CSV's Product is the EA sheet's meterName and its
//     MeterName the meter alone; dates are MM/dd/yyyy.
//   - The Quirks of the EA side do not apply; ARMQuirks vary the cost
//     details file. Faults apply, in ARM's shapes where it has its own
//     (429 with Cost Management's or Consumption's retry header, 401 with
//     WWW-Authenticate, Entra's error body on the token endpoints);
//     FaultForeignNextLink moves an operation's Location to another host.
//   - An unknown billing account gets 401 "No claims present for the caller
//     in the system", as a caller without an EA role does.
//   - Tokens expire by Options.Now; the Cost Management quota counts calls
//     in wall-clock time (see SetARMQuota).
//   - Blob links point at /blob/ on the host the request came to, or at
//     Options.BlobBaseURL, where BlobHandler serves both sides' blobs.
package fakeapi
