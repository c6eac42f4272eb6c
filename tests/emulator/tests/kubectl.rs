//! The emulator proven with the real kubectl v1.35 from `../shared/tools/peers.sh`: every test
//! starts its own emulator and drives it with kubectl exactly as a user would. A missing
//! kubectl fails the suite loudly.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use kchart_emulator::Emulator;
use serde_json::Value;

fn kubectl_bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| support::peer("kubectl"))
}

/// An emulator and a kubectl bound to it (own kubeconfig and discovery cache).
struct Kube {
    emu: Emulator,
    cache: tempfile::TempDir,
    files: tempfile::TempDir,
}

impl Kube {
    fn new() -> Self {
        Self::with(Emulator::builder().ready_delay(Duration::from_millis(100)))
    }

    fn with(b: kchart_emulator::Builder) -> Self {
        Self {
            emu: b.start().expect("emulator starts"),
            cache: tempfile::tempdir().expect("tempdir"),
            files: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(kubectl_bin())
            .args(args)
            .env("KUBECONFIG", self.emu.kubeconfig_path())
            .env("KUBECACHEDIR", self.cache.path())
            .env("HOME", self.cache.path())
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .output()
            .expect("kubectl runs")
    }

    /// Runs kubectl, asserts success, returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kubectl {args:?} failed: {stderr}");
        assert!(
            !stderr.contains("warning: error calculating patch"),
            "kubectl {args:?} fell back: {stderr}"
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl, asserts failure, returns stderr.
    fn fail(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("kubectl prints JSON")
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.files.path().join(name);
        std::fs::write(&p, text).expect("write manifest");
        p.to_string_lossy().into_owned()
    }
}

const DEPLOY_V1: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: sidecar
        image: busybox
"#;

const DEPLOY_V2: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.28
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}]
"#;

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              tags: {type: array, items: {type: string}}
"#;

#[test]
fn version_and_api_resources() {
    let k = Kube::new();
    let v = k.ok(&["version", "-o", "json"]);
    assert!(v.contains("\"gitVersion\": \"v1.35.0\""), "{v}");
    let out = k.ok(&["api-resources"]);
    for line in [
        ("deployments", "deploy", "apps/v1", "true", "Deployment"),
        ("namespaces", "ns", "v1", "false", "Namespace"),
        (
            "customresourcedefinitions",
            "crd,crds",
            "apiextensions.k8s.io/v1",
            "false",
            "CustomResourceDefinition",
        ),
        (
            "horizontalpodautoscalers",
            "hpa",
            "autoscaling/v2",
            "true",
            "HorizontalPodAutoscaler",
        ),
    ] {
        let found = out.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols == [line.0, line.1, line.2, line.3, line.4]
        });
        assert!(found, "missing {line:?} in\n{out}");
    }
    let namespaced = k.ok(&["api-resources", "--namespaced=false", "-o", "name"]);
    assert!(
        namespaced
            .lines()
            .any(|l| l == "clusterroles.rbac.authorization.k8s.io")
    );
    assert!(
        !namespaced
            .lines()
            .any(|l| l == "roles.rbac.authorization.k8s.io")
    );
}

