//! The plugin commands and the commands that run plugins, through the real binary: `template`
//! with a renderer and post-renderers, `plugin list` and `inspect`, `post-render`, `lint`.

use serde_json::{Value, json};

use super::{Folder, arg, cli, warnings, wasm};
use crate::support::workspace;

#[test]
fn cli_template_renders_the_jinja_chart_with_post_renderers() {
    let folder = Folder::new();
    folder.add("jinja", "jinja", "").add(
        "labels",
        "labels",
        "[config]\nlabels = { team = \"payments\" }\n",
    );
    let chart = workspace().join("examples/charts/jinja-hello");
    let run = cli(&folder)
        .args(["template", "hello", arg(&chart)])
        .args(["--plugins-dir", arg(&folder.plugins())])
        .run();
    run.stdout_has(&[
        "# Source: jinja-hello/templates/deployment.yaml.j2",
        "name: hello-jinja-hello",
        "replicas: 2",
        "image: nginx:1.27",
        "team: payments",
        "memory: 128Mi",
    ]);
    let objects = kubectl_chart::manifest::parse("out", &run.stdout()).expect("valid YAML stream");
    let kinds: Vec<&str> = objects.iter().map(|o| o.kind()).collect();
    assert_eq!(kinds, ["ConfigMap", "Service", "Deployment"]);
    assert_eq!(
        objects[2].value["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "jinja-hello", "app.kubernetes.io/instance": "hello"})
    );
}

#[test]
fn cli_template_reports_jinja_errors_with_file_and_line() {
    let folder = Folder::new();
    folder.add("jinja", "jinja", "");
    let chart = folder.chart(
        "broken",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required(values.missing, \"values.missing is required\") }}\n",
    );
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 1.0.0\nrenderer: jinja\n",
    )
    .expect("write");
    cli(&folder)
        .args(["template", "r", arg(&chart)])
        .args(["--plugins-dir", arg(&folder.plugins())])
        .status(1)
        .run()
        .stderr_has(&[
            "plugin `jinja` failed: templates/object.yaml:6: ",
            "values.missing is required",
        ]);
}

#[test]
fn cli_template_without_the_renderer_says_so() {
    let folder = Folder::new();
    let chart = workspace().join("examples/charts/jinja-hello");
    cli(&folder)
        .args(["template", "r", arg(&chart)])
        .status(1)
        .run()
        .stderr_has(&["plugin `jinja` not found"]);
}

#[test]
fn cli_plugin_list_and_inspect() {
    let folder = Folder::new();
    folder
        .add("policy", "policy", "")
        .add("labels", "labels", "enabled = false\n")
        .add("wrong_version", "old", "");
    let dir = folder.plugins();
    let run = cli(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&dir)])
        .run();
    let stdout = run.stdout();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{stdout}");
    assert!(
        lines[0].contains("ORIGIN") && lines[0].contains("TRUST"),
        "{stdout}"
    );
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
        policy.contains("--plugins-dir") && policy.contains(" trusted "),
        "{policy}"
    );
    assert!(
        policy.contains("required-labels,allowed-registries"),
        "{policy}"
    );
    run.stderr_has(&["warning: skipping plugin", "old.wasm"]);

    let list = cli(&folder)
        .args(["plugin", "list", "--plugins-dir", arg(&dir), "-o", "json"])
        .run()
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert!(
        list.as_array()
            .into_iter()
            .flatten()
            .all(|p| p["trust"] == "trusted" && p["origin"] == "flag"),
        "{list}"
    );

    cli(&folder)
        .args(["plugin", "inspect", "policy", "--plugins-dir", arg(&dir)])
        .run()
        .stdout_has(&[
            "Kind:       linter",
            "WIT:        kubectl-chart:plugin/lint@0.1.0",
            "Trust:      trusted",
            "allowed-registries",
        ]);

    // Named explicitly, a bad file is an error.
    cli(&folder)
        .args(["plugin", "inspect", arg(&dir.join("old.wasm"))])
        .status(1)
        .run()
        .stderr_has(&["old.wasm` was built for kubectl-chart:plugin@0.2.0"]);
}

