//! The controller manager (and the kubelet, scheduler and cloud provider it stands for): what
//! makes a stored object come alive in a real cluster. Controllers follow the store's event
//! log, as informers do, and write back only through the store's public API (create, update
//! of the main resource or its `status`, the namespace `finalize` subresource, delete, pod
//! binding), under the field managers a real cluster shows.
//!
//! Work waits for the emulator's ready delay (workloads roll out, Jobs run, claims bind, load
//! balancers come up) and then completes at once. Two test-only annotations, on an object or
//! on its pod template, change the outcome so that failure paths can be tested:
//! [`FAIL_ANNOTATION`] and [`NEVER_READY_ANNOTATION`].

mod crd;
mod daemonset;
mod deployment;
mod history;
mod job;
mod namespace;
mod pod;
mod pvc;
mod replicaset;
mod service;
mod statefulset;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::registry::ResourceType;
use crate::status::ApiResult;
use crate::store::{ObjKey, Part, ResKey, Store, WriteOptions, Written};
use crate::util::now_rfc3339;

pub use deployment::pod_template_hash;
pub use pvc::PROVISIONER;

/// `emulator.kubectl-chart.io/fail: "true"` on a Job, a Pod, or a pod template: the Job fails
/// (condition `Failed`, reason `BackoffLimitExceeded`), a Pod that does not restart ends
/// `Failed`, and one that restarts crash-loops.
pub const FAIL_ANNOTATION: &str = "emulator.kubectl-chart.io/fail";

/// `emulator.kubectl-chart.io/never-ready: "true"` on a Deployment, StatefulSet, DaemonSet,
/// ReplicaSet, Pod or pod template: its Pods run but never become Ready, so the workload never
/// becomes available (a `--wait` times out); on a LoadBalancer Service: no ingress is ever
/// assigned; on a PersistentVolumeClaim: it stays `Pending`.
pub const NEVER_READY_ANNOTATION: &str = "emulator.kubectl-chart.io/never-ready";

/// At most this many Pods per ReplicaSet or StatefulSet: a workload asking for more runs
/// this many and never becomes ready (the emulator keeps every object in memory).
pub const MAX_PODS_PER_WORKLOAD: i64 = 100;

/// The field manager of the controller manager's writes.
const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// The node every Pod runs on.
const NODE: &str = "emulator-node";

/// Kinds whose spec changes (a new `metadata.generation`) start a rollout.
const WORKLOADS: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("", "replicationcontrollers"),
    ("batch", "jobs"),
    ("", "pods"),
];

/// Addresses handed out by the emulated infrastructure.
#[derive(Debug, Default)]
struct Ips {
    pod: u32,
    lb: u32,
}

impl Ips {
    fn pod(&mut self) -> String {
        self.pod += 1;
        let n = self.pod + 1;
        format!("10.244.{}.{}", (n >> 8) & 0xff, n & 0xff)
    }

    /// A load balancer address from TEST-NET-2 (RFC 5737), so it cannot be mistaken for a
    /// reachable one.
    fn load_balancer(&mut self) -> String {
        self.lb += 1;
        format!("198.51.100.{}", self.lb % 254 + 1)
    }
}

/// The controllers' state: what they have seen of the store, and the work waiting for the
/// ready delay.
#[derive(Debug)]
pub struct Controllers {
    ready_delay: Duration,
    /// Work by object, with the time it is due.
    queue: BTreeMap<(ResKey, ObjKey), Instant>,
    /// The generation of each workload last queued, so that status-only writes do not restart
    /// a rollout.
    observed: HashMap<(ResKey, ObjKey), i64>,
    /// The resourceVersion up to which the event log has been read; `None` until the first
    /// full resync.
    seen: Option<u64>,
    ips: Ips,
}

impl Controllers {
    /// Controllers that complete work `ready_delay` after it appears.
    pub fn new(ready_delay: Duration) -> Self {
        Self {
            ready_delay,
            queue: BTreeMap::new(),
            observed: HashMap::new(),
            seen: None,
            ips: Ips::default(),
        }
    }

    /// How long work waits before it completes.
    pub fn ready_delay(&self) -> Duration {
        self.ready_delay
    }

    /// Changes how long work waits (for work queued from now on).
    pub fn set_ready_delay(&mut self, delay: Duration) {
        self.ready_delay = delay;
    }

    /// Whether any work is waiting (including checks queued far ahead, such as a stalled
    /// Deployment's progress deadline).
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Whether work is due now.
    pub fn has_due(&self) -> bool {
        let now = Instant::now();
        self.queue.values().any(|at| *at <= now)
    }

