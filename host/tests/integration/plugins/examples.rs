//! The example plugins (`plugins/`) through the host: what each does with real objects.

use kubectl_chart::lint::{Linter, Severity};
use kubectl_chart::plugin;
use serde_json::{Value, json};

use super::{Folder, deployment, service};

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
