//! The release lifecycle end to end against the cluster emulator: revisions, history,
//! rollback, status, get, list, uninstall, hooks, `--wait`, `--atomic`, the lock, a killed
//! apply, the migration from kubectl-chart 0.1's record, and a CRD too large for
//! `kubectl apply`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kchart_emulator::Emulator;
use serde_json::{Value, json};

use crate::support::{TempChart, Test, bin, peers};

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
        Test::new()
            .env("KUBECONFIG", self.emu.kubeconfig_path())
            .env("NO_COLOR", "1")
    }

    fn apply(&self, release: &str, chart: &TempChart, extra: &[&str]) -> Test {
        self.chart()
            .args(["apply", release])
            .arg(chart.path())
            .args(["-n", "shop", "--create-namespace"])
            .args(extra)
    }

    fn cm(&self, name: &str) -> Option<Value> {
        self.emu.get("v1", "ConfigMap", "shop", name)
    }

    /// The release's revision records: (revision, status) in order.
    fn records(&self, release: &str) -> Vec<(u64, String)> {
        let mut found: Vec<(u64, String)> = self
            .emu
            .list("v1", "Secret", Some("shop"))
            .into_iter()
            .filter(|s| s["type"] == "kubectl-chart.io/release.v1")
            .filter(|s| s["metadata"]["labels"]["kubectl-chart.io/release-name"] == release)
            .map(|s| {
                let labels = &s["metadata"]["labels"];
                (
                    labels["kubectl-chart.io/revision"]
                        .as_str()
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(0),
                    labels["kubectl-chart.io/status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        found.sort();
        found
    }

    fn history(&self, release: &str) -> Vec<Value> {
        let run = self
            .chart()
            .args(["history", release, "-n", "shop", "-o", "json"])
            .run();
        run.json().as_array().cloned().unwrap_or_default()
    }
}

/// A chart named `app` whose templates are the given files (plain YAML).
fn chart(files: &[(&str, &str)]) -> TempChart {
    let mut all = vec![(
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: \"2.1\"\nrenderer: handlebars\n",
    )];
    let paths: Vec<(String, &str)> = files
        .iter()
        .map(|(p, c)| (format!("templates/{p}"), *c))
        .collect();
    all.extend(paths.iter().map(|(p, c)| (p.as_str(), *c)));
    TempChart::new(&all)
}

fn configmap(name: &str, data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  {data}\n")
}

#[test]
fn install_upgrade_history_rollback_status_get_list_uninstall() {
    let cluster = Cluster::start();
    let v1 = chart(&[
        ("a.yaml", &configmap("a", "v: \"1\"")),
        ("NOTES.txt", "Thanks for installing."),
    ]);
    cluster.apply("app", &v1, &[]).run().stdout_has(&[
        "v1 ConfigMap shop/a created",
        "NAME: app",
        "NAMESPACE: shop",
        "STATUS: deployed",
        "REVISION: 1",
        "DESCRIPTION: Install complete",
        "NOTES:\nThanks for installing.",
    ]);
    let v2 = chart(&[
        ("a.yaml", &configmap("a", "v: \"2\"")),
        ("b.yaml", &configmap("b", "v: \"2\"")),
    ]);
    cluster
        .apply("app", &v2, &[])
        .run()
        .stdout_has(&["REVISION: 2", "DESCRIPTION: Upgrade complete"]);
    assert_eq!(cluster.cm("a").unwrap()["data"]["v"], "2");
    assert_eq!(
        cluster.records("app"),
        [(1, "superseded".to_owned()), (2, "deployed".to_owned())]
    );

    // The table, as `helm history` prints it.
    let table = cluster
        .chart()
        .args(["history", "app", "-n", "shop"])
        .run()
        .stdout();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("REVISION   UPDATED"), "{table}");
    assert!(lines[1].starts_with("1 ") && lines[1].contains("superseded   app-1.0.0   2.1"));
    assert!(lines[2].contains("deployed") && lines[2].ends_with("Upgrade complete"));

    // Back to 1: a new revision, the merge and prune of any apply.
    cluster
        .chart()
        .args(["rollback", "app", "-n", "shop"])
        .run()
        .stdout_has(&[
            "v1 ConfigMap shop/a configured",
            "v1 ConfigMap shop/b pruned",
            "REVISION: 3",
            "DESCRIPTION: Rollback to 1",
        ]);
    assert_eq!(cluster.cm("a").unwrap()["data"]["v"], "1");
    assert!(cluster.cm("b").is_none());
    let history = cluster.history("app");
    let described: Vec<(&str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["status"].as_str().unwrap(),
                h["description"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("superseded", "Install complete"),
            ("superseded", "Upgrade complete"),
            ("deployed", "Rollback to 1")
        ]
    );

    cluster
        .chart()
        .args(["status", "app", "-n", "shop"])
        .run()
        .stdout_has(&[
            "REVISION: 3",
            "RESOURCES:",
            "v1 ConfigMap shop/a   yes",
            "TEST SUITE: None",
        ]);
    let status = cluster
        .chart()
        .args([
            "status",
            "app",
            "-n",
            "shop",
            "--revision",
            "2",
            "-o",
            "json",
        ])
        .run()
        .json();
    assert_eq!(status["revision"], 2);
    assert_eq!(status["objects"].as_array().unwrap().len(), 2);
    assert_eq!(status["objects"][1]["readiness"], Value::Null, "b is gone");

    cluster
        .chart()
        .args(["get", "manifest", "app", "-n", "shop", "--revision", "2"])
        .run()
        .stdout_has(&["# Source: app/templates/b.yaml", "name: b"]);
    cluster
        .chart()
        .args(["get", "notes", "app", "-n", "shop"])
        .run()
        .stdout_has(&["NOTES:\nThanks for installing."]);
    cluster
        .chart()
        .args(["list", "-n", "shop"])
        .run()
        .stdout_has(&["NAME   NAMESPACE   REVISION", "app    shop        3 "]);

    cluster
        .chart()
        .args(["uninstall", "app", "-n", "shop"])
        .run()
        .stdout_has(&["v1 ConfigMap shop/a deleted", "release \"app\" uninstalled"]);
    assert!(cluster.cm("a").is_none());
    assert!(cluster.records("app").is_empty(), "no record is left");
    assert!(
        cluster
            .emu
            .get(
                "coordination.k8s.io/v1",
                "Lease",
                "shop",
                "kubectl-chart.release.app"
            )
            .is_none(),
        "nor the lock"
    );
    let listed = cluster
        .chart()
        .args(["list", "-A", "-o", "json"])
        .run()
        .json();
    assert_eq!(listed, json!([]));
    cluster
        .chart()
        .args(["history", "app", "-n", "shop"])
        .status(1)
        .run()
        .stderr_has(&["release shop/app not found"]);
}

#[test]
fn kept_objects_and_history_survive_uninstall_and_a_reinstall_counts_on() {
    let cluster = Cluster::start();
    let kept = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  annotations:\n    helm.sh/resource-policy: keep\ndata:\n  v: \"1\"\n";
    let app = chart(&[("a.yaml", &configmap("a", "v: \"1\"")), ("keep.yaml", kept)]);
    cluster.apply("app", &app, &[]).run();
    cluster
        .chart()
        .args(["uninstall", "app", "-n", "shop", "--keep-history"])
        .run()
        .stdout_has(&["v1 ConfigMap shop/keep kept (resource policy keep)"]);
    assert!(cluster.cm("keep").is_some());
    assert!(cluster.cm("a").is_none());
    assert_eq!(cluster.records("app"), [(1, "uninstalled".to_owned())]);
    cluster
        .chart()
        .args(["list", "-n", "shop", "--uninstalled", "-q"])
        .run()
        .stdout_has(&["app"]);
    // Installing again starts a new life, with revision numbers counting on. The kept object
    // is still marked as the release's, so it is taken back without --take-ownership.
    cluster
        .apply("app", &app, &[])
        .run()
        .stdout_has(&["REVISION: 2", "DESCRIPTION: Install complete"]);
    assert_eq!(
        cluster.records("app"),
        [(1, "uninstalled".to_owned()), (2, "deployed".to_owned())]
    );
}

#[test]
fn revisions_are_trimmed_to_history_max_and_a_no_op_records_nothing() {
    let cluster = Cluster::start();
    for v in 1..=5 {
        let app = chart(&[("a.yaml", &configmap("a", &format!("v: \"{v}\"")))]);
        cluster.apply("app", &app, &["--history-max", "3"]).run();
    }
    let app = chart(&[("a.yaml", &configmap("a", "v: \"5\""))]);
    cluster
        .apply("app", &app, &["--history-max", "3"])
        .run()
        .stdout_has(&["unchanged", "REVISION: 5"]);
    assert_eq!(
        cluster.records("app"),
        [
            (3, "superseded".to_owned()),
            (4, "superseded".to_owned()),
            (5, "deployed".to_owned())
        ]
    );
}

#[test]
fn a_release_too_large_for_a_secret_fails_before_anything_is_written() {
    let cluster = Cluster::start();
    // Three objects of 700 KiB of random letters: about 1.3 MiB compressed, over a Secret's
    // 1 MiB.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut noise = |len: usize| -> String {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'a' + (state % 26) as u8)
            })
            .collect()
    };
    let a = configmap("a", &format!("v: {}", noise(700 * 1024)));
    let b = configmap("b", &format!("v: {}", noise(700 * 1024)));
    let c = configmap("c", &format!("v: {}", noise(700 * 1024)));
    let app = chart(&[("a.yaml", &a), ("b.yaml", &b), ("c.yaml", &c)]);
    cluster
        .apply("app", &app, &[])
        .status(1)
        .run()
        .stderr_has(&[
            "revision 1 of release shop/app is too large to record",
            "nothing was written",
        ]);
    assert!(cluster.cm("a").is_none() && cluster.cm("c").is_none());
    assert!(cluster.records("app").is_empty());
}

