//! Real Helm v4 (from `../shared/tools/peers.sh`) runs its whole release lifecycle against the
//! emulator as against a cluster: install and upgrade with `--wait` (server-side and
//! client-side apply, the watcher and legacy wait strategies), history, rollback, uninstall
//! (release purged), `helm test`, a failing hook rolled back by `--atomic`, a `--wait` timing
//! out, every chart in `../shared/data/helm-charts`, and a CRD too large for `kubectl apply`.
//! Every test starts its own emulator; helm gets its own kubeconfig and home folders.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use kchart_emulator::Emulator;
use kchart_emulator::client::Client;
use serde_json::{Value, json};

/// The fixture chart with every kind Helm waits for, a hook and a test Pod.
fn lifecycle_chart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/charts/lifecycle")
}

/// A chart from `../shared/data/helm-charts/charts`.
fn shared_chart(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/helm-charts/charts")
        .join(name);
    assert!(
        dir.join("Chart.yaml").is_file(),
        "chart {} is missing",
        dir.display()
    );
    dir
}

/// An emulator, and helm and kubectl pointed at it with their own homes.
struct Cluster {
    emu: Emulator,
    home: tempfile::TempDir,
}

impl Cluster {
    fn new() -> Self {
        Cluster {
            emu: Emulator::builder()
                .ready_delay(Duration::from_millis(50))
                .start()
                .expect("emulator starts"),
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(support::peer(program));
        let home = self.home.path();
        c.env("KUBECONFIG", self.emu.kubeconfig_path())
            .env("HOME", home)
            .env("KUBECACHEDIR", home.join("kube-cache"))
            .env("HELM_CACHE_HOME", home.join("helm-cache"))
            .env("HELM_CONFIG_HOME", home.join("helm-config"))
            .env("HELM_DATA_HOME", home.join("helm-data"))
            .env_remove("HELM_DRIVER")
            .env_remove("HELM_NAMESPACE")
            .env_remove("HELM_KUBECONTEXT")
            .env_remove("KUBECTL_EXTERNAL_DIFF");
        c
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"))
    }

    /// Runs helm, asserts success, returns stdout.
    fn helm(&self, args: &[&str]) -> String {
        let out = self.run("helm", args);
        assert!(
            out.status.success(),
            "helm {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs helm, asserts failure, returns stderr.
    fn helm_fails(&self, args: &[&str]) -> String {
        let out = self.run("helm", args);
        assert!(
            !out.status.success(),
            "helm {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        self.run("kubectl", args)
    }

    fn get(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
        self.emu.get(api_version, kind, ns, name)
    }

    fn must(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
        self.get(api_version, kind, ns, name)
            .unwrap_or_else(|| panic!("{kind} {ns}/{name} exists"))
    }

    /// The release's records, as Helm's storage driver finds them.
    fn records(&self, ns: &str, release: &str) -> Vec<Value> {
        self.emu
            .list("v1", "Secret", Some(ns))
            .into_iter()
            .filter(|s| {
                s.pointer("/metadata/labels/owner") == Some(&json!("helm"))
                    && s.pointer("/metadata/labels/name") == Some(&json!(release))
            })
            .collect()
    }

    /// The objects a release manifest names: (apiVersion, kind, namespace, name, kept).
    fn manifest_objects(
        &self,
        release: &str,
        ns: &str,
    ) -> Vec<(String, String, String, String, bool)> {
        let text = self.helm(&["get", "manifest", release, "-n", ns]);
        let mut out = Vec::new();
        for doc in text.split("\n---") {
            let Ok(v) = serde_yaml_ng::from_str::<Value>(doc) else {
                continue;
            };
            let (Some(av), Some(kind), Some(name)) = (
                v.get("apiVersion").and_then(Value::as_str),
                v.get("kind").and_then(Value::as_str),
                v.pointer("/metadata/name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let obj_ns = v
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or(ns);
            let kept =
                v.pointer("/metadata/annotations/helm.sh~1resource-policy") == Some(&json!("keep"));
            out.push((
                av.to_string(),
                kind.to_string(),
                obj_ns.to_string(),
                name.to_string(),
                kept,
            ));
        }
        out
    }

    /// Uninstalls a release and checks it is purged: no records left, every object it
    /// installed gone (except those Helm keeps by policy).
    fn uninstall_and_check_purged(&self, release: &str, ns: &str) {
        let objects = self.manifest_objects(release, ns);
        assert!(!objects.is_empty(), "{release} has objects");
        self.helm(&["uninstall", release, "-n", ns, "--wait", "--timeout", "60s"]);
        assert!(
            self.records(ns, release).is_empty(),
            "release records of {release} left behind"
        );
        for (av, kind, obj_ns, name, kept) in objects {
            let live = self.get(&av, &kind, &obj_ns, &name);
            assert_eq!(
                live.is_some(),
                kept,
                "{kind} {obj_ns}/{name} after uninstalling {release}"
            );
        }
    }
}

fn condition<'a>(obj: &'a Value, ty: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == ty))
}

fn history(c: &Cluster, release: &str) -> Vec<Value> {
    let out = c.helm(&["history", release, "-o", "json"]);
    serde_json::from_str(&out).expect("helm history prints JSON")
}

#[test]
fn install_upgrade_rollback_and_uninstall_with_server_side_apply() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    c.helm(&[
        "install",
        "life",
        chart,
        "--wait",
        "--wait-for-jobs",
        "--timeout",
        "60s",
    ]);
    // Everything Helm waited for is really ready.
    let web = c.must("apps/v1", "Deployment", "default", "life-web");
    assert_eq!(web["status"]["availableReplicas"], 1);
    assert_eq!(web["status"]["observedGeneration"], 1);
    let db = c.must("apps/v1", "StatefulSet", "default", "life-db");
    assert_eq!(db["status"]["readyReplicas"], 1);
    let agent = c.must("apps/v1", "DaemonSet", "default", "life-agent");
    assert_eq!(agent["status"]["numberReady"], 1);
    let seed = c.must("batch/v1", "Job", "default", "life-seed");
    assert_eq!(
        condition(&seed, "Complete").map(|x| &x["status"]),
        Some(&json!("True"))
    );
    let cache = c.must("v1", "PersistentVolumeClaim", "default", "life-cache");
    assert_eq!(cache["status"]["phase"], "Bound");
    let svc = c.must("v1", "Service", "default", "life-web");
    assert!(svc["status"]["loadBalancer"]["ingress"][0]["ip"].is_string());
    // Helm 4 applies server-side as field manager `helm`.
    let managers: Vec<&Value> = web["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .map(|e| &e["manager"])
        .collect();
    assert!(managers.contains(&&json!("helm")), "{managers:?}");
    let records = c.records("default", "life");
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec["type"], "helm.sh/release.v1");
    assert_eq!(rec["metadata"]["name"], "sh.helm.release.v1.life.v1");
    for (k, v) in [
        ("owner", "helm"),
        ("name", "life"),
        ("status", "deployed"),
        ("version", "1"),
    ] {
        assert_eq!(rec["metadata"]["labels"][k], v, "label {k}");
    }

    c.helm(&[
        "upgrade",
        "life",
        chart,
        "--wait",
        "--timeout",
        "60s",
        "--set",
        "replicas=2",
    ]);
    let web = c.must("apps/v1", "Deployment", "default", "life-web");
    assert_eq!(web["spec"]["replicas"], 2);
    assert_eq!(web["status"]["readyReplicas"], 2);
    let migrate = c.must("batch/v1", "Job", "default", "life-migrate");
    assert_eq!(
        condition(&migrate, "Complete").map(|x| &x["status"]),
        Some(&json!("True")),
        "the pre-upgrade hook ran"
    );
    let h = history(&c, "life");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["status"], "superseded");
    assert_eq!(h[1]["status"], "deployed");

    c.helm(&["rollback", "life", "1", "--wait", "--timeout", "60s"]);
    let web = c.must("apps/v1", "Deployment", "default", "life-web");
    assert_eq!(web["spec"]["replicas"], 1);
    assert_eq!(web["status"]["readyReplicas"], 1);
    let h = history(&c, "life");
    assert_eq!(h.len(), 3);
    assert_eq!(h[2]["description"], "Rollback to 1");
    assert_eq!(h[2]["status"], "deployed");
    let listed = c.helm(&["list", "-o", "json"]);
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    assert_eq!(listed[0]["name"], "life");
    assert_eq!(listed[0]["revision"], "3");

    c.uninstall_and_check_purged("life", "default");
    // Pods go with their workloads; the StatefulSet's claim stays, as in a cluster.
    assert!(
        c.emu
            .list("v1", "Pod", Some("default"))
            .iter()
            .all(|p| !p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("life-web") || n.starts_with("life-db"))),
        "workload pods are gone"
    );
    assert!(
        c.get("v1", "PersistentVolumeClaim", "default", "data-life-db-0")
            .is_some()
    );
}

