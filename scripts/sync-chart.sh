#!/usr/bin/env bash
# Copies the shipped rule files (alerts/*.yml, not the *_test.yml unit tests)
# and dashboards (dashboards/*.json) into the Helm chart, which cannot read
# files outside its own directory. The chart's PrometheusRule and dashboard
# ConfigMaps are generated from these copies; e2e/chart_sync_test.go fails
# when they differ from the originals. Run it after changing alerts/ or
# dashboards/, and commit the copies with the change.
set -euo pipefail
cd "$(dirname "$0")/.."

chart=charts/azure-ea-exporter

# sync_dir SRC DEST PATTERN [EXCLUDE]: make DEST hold exactly SRC's files that
# match PATTERN (and not EXCLUDE), byte for byte.
sync_dir() {
  local src=$1 dest=$2 pattern=$3 exclude=${4:-}
  mkdir -p "$dest"
  rm -f "$dest"/*
  local n=0 f
  for f in "$src"/$pattern; do
    [ -e "$f" ] || continue
    if [ -n "$exclude" ] && [[ $(basename "$f") == $exclude ]]; then
      continue
    fi
    cp "$f" "$dest/"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || { echo "sync-chart.sh: no $pattern files in $src" >&2; exit 1; }
  printf '%s: %d files from %s\n' "$dest" "$n" "$src"
}

sync_dir alerts "$chart/files/alerts" '*.yml' '*_test.yml'
sync_dir dashboards "$chart/files/dashboards" '*.json'
