//! `kubectl chart apply` end to end against the cluster emulator, with real kubectl editing
//! objects between applies, and faults injected by the emulator.

use kchart_emulator::Emulator;
use serde_json::Value;

use crate::support::{TempChart, Test, example, peers};

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

    /// `kubectl-chart ARGS` against this cluster.
    fn chart(&self) -> Test {
        Test::new().env("KUBECONFIG", self.emu.kubeconfig_path())
    }

    /// Real kubectl against this cluster.
    fn kubectl(&self) -> Test {
        Test::new()
            .program(peers().join("kubectl"))
            .env("KUBECONFIG", self.emu.kubeconfig_path())
    }

    fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.emu.get(api_version, kind, namespace, name)
    }

    /// Makes every write over HTTP fail until [`Faults::clear`], but to the release's lock
    /// (a Lease): a command that still succeeds wrote nothing. (The emulator's own
    /// controllers are not affected.)
    fn forbid_writes(&self) {
        for verb in ["create", "update", "patch", "delete"] {
            self.emu
                .faults()
                .fail_always(Some(verb), Some("!leases"), 500);
        }
    }

    fn deployment(&self, namespace: &str, name: &str) -> Value {
        self.get("apps/v1", "Deployment", namespace, name)
            .unwrap_or_else(|| panic!("deployment {namespace}/{name} exists"))
    }
}

fn web_apply(cluster: &Cluster, extra: &[&str]) -> Test {
    cluster
        .chart()
        .args(["apply", "shop"])
        .arg(example("web"))
        .args(["-n", "shop", "--create-namespace"])
        .args(extra)
}

#[test]
fn install_then_no_op_then_change() {
    let cluster = Cluster::start();
    let run = web_apply(&cluster, &[]).run();
    run.stdout_has(&[
        "v1 Namespace shop created",
        "v1 ConfigMap shop/shop-web created",
        "v1 Service shop/shop-web created",
        "apps/v1 Deployment shop/shop-web created",
        "release shop/shop: 4 created, 0 configured, 0 unchanged, 0 pruned",
    ]);
    let deployment = cluster.deployment("shop", "shop-web");
    assert_eq!(
        deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kubectl-chart"
    );
    assert_eq!(
        deployment["metadata"]["annotations"]["kubectl-chart.io/release"],
        "shop/shop"
    );

    // A no-op re-apply writes nothing at all: with every write failing, it still succeeds
    // (the release record is rewritten only when something changed).
    cluster.forbid_writes();
    web_apply(&cluster, &[])
        .run()
        .stdout_has(&["0 created, 0 configured, 3 unchanged, 0 pruned"]);
    cluster.emu.faults().clear();

    web_apply(&cluster, &["--set", "image.tag=1.28.0"])
        .run()
        .stdout_has(&[
            "apps/v1 Deployment shop/shop-web configured",
            "1 configured, 2 unchanged",
        ]);
    let deployment = cluster.deployment("shop", "shop-web");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28.0"
    );
}

