//! What the server says about itself: `/version`, legacy and aggregated discovery
//! (`/api`, `/apis`, `/api/v1`, `/apis/G/V`), and OpenAPI v3 built from the vendored schema
//! (what kubectl reads for strategic-merge metadata and to learn that the server validates
//! fields itself).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::registry::{Registry, ResourceType};

/// Content type of aggregated discovery.
pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "35", "emulationMajor": "1", "emulationMinor": "35",
        "minCompatibilityMajor": "1", "minCompatibilityMinor": "34",
        "gitVersion": kchart_schema::KUBERNETES_VERSION, "gitCommit": "kchart-emulator", "gitTreeState": "clean",
        "buildDate": "2025-12-17T00:00:00Z", "goVersion": "go1.25.5", "compiler": "gc", "platform": "linux/amd64"
    })
}

/// `/api` (legacy form).
pub fn api_versions(addr: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr}]})
}

fn gv(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": gv(group, v), "version": v}))
        .collect();
    let preferred = vs.first().cloned().unwrap_or(json!({}));
    json!({"name": group, "versions": vs, "preferredVersion": preferred})
}

/// `/apis` (legacy form).
pub fn api_group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .groups()
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| group_entry(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/GROUP`.
pub fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    let (g, vs) = reg.groups().into_iter().find(|(g, _)| g == group)?;
    let mut e = group_entry(&g, &vs);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

fn subresources(t: &ResourceType) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out = Vec::new();
    if t.status {
        out.push(("status", vec!["get", "patch", "update"]));
    }
    if t.scale.is_some() {
        out.push(("scale", vec!["get", "patch", "update"]));
    }
    if t.group.is_empty() && t.kind == "Namespace" {
        out.push(("finalize", vec!["update"]));
    }
    if t.group.is_empty() && t.kind == "Pod" {
        out.push(("binding", vec!["create"]));
    }
    out
}

/// `/api/v1`, `/apis/G/V` (legacy form).
pub fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for t in reg.in_group_version(group, version) {
        let mut r = json!({"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind, "verbs": t.verbs});
        if !t.short_names.is_empty() {
            r["shortNames"] = json!(t.short_names);
        }
        if !t.categories.is_empty() {
            r["categories"] = json!(t.categories);
        }
        resources.push(r);
        for (sub, verbs) in subresources(t) {
            let mut s = json!({"name": format!("{}/{sub}", t.plural), "singularName": "", "namespaced": t.namespaced, "kind": t.kind, "verbs": verbs});
            if sub == "scale" {
                s["group"] = json!("autoscaling");
                s["version"] = json!("v1");
                s["kind"] = json!("Scale");
            }
            if sub == "binding" {
                s["kind"] = json!("Binding");
            }
            resources.push(s);
        }
    }
    if resources.is_empty() {
        return None;
    }
    resources.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv(group, version), "resources": resources}),
    )
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2`) of the core group (`core = true`) or of
/// all named groups.
pub fn aggregated(reg: &Registry, core: bool) -> Value {
    let mut items = Vec::new();
    for (g, versions) in reg.groups() {
        if g.is_empty() != core {
            continue;
        }
        let mut vs = Vec::new();
        for v in &versions {
            let mut resources = Vec::new();
            for t in reg.in_group_version(&g, v) {
                let mut r = json!({
                    "resource": t.plural,
                    "responseKind": {"group": g, "version": v, "kind": t.kind},
                    "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
                    "singularResource": t.singular,
                    "verbs": t.verbs,
                });
                if !t.short_names.is_empty() {
                    r["shortNames"] = json!(t.short_names);
                }
                if !t.categories.is_empty() {
                    r["categories"] = json!(t.categories);
                }
                let subs: Vec<Value> = subresources(t)
                    .into_iter()
                    .map(|(s, verbs)| {
                        let kind = if s == "scale" {
                            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
                        } else if s == "binding" {
                            json!({"group": g, "version": v, "kind": "Binding"})
                        } else {
                            json!({"group": g, "version": v, "kind": t.kind})
                        };
                        json!({"subresource": s, "responseKind": kind, "verbs": verbs})
                    })
                    .collect();
                if !subs.is_empty() {
                    r["subresources"] = Value::Array(subs);
                }
                resources.push(r);
            }
            resources.sort_by(|a, b| a["resource"].as_str().cmp(&b["resource"].as_str()));
            vs.push(json!({"version": v, "resources": resources, "freshness": "Current"}));
        }
        let mut item = json!({"metadata": {"creationTimestamp": null}, "versions": vs});
        if !g.is_empty() {
            item["metadata"]["name"] = json!(g);
        }
        items.push(item);
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// `/openapi/v3`: one entry per served group-version.
pub fn openapi_v3_index(reg: &Registry, hash: &str) -> Value {
    let mut paths = serde_json::Map::new();
    for (g, vs) in reg.groups() {
        for v in vs {
            let p = if g.is_empty() {
                format!("api/{v}")
            } else {
                format!("apis/{g}/{v}")
            };
            paths.insert(
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}),
            );
        }
    }
    json!({"paths": paths})
}