#[test]
fn get_in_every_output_form_shows_server_defaults() {
    let k = Kube::new();
    let f = k.file("d.yaml", DEPLOY_V1);
    assert_eq!(k.ok(&["create", "-f", &f]), "deployment.apps/web created\n");
    let yaml = k.ok(&["get", "deployment", "web", "-o", "yaml"]);
    for want in [
        "progressDeadlineSeconds: 600",
        "revisionHistoryLimit: 10",
        "maxSurge: 25%",
        "type: RollingUpdate",
        "terminationMessagePath: /dev/termination-log",
        "terminationMessagePolicy: File",
        "imagePullPolicy: IfNotPresent",
        "imagePullPolicy: Always",
        "dnsPolicy: ClusterFirst",
        "schedulerName: default-scheduler",
        "securityContext: {}",
        "terminationGracePeriodSeconds: 30",
        "protocol: TCP",
        "generation: 1",
        "uid: ",
    ] {
        assert!(yaml.contains(want), "missing {want:?} in\n{yaml}");
    }
    assert!(
        !yaml.contains("managedFields"),
        "managed fields are hidden by default"
    );
    let j = k.json(&["get", "deploy", "web"]);
    assert_eq!(j["spec"]["template"]["spec"]["restartPolicy"], "Always");
    assert_eq!(
        k.ok(&["get", "deploy", "-o", "name"]),
        "deployment.apps/web\n"
    );
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "2"
    );
    let table = k.ok(&["get", "deployments"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    let wide = k.ok(&["get", "svc", "kubernetes", "-o", "wide"]);
    assert!(
        wide.contains("10.96.0.1") && wide.contains("443/TCP"),
        "{wide}"
    );
    let cols = k.ok(&[
        "get",
        "deploy",
        "-o",
        "custom-columns=N:.metadata.name,R:.spec.replicas",
        "--no-headers",
    ]);
    assert_eq!(cols.split_whitespace().collect::<Vec<_>>(), ["web", "2"]);
    let labels = k.ok(&["get", "deploy", "-l", "app=web", "-o", "name"]);
    assert_eq!(labels, "deployment.apps/web\n");
    let none = k.run(&["get", "deploy", "-l", "app=nope"]);
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("No resources found in default namespace.")
    );
    let by_field = k.ok(&[
        "get",
        "ns",
        "--field-selector",
        "metadata.name=kube-system",
        "-o",
        "name",
    ]);
    assert_eq!(by_field, "namespace/kube-system\n");
}

#[test]
fn create_twice_is_already_exists_and_bad_names_are_invalid() {
    let k = Kube::new();
    let f = k.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    );
    k.ok(&["create", "-f", &f]);
    let err = k.fail(&["create", "-f", &f]);
    assert!(
        err.contains("Error from server (AlreadyExists)")
            && err.contains("configmaps \"c\" already exists"),
        "{err}"
    );
    let bad = k.file(
        "bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n",
    );
    let err = k.fail(&["create", "-f", &bad]);
    assert!(err.starts_with("The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"), "{err}");
    let unknown = k.file(
        "u.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: u}\nspec: {x: 1}\n",
    );
    let err = k.fail(&["create", "-f", &unknown]);
    assert!(
        err.contains("strict decoding error: unknown field \"spec\""),
        "{err}"
    );
    let err = k.fail(&["get", "cm", "missing"]);
    assert!(
        err.contains("Error from server (NotFound): configmaps \"missing\" not found"),
        "{err}"
    );
}

#[test]
fn client_side_apply_twice_merges_with_last_applied() {
    let k = Kube::new();
    let v1 = k.file("v1.yaml", DEPLOY_V1);
    let v2 = k.file("v2.yaml", DEPLOY_V2);
    assert_eq!(k.ok(&["apply", "-f", &v1]), "deployment.apps/web created\n");
    assert_eq!(
        k.ok(&["apply", "-f", &v1]),
        "deployment.apps/web unchanged\n"
    );
    // Someone else adds a label and an env var outside the manifest: apply must keep them.
    k.ok(&["label", "deploy", "web", "owner=ops"]);
    k.ok(&["set", "env", "deploy/web", "-c", "nginx", "EXTRA=x"]);
    assert_eq!(
        k.ok(&["apply", "-f", &v2]),
        "deployment.apps/web configured\n"
    );
    let d = k.json(&["get", "deploy", "web"]);
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(containers.len(), 1, "sidecar removed: {containers:?}");
    assert_eq!(containers[0]["image"], "nginx:1.28");
    let env: Vec<&str> = containers[0]["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        env,
        ["A", "EXTRA"],
        "B removed (was applied), EXTRA kept (never applied)"
    );
    assert_eq!(d["metadata"]["labels"]["owner"], "ops");
    assert_eq!(d["metadata"]["generation"], 3);
    assert_eq!(
        containers[0]["terminationMessagePolicy"], "File",
        "server defaults survive"
    );
    let last = d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .unwrap_or_default();
    assert!(
        last.contains("nginx:1.28") && !last.contains("sidecar"),
        "{last}"
    );
}

