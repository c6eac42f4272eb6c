#!/bin/sh
# Runs `kubectl-chart post-render` with the arguments Helm passes (--post-renderer-args).
# KUBECTL_CHART names the binary when it is not `kubectl-chart` on PATH.
#
# Helm 4 captures a post-renderer's stderr and never shows it, so a lint finding would fail
# the run with only "exited with error". Where Helm's own stderr can be reached (Linux), the
# findings and errors go there instead, appended so a log file is never truncated.
bin="${KUBECTL_CHART:-kubectl-chart}"
if [ -w "/proc/$PPID/fd/2" ]; then
    exec "$bin" post-render "$@" 2>>"/proc/$PPID/fd/2"
fi
exec "$bin" post-render "$@"