#[test]
fn client_side_apply_and_the_legacy_wait() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    c.helm(&[
        "install",
        "csa",
        chart,
        "--server-side=false",
        "--wait=legacy",
        "--timeout",
        "60s",
    ]);
    let web = c.must("apps/v1", "Deployment", "default", "csa-web");
    assert_eq!(web["status"]["readyReplicas"], 1);
    c.helm(&[
        "upgrade",
        "csa",
        chart,
        "--server-side=false",
        "--wait=legacy",
        "--timeout",
        "60s",
        "--set",
        "replicas=3,image=nginx:1.28",
    ]);
    let web = c.must("apps/v1", "Deployment", "default", "csa-web");
    assert_eq!(
        web["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    assert_eq!(web["status"]["readyReplicas"], 3);
    assert_eq!(
        web["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    c.helm(&["rollback", "csa", "1", "--wait=legacy", "--timeout", "60s"]);
    let web = c.must("apps/v1", "Deployment", "default", "csa-web");
    assert_eq!(
        web["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
    assert_eq!(web["status"]["readyReplicas"], 1);
    c.uninstall_and_check_purged("csa", "default");
}

#[test]
fn helm_test_runs_test_pods_to_their_end() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    c.helm(&["install", "t", chart, "--wait", "--timeout", "60s"]);
    let out = c.helm(&["test", "t", "--timeout", "60s"]);
    assert!(out.contains("Phase:          Succeeded"), "{out}");
    let pod = c.must("v1", "Pod", "default", "t-test");
    assert_eq!(pod["status"]["phase"], "Succeeded");

    c.helm(&[
        "upgrade",
        "t",
        chart,
        "--wait",
        "--timeout",
        "60s",
        "--set",
        "testFails=true",
    ]);
    let err = c.helm_fails(&["test", "t", "--timeout", "60s"]);
    assert!(err.contains("t-test"), "{err}");
    let pod = c.must("v1", "Pod", "default", "t-test");
    assert_eq!(pod["status"]["phase"], "Failed");
}

#[test]
fn a_failing_hook_is_rolled_back_by_atomic() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    c.helm(&[
        "upgrade",
        "--install",
        "hooked",
        chart,
        "--wait",
        "--timeout",
        "60s",
    ]);
    let err = c.helm_fails(&[
        "upgrade",
        "--install",
        "hooked",
        chart,
        "--atomic",
        "--timeout",
        "60s",
        "--set",
        "hookFails=true,replicas=2",
    ]);
    assert!(err.contains("pre-upgrade hooks failed"), "{err}");
    assert!(err.contains("has been rolled back"), "{err}");
    let job = c.must("batch/v1", "Job", "default", "hooked-migrate");
    let failed = condition(&job, "Failed").expect("Failed condition");
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    let h = history(&c, "hooked");
    let statuses: Vec<&Value> = h.iter().map(|r| &r["status"]).collect();
    assert_eq!(
        statuses,
        [&json!("superseded"), &json!("failed"), &json!("deployed")]
    );
    assert_eq!(h[2]["description"], "Rollback to 1");
    let web = c.must("apps/v1", "Deployment", "default", "hooked-web");
    assert_eq!(web["spec"]["replicas"], 1, "the upgrade never applied");
}

#[test]
fn wait_times_out_on_a_workload_that_never_becomes_ready() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    let err = c.helm_fails(&[
        "install",
        "stuck",
        chart,
        "--wait",
        "--timeout",
        "3s",
        "--set",
        "neverReady=true",
    ]);
    assert!(err.contains("stuck-web"), "{err}");
    assert!(err.contains("context deadline exceeded"), "{err}");
    let h = history(&c, "stuck");
    assert_eq!(h[0]["status"], "failed");
    let web = c.must("apps/v1", "Deployment", "default", "stuck-web");
    assert_eq!(
        condition(&web, "Available").map(|x| &x["status"]),
        Some(&json!("False"))
    );
}

#[test]
fn a_rollout_past_its_progress_deadline_fails_the_wait_at_once() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    let err = c.helm_fails(&[
        "install",
        "late",
        chart,
        "--wait",
        "--timeout",
        "120s",
        "--set",
        "neverReady=true,progressDeadlineSeconds=1",
    ]);
    assert!(
        err.contains("resource Deployment/default/late-web not ready. status: Failed"),
        "{err}"
    );
    // Helm stopped at the failure, not at its timeout.
    assert!(!err.contains("context deadline exceeded"), "{err}");
    let web = c.must("apps/v1", "Deployment", "default", "late-web");
    assert_eq!(
        condition(&web, "Progressing").map(|x| &x["reason"]),
        Some(&json!("ProgressDeadlineExceeded"))
    );
}

#[test]
fn helms_storage_selectors_and_paging() {
    let c = Cluster::new();
    let chart = shared_chart("hello-world");
    let chart = chart.to_str().expect("utf-8 path");
    c.helm(&["install", "a", chart]);
    c.helm(&["upgrade", "a", chart, "--set", "replicaCount=2"]);
    c.helm(&["install", "b", chart]);
    let mut client = Client::connect(c.emu.url()).expect("connect");
    let base = "/api/v1/namespaces/default/secrets?labelSelector=owner%3Dhelm%2Cname%3Da";
    let first = client.get(&format!("{base}&limit=1")).expect("list");
    assert_eq!(first.status, 200);
    let first = first.json();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["metadata"]["remainingItemCount"], 1);
    let token = first["metadata"]["continue"].as_str().expect("continue");
    let second = client
        .get(&format!("{base}&limit=1&continue={token}"))
        .expect("list")
        .json();
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert!(second["metadata"].get("continue").is_none());
    let names: Vec<&Value> = [&first, &second]
        .iter()
        .map(|l| &l["items"][0]["metadata"]["name"])
        .collect();
    assert_eq!(
        names,
        [
            &json!("sh.helm.release.v1.a.v1"),
            &json!("sh.helm.release.v1.a.v2")
        ]
    );
    let deployed = client
        .get("/api/v1/namespaces/default/secrets?labelSelector=owner%3Dhelm%2Cstatus%3Ddeployed")
        .expect("list")
        .json();
    let mut names: Vec<&str> = deployed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["sh.helm.release.v1.a.v2", "sh.helm.release.v1.b.v1"]
    );
    let out = c.helm(&["list", "--short"]);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["a", "b"]);
}