#[test]
fn server_side_apply_owns_fields_and_reports_conflicts() {
    let k = Kube::new();
    let v1 = k.file("v1.yaml", DEPLOY_V1);
    assert_eq!(
        k.ok(&["apply", "--server-side", "-f", &v1]),
        "deployment.apps/web serverside-applied\n"
    );
    let d = k.json(&["get", "deploy", "web", "--show-managed-fields"]);
    assert_eq!(d["metadata"]["managedFields"][0]["manager"], "kubectl");
    assert_eq!(d["metadata"]["managedFields"][0]["operation"], "Apply");
    let fields = d["metadata"]["managedFields"][0]["fieldsV1"].to_string();
    assert!(fields.contains(r#"k:{\"name\":\"nginx\"}"#), "{fields}");
    let other = k.file(
        "other.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 5}\n",
    );
    let err = k.fail(&[
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "-f",
        &other,
    ]);
    assert!(
        err.contains("conflict with \"kubectl\"") && err.contains(".spec.replicas"),
        "{err}"
    );
    assert_eq!(
        k.ok(&[
            "apply",
            "--server-side",
            "--field-manager",
            "other",
            "--force-conflicts",
            "-f",
            &other
        ]),
        "deployment.apps/web serverside-applied\n"
    );
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "5"
    );
    // Re-applying v2 as kubectl drops the sidecar it owned.
    let v2 = k.file("v2.yaml", &DEPLOY_V2.replace("  replicas: 2\n", ""));
    k.ok(&["apply", "--server-side", "-f", &v2]);
    let d = k.json(&["get", "deploy", "web"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(d["spec"]["replicas"], 5, "replicas now owned by `other`");
}

#[test]
fn client_side_then_server_side_apply_migrates_ownership() {
    let k = Kube::new();
    let v1 = k.file("v1.yaml", DEPLOY_V1);
    k.ok(&["apply", "-f", &v1]);
    assert_eq!(
        k.ok(&["apply", "--server-side", "-f", &v1]),
        "deployment.apps/web serverside-applied\n"
    );
    let d = k.json(&["get", "deploy", "web"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "no duplicated port"
    );
    assert_eq!(
        d["metadata"]["generation"], 1,
        "same config, no spec change"
    );
}

#[test]
fn diff_exit_codes_match_kubectl_semantics() {
    let k = Kube::new();
    let v1 = k.file("v1.yaml", DEPLOY_V1);
    let v2 = k.file("v2.yaml", DEPLOY_V2);
    let new = k.run(&["diff", "-f", &v1]);
    assert_eq!(new.status.code(), Some(1), "a new object is a difference");
    assert!(String::from_utf8_lossy(&new.stdout).contains("+  name: web"));
    k.ok(&["apply", "-f", &v1]);
    let same = k.run(&["diff", "-f", &v1]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    assert!(same.stdout.is_empty());
    let changed = k.run(&["diff", "-f", &v2]);
    assert_eq!(
        changed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let text = String::from_utf8_lossy(&changed.stdout);
    assert!(
        text.contains("-        image: nginx:1.27") && text.contains("+        image: nginx:1.28"),
        "{text}"
    );
    assert!(text.contains("-      - image: busybox"), "{text}");
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}"
        ]),
        "nginx:1.27",
        "diff is a dry run"
    );
    let ss = k.run(&["diff", "--server-side", "-f", &v1]);
    assert_eq!(
        ss.status.code(),
        Some(0),
        "server-side diff of the applied config: {}",
        String::from_utf8_lossy(&ss.stderr)
    );
}

#[test]
fn patch_in_all_three_kubectl_types() {
    let k = Kube::new();
    k.ok(&["apply", "-f", &k.file("v1.yaml", DEPLOY_V1)]);
    assert_eq!(
        k.ok(&[
            "patch",
            "deploy",
            "web",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"replicas":3}}"#
        ]),
        "deployment.apps/web patched\n"
    );
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/metadata/labels/tier","value":"front"}]"#,
    ]);
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:2"}]}}}}"#,
    ]);
    let d = k.json(&["get", "deploy", "web"]);
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(d["metadata"]["labels"]["tier"], "front");
    let images: Vec<&str> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["image"].as_str())
        .collect();
    assert_eq!(
        images,
        ["nginx:1.27", "busybox:2"],
        "strategic merge by container name"
    );
    let unchanged = k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"replicas":3}}"#,
    ]);
    assert_eq!(unchanged, "deployment.apps/web patched (no change)\n");
    let err = k.fail(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "json",
        "-p",
        r#"[{"op":"remove","path":"/spec/nope"}]"#,
    ]);
    assert!(err.contains("doc is missing path: \"/spec/nope\""), "{err}");
    let err = k.fail(&["patch", "deploy", "missing", "--type", "merge", "-p", "{}"]);
    assert!(
        err.contains("deployments.apps \"missing\" not found"),
        "{err}"
    );
}

