#!/usr/bin/env bash
# Load test of azure-ea-exporter against fakeapi, on loopback only: refreshes
# of 100k, 300k and 1M usage rows (time, bytes fetched by the first and the
# second refresh, the naive client beside it, the memory of both split into
# anonymous and file-backed), then /metrics latency with 10k and 100k usage
# series under concurrent scrapers.
#
# It takes about 10 minutes on 2 cores. Extra arguments go to every run of
# the load test (go run ./internal/loadtest -h lists them), e.g.
#   scripts/load.sh -scrapers 8
# Avoid midnight UTC: the fake's data gains a day then, and the second
# refresh finds it changed.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v go >/dev/null || { echo "load.sh: Go is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/loadtest" ./internal/loadtest
# The exporter as the Dockerfile builds it, the naive client the same way:
# their binaries' pages are part of the memory measured.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/azure-ea-exporter" .
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/naive" ./internal/naive/cmd/naive
bins=(-exporter "$work/azure-ea-exporter" -naive-bin "$work/naive")

echo "# azure-ea-exporter load test: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(go version | cut -d' ' -f3)"
for rows in 100000 300000 1000000; do
  echo
  "$work/loadtest" "${bins[@]}" -rows "$rows" -series "" "$@" | sed 1,2d
done
echo
"$work/loadtest" "${bins[@]}" -rows 0 -series 10000,100000 "$@" | sed 1,2d