/// A CRD of about 400 KiB: `kubectl apply` cannot store its last-applied annotation (the API
/// server's 256 KiB limit on annotations); `kubectl chart apply` keeps "last applied" in the
/// release history instead.
#[test]
fn a_crd_over_256_kib_applies_and_upgrades_where_kubectl_apply_fails() {
    let cluster = Cluster::start();
    let crd = |extra: &str| {
        let mut properties = serde_json::Map::new();
        for i in 0..800 {
            properties.insert(
                format!("field{i}"),
                json!({"type": "string", "description": format!("{extra} {}", "a long description of the field. ".repeat(15))}),
            );
        }
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "properties": properties}}}}}]}
        })
    };
    let first = serde_json::to_string(&crd("first")).unwrap();
    assert!(first.len() > 400 * 1024, "{} bytes", first.len());
    let app = chart(&[("crd.yaml", &first)]);
    cluster.apply("app", &app, &[]).run().stdout_has(&[
        "apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com created",
    ]);
    let second = serde_json::to_string(&crd("second")).unwrap();
    let app = chart(&[("crd.yaml", &second)]);
    cluster.apply("app", &app, &[]).run().stdout_has(&[
        "apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com configured",
        "REVISION: 2",
    ]);
    let live = cluster
        .emu
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "widgets.example.com",
        )
        .unwrap();
    assert!(live.to_string().contains("second a long description"));

    // Real kubectl, same CRD, same emulator.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &second).unwrap();
    Test::new()
        .program(peers().join("kubectl"))
        .env("KUBECONFIG", cluster.emu.kubeconfig_path())
        .args(["apply", "-f"])
        .arg(file.path())
        .status(1)
        .run()
        .stderr_has(&["metadata.annotations: Too long"]);
}