#[test]
fn scale_label_and_delete() {
    let k = Kube::new();
    k.ok(&["apply", "-f", &k.file("v1.yaml", DEPLOY_V1)]);
    assert_eq!(
        k.ok(&["scale", "deploy", "web", "--replicas=4"]),
        "deployment.apps/web scaled\n"
    );
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "4"
    );
    assert_eq!(
        k.ok(&["label", "deploy", "web", "env=prod"]),
        "deployment.apps/web labeled\n"
    );
    let err = k.fail(&["label", "deploy", "web", "env=dev"]);
    assert!(err.contains("'env' already has a value (prod)"), "{err}");
    k.ok(&["label", "deploy", "web", "env=dev", "--overwrite"]);
    k.ok(&["label", "deploy", "web", "env-"]);
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.labels}"]),
        r#"{"app":"web"}"#
    );
    k.ok(&["annotate", "deploy", "web", "note=hi"]);
    assert_eq!(
        k.ok(&["delete", "deploy", "web"]),
        "deployment.apps \"web\" deleted from default namespace\n"
    );
    let err = k.fail(&["get", "deploy", "web"]);
    assert!(err.contains("deployments.apps \"web\" not found"), "{err}");
    let err = k.fail(&["delete", "deploy", "web"]);
    assert!(err.contains("Error from server (NotFound)"), "{err}");
}

#[test]
fn namespace_lifecycle() {
    let k = Kube::new();
    assert_eq!(
        k.ok(&["create", "namespace", "team"]),
        "namespace/team created\n"
    );
    k.ok(&[
        "create",
        "configmap",
        "c",
        "-n",
        "team",
        "--from-literal=a=b",
    ]);
    k.ok(&["apply", "-n", "team", "-f", &k.file("v1.yaml", DEPLOY_V1)]);
    let sa = k.ok(&[
        "get",
        "serviceaccount",
        "default",
        "-n",
        "team",
        "-o",
        "name",
    ]);
    assert_eq!(
        sa, "serviceaccount/default\n",
        "namespaces get a default service account"
    );
    let ns = k.json(&["get", "ns", "team"]);
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team"
    );
    assert_eq!(ns["spec"]["finalizers"][0], "kubernetes");
    assert_eq!(ns["status"]["phase"], "Active");
    assert_eq!(
        k.ok(&["delete", "namespace", "team"]),
        "namespace \"team\" deleted\n"
    );
    let err = k.fail(&["get", "ns", "team"]);
    assert!(err.contains("namespaces \"team\" not found"), "{err}");
    assert!(k.emu.list("v1", "ConfigMap", Some("team")).is_empty());
    assert!(k.emu.list("apps/v1", "Deployment", Some("team")).is_empty());
    let err = k.fail(&[
        "create",
        "configmap",
        "c",
        "-n",
        "team",
        "--from-literal=a=b",
    ]);
    assert!(err.contains("namespaces \"team\" not found"), "{err}");
}

