// Package fakeapi simulates the EA Reporting API (consumption.azure.com) for
// tests, benchmarks and the exporter's --demo mode.
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
package fakeapi
