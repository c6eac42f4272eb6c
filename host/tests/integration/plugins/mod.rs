//! WebAssembly plugins end to end: every example plugin and every hostile guest is built for
//! `wasm32-wasip2` (once per test run) and run through the host, through the library API and
//! through the real `kubectl-chart` binary ([`cli`], on the shared [`Test`] builder).
//!
//! By topic: `examples` (the shipped plugins), `hostile` (guests that misbehave), `files`
//! (plugin files and folders that are not what they claim: FIFOs, devices, huge files),
//! `discovery` (folders, sidecars, kinds), `trust` (what a chart's own plugins may do),
//! `cache` (the authenticated compiled-plugin cache), `cli` (list, inspect, template,
//! post-render, lint) and `helm` (real Helm v4 chained through `post-render`).

mod cache;
mod cli;
mod discovery;
mod examples;
mod files;
mod helm;
mod hostile;
mod trust;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use kubectl_chart::manifest::Object;
use kubectl_chart::plugin::{Cache, Origin, Registry, SearchPath};
use serde_json::{Value, json};

use crate::support::{Test, workspace};

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

/// Builds every guest once per test run into `target/wasm-tests` and returns the folder of
/// `.wasm` files. Fails loudly (never skips) when the wasm target cannot be installed or a
/// guest does not build.
pub fn guests() -> &'static Path {
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

/// A built guest's `.wasm` file.
pub fn wasm(file: &str) -> PathBuf {
    let path = guests().join(format!("{file}.wasm"));
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// Where tests share compiled plugins: entries are keyed by content, so sharing is safe, and
/// each guest is compiled once per test run rather than once per test. The key that
/// authenticates them is shared too (it lives outside the cache folder, as in real use).
fn shared() -> PathBuf {
    guests().join("test-shared")
}

/// A temporary plugins folder and home, and helpers to fill them.
pub struct Folder {
    pub root: tempfile::TempDir,
}

impl Folder {
    pub fn new() -> Folder {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("plugins")).expect("mkdir");
        Folder { root }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub fn plugins(&self) -> PathBuf {
        self.root.path().join("plugins")
    }

    /// This folder's own cache and key, for the tests of the cache itself.
    pub fn own_cache(&self) -> Cache {
        Cache::new(
            self.root.path().join("cache"),
            self.root.path().join("data/cache.key"),
        )
    }

    /// The cache shared by the other tests.
    pub fn cache(&self) -> Cache {
        Cache::new(shared().join("cache"), shared().join("key/cache.key"))
    }

    /// Copies the guest `file` into the plugins folder as `name.wasm`, with a sidecar.
    pub fn add(&self, file: &str, name: &str, sidecar: &str) -> &Folder {
        add_to(&self.plugins(), file, name, sidecar);
        self
    }

    /// The plugins in the plugins folder, as `$KUBECTL_CHART_PLUGINS` would find them.
    pub fn registry(&self) -> Registry {
        let mut search = SearchPath::default();
        search.push(self.plugins(), Origin::Env);
        Registry::discover(&search, Some(self.cache())).expect("discovery")
    }

    /// `$XDG_DATA_HOME` for a test that installs plugins as the user does (its own key too).
    pub fn data_home(&self) -> PathBuf {
        self.root.path().join("xdg-data")
    }

    /// The user's plugin folder under [`Folder::data_home`].
    pub fn user_plugins(&self) -> PathBuf {
        let dir = self.data_home().join("kubectl-chart/plugins");
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    /// The system's plugin folder (`$XDG_DATA_DIRS` points here in [`cli`]).
    pub fn system_plugins(&self) -> PathBuf {
        let dir = self.root.path().join("system/kubectl-chart/plugins");
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    /// The user's plugin settings file (`$XDG_CONFIG_HOME` points here in [`cli`]).
    pub fn settings_file(&self) -> PathBuf {
        let dir = self.root.path().join("config/kubectl-chart");
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir.join("plugins.toml")
    }

    /// A chart `name` in this folder with one template, and its `plugins/` folder.
    pub fn chart(&self, name: &str, template: &str) -> PathBuf {
        let chart = self.root.path().join(name);
        std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
        std::fs::create_dir_all(chart.join("plugins")).expect("mkdir");
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
        )
        .expect("write");
        std::fs::write(chart.join("templates/object.yaml"), template).expect("write");
        chart
    }
}

/// Copies the guest `file` into `dir` as `name.wasm`, with a sidecar when not empty.
pub fn add_to(dir: &Path, file: &str, name: &str, sidecar: &str) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::copy(wasm(file), dir.join(format!("{name}.wasm"))).expect("copy");
    if !sidecar.is_empty() {
        std::fs::write(dir.join(format!("{name}.toml")), sidecar).expect("write");
    }
}

/// The real `kubectl-chart`, in a home of its own (`folder`): no plugin folders but those a
/// test adds, the shared compiled-plugin cache and key, and a watchdog so a hang fails.
pub fn cli(folder: &Folder) -> Test {
    Test::new()
        .env("HOME", folder.path())
        .env("XDG_CACHE_HOME", shared().join("xdg-cache"))
        .env("XDG_DATA_HOME", shared().join("xdg-data"))
        .env("XDG_CONFIG_HOME", folder.path().join("config"))
        .env("XDG_DATA_DIRS", folder.path().join("system"))
        .env_remove("KUBECTL_CHART_PLUGINS")
        .env_remove("KUBECTL_CHART_NO_CHART_PLUGINS")
        .timeout(Duration::from_secs(600))
}

/// A path argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

pub fn object(value: Value) -> Object {
    Object::new("web/templates/x.yaml", value).expect("valid object")
}

pub fn deployment() -> Object {
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

pub fn service() -> Object {
    object(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    }))
}

/// The lines of `text` that are warnings.
pub fn warnings(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("warning:")).collect()
}