#[test]
fn the_lock_names_its_holder_and_expires() {
    let cluster = Cluster::start();
    let app = chart(&[("a.yaml", &configmap("a", "v: \"1\""))]);
    cluster.apply("app", &app, &[]).run();
    let now = |offset: i64| {
        let at = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(offset))
            .unwrap();
        at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    };
    let mut lease = cluster
        .emu
        .get(
            "coordination.k8s.io/v1",
            "Lease",
            "shop",
            "kubectl-chart.release.app",
        )
        .expect("the lease exists after an apply");
    lease["spec"] = json!({"holderIdentity": "ci-runner-7/4242/ab", "leaseDurationSeconds": 300,
        "acquireTime": now(-5), "renewTime": now(0)});
    cluster.emu.update(lease.clone()).unwrap();
    cluster
        .apply("app", &app, &[])
        .status(1)
        .run()
        .stderr_has(&[
            "release shop/app is locked by ci-runner-7/4242/ab since",
            "pass --wait-for-lock",
        ]);
    cluster
        .apply("app", &app, &["--wait-for-lock", "1s"])
        .status(1)
        .run()
        .stderr_has(&["(gave up waiting)"]);
    cluster
        .chart()
        .args(["uninstall", "app", "-n", "shop"])
        .status(1)
        .run()
        .stderr_has(&["locked by ci-runner-7"]);

    // A holder that stopped renewing an hour ago is dead: its lock is taken over.
    let mut lease = cluster
        .emu
        .get(
            "coordination.k8s.io/v1",
            "Lease",
            "shop",
            "kubectl-chart.release.app",
        )
        .unwrap();
    lease["spec"]["renewTime"] = json!(now(-3600));
    cluster.emu.update(lease).unwrap();
    cluster.apply("app", &app, &[]).run();
}

