//! `kubectl chart diff` end to end against the cluster emulator: golden files of the output
//! for each case (add, change, remove, unchanged, drift, Secrets masked and revealed, ignore
//! rules, a custom resource with list-map keys, rename, JSON, summary), exit codes, the
//! exactness of the preview (after `diff` then `apply`, the live objects are what the diff
//! showed and a second diff is empty), and Helm: releases real `helm` installed, and the
//! `helm chart-diff` plugin. Edits between applies are made with real kubectl.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kchart_emulator::Emulator;
use serde_json::{Value, json};

use crate::support::{TempChart, Test, peers, workspace};

/// An emulator and commands pointed at it.
struct Cluster {
    emu: Emulator,
}

impl Cluster {
    fn start() -> Self {
        Cluster {
            emu: Emulator::start().expect("start the emulator"),
        }
    }

    fn chart(&self) -> Test {
        Test::new().env("KUBECONFIG", self.emu.kubeconfig_path())
    }

    fn kubectl(&self, args: &[&str]) -> String {
        Test::new()
            .program(peers().join("kubectl"))
            .env("KUBECONFIG", self.emu.kubeconfig_path())
            .args(args)
            .run()
            .stdout()
    }

    /// `kubectl chart diff shop CHART -n shop ARGS`.
    fn diff(&self, chart: &Path, args: &[&str]) -> Test {
        self.chart()
            .args(["diff", "shop"])
            .arg(chart)
            .args(["-n", "shop"])
            .args(args)
    }

    fn apply(&self, chart: &Path, args: &[&str]) {
        self.chart()
            .args(["apply", "shop"])
            .arg(chart)
            .args(["-n", "shop", "--create-namespace"])
            .args(args)
            .run();
    }
}

const CHART_YAML: &str = "apiVersion: v2\nname: shop\nversion: 0.1.0\nrenderer: handlebars\n";

const VALUES: &str = r#"replicas: 2
image: nginx:1.27
env: []
config:
  LOG_LEVEL: info
  GREETING: hello
  FEATURES: "a,b,c"
  TIMEOUT: "30s"
configSuffix: ""
password: hunter2
passwordAsData: false
extra: false
widget: false
widgetPorts: []
sidecar: false
"#;

const CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{Release.Name}}-config{{#if Values.configSuffix}}-{{Values.configSuffix}}{{/if}}
data:
  {{#each Values.config}}
  {{@key}}: {{quote this}}
  {{/each}}
"#;

const SECRET: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: {{Release.Name}}-creds
type: Opaque
{{#if Values.passwordAsData}}
data:
  password: {{b64enc Values.password}}
{{else}}
stringData:
  password: {{quote Values.password}}
{{/if}}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{Release.Name}}-web
  labels:
    app: web
spec:
  replicas: {{Values.replicas}}
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
          image: {{Values.image}}
          ports:
            - containerPort: 8080
          {{#if Values.env}}
          env: {{nindent 12 (toYaml Values.env)}}
          {{/if}}
        {{#if Values.sidecar}}
        - name: sidecar
          image: busybox:1.37
        {{/if}}
"#;

const SERVICE: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: {{Release.Name}}-web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"#;

const EXTRA: &str = r#"{{#if Values.extra}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{Release.Name}}-extra
data:
  note: only while extra is on
{{/if}}
"#;

const WIDGET: &str = r#"{{#if Values.widget}}
apiVersion: example.com/v1
kind: Widget
metadata:
  name: {{Release.Name}}-widget
spec:
  ports: {{nindent 4 (toYaml Values.widgetPorts)}}
{{/if}}
"#;

/// The test chart: a ConfigMap (its name suffix set by `configSuffix`), a Secret, a
/// Deployment, a Service, and, when switched on, another ConfigMap and a custom resource.
fn shop_chart() -> TempChart {
    TempChart::new(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", VALUES),
        ("templates/configmap.yaml", CONFIGMAP),
        ("templates/secret.yaml", SECRET),
        ("templates/deployment.yaml", DEPLOYMENT),
        ("templates/service.yaml", SERVICE),
        ("templates/extra.yaml", EXTRA),
        ("templates/widget.yaml", WIDGET),
    ])
}

#[test]
fn previews_an_install_then_changes_then_nothing() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    // Before the first install: every object added, the namespace too.
    cluster
        .diff(chart.path(), &["--create-namespace", "--exit-code"])
        .status(2)
        .run()
        .golden("diff/add.txt");
    cluster.apply(chart.path(), &[]);
    // Nothing to do: only the summary, exit 0 even with --exit-code.
    cluster
        .diff(chart.path(), &["--exit-code"])
        .run()
        .golden("diff/unchanged.txt");
    let upgrade = [
        "--set",
        "image=nginx:1.28",
        "--set",
        "config.LOG_LEVEL=debug",
        "--exit-code",
    ];
    cluster
        .diff(chart.path(), &upgrade)
        .status(2)
        .run()
        .golden("diff/change.txt");
    cluster
        .diff(chart.path(), &[&upgrade[..], &["-o", "summary"]].concat())
        .status(2)
        .run()
        .golden("diff/summary.txt");
    let json = cluster
        .diff(chart.path(), &[&upgrade[..], &["-o", "json"]].concat())
        .status(2)
        .run();
    json.golden("diff/change.json");
    let json = json.json();
    assert_eq!(json["summary"]["change"], 2);
    let image = &json["changes"][1]["fields"][0];
    assert_eq!(image["path"], "$.spec.template.spec.containers[0].image");
    assert_eq!(
        (&image["old"], &image["new"]),
        (&json!("nginx:1.27"), &json!("nginx:1.28"))
    );
    // -C sets the context; without --exit-code changes still exit 0.
    cluster
        .diff(chart.path(), &["--set", "image=nginx:1.28", "-C", "0"])
        .run()
        .golden("diff/change-context-0.txt");
}

#[test]
fn hooks_are_not_diffed_and_the_preview_is_apply_s_plan() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-hook\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\ndata:\n  at: \"{{Release.Revision}}\"\n";
    std::fs::write(chart.path().join("templates/hook.yaml"), hook).expect("write the hook");
    let names = |json: &Value| -> Vec<String> {
        let mut names: Vec<String> = json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| c["object"]["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        names.sort();
        names
    };
    let before = cluster
        .diff(chart.path(), &["--create-namespace", "-o", "json"])
        .run()
        .json();
    assert!(
        !names(&before).contains(&"shop-hook".to_owned()),
        "{before}"
    );
    cluster.apply(chart.path(), &[]);
    // Installed: the hook ran and is no object of the release, so nothing is left to change.
    cluster.diff(chart.path(), &["--exit-code"]).run();
    // What diff shows changing is what apply --dry-run would configure.
    let upgrade = [
        "--set",
        "image=nginx:1.28",
        "--set",
        "config.LOG_LEVEL=debug",
    ];
    let diff = cluster
        .diff(chart.path(), &[&upgrade[..], &["-o", "json"]].concat())
        .run()
        .json();
    let dry_run = cluster
        .chart()
        .args(["apply", "shop"])
        .arg(chart.path())
        .args(["-n", "shop", "--dry-run", "-o", "json"])
        .args(upgrade)
        .run()
        .json();
    let mut configured: Vec<String> = dry_run["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] != "unchanged")
        .map(|c| c["object"]["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    configured.sort();
    assert_eq!(names(&diff), configured);
    assert_eq!(configured, ["shop-config", "shop-web"]);
}

#[test]
fn objects_the_chart_stops_rendering_are_removed() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &["--set", "extra=true"]);
    cluster
        .diff(chart.path(), &["--exit-code"])
        .status(2)
        .run()
        .golden("diff/remove.txt");
}

#[test]
fn drift_is_called_out_with_the_revision() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &[]);
    cluster.apply(chart.path(), &["--set", "image=nginx:1.28"]);
    // Changed by hand since revision 2: replicas (ours) and a label (not ours: kept).
    cluster.kubectl(&["-n", "shop", "scale", "deployment/shop-web", "--replicas=5"]);
    cluster.kubectl(&[
        "-n",
        "shop",
        "label",
        "deployment/shop-web",
        "team=payments",
    ]);
    cluster.kubectl(&[
        "-n",
        "shop",
        "patch",
        "configmap/shop-config",
        "--type=merge",
        "-p",
        r#"{"data":{"GREETING":"hi from kubectl"}}"#,
    ]);
    let run = cluster
        .diff(chart.path(), &["--set", "image=nginx:1.28", "--exit-code"])
        .status(2)
        .run();
    run.golden("diff/drift.txt");
    let json = cluster
        .diff(chart.path(), &["--set", "image=nginx:1.28", "-o", "json"])
        .run()
        .json();
    assert_eq!(json["revision"], 2);
    assert_eq!(json["summary"]["drifted"], 2);
    let replicas = &json["changes"][1]["fields"][0];
    assert_eq!(replicas["path"], "$.spec.replicas");
    assert_eq!(replicas["drift"], json!({"last": 2, "revision": 2}));
}

#[test]
fn secrets_are_masked_unless_shown_and_compared_decoded() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &[]);
    let masked = cluster
        .diff(chart.path(), &["--set", "password=correct-horse"])
        .run();
    masked.golden("diff/secret-masked.txt");
    assert!(!masked.stdout().contains("hunter2") && !masked.stdout().contains("correct-horse"));
    let json = cluster
        .diff(
            chart.path(),
            &["--set", "password=correct-horse", "-o", "json"],
        )
        .run()
        .stdout();
    assert!(
        !json.contains("hunter2") && !json.contains("correct-horse"),
        "{json}"
    );
    assert!(!json.contains("aHVudGVyMg"), "{json}");
    cluster
        .diff(
            chart.path(),
            &["--set", "password=correct-horse", "--show-secrets"],
        )
        .run()
        .golden("diff/secret-revealed.txt");
    // The same password moved from stringData to data: no change.
    cluster
        .diff(
            chart.path(),
            &["--set", "passwordAsData=true", "--exit-code"],
        )
        .run()
        .stdout_has(&["0 to add, 0 to change, 0 to remove, 4 unchanged"]);
}

#[test]
fn ignore_rules_set_changes_aside_and_do_not_count() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &[]);
    cluster.kubectl(&["-n", "shop", "scale", "deployment/shop-web", "--replicas=5"]);
    let rule = "Deployment/*:$.spec.replicas";
    cluster
        .diff(chart.path(), &["--ignore", rule, "--exit-code"])
        .run()
        .golden("diff/ignore.txt");
    cluster
        .diff(
            chart.path(),
            &["--ignore", rule, "--hide-ignored", "--exit-code"],
        )
        .run()
        .golden("diff/ignore-hidden.txt");
    // Other changes still count, and show; the ignored one is listed apart.
    cluster
        .diff(
            chart.path(),
            &["--ignore", rule, "--set", "image=nginx:1.28", "--exit-code"],
        )
        .status(2)
        .run()
        .golden("diff/ignore-with-change.txt");
    // The same rule from the chart's .kubectl-chart-diff.yaml.
    std::fs::write(
        chart.path().join(".kubectl-chart-diff.yaml"),
        "ignore:\n  - kind: Deployment\n    path: $.spec.replicas\n",
    )
    .expect("write diff config");
    cluster
        .diff(chart.path(), &["--exit-code", "-o", "summary"])
        .run()
        .stdout_has(&["0 to change", "(1 object with only ignored changes)"]);
    // A broken rule is a one-line error naming it.
    cluster
        .diff(chart.path(), &["--ignore", "Deployment:$.[", "--exit-code"])
        .status(1)
        .run()
        .stderr_has(&["error: invalid ignore rule `Deployment:$.[`: invalid JSONPath"]);
}

const WIDGET_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                ports:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [port]
                  items:
                    type: object
                    properties:
                      port: {type: integer}
                      label: {type: string}
"#;

#[test]
fn custom_resources_are_diffed_three_way_by_their_list_map_keys() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    let dir = tempfile::tempdir().expect("temp dir");
    let crd = dir.path().join("crd.yaml");
    std::fs::write(&crd, WIDGET_CRD).expect("write crd");
    cluster.kubectl(&["apply", "-f", crd.to_str().expect("utf-8")]);
    let ports = |https: &str| {
        format!(r#"widgetPorts=[{{"port":80,"label":"http"}},{{"port":443,"label":"{https}"}}]"#)
    };
    cluster.apply(
        chart.path(),
        &["--set", "widget=true", "--set-json", &ports("tls")],
    );
    // Someone adds a port of their own in front of ours.
    cluster.kubectl(&[
        "-n",
        "shop",
        "patch",
        "widget/shop-widget",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/spec/ports/0","value":{"port":9090,"label":"metrics"}}]"#,
    ]);
    // The chart relabels 443: one field changes; their port stays (merged by `port`).
    let run = cluster
        .diff(
            chart.path(),
            &[
                "--set",
                "widget=true",
                "--set-json",
                &ports("https"),
                "-o",
                "json",
            ],
        )
        .run();
    let json = run.json();
    let widget = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["object"]["kind"] == "Widget")
        .expect("the widget changes");
    let paths: Vec<&str> = widget["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths, ["$.spec.ports[1].label"], "{widget}");
    assert_eq!(
        widget["after"]["spec"]["ports"],
        json!([{"port": 80, "label": "http"}, {"port": 443, "label": "https"}, {"port": 9090, "label": "metrics"}])
    );
    cluster
        .diff(
            chart.path(),
            &["--set", "widget=true", "--set-json", &ports("https")],
        )
        .run()
        .golden("diff/custom-resource.txt");
}

#[test]
fn a_renamed_object_is_one_change() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &["--set", "configSuffix=v1"]);
    cluster
        .diff(
            chart.path(),
            &[
                "--set",
                "configSuffix=v2",
                "--set",
                "config.TIMEOUT=60s",
                "--exit-code",
            ],
        )
        .status(2)
        .run()
        .golden("diff/rename.txt");
    // Off: a removal and an addition.
    cluster
        .diff(
            chart.path(),
            &[
                "--set",
                "configSuffix=v2",
                "--find-renames",
                "0",
                "-o",
                "summary",
            ],
        )
        .run()
        .stdout_has(&["1 to add, 0 to change, 1 to remove"]);
}