#[test]
fn crd_then_custom_resource() {
    let k = Kube::new();
    let crd = k.file("crd.yaml", CRD);
    k.ok(&["apply", "-f", &crd]);
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=10s",
    ]);
    let cr = k.file("cr.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3, tags: [a]}\n");
    assert_eq!(
        k.ok(&["apply", "-f", &cr]),
        "widget.example.com/w1 created\n"
    );
    let table = k.ok(&["get", "wd"]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["NAME", "SIZE", "AGE"]);
    assert_eq!(&rows[1][..2], ["w1", "3"]);
    let cr2 = k.file(
        "cr2.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 4}\n",
    );
    assert_eq!(
        k.ok(&["apply", "-f", &cr2]),
        "widget.example.com/w1 configured\n"
    );
    let w = k.json(&["get", "widget", "w1"]);
    assert_eq!(
        w["spec"],
        serde_json::json!({"size": 4}),
        "tags removed: they were in the last applied configuration"
    );
    assert_eq!(w["metadata"]["generation"], 2);
    let bad = k.file(
        "bad.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {colour: red}\n",
    );
    let err = k.fail(&["create", "-f", &bad]);
    assert!(
        err.contains("strict decoding error: unknown field \"spec.colour\""),
        "{err}"
    );
    let groups = k.ok(&["api-resources", "--api-group=example.com", "-o", "name"]);
    assert_eq!(groups, "widgets.example.com\n");
    k.ok(&["delete", "-f", &crd]);
    let groups = k.ok(&["api-resources", "--api-group=example.com", "-o", "name"]);
    assert_eq!(groups, "", "kinds of a deleted CRD are no longer served");
    assert!(k.emu.list("example.com/v1", "Widget", None).is_empty());
}

#[test]
fn wait_for_deployment_available_and_job_complete() {
    // Long enough that the check below cannot race it even on a loaded machine.
    let k = Kube::with(Emulator::builder().ready_delay(Duration::from_millis(1500)));
    k.ok(&["apply", "-f", &k.file("v1.yaml", DEPLOY_V1)]);
    let before = k
        .emu
        .get("apps/v1", "Deployment", "default", "web")
        .expect("created");
    assert!(
        before.pointer("/status/readyReplicas").is_none(),
        "not ready before the delay: {before}"
    );
    assert_eq!(
        k.ok(&[
            "wait",
            "--for=condition=Available",
            "deploy/web",
            "--timeout=20s"
        ]),
        "deployment.apps/web condition met\n"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.status.readyReplicas}"
        ]),
        "2"
    );
    let out = k.ok(&["rollout", "status", "deploy/web", "--timeout=20s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox, command: ['true']}]\n";
    k.ok(&["create", "-f", &k.file("job.yaml", job)]);
    assert_eq!(
        k.ok(&[
            "wait",
            "--for=condition=Complete",
            "job/once",
            "--timeout=20s"
        ]),
        "job.batch/once condition met\n"
    );
}

#[test]
fn services_get_cluster_ips_and_injected_faults_surface() {
    let k = Kube::new();
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: api}\n  ports: [{port: 80, targetPort: 8080}]\n";
    k.ok(&["create", "-f", &k.file("svc.yaml", svc)]);
    let s = k.json(&["get", "svc", "api"]);
    assert!(
        s["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.96.")),
        "{s}"
    );
    assert_eq!(s["spec"]["ipFamilies"][0], "IPv4");
    assert_eq!(s["spec"]["sessionAffinity"], "None");
    assert_eq!(s["spec"]["internalTrafficPolicy"], "Cluster");
    k.emu
        .faults()
        .fail_next(Some("get"), Some("services"), 500, 1);
    let err = k.fail(&["get", "svc", "api"]);
    assert!(
        err.contains("Error from server (InternalError)") && err.contains("injected fault"),
        "{err}"
    );
    assert_eq!(k.emu.faults().injected(), 1);
    // A 503 carries Retry-After, which client-go honours: kubectl retries and succeeds.
    k.emu
        .faults()
        .fail_next(Some("get"), Some("Service"), 503, 1);
    assert_eq!(k.ok(&["get", "svc", "api", "-o", "name"]), "service/api\n");
    assert_eq!(k.emu.faults().injected(), 2);
}

