//! Server-side printing: the `meta.k8s.io/v1` `Table` kubectl asks for in `kubectl get`, with
//! the columns a real apiserver prints for common kinds, the CRD's
//! `additionalPrinterColumns`, and `NAME`/`AGE` otherwise.

use std::time::Duration;

use serde_json::{Value, json};

use crate::registry::ResourceType;
use crate::util::{age, human_duration, now_secs, parse_rfc3339};

fn col(name: &str, ty: &str, priority: u8) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
}

fn s(v: &Value, ptr: &str) -> String {
    match v.pointer(ptr) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn i(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

/// kubectl's short names of access modes (`RWO,ROX`).
fn access_modes(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|modes| {
            modes
                .iter()
                .filter_map(Value::as_str)
                .map(|m| match m {
                    "ReadWriteOnce" => "RWO",
                    "ReadOnlyMany" => "ROX",
                    "ReadWriteMany" => "RWX",
                    "ReadWriteOncePod" => "RWOP",
                    other => other,
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn has_condition(o: &Value, ty: &str) -> bool {
    o.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| c["type"] == ty && c["status"] == "True"))
}

/// A Job's STATUS, in the order kubectl's printer checks conditions.
fn job_status(o: &Value) -> &'static str {
    if has_condition(o, "Complete") {
        "Complete"
    } else if has_condition(o, "Failed") {
        "Failed"
    } else if o.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else if has_condition(o, "Suspended") {
        "Suspended"
    } else if has_condition(o, "FailureTarget") {
        "FailureTarget"
    } else if has_condition(o, "SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    }
}

/// A Job's DURATION: start to completion, or start to now while it runs.
fn job_duration(o: &Value) -> String {
    let time = |p: &str| o.pointer(p).and_then(Value::as_str).and_then(parse_rfc3339);
    match (time("/status/startTime"), time("/status/completionTime")) {
        (Some(start), Some(end)) => {
            human_duration(Duration::from_secs((end - start).max(0) as u64))
        }
        (Some(start), None) => {
            human_duration(Duration::from_secs((now_secs() - start).max(0) as u64))
        }
        _ => String::new(),
    }
}

/// A Pod's STATUS as kubectl prints it: the phase, overridden by the reason a container is
/// waiting or terminated with (`CrashLoopBackOff`, `Completed`, `Error`), `Terminating`.
fn pod_status(o: &Value) -> String {
    let mut reason = match o.pointer("/status/reason").and_then(Value::as_str) {
        Some(r) if !r.is_empty() => r.to_string(),
        _ => s(o, "/status/phase"),
    };
    if reason.is_empty() {
        reason = "Pending".into();
    }
    let mut running = false;
    if let Some(cs) = o
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
    {
        for c in cs.iter().rev() {
            if let Some(w) = c.pointer("/state/waiting/reason").and_then(Value::as_str)
                && !w.is_empty()
            {
                reason = w.to_string();
            } else if let Some(t) = c.pointer("/state/terminated") {
                reason = match t.get("reason").and_then(Value::as_str) {
                    Some(r) if !r.is_empty() => r.to_string(),
                    _ => format!("ExitCode:{}", i(t, "/exitCode")),
                };
            } else if c.pointer("/state/running").is_some() && c["ready"] == true {
                running = true;
            }
        }
    }
    if reason == "Completed" && running {
        reason = if has_condition(o, "Ready") {
            "Running"
        } else {
            "NotReady"
        }
        .into();
    }
    if o.pointer("/metadata/deletionTimestamp").is_some() {
        reason = "Terminating".into();
    }
    reason
}

/// A Pod's RESTARTS: the total, with how long ago the last one was (`1 (5s ago)`).
fn pod_restarts(o: &Value) -> String {
    let cs = o
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total: i64 = cs.iter().map(|c| i(c, "/restartCount")).sum();
    let last = cs
        .iter()
        .filter_map(|c| {
            c.pointer("/lastState/terminated/finishedAt")
                .and_then(Value::as_str)
        })
        .max();
    match last {
        Some(t) if total > 0 => format!("{total} ({} ago)", age(Some(t))),
        _ => total.to_string(),
    }
}

fn count(v: &Value, ptr: &str) -> usize {
    match v.pointer(ptr) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

fn columns_and_cells(rt: &ResourceType, version: &str, o: &Value) -> (Vec<Value>, Vec<Value>) {
    let name = s(o, "/metadata/name");
    let created = o
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str);
    let a = age(created);
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => {
            let want = i(o, "/spec/replicas");
            (
                vec![
                    col("Name", "string", 0),
                    col("Ready", "string", 0),
                    col("Up-to-date", "integer", 0),
                    col("Available", "integer", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(format!("{}/{want}", i(o, "/status/readyReplicas"))),
                    json!(i(o, "/status/updatedReplicas")),
                    json!(i(o, "/status/availableReplicas")),
                    json!(a),
                ],
            )
        }
        ("apps", "StatefulSet") => (
            vec![
                col("Name", "string", 0),
                col("Ready", "string", 0),
                col("Age", "string", 0),
            ],
            vec![
                json!(name),
                json!(format!(
                    "{}/{}",
                    i(o, "/status/readyReplicas"),
                    i(o, "/spec/replicas")
                )),
                json!(a),
            ],
        ),
        ("apps", "ReplicaSet") => (
            vec![
                col("Name", "string", 0),
                col("Desired", "integer", 0),
                col("Current", "integer", 0),
                col("Ready", "integer", 0),
                col("Age", "string", 0),
            ],
            vec![
                json!(name),
                json!(i(o, "/spec/replicas")),
                json!(i(o, "/status/replicas")),
                json!(i(o, "/status/readyReplicas")),
                json!(a),
            ],
        ),
        ("apps", "DaemonSet") => (
            vec![
                col("Name", "string", 0),
                col("Desired", "integer", 0),
                col("Current", "integer", 0),
                col("Ready", "integer", 0),
                col("Up-to-date", "integer", 0),
                col("Available", "integer", 0),
                col("Node Selector", "string", 0),
                col("Age", "string", 0),
            ],
            vec![
                json!(name),
                json!(i(o, "/status/desiredNumberScheduled")),
                json!(i(o, "/status/currentNumberScheduled")),
                json!(i(o, "/status/numberReady")),
                json!(i(o, "/status/updatedNumberScheduled")),
                json!(i(o, "/status/numberAvailable")),
                json!(none_if_empty(
                    o.pointer("/spec/template/spec/nodeSelector")
                        .and_then(Value::as_object)
                        .map(|m| m
                            .iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect::<Vec<_>>()
                            .join(","))
                        .unwrap_or_default()
                )),
                json!(a),
            ],
        ),
        ("batch", "Job") => {
            let completions = match o.pointer("/spec/completions").and_then(Value::as_i64) {
                Some(n) => format!("{}/{n}", i(o, "/status/succeeded")),
                None => format!(
                    "{}/1 of {}",
                    i(o, "/status/succeeded"),
                    i(o, "/spec/parallelism").max(1)
                ),
            };
            (
                vec![
                    col("Name", "string", 0),
                    col("Status", "string", 0),
                    col("Completions", "string", 0),
                    col("Duration", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(job_status(o)),
                    json!(completions),
                    json!(job_duration(o)),
                    json!(a),
                ],
            )
        }
        ("", "Pod") => {
            let total = count(o, "/spec/containers");
            let ready = o
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .map(|c| c.iter().filter(|x| x["ready"] == true).count())
                .unwrap_or(0);
            (
                vec![
                    col("Name", "string", 0),
                    col("Ready", "string", 0),
                    col("Status", "string", 0),
                    col("Restarts", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(format!("{ready}/{total}")),
                    json!(pod_status(o)),
                    json!(pod_restarts(o)),
                    json!(a),
                ],
            )
        }
        ("", "PersistentVolumeClaim") => (
            vec![
                col("Name", "string", 0),
                col("Status", "string", 0),
                col("Volume", "string", 0),
                col("Capacity", "string", 0),
                col("Access Modes", "string", 0),
                col("StorageClass", "string", 0),
                col("VolumeAttributesClass", "string", 0),
                col("Age", "string", 0),
            ],
            vec![
                json!(name),
                json!(s(o, "/status/phase")),
                json!(s(o, "/spec/volumeName")),
                json!(s(o, "/status/capacity/storage")),
                json!(access_modes(o.pointer("/status/accessModes"))),
                json!(s(o, "/spec/storageClassName")),
                json!("<unset>"),
                json!(a),
            ],
        ),
        ("", "PersistentVolume") => {
            let claim = match o.pointer("/spec/claimRef") {
                Some(c) => format!("{}/{}", s(c, "/namespace"), s(c, "/name")),
                None => String::new(),
            };
            (
                vec![
                    col("Name", "string", 0),
                    col("Capacity", "string", 0),
                    col("Access Modes", "string", 0),
                    col("Reclaim Policy", "string", 0),
                    col("Status", "string", 0),
                    col("Claim", "string", 0),
                    col("StorageClass", "string", 0),
                    col("VolumeAttributesClass", "string", 0),
                    col("Reason", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(s(o, "/spec/capacity/storage")),
                    json!(access_modes(o.pointer("/spec/accessModes"))),
                    json!(s(o, "/spec/persistentVolumeReclaimPolicy")),
                    json!(s(o, "/status/phase")),
                    json!(claim),
                    json!(s(o, "/spec/storageClassName")),
                    json!("<unset>"),
                    json!(s(o, "/status/reason")),
                    json!(a),
                ],
            )
        }
        ("storage.k8s.io", "StorageClass") => {
            let default = o
                .pointer("/metadata/annotations")
                .and_then(|m| m.get("storageclass.kubernetes.io/is-default-class"))
                .and_then(Value::as_str)
                == Some("true");
            let shown = if default {
                format!("{name} (default)")
            } else {
                name.clone()
            };
            (
                vec![
                    col("Name", "string", 0),
                    col("Provisioner", "string", 0),
                    col("ReclaimPolicy", "string", 0),
                    col("VolumeBindingMode", "string", 0),
                    col("AllowVolumeExpansion", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(shown),
                    json!(s(o, "/provisioner")),
                    json!(s(o, "/reclaimPolicy")),
                    json!(s(o, "/volumeBindingMode")),
                    json!(
                        o.get("allowVolumeExpansion")
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                            .to_string()
                    ),
                    json!(a),
                ],
            )
        }
        ("coordination.k8s.io", "Lease") => (
            vec![
                col("Name", "string", 0),
                col("Holder", "string", 0),
                col("Age", "string", 0),
            ],
            vec![json!(name), json!(s(o, "/spec/holderIdentity")), json!(a)],
        ),
        ("apps", "ControllerRevision") => {
            let controller = o
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
                .map(|r| {
                    let group = s(r, "/apiVersion")
                        .rsplit_once('/')
                        .map(|(g, _)| g.to_string())
                        .unwrap_or_default();
                    let kind = s(r, "/kind").to_ascii_lowercase();
                    let kind = if group.is_empty() {
                        kind
                    } else {
                        format!("{kind}.{group}")
                    };
                    format!("{kind}/{}", s(r, "/name"))
                })
                .unwrap_or_else(|| "<none>".into());
            (
                vec![
                    col("Name", "string", 0),
                    col("Controller", "string", 0),
                    col("Revision", "integer", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(controller),
                    json!(i(o, "/revision")),
                    json!(a),
                ],
            )
        }
        ("", "Service") => {
            let ports = o
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| match p.get("nodePort") {
                            Some(np) => format!("{}:{np}/{}", p["port"], s(p, "/protocol")),
                            None => format!("{}/{}", p["port"], s(p, "/protocol")),
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let ty = s(o, "/spec/type");
            let ips: Vec<String> = o
                .pointer("/spec/externalIPs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let lb: Vec<String> = o
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|i| {
                            i.get("ip")
                                .or_else(|| i.get("hostname"))
                                .and_then(Value::as_str)
                        })
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let external = match ty.as_str() {
                "ExternalName" => s(o, "/spec/externalName"),
                "LoadBalancer" if lb.is_empty() && ips.is_empty() => "<pending>".to_string(),
                _ => none_if_empty([ips, lb].concat().join(",")),
            };
            (
                vec![
                    col("Name", "string", 0),
                    col("Type", "string", 0),
                    col("Cluster-IP", "string", 0),
                    col("External-IP", "string", 0),
                    col("Port(s)", "string", 0),
                    col("Age", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(ty),
                    json!(none_if_empty(s(o, "/spec/clusterIP"))),
                    json!(external),
                    json!(none_if_empty(ports)),
                    json!(a),
                ],
            )
        }
        ("", "ConfigMap") => (
            vec![
                col("Name", "string", 0),
                col("Data", "integer", 0),
                col("Age", "string", 0),
            ],
            vec![
                json!(name),
                json!(count(o, "/data") + count(o, "/binaryData")),
                json!(a),
            ],
        ),
        ("", "Secret") => (
            vec![
                col("Name", "string", 0),
                col("Type", "string", 0),
                col("Data", "integer", 0),
                col("Age", "string", 0),
            ],
            vec![
                json!(name),
                json!(s(o, "/type")),
                json!(count(o, "/data")),
                json!(a),
            ],
        ),
        ("", "Namespace") => (
            vec![
                col("Name", "string", 0),
                col("Status", "string", 0),
                col("Age", "string", 0),
            ],
            vec![json!(name), json!(s(o, "/status/phase")), json!(a)],
        ),
        ("", "ServiceAccount") => (
            vec![
                col("Name", "string", 0),
                col("Secrets", "string", 0),
                col("Age", "string", 0),
            ],
            vec![json!(name), json!(count(o, "/secrets")), json!(a)],
        ),
        ("", "Node") => {
            let ready = o
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|c| {
                    c.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                });
            (
                vec![
                    col("Name", "string", 0),
                    col("Status", "string", 0),
                    col("Roles", "string", 0),
                    col("Age", "string", 0),
                    col("Version", "string", 0),
                ],
                vec![
                    json!(name),
                    json!(if ready { "Ready" } else { "NotReady" }),
                    json!("control-plane"),
                    json!(a),
                    json!(s(o, "/status/nodeInfo/kubeletVersion")),
                ],
            )
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition")
        | ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => (
            vec![col("Name", "string", 0), col("Created At", "date", 0)],
            vec![json!(name), json!(created.unwrap_or_default())],
        ),
        _ => {
            if let Some(cols) = rt.crd.as_ref().and_then(|c| c.columns.get(version)) {
                let mut defs = vec![col("Name", "string", 0)];
                let mut cells = vec![json!(name)];
                for c in cols {
                    let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
                    let ty = c.get("type").and_then(Value::as_str).unwrap_or("string");
                    let prio = c.get("priority").and_then(Value::as_u64).unwrap_or(0) as u8;
                    defs.push(col(cname, ty, prio));
                    let path = c
                        .get("jsonPath")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let ptr = path.trim_start_matches('.').replace('.', "/");
                    let v = o
                        .pointer(&format!("/{ptr}"))
                        .cloned()
                        .unwrap_or(Value::Null);
                    cells.push(if ty == "date" {
                        json!(age(v.as_str()))
                    } else {
                        v
                    });
                }
                if !cols
                    .iter()
                    .any(|c| c.get("name").and_then(Value::as_str) == Some("Age"))
                {
                    defs.push(col("Age", "date", 0));
                    cells.push(json!(a));
                }
                (defs, cells)
            } else {
                (
                    vec![col("Name", "string", 0), col("Age", "string", 0)],
                    vec![json!(name), json!(a)],
                )
            }
        }
    }
}

fn joined(v: &Value, list: &str, field: &str) -> String {
    v.pointer(list)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get(field).and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn selector_string(v: Option<&Value>) -> String {
    let labels = v
        .and_then(|s| s.get("matchLabels").or(Some(s)))
        .and_then(Value::as_object);
    none_if_empty(
        labels
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
    )
}

/// The `-o wide` columns (priority 1) a real apiserver adds for common kinds.
fn wide(rt: &ResourceType, o: &Value) -> Vec<(Value, Value)> {
    let workload = |tpl: &str, sel: bool| {
        let mut out = vec![
            (
                col("Containers", "string", 1),
                json!(joined(o, &format!("{tpl}/containers"), "name")),
            ),
            (
                col("Images", "string", 1),
                json!(joined(o, &format!("{tpl}/containers"), "image")),
            ),
        ];
        if sel {
            out.push((
                col("Selector", "string", 1),
                json!(selector_string(o.pointer("/spec/selector"))),
            ));
        }
        out
    };
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => vec![
            (
                col("IP", "string", 1),
                json!(none_if_empty(s(o, "/status/podIP"))),
            ),
            (
                col("Node", "string", 1),
                json!(none_if_empty(s(o, "/spec/nodeName"))),
            ),
            (col("Nominated Node", "string", 1), json!("<none>")),
            (col("Readiness Gates", "string", 1), json!("<none>")),
        ],
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") | ("batch", "Job") => {
            workload("/spec/template/spec", true)
        }
        ("apps", "StatefulSet") => workload("/spec/template/spec", false),
        ("", "Service") => vec![(
            col("Selector", "string", 1),
            json!(selector_string(o.pointer("/spec/selector"))),
        )],
        ("", "Node") => {
            let addr = |t: &str| {
                o.pointer("/status/addresses")
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().find(|x| x["type"] == t))
                    .and_then(|x| x.get("address").and_then(Value::as_str))
                    .unwrap_or("<none>")
                    .to_string()
            };
            vec![
                (col("Internal-IP", "string", 1), json!(addr("InternalIP"))),
                (col("External-IP", "string", 1), json!(addr("ExternalIP"))),
                (
                    col("OS-Image", "string", 1),
                    json!(s(o, "/status/nodeInfo/osImage")),
                ),
                (
                    col("Kernel-Version", "string", 1),
                    json!(s(o, "/status/nodeInfo/kernelVersion")),
                ),
                (
                    col("Container-Runtime", "string", 1),
                    json!(s(o, "/status/nodeInfo/containerRuntimeVersion")),
                ),
            ]
        }
        _ => Vec::new(),
    }
}

/// The `Table` of some objects of one resource.
pub fn table(rt: &ResourceType, version: &str, items: &[Value], rv: u64) -> Value {
    let mut columns = None;
    let mut rows = Vec::new();
    for o in items {
        let (mut cols, mut cells) = columns_and_cells(rt, version, o);
        for (c, v) in wide(rt, o) {
            cols.push(c);
            cells.push(v);
        }
        columns.get_or_insert(cols);
        let meta = o.get("metadata").cloned().unwrap_or(json!({}));
        let mut object = serde_json::Map::new();
        object.insert("kind".into(), json!("PartialObjectMetadata"));
        object.insert("apiVersion".into(), json!("meta.k8s.io/v1"));
        object.insert("metadata".into(), meta);
        let mut row = serde_json::Map::new();
        row.insert("cells".into(), Value::Array(cells));
        row.insert("object".into(), Value::Object(object));
        rows.push(Value::Object(row));
    }
    let columns = columns.unwrap_or_else(|| {
        let empty = json!({});
        let mut c = columns_and_cells(rt, version, &empty).0;
        c.extend(wide(rt, &empty).into_iter().map(|(col, _)| col));
        c
    });
    let mut meta = json!({});
    if rv > 0 {
        meta["resourceVersion"] = json!(rv.to_string());
    }
    let mut t = serde_json::Map::new();
    t.insert("kind".into(), json!("Table"));
    t.insert("apiVersion".into(), json!("meta.k8s.io/v1"));
    t.insert("metadata".into(), meta);
    t.insert("columnDefinitions".into(), Value::Array(columns));
    t.insert("rows".into(), Value::Array(rows));
    Value::Object(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn pod_and_job_statuses_as_kubectl_prints_them() {
        let cs = |state: Value, ready: bool| json!({"status": {"phase": "Running", "containerStatuses": [{"ready": ready, "state": state, "restartCount": 0}]}});
        let cases = [
            (json!({}), "Pending"),
            (cs(json!({"running": {}}), true), "Running"),
            (cs(json!({"running": {}}), false), "Running"),
            (
                cs(json!({"waiting": {"reason": "CrashLoopBackOff"}}), false),
                "CrashLoopBackOff",
            ),
            (
                json!({"status": {"phase": "Succeeded", "containerStatuses": [{"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}}),
                "Completed",
            ),
            (
                json!({"status": {"phase": "Failed", "containerStatuses": [{"state": {"terminated": {"reason": "Error", "exitCode": 1}}}]}}),
                "Error",
            ),
            (
                json!({"status": {"phase": "Failed", "containerStatuses": [{"state": {"terminated": {"exitCode": 137}}}]}}),
                "ExitCode:137",
            ),
            (
                json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}, "status": {"phase": "Running"}}),
                "Terminating",
            ),
        ];
        for (pod, want) in cases {
            assert_eq!(pod_status(&pod), want, "{pod}");
        }
        let cond = |ty: &str| json!({"status": {"conditions": [{"type": ty, "status": "True"}]}});
        for (job, want) in [
            (json!({}), "Running"),
            (cond("Complete"), "Complete"),
            (cond("Failed"), "Failed"),
            (cond("Suspended"), "Suspended"),
            (cond("FailureTarget"), "FailureTarget"),
            (cond("SuccessCriteriaMet"), "SuccessCriteriaMet"),
        ] {
            assert_eq!(job_status(&job), want, "{job}");
        }
        let done = json!({"status": {"startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:00:07Z"}});
        assert_eq!(job_duration(&done), "7s");
        assert_eq!(
            access_modes(Some(&json!(["ReadWriteOnce", "ReadOnlyMany"]))),
            "RWO,ROX"
        );
        let restarted = json!({"status": {"containerStatuses": [{"restartCount": 2, "lastState": {"terminated": {"finishedAt": crate::util::now_rfc3339()}}}]}});
        assert!(
            pod_restarts(&restarted).starts_with("2 ("),
            "{}",
            pod_restarts(&restarted)
        );
        assert_eq!(pod_restarts(&json!({})), "0");
    }

    #[test]
    fn deployment_columns() {
        let reg = Registry::builtin();
        let rt = reg.by_kind("apps", "Deployment").expect("deployments");
        let d = json!({"metadata": {"name": "web", "creationTimestamp": crate::util::now_rfc3339()}, "spec": {"replicas": 2}, "status": {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}});
        let t = table(&rt, "v1", &[d], 5);
        assert_eq!(t["columnDefinitions"][1]["name"], "Ready");
        assert_eq!(t["rows"][0]["cells"][0], "web");
        assert_eq!(t["rows"][0]["cells"][1], "1/2");
        assert_eq!(t["rows"][0]["object"]["metadata"]["name"], "web");
        let empty = table(&rt, "v1", &[], 5);
        assert_eq!(empty["rows"], json!([]));
        assert_eq!(empty["columnDefinitions"][0]["name"], "Name");
    }
}
