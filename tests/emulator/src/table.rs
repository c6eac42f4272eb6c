//! Server-side printing: the `meta.k8s.io/v1` `Table` kubectl asks for in `kubectl get`, with
//! the columns a real apiserver prints for common kinds, the CRD's
//! `additionalPrinterColumns`, and `NAME`/`AGE` otherwise.

use serde_json::{Value, json};

use crate::registry::ResourceType;
use crate::util::age;

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
            let done = o
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|c| {
                    c.iter()
                        .any(|c| c["type"] == "Complete" && c["status"] == "True")
                });
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
                    json!(if done { "Complete" } else { "Running" }),
                    json!(format!(
                        "{}/{}",
                        i(o, "/status/succeeded"),
                        i(o, "/spec/completions")
                    )),
                    json!(if done { "0s" } else { "" }),
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
            let phase = s(o, "/status/phase");
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
                    json!(if phase.is_empty() {
                        "Pending".to_string()
                    } else {
                        phase
                    }),
                    json!("0"),
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