/// Installs a shared chart with `--wait`, checks its workloads are ready, and uninstalls it.
fn install_shared_chart(name: &str, extra: &[&str]) {
    let c = Cluster::new();
    let chart = shared_chart(name);
    let ns = format!("ns-{name}");
    let mut args = vec![
        "install",
        name,
        chart.to_str().expect("utf-8 path"),
        "-n",
        &ns,
        "--create-namespace",
        "--wait",
        "--timeout",
        "120s",
    ];
    args.extend_from_slice(extra);
    c.helm(&args);
    let status: Value =
        serde_json::from_str(&c.helm(&["status", name, "-n", &ns, "-o", "json"])).expect("JSON");
    assert_eq!(status["info"]["status"], "deployed");
    for d in c.emu.list("apps/v1", "Deployment", Some(&ns)) {
        assert_eq!(
            condition(&d, "Available").map(|x| &x["status"]),
            Some(&json!("True")),
            "{}",
            d["metadata"]["name"]
        );
    }
    for ds in c.emu.list("apps/v1", "DaemonSet", Some(&ns)) {
        assert_eq!(ds["status"]["numberReady"], 1, "{}", ds["metadata"]["name"]);
    }
    c.uninstall_and_check_purged(name, &ns);
}

#[test]
fn chart_hello_world() {
    install_shared_chart("hello-world", &[]);
}

