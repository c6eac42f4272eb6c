//! `kubectl chart package` and `kubectl chart dependency`, against real helm: helm renders,
//! lints and installs (into the cluster emulator) what we package, and accepts the locks and
//! archives `dependency update` writes, as we accept its own.

use std::path::Path;

use kchart_emulator::Emulator;

use crate::support::{Test, example, peers};

fn helm() -> Test {
    Test::new().program(peers().join("helm"))
}

/// A chart `helm create` writes, under `dir`.
fn helm_create(dir: &Path, name: &str) {
    helm().args(["create", name]).dir(dir).run();
}

#[test]
fn helm_renders_lints_and_installs_what_we_package() {
    let dir = tempfile::tempdir().expect("tmp");
    helm_create(dir.path(), "shop");
    let chart = dir.path().join("shop");
    std::fs::write(chart.join("files.txt"), "kept\n").expect("write");
    let out = dir.path().join("out");
    let printed = Test::new()
        .args(["package"])
        .arg(&chart)
        .args(["-d"])
        .arg(&out)
        .args(["--version", "1.2.3", "--app-version", "2.0"])
        .run()
        .stdout();
    let tgz = out.join("shop-1.2.3.tgz");
    assert!(
        printed.contains(&format!("saved it to: {}", tgz.display())),
        "{printed}"
    );
    // helm renders the archive as it renders the folder with the same versions.
    let from_archive = helm()
        .args(["template", "rel"])
        .arg(&tgz)
        .args(["--set", "ingress.enabled=true"])
        .run()
        .stdout();
    let from_folder = helm()
        .args(["template", "rel"])
        .arg(&chart)
        .args(["--set", "ingress.enabled=true"])
        .run()
        .stdout()
        .replace("shop-0.1.0", "shop-1.2.3")
        .replace("\"1.16.0\"", "\"2.0\"")
        .replace("nginx:1.16.0", "nginx:2.0");
    assert_eq!(from_archive, from_folder);
    helm().arg("lint").arg(&tgz).run();
    // helm installs it into a cluster (the emulator), and the objects are there.
    let emulator = Emulator::start().expect("start the emulator");
    helm()
        .args(["install", "rel"])
        .arg(&tgz)
        .env("KUBECONFIG", emulator.kubeconfig_path())
        .run();
    assert!(
        emulator
            .get("apps/v1", "Deployment", "default", "rel-shop")
            .is_some()
    );
    assert!(
        emulator
            .get("v1", "Service", "default", "rel-shop")
            .is_some()
    );
}

#[test]
fn our_package_keeps_the_renderer_and_renders_like_the_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    Test::new()
        .args(["package"])
        .arg(example("web"))
        .args(["-d"])
        .arg(dir.path())
        .run();
    let tgz = dir.path().join("web-0.3.0.tgz");
    let from_archive = Test::new()
        .args(["template", "shop"])
        .arg(&tgz)
        .run()
        .stdout();
    let from_folder = Test::new()
        .args(["template", "shop"])
        .arg(example("web"))
        .run()
        .stdout();
    assert_eq!(from_archive, from_folder);
}

/// A parent chart with two local dependencies, one aliased.
fn with_dependencies(dir: &Path) {
    for name in ["parent", "child", "other"] {
        helm_create(dir, name);
    }
    let chart_yaml = dir.join("parent/Chart.yaml");
    let mut text = std::fs::read_to_string(&chart_yaml).expect("read");
    text.push_str(
        "dependencies:\n  - name: child\n    version: \">=0.1.0 <1.0.0\"\n    repository: file://../child\n  - name: other\n    version: \"0.1.x\"\n    repository: \"file://../other\"\n    alias: aliased\n    condition: aliased.enabled\n",
    );
    std::fs::write(chart_yaml, text).expect("write");
}

fn without_generated(lock: &str) -> String {
    lock.lines()
        .filter(|l| !l.starts_with("generated:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn dependency_update_build_and_list_agree_with_helm() {
    let ours = tempfile::tempdir().expect("tmp");
    let theirs = tempfile::tempdir().expect("tmp");
    with_dependencies(ours.path());
    with_dependencies(theirs.path());
    let parent = |dir: &tempfile::TempDir| dir.path().join("parent");

    // Before: every dependency missing, in helm's table.
    let listed = Test::new()
        .args(["dependency", "list"])
        .arg(parent(&ours))
        .run()
        .stdout();
    let helm_listed = helm()
        .args(["dependency", "list"])
        .arg(parent(&theirs))
        .run()
        .stdout();
    assert_eq!(listed, helm_listed);

    let updated = Test::new()
        .args(["dependency", "update"])
        .arg(parent(&ours))
        .run()
        .stdout();
    let helm_updated = helm()
        .args(["dependency", "update"])
        .arg(parent(&theirs))
        .run()
        .stdout();
    assert_eq!(updated, helm_updated);
    let lock = std::fs::read_to_string(parent(&ours).join("Chart.lock")).expect("lock");
    let helm_lock = std::fs::read_to_string(parent(&theirs).join("Chart.lock")).expect("lock");
    assert_eq!(without_generated(&lock), without_generated(&helm_lock));
    let names = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("charts"))
            .expect("charts")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&parent(&ours)),
        ["child-0.1.0.tgz", "other-0.1.0.tgz"]
    );
    assert_eq!(names(&parent(&ours)), names(&parent(&theirs)));

    // Each accepts the other's lock and archives.
    helm()
        .args(["dependency", "build"])
        .arg(parent(&ours))
        .run();
    Test::new()
        .args(["dependency", "build"])
        .arg(parent(&theirs))
        .run();
    let listed = Test::new()
        .args(["dependency", "list"])
        .arg(parent(&ours))
        .run()
        .stdout();
    let helm_listed = helm()
        .args(["dependency", "list"])
        .arg(parent(&ours))
        .run()
        .stdout();
    assert_eq!(listed, helm_listed);
    assert!(listed.contains("\tok"), "{listed}");
    // Both render the fetched dependencies alike.
    let rendered = helm()
        .args(["template", "rel"])
        .arg(parent(&ours))
        .run()
        .stdout();
    let helm_rendered = helm()
        .args(["template", "rel"])
        .arg(parent(&theirs))
        .run()
        .stdout();
    assert_eq!(rendered, helm_rendered);
    assert!(rendered.contains("# Source: parent/charts/aliased/templates/service.yaml"));

    // A lock out of sync with Chart.yaml is refused.
    let chart_yaml = parent(&ours).join("Chart.yaml");
    let text = std::fs::read_to_string(&chart_yaml).expect("read");
    std::fs::write(&chart_yaml, text.replace("0.1.x", "0.x")).expect("write");
    Test::new()
        .args(["dependency", "build"])
        .arg(parent(&ours))
        .status(1)
        .run()
        .stderr_has(&["out of sync"]);
}

#[test]
fn remote_repositories_are_refused_with_a_pointer_to_helm() {
    let dir = tempfile::tempdir().expect("tmp");
    helm_create(dir.path(), "parent");
    let chart_yaml = dir.path().join("parent/Chart.yaml");
    let mut text = std::fs::read_to_string(&chart_yaml).expect("read");
    text.push_str("dependencies:\n  - name: redis\n    version: 1.x\n    repository: https://charts.example.com\n");
    std::fs::write(chart_yaml, text).expect("write");
    Test::new()
        .args(["dependency", "update"])
        .arg(dir.path().join("parent"))
        .status(1)
        .run()
        .stderr_has(&["https://charts.example.com", "helm dependency update"]);
}
