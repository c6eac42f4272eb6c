//! WebAssembly plugins end to end: every example plugin and every hostile guest is built for
//! `wasm32-wasip2` (once per test run) and run through the host, through the library API and
//! through the real `kubectl-chart` binary; the Helm test chains real `helm` v4 through
//! `kubectl-chart post-render`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use kubectl_chart::lint::{Linter, Severity};
use kubectl_chart::manifest::Object;
use kubectl_chart::plugin::{self, Cache, Kind, Origin, Registry, SearchPath};
use serde_json::{Value, json};

/// Packages built for the tests, and the `.wasm` file each produces.
const GUESTS: &[(&str, &str)] = &[
    ("labels", "labels"),
    ("image-rewriter", "image_rewriter"),
    ("policy", "policy"),
    ("jinja-renderer", "jinja"),
    ("testing-hostile", "hostile"),
    ("testing-wrong-version", "wrong_version"),
    ("testing-not-a-plugin", "not_a_plugin"),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is inside the workspace")
        .to_owned()
}

/// Builds every guest once per test run into `target/wasm-tests` and returns the folder of
/// `.wasm` files. Fails loudly (never skips) when the wasm target cannot be installed or a
/// guest does not build.
fn guests() -> &'static Path {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = DIR.get_or_init(|| {
        let rustup = Command::new("rustup")
            .args(["target", "add", "wasm32-wasip2"])
            .output();
        if let Ok(out) = &rustup
            && !out.status.success()
        {
            return Err(format!(
                "`rustup target add wasm32-wasip2` failed; the plugin tests need that target:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let target_dir = workspace().join("target").join("wasm-tests");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace())
            .env("CARGO_TARGET_DIR", &target_dir)
            .args(["build", "--release", "--target", "wasm32-wasip2"]);
        for (package, _) in GUESTS {
            cmd.args(["-p", package]);
        }
        let out = cmd
            .output()
            .map_err(|e| format!("failed to run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "building the guest plugins for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`):\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(target_dir.join("wasm32-wasip2").join("release"))
    });
    match result {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

fn wasm(file: &str) -> PathBuf {
    let path = guests().join(format!("{file}.wasm"));
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// A temporary plugins folder, a cache folder, and helpers to fill them.
struct Folder {
    root: tempfile::TempDir,
}

impl Folder {
    fn new() -> Folder {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("plugins")).expect("mkdir");
        Folder { root }
    }

    fn plugins(&self) -> PathBuf {
        self.root.path().join("plugins")
    }

    /// This folder's own cache, for the tests of the cache itself.
    fn own_cache(&self) -> Cache {
        Cache::new(self.root.path().join("cache"))
    }

    /// The cache shared by the other tests (entries are keyed by content, so sharing is
    /// safe), so each guest is compiled once per test run rather than once per test.
    fn cache(&self) -> Cache {
        Cache::new(guests().join("cache"))
    }

    /// Copies the guest `file` into the plugins folder as `name.wasm`, with a sidecar.
    fn add(&self, file: &str, name: &str, sidecar: &str) -> &Folder {
        std::fs::copy(wasm(file), self.plugins().join(format!("{name}.wasm"))).expect("copy");
        if !sidecar.is_empty() {
            std::fs::write(self.plugins().join(format!("{name}.toml")), sidecar).expect("write");
        }
        self
    }

    fn registry(&self) -> Registry {
        let mut search = SearchPath::default();
        search.push(self.plugins(), Origin::Env);
        Registry::discover(&search, Some(self.cache())).expect("discovery")
    }
}

fn object(value: Value) -> Object {
    Object::new("web/templates/x.yaml", value).expect("valid object")
}

fn deployment() -> Object {
    object(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "initContainers": [{"name": "init", "image": "busybox"}],
                    "containers": [{"name": "web", "image": "nginx:1.27"}]
                }
            }
        }
    }))
}

fn service() -> Object {
    object(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    }))
}

// ---------------------------------------------------------------------------------------
// The example plugins through the host

#[test]
fn labels_adds_labels_but_never_to_selectors() {
    let folder = Folder::new();
    folder.add(
        "labels",
        "labels",
        "[config]\nlabels = { team = \"payments\", app = \"other\" }\nannotations = { owner = \"p@example.com\" }\n",
    );
    let registry = folder.registry();
    let out = registry
        .post_render(vec![deployment(), service()])
        .expect("post-render");
    let d = &out[0].value;
    assert_eq!(d["metadata"]["labels"]["team"], "payments");
    assert_eq!(
        d["metadata"]["labels"]["app"], "web",
        "kept without overwrite"
    );
    assert_eq!(d["metadata"]["annotations"]["owner"], "p@example.com");
    assert_eq!(
        d["spec"]["template"]["metadata"]["labels"]["team"],
        "payments"
    );
    assert_eq!(
        d["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );
    let s = &out[1].value;
    assert_eq!(s["metadata"]["labels"]["team"], "payments");
    assert_eq!(s["spec"]["selector"], json!({"app": "web"}));
    assert_eq!(out[0].source, "web/templates/x.yaml", "source is kept");
}

#[test]
fn image_rewriter_mirrors_and_pins() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let folder = Folder::new();
    folder.add(
        "image_rewriter",
        "image_rewriter",
        &format!(
            "[config.mirrors]\n\"docker.io\" = \"mirror.example.com/hub\"\n[config.digests]\n\"nginx:1.27\" = \"{digest}\"\n"
        ),
    );
    let out = folder
        .registry()
        .post_render(vec![deployment()])
        .expect("post-render");
    let spec = &out[0].value["spec"]["template"]["spec"];
    assert_eq!(
        spec["containers"][0]["image"],
        format!("mirror.example.com/hub/library/nginx:1.27@{digest}")
    );
    assert_eq!(
        spec["initContainers"][0]["image"],
        "mirror.example.com/hub/library/busybox"
    );
}

#[test]
fn image_rewriter_reports_bad_config_as_a_plugin_error() {
    let folder = Folder::new();
    folder.add(
        "image_rewriter",
        "image_rewriter",
        "[config.digests]\n\"nginx:1.27\" = \"latest\"\n",
    );
    let err = folder
        .registry()
        .post_render(vec![deployment()])
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, plugin::Error::Guest { .. }), "{message}");
    assert!(
        message.contains("plugin `image_rewriter` failed"),
        "{message}"
    );
    assert!(message.contains("is not a digest"), "{message}");
}

#[test]
fn policy_linter_reports_findings_with_paths() {
    let folder = Folder::new();
    folder.add(
        "policy",
        "policy",
        "[config]\nrequired-labels = [\"team\"]\nallowed-registries = [\"registry.example.com\"]\nrequired-limits = [\"memory\"]\n",
    );
    let registry = folder.registry();
    let linters = registry.linters();
    assert_eq!(linters.len(), 1);
    let linter = &linters[0];
    assert_eq!(linter.name(), "policy");
    let ids: Vec<String> = linter.rules().into_iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "required-labels",
            "allowed-registries",
            "resource-limits",
            "resource-requests"
        ]
    );
    let findings = linter
        .lint(&[deployment(), service()], &Value::Null)
        .expect("lint");
    let summary: Vec<(String, String, Option<String>)> = findings
        .iter()
        .map(|f| (f.rule.clone(), f.object.to_string(), f.path.clone()))
        .collect();
    let has = |rule: &str, object: &str, path: &str| {
        summary
            .iter()
            .any(|(r, o, p)| r == rule && o == object && p.as_deref() == Some(path))
    };
    assert!(
        has(
            "required-labels",
            "apps/v1 Deployment web",
            "$.metadata.labels"
        ),
        "{summary:?}"
    );
    assert!(
        has("required-labels", "v1 Service web", "$.metadata.labels"),
        "{summary:?}"
    );
    assert!(
        has(
            "allowed-registries",
            "apps/v1 Deployment web",
            "$.spec.template.spec.containers[0].image"
        ),
        "{summary:?}"
    );
    assert!(
        has(
            "resource-limits",
            "apps/v1 Deployment web",
            "$.spec.template.spec.initContainers[0].resources.limits.memory"
        ),
        "{summary:?}"
    );
    assert!(findings.iter().all(|f| f.linter == "policy"));
    assert!(findings.iter().all(|f| f.severity == Severity::Error));
    assert!(findings.iter().all(|f| f.source == "web/templates/x.yaml"));
    // A config passed by the lint runner replaces the sidecar's.
    let none = linter
        .lint(&[deployment()], &json!({}))
        .expect("lint with empty config");
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn policy_config_errors_are_linter_errors() {
    let folder = Folder::new();
    folder.add("policy", "policy", "[config]\nrequired-labels = \"team\"\n");
    let linters = folder.registry().linters();
    let err = linters[0].lint(&[deployment()], &Value::Null).unwrap_err();
    assert!(
        err.to_string().contains("required-labels must be a list"),
        "{err}"
    );
    assert_eq!(err.linter, "policy");
}

// ---------------------------------------------------------------------------------------
// Hostile guests: stopped, named, and the host carries on

fn hostile(mode: &str, limits: &str) -> Result<Vec<Object>, plugin::Error> {
    let folder = Folder::new();
    folder.add(
        "hostile",
        "hostile",
        &format!("[config]\nmode = \"{mode}\"\nmib = 2\n[limits]\n{limits}\n"),
    );
    folder.registry().post_render(vec![deployment()])
}

#[test]
fn hostile_trap_is_reported() {
    let err = hostile("trap", "").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Trap { ref plugin, .. } if plugin == "hostile"),
        "{err}"
    );
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[test]
fn hostile_panic_message_is_shown() {
    let err = hostile("panic", "").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, plugin::Error::Trap { .. }), "{message}");
    assert!(message.starts_with("plugin `hostile` trapped"), "{message}");
    assert!(
        message.contains("hostile plugin panics on purpose"),
        "{message}"
    );
}

#[test]
fn hostile_loop_is_stopped_by_the_deadline() {
    let folder = Folder::new();
    folder.add(
        "hostile",
        "hostile",
        "[config]\nmode = \"loop\"\n[limits]\ntimeout-ms = 200\n",
    );
    let registry = folder.registry();
    let started = std::time::Instant::now();
    let err = registry.post_render(vec![deployment()]).unwrap_err();
    assert!(
        matches!(err, plugin::Error::Timeout { ref plugin, limit_ms: 200 } if plugin == "hostile"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        err.to_string(),
        "plugin `hostile` ran longer than its 200 ms limit and was stopped"
    );
}

#[test]
fn hostile_loop_is_stopped_by_the_default_deadline() {
    let err = hostile("loop", "").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Timeout { limit_ms: 2000, .. }),
        "{err}"
    );
}

#[test]
fn hostile_memory_hog_is_stopped() {
    let err = hostile("memory", "memory-mib = 64").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Memory { ref plugin, limit_mib: 64 } if plugin == "hostile"),
        "{err}"
    );
}

#[test]
fn hostile_memory_hog_is_stopped_at_the_default_limit() {
    let err = hostile("memory", "").unwrap_err();
    assert!(
        matches!(err, plugin::Error::Memory { limit_mib: 256, .. }),
        "{err}"
    );
}

#[test]
fn hostile_garbage_output_is_rejected() {
    let err = hostile("garbage", "").unwrap_err();
    assert!(matches!(err, plugin::Error::BadOutput { .. }), "{err}");
    assert!(
        err.to_string().contains("object 0 is not valid JSON"),
        "{err}"
    );
    let err = hostile("not-object", "").unwrap_err();
    assert!(matches!(err, plugin::Error::BadOutput { .. }), "{err}");
    assert!(err.to_string().contains("apiVersion"), "{err}");
}

#[test]
fn hostile_huge_output_is_rejected() {
    let err = hostile("huge", "output-mib = 1").unwrap_err();
    assert!(
        matches!(
            err,
            plugin::Error::OutputTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err}"
    );
    // Within the limit, the same output is fine.
    let ok = hostile("huge", "output-mib = 4").expect("2 MiB is under 4 MiB");
    assert_eq!(ok[0].name(), "big");
    assert_eq!(ok[0].source, "x");
}

#[test]
fn guest_errors_carry_file_and_line() {
    let err = hostile("error", "").unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `hostile` failed: templates/cm.yaml:7: hostile plugin refuses"
    );
}

#[test]
fn sandbox_grants_no_files_env_clock_or_network() {
    let err = hostile("escape", "").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("file=denied"), "{message}");
    assert!(message.contains("dir=denied"), "{message}");
    assert!(message.contains("env=0"), "{message}");
    assert!(message.contains("time=0"), "{message}");
    assert!(message.contains("net=denied"), "{message}");
}

#[test]
fn a_passing_hostile_guest_works_after_failures() {
    let folder = Folder::new();
    folder.add("hostile", "hostile", "[config]\nmode = \"trap\"\n");
    let registry = folder.registry();
    for _ in 0..3 {
        assert!(registry.post_render(vec![deployment()]).is_err());
    }
    let folder = Folder::new();
    folder.add("hostile", "hostile", "");
    let out = folder
        .registry()
        .post_render(vec![deployment()])
        .expect("pass");
    assert_eq!(out, vec![deployment()]);
}

// ---------------------------------------------------------------------------------------
// Discovery, sidecars and the cache

#[test]
fn bad_files_are_skipped_with_warnings_naming_them() {
    let folder = Folder::new();
    folder
        .add("labels", "labels", "")
        .add("wrong_version", "wrong_version", "")
        .add("not_a_plugin", "greeter", "");
    std::fs::write(folder.plugins().join("junk.wasm"), b"\0asm but not really").expect("write");
    let registry = folder.registry();
    let names: Vec<&str> = registry.plugins().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["labels"]);
    let warnings: Vec<String> = registry
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    let find = |name: &str| {
        warnings
            .iter()
            .find(|w| w.contains(&format!("{name}.wasm")))
            .unwrap_or_else(|| panic!("no warning for {name}: {warnings:#?}"))
            .clone()
    };
    assert!(
        find("wrong_version").contains("kubectl-chart:plugin@0.2.0"),
        "{warnings:#?}"
    );
    assert!(
        find("greeter").contains("not a kubectl-chart plugin"),
        "{warnings:#?}"
    );
    assert!(
        find("greeter").contains("example:greeter/greet@1.0.0"),
        "{warnings:#?}"
    );
    assert!(
        find("junk").contains("not a valid WebAssembly component"),
        "{warnings:#?}"
    );
}

#[test]
fn an_explicitly_named_bad_file_is_an_error() {
    let folder = Folder::new();
    folder.add("wrong_version", "wrong_version", "");
    let mut search = SearchPath::default();
    search.push(folder.plugins().join("wrong_version.wasm"), Origin::Flag);
    let err = Registry::discover(&search, Some(folder.cache())).unwrap_err();
    assert!(
        matches!(err, plugin::Error::IncompatibleVersion { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("wrong_version.wasm"), "{err}");
}

#[test]
fn kinds_come_from_exports() {
    let folder = Folder::new();
    folder
        .add("labels", "labels", "")
        .add("policy", "policy", "")
        .add("jinja", "jinja", "");
    let registry = folder.registry();
    let kind = |name: &str| registry.get(name).map(|p| p.kind());
    assert_eq!(kind("labels"), Some(Kind::PostRenderer));
    assert_eq!(kind("policy"), Some(Kind::Linter));
    assert_eq!(kind("jinja"), Some(Kind::Renderer));
    assert!(
        registry
            .plugins()
            .iter()
            .all(|p| p.wit_version() == "0.1.0")
    );
    let err = registry.require("labels", Kind::Renderer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `labels` is a post-renderer, not a renderer"
    );
    let err = registry.require("nope", Kind::Renderer).unwrap_err();
    assert!(
        err.to_string().starts_with("plugin `nope` not found"),
        "{err}"
    );
}

#[test]
fn earlier_folders_win_and_sidecars_order_and_disable() {
    let first = Folder::new();
    let second = Folder::new();
    // Same name in both folders: the first folder's plugin (and sidecar) wins.
    first.add(
        "labels",
        "tag",
        "order = 20\n[config]\nlabels = { by = \"first\" }\n",
    );
    second.add(
        "labels",
        "tag",
        "order = 1\n[config]\nlabels = { by = \"second\" }\n",
    );
    // Two more post-renderers; `a` runs first by order, `off` never runs.
    second.add(
        "labels",
        "a",
        "order = 10\n[config]\nlabels = { by = \"a\", a = \"yes\" }\n",
    );
    second.add(
        "labels",
        "off",
        "enabled = false\n[config]\nlabels = { off = \"ran\" }\n",
    );
    let mut search = SearchPath::default();
    search.push(first.plugins(), Origin::Flag);
    search.push(second.plugins(), Origin::Chart);
    let registry = Registry::discover(&search, Some(first.cache())).expect("discover");
    let tag = registry.get("tag").expect("tag");
    assert_eq!(tag.origin(), Origin::Flag);
    let order: Vec<&str> = registry
        .enabled(Kind::PostRenderer)
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(order, ["a", "tag"]);
    let out = registry.post_render(vec![service()]).expect("post-render");
    let labels = &out[0].value["metadata"]["labels"];
    // `a` ran first and set `by`; `tag` (no overwrite) kept it.
    assert_eq!(labels["by"], "a");
    assert_eq!(labels["a"], "yes");
    assert!(labels.get("off").is_none());
    assert!(matches!(
        registry.require("off", Kind::PostRenderer),
        Err(plugin::Error::Disabled { .. })
    ));
}

#[test]
fn a_broken_sidecar_is_an_error_naming_it() {
    let folder = Folder::new();
    folder.add("labels", "labels", "enabled = maybe\n");
    let mut search = SearchPath::default();
    search.push(folder.plugins(), Origin::Env);
    let err = Registry::discover(&search, Some(folder.cache())).unwrap_err();
    assert!(err.to_string().contains("labels.toml"), "{err}");
}

#[test]
fn the_cache_makes_a_second_load_skip_compiling_and_survives_corruption() {
    let folder = Folder::new();
    folder.add("labels", "labels", "");
    let registry = || {
        let mut search = SearchPath::default();
        search.push(folder.plugins(), Origin::Env);
        Registry::discover(&search, Some(folder.own_cache())).expect("discovery")
    };
    let first = registry();
    assert!(
        !first.get("labels").expect("labels").from_cache(),
        "cold run compiles"
    );
    let second = registry();
    assert!(
        second.get("labels").expect("labels").from_cache(),
        "warm run loads the cache"
    );

    let entries: Vec<PathBuf> = std::fs::read_dir(folder.own_cache().dir())
        .expect("cache dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    // Flip a byte in the middle of the compiled code: the checksum catches it.
    let mut bytes = std::fs::read(&entries[0]).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entries[0], &bytes).expect("write");
    let third = registry();
    let labels = third.get("labels").expect("labels");
    assert!(!labels.from_cache(), "a corrupt entry is recompiled");
    assert!(third.post_render(vec![service()]).is_ok());
    // Truncated to nothing: recompiled again, then valid again.
    std::fs::write(&entries[0], b"").expect("truncate");
    assert!(!registry().get("labels").expect("labels").from_cache());
    assert!(registry().get("labels").expect("labels").from_cache());
}

// ---------------------------------------------------------------------------------------
// The CLI

fn kubectl_chart(folder: &Folder, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-chart"));
    cmd.args(args)
        .env("XDG_CACHE_HOME", guests().join("xdg-cache"))
        .env("XDG_DATA_HOME", folder.root.path().join("xdg-data"))
        .env("HOME", folder.root.path())
        .env_remove("KUBECTL_CHART_PLUGINS")
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run kubectl-chart");
    if let Some(text) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn cli_template_renders_the_jinja_chart_with_post_renderers() {
    let folder = Folder::new();
    folder.add("jinja", "jinja", "").add(
        "labels",
        "labels",
        "[config]\nlabels = { team = \"payments\" }\n",
    );
    let chart = workspace().join("examples/charts/jinja-hello");
    let plugins = folder.plugins();
    let out = kubectl_chart(
        &folder,
        &[
            "template",
            "hello",
            chart.to_str().expect("utf-8"),
            "--plugins-dir",
            plugins.to_str().expect("utf-8"),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    assert!(
        stdout.contains("# Source: jinja-hello/templates/deployment.yaml.j2"),
        "{stdout}"
    );
    assert!(stdout.contains("name: hello-jinja-hello"), "{stdout}");
    assert!(stdout.contains("replicas: 2"), "{stdout}");
    assert!(stdout.contains("image: nginx:1.27"), "{stdout}");
    assert!(stdout.contains("team: payments"), "{stdout}");
    assert!(stdout.contains("memory: 128Mi"), "{stdout}");
    let objects = kubectl_chart::manifest::parse("out", &stdout).expect("valid YAML stream");
    let kinds: Vec<&str> = objects.iter().map(|o| o.kind()).collect();
    assert_eq!(kinds, ["ConfigMap", "Service", "Deployment"]);
    let deployment = &objects[2].value;
    assert_eq!(
        deployment["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "jinja-hello", "app.kubernetes.io/instance": "hello"})
    );
}

#[test]
fn cli_template_reports_jinja_errors_with_file_and_line() {
    let folder = Folder::new();
    folder.add("jinja", "jinja", "");
    let chart = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(chart.path().join("templates")).expect("mkdir");
    std::fs::write(
        chart.path().join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 1.0.0\nrenderer: jinja\n",
    )
    .expect("write");
    std::fs::write(
        chart.path().join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required(values.missing, \"values.missing is required\") }}\n",
    )
    .expect("write");
    let plugins = folder.plugins();
    let out = kubectl_chart(
        &folder,
        &[
            "template",
            "r",
            chart.path().to_str().expect("utf-8"),
            "--plugins-dir",
            plugins.to_str().expect("utf-8"),
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plugin `jinja` failed: templates/cm.yaml:6: "),
        "{stderr}"
    );
    assert!(stderr.contains("values.missing is required"), "{stderr}");
}

#[test]
fn cli_template_without_the_renderer_says_so() {
    let folder = Folder::new();
    let chart = workspace().join("examples/charts/jinja-hello");
    let out = kubectl_chart(
        &folder,
        &["template", "r", chart.to_str().expect("utf-8")],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("plugin `jinja` not found"), "{stderr}");
}

#[test]
fn cli_plugin_list_and_inspect() {
    let folder = Folder::new();
    folder
        .add("policy", "policy", "")
        .add("labels", "labels", "enabled = false\n")
        .add("wrong_version", "old", "");
    let plugins = folder.plugins();
    let dir = plugins.to_str().expect("utf-8");
    let out = kubectl_chart(&folder, &["plugin", "list", "--plugins-dir", dir], None);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{stdout}");
    let labels = lines
        .iter()
        .find(|l| l.starts_with("labels"))
        .expect("labels row");
    assert!(
        labels.contains("post-renderer") && labels.contains(" no "),
        "{labels}"
    );
    let policy = lines
        .iter()
        .find(|l| l.starts_with("policy"))
        .expect("policy row");
    assert!(
        policy.contains("linter") && policy.contains("0.1.0"),
        "{policy}"
    );
    assert!(
        policy.contains("required-labels,allowed-registries"),
        "{policy}"
    );
    assert!(stderr.contains("warning: skipping plugin"), "{stderr}");
    assert!(stderr.contains("old.wasm"), "{stderr}");

    let out = kubectl_chart(
        &folder,
        &["plugin", "list", "--plugins-dir", dir, "-o", "json"],
        None,
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(2));

    let out = kubectl_chart(
        &folder,
        &["plugin", "inspect", "policy", "--plugins-dir", dir],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("Kind:       linter"), "{stdout}");
    assert!(
        stdout.contains("WIT:        kubectl-chart:plugin/lint@0.1.0"),
        "{stdout}"
    );
    assert!(stdout.contains("allowed-registries"), "{stdout}");

    // Named explicitly, a bad file is an error.
    let old = plugins.join("old.wasm");
    let out = kubectl_chart(
        &folder,
        &["plugin", "inspect", old.to_str().expect("utf-8")],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("old.wasm` was built for kubectl-chart:plugin@0.2.0"),
        "{stderr}"
    );
}

#[test]
fn a_linter_dropped_into_the_user_folder_needs_no_other_step() {
    let folder = Folder::new();
    let user = folder.root.path().join("xdg-data/kubectl-chart/plugins");
    std::fs::create_dir_all(&user).expect("mkdir");
    std::fs::copy(wasm("policy"), user.join("policy.wasm")).expect("copy");
    let out = kubectl_chart(&folder, &["plugin", "list"], None);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("policy") && stdout.contains("user data"),
        "{stdout}"
    );
}

const STREAM: &str = "---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1
          resources:
            limits:
              memory: 64Mi
";

#[test]
fn cli_post_render_runs_post_renderers_then_linters() {
    let folder = Folder::new();
    folder
        .add(
            "labels",
            "labels",
            "[config]\nlabels = { team = \"payments\" }\n",
        )
        .add(
            "policy",
            "policy",
            "[config]\nrequired-labels = [\"team\"]\nrequired-limits = [\"memory\"]\n",
        );
    let plugins = folder.plugins();
    let dir = plugins.to_str().expect("utf-8");
    let out = kubectl_chart(
        &folder,
        &["post-render", "--plugins-dir", dir],
        Some(STREAM),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("# Source: web/templates/deployment.yaml"),
        "{stdout}"
    );
    assert!(stdout.contains("team: payments"), "{stdout}");

    // Without the labels plugin, the policy's required label is missing: exit 1.
    std::fs::remove_file(plugins.join("labels.wasm")).expect("rm");
    let out = kubectl_chart(
        &folder,
        &["post-render", "--plugins-dir", dir],
        Some(STREAM),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[policy/required-labels]: apps/v1 Deployment web $.metadata.labels (web/templates/deployment.yaml): missing required label(s): team"), "{stderr}");
    assert!(stderr.contains("lint found 1 error(s)"), "{stderr}");
    let out = kubectl_chart(
        &folder,
        &["post-render", "--plugins-dir", dir, "--no-lint"],
        Some(STREAM),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// ---------------------------------------------------------------------------------------
// Real Helm v4 chained through `kubectl-chart post-render`

fn helm() -> PathBuf {
    let peers = Command::new("bash")
        .arg(workspace().join("../shared/tools/peers.sh"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_owned());
    let dir = peers.unwrap_or_else(|| {
        std::env::var("KCHART_PEERS").expect(
            "the helm test needs ../shared/tools/peers.sh (or KCHART_PEERS) to find helm v4",
        )
    });
    let helm = Path::new(&dir).join("helm");
    assert!(helm.is_file(), "no helm binary in {dir}");
    helm
}

#[test]
fn helm_chains_through_post_render() {
    let helm = helm();
    let folder = Folder::new();
    folder
        .add("labels", "labels", "[config]\nlabels = { team = \"payments\" }\n")
        .add(
            "policy",
            "policy",
            "[config]\nrequired-labels = [\"team\"]\nallowed-registries = [\"docker.io/library\"]\n",
        );
    // Helm 4 installs into (and looks up post-renderers in) `$HELM_DATA_HOME/plugins`.
    let helm_home = folder.root.path().join("helm");
    let run_helm = |args: &[&str]| -> Output {
        Command::new(&helm)
            .args(args)
            .env_remove("HELM_PLUGINS")
            .env("HELM_DATA_HOME", helm_home.join("data"))
            .env("HELM_CONFIG_HOME", helm_home.join("config"))
            .env("HELM_CACHE_HOME", helm_home.join("cache"))
            .env("KUBECTL_CHART", env!("CARGO_BIN_EXE_kubectl-chart"))
            .env("KUBECTL_CHART_PLUGINS", folder.plugins())
            .env("XDG_CACHE_HOME", guests().join("xdg-cache"))
            .env("XDG_DATA_HOME", folder.root.path().join("xdg-data"))
            .env("NO_COLOR", "1")
            .output()
            .expect("run helm")
    };
    let install = run_helm(&[
        "plugin",
        "install",
        workspace().join("helm-plugin").to_str().expect("utf-8"),
    ]);
    assert!(
        install.status.success(),
        "helm plugin install: {}{}",
        text(&install.stdout),
        text(&install.stderr)
    );
    let chart = workspace().join("examples/helm/web");
    let chart = chart.to_str().expect("utf-8");
    let out = run_helm(&[
        "template",
        "shop",
        chart,
        "--post-renderer",
        "kubectl-chart",
    ]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "helm template: {}\n{stdout}",
        text(&out.stderr)
    );
    let objects = kubectl_chart::manifest::parse("out", &stdout).expect("valid YAML stream");
    assert_eq!(objects.len(), 2, "{stdout}");
    for object in &objects {
        assert_eq!(
            object.value["metadata"]["labels"]["team"], "payments",
            "{stdout}"
        );
    }

    // A rule violation (an image from a registry the policy does not allow) fails helm.
    let out = run_helm(&[
        "template",
        "shop",
        chart,
        "--post-renderer",
        "kubectl-chart",
        "--set",
        "image.repository=quay.io/evil/web",
    ]);
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "helm should fail: {}",
        text(&out.stdout)
    );
    assert!(stderr.contains("policy/allowed-registries"), "{stderr}");
    assert!(stderr.contains("quay.io/evil/web"), "{stderr}");
}

#[test]
fn a_linter_dropped_into_the_charts_plugins_folder_is_used_by_lint() {
    let folder = Folder::new();
    let chart = folder.root.path().join("shop");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::create_dir_all(chart.join("plugins")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: shop\nversion: 0.1.0\nrenderer: handlebars\n",
    )
    .expect("write");
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: quay.io/evil/app:1.0\n",
    )
    .expect("write");
    // The plugin's config comes from the lint config, as for every linter.
    std::fs::write(
        chart.join(".kubectl-chart-lint.yaml"),
        "linters:\n  policy:\n    allowed-registries: [registry.example.com]\n",
    )
    .expect("write");
    // The only step: copy the .wasm file in.
    std::fs::copy(wasm("policy"), chart.join("plugins/policy.wasm")).expect("copy");
    let chart_arg = chart.to_str().expect("utf-8");

    let out = kubectl_chart(&folder, &["plugin", "list", chart_arg], None);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("policy") && l.contains("linter")),
        "{stdout}"
    );

    let out = kubectl_chart(&folder, &["lint", chart_arg, "-o", "json"], None);
    let stdout = text(&out.stdout);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("{err}: {stdout}\n{}", text(&out.stderr)));
    let findings = report["findings"].as_array().expect("findings");
    let finding = findings
        .iter()
        .find(|f| f["linter"] == "policy" && f["rule"] == "allowed-registries")
        .unwrap_or_else(|| panic!("no policy finding in {stdout}"));
    assert!(
        finding["message"]
            .as_str()
            .is_some_and(|m| m.contains("quay.io/evil/app:1.0")),
        "{finding}"
    );
    // Built-in rules ran through the same runner.
    assert!(
        findings.iter().any(|f| f["linter"] == "builtin"),
        "{stdout}"
    );
}