#[test]
fn kubectl_external_diff_gets_live_and_merged_folders() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &[]);
    let run = cluster
        .diff(chart.path(), &["--set", "image=nginx:1.28", "--exit-code"])
        .env("KUBECTL_EXTERNAL_DIFF", "diff -u -N")
        .status(2)
        .run();
    let stdout = run.stdout();
    assert!(
        stdout.contains("/LIVE/apps.v1.Deployment.shop.shop-web"),
        "{stdout}"
    );
    assert!(
        stdout.contains("/MERGED/apps.v1.Deployment.shop.shop-web"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-        image: nginx:1.27\n+        image: nginx:1.28"),
        "{stdout}"
    );
    cluster
        .diff(chart.path(), &[])
        .env("KUBECTL_EXTERNAL_DIFF", "diff --bad;rm")
        .status(1)
        .run()
        .stderr_has(&["argument `--bad;rm` is not allowed"]);
}

/// The live object as a diff compares it.
fn normalized(value: &Value) -> Value {
    kubectl_chart::diff::normalize::normalize(value)
}

#[test]
fn the_preview_is_exact_diff_then_apply_then_nothing() {
    // Each case: values of the first apply, edits made by hand, values of the second.
    struct Case {
        name: &'static str,
        first: Vec<&'static str>,
        edits: Vec<Vec<&'static str>>,
        second: Vec<&'static str>,
    }
    let cases = vec![
        Case {
            name: "scaled by hand, image upgraded",
            first: vec![],
            edits: vec![vec!["scale", "deployment/shop-web", "--replicas=7"]],
            second: vec!["--set", "image=nginx:1.28"],
        },
        Case {
            name: "labels and env added by hand, a container env added by the chart",
            first: vec![],
            edits: vec![
                vec!["label", "deployment/shop-web", "team=payments"],
                vec!["set", "env", "deployment/shop-web", "DEBUG=1"],
            ],
            second: vec!["--set-json", r#"env=[{"name":"MODE","value":"fast"}]"#],
        },
        Case {
            name: "config edited by hand, an object removed and one added",
            first: vec!["--set", "extra=true"],
            edits: vec![vec![
                "patch",
                "configmap/shop-config",
                "--type=merge",
                "-p",
                r#"{"data":{"GREETING":"hi","NEW":"x"}}"#,
            ]],
            second: vec!["--set", "configSuffix=v2"],
        },
        Case {
            name: "a sidecar added by the chart, replicas scaled by hand",
            first: vec![],
            edits: vec![vec!["scale", "deployment/shop-web", "--replicas=3"]],
            second: vec!["--set", "sidecar=true"],
        },
        Case {
            name: "Secret rewritten by hand",
            first: vec![],
            edits: vec![vec![
                "patch",
                "secret/shop-creds",
                "--type=merge",
                "-p",
                r#"{"stringData":{"password":"leaked"}}"#,
            ]],
            second: vec!["--set", "passwordAsData=true"],
        },
    ];
    for case in cases {
        for server in [false, true] {
            let cluster = Cluster::start();
            let chart = shop_chart();
            cluster.apply(chart.path(), &case.first);
            for edit in &case.edits {
                let mut args = vec!["-n", "shop"];
                args.extend(edit);
                cluster.kubectl(&args);
            }
            let mut args = case.second.clone();
            args.extend(["-o", "json", "--show-secrets"]);
            if server {
                args.push("--server");
            }
            let preview = cluster.diff(chart.path(), &args).run().json();
            cluster.apply(chart.path(), &case.second);
            // A second diff finds nothing.
            let mut again = case.second.clone();
            again.extend(["--exit-code", "-o", "summary"]);
            cluster.diff(chart.path(), &again).run();
            // Every object is what the preview said it would be.
            for change in preview["changes"].as_array().expect("changes") {
                let object = &change["object"];
                let (api_version, kind, name) = (
                    object["apiVersion"].as_str().expect("apiVersion"),
                    object["kind"].as_str().expect("kind"),
                    object["name"].as_str().expect("name"),
                );
                let live = cluster.emu.get(api_version, kind, "shop", name);
                if let Some(from) = change["renamedFrom"]["name"].as_str() {
                    assert!(
                        cluster.emu.get(api_version, kind, "shop", from).is_none(),
                        "{}: {kind} {from} is renamed away",
                        case.name
                    );
                }
                match change["change"].as_str() {
                    Some("remove") => {
                        assert!(live.is_none(), "{}: {kind} {name} is gone", case.name)
                    }
                    _ => {
                        let live = normalized(&live.expect("the object exists"));
                        let after = &change["after"];
                        if server {
                            assert_eq!(&live, after, "{} (--server): {kind} {name}", case.name);
                        } else {
                            // Without the server's defaults for what is new, the preview
                            // holds exactly what is live, less what the server added.
                            assert_contained(
                                after,
                                &live,
                                &format!("{}: {kind} {name}", case.name),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Asserts that every field of `inner` is in `outer` with the same value (lists element by
/// element).
fn assert_contained(inner: &Value, outer: &Value, what: &str) {
    fn walk(inner: &Value, outer: &Value, path: &str, what: &str) {
        match (inner, outer) {
            (Value::Object(i), Value::Object(o)) => {
                for (key, value) in i {
                    let there = o
                        .get(key)
                        .unwrap_or_else(|| panic!("{what}: {path}.{key} is not live"));
                    walk(value, there, &format!("{path}.{key}"), what);
                }
            }
            (Value::Array(i), Value::Array(o)) => {
                assert_eq!(i.len(), o.len(), "{what}: {path} has another length live");
                for (index, (a, b)) in i.iter().zip(o).enumerate() {
                    walk(a, b, &format!("{path}[{index}]"), what);
                }
            }
            _ => assert_eq!(inner, outer, "{what}: {path}"),
        }
    }
    walk(inner, outer, "$", what);
}

#[test]
fn server_dry_run_includes_admission_defaults() {
    let cluster = Cluster::start();
    let chart = shop_chart();
    cluster.apply(chart.path(), &[]);
    let sidecar = ["--set", "sidecar=true", "-o", "json"];
    let plain = cluster.diff(chart.path(), &sidecar).run().json();
    let server = cluster
        .diff(chart.path(), &[&sidecar[..], &["--server"]].concat())
        .run()
        .json();
    let added = |json: &Value| json["changes"][0]["fields"][0].clone();
    assert_eq!(added(&plain)["path"], "$.spec.template.spec.containers[1]");
    assert_eq!(added(&server)["path"], "$.spec.template.spec.containers[1]");
    // The new container as the chart says it, and as the server would store it.
    assert_eq!(
        added(&plain)["new"],
        json!({"name": "sidecar", "image": "busybox:1.37"})
    );
    let defaulted = &added(&server)["new"];
    assert_eq!(defaulted["imagePullPolicy"], "IfNotPresent", "{defaulted}");
    assert!(
        defaulted.get("terminationMessagePath").is_some(),
        "{defaulted}"
    );
    // Nothing else differs: the server's own fields are normalised away on both sides.
    assert_eq!(plain["summary"], server["summary"]);
    assert_eq!(
        plain["changes"][0]["fields"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        server["changes"][0]["fields"].as_array().map(Vec::len),
        Some(1)
    );
}

// ---------------------------------------------------------------------------------------
// Helm: releases installed by real helm v4, and the `helm chart-diff` plugin.

/// A Helm chart (Go templates), for real helm to install.
fn helm_chart() -> TempChart {
    TempChart::new(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: shop\nversion: 0.1.0\nappVersion: \"1.27\"\n",
        ),
        (
            "values.yaml",
            "replicas: 2\nimage: nginx:1.27\npassword: hunter2\nextra: false\n",
        ),
        (
            "templates/deployment.yaml",
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
"#,
        ),
        (
            "templates/secret.yaml",
            r#"apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-creds
stringData:
  password: {{ .Values.password | quote }}
"#,
        ),
        (
            "templates/extra.yaml",
            r#"{{- if .Values.extra }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
data:
  a: "1"
{{- end }}
"#,
        ),
        (
            "templates/hook.yaml",
            r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hook
  annotations:
    "helm.sh/hook": post-install,post-upgrade
data:
  revision: "{{ .Release.Revision }}"
"#,
        ),
    ])
}

/// Real helm against `cluster`, with its own plugin and config folders.
struct Helm<'a> {
    cluster: &'a Cluster,
    home: tempfile::TempDir,
}

impl<'a> Helm<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        Helm {
            cluster,
            home: tempfile::tempdir().expect("helm home"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(peers().join("helm"));
        command
            .args(args)
            .env("KUBECONFIG", self.cluster.emu.kubeconfig_path())
            .env_remove("HELM_PLUGINS")
            .env_remove("HELM_DRIVER")
            .env("HELM_DATA_HOME", self.home.path().join("data"))
            .env("HELM_CONFIG_HOME", self.home.path().join("config"))
            .env("HELM_CACHE_HOME", self.home.path().join("cache"))
            .env("KUBECTL_CHART", crate::support::bin())
            .env("NO_COLOR", "1");
        command
    }

    /// Runs helm; asserts its exit status.
    fn run(&self, args: &[&str], status: i32) -> Output {
        let out = self.command(args).output().expect("run helm");
        assert_eq!(
            out.status.code(),
            Some(status),
            "helm {}: {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn plugin_dir() -> PathBuf {
        workspace().join("helm-plugin/chart-diff")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn diffs_a_release_real_helm_installed() {
    let cluster = Cluster::start();
    let helm = Helm::new(&cluster);
    let chart = helm_chart();
    let path = chart.path().to_str().expect("utf-8");
    helm.run(
        &[
            "install",
            "shop",
            path,
            "-n",
            "shop",
            "--create-namespace",
            "--set",
            "extra=true",
        ],
        0,
    );
    // The release record real helm wrote decodes.
    let records = cluster.emu.list("v1", "Secret", Some("shop"));
    let record = records
        .iter()
        .find(|s| s["type"] == "helm.sh/release.v1")
        .expect("helm wrote its release record");
    let release = kubectl_chart::release::helm::HelmRelease::from_record(record).expect("decodes");
    assert_eq!(
        (
            release.name.as_str(),
            release.version,
            release.status.as_str()
        ),
        ("shop", 1, "deployed")
    );
    assert_eq!(release.config["extra"], true);
    assert_eq!(release.hooks.len(), 1);
    assert_eq!(release.objects().expect("manifest").len(), 3);

    // Unchanged values: what helm renders is what is live, server defaults included.
    let render = |args: &[&str]| -> Vec<u8> {
        let mut all = vec![
            "template",
            "shop",
            path,
            "-n",
            "shop",
            "--is-upgrade",
            "--no-hooks",
        ];
        all.extend(args);
        helm.run(&all, 0).stdout
    };
    let diff = |input: Vec<u8>, args: &[&str]| {
        cluster
            .chart()
            .args(["diff", "shop", "-f", "-", "--helm-release", "-n", "shop"])
            .args(args)
            .stdin(input)
    };
    diff(render(&["--set", "extra=true"]), &["--exit-code"])
        .run()
        .stdout_has(&["release shop/shop: 0 to add, 0 to change, 0 to remove, 3 unchanged"]);
    // Changed values: the upgrade's changes, and the object it would delete.
    diff(render(&["--set", "replicas=3"]), &["--exit-code"])
        .status(2)
        .run()
        .golden("diff/helm-release.txt");
    // Drift since Helm's revision 1 is Helm's to revert.
    cluster.kubectl(&["-n", "shop", "scale", "deployment/shop-web", "--replicas=9"]);
    diff(render(&["--set", "extra=true"]), &[])
        .run()
        .stdout_has(&["drift: spec.replicas: 9 -> 2 (changed outside Helm since revision 1)"]);
    // No such release: a clear error.
    cluster
        .chart()
        .args(["diff", "other", "-f", "-", "--helm-release", "-n", "shop"])
        .stdin(render(&[]))
        .status(1)
        .run()
        .stderr_has(&["Helm release `other` has no deployed revision in namespace `shop`"]);
}

#[test]
fn helm_chart_diff_plugin_previews_helm_upgrade_exactly() {
    let cluster = Cluster::start();
    let helm = Helm::new(&cluster);
    let chart = helm_chart();
    let path = chart.path().to_str().expect("utf-8");
    let plugin = Helm::plugin_dir();
    helm.run(&["plugin", "install", plugin.to_str().expect("utf-8")], 0);
    helm.run(
        &[
            "install",
            "shop",
            path,
            "-n",
            "shop",
            "--create-namespace",
            "--set",
            "password=s3cret",
        ],
        0,
    );

    // No values given: helm upgrade reuses the release's, so nothing changes.
    let out = helm.run(
        &[
            "chart-diff",
            "upgrade",
            "shop",
            path,
            "-n",
            "shop",
            "--exit-code",
        ],
        0,
    );
    assert!(
        text(&out.stdout).contains("0 to add, 0 to change, 0 to remove, 2 unchanged"),
        "{}",
        text(&out.stdout)
    );

    // Values given: the old ones are dropped (password back to its default), as helm does.
    let upgrade = ["--set", "replicas=4", "--set", "extra=true"];
    let mut args = vec![
        "chart-diff",
        "upgrade",
        "shop",
        path,
        "-n",
        "shop",
        "--exit-code",
        "-o",
        "json",
    ];
    args.extend(upgrade);
    let out = helm.run(&args, 2);
    let preview: Value = serde_json::from_slice(&out.stdout).expect("json");
    let summary = &preview["summary"];
    assert_eq!(
        (summary["add"].as_u64(), summary["change"].as_u64()),
        (Some(1), Some(2)),
        "{preview}"
    );
    let secret = preview["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["object"]["kind"] == "Secret")
        .expect("the Secret changes");
    assert_eq!(secret["fields"][0]["new"], "*** (7 bytes, changed)");

    // --reuse-values keeps the password; the text output is what helm-diff users read.
    let mut args = vec![
        "chart-diff",
        "upgrade",
        "shop",
        path,
        "-n",
        "shop",
        "--reuse-values",
    ];
    args.extend(upgrade);
    let out = helm.run(&args, 0);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("v1 Secret"), "{stdout}");
    assert!(
        stdout.contains("-  replicas: 2\n+  replicas: 4"),
        "{stdout}"
    );

    // Then helm upgrade itself: live is what the preview said, and a second preview is empty.
    let mut args = vec!["upgrade", "shop", path, "-n", "shop"];
    args.extend(upgrade);
    helm.run(&args, 0);
    for change in preview["changes"].as_array().expect("changes") {
        let object = &change["object"];
        let live = cluster
            .emu
            .get(
                object["apiVersion"].as_str().expect("apiVersion"),
                object["kind"].as_str().expect("kind"),
                "shop",
                object["name"].as_str().expect("name"),
            )
            .expect("exists after the upgrade");
        let mut live = normalized(&live);
        let mut after = change["after"].clone();
        if object["kind"] == "Secret" {
            // The preview masks values; compare which keys there are.
            live["data"] = json!(
                live["data"]
                    .as_object()
                    .expect("data")
                    .keys()
                    .collect::<Vec<_>>()
            );
            after["data"] = json!(
                after["data"]
                    .as_object()
                    .expect("data")
                    .keys()
                    .collect::<Vec<_>>()
            );
        }
        // What helm adds to every object it applies: its ownership annotations.
        for value in [&mut live, &mut after] {
            let metadata = value
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
                .expect("metadata");
            if let Some(annotations) = metadata
                .get_mut("annotations")
                .and_then(Value::as_object_mut)
            {
                annotations.remove("meta.helm.sh/release-name");
                annotations.remove("meta.helm.sh/release-namespace");
                if annotations.is_empty() {
                    metadata.remove("annotations");
                }
            }
        }
        assert_contained(&after, &live, &format!("{object}"));
    }
    let mut args = vec![
        "chart-diff",
        "upgrade",
        "shop",
        path,
        "-n",
        "shop",
        "--exit-code",
    ];
    args.extend(upgrade);
    helm.run(&args, 0);
}

/// A chart of plain YAML templates (the same under Helm and kubectl-chart).
fn plain_chart(version: &str, templates: &[(&str, &str)]) -> TempChart {
    let meta = format!("apiVersion: v2\nname: shop\nversion: {version}\n");
    let mut files = vec![("Chart.yaml", meta.as_str())];
    files.extend(templates.iter().copied());
    TempChart::new(&files)
}

#[test]
fn apply_from_helm_release_takes_over_what_helm_installed() {
    let cluster = Cluster::start();
    let helm = Helm::new(&cluster);
    let config_v1 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  a: \"1\"\n  b: \"2\"\n";
    let extra =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-extra\ndata:\n  x: \"1\"\n";
    let kept = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-kept\n  annotations:\n    helm.sh/resource-policy: keep\ndata:\n  k: \"1\"\n";
    let v1 = plain_chart(
        "0.1.0",
        &[
            ("templates/config.yaml", config_v1),
            ("templates/extra.yaml", extra),
            ("templates/kept.yaml", kept),
        ],
    );
    // Helm's revision 2 is the one taken over; revision 1 is superseded.
    let helm_path = v1.path().to_str().expect("utf-8");
    helm.run(
        &[
            "install",
            "shop",
            helm_path,
            "-n",
            "shop",
            "--create-namespace",
        ],
        0,
    );
    helm.run(&["upgrade", "shop", helm_path, "-n", "shop"], 0);
    let helm_records = || -> Vec<Value> {
        let mut records: Vec<Value> = cluster
            .emu
            .list("v1", "Secret", Some("shop"))
            .into_iter()
            .filter(|s| s["type"] == "helm.sh/release.v1")
            .collect();
        records.sort_by_key(|s| s["metadata"]["name"].as_str().map(str::to_owned));
        records
    };
    let before = helm_records();
    assert_eq!(before.len(), 2);
    // Someone labels the ConfigMap by hand: a three-way merge keeps it.
    cluster.kubectl(&[
        "-n",
        "shop",
        "label",
        "configmap/shop-config",
        "team=payments",
    ]);

    // The next chart drops key `b` Helm set, and the ConfigMaps `shop-extra` and `shop-kept`.
    let config_v2 =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  a: \"1\"\n";
    let v2 = plain_chart("0.2.0", &[("templates/config.yaml", config_v2)]);
    let apply = |args: &[&str]| {
        cluster
            .chart()
            .args(["apply", "shop"])
            .arg(v2.path())
            .args(["-n", "shop"])
            .args(args)
            .env("NO_COLOR", "1")
    };
    // Without it, Helm's objects are someone else's.
    apply(&[]).status(1).run().stderr_has(&[
        "v1 ConfigMap shop/shop-config (owned by Helm release shop/shop)",
        "--take-ownership",
    ]);
    // The preview of the take-over is the plan apply then executes.
    cluster
        .chart()
        .args(["diff", "shop"])
        .arg(v2.path())
        .args(["-n", "shop", "--from-helm-release", "-o", "summary"])
        .run()
        .stdout_has(&["release shop/shop: 0 to add, 1 to change, 1 to remove, 0 unchanged"]);
    apply(&["--from-helm-release", "--dry-run"])
        .run()
        .stdout_has(&[
            "v1 ConfigMap shop/shop-config configured",
            "v1 ConfigMap shop/shop-extra pruned",
            "release shop/shop: 0 created, 1 configured, 0 unchanged, 1 pruned (dry run)",
        ]);
    assert!(
        cluster
            .emu
            .get("v1", "ConfigMap", "shop", "shop-extra")
            .is_some()
    );

    apply(&["--from-helm-release"]).run().stdout_has(&[
        "v1 ConfigMap shop/shop-config configured",
        "v1 ConfigMap shop/shop-extra pruned",
        "REVISION: 1",
        "DESCRIPTION: Taken over from Helm release shop revision 2",
    ]);
    let config = cluster
        .emu
        .get("v1", "ConfigMap", "shop", "shop-config")
        .expect("kept");
    // The field Helm set and the chart dropped is gone; the hand-made label stays; the object
    // is the release's now.
    assert_eq!(config["data"], json!({"a": "1"}));
    assert_eq!(config["metadata"]["labels"]["team"], "payments");
    assert_eq!(
        config["metadata"]["annotations"]["kubectl-chart.io/release"],
        "shop/shop"
    );
    assert!(
        cluster
            .emu
            .get("v1", "ConfigMap", "shop", "shop-extra")
            .is_none()
    );
    assert!(
        cluster
            .emu
            .get("v1", "ConfigMap", "shop", "shop-kept")
            .is_some(),
        "helm.sh/resource-policy: keep is honoured"
    );
    // Helm's records are left as they were.
    assert_eq!(helm_records(), before);
    cluster
        .chart()
        .args(["history", "shop", "-n", "shop"])
        .env("NO_COLOR", "1")
        .run()
        .stdout_has(&["deployed", "Taken over from Helm release shop revision 2"]);

    // Once only; from then on the release's own history is the previous revision.
    apply(&["--from-helm-release"])
        .status(1)
        .run()
        .stderr_has(&["already installed by kubectl-chart"]);
    apply(&[])
        .run()
        .stdout_has(&["release shop/shop: 0 created, 0 configured, 1 unchanged, 0 pruned"]);
    // A Helm release that does not exist: a clear error, nothing written.
    cluster
        .chart()
        .args(["apply", "other"])
        .arg(v2.path())
        .args(["-n", "shop", "--from-helm-release"])
        .status(1)
        .run()
        .stderr_has(&["Helm release `other` has no deployed revision in namespace `shop`"]);
}
