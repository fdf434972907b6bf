#!/usr/bin/env bash
# Runs every test of azure-ea-exporter: formatting, vet, the Go tests with the
# race detector (unit, golden, binary, the fuzz targets' seed corpora, the
# short chaos soak), the promtool rule tests and
# the end-to-end tests with real Prometheus and Alertmanager, and the static
# build that the Dockerfile makes.
#
# On a fresh Debian machine with only Go and git it installs what the tests
# need (promtool, Prometheus, Alertmanager, gcc for -race) through apt and helm with
# `go install`, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "Go is not installed: install Go 1.26 or newer (https://go.dev/dl/) and retry."

# Debian packages the tests need: command -> package.
need_pkgs=()
command -v promtool >/dev/null || need_pkgs+=(prometheus)
command -v prometheus >/dev/null || need_pkgs+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need_pkgs+=(prometheus-alertmanager)
command -v amtool >/dev/null || need_pkgs+=(prometheus-alertmanager)
# The race detector needs cgo, hence a C compiler.
command -v gcc >/dev/null || need_pkgs+=(gcc libc6-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
  say "installing missing Debian packages: ${need_pkgs[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install ${need_pkgs[*]} (apt-get install -y --no-install-recommends ${need_pkgs[*]})"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null || die "no apt-get: install ${need_pkgs[*]} (promtool, Prometheus 2.x, Alertmanager) by hand and retry"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  # The packages' post-install scripts try to start services; nothing here needs them running.
  $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null \
    || die "apt-get install ${need_pkgs[*]} failed"
  for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
    $sudo pkill -x "$svc" 2>/dev/null || true
  done
fi

# helm, for the chart checks in e2e: a Go install into a cache that outlives
# the run, so that only the first run pays for the build (about 75 s).
helm_version=v3.22.0
helm_bin="${AZURE_EA_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/azure-ea-exporter/bin}"
export PATH="$helm_bin:$PATH:$(go env GOPATH)/bin"
if ! command -v helm >/dev/null; then
  say "installing helm ${helm_version} into $helm_bin (go install helm.sh/helm/v3/cmd/helm@${helm_version})"
  mkdir -p "$helm_bin"
  GOBIN="$helm_bin" go install "helm.sh/helm/v3/cmd/helm@${helm_version}" \
    || die "go install helm.sh/helm/v3/cmd/helm@${helm_version} failed"
fi

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
[ -z "$unformatted" ] || die "gofmt would change: $unformatted"

say "go vet"
go vet ./...

say "go test -race (main module)"
go test -race -count=1 -timeout 15m ./...

# Every fuzz target's seed corpus (fakeapi answers, hostile inputs, past
# findings) already ran in go test above. Fresh fuzzing is random: it runs
# here only when asked for, so that a run's verdict does not depend on luck;
# ./scripts/fuzz.sh 60 is the longer run.
if [ "${AZURE_EA_FUZZ_SECONDS:-0}" -gt 0 ]; then
  say "fuzzing: every target for ${AZURE_EA_FUZZ_SECONDS} s"
  bash scripts/fuzz.sh "${AZURE_EA_FUZZ_SECONDS}"
else
  say "fuzzing: seed corpora ran with the tests (AZURE_EA_FUZZ_SECONDS=3 adds fresh fuzzing)"
fi

if [ -f e2e/go.mod ]; then
  say "go test (e2e module: dashboards, alerts, Prometheus and Alertmanager end to end)"
  (cd e2e && go vet ./... && go test -count=1 -timeout 15m ./...)
fi

say "static build (as the Dockerfile)"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /tmp/azure-ea-exporter-static .
/tmp/azure-ea-exporter-static --version >/dev/null 2>&1 || die "the static binary does not run"
rm -f /tmp/azure-ea-exporter-static

say "all tests passed"
