//! Real kubectl finds `kubectl-chart` as the plugin `kubectl chart`, and completes it through
//! `kubectl_complete-chart`.

use std::path::Path;
use std::sync::OnceLock;

use crate::support::{Test, bin, peers};

/// A PATH holding our two executables first (alone in a folder, as an install puts them),
/// then the real kubectl.
fn plugin_path() -> String {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tmp");
        let built = bin().parent().expect("bin dir");
        for name in ["kubectl-chart", "kubectl_complete-chart"] {
            let from = built.join(name);
            assert!(from.exists(), "{} was not built", from.display());
            std::os::unix::fs::symlink(&from, dir.path().join(name)).expect("symlink");
        }
        dir
    });
    format!(
        "{}:{}:/usr/bin:/bin",
        dir.path().display(),
        peers().display()
    )
}

fn kubectl() -> std::path::PathBuf {
    peers().join("kubectl")
}

#[test]
fn kubectl_discovers_the_plugin() {
    Test::new()
        .program(kubectl())
        .args(["chart", "version", "--short"])
        .env("PATH", plugin_path())
        .run()
        .stdout_has(&[&format!("v{}", env!("CARGO_PKG_VERSION"))]);
    Test::new()
        .program(kubectl())
        .args(["plugin", "list", "--name-only"])
        .env("PATH", plugin_path())
        .run()
        .stdout_has(&["kubectl-chart"]);
}

#[test]
fn kubectl_renders_through_the_plugin() {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/web");
    Test::new()
        .program(kubectl())
        .args(["chart", "template", "shop"])
        .arg(chart)
        .env("PATH", plugin_path())
        .run()
        .stdout_has(&[
            "# Source: web/templates/deployment.yaml",
            "kind: Deployment",
        ]);
}

#[test]
fn kubectl_completes_the_plugin() {
    let run = Test::new()
        .program(kubectl())
        .args(["__complete", "chart", ""])
        .env("PATH", plugin_path())
        .run();
    run.stdout_has(&["template", "values", "completion"]);
    let stdout = run.stdout();
    assert!(stdout.trim_end().ends_with(":4"), "{stdout}");
    Test::new()
        .program(kubectl())
        .args(["__complete", "chart", "template", "r", "c", "--out"])
        .env("PATH", plugin_path())
        .run()
        .stdout_has(&["--output"]);
}