#[test]
fn chart_prometheus_node_exporter() {
    install_shared_chart("prometheus-node-exporter", &[]);
}

#[test]
fn chart_kube_state_metrics() {
    install_shared_chart("kube-state-metrics", &[]);
}

#[test]
fn chart_ingress_nginx_with_its_load_balancer() {
    // The legacy wait also waits for the LoadBalancer Service's ingress address.
    install_shared_chart("ingress-nginx", &["--wait=legacy"]);
}

#[test]
fn chart_cert_manager_with_its_crds() {
    install_shared_chart("cert-manager", &["--set", "crds.enabled=true"]);
}

#[test]
fn chart_bitnami_nginx() {
    install_shared_chart("bitnami-nginx", &[]);
}

/// A CRD whose JSON is about `kib` KiB: many described properties.
fn big_crd(group: &str, kib: usize) -> Value {
    let mut props = serde_json::Map::new();
    let mut i = 0;
    while serde_json::to_vec(&props).map(|b| b.len()).unwrap_or(0) < kib * 1024 {
        props.insert(
            format!("field{i:05}"),
            json!({"type": "string", "description": format!("Field number {i}. {}", "Documentation that makes generated CRDs large. ".repeat(8))}),
        );
        i += 1;
    }
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {"group": group, "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "description": "A widget.",
                    "properties": {"spec": {"type": "object", "properties": props}}}}}]}})
}

fn write_chart(dir: &Path, crd: &Value) {
    std::fs::create_dir_all(dir.join("templates")).expect("mkdir");
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: big-crd\nversion: 0.1.0\n",
    )
    .expect("write Chart.yaml");
    // JSON is YAML; Helm's template engine leaves it alone.
    std::fs::write(
        dir.join("templates/crd.yaml"),
        serde_json::to_vec_pretty(crd).expect("json"),
    )
    .expect("write crd");
}

