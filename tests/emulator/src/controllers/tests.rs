//! The controllers driven directly against a store: what each makes of the objects it owns,
//! the test annotations, and the event-log bookkeeping (own writes, resync, deleted Pods).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::store::DeleteOptions;

struct Cluster {
    store: Store,
    ctl: Controllers,
}

impl Cluster {
    fn new() -> Self {
        let mut c = Cluster {
            store: Store::new(),
            ctl: Controllers::new(Duration::ZERO),
        };
        c.settle();
        c
    }

    /// Ticks until no work is due (a bounded number of times).
    fn settle(&mut self) {
        for _ in 0..10 {
            self.ctl.tick(&mut self.store);
            if !self.ctl.has_due() {
                return;
            }
        }
        panic!("controllers did not settle");
    }

    fn rt(&self, g: &str, k: &str) -> Arc<ResourceType> {
        self.store.registry.by_kind(g, k).expect("kind")
    }

    fn create(&mut self, obj: Value) -> Value {
        let av = obj["apiVersion"].as_str().expect("apiVersion").to_string();
        let kind = obj["kind"].as_str().expect("kind").to_string();
        let (g, v) = av.rsplit_once('/').unwrap_or(("", &av));
        let rt = self.rt(g, &kind);
        let ns = if rt.namespaced { "default" } else { "" };
        let opts = WriteOptions {
            field_manager: "test".into(),
            ..Default::default()
        };
        self.store
            .create(&rt, v, ns, obj, &opts)
            .expect("create")
            .object
    }

    fn replace(&mut self, obj: Value) -> Value {
        let av = obj["apiVersion"].as_str().expect("apiVersion").to_string();
        let kind = obj["kind"].as_str().expect("kind").to_string();
        let (g, v) = av.rsplit_once('/').unwrap_or(("", &av));
        let rt = self.rt(g, &kind);
        let name = obj["metadata"]["name"].as_str().expect("name").to_string();
        let opts = WriteOptions {
            field_manager: "test".into(),
            ..Default::default()
        };
        self.store
            .update(&rt, v, "default", &name, obj, &opts, Part::Main)
            .expect("update")
            .object
    }

    fn get(&self, g: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let rt = self.rt(g, kind);
        let v = rt.preferred().to_string();
        self.store.get(&rt, &v, ns, name).ok()
    }

    fn must(&self, g: &str, kind: &str, ns: &str, name: &str) -> Value {
        self.get(g, kind, ns, name)
            .unwrap_or_else(|| panic!("{kind} {ns}/{name} exists"))
    }

    fn all(&self, g: &str, kind: &str) -> Vec<Value> {
        let rt = self.rt(g, kind);
        let v = rt.preferred().to_string();
        self.store
            .list(&rt, &v, None, &Default::default(), &Default::default())
    }

    fn pods_of(&self, owner: &Value) -> Vec<Value> {
        let uid = owner["metadata"]["uid"].as_str().expect("uid");
        self.all("", "Pod")
            .into_iter()
            .filter(|p| owned_by(p, uid))
            .collect()
    }

    fn delete(&mut self, g: &str, kind: &str, ns: &str, name: &str) {
        let rt = self.rt(g, kind);
        self.store
            .delete(&rt, ns, name, &DeleteOptions::default())
            .expect("delete");
    }
}

fn deployment(name: &str, replicas: i64, image: &str, annotations: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "annotations": annotations},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": image}]}}}})
}

fn condition_of<'a>(obj: &'a Value, ty: &str) -> &'a Value {
    obj["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == ty))
        .unwrap_or_else(|| panic!("condition {ty} in {}", obj["status"]))
}

#[test]
fn namespaces_get_their_service_account_and_root_ca() {
    let mut c = Cluster::new();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(c.get("", "ServiceAccount", ns, "default").is_some(), "{ns}");
        assert!(
            c.get("", "ConfigMap", ns, "kube-root-ca.crt").is_some(),
            "{ns}"
        );
    }
    c.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}}));
    assert!(c.get("", "ServiceAccount", "fresh", "default").is_none());
    c.settle();
    assert!(c.get("", "ServiceAccount", "fresh", "default").is_some());
}

