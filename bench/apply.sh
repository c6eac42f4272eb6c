#!/usr/bin/env bash
# Benchmark: `kubectl-chart apply` vs `kubectl apply -f` of the same 600 rendered objects
# (300 Deployments + 300 Services), each against a fresh cluster emulator: first install,
# then a no-op re-apply. Prints the median of RUNS runs (default 5) of each.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p kubectl-chart -p kchart-emulator >&2
kc=$PWD/target/release/kubectl-chart
emu=$PWD/target/release/kchart-emulator
kubectl=$(bash ../shared/tools/peers.sh)/kubectl
runs=${RUNS:-5}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/gen-chart.py "$work" 300
"$kc" template rel "$work/hbs" > "$work/rendered.yaml"

start_cluster() {
    rm -f "$work/kubeconfig"
    "$emu" serve --kubeconfig "$work/kubeconfig" > "$work/emu.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.05; done
    export KUBECONFIG=$work/kubeconfig
}
stop_cluster() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# seconds taken by a command (its output discarded)
timed() {
    local t0 t1
    t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.3f\n", ns / 1e9}'
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for tool in kubectl-chart kubectl; do
    : > "$work/$tool.install"; : > "$work/$tool.noop"
    for _ in $(seq "$runs"); do
        start_cluster
        if [ "$tool" = kubectl-chart ]; then
            timed "$kc" apply rel "$work/hbs" >> "$work/$tool.install"
            timed "$kc" apply rel "$work/hbs" >> "$work/$tool.noop"
        else
            timed "$kubectl" apply -f "$work/rendered.yaml" >> "$work/$tool.install"
            timed "$kubectl" apply -f "$work/rendered.yaml" >> "$work/$tool.noop"
        fi
        stop_cluster
    done
    echo "$tool: install $(median < "$work/$tool.install") s, no-op re-apply $(median < "$work/$tool.noop") s (median of $runs)"
done