    /// Runs the controllers once: reads what changed since the last run (everything, the first
    /// time or when the event log no longer reaches back), then does the work that is due.
    /// Events of the controllers' own writes are not read back: each controller finishes
    /// what it starts.
    pub fn tick(&mut self, store: &mut Store) {
        match self.seen.and_then(|rv| store.events_since(rv)) {
            Some(events) => {
                for ev in events {
                    self.observe(store, &ev.key, &ev.namespace, ev.kind, &ev.object);
                }
            }
            None => self.resync(store),
        }
        let now = Instant::now();
        let due: Vec<(ResKey, ObjKey)> = self
            .queue
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            self.queue.remove(&k);
            self.reconcile(store, &k.0, &k.1);
        }
        namespace::finalize_terminating(store);
        self.seen = Some(store.resource_version());
    }

    /// Queues an object's reconciliation after the ready delay (replacing earlier work).
    fn enqueue(&mut self, key: &ResKey, obj: &ObjKey) {
        self.enqueue_at(key, obj, Instant::now() + self.ready_delay);
    }

    fn enqueue_at(&mut self, key: &ResKey, obj: &ObjKey, at: Instant) {
        self.queue.insert((key.clone(), obj.clone()), at);
    }

    /// Reacts to one change, as an informer's event handler would.
    fn observe(&mut self, store: &mut Store, key: &ResKey, ns: &str, kind: &str, obj: &Value) {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let okey: ObjKey = (ns.to_string(), name.to_string());
        let res = (key.0.as_str(), key.1.as_str());
        if kind == "DELETED" {
            self.queue.remove(&(key.clone(), okey.clone()));
            self.observed.remove(&(key.clone(), okey));
            if res == ("", "pods") {
                // A controller replaces a Pod deleted under it.
                if let Some((owner, name)) = controller_ref(obj)
                    && owner.1 != "jobs"
                {
                    self.enqueue(&owner, &(ns.to_string(), name));
                }
            }
            if res == ("", "persistentvolumeclaims") {
                pvc::release(store, obj);
            }
            return;
        }
        if WORKLOADS.contains(&res) {
            let generation = obj
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let entry = (key.clone(), okey.clone());
            if self.observed.get(&entry) != Some(&generation) {
                self.observed.insert(entry, generation);
                self.enqueue(key, &okey);
            }
            return;
        }
        match res {
            ("", "services") if service::wants_load_balancer(obj) => self.enqueue(key, &okey),
            ("", "persistentvolumeclaims") if pvc::is_pending(obj) => self.enqueue(key, &okey),
            ("", "namespaces") if kind == "ADDED" => namespace::populate(store, name),
            ("apiextensions.k8s.io", "customresourcedefinitions") => crd::establish(store, name),
            _ => {}
        }
    }

    /// Treats every stored object as new: after a restore, and when events were missed.
    fn resync(&mut self, store: &mut Store) {
        let mut seen = Vec::new();
        for rt in store.registry.types().to_vec() {
            if !rt.stored {
                continue;
            }
            let key: ResKey = (rt.group.clone(), rt.plural.clone());
            for (okey, obj) in store.all_of(&key) {
                seen.push((key.clone(), okey.0.clone(), obj.clone()));
            }
        }
        for (key, ns, obj) in seen {
            let res = (key.0.as_str(), key.1.as_str());
            if WORKLOADS.contains(&res) && settled(&obj) {
                let name = obj
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let generation = obj
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                self.observed.insert((key, (ns, name)), generation);
                continue;
            }
            self.observe(store, &key, &ns, "ADDED", &obj);
        }
    }

    fn reconcile(&mut self, store: &mut Store, key: &ResKey, okey: &ObjKey) {
        match (key.0.as_str(), key.1.as_str()) {
            ("apps", "deployments") => deployment::reconcile(self, store, okey),
            ("apps", "replicasets") => replicaset::reconcile(self, store, "apps", okey),
            ("", "replicationcontrollers") => replicaset::reconcile(self, store, "", okey),
            ("apps", "statefulsets") => statefulset::reconcile(self, store, okey),
            ("apps", "daemonsets") => daemonset::reconcile(self, store, okey),
            ("batch", "jobs") => job::reconcile(self, store, okey),
            ("", "pods") => pod::reconcile(self, store, okey),
            ("", "services") => service::reconcile(self, store, okey),
            ("", "persistentvolumeclaims") => pvc::reconcile(store, okey),
            _ => {}
        }
    }
}

/// Whether a workload's status already reflects its spec (nothing to do after a restore).
fn settled(obj: &Value) -> bool {
    let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = obj
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    if obj.get("kind").and_then(Value::as_str) == Some("Job") {
        return obj
            .pointer("/status/startTime")
            .is_some_and(Value::is_string);
    }
    generation.is_some() && generation == observed
}