#[test]
fn deployments_roll_out_through_replica_sets() {
    let mut c = Cluster::new();
    c.create(deployment("web", 2, "nginx:1.27", json!({})));
    c.settle();
    let d = c.must("apps", "Deployment", "default", "web");
    assert_eq!(d["status"]["observedGeneration"], 1);
    for f in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        assert_eq!(d["status"][f], 2, "{f}");
    }
    assert_eq!(condition_of(&d, "Available")["status"], "True");
    assert_eq!(
        condition_of(&d, "Progressing")["reason"],
        "NewReplicaSetAvailable"
    );
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    let status_owner = d["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .find(|e| e["subresource"] == "status")
        .expect("a status entry");
    assert_eq!(status_owner["manager"], "kube-controller-manager");
    let first_rs = format!("web-{}", pod_template_hash(&d));
    let rs = c.must("apps", "ReplicaSet", "default", &first_rs);
    assert_eq!(rs["status"]["readyReplicas"], 2);
    assert_eq!(rs["metadata"]["generation"], 1);
    let pods = c.pods_of(&rs);
    assert_eq!(pods.len(), 2);
    for p in &pods {
        assert_eq!(p["status"]["phase"], "Running");
        assert_eq!(p["spec"]["nodeName"], "emulator-node");
        assert_eq!(p["metadata"]["generation"], 1);
    }

    // A new template: a new ReplicaSet, the old one scaled to zero.
    let mut next = d.clone();
    next["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    c.replace(next);
    c.settle();
    let d2 = c.must("apps", "Deployment", "default", "web");
    assert_eq!(d2["status"]["observedGeneration"], 2);
    assert_eq!(
        d2["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    let old = c.must("apps", "ReplicaSet", "default", &first_rs);
    assert_eq!(old["spec"]["replicas"], 0);
    assert!(c.pods_of(&old).is_empty());

    // Back to the first template: its ReplicaSet is reused as revision 3.
    let mut back = d2.clone();
    back["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    c.replace(back);
    c.settle();
    let reused = c.must("apps", "ReplicaSet", "default", &first_rs);
    assert_eq!(reused["spec"]["replicas"], 2);
    assert_eq!(
        reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
    assert_eq!(c.all("apps", "ReplicaSet").len(), 2);
}

#[test]
fn never_ready_keeps_workloads_unavailable() {
    let mut c = Cluster::new();
    c.create(deployment(
        "stuck",
        1,
        "nginx",
        json!({NEVER_READY_ANNOTATION: "true"}),
    ));
    c.settle();
    let d = c.must("apps", "Deployment", "default", "stuck");
    assert_eq!(d["status"]["observedGeneration"], 1);
    assert_eq!(d["status"]["updatedReplicas"], 1);
    assert!(d["status"].get("readyReplicas").is_none());
    assert_eq!(d["status"]["unavailableReplicas"], 1);
    assert_eq!(condition_of(&d, "Available")["status"], "False");
    assert_eq!(
        condition_of(&d, "Progressing")["reason"],
        "ReplicaSetUpdated"
    );
    let pods = c.all("", "Pod");
    let pod = pods
        .iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("stuck-"))
        })
        .expect("a pod");
    assert_eq!(pod["status"]["phase"], "Running");
    assert_eq!(condition_of(pod, "Ready")["status"], "False");

    let mut sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}, "annotations": {NEVER_READY_ANNOTATION: "true"}},
                "spec": {"containers": [{"name": "c", "image": "postgres"}]}}}});
    c.create(sts.clone());
    c.settle();
    sts = c.must("apps", "StatefulSet", "default", "db");
    assert_eq!(sts["status"]["availableReplicas"], 0);
    assert!(sts["status"].get("readyReplicas").is_none());
}

#[test]
fn jobs_complete_or_fail_by_annotation() {
    let mut c = Cluster::new();
    let job = |name: &str, annotations: Value| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "annotations": annotations},
            "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}})
    };
    c.create(job("ok", json!({})));
    c.create(job("bad", json!({FAIL_ANNOTATION: "true"})));
    c.settle();
    let ok = c.must("batch", "Job", "default", "ok");
    assert_eq!(ok["status"]["succeeded"], 1);
    assert!(ok["status"]["completionTime"].is_string());
    assert!(ok["status"]["startTime"].is_string());
    assert_eq!(condition_of(&ok, "Complete")["status"], "True");
    let ok_pods = c.pods_of(&ok);
    assert_eq!(ok_pods.len(), 1);
    assert_eq!(ok_pods[0]["status"]["phase"], "Succeeded");
    assert_eq!(
        ok_pods[0]["metadata"]["labels"]["batch.kubernetes.io/job-name"],
        "ok"
    );

    let bad = c.must("batch", "Job", "default", "bad");
    let failed = condition_of(&bad, "Failed");
    assert_eq!(failed["status"], "True");
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    assert_eq!(bad["status"]["failed"], 3);
    assert!(bad["status"].get("completionTime").is_none());
    let bad_pods = c.pods_of(&bad);
    assert_eq!(bad_pods.len(), 3);
    assert!(bad_pods.iter().all(|p| p["status"]["phase"] == "Failed"));

    // A finished Job is left alone: deleting its Pods brings none back.
    for p in ok_pods {
        c.delete(
            "",
            "Pod",
            "default",
            p["metadata"]["name"].as_str().expect("name"),
        );
    }
    c.settle();
    assert!(c.pods_of(&ok).is_empty());
}

