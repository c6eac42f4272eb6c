//! Benchmarks of the WebAssembly plugin host (a plain program, not timed tests):
//! `cargo bench -p kubectl-chart --bench plugins`. Prints a Markdown table for BENCHMARKS.md.
//!
//! Builds the guests it needs for `wasm32-wasip2` into `target/wasm-tests`, like the tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kubectl_chart::manifest::Object;
use kubectl_chart::plugin::{Cache, Origin, Registry, SearchPath};
use serde_json::json;

const GUESTS: &[(&str, &str)] = &[
    ("labels", "labels"),
    ("image-rewriter", "image_rewriter"),
    ("policy", "policy"),
    ("jinja-renderer", "jinja"),
    ("testing-hostile", "hostile"),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_owned()
}

fn build_guests() -> PathBuf {
    let target = workspace().join("target").join("wasm-tests");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace())
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--release", "--target", "wasm32-wasip2"]);
    for (package, _) in GUESTS {
        cmd.args(["-p", package]);
    }
    let status = cmd.status().expect("run cargo");
    assert!(
        status.success(),
        "building the guests failed (rustup target add wasm32-wasip2?)"
    );
    target.join("wasm32-wasip2").join("release")
}

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let guests = build_guests();
    let tmp = tempfile::tempdir().expect("tempdir");
    let plugins = tmp.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    let examples = workspace().join("examples").join("plugins");
    for (file, sidecar) in [
        ("jinja", None),
        ("labels", Some("labels.toml")),
        ("image_rewriter", Some("image_rewriter.toml")),
    ] {
        std::fs::copy(
            guests.join(format!("{file}.wasm")),
            plugins.join(format!("{file}.wasm")),
        )
        .expect("copy");
        if let Some(sidecar) = sidecar {
            std::fs::copy(examples.join(sidecar), plugins.join(sidecar)).expect("copy");
        }
    }
    let mut rows: Vec<(String, String)> = Vec::new();

    // Loading: compile (cold) vs the cache (warm), for the 1.5 MB jinja plugin and the
    // smaller ones, through discovery as every command does it.
    let mut search = SearchPath::default();
    search.push(plugins.clone(), Origin::Flag);
    // The key that authenticates cache entries lives outside the cache, as in real use.
    let key = tmp.path().join("key").join("cache.key");
    let cold = median(5, || {
        let cache = tempfile::tempdir().expect("tempdir");
        let r = Registry::discover(&search, Some(Cache::new(cache.path().join("c"), &key)))
            .expect("discover");
        assert!(r.warnings().is_empty(), "{:?}", r.warnings());
    });
    let cache_dir = tmp.path().join("cache");
    Registry::discover(&search, Some(Cache::new(&cache_dir, &key))).expect("discover");
    let warm = median(20, || {
        let r = Registry::discover(&search, Some(Cache::new(&cache_dir, &key))).expect("discover");
        assert!(r.plugins().iter().all(|p| p.from_cache()));
    });
    rows.push((
        "discover + load 3 plugins (jinja 1.5 MB, labels, image_rewriter), cold: compile".into(),
        ms(cold),
    ));
    rows.push((
        "discover + load the same 3 plugins, warm: from the cache".into(),
        ms(warm),
    ));

    // Per-call overhead: a fresh store, instance and call of a warm pass-through
    // post-renderer with no objects, then with one Deployment through `labels`.
    let bare = tmp.path().join("bare");
    std::fs::create_dir_all(&bare).expect("mkdir");
    std::fs::copy(guests.join("hostile.wasm"), bare.join("pass.wasm")).expect("copy");
    std::fs::copy(guests.join("labels.wasm"), bare.join("labels.wasm")).expect("copy");
    std::fs::copy(examples.join("labels.toml"), bare.join("labels.toml")).expect("copy");
    let mut search = SearchPath::default();
    search.push(bare, Origin::Flag);
    let registry =
        Registry::discover(&search, Some(Cache::new(&cache_dir, &key))).expect("discover");
    let pass = registry.get("pass").expect("pass").clone();
    let labels = registry.get("labels").expect("labels").clone();
    let deployment = Object::new(
        "web/templates/deployment.yaml",
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}),
    )
    .expect("object");
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        pass.post_render(&[]).expect("call");
    }
    rows.push((
        "warm call, pass-through post-renderer, 0 objects (new store + instantiate + call)".into(),
        us(start.elapsed() / n),
    ));
    let one = std::slice::from_ref(&deployment);
    let start = Instant::now();
    for _ in 0..n {
        labels.post_render(one).expect("call");
    }
    rows.push((
        "warm call, `labels` on 1 Deployment (JSON both ways)".into(),
        us(start.elapsed() / n),
    ));

    // `kubectl chart template` of the jinja chart: renderer + 2 post-renderers.
    let bin = env!("CARGO_BIN_EXE_kubectl-chart");
    let chart = workspace().join("examples/charts/jinja-hello");
    let template = |cache: &Path| {
        let status = Command::new(bin)
            .args(["template", "hello"])
            .arg(&chart)
            .arg("--plugins-dir")
            .arg(&plugins)
            .env("XDG_CACHE_HOME", cache)
            .env("XDG_DATA_HOME", tmp.path().join("data"))
            .env_remove("KUBECTL_CHART_PLUGINS")
            .stdout(Stdio::null())
            .status()
            .expect("run");
        assert!(status.success());
    };
    let cold = median(5, || {
        let cache = tempfile::tempdir().expect("tempdir");
        template(cache.path());
    });
    let xdg = tmp.path().join("xdg-cache");
    template(&xdg);
    let warm = median(20, || template(&xdg));
    rows.push((
        "`template` jinja-hello with jinja + labels + image_rewriter, cold (empty cache)".into(),
        ms(cold),
    ));
    rows.push(("the same, warm".into(), ms(warm)));

    // 600 objects: `kubectl chart template` with labels + image_rewriter beside `helm template`.
    let big = big_charts(tmp.path());
    let post = tmp.path().join("post");
    std::fs::create_dir_all(&post).expect("mkdir");
    for name in ["labels", "image_rewriter"] {
        std::fs::copy(
            guests.join(format!("{name}.wasm")),
            post.join(format!("{name}.wasm")),
        )
        .expect("copy");
        std::fs::copy(
            examples.join(format!("{name}.toml")),
            post.join(format!("{name}.toml")),
        )
        .expect("copy");
    }
    let ours = median(10, || {
        let out = Command::new(bin)
            .args(["template", "big"])
            .arg(big.join("handlebars"))
            .arg("--plugins-dir")
            .arg(&post)
            .env("XDG_CACHE_HOME", &xdg)
            .env("XDG_DATA_HOME", tmp.path().join("data"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run");
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout)
                .matches("\nkind: ")
                .count(),
            600
        );
    });
    rows.push((
        "600 objects: `kubectl chart template` + labels + image_rewriter (warm)".into(),
        ms(ours),
    ));
    if let Some(helm) = helm() {
        let theirs = median(10, || {
            let status = Command::new(&helm)
                .args(["template", "big"])
                .arg(big.join("helm"))
                .stdout(Stdio::null())
                .status()
                .expect("run helm");
            assert!(status.success());
        });
        rows.push((
            "600 objects: plain `helm template` (helm v4, same objects)".into(),
            ms(theirs),
        ));
    }

    println!("| measurement | median |\n|---|---|");
    for (what, value) in rows {
        println!("| {what} | {value} |");
    }
}

