//! Benchmarks of the encoding functions (a plain program, not timed tests):
//! `cargo bench -p kchart-gotemplate --bench encoding`. Prints a Markdown table: the time
//! per call of `toYaml`, `toYamlPretty`, `toJson` and `fromYaml` on the real charts'
//! values files in `../shared/data/helm-charts`, the largest templates print whole.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use kchart_gotemplate::Value;
use kchart_gotemplate::encoding::{json, yaml};

/// Runs `f` for about half a second and returns the mean time per call.
fn time(mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < Duration::from_millis(500) {
        f();
        runs += 1;
    }
    start.elapsed() / runs
}

fn main() {
    let charts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/helm-charts/charts");
    println!("| values file | size | fromYaml | toYaml | toYamlPretty | toJson |");
    println!("|---|---:|---:|---:|---:|---:|");
    for chart in [
        "cert-manager",
        "ingress-nginx",
        "bitnami-nginx",
        "kube-state-metrics",
        "hello-world",
    ] {
        let path = charts.join(chart).join("values.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping {}: not found", path.display());
            continue;
        };
        let value: Value = yaml::to_value(&text).expect("values parse");
        let parse = time(|| {
            black_box(yaml::to_value(black_box(&text)).ok());
        });
        let to_yaml = time(|| {
            black_box(yaml::marshal(black_box(&value)).ok());
        });
        let pretty = time(|| {
            black_box(yaml::marshal_pretty(black_box(&value)).ok());
        });
        let to_json = time(|| {
            black_box(json::marshal(black_box(&value), json::Format::COMPACT).ok());
        });
        println!(
            "| {chart}/values.yaml | {} KB | {:.1?} | {:.1?} | {:.1?} | {:.1?} |",
            text.len() / 1024,
            parse,
            to_yaml,
            pretty,
            to_json
        );
    }
}
