//! `kubectl chart lint` end to end: small charts written to temp dirs, the real binary run on
//! them, exit codes and output checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A chart in a temp dir, and a run of `kubectl-chart lint` on it.
struct Test {
    dir: tempfile::TempDir,
    /// The CHART argument; `web` (relative to the temp dir) unless set.
    chart_arg: Option<PathBuf>,
    args: Vec<String>,
}

const CHART_YAML: &str = "apiVersion: v2\nname: web\nversion: 0.1.0\nrenderer: handlebars\n";

/// A Deployment that passes every built-in rule; `{{ Values.privileged }}` can break it.
const GOOD_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: app
          image: "nginx:1.27"
          securityContext:
            privileged: {{ Values.privileged }}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {cpu: 500m, memory: 128Mi}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
"#;

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";

impl Test {
    fn new() -> Self {
        let test = Test {
            dir: tempfile::tempdir().expect("temp dir"),
            chart_arg: None,
            args: Vec::new(),
        };
        test.file("web/Chart.yaml", CHART_YAML)
            .file("web/values.yaml", "privileged: false\n")
            .file("web/templates/deployment.yaml", GOOD_DEPLOYMENT)
            .file("web/templates/service.yaml", SERVICE)
    }

    fn file(self, path: &str, text: &str) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
        self
    }

    /// Renders the Deployment privileged (an error finding). Values files rather than
    /// `--set`, which the values stub of this branch does not apply yet.
    fn privileged(self) -> Self {
        self.file("web/values.yaml", "privileged: true\n")
    }

    fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    fn chart(&self) -> PathBuf {
        self.dir.path().join("web")
    }

    fn run(&self) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_kubectl-chart"))
            .arg("lint")
            .arg(self.chart_arg.as_deref().unwrap_or(Path::new("web")))
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("KUBECTL_CHART_NAMESPACE")
            .output()
            .expect("run kubectl-chart");
        Run(output)
    }
}

struct Run(Output);

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    fn status(self, want: i32) -> Self {
        assert_eq!(
            self.0.status.code(),
            Some(want),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout()).expect("stdout is JSON")
    }
}

#[test]
fn clean_chart_exits_zero() {
    let run = Test::new().run().status(0);
    assert_eq!(run.stdout(), "0 errors, 0 warnings, 0 info in 2 objects\n");
}

#[test]
fn error_finding_exits_one_with_text_report() {
    let run = Test::new().privileged().run().status(1);
    let out = run.stdout();
    assert!(
        out.starts_with("web/templates/deployment.yaml\n  apps/v1 Deployment release-name-web\n"),
        "{out}"
    );
    assert!(
        out.contains("error   privileged-container container `app` runs privileged"),
        "{out}"
    );
    assert!(
        out.contains("at $.spec.template.spec.containers[0].securityContext.privileged"),
        "{out}"
    );
    assert!(
        out.ends_with("1 error, 0 warnings, 0 info in 2 objects\n"),
        "{out}"
    );
    assert_eq!(run.stderr(), "", "findings are not errors of the command");
}

#[test]
fn warnings_pass_unless_strict() {
    let dangling =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: other\nspec:\n  selector: {app: api}\n";
    let test = Test::new().file("web/templates/other.yaml", dangling);
    let run = test.run().status(0);
    assert!(
        run.stdout().contains("warning dangling-service"),
        "{}",
        run.stdout()
    );
    test.args(&["--strict"]).run().status(1);
}

#[test]
fn json_output() {
    let run = Test::new()
        .privileged()
        .args(&["-o", "json", "--release", "shop"])
        .run()
        .status(1);
    let value = run.json();
    assert_eq!(value["summary"]["errors"], 1);
    let finding = &value["findings"][0];
    assert_eq!(finding["rule"], "privileged-container");
    assert_eq!(finding["object"]["name"], "shop-web");
    assert_eq!(finding["source"], "web/templates/deployment.yaml");
}