#[test]
fn a_400_kib_crd_installs_and_upgrades_with_helm_but_not_with_kubectl_apply() {
    let c = Cluster::new();
    let files = tempfile::tempdir().expect("tempdir");
    let crd = big_crd("big.example.com", 400);
    let size = serde_json::to_vec(&crd).expect("json").len();
    assert!(size > 400 * 1024 && size < 420 * 1024, "{size}");
    let file = files.path().join("crd.json");
    std::fs::write(&file, serde_json::to_vec(&crd).expect("json")).expect("write");
    let file = file.to_str().expect("utf-8 path");

    // kubectl apply keeps the whole object in an annotation: the API server refuses it.
    let out = c.kubectl(&["apply", "-f", file]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "The CustomResourceDefinition \"widgets.big.example.com\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"
        ),
        "{err}"
    );
    assert!(
        c.get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "widgets.big.example.com"
        )
        .is_none()
    );
    // kubectl create stores it as it is, and so does a server-side apply (its bookkeeping
    // is managed fields, not an annotation).
    for args in [
        &["create", "-f", file][..],
        &["apply", "--server-side", "-f", file],
    ] {
        let out = c.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = c.kubectl(&["delete", "-f", file, "--wait"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Helm keeps no such annotation: install and upgrade go through.
    let chart = files.path().join("chart");
    write_chart(&chart, &crd);
    let chart_s = chart.to_str().expect("utf-8 path");
    c.helm(&["install", "big", chart_s, "--wait", "--timeout", "60s"]);
    let mut grown = crd.clone();
    grown["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        ["extra"] = json!({"type": "integer", "description": "added by the upgrade"});
    write_chart(&chart, &grown);
    c.helm(&["upgrade", "big", chart_s, "--wait", "--timeout", "60s"]);
    let live = c.must(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "",
        "widgets.big.example.com",
    );
    assert_eq!(
        live["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["extra"]["description"],
        "added by the upgrade"
    );
    assert!(
        live["metadata"]["annotations"]
            .get("kubectl.kubernetes.io/last-applied-configuration")
            .is_none()
    );
    assert_eq!(
        condition(&live, "Established").map(|x| &x["status"]),
        Some(&json!("True"))
    );
    // The same CRD through kubectl apply against the same emulator still fails.
    let out = c.kubectl(&["apply", "-f", file]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("metadata.annotations: Too long: may not be more than 262144 bytes")
    );
}

#[test]
fn kubectl_diff_sees_no_drift_after_a_helm_install() {
    let c = Cluster::new();
    let chart = lifecycle_chart();
    let chart = chart.to_str().expect("utf-8 path");
    c.helm(&["install", "quiet", chart, "--wait", "--timeout", "60s"]);
    // What Helm applied: the manifest plus the ownership marks it adds to every object.
    let manifest = c.helm(&["get", "manifest", "quiet"]);
    let mut applied = String::new();
    for doc in manifest.split("\n---") {
        let Ok(mut v) = serde_yaml_ng::from_str::<Value>(doc) else {
            continue;
        };
        if !v.is_object() {
            continue;
        }
        v["metadata"]["labels"]["app.kubernetes.io/managed-by"] = json!("Helm");
        v["metadata"]["annotations"]["meta.helm.sh/release-name"] = json!("quiet");
        v["metadata"]["annotations"]["meta.helm.sh/release-namespace"] = json!("default");
        applied.push_str("---\n");
        applied.push_str(&serde_yaml_ng::to_string(&v).expect("yaml"));
    }
    let files = tempfile::tempdir().expect("tempdir");
    let path = files.path().join("applied.yaml");
    std::fs::write(&path, applied).expect("write");
    let path = path.to_str().expect("utf-8 path");
    // Applying it again as Helm (server-side, dry run) changes nothing: defaults, controller
    // fields and managed fields are stable.
    let out = c.kubectl(&["diff", "--server-side", "--field-manager=helm", "-f", path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "kubectl diff found drift:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A change shows, and only the change.
    let edited = std::fs::read_to_string(path)
        .expect("read")
        .replace("REPLICAS: '1'", "REPLICAS: '5'");
    std::fs::write(path, edited).expect("write");
    let out = c.kubectl(&["diff", "--server-side", "--field-manager=helm", "-f", path]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        ["-  REPLICAS: \"1\"", "+  REPLICAS: \"5\""],
        "{diff}"
    );
}