#[test]
fn edits_by_kubectl_are_kept_or_reverted_as_three_way_merge_says() {
    let cluster = Cluster::start();
    web_apply(&cluster, &[]).run();
    // Someone scales and labels the deployment with kubectl, and adds an env var by patch.
    cluster
        .kubectl()
        .args(["-n", "shop", "scale", "deployment/shop-web", "--replicas=5"])
        .run();
    cluster
        .kubectl()
        .args([
            "-n",
            "shop",
            "label",
            "deployment/shop-web",
            "team=payments",
        ])
        .run();
    cluster
        .kubectl()
        .args([
            "-n",
            "shop",
            "patch",
            "deployment/shop-web",
            "--type=strategic",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"DEBUG","value":"1"}]}]}}}}"#,
        ])
        .run();

    web_apply(&cluster, &["--set", "image.tag=1.28.0"]).run();
    let deployment = cluster.deployment("shop", "shop-web");
    // replicas is ours: the chart's value wins over the manual scale.
    assert_eq!(deployment["spec"]["replicas"], 2);
    // The label and the env var are not ours: they survive.
    assert_eq!(deployment["metadata"]["labels"]["team"], "payments");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["env"][0]["name"], "DEBUG");
    assert_eq!(container["image"], "nginx:1.28.0");
    // Server defaults survive too.
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    assert_eq!(deployment["spec"]["strategy"]["type"], "RollingUpdate");

    // kubectl sees the objects we wrote as ordinary objects.
    cluster
        .kubectl()
        .args([
            "-n",
            "shop",
            "get",
            "deployment/shop-web",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .run()
        .stdout_has(&["2"]);
}

#[test]
fn objects_the_chart_stops_rendering_are_pruned_and_nothing_else() {
    let cluster = Cluster::start();
    web_apply(
        &cluster,
        &["--set", "ingress.enabled=true,autoscaling.enabled=true"],
    )
    .run()
    .stdout_has(&[
        "Ingress shop/shop-web created",
        "HorizontalPodAutoscaler shop/shop-web created",
    ]);
    // Something in the same namespace that is not the release's.
    cluster
        .kubectl()
        .args([
            "-n",
            "shop",
            "create",
            "configmap",
            "unrelated",
            "--from-literal=a=b",
        ])
        .run();
    let run = web_apply(&cluster, &[]).run();
    run.stdout_has(&[
        "networking.k8s.io/v1 Ingress shop/shop-web pruned",
        "autoscaling/v2 HorizontalPodAutoscaler shop/shop-web pruned",
        "2 pruned",
    ]);
    // Pruned in reverse install order: the Ingress (after HPAs) goes first.
    let stdout = run.stdout();
    assert!(
        stdout.find("Ingress shop/shop-web pruned")
            < stdout.find("HorizontalPodAutoscaler shop/shop-web pruned")
    );
    assert!(
        cluster
            .get("networking.k8s.io/v1", "Ingress", "shop", "shop-web")
            .is_none()
    );
    assert!(
        cluster
            .get("v1", "ConfigMap", "shop", "unrelated")
            .is_some()
    );
}

#[test]
fn objects_of_others_are_not_taken_over_silently() {
    let cluster = Cluster::start();
    cluster
        .kubectl()
        .args(["create", "namespace", "shop"])
        .run();
    cluster
        .kubectl()
        .args([
            "-n",
            "shop",
            "create",
            "configmap",
            "shop-web",
            "--from-literal=owner=someone",
        ])
        .run();
    cluster.forbid_writes();
    web_apply(&cluster, &[]).status(1).run().stderr_has(&[
        "v1 ConfigMap shop/shop-web (owned by no release)",
        "--take-ownership",
        "nothing was written",
    ]);
    cluster.emu.faults().clear();

    web_apply(&cluster, &["--take-ownership"])
        .run()
        .stdout_has(&["v1 ConfigMap shop/shop-web configured"]);
    let config = cluster
        .get("v1", "ConfigMap", "shop", "shop-web")
        .expect("configmap");
    assert_eq!(
        config["metadata"]["annotations"]["kubectl-chart.io/release"],
        "shop/shop"
    );
    assert_eq!(
        config["data"]["owner"], "someone",
        "fields nobody applied before are kept"
    );

    // Another release cannot take it either.
    cluster
        .chart()
        .args(["apply", "other"])
        .arg(example("web"))
        .args(["-n", "shop", "--set", "fullnameOverride=shop-web"])
        .status(1)
        .run()
        .stderr_has(&["(owned by release shop/shop)"]);
}

#[test]
fn conflict_storm_converges() {
    let cluster = Cluster::start();
    web_apply(&cluster, &[]).run();
    cluster.emu.faults().conflict_next_updates(3);
    web_apply(&cluster, &["--set", "replicaCount=4"]).run();
    assert_eq!(
        cluster.deployment("shop", "shop-web")["spec"]["replicas"],
        4
    );

    cluster.emu.faults().conflict_next_updates(50);
    web_apply(&cluster, &["--set", "replicaCount=6"])
        .status(1)
        .run()
        .stderr_has(&[
            "apps/v1 Deployment shop/shop-web",
            "still conflicting after 5 attempts",
        ]);
    cluster.emu.faults().clear();
}

#[test]
fn a_failure_mid_apply_is_clear_and_rerunning_converges() {
    let cluster = Cluster::start();
    cluster
        .emu
        .faults()
        .fail_next(Some("create"), Some("deployments"), 500, 1);
    web_apply(&cluster, &[]).status(1).run().stderr_has(&[
        "create apps/v1 Deployment shop/shop-web",
        "500",
        "recorded as failed, and re-running converges",
    ]);
    // What was written before the failure is there, and recorded.
    assert!(cluster.get("v1", "Service", "shop", "shop-web").is_some());
    assert!(
        cluster
            .get("apps/v1", "Deployment", "shop", "shop-web")
            .is_none()
    );
    web_apply(&cluster, &[])
        .run()
        .stdout_has(&["apps/v1 Deployment shop/shop-web created", "2 unchanged"]);
    assert!(
        cluster
            .get("apps/v1", "Deployment", "shop", "shop-web")
            .is_some()
    );
}

#[test]
fn dry_runs_write_nothing() {
    let cluster = Cluster::start();
    web_apply(&cluster, &[]).run();
    for mode in ["--dry-run", "--dry-run=client", "--dry-run=server"] {
        if mode != "--dry-run=server" {
            cluster.forbid_writes();
        }
        web_apply(
            &cluster,
            &[
                mode,
                "--set",
                "replicaCount=9",
                "--set",
                "ingress.enabled=true",
            ],
        )
        .run()
        .stdout_has(&[
            "apps/v1 Deployment shop/shop-web configured",
            "networking.k8s.io/v1 Ingress shop/shop-web created",
            "dry run)",
        ]);
        cluster.emu.faults().clear();
    }
    assert!(
        cluster
            .get("networking.k8s.io/v1", "Ingress", "shop", "shop-web")
            .is_none()
    );
    assert_eq!(
        cluster.deployment("shop", "shop-web")["spec"]["replicas"],
        2
    );
}

#[test]
fn server_side_apply() {
    let cluster = Cluster::start();
    web_apply(&cluster, &["--server-side"])
        .run()
        .stdout_has(&["4 created"]);
    let deployment = cluster.deployment("shop", "shop-web");
    let managers: Vec<&str> = deployment["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"kubectl-chart"), "{managers:?}");
    web_apply(&cluster, &["--server-side"])
        .run()
        .stdout_has(&["0 created, 0 configured, 3 unchanged"]);
}

#[test]
fn json_output_for_scripts() {
    let cluster = Cluster::start();
    let out = web_apply(&cluster, &["-o", "json"]).run().json();
    assert_eq!(out["release"], "shop/shop");
    let changes = out["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 4);
    assert_eq!(changes[3]["object"]["kind"], "Deployment");
    assert_eq!(changes[3]["action"], "created");
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: routes.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Route, plural: routes, singular: route, listKind: RouteList}
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
                rules:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [host]
                  items:
                    type: object
                    properties:
                      host: {type: string}
                      backend: {type: string}
                      weight: {type: integer}
"#;

const ROUTE: &str = r#"apiVersion: example.com/v1
kind: Route
metadata:
  name: main
spec:
  rules:
    - host: a.example.com
      backend: {{Values.backend}}
"#;

#[test]
fn crd_and_its_custom_resource_in_one_apply_with_a_real_three_way_merge() {
    let cluster = Cluster::start();
    let chart = TempChart::with_templates(
        "backend: one\n",
        &[("crd.yaml", CRD), ("route.yaml", ROUTE)],
    );
    let apply = |extra: &[&str]| {
        cluster
            .chart()
            .args(["apply", "routes"])
            .arg(chart.path())
            .args(extra)
    };
    apply(&[]).run().stdout_has(&[
        "CustomResourceDefinition routes.example.com created",
        "example.com/v1 Route default/main created",
    ]);
    // Another controller adds a rule and a weight: a list-map keyed by host.
    cluster
        .kubectl()
        .args([
            "patch",
            "route.example.com/main",
            "--type=merge",
            "-p",
            r#"{"spec":{"rules":[{"host":"a.example.com","backend":"one","weight":10},{"host":"b.example.com","backend":"other"}]}}"#,
        ])
        .run();
    apply(&["--set", "backend=two"]).run();
    let route = cluster
        .get("example.com/v1", "Route", "default", "main")
        .expect("route");
    assert_eq!(
        route["spec"]["rules"],
        serde_json::json!([
            {"host": "a.example.com", "backend": "two", "weight": 10},
            {"host": "b.example.com", "backend": "other"}
        ])
    );
}

#[test]
fn bad_input_fails_before_any_write() {
    let cluster = Cluster::start();
    // Each failure below must come from the checks, not from a write refused by the server.
    cluster.forbid_writes();
    let chart = TempChart::with_templates("", &[("route.yaml", ROUTE)]);
    cluster
        .chart()
        .args(["apply", "r"])
        .arg(chart.path())
        .status(1)
        .run()
        .stderr_has(&[
            "the cluster does not serve example.com/v1 Route",
            "nothing was written",
        ]);
    let chart = TempChart::with_templates(
        "",
        &[
            (
                "ok.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n",
            ),
            (
                "bad.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n",
            ),
        ],
    );
    cluster
        .chart()
        .args(["apply", "r"])
        .arg(chart.path())
        .status(1)
        .run()
        .stderr_has(&[
            "v1 ConfigMap default/Not_Valid: invalid name",
            "nothing was written",
        ]);
}

#[test]
fn re_applying_the_guestbook_changes_nothing() {
    // RoleBinding subjects are an atomic list the server defaults (`apiGroup: ""`): the
    // re-apply must not see that as a change.
    let cluster = Cluster::start();
    let apply = || {
        cluster
            .chart()
            .args(["apply", "gb"])
            .arg(example("guestbook"))
            .args([
                "-n",
                "demo",
                "--create-namespace",
                "--set",
                "redis.password=s3cret",
            ])
    };
    apply().run().stdout_has(&["13 created"]);
    cluster.forbid_writes();
    apply()
        .run()
        .stdout_has(&["release demo/gb: 0 created, 0 configured, 12 unchanged, 0 pruned"]);
    cluster.emu.faults().clear();
}