/// Converts the vendored JSON-schema form into OpenAPI 3.0 (`$ref` into components, single
/// types, int-or-string).
fn to_openapi(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(alts)) = m.get("oneOf") {
                let types: Vec<&str> = alts
                    .iter()
                    .filter_map(|a| a.get("type"))
                    .flat_map(type_names)
                    .collect();
                if types.contains(&"integer") && types.contains(&"string") {
                    return json!({"type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": true});
                }
                if types.contains(&"number") && types.contains(&"string") {
                    return json!({"type": "string", "format": "quantity"});
                }
            }
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                match k.as_str() {
                    "$ref" => {
                        let name = x
                            .as_str()
                            .and_then(|s| s.rsplit('/').next())
                            .unwrap_or_default();
                        out.insert(k.clone(), json!(format!("#/components/schemas/{name}")));
                    }
                    "type" => {
                        if let Some(t) = type_names(x).into_iter().next() {
                            out.insert(k.clone(), json!(t));
                        }
                    }
                    "properties" => {
                        // Keys here are field names, not keywords (JSONSchemaProps has fields
                        // called `type`, `$ref`, `enum`).
                        let props: serde_json::Map<String, Value> = x
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .map(|(pk, pv)| (pk.clone(), to_openapi(pv)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.clone(), to_openapi(x));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(to_openapi).collect()),
        other => other.clone(),
    }
}

fn type_names(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) if s != "null" => vec![s.as_str()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| *s != "null")
            .collect(),
        _ => Vec::new(),
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str)
                && let Some(n) = r.rsplit('/').next()
            {
                out.push(n.to_string());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

fn patch_op(gvk: Value, schema_ref: &str) -> Value {
    let params: Vec<Value> = [
        "dryRun",
        "fieldManager",
        "fieldValidation",
        "force",
        "pretty",
    ]
    .iter()
    .map(|p| json!({"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": true}}))
    .collect();
    json!({
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": gvk,
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}}}
    })
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/G/V`.
pub fn openapi_v3_doc(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let sch = kchart_schema::schema();
    let mut paths = serde_json::Map::new();
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    let mut queue = Vec::new();
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let mut any = false;
    for t in reg.in_group_version(group, version) {
        any = true;
        let gvk = json!({"group": group, "version": version, "kind": t.kind});
        let def_name = match &t.crd {
            None => {
                match sch.definition_name(&kchart_schema::Gvk::new(group, version, t.kind.clone()))
                {
                    Some(n) => n.to_string(),
                    None => continue,
                }
            }
            Some(c) => {
                let rev: String = group.split('.').rev().collect::<Vec<_>>().join(".");
                let name = format!("{rev}.{version}.{}", t.kind);
                let mut s = c.schemas.get(version).cloned().unwrap_or(
                    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                );
                s["x-kubernetes-group-version-kind"] = json!([gvk.clone()]);
                if let Some(p) = s.get_mut("properties").and_then(Value::as_object_mut) {
                    p.insert("metadata".into(), json!({"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}));
                    p.insert("apiVersion".into(), json!({"type": "string"}));
                    p.insert("kind".into(), json!({"type": "string"}));
                }
                queue.push("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".to_string());
                schemas.insert(name.clone(), s);
                name
            }
        };
        if t.crd.is_none() {
            queue.push(def_name.clone());
        }
        let schema_ref = format!("#/components/schemas/{def_name}");
        let item = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{prefix}/{}/{{name}}", t.plural)
        };
        if t.verbs.iter().any(|v| v == "patch") {
            paths.insert(item, json!({"patch": patch_op(gvk.clone(), &schema_ref)}));
        }
        let coll = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", t.plural)
        } else {
            format!("{prefix}/{}", t.plural)
        };
        let mut post = patch_op(gvk, &schema_ref);
        post["x-kubernetes-action"] = json!("post");
        paths.insert(coll, json!({"post": post}));
    }
    if !any {
        return None;
    }
    while let Some(name) = queue.pop() {
        if schemas.contains_key(&name) {
            continue;
        }
        let Some(node) = sch.definition(&name) else {
            continue;
        };
        let raw = node.resolved();
        let mut refs = Vec::new();
        collect_refs(raw, &mut refs);
        queue.extend(refs);
        schemas.insert(name, to_openapi(raw));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": kchart_schema::KUBERNETES_VERSION},
        "paths": paths,
        "components": {"schemas": schemas}
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_documents() {
        let reg = Registry::builtin();
        let apps = resource_list(&reg, "apps", "v1").expect("apps/v1");
        let names: Vec<&str> = apps["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(
            names.contains(&"deployments")
                && names.contains(&"deployments/scale")
                && names.contains(&"deployments/status")
        );
        let groups = api_group_list(&reg);
        assert!(
            groups["groups"]
                .as_array()
                .is_some_and(|g| g.iter().any(|x| x["name"] == "apps"))
        );
        let agg = aggregated(&reg, true);
        assert_eq!(agg["items"][0]["versions"][0]["version"], "v1");
        assert!(resource_list(&reg, "apps", "v9").is_none());
    }

    #[test]
    fn openapi_has_patch_metadata_and_field_validation() {
        let reg = Registry::builtin();
        let doc = openapi_v3_doc(&reg, "apps", "v1").expect("doc");
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert!(
            op["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x["name"] == "fieldValidation"))
        );
        let pod_spec = &doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"];
        assert_eq!(
            pod_spec["properties"]["containers"]["x-kubernetes-patch-merge-key"],
            "name"
        );
        assert_eq!(
            pod_spec["properties"]["containers"]["items"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.Container"
        );
        assert_eq!(
            doc["components"]["schemas"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
            "int-or-string"
        );
        let index = openapi_v3_index(&reg, "h");
        assert_eq!(
            index["paths"]["apis/apps/v1"]["serverRelativeURL"],
            "/openapi/v3/apis/apps/v1?hash=h"
        );
    }
}