fn helm() -> Option<PathBuf> {
    let out = Command::new("bash")
        .arg(workspace().join("../shared/tools/peers.sh"))
        .output()
        .ok()?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let helm = Path::new(&dir).join("helm");
    helm.is_file().then_some(helm)
}

/// The same 600 objects (200 × Deployment, Service, ConfigMap) as a Handlebars chart and as
/// a Helm chart.
fn big_charts(root: &Path) -> PathBuf {
    let dir = root.join("big");
    let items: Vec<String> = (0..200).map(|i| format!("svc-{i:03}")).collect();
    let values = format!(
        "items:\n{}",
        items
            .iter()
            .map(|i| format!("  - {i}\n"))
            .collect::<String>()
    );
    let body = |open: &str, name: &str, close: &str| {
        format!(
            "{open}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  labels:
    app: {name}
data:
  greeting: hello
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  selector:
    app: {name}
  ports:
    - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            limits:
              memory: 128Mi
{close}
"
        )
    };
    for (flavour, text) in [
        (
            "handlebars",
            body("{{#each Values.items}}", "{{this}}", "{{/each}}"),
        ),
        (
            "helm",
            body("{{- range .Values.items }}", "{{ . }}", "{{- end }}"),
        ),
    ] {
        let chart = dir.join(flavour);
        std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
        let renderer = if flavour == "handlebars" {
            "renderer: handlebars\n"
        } else {
            ""
        };
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: big\nversion: 1.0.0\n{renderer}"),
        )
        .expect("write");
        std::fs::write(chart.join("values.yaml"), &values).expect("write");
        std::fs::write(chart.join("templates/all.yaml"), text).expect("write");
    }
    dir
}
