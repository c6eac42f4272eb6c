//! kubectl-chart: render charts, run WebAssembly plugins, diff and apply against a cluster.