#[test]
fn of_two_concurrent_applies_exactly_one_proceeds() {
    let cluster = Cluster::start();
    cluster.emu.faults().set_latency(Duration::from_millis(40));
    let files: Vec<(String, String)> = (0..8)
        .map(|i| {
            (
                format!("c{i}.yaml"),
                configmap(&format!("c{i}"), "v: \"1\""),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let app = chart(&refs);
    let spawn = || {
        Command::new(bin())
            .env("KUBECONFIG", cluster.emu.kubeconfig_path())
            .args(["apply", "app"])
            .arg(app.path())
            .args(["-n", "shop", "--create-namespace"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outputs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let succeeded = outputs.iter().filter(|o| o.status.success()).count();
    let locked = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("is locked by"))
        .count();
    assert_eq!((succeeded, locked), (1, 1), "{outputs:?}");
    assert_eq!(cluster.records("app"), [(1, "deployed".to_owned())]);
}

/// Kills `kubectl chart apply` once `written` of its objects exist, then checks that the
/// history is readable, the lock expires, and a re-run converges.
#[test]
fn a_killed_apply_leaves_a_readable_history_and_a_rerun_converges() {
    let cluster = Cluster::start();
    for (round, written) in [0usize, 1, 6, 11].into_iter().enumerate() {
        let release = format!("r{round}");
        let files: Vec<(String, String)> = (0..12)
            .map(|i| {
                let name = format!("{release}-c{i:02}");
                (format!("{name}.yaml"), configmap(&name, "v: \"1\""))
            })
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let app = chart(&refs);
        // Slow writes (reads stay fast) so the kill lands mid-apply.
        cluster.emu.faults().set_latency(Duration::from_millis(120));
        let mut child = Command::new(bin())
            .env("KUBECONFIG", cluster.emu.kubeconfig_path())
            .args(["apply", &release])
            .arg(app.path())
            .args([
                "-n",
                "shop",
                "--create-namespace",
                "--concurrency",
                "1",
                "--lock-ttl",
                "2s",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let count = || {
            cluster
                .emu
                .list("v1", "ConfigMap", Some("shop"))
                .iter()
                .filter(|c| {
                    c["metadata"]["annotations"]["kubectl-chart.io/release"]
                        == format!("shop/{release}").as_str()
                })
                .count()
        };
        let started = Instant::now();
        // Round 0 kills right after the pending revision is recorded, before any object.
        loop {
            let recorded = !cluster.records(&release).is_empty();
            if recorded && count() >= written {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
                panic!("round {round}: apply ended ({status}) before {written} writes: {stderr}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "apply never got there"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        cluster.emu.faults().clear();
        let left = count();
        assert!(
            left < 12,
            "round {round}: the kill came too late ({left} written)"
        );
        assert_eq!(
            cluster.records(&release),
            [(1, "pending-install".to_owned())],
            "round {round}"
        );
        // The history reads; the re-run waits out the dead run's lock and converges.
        cluster
            .chart()
            .args(["history", &release, "-n", "shop"])
            .run()
            .stdout_has(&["pending-install"]);
        cluster
            .apply(&release, &app, &["--wait-for-lock", "20s"])
            .run()
            .stdout_has(&["REVISION: 2"]);
        assert_eq!(count(), 12, "round {round}");
        let history = cluster.history(&release);
        assert_eq!(history[0]["status"], "failed");
        assert!(
            history[0]["description"]
                .as_str()
                .unwrap()
                .starts_with("Interrupted")
        );
        assert_eq!(history[1]["status"], "deployed");
    }
}

#[test]
fn hooks_run_by_weight_are_not_release_objects_and_a_failing_hook_fails_the_revision() {
    let cluster = Cluster::start();
    let hook_cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-1\"\n    helm.sh/hook-delete-policy: hook-succeeded\ndata:\n  v: \"1\"\n";
    let job = |name: &str, event: &str, fail: bool| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: {event}\n    helm.sh/hook-weight: \"5\"\n{}spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: c\n          image: busybox\n",
            if fail {
                "    emulator.kubectl-chart.io/fail: \"true\"\n"
            } else {
                ""
            }
        )
    };
    let migrate = job("migrate", "post-install,post-upgrade", false);
    let app = chart(&[
        ("a.yaml", &configmap("a", "v: \"1\"")),
        ("pre.yaml", hook_cm),
        ("migrate.yaml", &migrate),
    ]);
    cluster.apply("app", &app, &[]).run().stdout_has(&[
        "v1 ConfigMap shop/pre hook pre-install,pre-upgrade succeeded",
        "batch/v1 Job shop/migrate hook post-install,post-upgrade succeeded",
        "REVISION: 1",
    ]);
    // The ConfigMap hook ran and was deleted (hook-succeeded); the Job stays (default
    // before-hook-creation) and completed.
    assert!(cluster.cm("pre").is_none());
    let job_live = cluster
        .emu
        .get("batch/v1", "Job", "shop", "migrate")
        .unwrap();
    assert!(job_live["status"]["succeeded"].as_i64().unwrap_or(0) >= 1);
    cluster
        .chart()
        .args(["get", "hooks", "app", "-n", "shop"])
        .run()
        .stdout_has(&[
            "# Source: app/templates/migrate.yaml",
            "# Source: app/templates/pre.yaml",
        ]);
    let manifest = cluster
        .chart()
        .args(["get", "manifest", "app", "-n", "shop"])
        .run()
        .stdout();
    assert!(
        !manifest.contains("migrate"),
        "hooks are not release objects: {manifest}"
    );

    // A failing post-upgrade hook fails the revision, named.
    let broken = job("migrate", "post-upgrade", true);
    let app2 = chart(&[
        ("a.yaml", &configmap("a", "v: \"2\"")),
        ("migrate.yaml", &broken),
    ]);
    cluster
        .apply("app", &app2, &["--timeout", "30s"])
        .status(1)
        .run()
        .stderr_has(&[
            "failed at revision 2",
            "post-upgrade hook app/templates/migrate.yaml (batch/v1 Job shop/migrate) failed",
            "BackoffLimitExceeded",
        ]);
    assert_eq!(
        cluster.records("app"),
        [(1, "deployed".to_owned()), (2, "failed".to_owned())]
    );
    // With --atomic, the same failure rolls back to revision 1.
    cluster
        .apply("app", &app2, &["--timeout", "30s", "--atomic"])
        .status(1)
        .run()
        .stderr_has(&["--atomic: rolled back to revision 1 (recorded as revision 4)"]);
    assert_eq!(cluster.cm("a").unwrap()["data"]["v"], "1");
    let statuses: Vec<String> = cluster.records("app").into_iter().map(|r| r.1).collect();
    assert_eq!(statuses, ["superseded", "failed", "failed", "deployed"]);
    // --no-hooks skips them.
    cluster
        .apply("app", &app2, &["--no-hooks"])
        .run()
        .stdout_has(&["REVISION: 5"]);
}

#[test]
fn wait_until_ready_or_fail_naming_what_is_not() {
    let cluster = Cluster::start();
    let deployment = |never: bool| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n{}    spec:\n      containers:\n        - name: web\n          image: nginx\n",
            if never {
                "      annotations:\n        emulator.kubectl-chart.io/never-ready: \"true\"\n"
            } else {
                ""
            }
        )
    };
    let ok = chart(&[("web.yaml", &deployment(false))]);
    cluster
        .apply("app", &ok, &["--wait", "--timeout", "60s"])
        .run()
        .stdout_has(&["STATUS: deployed"]);
    let stuck = chart(&[("web.yaml", &deployment(true))]);
    cluster
        .apply("app", &stuck, &["--wait", "--timeout", "2s"])
        .status(1)
        .run()
        .stderr_has(&[
            "objects not ready after 2 s",
            "apps/v1 Deployment shop/web:",
        ]);
    let statuses: Vec<String> = cluster.records("app").into_iter().map(|r| r.1).collect();
    assert_eq!(statuses, ["deployed", "failed"]);
}

#[test]
fn test_runs_the_test_hooks_and_records_them() {
    let cluster = Cluster::start();
    let pod = |name: &str, fail: bool| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: test\n{}spec:\n  restartPolicy: Never\n  containers:\n    - name: t\n      image: busybox\n",
            if fail {
                "    emulator.kubectl-chart.io/fail: \"true\"\n"
            } else {
                ""
            }
        )
    };
    let app = chart(&[
        ("a.yaml", &configmap("a", "v: \"1\"")),
        ("t.yaml", &pod("smoke", false)),
    ]);
    cluster.apply("app", &app, &[]).run();
    assert!(
        cluster.emu.get("v1", "Pod", "shop", "smoke").is_none(),
        "test hooks run only on `test`"
    );
    cluster
        .chart()
        .args(["test", "app", "-n", "shop"])
        .run()
        .stdout_has(&["TEST SUITE:     smoke", "Phase:          Succeeded"]);
    cluster
        .chart()
        .args(["status", "app", "-n", "shop"])
        .run()
        .stdout_has(&["TEST SUITE:     smoke"]);
    let app = chart(&[
        ("a.yaml", &configmap("a", "v: \"1\"")),
        ("t.yaml", &pod("smoke", true)),
    ]);
    cluster.apply("app", &app, &[]).run();
    cluster
        .chart()
        .args(["test", "app", "-n", "shop"])
        .status(1)
        .run()
        .stdout_has(&["Phase:          Failed"]);
}

/// kubectl-chart 0.1 kept one Secret per release and "last applied" in an annotation on
/// every object; the next apply migrates it to revision records.
#[test]
fn a_release_recorded_by_0_1_is_migrated_on_the_next_apply() {
    use base64::Engine as _;
    let cluster = Cluster::start();
    cluster
        .emu
        .create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}))
        .unwrap();
    let applied = |name: &str, data: Value| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "shop",
                "labels": {"app.kubernetes.io/managed-by": "kubectl-chart"},
                "annotations": {"kubectl-chart.io/release": "shop/app"}},
            "data": data})
    };
    for (name, data) in [
        ("a", json!({"ours": "1", "dropped": "x"})),
        ("gone", json!({})),
    ] {
        let mut object = applied(name, data.clone());
        object["metadata"]["annotations"]["kubectl-chart.io/last-applied"] =
            json!(applied(name, data).to_string());
        cluster.emu.create(object).unwrap();
    }
    let inventory = json!({"revision": 4, "objects": [
        {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "a"},
        {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "gone"}]});
    cluster
        .emu
        .create(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubectl-chart.io/release.v1",
            "metadata": {"name": "kubectl-chart.release.app", "namespace": "shop",
                "labels": {"kubectl-chart.io/release-name": "app"}},
            "data": {"inventory": base64::engine::general_purpose::STANDARD.encode(inventory.to_string())}}))
        .unwrap();

    let app = chart(&[("a.yaml", &configmap("a", "ours: \"2\""))]);
    cluster.apply("app", &app, &[]).run().stdout_has(&[
        "v1 ConfigMap shop/a configured",
        "v1 ConfigMap shop/gone pruned",
        "REVISION: 5",
        "DESCRIPTION: Upgrade complete",
    ]);
    let a = cluster.cm("a").unwrap();
    assert_eq!(
        a["data"],
        json!({"ours": "2"}),
        "the annotation said `dropped` was ours"
    );
    assert!(
        a["metadata"]["annotations"]
            .get("kubectl-chart.io/last-applied")
            .is_none(),
        "objects no longer carry a copy of themselves"
    );
    assert!(
        cluster
            .emu
            .get("v1", "Secret", "shop", "kubectl-chart.release.app")
            .is_none(),
        "the 0.1 record is gone"
    );
    assert_eq!(cluster.records("app"), [(5, "deployed".to_owned())]);
}

