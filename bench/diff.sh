#!/usr/bin/env bash
# Benchmark: `kubectl-chart diff` vs `kubectl diff -f` of the same 600 rendered objects (300
# Deployments + 300 Services) with 50 of them changed (a new image in 50 Deployments), against
# the cluster emulator after an install. Also the split of our time: the cluster reads alone,
# then plan + diff + print (from `-v`). Prints the median of RUNS runs (default 5).
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
"$kc" template rel "$work/hbs" > "$work/v1.yaml"
# The upgrade: 50 Deployments get another image.
python3 - "$work/v1.yaml" "$work/v2.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
docs = text.split("\n---\n")
changed = 0
for i, doc in enumerate(docs):
    if changed < 50 and "kind: Deployment" in doc:
        docs[i] = doc.replace("nginx:1.27", "nginx:1.28")
        assert docs[i] != doc, "the image is not nginx:1.27: " + doc
        changed += 1
assert changed == 50, changed
open(sys.argv[2], "w").write("\n---\n".join(docs))
PY

"$emu" serve --kubeconfig "$work/kubeconfig" > "$work/emu.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.05; done
export KUBECONFIG=$work/kubeconfig
"$kc" apply rel "$work/hbs" > /dev/null

# Check both see 50 changed objects.
ours=$("$kc" diff rel -f "$work/v2.yaml" -o summary)
echo "kubectl-chart: $ours"
theirs=$("$kubectl" diff -f "$work/v2.yaml" | grep -c '^+++ ' || true)
echo "kubectl diff: $theirs objects differ"
# Both must see the 50 changed Deployments, or the figures below measure nothing.
case "$ours" in *" 50 to change"*) ;; *) echo "expected 50 changed objects" >&2; exit 1 ;; esac
[ "$theirs" = 50 ] || { echo "kubectl diff saw $theirs changed objects, not 50" >&2; exit 1; }

# seconds taken by a command (its output discarded; exit status 1 of kubectl diff is success)
timed() {
    local t0 t1
    t0=$(date +%s%N); "$@" > /dev/null || [ $? -le 1 ]; t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.3f\n", ns / 1e9}'
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: > "$work/kc"; : > "$work/kc-chart"; : > "$work/kubectl"; : > "$work/reads"; : > "$work/rest"
for _ in $(seq "$runs"); do
    timed "$kc" diff rel -f "$work/v2.yaml" >> "$work/kc"
    timed "$kc" diff rel "$work/hbs" --set image.tag=1.28 >> "$work/kc-chart"
    timed "$kubectl" diff -f "$work/v2.yaml" >> "$work/kubectl"
    # Our own split, from -v: the cluster reads, then planning, diffing and printing.
    "$kc" diff rel -f "$work/v2.yaml" -v 2>&1 >/dev/null |
        awk '/read the cluster/ {for (i = 1; i <= NF; i++) if ($i == "ms") r = $(i-1)}
             /planned and diffed/ {for (i = 1; i <= NF; i++) if ($i == "ms") p = $(i-1)}
             END {print r > "/dev/stderr"; print p}' 2>> "$work/reads" >> "$work/rest"
done
echo "kubectl-chart diff -f (600 objects, 50 changed): $(median < "$work/kc") s"
echo "kubectl-chart diff CHART --set image.tag=1.28 (render included; all 300 Deployments change): $(median < "$work/kc-chart") s"
echo "kubectl diff -f (same objects): $(median < "$work/kubectl") s"
echo "inside kubectl-chart diff -f: reads $(median < "$work/reads") ms, plan + diff $(median < "$work/rest") ms (median of $runs)"
