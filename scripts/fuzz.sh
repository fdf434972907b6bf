#!/usr/bin/env bash
# Runs every fuzz target of the module (decoders, config parser, key
# handling) for a fixed time each, and reports executions and memory:
#
#   ./scripts/fuzz.sh [seconds-per-target] [packages]     (default: 10 ./...)
#
# A target fails on a panic, a broken property, or a process that grows past
# FUZZ_MAX_RSS_MIB (default 1024) while fuzzing. A failing input is saved
# under the package's testdata/fuzz/<target>/: commit it and it becomes a
# regression seed that plain `go test` runs. The script goes on with the
# other targets and exits 1 at the end if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-10}"
packages="${2:-./...}"
max_rss_mib="${FUZZ_MAX_RSS_MIB:-1024}"
[[ "$secs" =~ ^[0-9]+$ && "$max_rss_mib" =~ ^[0-9]+$ ]] || {
  echo "usage: $0 [seconds-per-target] [packages]  (env FUZZ_MAX_RSS_MIB)" >&2
  exit 2
}
command -v go >/dev/null || { echo "fuzz.sh: Go is not installed" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fuzzcache="$(go env GOCACHE)/fuzz"
# GNU time reports the largest resident size of the fuzzing processes (the
# test binary and the workers it waits for).
timer=()
if /usr/bin/time -f %M -o "$tmp/probe" true 2>/dev/null; then
  timer=(/usr/bin/time -f %M -o "$tmp/rss")
fi

summary=()
failed=0
targets=0
while read -r pkg dir; do
  names=$(grep -hoE '^func Fuzz[A-Za-z0-9_]+' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  [ -n "$names" ] || continue
  # One instrumented test binary per package, run from the package's
  # directory so that it finds its testdata/fuzz seeds.
  bin="$tmp/$(basename "$dir").fuzz"
  go test -c -fuzz=. -o "$bin" "$pkg"
  for target in $names; do
    targets=$((targets + 1))
    printf '==> %s %s (%ss)\n' "$pkg" "$target" "$secs"
    status=ok
    rm -f "$tmp/rss"
    if ! (cd "$dir" && "${timer[@]}" "$bin" -test.run='^$' -test.fuzz="^${target}\$" -test.fuzztime="${secs}s" \
      -test.fuzzcachedir="$fuzzcache/$pkg" >"$tmp/out" 2>&1); then
      status=FAIL
    fi
    execs=$(grep -oE 'execs: [0-9]+' "$tmp/out" | tail -1 | grep -oE '[0-9]+' || true)
    rss="?"
    if [ -s "$tmp/rss" ]; then
      rss=$(( $(tail -1 "$tmp/rss") / 1024 ))
      if [ "$rss" -gt "$max_rss_mib" ]; then
        status="FAIL (RSS ${rss} MiB > ${max_rss_mib} MiB)"
      fi
    fi
    if [ "$status" != ok ]; then
      failed=$((failed + 1))
      cat "$tmp/out"
    fi
    summary+=("$(printf '%-4s %-26s %-40s %10s execs  max RSS %4s MiB' "$status" "$target" "${pkg#github.com/azure-ea-exporter/azure-ea-exporter/}" "${execs:-0}" "$rss")")
  done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' "$packages")

echo
printf '%s\n' "${summary[@]}"
printf '\n%d fuzz targets, %d s each: %d failed\n' "$targets" "$secs" "$failed"
[ "$failed" -eq 0 ]
