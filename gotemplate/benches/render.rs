//! Benchmark: parse and render a 600-object chart with the engine, beside `helm template` on
//! the same chart. `cargo bench -p kchart-gotemplate` (figures in the crate README).
//!
//! The chart is `hello-world` from `../shared/data/helm-charts` (what `helm create` writes,
//! three objects) with its three object templates copied 200 times, rendered with Helm's
//! function map (Sprig's `default`, `trunc`, `trimSuffix`, `nindent`, `quote`, `replace`,
//! `contains`, and `toYaml`), and `.Values` shared as a host passes it (Go's maps are
//! references: `set` into `.Values` is seen by later templates).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kchart_gotemplate::func::FixedEnv;
use kchart_gotemplate::{FuncMap, Map, TemplateSet, Value, helm_parse_order};

const COPIES: usize = 200;

fn shared_chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/helm-charts/charts/hello-world")
}

/// The chart's files as Helm names them: `bench/templates/...`.
fn chart_files(source: &Path) -> Vec<(String, String)> {
    let read = |name: &str| {
        std::fs::read_to_string(source.join("templates").join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e} (needs ../shared/data/helm-charts)"))
    };
    let helpers = read("_helpers.tpl").replace("hello-world.", "bench.");
    let mut files = vec![("bench/templates/_helpers.tpl".to_owned(), helpers)];
    for kind in ["deployment", "service", "serviceaccount"] {
        let text = read(&format!("{kind}.yaml")).replace("hello-world.", "bench.");
        for i in 0..COPIES {
            files.push((format!("bench/templates/{kind}-{i:03}.yaml"), text.clone()));
        }
    }
    files
}

fn values() -> Value {
    let mut image = Map::new();
    image.insert("repository".into(), "nginx".into());
    image.insert("pullPolicy".into(), "IfNotPresent".into());
    image.insert("tag".into(), "".into());
    let mut sa = Map::new();
    sa.insert("create".into(), true.into());
    sa.insert("annotations".into(), Value::map(Map::new()));
    sa.insert("name".into(), "".into());
    let mut service = Map::new();
    service.insert("type".into(), "ClusterIP".into());
    service.insert("port".into(), 80.0.into());
    let mut v = Map::new();
    v.insert("replicaCount".into(), 1.0.into());
    v.insert("image".into(), image.into());
    v.insert("nameOverride".into(), "".into());
    v.insert("fullnameOverride".into(), "".into());
    v.insert("serviceAccount".into(), sa.into());
    v.insert("service".into(), service.into());
    Value::from(v)
}

/// The data of one template, as Helm builds it per file around the values shared by all.
fn top(template: &str, values: &Value) -> Value {
    let mut chart = Map::new();
    chart.insert("Name".into(), "bench".into());
    chart.insert("Version".into(), "0.1.0".into());
    chart.insert("AppVersion".into(), "1.16.0".into());
    let mut release = Map::new();
    release.insert("Name".into(), "rel".into());
    release.insert("Namespace".into(), "default".into());
    release.insert("Service".into(), "Helm".into());
    let mut tpl = Map::new();
    tpl.insert("Name".into(), template.into());
    tpl.insert("BasePath".into(), "bench/templates".into());
    let mut t = Map::new();
    t.insert("Values".into(), values.clone());
    t.insert("Chart".into(), chart.into());
    t.insert("Release".into(), release.into());
    t.insert("Template".into(), tpl.into());
    t.into()
}

fn render_all(set: &TemplateSet, names: &[String], values: &Value) -> usize {
    names
        .iter()
        .map(|name| {
            set.render(name, &top(name, values), &FixedEnv)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .len()
        })
        .sum()
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn max_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let source = shared_chart();
    let mut files = chart_files(&source);
    let mut order: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    helm_parse_order(&mut order);
    files.sort_by_key(|(n, _)| order.iter().position(|o| o == n));

    let funcs = FuncMap::helm();
    let (parse, set) = best_of(20, || {
        let mut set = TemplateSet::new(funcs.clone());
        for (name, text) in &files {
            set.parse(name, text).expect("parses");
        }
        set
    });
    let names: Vec<String> = files
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| !n.rsplit('/').next().unwrap_or_default().starts_with('_'))
        .collect();
    // Plain (immutable) maps, then shared ones as a host passes them: the second figure is
    // what Sprig's in-place map semantics cost.
    let (plain, _) = best_of(20, || render_all(&set, &names, &values()));
    let values = values().into_shared();
    let (serial, bytes) = best_of(20, || render_all(&set, &names, &values));
    let set = Arc::new(set);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (parallel, _) = best_of(20, || {
        std::thread::scope(|scope| {
            let chunk = names.len().div_ceil(threads);
            let handles: Vec<_> = names
                .chunks(chunk)
                .map(|part| {
                    let (set, values) = (set.clone(), &values);
                    scope.spawn(move || render_all(&set, part, values))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("render thread"))
                .sum::<usize>()
        })
    });
    println!(
        "engine: {} templates ({} objects, {} KiB out): parse {:.2} ms, render {:.2} ms serial ({:.2} ms with plain maps), {:.2} ms on {threads} threads; max RSS {} MiB",
        files.len(),
        names.len(),
        bytes / 1024,
        parse.as_secs_f64() * 1e3,
        serial.as_secs_f64() * 1e3,
        plain.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        max_rss_kib() / 1024
    );

    // The same chart through helm (best of 5), if the peers are here.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Ok(peers) = Command::new("bash")
        .arg(root.join("../shared/tools/peers.sh"))
        .output()
    else {
        println!("helm: not available (../shared/tools/peers.sh)");
        return;
    };
    let helm = PathBuf::from(String::from_utf8_lossy(&peers.stdout).trim()).join("helm");
    let dir = std::env::temp_dir().join(format!("kchart-bench-{}", std::process::id()));
    let chart = dir.join("bench");
    std::fs::create_dir_all(chart.join("templates")).expect("temp chart");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: bench\nversion: 0.1.0\nappVersion: \"1.16.0\"\n",
    )
    .expect("Chart.yaml");
    std::fs::copy(source.join("values.yaml"), chart.join("values.yaml")).expect("values");
    for (name, text) in &files {
        let file = name.trim_start_matches("bench/");
        std::fs::write(chart.join(file), text).expect("template");
    }
    let (helm_time, rss) = best_of(5, || {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(&helm)
            .args(["template", "rel"])
            .arg(&chart)
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "helm: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<u64>().ok())
            .unwrap_or(0)
    });
    println!(
        "helm template (whole process, incl. YAML sorting): {:.1} ms, max RSS {} MiB",
        helm_time.as_secs_f64() * 1e3,
        rss / 1024
    );
    // The work measured is the right work: one file of each kind renders as in helm.
    for kind in ["deployment", "service", "serviceaccount"] {
        let name = format!("bench/templates/{kind}-000.yaml");
        let out = Command::new(&helm)
            .args(["template", "rel", "--show-only"])
            .arg(name.trim_start_matches("bench/"))
            .arg(&chart)
            .output()
            .expect("run helm");
        let theirs = String::from_utf8_lossy(&out.stdout);
        let ours = set
            .render(&name, &top(&name, &values), &FixedEnv)
            .expect("renders");
        let header = format!("---\n# Source: {name}\n");
        assert_eq!(
            theirs.strip_prefix(&header).map(str::trim_end),
            Some(ours.trim()),
            "{name} differs from helm's"
        );
    }
    println!("checked: one file of each kind renders byte for byte as helm renders it");
    let _ = std::fs::remove_dir_all(&dir);
}