#[test]
fn bare_pods_run_to_their_outcome() {
    let mut c = Cluster::new();
    let pod = |name: &str, restart: &str, annotations: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "annotations": annotations},
            "spec": {"restartPolicy": restart, "containers": [{"name": "c", "image": "busybox"}]}})
    };
    c.create(pod("server", "Always", json!({})));
    c.create(pod("test", "Never", json!({})));
    c.create(pod("test-fails", "Never", json!({FAIL_ANNOTATION: "true"})));
    c.create(pod("crashes", "Always", json!({FAIL_ANNOTATION: "true"})));
    c.settle();
    let phase = |c: &Cluster, n: &str| c.must("", "Pod", "default", n)["status"]["phase"].clone();
    assert_eq!(phase(&c, "server"), "Running");
    assert_eq!(phase(&c, "test"), "Succeeded");
    assert_eq!(phase(&c, "test-fails"), "Failed");
    let crash = c.must("", "Pod", "default", "crashes");
    assert_eq!(
        crash["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "CrashLoopBackOff"
    );
    let server = c.must("", "Pod", "default", "server");
    assert_eq!(server["spec"]["nodeName"], "emulator-node");
    let kubelet = server["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .any(|e| e["manager"] == "kubelet" && e["subresource"] == "status");
    assert!(kubelet, "{}", server["metadata"]["managedFields"]);
}

#[test]
fn statefulsets_get_ordered_pods_claims_and_revisions() {
    let mut c = Cluster::new();
    c.create(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "c", "image": "postgres"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}));
    c.settle();
    let sts = c.must("apps", "StatefulSet", "default", "db");
    assert_eq!(sts["status"]["readyReplicas"], 2);
    assert_eq!(sts["status"]["currentReplicas"], 2);
    assert_eq!(
        sts["status"]["currentRevision"],
        sts["status"]["updateRevision"]
    );
    let revision = sts["status"]["updateRevision"].as_str().expect("revision");
    let rev = c.must("apps", "ControllerRevision", "default", revision);
    assert_eq!(rev["revision"], 1);
    for i in 0..2 {
        let pod = c.must("", "Pod", "default", &format!("db-{i}"));
        assert_eq!(pod["spec"]["hostname"], format!("db-{i}"));
        assert_eq!(pod["spec"]["subdomain"], "db");
        assert_eq!(
            pod["metadata"]["labels"]["controller-revision-hash"],
            revision
        );
        let claim = c.must(
            "",
            "PersistentVolumeClaim",
            "default",
            &format!("data-db-{i}"),
        );
        assert_eq!(claim["status"]["phase"], "Bound");
        assert_eq!(
            pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            format!("data-db-{i}")
        );
    }
    // A new template replaces the Pods; the claims stay.
    let mut next = sts.clone();
    next["spec"]["template"]["spec"]["containers"][0]["image"] = json!("postgres:17");
    c.replace(next);
    c.settle();
    let sts2 = c.must("apps", "StatefulSet", "default", "db");
    let revision2 = sts2["status"]["updateRevision"].as_str().expect("revision");
    assert_ne!(revision2, revision);
    assert_eq!(
        c.must("", "Pod", "default", "db-1")["metadata"]["labels"]["controller-revision-hash"],
        revision2
    );
    assert_eq!(c.all("", "PersistentVolumeClaim").len(), 2);
    assert_eq!(c.all("apps", "ControllerRevision").len(), 2);
}

