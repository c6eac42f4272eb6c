//! The object store and the object semantics of the API server: create, update, patch,
//! server-side apply, delete (finalizers, propagation, garbage collection), namespaces and
//! their lifecycle, CRDs becoming served, resourceVersions and the event log that watches
//! read, and the small controllers that make workloads ready.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::defaults::{self, Allocator};
use crate::patch::ssa::{self, Entry, FieldSet};
use crate::registry::{Registry, ResourceType};
use crate::selector::{FieldSelector, LabelSelector};
use crate::shape::Shape;
use crate::status::{ApiError, ApiResult, cause, qualified};
use crate::util::{now_rfc3339, random_suffix, uid};
use crate::validate;

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

/// `propagationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Dependents are deleted after the owner.
    #[default]
    Background,
    /// Dependents are deleted before the owner.
    Foreground,
    /// Dependents lose their owner reference.
    Orphan,
}

/// Options of a delete.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `propagationPolicy`.
    pub propagation: Propagation,
    /// `preconditions.uid`.
    pub uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub resource_version: Option<String>,
}

/// `limit` and `continue` of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many items (0: all).
    pub limit: usize,
    /// Start after this object (decoded from the `continue` token).
    pub after: Option<ObjKey>,
}

impl Page {
    /// Parses the `limit` and `continue` query parameters.
    pub fn parse(limit: Option<&str>, cont: Option<&str>) -> ApiResult<Self> {
        use base64::Engine;
        let limit = match limit {
            None | Some("") => 0,
            Some(l) => l
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
        };
        let after = match cont {
            None | Some("") => None,
            Some(c) => {
                let bad =
                    || ApiError::bad_request("continue key is not valid: illegal base64 data");
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(c)
                    .map_err(|_| bad())?;
                let (ns, name): (String, String) =
                    serde_json::from_slice(&raw).map_err(|_| bad())?;
                Some((ns, name))
            }
        };
        Ok(Self { limit, after })
    }

    fn token(key: &ObjKey) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&(&key.0, &key.1)).unwrap_or_default())
    }
}

/// What a paged list says about the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct More {
    /// The `continue` token, if items remain.
    pub token: Option<String>,
    /// `remainingItemCount`.
    pub remaining: Option<usize>,
}

struct Alloc {
    ip: u32,
    port: u16,
    pod: u32,
}

impl Alloc {
    fn pod_ip(&mut self) -> String {
        self.pod += 1;
        let n = self.pod + 1;
        format!("10.244.{}.{}", (n >> 8) & 0xff, n & 0xff)
    }
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

/// A workload waiting to become ready.
#[derive(Debug, Clone)]
struct Pending {
    due: Instant,
    key: ResKey,
    obj: ObjKey,
    generation: i64,
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
    pending: Vec<Pending>,
    /// How long workloads take to become ready.
    pub ready_delay: Duration,
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

/// Whether a kind tracks `metadata.generation`.
fn tracks_generation(rt: &ResourceType) -> bool {
    if rt.crd.is_some() {
        return true;
    }
    rt.status
        && !matches!(
            rt.kind.as_str(),
            "Service" | "Namespace" | "Node" | "PersistentVolume" | "PersistentVolumeClaim"
        )
}

fn without_meta_status(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.shift_remove("metadata");
        m.shift_remove("status");
    }
    c
}

fn without_managed(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("managedFields");
        m.shift_remove("resourceVersion");
    }
    c
}

fn managed_without_times(v: &Value) -> Value {
    let mut m = v
        .pointer("/metadata/managedFields")
        .cloned()
        .unwrap_or(Value::Null);
    if let Value::Array(list) = &mut m {
        for e in list {
            if let Some(o) = e.as_object_mut() {
                o.shift_remove("time");
            }
        }
    }
    m
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

/// The `pod-template-hash` of a workload's template: FNV-1a of its JSON, its decimal digits
/// mapped onto the apiserver's safe alphabet (as the deployment controller names ReplicaSets).
pub fn pod_template_hash(owner: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let tpl = owner
        .pointer("/spec/template")
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut h: u32 = 0x811c_9dc5;
    for b in tpl.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}

/// The status of a Pod the emulator runs (`Running` and Ready, or `Succeeded`).
fn pod_status(pod: &Value, phase: &str, ip: &str) -> Value {
    let t = now_rfc3339();
    let running = phase == "Running";
    let containers: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let state = if running {
                        json!({"running": {"startedAt": t}})
                    } else {
                        json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}})
                    };
                    json!({"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": running, "started": running,
                           "restartCount": 0, "state": state})
                })
                .collect()
        })
        .unwrap_or_default();
    let ready = if running { "True" } else { "False" };
    json!({
        "phase": phase, "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}], "podIP": ip, "podIPs": [{"ip": ip}],
        "startTime": t, "qosClass": "BestEffort",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": t},
            {"type": "Initialized", "status": "True", "lastTransitionTime": t},
            {"type": "ContainersReady", "status": ready, "lastTransitionTime": t},
            {"type": "Ready", "status": ready, "lastTransitionTime": t}
        ],
        "containerStatuses": containers
    })
}