/// The resource and name of an object's controller (its `controller: true` owner), among
/// the kinds the emulator's controllers manage.
fn controller_ref(obj: &Value) -> Option<(ResKey, String)> {
    let refs = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?;
    let r = refs
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))?;
    let api_version = r.get("apiVersion").and_then(Value::as_str)?;
    let kind = r.get("kind").and_then(Value::as_str)?;
    let name = r.get("name").and_then(Value::as_str)?;
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let plural = match (group, kind) {
        ("apps", "ReplicaSet") => "replicasets",
        ("apps", "StatefulSet") => "statefulsets",
        ("apps", "DaemonSet") => "daemonsets",
        ("", "ReplicationController") => "replicationcontrollers",
        ("apps", "Deployment") => "deployments",
        ("batch", "Job") => "jobs",
        _ => return None,
    };
    Some(((group.to_string(), plural.to_string()), name.to_string()))
}

/// An object's controller, its controller's controller, and so on (a Pod's ReplicaSet and
/// Deployment), a few levels at most.
fn owner_chain(store: &Store, obj: &Value) -> Vec<Value> {
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut out: Vec<Value> = Vec::new();
    let mut current = obj.clone();
    while out.len() < 3 {
        let Some(owner) = controller_ref(&current)
            .and_then(|(key, name)| get(store, &key.0, &key.1, &(ns.clone(), name)))
        else {
            break;
        };
        out.push(owner.clone());
        current = owner;
    }
    out
}

/// Write options of a controller.
fn opts(manager: &str) -> WriteOptions {
    WriteOptions {
        field_manager: manager.to_string(),
        ..Default::default()
    }
}

/// The resource type of a built-in kind.
fn rt(store: &Store, group: &str, kind: &str) -> Option<Arc<ResourceType>> {
    store.registry.by_kind(group, kind)
}

/// A stored object of a built-in kind.
fn get(store: &Store, group: &str, plural: &str, okey: &ObjKey) -> Option<Value> {
    store
        .get_raw(&(group.to_string(), plural.to_string()), okey)
        .cloned()
}

/// Writes an object of a built-in kind back (`PUT`), its main resource or its status.
fn write(
    store: &mut Store,
    group: &str,
    kind: &str,
    obj: Value,
    part: Part,
    manager: &str,
) -> ApiResult<Written> {
    let rt = rt(store, group, kind)
        .ok_or_else(|| crate::status::ApiError::internal(format!("no built-in kind {kind}")))?;
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let version = rt.preferred().to_string();
    store.update(&rt, &version, &ns, &name, obj, &opts(manager), part)
}

/// Replaces an object's status, if it changed.
fn write_status(store: &mut Store, group: &str, kind: &str, mut obj: Value, status: Value) {
    if obj.get("status") == Some(&status) {
        return;
    }
    obj["status"] = status;
    let _ = write(store, group, kind, obj, Part::Status, CONTROLLER_MANAGER);
}

/// An owner reference naming `owner` as the controller of a dependent.
fn owner_ref(owner: &Value, api_version: &str, kind: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind,
        "name": owner.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
        "uid": owner.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
        "controller": true, "blockOwnerDeletion": true})
}

/// Whether an object names `uid` among its owners.
fn owned_by(obj: &Value, uid: &str) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
        })
}

/// An object's uid.
fn uid_of(obj: &Value) -> &str {
    obj.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Whether a test annotation is `"true"` on an object or on its pod template.
fn annotated(obj: &Value, annotation: &str) -> bool {
    let on = |meta: Option<&Value>| {
        meta.and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(annotation))
            .and_then(Value::as_str)
            == Some("true")
    };
    on(obj.get("metadata")) || on(obj.pointer("/spec/template/metadata"))
}

/// A status condition; `lastTransitionTime` (and the other times) are kept from the current
/// condition of that type when its status did not change, as controllers do.
fn condition(current: Option<&Value>, fields: Value) -> Value {
    let mut c = fields;
    let ty = c.get("type").cloned();
    let previous = current
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|p| p.get("type") == ty.as_ref()));
    let t = now_rfc3339();
    let same_status = previous.is_some_and(|p| p.get("status") == c.get("status"));
    let same_all = same_status
        && previous.is_some_and(|p| {
            p.get("reason") == c.get("reason") && p.get("message") == c.get("message")
        });
    if let Some(m) = c.as_object_mut() {
        for field in ["lastTransitionTime", "lastUpdateTime", "lastProbeTime"] {
            if !m.contains_key(field) {
                continue;
            }
            let keep = match field {
                "lastTransitionTime" => same_status,
                _ => same_all,
            };
            let v = previous
                .filter(|_| keep)
                .and_then(|p| p.get(field).cloned())
                .unwrap_or_else(|| json!(t));
            m.insert(field.to_string(), v);
        }
    }
    c
}

/// The names of the Pods an owner controls, sorted.
fn pods_of(store: &Store, ns: &str, owner_uid: &str) -> Vec<String> {
    let mut names: Vec<String> = store
        .all_of(&("".into(), "pods".into()))
        .filter(|(k, v)| k.0 == ns && owned_by(v, owner_uid))
        .map(|(k, _)| k.1.clone())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests;