#[test]
fn daemonsets_run_one_pod_and_replace_it_on_change() {
    let mut c = Cluster::new();
    c.create(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "c", "image": "agent:1"}]}}}}));
    c.settle();
    let ds = c.must("apps", "DaemonSet", "default", "agent");
    assert_eq!(ds["status"]["numberReady"], 1);
    assert_eq!(ds["status"]["desiredNumberScheduled"], 1);
    let first = c.pods_of(&ds);
    assert_eq!(first.len(), 1);
    let mut next = ds.clone();
    next["spec"]["template"]["spec"]["containers"][0]["image"] = json!("agent:2");
    c.replace(next);
    c.settle();
    let ds2 = c.must("apps", "DaemonSet", "default", "agent");
    let second = c.pods_of(&ds2);
    assert_eq!(second.len(), 1);
    assert_ne!(second[0]["metadata"]["name"], first[0]["metadata"]["name"]);
    assert_eq!(ds2["status"]["observedGeneration"], 2);
}

#[test]
fn deleted_pods_are_replaced_by_their_replica_set() {
    let mut c = Cluster::new();
    c.create(deployment("web", 1, "nginx", json!({})));
    c.settle();
    let pod = c
        .all("", "Pod")
        .into_iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("web-"))
        })
        .expect("pod");
    let name = pod["metadata"]["name"].as_str().expect("name").to_string();
    c.delete("", "Pod", "default", &name);
    c.settle();
    let now: Vec<Value> = c
        .all("", "Pod")
        .into_iter()
        .filter(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("web-"))
        })
        .collect();
    assert_eq!(now.len(), 1);
    assert_ne!(now[0]["metadata"]["name"], name.as_str());
}

#[test]
fn load_balancers_claims_and_volumes() {
    let mut c = Cluster::new();
    let svc = |name: &str, annotations: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "annotations": annotations},
            "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]}})
    };
    c.create(svc("lb", json!({})));
    c.create(svc("lb-stuck", json!({NEVER_READY_ANNOTATION: "true"})));
    let claim = |name: &str, class: Option<&str>| {
        let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}});
        if let Some(cl) = class {
            v["spec"]["storageClassName"] = json!(cl);
        }
        v
    };
    c.create(claim("data", None));
    c.create(claim("static", Some("")));
    c.settle();
    let lb = c.must("", "Service", "default", "lb");
    assert_eq!(
        lb["status"]["loadBalancer"]["ingress"][0]["ip"],
        "198.51.100.2"
    );
    let stuck = c.must("", "Service", "default", "lb-stuck");
    assert!(stuck["status"]["loadBalancer"].get("ingress").is_none());

    let data = c.must("", "PersistentVolumeClaim", "default", "data");
    assert_eq!(data["status"]["phase"], "Bound");
    // The DefaultStorageClass admission named the cluster's default class.
    assert_eq!(data["spec"]["storageClassName"], "standard");
    assert_eq!(data["status"]["capacity"]["storage"], "2Gi");
    let volume = data["spec"]["volumeName"]
        .as_str()
        .expect("volumeName")
        .to_string();
    let pv = c.must("", "PersistentVolume", "", &volume);
    assert_eq!(pv["status"]["phase"], "Bound");
    assert_eq!(pv["spec"]["claimRef"]["name"], "data");
    assert_eq!(pv["spec"]["storageClassName"], "standard");
    assert_ne!(
        c.must("", "PersistentVolumeClaim", "default", "static")["status"]["phase"],
        "Bound"
    );
    c.delete("", "PersistentVolumeClaim", "default", "data");
    c.settle();
    assert!(c.get("", "PersistentVolume", "", &volume).is_none());
}

#[test]
fn namespace_deletion_removes_contents_and_waits_for_finalizers() {
    let mut c = Cluster::new();
    let ns = c.rt("", "Namespace");
    let cm = c.rt("", "ConfigMap");
    let opts = WriteOptions {
        field_manager: "test".into(),
        ..Default::default()
    };
    for name in ["t", "held"] {
        c.store
            .create(
                &ns,
                "v1",
                "",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
                &opts,
            )
            .expect("ns");
    }
    c.settle();
    c.store
        .create(
            &cm,
            "v1",
            "t",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
            &opts,
        )
        .expect("cm");
    c.store
        .create(&cm, "v1", "held", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "finalizers": ["example.com/hold"]}}), &opts)
        .expect("cm");
    for name in ["t", "held"] {
        let (obj, gone) = c
            .store
            .delete(&ns, "", name, &DeleteOptions::default())
            .expect("delete");
        assert!(!gone);
        assert_eq!(obj["status"]["phase"], "Terminating");
    }
    let e = c
        .store
        .create(
            &cm,
            "v1",
            "t",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}),
            &opts,
        )
        .expect_err("terminating");
    assert_eq!(e.code, 403);
    c.settle();
    assert!(c.get("", "Namespace", "", "t").is_none());
    assert!(c.get("", "ConfigMap", "t", "a").is_none());
    assert!(c.get("", "ServiceAccount", "t", "default").is_none());
    // A finalizer nobody removes holds its namespace in Terminating.
    assert!(c.get("", "Namespace", "", "held").is_some());
    let held = c.must("", "ConfigMap", "held", "a");
    assert!(held["metadata"]["deletionTimestamp"].is_string());
    let mut released = held;
    released["metadata"]["finalizers"] = json!([]);
    c.store
        .update(&cm, "v1", "held", "a", released, &opts, Part::Main)
        .expect("release");
    c.settle();
    assert!(c.get("", "Namespace", "", "held").is_none());
}

