//! The API server's object storage: the objects of every served resource, resourceVersions,
//! and the event log that watches read. Its submodules hold the API semantics on top of it:
//! writes (`write`: create, update, patch, server-side apply, validation, defaults), deletion
//! (`delete`: finalizers, propagation, garbage collection), reads (`list`: get, list, paging)
//! and persistence (`snapshot`). What a controller manager does in a real cluster (making
//! workloads ready, namespace cleanup, CRD establishment) is in [`crate::controllers`],
//! which works through this module's public API.

mod delete;
mod list;
mod snapshot;
mod write;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::defaults::Allocator;
use crate::registry::{Registry, ResourceType};
use crate::status::{ApiError, ApiResult, qualified};
use crate::util::now_rfc3339;

pub use delete::{DeleteOptions, Propagation};
pub use list::{More, Page};

/// `(group, plural)`.
pub type ResKey = (String, String);
/// `(namespace, name)`; namespace is empty for cluster-scoped objects.
pub type ObjKey = (String, String);

/// How many events the log keeps for watches that resume from a resourceVersion.
const LOG_CAPACITY: usize = 20_000;

/// A change, as watches report it.
#[derive(Debug, Clone)]
pub struct Event {
    /// The resourceVersion of the change.
    pub rv: u64,
    /// The resource.
    pub key: ResKey,
    /// The namespace of the object (`""` if cluster-scoped).
    pub namespace: String,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// The object after the change (before, for `DELETED`).
    pub object: Value,
    /// For `MODIFIED`: the labels before the change (a watch with a label selector turns a
    /// change that leaves or enters the selection into `DELETED` or `ADDED`).
    pub old_labels: Option<Value>,
}

/// `fieldValidation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Unknown fields are an error.
    Strict,
    /// Unknown fields are dropped with a warning.
    #[default]
    Warn,
    /// Unknown fields are dropped silently.
    Ignore,
}

/// Options of a write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// The field manager.
    pub field_manager: String,
    /// `fieldValidation`.
    pub field_validation: FieldValidation,
    /// `force` (server-side apply).
    pub force: bool,
}

/// The result of a write.
#[derive(Debug, Clone)]
pub struct Written {
    /// The object as stored (or as it would be, for a dry run).
    pub object: Value,
    /// `Warning` headers to send.
    pub warnings: Vec<String>,
    /// Whether the write created the object.
    pub created: bool,
}

/// Which part of an object a write targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource (status changes are ignored when status is a subresource).
    Main,
    /// The status subresource (only status changes are kept).
    Status,
    /// `namespaces/NAME/finalize` (only `spec.finalizers` changes are kept).
    Finalize,
}

/// The apiserver's allocators: ClusterIPs and NodePorts.
struct Alloc {
    ip: u32,
    port: u16,
}

impl Allocator for Alloc {
    fn cluster_ip(&mut self) -> String {
        self.ip += 1;
        let n = self.ip;
        format!("10.96.{}.{}", (n >> 8) & 0xff, n & 0xff)
    }

    fn node_port(&mut self) -> u16 {
        self.port = if self.port >= 32767 {
            30000
        } else {
            self.port + 1
        };
        self.port
    }
}

/// The whole cluster state.
pub struct Store {
    /// Served resource types.
    pub registry: Registry,
    objects: HashMap<ResKey, BTreeMap<ObjKey, Value>>,
    rv: u64,
    log: VecDeque<Arc<Event>>,
    tx: broadcast::Sender<Arc<Event>>,
    alloc: Alloc,
    /// Bumped on every write, for persistence.
    pub writes: u64,
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
}

fn meta_mut(obj: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object)
        && let Some(m) = obj.as_object_mut()
    {
        m.insert("metadata".into(), json!({}));
    }
    // The branch above guarantees an object at `metadata`.
    crate::util::obj_at(obj, &["metadata"]).expect("metadata is an object")
}

/// The default field manager for a user agent (`kubectl/v1.35.0 (...)` → `kubectl`).
pub fn manager_from_user_agent(ua: &str) -> String {
    let m = ua.split('/').next().unwrap_or_default();
    if m.is_empty() {
        "unknown".to_string()
    } else {
        m.to_string()
    }
}

