#!/usr/bin/env bash
# Benchmark: `kubectl-chart template` vs `helm template` on the same 600-object chart
# (300 Deployments + 300 Services), and `kubectl-chart version` start-up.
# Needs hyperfine (apt-get install hyperfine). Results go to BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p kubectl-chart >&2
kc=$PWD/target/release/kubectl-chart
helm=$(bash ../shared/tools/peers.sh)/helm
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 bench/gen-chart.py "$work" 300

# Same objects from both? Compare the documents' count and a sample.
a=$("$kc" template rel "$work/hbs" | grep -c '^kind:')
b=$("$helm" template rel "$work/helm" | grep -c '^kind:')
echo "objects: kubectl-chart $a, helm $b"
[ "$a" = "$b" ]

hyperfine --warmup 3 --runs "${RUNS:-20}" -N \
    "$kc template rel $work/hbs" \
    "$helm template rel $work/helm" \
    "$kc version"

# Lint: built-in rules over the 600 objects (exit code 1 is expected: the chart has findings).
hyperfine --warmup 2 --runs "${RUNS:-20}" -N -i \
    "$kc lint $work/hbs -o json" \
    "$helm lint $work/helm"

for cmd in "$kc template rel $work/hbs" "$helm template rel $work/helm"; do
    rss=$( { /usr/bin/time -f '%M' $cmd >/dev/null; } 2>&1 | tail -1)
    echo "peak RSS $((rss / 1024)) MiB: ${cmd%% *} ${cmd#* }" | sed "s|$work/||"
done