#[test]
fn crds_are_established_by_the_controller() {
    let mut c = Cluster::new();
    c.create(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}}));
    c.settle();
    let crd = c.must(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "",
        "widgets.example.com",
    );
    assert_eq!(condition_of(&crd, "Established")["status"], "True");
    assert_eq!(crd["status"]["acceptedNames"]["kind"], "Widget");
    assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));
    let rv = crd["metadata"]["resourceVersion"].clone();
    c.settle();
    let again = c.must(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "",
        "widgets.example.com",
    );
    assert_eq!(
        again["metadata"]["resourceVersion"], rv,
        "no rewrite when nothing changed"
    );
}

#[test]
fn work_waits_for_the_ready_delay_and_survives_a_restore() {
    let mut store = Store::new();
    let mut ctl = Controllers::new(Duration::from_secs(3600));
    ctl.tick(&mut store);
    let rt = store.registry.by_kind("apps", "Deployment").expect("kind");
    let opts = WriteOptions {
        field_manager: "test".into(),
        ..Default::default()
    };
    store
        .create(
            &rt,
            "v1",
            "default",
            deployment("web", 1, "nginx", json!({})),
            &opts,
        )
        .expect("create");
    ctl.tick(&mut store);
    assert!(ctl.has_pending());
    let d = store.get(&rt, "v1", "default", "web").expect("get");
    assert!(d.get("status").is_none());

    // Saved before it became ready, restored under fresh controllers: they pick it up.
    let snap = store.snapshot();
    let mut restored = Store::new();
    restored.restore(&snap).expect("restore");
    let mut fresh = Controllers::new(Duration::ZERO);
    fresh.tick(&mut restored);
    fresh.tick(&mut restored);
    let d = restored.get(&rt, "v1", "default", "web").expect("get");
    assert_eq!(d["status"]["readyReplicas"], 1);
}

#[test]
fn a_stalled_rollout_exceeds_its_progress_deadline() {
    let mut c = Cluster::new();
    let mut d = deployment("slow", 1, "nginx", json!({NEVER_READY_ANNOTATION: "true"}));
    d["spec"]["progressDeadlineSeconds"] = json!(1);
    c.create(d);
    c.settle();
    let d = c.must("apps", "Deployment", "default", "slow");
    assert_eq!(
        condition_of(&d, "Progressing")["reason"],
        "ReplicaSetUpdated"
    );
    // The controller queued a check for when the deadline falls.
    assert!(c.ctl.has_pending());
    let give_up = std::time::Instant::now() + Duration::from_secs(10);
    let d = loop {
        c.settle();
        let d = c.must("apps", "Deployment", "default", "slow");
        if condition_of(&d, "Progressing")["status"] == "False"
            || std::time::Instant::now() > give_up
        {
            break d;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let p = condition_of(&d, "Progressing");
    assert_eq!(p["status"], "False");
    assert_eq!(p["reason"], "ProgressDeadlineExceeded");
    assert_eq!(
        p["message"],
        format!(
            "ReplicaSet \"slow-{}\" has timed out progressing.",
            pod_template_hash(&d)
        )
    );
}

#[test]
fn workloads_run_a_bounded_number_of_pods() {
    let mut c = Cluster::new();
    c.create(deployment("huge", 1_000_000, "nginx", json!({})));
    c.settle();
    let d = c.must("apps", "Deployment", "default", "huge");
    assert_eq!(d["status"]["replicas"], MAX_PODS_PER_WORKLOAD);
    assert_eq!(condition_of(&d, "Available")["status"], "False");
    let pods = c.all("", "Pod").len() as i64;
    assert!(pods <= MAX_PODS_PER_WORKLOAD + 1, "{pods}");
}