/// `kubectl create <generator>` sends protobuf; the stored object must hold everything the
/// generator put in it (compared with its own `--dry-run=client -o json` output).
#[test]
fn typed_generators_store_what_kubectl_built() {
    let k = Kube::new();
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "deployment",
            "web",
            &[
                "deployment",
                "web",
                "--image=nginx:1.27",
                "--port=80",
                "--replicas=3",
            ],
            &[],
        ),
        (
            "service",
            "api",
            &[
                "service",
                "nodeport",
                "api",
                "--tcp=80:8080",
                "--node-port=30080",
            ],
            &[],
        ),
        (
            "job",
            "once",
            &["job", "once", "--image=busybox"],
            &["--", "echo", "hi"],
        ),
        (
            "cronjob",
            "tick",
            &[
                "cronjob",
                "tick",
                "--image=busybox",
                "--schedule=*/5 * * * *",
            ],
            &["--", "date"],
        ),
        (
            "role",
            "reader",
            &[
                "role",
                "reader",
                "--verb=get,list",
                "--resource=pods,deployments.apps",
            ],
            &[],
        ),
        (
            "rolebinding",
            "read",
            &[
                "rolebinding",
                "read",
                "--role=reader",
                "--user=alice",
                "--serviceaccount=default:default",
            ],
            &[],
        ),
        (
            "clusterrole",
            "nodes",
            &["clusterrole", "nodes", "--verb=get", "--resource=nodes"],
            &[],
        ),
        (
            "secret",
            "reg",
            &[
                "secret",
                "docker-registry",
                "reg",
                "--docker-server=r",
                "--docker-username=u",
                "--docker-password=p",
            ],
            &[],
        ),
    ];
    fn contained(want: &Value, got: &Value, path: &str) {
        match want {
            Value::Object(m) => {
                for (key, v) in m {
                    if key == "status" || key == "creationTimestamp" {
                        continue;
                    }
                    let g = got
                        .get(key)
                        .unwrap_or_else(|| panic!("{path}.{key} missing in {got}"));
                    contained(v, g, &format!("{path}.{key}"));
                }
            }
            Value::Array(a) => {
                let g = got
                    .as_array()
                    .unwrap_or_else(|| panic!("{path} is not a list"));
                assert_eq!(a.len(), g.len(), "{path}");
                for (i, (x, y)) in a.iter().zip(g).enumerate() {
                    contained(x, y, &format!("{path}[{i}]"));
                }
            }
            other => assert_eq!(other, got, "{path}"),
        }
    }
    for (kind, name, args, tail) in cases {
        let mut dry: Vec<&str> = vec!["create"];
        dry.extend_from_slice(args);
        dry.extend(["--dry-run=client", "-o", "json"]);
        dry.extend_from_slice(tail);
        let built: Value = serde_json::from_str(&k.ok(&dry)).expect("dry-run JSON");
        let mut real: Vec<&str> = vec!["create"];
        real.extend_from_slice(args);
        real.extend_from_slice(tail);
        k.ok(&real);
        let stored = k.json(&["get", kind, name]);
        contained(&built, &stored, kind);
    }
    let d = k.json(&["get", "deploy", "web"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"], "TCP",
        "defaults applied after decoding"
    );
    let svc = k.ok(&["get", "svc", "api", "--no-headers"]);
    assert!(
        svc.contains("NodePort") && svc.contains("80:30080/TCP"),
        "{svc}"
    );
}