#[test]
fn sarif_output() {
    let run = Test::new()
        .privileged()
        .args(&["-o", "sarif"])
        .run()
        .status(1);
    let log = run.json();
    assert_eq!(log["version"], "2.1.0");
    let sarif_run = &log["runs"][0];
    assert_eq!(sarif_run["tool"]["driver"]["name"], "kubectl-chart");
    let result = &sarif_run["results"][0];
    assert_eq!(result["ruleId"], "privileged-container");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "web/templates/deployment.yaml"
    );
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "apps/v1 Deployment release-name-web"
    );
}

#[test]
fn chart_config_custom_rule_and_severity_override() {
    let config = "rules:\n  dangling-service: error\ncustom-rules:\n  - id: require-team-label\n    kinds: [Deployment]\n    path: $.metadata.labels.team\n    assert: exists\n    severity: error\n    message: deployments need a team label\n";
    let run = Test::new()
        .file("web/.kubectl-chart-lint.yaml", config)
        .args(&["-o", "json"])
        .run()
        .status(1);
    let value = run.json();
    let finding = &value["findings"][0];
    assert_eq!(finding["rule"], "require-team-label");
    assert_eq!(finding["linter"], "config");
    assert_eq!(finding["message"], "deployments need a team label");
    assert_eq!(value["summary"]["errors"], 1);
}

#[test]
fn lint_config_flag_and_disabled_rules() {
    let test = Test::new().privileged();
    let config = test.dir.path().join("lint.yaml");
    std::fs::write(
        &config,
        "rules:\n  privileged-container: off\n  not-a-rule: off\n",
    )
    .unwrap();
    let run = test
        .args(&["--lint-config", config.to_str().unwrap()])
        .run()
        .status(0);
    assert!(run.stdout().starts_with("0 errors"), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("rules.not-a-rule: no linter that ran has this rule"),
        "{}",
        run.stderr()
    );
}

#[test]
fn invalid_config_names_the_file_and_rule() {
    let test = Test::new();
    let config = test.dir.path().join("bad.yaml");
    std::fs::write(
        &config,
        "custom-rules:\n  - id: broken\n    path: \"$.spec[\"\n    assert: exists\n",
    )
    .unwrap();
    let run = test
        .args(&["--lint-config", config.to_str().unwrap()])
        .run()
        .status(1);
    let err = run.stderr();
    assert!(err.starts_with("error: lint config `"), "{err}");
    assert!(
        err.contains("bad.yaml`: custom rule `broken`: invalid JSONPath `$.spec[`"),
        "{err}"
    );
    assert_eq!(run.stdout(), "");
}

#[test]
fn missing_config_file_is_an_error() {
    let run = Test::new()
        .args(&["--lint-config", "nope.yaml"])
        .run()
        .status(1);
    assert!(
        run.stderr()
            .contains("failed to read lint config `nope.yaml`"),
        "{}",
        run.stderr()
    );
}

#[test]
fn annotation_suppresses_findings() {
    let deployment = GOOD_DEPLOYMENT.replace(
        "  name: {{ Release.Name }}-web\n",
        "  name: {{ Release.Name }}-web\n  annotations:\n    kubectl-chart.io/lint-ignore: \"latest-tag, privileged-container\"\n",
    );
    let run = Test::new()
        .file("web/templates/deployment.yaml", &deployment)
        .privileged()
        .run()
        .status(0);
    assert_eq!(
        run.stdout(),
        "0 errors, 0 warnings, 0 info in 2 objects (1 suppressed)\n"
    );
}

#[test]
fn render_errors_are_errors() {
    let run = Test::new()
        .file("web/templates/bad.yaml", "{{#if}}\n")
        .run()
        .status(1);
    assert!(run.stderr().starts_with("error: "), "{}", run.stderr());
}

#[test]
fn absolute_chart_paths_become_file_uris_in_sarif() {
    let mut test = Test::new().privileged().args(&["-o", "sarif"]);
    test.chart_arg = Some(test.chart());
    let log = test.run().status(1).json();
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(uri.ends_with("/web/templates/deployment.yaml"), "{uri}");
}