impl Store {
    /// A fresh cluster: built-in types, the four system namespaces, the `kubernetes` Service,
    /// default ServiceAccounts and one Ready node.
    pub fn new(ready_delay: Duration) -> Self {
        let (tx, _) = broadcast::channel(4096);
        let mut s = Self {
            registry: Registry::builtin(),
            objects: HashMap::new(),
            rv: 0,
            log: VecDeque::new(),
            tx,
            alloc: Alloc {
                ip: 0,
                port: 30000,
                pod: 0,
            },
            pending: Vec::new(),
            ready_delay,
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

    fn create_builtin(
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
        Some(self.log.iter().filter(|e| e.rv > rv).cloned().collect())
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

    fn check_type(rt: &ResourceType, version: &str, obj: &Value) -> ApiResult<()> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(format!(
                "{} in version {version:?} cannot be handled as a {}: the object must be a JSON object",
                rt.kind, rt.kind
            )));
        }
        if let Some(k) = obj.get("kind").and_then(Value::as_str)
            && k != rt.kind
        {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({}) of the request",
                rt.kind
            )));
        }
        if let Some(av) = obj.get("apiVersion").and_then(Value::as_str)
            && av != rt.api_version(version)
        {
            let (g, _) = av.split_once('/').unwrap_or(("", av));
            if g != rt.group {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    rt.api_version(version)
                )));
            }
        }
        Ok(())
    }

    fn field_validation(
        rt: &ResourceType,
        version: &str,
        obj: &mut Value,
        mode: FieldValidation,
    ) -> ApiResult<Vec<String>> {
        let shape = rt.shape(version);
        if matches!(shape, Shape::Unknown) {
            return Ok(Vec::new());
        }
        let unknown = validate::unknown_fields(obj, shape);
        let mut warnings = Vec::new();
        if !unknown.is_empty() {
            match mode {
                FieldValidation::Strict => {
                    let list: Vec<String> = unknown
                        .iter()
                        .map(|u| format!("unknown field {u:?}"))
                        .collect();
                    return Err(ApiError::bad_request(format!(
                        "{} in version {version:?} cannot be handled as a {}: strict decoding error: {}",
                        rt.kind,
                        rt.kind,
                        list.join(", ")
                    )));
                }
                FieldValidation::Warn => {
                    warnings = unknown
                        .iter()
                        .map(|u| format!("unknown field {u:?}"))
                        .collect()
                }
                FieldValidation::Ignore => {}
            }
            validate::prune(obj, shape);
        }
        Ok(warnings)
    }

    fn validate_object(rt: &ResourceType, name: &str, obj: &Value) -> ApiResult<()> {
        if rt.crd.is_some() {
            return Ok(());
        }
        let causes = validate::object(&rt.group, &rt.kind, obj);
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&rt.group, &rt.kind, name, causes))
        }
    }

    /// Creates an object (`POST`); with `apply_fields`, records them as the Apply ownership of
    /// `opts.field_manager` instead of Update ownership of everything.
    pub fn create(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        obj: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        self.create_inner(rt, version, ns, obj, opts, None)
    }

    fn create_inner(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        mut obj: Value,
        opts: &WriteOptions,
        apply_fields: Option<FieldSet>,
    ) -> ApiResult<Written> {
        Self::check_type(rt, version, &obj)?;
        let ns = if rt.namespaced { ns } else { "" };
        if rt.namespaced
            && let Some(body_ns) = meta_str(&obj, "namespace")
            && !body_ns.is_empty()
            && body_ns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let mut name = meta_str(&obj, "name").unwrap_or_default().to_string();
        if name.is_empty()
            && let Some(gn) = meta_str(&obj, "generateName")
        {
            name = format!("{gn}{}", random_suffix(5));
        }
        // Reviews and bindings are never stored and need no name.
        if rt.stored
            && let Some(c) = validate::name(&rt.group, &rt.kind, &name)
        {
            return Err(ApiError::invalid(&rt.group, &rt.kind, &name, vec![c]));
        }
        self.check_namespace(rt, ns, &name)?;
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.clone());
        if rt.stored && self.get_raw(&key, &okey).is_some() {
            return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
        }
        let warnings = Self::field_validation(rt, version, &mut obj, opts.field_validation)?;
        obj = Self::present(rt, version, obj);
        {
            let m = meta_mut(&mut obj);
            m.insert("name".into(), json!(name));
            if rt.namespaced {
                m.insert("namespace".into(), json!(ns));
            } else {
                m.shift_remove("namespace");
            }
            m.insert("uid".into(), json!(uid()));
            m.insert("creationTimestamp".into(), json!(now_rfc3339()));
            for f in [
                "resourceVersion",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "selfLink",
                "managedFields",
            ] {
                m.shift_remove(f);
            }
            if tracks_generation(rt) {
                m.insert("generation".into(), json!(1));
            } else {
                m.shift_remove("generation");
            }
        }
        if rt.status
            && let Some(m) = obj.as_object_mut()
        {
            m.shift_remove("status");
        }
        if !rt.stored {
            // No authorization: every review says yes, and who asks is the cluster admin.
            match rt.kind.as_str() {
                "SelfSubjectRulesReview" => {
                    obj["status"] = json!({
                        "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                        "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                        "incomplete": false
                    });
                }
                "SelfSubjectReview" => {
                    obj["status"] = json!({"userInfo": {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}});
                }
                _ if rt.group == "authorization.k8s.io" => {
                    obj["status"] =
                        json!({"allowed": true, "reason": "kchart-emulator allows everything"});
                }
                _ => {}
            }
            return Ok(Written {
                object: obj,
                warnings,
                created: true,
            });
        }
        if rt.group.is_empty() && rt.kind == "Namespace" {
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
        }
        defaults::apply(&rt.group, &rt.kind, &mut obj, &mut self.alloc);
        if rt.group == "apiextensions.k8s.io" && rt.kind == "CustomResourceDefinition" {
            Self::crd_status(&mut obj);
        }
        Self::validate_object(rt, &name, &obj)?;
        let shape = rt.shape(version);
        let entry = match apply_fields {
            Some(fields) => Entry {
                manager: opts.field_manager.clone(),
                operation: "Apply".into(),
                api_version: rt.api_version(version),
                time: now_rfc3339(),
                fields,
                subresource: None,
            },
            None => Entry {
                manager: opts.field_manager.clone(),
                operation: "Update".into(),
                api_version: rt.api_version(version),
                time: now_rfc3339(),
                fields: ssa::fields_of(&obj, shape, rt.status),
                subresource: None,
            },
        };
        ssa::set_entries(&mut obj, &[entry]);
        if opts.dry_run {
            return Ok(Written {
                object: obj,
                warnings,
                created: true,
            });
        }
        let stored = self.put(key.clone(), okey.clone(), obj, "ADDED");
        self.after_write(rt, &key, &okey, None, &stored);
        Ok(Written {
            object: stored,
            warnings,
            created: true,
        })
    }

    fn crd_status(obj: &mut Value) {
        let t = now_rfc3339();
        let names = obj.pointer("/spec/names").cloned().unwrap_or(json!({}));
        let stored: Vec<Value> = obj
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter(|v| v.get("storage") == Some(&json!(true)))
                    .filter_map(|v| v.get("name").cloned())
                    .collect()
            })
            .unwrap_or_default();
        obj["status"] = json!({
            "acceptedNames": names,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": t},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": t}
            ],
            "storedVersions": stored
        });
    }

    /// Side effects of a stored write: CRDs served, namespaces populated, workloads scheduled.
    fn after_write(
        &mut self,
        rt: &ResourceType,
        key: &ResKey,
        okey: &ObjKey,
        old: Option<&Value>,
        new: &Value,
    ) {
        match (rt.group.as_str(), rt.kind.as_str()) {
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                let _ = self.registry.register_crd(new);
            }
            ("", "Namespace") if old.is_none() => {
                let opts = WriteOptions {
                    field_manager: "kube-controller-manager".into(),
                    ..Default::default()
                };
                let ns = okey.1.clone();
                let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
                let _ = self.create_builtin("", "ServiceAccount", &ns, sa, &opts);
                let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                    "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nkchart-emulator\n-----END CERTIFICATE-----\n"}});
                let _ = self.create_builtin("", "ConfigMap", &ns, cm, &opts);
            }
            ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
            | ("batch", "Job")
            | ("", "Pod" | "ReplicationController") => {
                let gen_new = new
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                let gen_old = old
                    .and_then(|o| o.pointer("/metadata/generation"))
                    .and_then(Value::as_i64);
                if gen_old != Some(gen_new) {
                    self.pending.retain(|p| !(p.key == *key && p.obj == *okey));
                    self.pending.push(Pending {
                        due: Instant::now() + self.ready_delay,
                        key: key.clone(),
                        obj: okey.clone(),
                        generation: gen_new,
                    });
                }
            }
            _ => {}
        }
    }

    /// Replaces an object (`PUT`), or its status or finalizers.
    #[expect(clippy::too_many_arguments, reason = "mirrors the PUT request")]
    pub fn update(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        obj: Value,
        opts: &WriteOptions,
        part: Part,
    ) -> ApiResult<Written> {
        self.update_inner(rt, version, ns, name, obj, opts, part, None)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "internal write path shared by update, patch and apply"
    )]
    fn update_inner(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        mut obj: Value,
        opts: &WriteOptions,
        part: Part,
        preset_entries: Option<Vec<Entry>>,
    ) -> ApiResult<Written> {
        Self::check_type(rt, version, &obj)?;
        let ns = if rt.namespaced { ns } else { "" };
        if let Some(n) = meta_str(&obj, "name")
            && n != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        if rt.namespaced
            && let Some(body_ns) = meta_str(&obj, "namespace")
            && !body_ns.is_empty()
            && body_ns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let old = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        if let Some(rv) = meta_str(&obj, "resourceVersion")
            && !rv.is_empty()
            && Some(rv) != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        let warnings = Self::field_validation(rt, version, &mut obj, opts.field_validation)?;
        obj = Self::present(rt, version, obj);
        let mut new = match part {
            Part::Main => {
                if rt.status {
                    let mut n = obj;
                    match old.get("status") {
                        Some(s) => n["status"] = s.clone(),
                        None => {
                            if let Some(m) = n.as_object_mut() {
                                m.shift_remove("status");
                            }
                        }
                    }
                    n
                } else {
                    obj
                }
            }
            Part::Status => {
                let mut n = Self::present(rt, version, old.clone());
                match obj.get("status") {
                    Some(s) => n["status"] = s.clone(),
                    None => {
                        if let Some(m) = n.as_object_mut() {
                            m.shift_remove("status");
                        }
                    }
                }
                if let Some(mf) = obj.pointer("/metadata/managedFields") {
                    meta_mut(&mut n).insert("managedFields".into(), mf.clone());
                }
                n
            }
            Part::Finalize => {
                let mut n = Self::present(rt, version, old.clone());
                let f = obj
                    .pointer("/spec/finalizers")
                    .cloned()
                    .unwrap_or(json!([]));
                n["spec"] = json!({"finalizers": f});
                n
            }
        };
        {
            let om = old.get("metadata").cloned().unwrap_or(json!({}));
            let m = meta_mut(&mut new);
            for f in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            ] {
                match om.get(f) {
                    Some(v) => {
                        m.insert(f.into(), v.clone());
                    }
                    None => {
                        m.shift_remove(f);
                    }
                }
            }
            m.insert("name".into(), json!(name));
            if rt.namespaced {
                m.insert("namespace".into(), json!(ns));
            }
            m.shift_remove("resourceVersion");
        }
        if rt.kind == "Namespace" && part == Part::Main {
            new["status"] = old
                .get("status")
                .cloned()
                .unwrap_or(json!({"phase": "Active"}));
        }
        defaults::apply(&rt.group, &rt.kind, &mut new, &mut self.alloc);
        if rt.kind == "Service" && rt.group.is_empty() {
            // clusterIP is immutable once allocated: keep the old one if the update dropped it.
            for f in ["clusterIP", "clusterIPs"] {
                if let Some(v) = old.pointer(&format!("/spec/{f}")) {
                    new["spec"][f] = v.clone();
                }
            }
        }
        if rt.group == "apiextensions.k8s.io"
            && rt.kind == "CustomResourceDefinition"
            && old.get("status").is_some()
        {
            Self::crd_status(&mut new);
        }
        Self::validate_object(rt, name, &new)?;
        if tracks_generation(rt) && without_meta_status(&old) != without_meta_status(&new) {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1;
            meta_mut(&mut new).insert("generation".into(), json!(g));
        }
        // Managed fields: a preset list (apply), or the client's own edit of them, or the
        // ownership of what this update changed.
        let shape = rt.shape(version);
        let mut entries = match preset_entries {
            Some(e) => e,
            None => {
                let client_set = new.pointer("/metadata/managedFields").cloned();
                let old_set = old.pointer("/metadata/managedFields").cloned();
                let base = if client_set.is_some() && client_set != old_set {
                    ssa::entries(&new)
                } else {
                    ssa::entries(&old)
                };
                let changed =
                    ssa::changed_fields(Some(&old), &new, shape, rt.status && part == Part::Main);
                let sub = (part == Part::Status).then(|| "status".to_string());
                let mut list = base;
                for e in list.iter_mut() {
                    e.fields.subtract(&changed);
                }
                if !changed.is_empty() {
                    let av = rt.api_version(version);
                    match list.iter_mut().find(|e| {
                        e.manager == opts.field_manager
                            && e.operation == "Update"
                            && e.api_version == av
                            && e.subresource == sub
                    }) {
                        Some(e) => {
                            e.fields.union(&changed);
                            e.time = now_rfc3339();
                        }
                        None => list.push(Entry {
                            manager: opts.field_manager.clone(),
                            operation: "Update".into(),
                            api_version: av,
                            time: now_rfc3339(),
                            fields: changed,
                            subresource: sub,
                        }),
                    }
                }
                list
            }
        };
        ssa::prune_missing(&mut entries, &new);
        ssa::set_entries(&mut new, &entries);
        let unchanged = without_managed(&new) == without_managed(&old)
            && managed_without_times(&new) == managed_without_times(&old);
        if unchanged && !Self::deletion_done(&new) {
            return Ok(Written {
                object: old,
                warnings,
                created: false,
            });
        }
        if opts.dry_run {
            let mut n = new;
            meta_mut(&mut n).insert(
                "resourceVersion".into(),
                old.pointer("/metadata/resourceVersion")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            return Ok(Written {
                object: n,
                warnings,
                created: false,
            });
        }
        if Self::deletion_done(&new) {
            let gone = self
                .finish_delete(rt, &key, &okey, Propagation::Background)
                .unwrap_or(new);
            return Ok(Written {
                object: gone,
                warnings,
                created: false,
            });
        }
        let stored = self.put(key.clone(), okey.clone(), new, "MODIFIED");
        self.after_write(rt, &key, &okey, Some(&old), &stored);
        Ok(Written {
            object: stored,
            warnings,
            created: false,
        })
    }

    /// Whether an object marked for deletion has no finalizers left.
    fn deletion_done(obj: &Value) -> bool {
        if meta_str(obj, "deletionTimestamp").is_none() {
            return false;
        }
        let empty = |v: Option<&Value>| v.and_then(Value::as_array).is_none_or(Vec::is_empty);
        let spec_done = obj.get("kind").and_then(Value::as_str) != Some("Namespace")
            || empty(obj.pointer("/spec/finalizers"));
        empty(obj.pointer("/metadata/finalizers")) && spec_done
    }

    /// Applies a patch body of a content type to the current object and writes the result.
    #[expect(clippy::too_many_arguments, reason = "mirrors the PATCH request")]
    pub fn patch(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        content_type: &str,
        body: &[u8],
        opts: &WriteOptions,
        part: Part,
    ) -> ApiResult<Written> {
        let ns = if rt.namespaced { ns } else { "" };
        if content_type == "application/apply-patch+yaml"
            || content_type == "application/apply-patch+cbor"
        {
            return self.apply(rt, version, ns, name, body, opts, part);
        }
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let current = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        let current = Self::present(rt, version, current);
        let patch: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
        let patched = match content_type {
            "application/json-patch+json" => {
                let mut doc = current.clone();
                crate::patch::json::apply(&mut doc, &patch)
                    .map_err(|e| ApiError::new(422, "Invalid", e))?;
                doc
            }
            "application/merge-patch+json" => {
                if !patch.is_object() {
                    return Err(ApiError::bad_request("merge patch must be a JSON object"));
                }
                let mut doc = current.clone();
                crate::patch::merge::apply(&mut doc, &patch);
                doc
            }
            "application/strategic-merge-patch+json" => {
                if rt.crd.is_some() {
                    return Err(ApiError::unsupported_media_type(content_type));
                }
                let node = rt.shape(version).node();
                crate::patch::smp::apply(&current, &patch, node)
                    .map_err(|e| ApiError::new(422, "Invalid", e))?
            }
            other => return Err(ApiError::unsupported_media_type(other)),
        };
        let mut patched = patched;
        // A patch that does not name a resourceVersion must not conflict on it.
        if meta_str(&patched, "resourceVersion") == meta_str(&current, "resourceVersion") {
            meta_mut(&mut patched).shift_remove("resourceVersion");
        }
        self.update_inner(rt, version, ns, name, patched, opts, part, None)
    }

    /// Server-side apply.
    #[expect(clippy::too_many_arguments, reason = "mirrors the PATCH request")]
    fn apply(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        body: &[u8],
        opts: &WriteOptions,
        part: Part,
    ) -> ApiResult<Written> {
        let applied: Value = serde_yaml_ng::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
        if !applied.is_object() {
            return Err(ApiError::bad_request("apply patch must be an object"));
        }
        if opts.field_manager.is_empty() || opts.field_manager == "unknown" {
            return Err(ApiError::bad_request(
                "fieldManager is required for apply requests",
            ));
        }
        for f in ["apiVersion", "kind"] {
            if applied
                .get(f)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(ApiError::bad_request(format!(
                    "{f} must be set in an apply request"
                )));
            }
        }
        let mut applied = applied;
        Self::field_validation(rt, version, &mut applied, opts.field_validation)?;
        if let Some(n) = meta_str(&applied, "name")
            && n != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        let shape = rt.shape(version);
        let skip_status = rt.status && part == Part::Main;
        let applied_set = ssa::fields_of(&applied, shape, skip_status);
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let Some(current) = self.get_raw(&key, &okey).cloned() else {
            let mut obj = applied;
            meta_mut(&mut obj).insert("name".into(), json!(name));
            return self.create_inner(rt, version, ns, obj, opts, Some(applied_set));
        };
        let current = Self::present(rt, version, current);
        let mut entries = ssa::entries(&current);
        let conflicts = ssa::conflicts(
            &current,
            &applied,
            &applied_set,
            &opts.field_manager,
            &entries,
        );
        if !conflicts.is_empty() && !opts.force {
            let causes = conflicts
                .iter()
                .map(|c| {
                    cause(
                        "FieldManagerConflict",
                        &ssa::render_path(&c.path),
                        format!("conflict with \"{}\" using {}", c.manager, c.api_version),
                    )
                })
                .collect();
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                ssa::conflict_message(&conflicts),
                causes,
            ));
        }
        let mut applied_body = applied.clone();
        if let Some(m) = applied_body
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            m.shift_remove("resourceVersion");
            m.shift_remove("managedFields");
        }
        let mut merged = ssa::merge(&current, &applied_body, shape);
        let previous = entries
            .iter()
            .find(|e| e.manager == opts.field_manager && e.operation == "Apply")
            .map(|e| e.fields.clone())
            .unwrap_or_default();
        let mut removed = previous;
        removed.subtract(&applied_set);
        // List elements go first (removing one removes what it holds), shortest first; then
        // fields, deepest first; a map still holding other managers' keys stays.
        let mut paths = removed.paths();
        paths.sort_by_key(|p| {
            let element = p
                .last()
                .is_some_and(|l| l.starts_with("k:") || l.starts_with("v:"));
            if element {
                (0, p.len() as i64)
            } else {
                (1, -(p.len() as i64))
            }
        });
        for p in paths {
            let owned_by_other = entries.iter().any(|e| {
                !(e.manager == opts.field_manager && e.operation == "Apply")
                    && e.fields.contains(&p)
            });
            let still_holds = match ssa::value_at(&merged, &p) {
                Some(Value::Object(m)) => {
                    !m.is_empty() && !p.last().is_some_and(|l| l.starts_with("k:"))
                }
                _ => false,
            };
            if !owned_by_other && !still_holds {
                ssa::remove_at(&mut merged, &p);
            }
        }
        if opts.force {
            let mut taken = FieldSet::default();
            for c in &conflicts {
                taken.insert(&c.path);
            }
            for e in entries.iter_mut() {
                e.fields.subtract(&taken);
            }
        }
        let av = rt.api_version(version);
        let sub = (part == Part::Status).then(|| "status".to_string());
        entries.retain(|e| {
            !(e.manager == opts.field_manager && e.operation == "Apply" && e.subresource == sub)
        });
        entries.push(Entry {
            manager: opts.field_manager.clone(),
            operation: "Apply".into(),
            api_version: av,
            time: now_rfc3339(),
            fields: applied_set,
            subresource: sub,
        });
        meta_mut(&mut merged).shift_remove("resourceVersion");
        self.update_inner(rt, version, ns, name, merged, opts, part, Some(entries))
    }

    /// Deletes an object; returns the object (with `deletionTimestamp` if finalizers hold it)
    /// and whether it is gone.
    pub fn delete(
        &mut self,
        rt: &Arc<ResourceType>,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<(Value, bool)> {
        let ns = if rt.namespaced { ns } else { "" };
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let old = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        if let Some(u) = &opts.uid
            && Some(u.as_str()) != meta_str(&old, "uid")
        {
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                format!(
                    "Precondition failed: UID in precondition: {u}, UID in object meta: {}",
                    meta_str(&old, "uid").unwrap_or_default()
                ),
                Vec::new(),
            ));
        }
        if let Some(rv) = &opts.resource_version
            && Some(rv.as_str()) != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta_str(&old, "resourceVersion").unwrap_or_default()
                ),
                Vec::new(),
            ));
        }
        if opts.dry_run {
            return Ok((old, false));
        }
        let has_finalizers = old
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        let is_ns = rt.group.is_empty() && rt.kind == "Namespace";
        if is_ns || has_finalizers {
            if meta_str(&old, "deletionTimestamp").is_some() {
                return Ok((old, false));
            }
            let mut marked = old.clone();
            meta_mut(&mut marked).insert("deletionTimestamp".into(), json!(now_rfc3339()));
            meta_mut(&mut marked).insert("deletionGracePeriodSeconds".into(), json!(0));
            if is_ns {
                marked["status"] = json!({"phase": "Terminating"});
            }
            let stored = self.put(key, okey, marked, "MODIFIED");
            return Ok((stored, false));
        }
        match self.finish_delete(rt, &key, &okey, opts.propagation) {
            Some(v) => Ok((v, true)),
            None => Err(ApiError::not_found(&rt.group, &rt.plural, name)),
        }
    }

    /// Removes an object for good and collects its dependents.
    fn finish_delete(
        &mut self,
        rt: &ResourceType,
        key: &ResKey,
        okey: &ObjKey,
        propagation: Propagation,
    ) -> Option<Value> {
        let uid = self
            .get_raw(key, okey)
            .and_then(|o| meta_str(o, "uid"))
            .map(String::from);
        if propagation == Propagation::Foreground
            && let Some(u) = &uid
        {
            self.collect_dependents(u, propagation);
        }
        let gone = self.remove(key, okey)?;
        self.pending.retain(|p| !(p.key == *key && p.obj == *okey));
        if let Some(u) = &uid {
            match propagation {
                Propagation::Orphan => self.orphan_dependents(u),
                _ => self.collect_dependents(u, Propagation::Background),
            }
        }
        if rt.group == "apiextensions.k8s.io"
            && rt.kind == "CustomResourceDefinition"
            && let Some(t) = self.registry.unregister_crd(&okey.1)
        {
            {
                let k = (t.group.clone(), t.plural.clone());
                let keys: Vec<ObjKey> = self.all_of(&k).map(|(o, _)| o.clone()).collect();
                for o in keys {
                    self.remove(&k, &o);
                }
                self.objects.remove(&k);
            }
        }
        Some(gone)
    }

    fn dependents(&self, owner_uid: &str) -> Vec<(ResKey, ObjKey)> {
        let mut out = Vec::new();
        for (k, objs) in &self.objects {
            for (o, v) in objs {
                let owned = v
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
                    });
                if owned {
                    out.push((k.clone(), o.clone()));
                }
            }
        }
        out
    }

    fn collect_dependents(&mut self, owner_uid: &str, propagation: Propagation) {
        for (k, o) in self.dependents(owner_uid) {
            let rt = self
                .registry
                .types()
                .iter()
                .find(|t| t.group == k.0 && t.plural == k.1)
                .cloned();
            if let Some(rt) = rt {
                self.finish_delete(&rt, &k, &o, propagation);
            } else {
                self.remove(&k, &o);
            }
        }
    }

    fn orphan_dependents(&mut self, owner_uid: &str) {
        for (k, o) in self.dependents(owner_uid) {
            if let Some(mut v) = self.get_raw(&k, &o).cloned() {
                if let Some(Value::Array(refs)) = v.pointer_mut("/metadata/ownerReferences") {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
                }
                self.put(k, o, v, "MODIFIED");
            }
        }
    }

    /// Objects of a resource in a namespace (all namespaces if `None`) matching selectors.
    pub fn list(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Vec<Value> {
        let key = Self::key(rt);
        self.all_of(&key)
            .filter(|((n, _), _)| ns.is_none_or(|want| want == n))
            .filter(|(_, v)| labels.matches(v.pointer("/metadata/labels")) && fields.matches(v))
            .map(|(_, v)| Self::present(rt, version, v.clone()))
            .collect()
    }

    fn select<'a>(
        &'a self,
        rt: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        page: &Page,
    ) -> (Vec<&'a Value>, More) {
        use std::ops::Bound;
        let key = Self::key(rt);
        let Some(map) = self.objects.get(&key) else {
            return (Vec::new(), More::default());
        };
        let lower = match &page.after {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        let mut matching = map
            .range((lower, Bound::Unbounded))
            .filter(|((n, _), _)| ns.is_none_or(|want| want == n))
            .filter(|(_, v)| labels.matches(v.pointer("/metadata/labels")) && fields.matches(v));
        let mut out = Vec::new();
        let mut last = None;
        for (k, v) in matching.by_ref() {
            if page.limit > 0 && out.len() == page.limit {
                // One more exists: count the rest and hand out a token.
                let remaining = 1 + matching.count();
                return (
                    out,
                    More {
                        token: last.map(Page::token),
                        remaining: Some(remaining),
                    },
                );
            }
            out.push(v);
            last = Some(k);
        }
        (out, More::default())
    }

    /// One page of a list, objects as served at a version.
    pub fn list_paged(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        page: &Page,
    ) -> (Vec<Value>, More) {
        let (items, more) = self.select(rt, ns, labels, fields, page);
        (
            items
                .into_iter()
                .map(|v| Self::present(rt, version, v.clone()))
                .collect(),
            more,
        )
    }

    /// The JSON body of a list (`kind: XList`), serialized straight from the stored objects
    /// without copying them: built-in items carry no apiVersion/kind (as typed lists on the
    /// wire), custom resources carry the requested version.
    pub fn list_json(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        page: &Page,
    ) -> Vec<u8> {
        struct Item<'a> {
            obj: &'a Value,
            api_version: Option<&'a str>,
            kind: &'a str,
        }
        impl serde::Serialize for Item<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let Some(m) = self.obj.as_object() else {
                    return self.obj.serialize(s);
                };
                let mut out = s.serialize_map(None)?;
                if let Some(av) = self.api_version {
                    out.serialize_entry("apiVersion", av)?;
                    out.serialize_entry("kind", self.kind)?;
                }
                for (k, v) in m {
                    if k != "apiVersion" && k != "kind" {
                        out.serialize_entry(k, v)?;
                    }
                }
                out.end()
            }
        }
        let av = rt.api_version(version);
        let (selected, more) = self.select(rt, ns, labels, fields, page);
        let items: Vec<Item<'_>> = selected
            .into_iter()
            .map(|v| Item {
                obj: v,
                api_version: rt.crd.is_some().then_some(av.as_str()),
                kind: &rt.kind,
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Meta {
            #[serde(rename = "resourceVersion")]
            resource_version: String,
            #[serde(rename = "continue", skip_serializing_if = "Option::is_none")]
            token: Option<String>,
            #[serde(rename = "remainingItemCount", skip_serializing_if = "Option::is_none")]
            remaining: Option<usize>,
        }
        #[derive(serde::Serialize)]
        struct List<'a> {
            #[serde(rename = "apiVersion")]
            api_version: &'a str,
            kind: &'a str,
            metadata: Meta,
            items: Vec<Item<'a>>,
        }
        let list = List {
            api_version: &av,
            kind: &rt.list_kind,
            metadata: Meta {
                resource_version: self.rv.to_string(),
                token: more.token,
                remaining: more.remaining,
            },
            items,
        };
        serde_json::to_vec(&list).unwrap_or_default()
    }

    /// One object as served at a version.
    pub fn get(&self, rt: &ResourceType, version: &str, ns: &str, name: &str) -> ApiResult<Value> {
        let ns = if rt.namespaced { ns } else { "" };
        self.get_raw(&Self::key(rt), &(ns.to_string(), name.to_string()))
            .map(|v| Self::present(rt, version, v.clone()))
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// Runs the controllers once: terminating namespaces are emptied and removed, workloads
    /// whose delay has passed become ready.
    pub fn tick(&mut self) {
        let now = Instant::now();
        let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due <= now);
        self.pending = later;
        for p in due {
            self.make_ready(&p);
        }
        let terminating: Vec<ObjKey> = self
            .all_of(&("".into(), "namespaces".into()))
            .filter(|(_, v)| meta_str(v, "deletionTimestamp").is_some())
            .map(|(k, _)| k.clone())
            .collect();
        for nk in terminating {
            self.finalize_namespace(&nk.1);
        }
    }

    /// Whether any controller work is waiting.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn finalize_namespace(&mut self, ns: &str) {
        let keys: Vec<ResKey> = self.objects.keys().cloned().collect();
        for k in keys {
            let inside: Vec<ObjKey> = self
                .all_of(&k)
                .filter(|(o, _)| o.0 == ns)
                .map(|(o, _)| o.clone())
                .collect();
            for o in inside {
                self.remove(&k, &o);
            }
        }
        let nkey: ResKey = ("".into(), "namespaces".into());
        let okey: ObjKey = ("".into(), ns.into());
        let Some(mut n) = self.get_raw(&nkey, &okey).cloned() else {
            return;
        };
        let has_spec_finalizers = n
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if has_spec_finalizers {
            n["spec"]["finalizers"] = json!([]);
            n = self.put(nkey.clone(), okey.clone(), n, "MODIFIED");
        }
        if Self::deletion_done(&n) {
            self.remove(&nkey, &okey);
        }
    }

    /// What the built-in controllers create under a workload once it is ready: a ReplicaSet
    /// (and old ones scaled to zero) for a Deployment, Pods for ReplicaSets, StatefulSets,
    /// DaemonSets and Jobs. Returns the current ReplicaSet's name for a Deployment.
    fn reconcile_children(
        &mut self,
        kind: &str,
        okey: &ObjKey,
        owner: &Value,
        replicas: i64,
    ) -> Option<String> {
        let ns = okey.0.clone();
        let name = okey.1.clone();
        let owner_ref = |api_version: &str, kind: &str| {
            json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": owner.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
                     "controller": true, "blockOwnerDeletion": true}])
        };
        let template = owner
            .pointer("/spec/template")
            .cloned()
            .unwrap_or(json!({}));
        match kind {
            "Deployment" => {
                let rs_key: ResKey = ("apps".into(), "replicasets".into());
                let owner_uid = owner
                    .pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                // A ReplicaSet whose template is the Deployment's (ignoring the hash label) is
                // reused, as after `kubectl rollout undo`.
                let without_hash = |t: &Value| {
                    let mut t = t.clone();
                    if let Some(l) = t
                        .pointer_mut("/metadata/labels")
                        .and_then(Value::as_object_mut)
                    {
                        l.shift_remove("pod-template-hash");
                    }
                    t
                };
                let reused = self
                    .all_of(&rs_key)
                    .filter(|(k, _)| k.0 == ns)
                    .filter(|(_, v)| {
                        v.pointer("/metadata/ownerReferences")
                            .and_then(Value::as_array)
                            .is_some_and(|r| {
                                r.iter().any(|o| {
                                    o.get("uid").and_then(Value::as_str) == Some(owner_uid.as_str())
                                })
                            })
                    })
                    .find(|(_, v)| {
                        v.pointer("/spec/template").map(without_hash)
                            == Some(without_hash(&template))
                    })
                    .and_then(|(_, v)| {
                        v.pointer("/spec/template/metadata/labels/pod-template-hash")
                            .and_then(Value::as_str)
                            .map(String::from)
                    });
                let hash = reused.unwrap_or_else(|| pod_template_hash(owner));
                let rs_name = format!("{name}-{hash}");
                let mut revision = 0;
                let mut old_sets = Vec::new();
                for (k, v) in self.all_of(&rs_key) {
                    let owned = v
                        .pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(|r| {
                            r.iter().any(|o| {
                                o.get("uid").and_then(Value::as_str) == Some(owner_uid.as_str())
                            })
                        });
                    if owned && k.0 == ns {
                        let rev = v
                            .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                            .and_then(Value::as_str)
                            .and_then(|r| r.parse::<i64>().ok())
                            .unwrap_or(0);
                        revision = revision.max(rev);
                        if k.1 != rs_name {
                            old_sets.push((k.clone(), rev));
                        }
                    }
                }
                for (k, _) in &old_sets {
                    self.scale_replica_set(k, 0);
                }
                let limit = owner
                    .pointer("/spec/revisionHistoryLimit")
                    .and_then(Value::as_i64)
                    .unwrap_or(10)
                    .max(0) as usize;
                let mut by_age = old_sets.clone();
                by_age.sort_by_key(|(_, rev)| *rev);
                while by_age.len() > limit {
                    let (k, _) = by_age.remove(0);
                    let _ = self.finish_delete_builtin("apps", "ReplicaSet", &k);
                }
                let rs_okey: ObjKey = (ns.clone(), rs_name.clone());
                if self.get_raw(&rs_key, &rs_okey).is_some() {
                    let current = self
                        .get_raw(&rs_key, &rs_okey)
                        .and_then(|v| {
                            v.pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                                .and_then(Value::as_str)
                        })
                        .and_then(|r| r.parse::<i64>().ok())
                        .unwrap_or(0);
                    if current < revision
                        && let Some(mut v) = self.get_raw(&rs_key, &rs_okey).cloned()
                    {
                        v["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
                            json!((revision + 1).to_string());
                        self.put(rs_key.clone(), rs_okey.clone(), v, "MODIFIED");
                    }
                    self.scale_replica_set(&rs_okey, replicas);
                } else {
                    let mut tpl = template;
                    tpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
                    let mut selector = owner
                        .pointer("/spec/selector")
                        .cloned()
                        .unwrap_or(json!({}));
                    selector["matchLabels"]["pod-template-hash"] = json!(hash);
                    let labels = tpl
                        .pointer("/metadata/labels")
                        .cloned()
                        .unwrap_or(json!({}));
                    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "metadata": {"name": rs_name, "labels": labels, "ownerReferences": owner_ref("apps/v1", "Deployment"),
                            "annotations": {"deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                                            "deployment.kubernetes.io/max-replicas": (replicas + (replicas + 3) / 4).to_string(),
                                            "deployment.kubernetes.io/revision": (revision + 1).to_string()}},
                        "spec": {"replicas": replicas, "selector": selector, "template": tpl}});
                    let opts = WriteOptions {
                        field_manager: "kube-controller-manager".into(),
                        ..Default::default()
                    };
                    if self
                        .create_builtin("apps", "ReplicaSet", &ns, rs, &opts)
                        .is_ok()
                    {
                        self.pending
                            .retain(|p| !(p.key == rs_key && p.obj == rs_okey));
                        self.scale_replica_set(&rs_okey, replicas);
                    }
                }
                Some(rs_name)
            }
            "ReplicaSet" => {
                self.scale_replica_set(okey, replicas);
                None
            }
            "StatefulSet" => {
                let names: Vec<String> = (0..replicas.max(0))
                    .map(|i| format!("{name}-{i}"))
                    .collect();
                self.ensure_pods(
                    &ns,
                    &template,
                    owner_ref("apps/v1", "StatefulSet"),
                    &names,
                    "Running",
                );
                None
            }
            "DaemonSet" => {
                let existing = self.pods_owned_by(owner);
                let names = if existing.is_empty() {
                    vec![format!("{name}-{}", random_suffix(5))]
                } else {
                    existing
                };
                self.ensure_pods(
                    &ns,
                    &template,
                    owner_ref("apps/v1", "DaemonSet"),
                    &names,
                    "Running",
                );
                None
            }
            "Job" => {
                let existing = self.pods_owned_by(owner);
                let names = if existing.is_empty() {
                    vec![format!("{name}-{}", random_suffix(5))]
                } else {
                    existing
                };
                self.ensure_pods(
                    &ns,
                    &template,
                    owner_ref("batch/v1", "Job"),
                    &names,
                    "Succeeded",
                );
                None
            }
            _ => None,
        }
    }

    fn finish_delete_builtin(&mut self, group: &str, kind: &str, okey: &ObjKey) -> Option<Value> {
        let rt = self.registry.by_kind(group, kind)?;
        let key = Self::key(&rt);
        self.finish_delete(&rt, &key, okey, Propagation::Background)
    }

    fn pods_owned_by(&self, owner: &Value) -> Vec<String> {
        let uid = owner
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.all_of(&("".into(), "pods".into()))
            .filter(|(_, v)| {
                v.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|r| {
                        r.iter()
                            .any(|o| o.get("uid").and_then(Value::as_str) == Some(uid))
                    })
            })
            .map(|(k, _)| k.1.clone())
            .collect()
    }

    /// Sets a ReplicaSet's replicas and status, and gives it exactly that many ready Pods.
    fn scale_replica_set(&mut self, okey: &ObjKey, replicas: i64) {
        let rs_key: ResKey = ("apps".into(), "replicasets".into());
        let Some(mut rs) = self.get_raw(&rs_key, okey).cloned() else {
            return;
        };
        let mut names = self.pods_owned_by(&rs);
        names.sort();
        let want = replicas.max(0) as usize;
        while names.len() < want {
            names.push(format!("{}-{}", okey.1, random_suffix(5)));
        }
        names.truncate(want);
        let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let owner_ref = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": okey.1, "uid": rs.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
                                 "controller": true, "blockOwnerDeletion": true}]);
        self.ensure_pods(&okey.0, &template, owner_ref, &names, "Running");
        let generation = rs
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let changed = rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(replicas)
            || rs
                .pointer("/status/readyReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                != replicas;
        if changed {
            if rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(replicas) {
                rs["spec"]["replicas"] = json!(replicas);
                rs["metadata"]["generation"] = json!(generation + 1);
            }
            let g = rs
                .pointer("/metadata/generation")
                .cloned()
                .unwrap_or(json!(1));
            rs["status"] = if replicas > 0 {
                json!({"observedGeneration": g, "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas})
            } else {
                json!({"observedGeneration": g, "replicas": 0})
            };
            self.put(rs_key, okey.clone(), rs, "MODIFIED");
        }
    }

    /// Makes the Pods of an owner exactly `names`, created from `template` in `phase`.
    fn ensure_pods(
        &mut self,
        ns: &str,
        template: &Value,
        owner_ref: Value,
        names: &[String],
        phase: &str,
    ) {
        let pod_key: ResKey = ("".into(), "pods".into());
        let owner_uid = owner_ref
            .pointer("/0/uid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let stale: Vec<ObjKey> = self
            .all_of(&pod_key)
            .filter(|(k, v)| {
                k.0 == ns
                    && !names.contains(&k.1)
                    && v.pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(|r| {
                            r.iter().any(|o| {
                                o.get("uid").and_then(Value::as_str) == Some(owner_uid.as_str())
                            })
                        })
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            let _ = self.finish_delete_builtin("", "Pod", &k);
        }
        let opts = WriteOptions {
            field_manager: "kube-controller-manager".into(),
            ..Default::default()
        };
        for n in names {
            let okey: ObjKey = (ns.to_string(), n.clone());
            if self.get_raw(&pod_key, &okey).is_some() {
                continue;
            }
            let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
            meta["name"] = json!(n);
            meta["ownerReferences"] = owner_ref.clone();
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec").cloned().unwrap_or(json!({}))});
            if self.create_builtin("", "Pod", ns, pod, &opts).is_ok() {
                self.pending
                    .retain(|p| !(p.key == pod_key && p.obj == okey));
                if let Some(mut v) = self.get_raw(&pod_key, &okey).cloned() {
                    let ip = self.alloc.pod_ip();
                    v["status"] = pod_status(&v, phase, &ip);
                    v["spec"]["nodeName"] = json!("emulator-node");
                    self.put(pod_key.clone(), okey, v, "MODIFIED");
                }
            }
        }
    }

    fn make_ready(&mut self, p: &Pending) {
        let Some(mut obj) = self.get_raw(&p.key, &p.obj).cloned() else {
            return;
        };
        let generation = obj
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        if generation != p.generation {
            return;
        }
        let t = now_rfc3339();
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let replicas = obj
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let name = p.obj.1.clone();
        let rs_name = self.reconcile_children(&kind, &p.obj, &obj, replicas);
        let status = match kind.as_str() {
            "Deployment" => {
                let mut s = json!({
                    "observedGeneration": generation,
                    "conditions": [
                        {"type": "Available", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t, "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                        {"type": "Progressing", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t, "reason": "NewReplicaSetAvailable",
                         "message": format!("ReplicaSet \"{}\" has successfully progressed.", rs_name.clone().unwrap_or_else(|| format!("{name}-{}", pod_template_hash(&obj))))}
                    ]
                });
                if replicas > 0 {
                    for f in [
                        "replicas",
                        "updatedReplicas",
                        "readyReplicas",
                        "availableReplicas",
                    ] {
                        s[f] = json!(replicas);
                    }
                }
                s
            }
            "StatefulSet" => json!({
                "observedGeneration": generation, "replicas": replicas, "readyReplicas": replicas, "currentReplicas": replicas,
                "updatedReplicas": replicas, "availableReplicas": replicas, "collisionCount": 0,
                "currentRevision": format!("{name}-{}", random_suffix(10)), "updateRevision": format!("{name}-{}", random_suffix(10))
            }),
            "DaemonSet" => json!({
                "observedGeneration": generation, "currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberAvailable": 1,
                "numberMisscheduled": 0, "numberReady": 1, "updatedNumberScheduled": 1
            }),
            "ReplicaSet" | "ReplicationController" => json!({
                "observedGeneration": generation, "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas
            }),
            "Job" => {
                let completions = obj
                    .pointer("/spec/completions")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                let start = obj
                    .pointer("/metadata/creationTimestamp")
                    .cloned()
                    .unwrap_or(json!(t));
                json!({
                    "startTime": start, "completionTime": t, "succeeded": completions, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {},
                    "conditions": [
                        {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": t, "lastTransitionTime": t, "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"},
                        {"type": "Complete", "status": "True", "lastProbeTime": t, "lastTransitionTime": t, "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}
                    ]
                })
            }
            "Pod" => pod_status(&obj, "Running", &self.alloc.pod_ip()),
            _ => return,
        };
        obj["status"] = status;
        if kind == "Pod" {
            obj["spec"]["nodeName"] = json!("emulator-node");
        }
        // The deployment controller stamps the Deployment with its current revision, one of the
        // fields a diff against a real cluster must expect.
        if kind == "Deployment"
            && let Some(rs) = &rs_name
        {
            let revision = self
                .get_raw(
                    &("apps".into(), "replicasets".into()),
                    &(p.obj.0.clone(), rs.clone()),
                )
                .and_then(|v| {
                    v.pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                        .cloned()
                });
            if let (Some(rev), Some(meta)) = (
                revision,
                obj.get_mut("metadata").and_then(Value::as_object_mut),
            ) {
                let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
                if let Some(a) = annotations.as_object_mut() {
                    a.insert("deployment.kubernetes.io/revision".into(), rev);
                }
            }
        }
        self.put(p.key.clone(), p.obj.clone(), obj, "MODIFIED");
    }

    /// Every stored object with its resource, for persistence.
    pub fn snapshot(&self) -> Value {
        let mut items = Vec::new();
        for ((g, r), objs) in &self.objects {
            for v in objs.values() {
                items.push(json!({"group": g, "resource": r, "object": v}));
            }
        }
        // CRDs first, so that restoring serves their kinds before their objects arrive.
        items.sort_by_key(|i| i["resource"] != "customresourcedefinitions");
        json!({"resourceVersion": self.rv, "items": items})
    }

    /// Replaces the state with a snapshot.
    pub fn restore(&mut self, snap: &Value) -> Result<(), String> {
        let items = snap
            .get("items")
            .and_then(Value::as_array)
            .ok_or("state file has no items")?;
        self.objects.clear();
        for i in items {
            let g = i
                .get("group")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let r = i
                .get("resource")
                .and_then(Value::as_str)
                .ok_or("state item without resource")?
                .to_string();
            let obj = i
                .get("object")
                .cloned()
                .ok_or("state item without object")?;
            if r == "customresourcedefinitions" {
                self.registry.register_crd(&obj)?;
            }
            let ns = meta_str(&obj, "namespace").unwrap_or_default().to_string();
            let name = meta_str(&obj, "name").unwrap_or_default().to_string();
            self.objects
                .entry((g, r))
                .or_default()
                .insert((ns, name), obj);
        }
        self.rv = snap
            .get("resourceVersion")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        self.log.clear();
        Ok(())
    }

    /// The qualified resource name used in messages (`deployments.apps`).
    pub fn qualified(rt: &ResourceType) -> String {
        qualified(&rt.group, &rt.plural)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(Duration::ZERO)
    }

    fn rt(s: &Store, g: &str, k: &str) -> Arc<ResourceType> {
        s.registry.by_kind(g, k).expect("kind")
    }

    fn opts() -> WriteOptions {
        WriteOptions {
            field_manager: "test".into(),
            field_validation: FieldValidation::Strict,
            ..Default::default()
        }
    }

    fn cm(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
    }

    #[test]
    fn starts_with_system_objects() {
        let s = store();
        let ns = rt(&s, "", "Namespace");
        for n in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            assert!(s.get(&ns, "v1", "", n).is_ok(), "{n}");
        }
        let svc = s
            .get(&rt(&s, "", "Service"), "v1", "default", "kubernetes")
            .expect("svc");
        assert_eq!(svc["spec"]["clusterIP"], "10.96.0.1");
        assert!(
            s.get(&rt(&s, "", "ServiceAccount"), "v1", "default", "default")
                .is_ok()
        );
    }

    #[test]
    fn create_sets_metadata_and_rejects_duplicates() {
        let mut s = store();
        let c = rt(&s, "", "ConfigMap");
        let w = s
            .create(&c, "v1", "default", cm("a"), &opts())
            .expect("create");
        let m = &w.object["metadata"];
        assert_eq!(m["namespace"], "default");
        assert_eq!(m["uid"].as_str().map(str::len), Some(36));
        assert!(m["resourceVersion"].as_str().is_some());
        assert!(m.get("generation").is_none());
        assert_eq!(m["managedFields"][0]["manager"], "test");
        let e = s
            .create(&c, "v1", "default", cm("a"), &opts())
            .expect_err("dup");
        assert_eq!((e.code, e.reason.as_str()), (409, "AlreadyExists"));
        let e = s
            .create(&c, "v1", "nope", cm("b"), &opts())
            .expect_err("no ns");
        assert_eq!(e.message, "namespaces \"nope\" not found");
        let e = s
            .create(&c, "v1", "default", cm("Bad_Name"), &opts())
            .expect_err("bad name");
        assert_eq!(e.code, 422);
    }

    #[test]
    fn update_conflicts_on_stale_resource_version_and_bumps_generation() {
        let mut s = store();
        let d = rt(&s, "apps", "Deployment");
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
        let w = s.create(&d, "v1", "default", dep, &opts()).expect("create");
        assert_eq!(w.object["metadata"]["generation"], 1);
        let mut stale = w.object.clone();
        let mut next = w.object.clone();
        next["spec"]["replicas"] = json!(3);
        let w2 = s
            .update(&d, "v1", "default", "web", next, &opts(), Part::Main)
            .expect("update");
        assert_eq!(w2.object["metadata"]["generation"], 2);
        stale["spec"]["replicas"] = json!(5);
        let e = s
            .update(&d, "v1", "default", "web", stale, &opts(), Part::Main)
            .expect_err("stale");
        assert_eq!(e.code, 409);
        assert!(
            e.message
                .starts_with("Operation cannot be fulfilled on deployments.apps \"web\"")
        );
        let mut meta_only = w2.object.clone();
        meta_only["metadata"]["labels"] = json!({"x": "y"});
        let w3 = s
            .update(&d, "v1", "default", "web", meta_only, &opts(), Part::Main)
            .expect("labels");
        assert_eq!(w3.object["metadata"]["generation"], 2);
        let same = s
            .update(
                &d,
                "v1",
                "default",
                "web",
                w3.object.clone(),
                &opts(),
                Part::Main,
            )
            .expect("noop");
        assert_eq!(
            same.object["metadata"]["resourceVersion"],
            w3.object["metadata"]["resourceVersion"]
        );
    }

    #[test]
    fn workloads_become_ready_on_tick() {
        let mut s = store();
        let d = rt(&s, "apps", "Deployment");
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
        s.create(&d, "v1", "default", dep, &opts()).expect("create");
        assert!(s.has_pending());
        s.tick();
        let got = s.get(&d, "v1", "default", "web").expect("get");
        assert_eq!(got["status"]["readyReplicas"], 2);
        assert_eq!(got["status"]["conditions"][0]["type"], "Available");
    }

    #[test]
    fn namespace_deletion_removes_contents() {
        let mut s = store();
        let ns = rt(&s, "", "Namespace");
        let c = rt(&s, "", "ConfigMap");
        s.create(
            &ns,
            "v1",
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}}),
            &opts(),
        )
        .expect("ns");
        s.create(&c, "v1", "t", cm("a"), &opts()).expect("cm");
        let (obj, gone) = s
            .delete(&ns, "", "t", &DeleteOptions::default())
            .expect("delete");
        assert!(!gone);
        assert_eq!(obj["status"]["phase"], "Terminating");
        let e = s
            .create(&c, "v1", "t", cm("b"), &opts())
            .expect_err("terminating");
        assert_eq!(e.code, 403);
        s.tick();
        assert!(s.get(&ns, "v1", "", "t").is_err());
        assert!(s.get(&c, "v1", "t", "a").is_err());
    }

    #[test]
    fn owner_references_are_collected() {
        let mut s = store();
        let c = rt(&s, "", "ConfigMap");
        let owner = s
            .create(&c, "v1", "default", cm("owner"), &opts())
            .expect("owner")
            .object;
        let mut dep = cm("dep");
        dep["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}]);
        s.create(&c, "v1", "default", dep.clone(), &opts())
            .expect("dependent");
        s.delete(&c, "default", "owner", &DeleteOptions::default())
            .expect("delete");
        assert!(s.get(&c, "v1", "default", "dep").is_err());
        let owner = s
            .create(&c, "v1", "default", cm("owner"), &opts())
            .expect("owner")
            .object;
        dep["metadata"]["ownerReferences"][0]["uid"] = owner["metadata"]["uid"].clone();
        s.create(&c, "v1", "default", dep, &opts())
            .expect("dependent");
        let orphan = DeleteOptions {
            propagation: Propagation::Orphan,
            ..Default::default()
        };
        s.delete(&c, "default", "owner", &orphan).expect("delete");
        let kept = s.get(&c, "v1", "default", "dep").expect("orphaned");
        assert_eq!(kept["metadata"]["ownerReferences"], json!([]));
    }

    #[test]
    fn finalizers_hold_deletion() {
        let mut s = store();
        let c = rt(&s, "", "ConfigMap");
        let mut obj = cm("f");
        obj["metadata"]["finalizers"] = json!(["example.com/hold"]);
        s.create(&c, "v1", "default", obj, &opts()).expect("create");
        let (marked, gone) = s
            .delete(&c, "default", "f", &DeleteOptions::default())
            .expect("delete");
        assert!(!gone);
        assert!(marked["metadata"]["deletionTimestamp"].is_string());
        let w = s
            .patch(
                &c,
                "v1",
                "default",
                "f",
                "application/merge-patch+json",
                br#"{"metadata":{"finalizers":null}}"#,
                &opts(),
                Part::Main,
            )
            .expect("remove finalizer");
        assert!(w.object["metadata"]["deletionTimestamp"].is_string());
        assert!(s.get(&c, "v1", "default", "f").is_err());
    }

    #[test]
    fn server_side_apply_conflicts_and_force() {
        let mut s = store();
        let c = rt(&s, "", "ConfigMap");
        let mut a = opts();
        a.field_manager = "alice".into();
        let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"1","a":"1"}}"#;
        let w = s
            .patch(
                &c,
                "v1",
                "default",
                "x",
                "application/apply-patch+yaml",
                body,
                &a,
                Part::Main,
            )
            .expect("create by apply");
        assert!(w.created);
        assert_eq!(
            w.object["metadata"]["managedFields"][0]["operation"],
            "Apply"
        );
        let mut b = opts();
        b.field_manager = "bob".into();
        let body_b = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: '2'\n";
        let e = s
            .patch(
                &c,
                "v1",
                "default",
                "x",
                "application/apply-patch+yaml",
                body_b,
                &b,
                Part::Main,
            )
            .expect_err("conflict");
        assert_eq!(e.code, 409);
        assert_eq!(
            e.message,
            "Apply failed with 1 conflict: conflict with \"alice\" using v1: .data.k"
        );
        b.force = true;
        let w = s
            .patch(
                &c,
                "v1",
                "default",
                "x",
                "application/apply-patch+yaml",
                body_b,
                &b,
                Part::Main,
            )
            .expect("force");
        assert_eq!(w.object["data"], json!({"k": "2", "a": "1"}));
        // alice drops `a` from her config: it is removed (nobody else owns it).
        let body_a2 =
            br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{}}"#;
        let w = s
            .patch(
                &c,
                "v1",
                "default",
                "x",
                "application/apply-patch+yaml",
                body_a2,
                &a,
                Part::Main,
            )
            .expect("shrink");
        assert_eq!(w.object["data"], json!({"k": "2"}));
    }

    #[test]
    fn crd_serves_its_kind_until_deleted() {
        let mut s = store();
        let crd_rt = rt(&s, "apiextensions.k8s.io", "CustomResourceDefinition");
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                     "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}});
        let w = s.create(&crd_rt, "v1", "", crd, &opts()).expect("crd");
        assert_eq!(w.object["status"]["conditions"][1]["type"], "Established");
        let wrt = s
            .registry
            .by_path("example.com", "v1", "widgets")
            .expect("served");
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}});
        s.create(&wrt, "v1", "default", widget, &opts())
            .expect("cr");
        let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w2"}, "spec": {"colour": 1}});
        let e = s
            .create(&wrt, "v1", "default", bad, &opts())
            .expect_err("strict");
        assert!(
            e.message.contains("unknown field \"spec.colour\""),
            "{}",
            e.message
        );
        s.delete(
            &crd_rt,
            "",
            "widgets.example.com",
            &DeleteOptions::default(),
        )
        .expect("delete crd");
        assert!(s.registry.by_path("example.com", "v1", "widgets").is_none());
        assert!(
            s.all_of(&("example.com".into(), "widgets".into()))
                .next()
                .is_none()
        );
    }

    #[test]
    fn snapshot_round_trip() {
        let mut s = store();
        let c = rt(&s, "", "ConfigMap");
        s.create(&c, "v1", "default", cm("persisted"), &opts())
            .expect("create");
        let snap = s.snapshot();
        let mut t = store();
        t.restore(&snap).expect("restore");
        assert!(t.get(&c, "v1", "default", "persisted").is_ok());
        assert_eq!(t.resource_version(), s.resource_version());
    }
}