#[test]
fn deployments_own_replica_sets_and_pods_with_rollout_history() {
    let k = Kube::new();
    k.ok(&["apply", "-f", &k.file("v1.yaml", DEPLOY_V1)]);
    k.ok(&["rollout", "status", "deploy/web", "--timeout=20s"]);
    let pods = k.ok(&["get", "pods", "-l", "app=web", "-o", "name"]);
    assert_eq!(pods.lines().count(), 2, "{pods}");
    let table = k.ok(&["get", "pods", "--no-headers"]);
    assert!(
        table
            .lines()
            .all(|l| l.split_whitespace().nth(1) == Some("2/2") && l.contains("Running")),
        "{table}"
    );
    k.ok(&["apply", "-f", &k.file("v2.yaml", DEPLOY_V2)]);
    k.ok(&["rollout", "status", "deploy/web", "--timeout=20s"]);
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ]),
        "2",
        "the controller stamps the revision"
    );
    let history = k.ok(&["rollout", "history", "deploy/web"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");
    k.ok(&["rollout", "undo", "deploy/web"]);
    k.ok(&["rollout", "status", "deploy/web", "--timeout=20s"]);
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[*].image}"
        ]),
        "nginx:1.27 busybox"
    );
    assert_eq!(
        k.ok(&["get", "rs", "-o", "name"]).lines().count(),
        2,
        "undo reuses the first ReplicaSet"
    );
    k.ok(&["delete", "deploy", "web"]);
    assert_eq!(
        k.ok(&["get", "rs,pods", "-o", "name"]),
        "",
        "dependents are garbage collected"
    );
}

/// The binary the README demo runs: `serve` prints where it is, state survives a restart.
#[test]
fn serve_binary_persists_state_across_restarts() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let kubeconfig = dir.path().join("kubeconfig");
    let cache = dir.path().join("cache");
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kchart-emulator"))
            .args(["serve", "--ready-delay", "0", "--state"])
            .arg(&state)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("binary starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = lines.next().and_then(Result::ok).unwrap_or_default();
        let kc = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(url.starts_with("url: http://127.0.0.1:"), "{url}");
        assert_eq!(kc, format!("kubeconfig: {}", kubeconfig.display()));
        child
    };
    let kubectl = |args: &[&str]| {
        Command::new(kubectl_bin())
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("KUBECACHEDIR", &cache)
            .output()
            .expect("kubectl runs")
    };
    let mut first = start();
    let out = kubectl(&["create", "configmap", "demo", "--from-literal=k=v"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The state file is flushed every 100 ms.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&state).is_ok_and(|s| s.contains("\"demo\"")) {
        assert!(
            std::time::Instant::now() < deadline,
            "state file never written"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    first.kill().expect("stop first server");
    let _ = first.wait();
    let mut second = start();
    let out = kubectl(&["get", "configmap", "demo", "-o", "jsonpath={.data.k}"]);
    second.kill().expect("stop second server");
    let _ = second.wait();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "v",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn auth_reviews_allow_everything_and_wide_output() {
    let k = Kube::new();
    assert_eq!(k.ok(&["auth", "can-i", "create", "deployments"]), "yes\n");
    let whoami = k.ok(&["auth", "whoami"]);
    assert!(whoami.contains("kubernetes-admin"), "{whoami}");
    k.ok(&["apply", "-f", &k.file("v1.yaml", DEPLOY_V1)]);
    k.ok(&["rollout", "status", "deploy/web", "--timeout=20s"]);
    let wide = k.ok(&["get", "pods", "-o", "wide"]);
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ]
    );
    let ips: std::collections::BTreeSet<&str> = wide
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(5))
        .collect();
    assert_eq!(ips.len(), 2, "each pod has its own IP: {wide}");
    let deploy = k.ok(&["get", "deploy", "web", "-o", "wide", "--no-headers"]);
    assert!(
        deploy.contains("nginx,sidecar")
            && deploy.contains("nginx:1.27,busybox")
            && deploy.contains("app=web"),
        "{deploy}"
    );
}

