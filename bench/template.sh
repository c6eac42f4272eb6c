#!/usr/bin/env bash
# Benchmark: `kubectl-chart template` vs `helm template`, wall time (hyperfine) and peak RSS
# (GNU time), on
#   - the 600-object chart of bench/gen-chart.py (300 Deployments + 300 Services) in Helm's
#     Go-template form, which both render (and in our Handlebars form, for us alone),
#   - cert-manager and ingress-nginx, unmodified, from ../shared/data/helm-charts;
# then `kubectl-chart version` start-up and lint vs `helm lint`. Each Go-template render is
# first checked byte for byte against helm's. Needs hyperfine and GNU time
# (apt-get install hyperfine time). Results go to BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
# KC=path/to/kubectl-chart benchmarks that binary instead of building one.
[ -n "${KC:-}" ] || cargo build --release --locked -p kubectl-chart >&2
kc=${KC:-$PWD/target/release/kubectl-chart}
helm=$(bash ../shared/tools/peers.sh)/helm
corpus=../shared/data/helm-charts/charts
runs=${RUNS:-20}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# A cache and key of the run's own: the Handlebars form is measured warm (compiled templates
# loaded from the cache, as every run after the first) and cold (KUBECTL_CHART_NO_CACHE=1).
export XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data
python3 bench/gen-chart.py "$work" 300

# name|chart
charts=(
    "600 objects|$work/helm"
    "cert-manager|$corpus/cert-manager"
    "ingress-nginx|$corpus/ingress-nginx"
)

for entry in "${charts[@]}"; do
    chart=${entry#*|}
    "$kc" template rel "$chart" > "$work/ours.yaml"
    "$helm" template rel "$chart" > "$work/helm.yaml"
    cmp "$work/ours.yaml" "$work/helm.yaml"
    echo "${entry%%|*}: identical output, $(grep -c '^kind:' "$work/ours.yaml") objects"
done
[ "$("$kc" template rel "$work/hbs" | grep -c '^kind:')" = 600 ]

peak_rss() {
    local kib
    kib=$( { /usr/bin/time -f '%M' "$@" >/dev/null; } 2>&1 | tail -1)
    echo "$((kib / 1024)) MiB"
}

for entry in "${charts[@]}"; do
    name=${entry%%|*}; chart=${entry#*|}
    echo "== $name"
    hyperfine --warmup 3 --runs "$runs" -N \
        "$kc template rel $chart" \
        "$helm template rel $chart"
    echo "peak RSS: kubectl-chart $(peak_rss "$kc" template rel "$chart"), helm $(peak_rss "$helm" template rel "$chart")"
done

echo "== 600 objects, Handlebars form: warm cache, no cache, and start-up"
hyperfine --warmup 3 --runs "$runs" -N \
    "$kc template rel $work/hbs" \
    "env KUBECTL_CHART_NO_CACHE=1 $kc template rel $work/hbs" \
    "$kc version"
echo "peak RSS: kubectl-chart warm $(peak_rss "$kc" template rel "$work/hbs"), no cache $(peak_rss env KUBECTL_CHART_NO_CACHE=1 "$kc" template rel "$work/hbs")"

# Lint: built-in rules over the 600 objects (exit code 1 is expected: the chart has findings).
hyperfine --warmup 2 --runs "$runs" -N -i \
    "$kc lint $work/helm -o json" \
    "$helm lint $work/helm"
