//! `kubectl chart create`: the Go starter is exactly what real `helm create` writes, and the
//! Handlebars starter renders the same objects as helm renders the Go one.

use std::collections::BTreeMap;
use std::path::Path;

use kubectl_chart::manifest;
use serde_json::Value;

use crate::support::{Test, peers};

/// Every file under `root`, by relative path, and every folder (as `path/`).
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let relative = path
                .strip_prefix(root)
                .expect("inside root")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.insert(format!("{relative}/"), Vec::new());
                walk(root, &path, out);
            } else {
                out.insert(relative, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn go_starter_is_what_helm_create_writes() {
    for name in ["shop", "my-app.v2", "under_score", "nested/dir/web"] {
        let ours = tempfile::tempdir().expect("tmp");
        let theirs = tempfile::tempdir().expect("tmp");
        if let Some((parent, _)) = name.rsplit_once('/') {
            std::fs::create_dir_all(ours.path().join(parent)).expect("mkdir");
            std::fs::create_dir_all(theirs.path().join(parent)).expect("mkdir");
        }
        let printed = Test::new()
            .args(["create", name])
            .dir(ours.path())
            .run()
            .stdout();
        let helm = Test::new()
            .program(peers().join("helm"))
            .args(["create", name])
            .dir(theirs.path())
            .run()
            .stdout();
        assert_eq!(printed, helm, "{name}");
        let ours = tree(ours.path());
        let theirs = tree(theirs.path());
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{name}"
        );
        for (path, bytes) in &theirs {
            assert!(
                ours[path] == *bytes,
                "{name}: {path} differs:\n{}",
                String::from_utf8_lossy(&ours[path])
            );
        }
    }
}

#[test]
fn create_refuses_bad_names_and_missing_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    Test::new()
        .args(["create", "bad name"])
        .dir(dir.path())
        .status(1)
        .run()
        .stderr_has(&["must match the regular expression"]);
    Test::new()
        .args(["create", "no/such/web"])
        .dir(dir.path())
        .status(1)
        .run()
        .stderr_has(&["no such directory"]);
}

/// The objects of a YAML stream, with the label that names the tool set aside (`Helm` for
/// Go-template charts, `kubectl-chart` for Handlebars ones).
fn objects(text: &str) -> Vec<Value> {
    manifest::parse("stream", text)
        .expect("valid objects")
        .into_iter()
        .map(|object| {
            let mut value = object.value;
            for labels in [value.pointer_mut("/metadata/labels")]
                .into_iter()
                .flatten()
            {
                if let Some(map) = labels.as_object_mut() {
                    map.remove("app.kubernetes.io/managed-by");
                }
            }
            if let Some(labels) = value
                .pointer_mut("/spec/template/metadata/labels")
                .and_then(Value::as_object_mut)
            {
                labels.remove("app.kubernetes.io/managed-by");
            }
            value
        })
        .collect()
}

#[test]
fn handlebars_starter_renders_what_helm_renders_of_the_go_one() {
    let dir = tempfile::tempdir().expect("tmp");
    Test::new()
        .program(peers().join("helm"))
        .args(["create", "go"])
        .dir(dir.path())
        .run();
    Test::new()
        .args(["create", "hbs", "--renderer", "handlebars"])
        .dir(dir.path())
        .run();
    // The two charts differ in name only; render both as the same release of "app".
    for chart in ["go", "hbs"] {
        let path = dir.path().join(chart).join("Chart.yaml");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace(&format!("name: {chart}\n"), "name: app\n"),
        )
        .expect("write");
    }
    let cases: &[&[&str]] = &[
        &[],
        &["--set", "ingress.enabled=true"],
        &[
            "--set",
            "ingress.enabled=true,ingress.className=nginx,ingress.tls[0].hosts[0]=a.example,ingress.tls[0].secretName=tls",
            "--set",
            "ingress.annotations.x=y",
        ],
        &[
            "--set",
            "autoscaling.enabled=true,autoscaling.targetMemoryUtilizationPercentage=70",
        ],
        &["--set", "serviceAccount.create=false"],
        &[
            "--set",
            "serviceAccount.name=robot,serviceAccount.annotations.a=b",
        ],
        &["--set", "httpRoute.enabled=true"],
        &[
            "--set",
            "podLabels.team=x,podAnnotations.a=b,resources.limits.cpu=1,nodeSelector.os=linux",
            "--set",
            "fullnameOverride=custom,image.tag=2.0,service.type=NodePort,service.port=8080",
        ],
        &["--set", "nameOverride=other"],
    ];
    for args in cases {
        let helm = Test::new()
            .program(peers().join("helm"))
            .args(["template", "rel"])
            .arg(dir.path().join("go"))
            .args(*args)
            .run()
            .stdout();
        let ours = Test::new()
            .args(["template", "rel"])
            .arg(dir.path().join("hbs"))
            .args(*args)
            .run()
            .stdout();
        assert_eq!(
            objects(&ours),
            objects(&helm),
            "{args:?}\n--- ours\n{ours}\n--- helm\n{helm}"
        );
    }
}