impl Store {
    /// A fresh cluster: built-in types, the four system namespaces, the `kubernetes` Service,
    /// a default StorageClass (`standard`) and one Ready node. (Each namespace's default ServiceAccount and root CA ConfigMap
    /// come from the controllers, as in a real cluster.)
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        let mut s = Self {
            registry: Registry::builtin(),
            objects: HashMap::new(),
            rv: 0,
            log: VecDeque::new(),
            tx,
            alloc: Alloc { ip: 0, port: 30000 },
            writes: 0,
        };
        let opts = WriteOptions {
            field_manager: "kube-apiserver".into(),
            ..Default::default()
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let _ = s.create_builtin(
                "",
                "Namespace",
                "",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                &opts,
            );
        }
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"ports": [{"name": "https", "port": 443, "targetPort": 6443}]}});
        let _ = s.create_builtin("", "Service", "default", svc, &opts);
        // As on kind, minikube and the clouds: a default class, so claims get a volume.
        let class = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": crate::controllers::PROVISIONER, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"});
        let _ = s.create_builtin("storage.k8s.io", "StorageClass", "", class, &opts);
        let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "emulator-node", "labels": {
                "kubernetes.io/hostname": "emulator-node", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": ""}}});
        if let Ok(w) = s.create_builtin("", "Node", "", node, &opts) {
            let mut n = w.object;
            n["status"] = json!({
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()}],
                "nodeInfo": {"kubeletVersion": kchart_schema::KUBERNETES_VERSION, "operatingSystem": "linux", "architecture": "amd64",
                    "containerRuntimeVersion": "emulator://1", "kernelVersion": "", "osImage": "kchart-emulator", "kubeProxyVersion": "",
                    "machineID": "", "systemUUID": "", "bootID": ""},
                "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "emulator-node"}]
            });
            s.put(
                ("".into(), "nodes".into()),
                ("".into(), "emulator-node".into()),
                n,
                "MODIFIED",
            );
        }
        s
    }

    /// Creates an object of a built-in kind at its preferred version (what controllers and
    /// the bootstrap do).
    pub fn create_builtin(
        &mut self,
        group: &str,
        kind: &str,
        ns: &str,
        obj: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        let rt = self
            .registry
            .by_kind(group, kind)
            .ok_or_else(|| ApiError::internal(format!("no built-in kind {kind}")))?;
        let v = rt.preferred().to_string();
        self.create(&rt, &v, ns, obj, opts)
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// A receiver of all future events.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Events after `rv`, or `None` if the log no longer reaches back that far.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<Event>>> {
        if let Some(first) = self.log.front()
            && first.rv > rv + 1
            && rv < self.rv
        {
            return None;
        }
        // The log is in resourceVersion order: the controllers read its tail every tick.
        let start = self.log.partition_point(|e| e.rv <= rv);
        Some(self.log.range(start..).cloned().collect())
    }

    fn emit(
        &mut self,
        key: ResKey,
        namespace: String,
        kind: &'static str,
        object: Value,
        old_labels: Option<Value>,
    ) {
        let ev = Arc::new(Event {
            rv: self.rv,
            key,
            namespace,
            kind,
            object,
            old_labels,
        });
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(ev.clone());
        let _ = self.tx.send(ev);
    }

    /// Stores an object with a new resourceVersion and emits the event.
    fn put(&mut self, key: ResKey, okey: ObjKey, mut obj: Value, kind: &'static str) -> Value {
        self.rv += 1;
        self.writes += 1;
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
        let old = self
            .objects
            .entry(key.clone())
            .or_default()
            .insert(okey.clone(), obj.clone());
        let old_labels = old.map(|o| {
            o.pointer("/metadata/labels")
                .cloned()
                .unwrap_or(Value::Null)
        });
        self.emit(key, okey.0, kind, obj.clone(), old_labels);
        obj
    }

    fn remove(&mut self, key: &ResKey, okey: &ObjKey) -> Option<Value> {
        let mut obj = self.objects.get_mut(key)?.remove(okey)?;
        self.rv += 1;
        self.writes += 1;
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
        self.emit(key.clone(), okey.0.clone(), "DELETED", obj.clone(), None);
        Some(obj)
    }

    /// A stored object.
    pub fn get_raw(&self, key: &ResKey, okey: &ObjKey) -> Option<&Value> {
        self.objects.get(key)?.get(okey)
    }

    /// Every stored object of a resource, in namespace/name order.
    pub fn all_of(&self, key: &ResKey) -> impl Iterator<Item = (&ObjKey, &Value)> {
        self.objects.get(key).into_iter().flat_map(|m| m.iter())
    }

    /// Number of stored objects.
    pub fn len(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// Whether no object is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(rt: &ResourceType) -> ResKey {
        (rt.group.clone(), rt.plural.clone())
    }

    /// The object as served at a version.
    pub fn present(rt: &ResourceType, version: &str, mut obj: Value) -> Value {
        if let Some(m) = obj.as_object_mut() {
            m.insert("apiVersion".into(), json!(rt.api_version(version)));
            m.insert("kind".into(), json!(rt.kind));
        }
        obj
    }

    fn check_namespace(&self, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<()> {
        if !rt.namespaced {
            return Ok(());
        }
        match self.get_raw(&("".into(), "namespaces".into()), &("".into(), ns.into())) {
            None => Err(ApiError::not_found("", "namespaces", ns)),
            Some(n) if meta_str(n, "deletionTimestamp").is_some() => Err(
                ApiError::forbidden_terminating(&rt.group, &rt.plural, name, ns),
            ),
            Some(_) => Ok(()),
        }
    }

    /// The qualified resource name used in messages (`deployments.apps`).
    pub fn qualified(rt: &ResourceType) -> String {
        qualified(&rt.group, &rt.plural)
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}
