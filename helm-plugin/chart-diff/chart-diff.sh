#!/usr/bin/env bash
# `helm chart-diff upgrade RELEASE CHART [flags]`: renders with helm itself, diffs with
# `kubectl chart diff -f - --helm-release`. Helm keeps its global flags (-n, --kube-context,
# --kubeconfig) for itself and hands them over as HELM_NAMESPACE, HELM_KUBECONTEXT and
# KUBECONFIG; the other flags arrive here.
set -euo pipefail

bin="${KUBECTL_CHART:-kubectl-chart}"
helm="${HELM_BIN:-helm}"

usage() {
    echo "usage: helm chart-diff upgrade RELEASE CHART [flags] (see helm chart-diff --help)" >&2
    exit 1
}

case "${1:-}" in
    upgrade) shift ;;
    -h | --help | help) "$helm" chart-diff --help; exit 0 ;;
    *) usage ;;
esac
[ $# -ge 2 ] || usage
release=$1
shift
case "$release" in -*) usage ;; esac

diff_args=()
helm_args=()
values_given=false
reuse=implicit
while [ $# -gt 0 ]; do
    arg=$1
    shift
    case "$arg" in
        --exit-code | --detailed-exitcode) diff_args+=(--exit-code) ;;
        --show-secrets | --hide-ignored | --server | --take-ownership) diff_args+=("$arg") ;;
        # Secrets are masked unless --show-secrets: helm-diff's opt-in is the default.
        --suppress-secrets) ;;
        --no-color) diff_args+=(--color never) ;;
        -C | --context | --ignore | --diff-config | --find-renames | --color)
            [ $# -gt 0 ] || { echo "error: $arg needs a value" >&2; exit 1; }
            case "$arg" in -C | --context) diff_args+=(-C "$1") ;; *) diff_args+=("$arg" "$1") ;; esac
            shift ;;
        --context=* | --ignore=* | --diff-config=* | --find-renames=* | --color=*)
            case "$arg" in --context=*) diff_args+=(-C "${arg#*=}") ;; *) diff_args+=("$arg") ;; esac ;;
        -o | --output)
            [ $# -gt 0 ] || { echo "error: $arg needs a value" >&2; exit 1; }
            format=$1
            shift
            case "$format" in diff) format=text ;; simple) format=summary ;; esac
            diff_args+=(-o "$format") ;;
        --reuse-values) reuse=all ;;
        --reset-then-reuse-values) reuse=config ;;
        --reset-values) reuse=none ;;
        -f | --values | --set | --set-string | --set-json | --set-file | --set-literal)
            values_given=true
            helm_args+=("$arg")
            [ $# -gt 0 ] && { helm_args+=("$1"); shift; } ;;
        --values=* | --set=* | --set-string=* | --set-json=* | --set-file=* | --set-literal=*)
            values_given=true
            helm_args+=("$arg") ;;
        *) helm_args+=("$arg") ;;
    esac
done

namespace="${HELM_NAMESPACE:-default}"
kube=(-n "$namespace")
chart_kube=(-n "$namespace")
if [ -n "${HELM_KUBECONTEXT:-}" ]; then
    kube+=(--kube-context "$HELM_KUBECONTEXT")
    chart_kube+=(--context "$HELM_KUBECONTEXT")
fi

# The values `helm upgrade` would start from: with no values given (and no --reset-values)
# it reuses the release's own; --reuse-values also the old chart's defaults.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reused=()
if [ "$reuse" = all ] || [ "$reuse" = config ] || { [ "$reuse" = implicit ] && ! $values_given; }; then
    all=()
    [ "$reuse" = all ] && all=(--all)
    "$helm" get values "$release" "${kube[@]}" ${all[@]+"${all[@]}"} -o yaml > "$work/reused.yaml"
    reused=(-f "$work/reused.yaml")
fi

# The chart's own diff config, when the chart is a folder holding one.
chart=${helm_args[0]:-}
if [ -n "$chart" ] && [ "${chart#-}" = "$chart" ] && [ -f "$chart/.kubectl-chart-diff.yaml" ]; then
    diff_args=(--diff-config "$chart/.kubectl-chart-diff.yaml" ${diff_args[@]+"${diff_args[@]}"})
fi

"$helm" template "$release" ${reused[@]+"${reused[@]}"} ${helm_args[@]+"${helm_args[@]}"} \
    "${kube[@]}" --is-upgrade --no-hooks --dry-run=server > "$work/rendered.yaml"
# Not exec: the trap removes the temporary folder; the exit status (2: changes) is kept.
status=0
"$bin" diff "$release" -f "$work/rendered.yaml" --helm-release "${chart_kube[@]}" \
    ${diff_args[@]+"${diff_args[@]}"} || status=$?
exit "$status"