#[test]
fn every_shared_chart_applies_and_then_diffs_clean() {
    // Server-side defaults are what make a diff against a cluster quiet or noisy: after
    // `kubectl apply` of real charts, `kubectl diff` of the same files finds nothing.
    let k = Kube::new();
    let charts =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/helm-charts/charts");
    for (chart, extra) in [
        ("hello-world", ""),
        ("prometheus-node-exporter", ""),
        ("kube-state-metrics", ""),
        ("ingress-nginx", ""),
        ("cert-manager", "crds.enabled=true"),
        ("bitnami-nginx", "tls.autoGenerated=false"),
    ] {
        let dir = charts.join(chart);
        let mut helm = Command::new(support::peer("helm"));
        helm.args(["template", chart]).arg(&dir);
        if !extra.is_empty() {
            helm.args(["--set", extra]);
        }
        let out = helm
            .env("HOME", k.cache.path())
            .env("HELM_CACHE_HOME", k.cache.path().join("helm"))
            .output()
            .expect("helm runs");
        assert!(
            out.status.success(),
            "helm template {chart}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = k.file(
            &format!("{chart}.yaml"),
            &String::from_utf8_lossy(&out.stdout),
        );
        k.ok(&["apply", "-f", &file]);
        let diff = k.run(&["diff", "-f", &file]);
        assert_eq!(
            diff.status.code(),
            Some(0),
            "{chart} drifted after apply:\n{}{}",
            String::from_utf8_lossy(&diff.stdout),
            String::from_utf8_lossy(&diff.stderr)
        );
        // Applying again leaves role bindings alone (their subjects come back as they went
        // in); the objects kubectl reports `configured` are its own quirks (explicit nulls,
        // `replace` and `retainKeys` patch strategies), which a real cluster shows too.
        let again = k.ok(&["apply", "-f", &file]);
        for line in again.lines().filter(|l| l.contains("rolebinding")) {
            assert!(line.ends_with("unchanged"), "{chart}: {line}");
        }
    }
}

#[test]
fn failing_jobs_and_stalled_rollouts_as_kubectl_waits_for_them() {
    let k = Kube::new();
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: broken\n  annotations: {emulator.kubectl-chart.io/fail: \"true\"}\nspec:\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox, command: ['false']}]\n";
    k.ok(&["create", "-f", &k.file("job.yaml", job)]);
    assert_eq!(
        k.ok(&[
            "wait",
            "--for=condition=Failed",
            "job/broken",
            "--timeout=20s"
        ]),
        "job.batch/broken condition met\n"
    );
    let pods = k.ok(&["get", "pods", "-l", "job-name=broken", "--no-headers"]);
    assert_eq!(pods.lines().count(), 2, "{pods}");
    assert!(pods.lines().all(|l| l.contains(" Error ")), "{pods}");
    let jobs = k.ok(&["get", "job", "broken", "--no-headers"]);
    assert!(jobs.contains(" Failed "), "{jobs}");

    let stuck = DEPLOY_V1
        .replace("  replicas: 2\n", "  replicas: 2\n  progressDeadlineSeconds: 1\n")
        .replace(
            "  labels: {app: web}\nspec:",
            "  labels: {app: web}\n  annotations: {emulator.kubectl-chart.io/never-ready: \"true\"}\nspec:",
        );
    k.ok(&["apply", "-f", &k.file("stuck.yaml", &stuck)]);
    let err = k.fail(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    assert!(
        err.contains("deployment \"web\" exceeded its progress deadline"),
        "{err}"
    );
    let pods = k.ok(&["get", "pods", "-l", "app=web", "--no-headers"]);
    assert_eq!(pods.lines().count(), 2, "{pods}");
    assert!(pods.lines().all(|l| l.contains(" 0/2 ")), "{pods}");
}