/// What the release commands print, as golden files (times masked).
#[test]
fn release_commands_print_as_recorded() {
    let cluster = Cluster::start();
    let v1 = chart(&[
        ("a.yaml", &configmap("a", "v: \"1\"")),
        ("NOTES.txt", "Thanks for installing."),
        (
            "t.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    helm.sh/hook: test\nspec:\n  restartPolicy: Never\n  containers:\n    - name: t\n      image: busybox\n",
        ),
    ]);
    cluster
        .apply("app", &v1, &[])
        .run()
        .golden_timeless("release/apply-install.txt");
    let v2 = chart(&[
        ("a.yaml", &configmap("a", "v: \"2\"")),
        ("b.yaml", &configmap("b", "v: \"2\"")),
    ]);
    cluster
        .apply("app", &v2, &["--set", "x=1"])
        .run()
        .golden_timeless("release/apply-upgrade.txt");
    let run = |args: &[&str], golden: &str| {
        cluster
            .chart()
            .args(args)
            .args(["-n", "shop"])
            .run()
            .golden_timeless(golden);
    };
    run(&["history", "app"], "release/history.txt");
    run(&["history", "app", "-o", "yaml"], "release/history.yaml");
    run(&["list"], "release/list.txt");
    run(&["status", "app"], "release/status.txt");
    run(&["get", "values", "app"], "release/get-values.txt");
    run(
        &["get", "all", "app", "--revision", "1"],
        "release/get-all.txt",
    );
    run(&["rollback", "app", "1"], "release/rollback.txt");
    run(&["test", "app"], "release/test.txt");
    run(&["uninstall", "app"], "release/uninstall.txt");
}