#[test]
fn a_linter_dropped_into_the_user_folder_needs_no_other_step() {
    let folder = Folder::new();
    std::fs::copy(wasm("policy"), folder.user_plugins().join("policy.wasm")).expect("copy");
    let run = cli(&folder)
        .env("XDG_DATA_HOME", folder.data_home())
        .args(["plugin", "list"])
        .run();
    let stdout = run.stdout();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("policy") && l.contains("user data") && l.contains("trusted")),
        "{stdout}"
    );
}

#[test]
fn a_linter_installed_by_the_system_is_found_and_trusted() {
    let folder = Folder::new();
    std::fs::copy(wasm("policy"), folder.system_plugins().join("policy.wasm")).expect("copy");
    let list = cli(&folder)
        .args(["plugin", "list", "-o", "json"])
        .run()
        .json();
    assert_eq!(list[0]["name"], "policy", "{list}");
    assert_eq!(list[0]["origin"], "system", "{list}");
    assert_eq!(list[0]["trust"], "trusted", "{list}");
}

pub const STREAM: &str = "---
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
    let dir = folder.plugins();
    cli(&folder)
        .args(["post-render", "--plugins-dir", arg(&dir)])
        .stdin(STREAM)
        .run()
        .stdout_has(&["# Source: web/templates/deployment.yaml", "team: payments"]);

    // Without the labels plugin, the policy's required label is missing: exit 1.
    std::fs::remove_file(dir.join("labels.wasm")).expect("rm");
    cli(&folder)
        .args(["post-render", "--plugins-dir", arg(&dir)])
        .stdin(STREAM)
        .status(1)
        .run()
        .stderr_has(&[
            "error[policy/required-labels]: apps/v1 Deployment web $.metadata.labels (web/templates/deployment.yaml): missing required label(s): team",
            "lint found 1 error(s)",
        ]);
    cli(&folder)
        .args(["post-render", "--plugins-dir", arg(&dir), "--no-lint"])
        .stdin(STREAM)
        .run();
}

#[test]
fn a_linter_dropped_into_the_charts_plugins_folder_is_used_by_lint() {
    let folder = Folder::new();
    let chart = folder.chart(
        "shop",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: quay.io/evil/app:1.0\n",
    );
    // The plugin's config comes from the lint config, as for every linter.
    std::fs::write(
        chart.join(".kubectl-chart-lint.yaml"),
        "linters:\n  policy:\n    allowed-registries: [registry.example.com]\n",
    )
    .expect("write");
    // The only step: copy the .wasm file in.
    std::fs::copy(wasm("policy"), chart.join("plugins/policy.wasm")).expect("copy");

    let run = cli(&folder).args(["plugin", "list", arg(&chart)]).run();
    let stdout = run.stdout();
    assert!(
        stdout.lines().any(|l| l.starts_with("policy")
            && l.contains("linter")
            && l.contains("chart")
            && l.contains("untrusted")),
        "{stdout}"
    );
    assert!(warnings(&run.stderr()).is_empty(), "{}", run.stderr());

    let run = cli(&folder)
        .args(["lint", arg(&chart), "-o", "json"])
        .status(1)
        .run();
    let report: Value = run.json();
    let findings = report["findings"].as_array().expect("findings");
    let finding = findings
        .iter()
        .find(|f| f["linter"] == "policy" && f["rule"] == "allowed-registries")
        .unwrap_or_else(|| panic!("no policy finding in {report}"));
    assert!(
        finding["message"]
            .as_str()
            .is_some_and(|m| m.contains("quay.io/evil/app:1.0")),
        "{finding}"
    );
    // Built-in rules ran through the same runner.
    assert!(
        findings.iter().any(|f| f["linter"] == "builtin"),
        "{report}"
    );
}
