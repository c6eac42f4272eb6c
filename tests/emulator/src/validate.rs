//! Validation a real apiserver does before storing: object names (RFC 1123), unknown fields
//! (`fieldValidation=Strict|Warn|Ignore`, and pruning), and a few kind-specific rules that
//! charts commonly break (Deployment selectors, missing containers, Service ports).

use serde_json::Value;

use crate::selector::LabelSelector;
use crate::shape::Shape;
use crate::status::{Cause, cause};

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_label)
}

/// Kinds whose names must be RFC 1123 labels (no dots) rather than subdomains.
fn needs_label(group: &str, kind: &str) -> bool {
    matches!((group, kind), ("", "Namespace") | ("", "Service"))
}

/// Kinds that accept path-segment names (RBAC roles may contain `:`).
fn path_segment_names(group: &str) -> bool {
    group == "rbac.authorization.k8s.io"
}

/// Validates `metadata.name`.
pub fn name(group: &str, kind: &str, name: &str) -> Option<Cause> {
    if name.is_empty() {
        return Some(cause(
            "FieldValueRequired",
            "metadata.name",
            "Required value: name or generateName is required",
        ));
    }
    if path_segment_names(group) {
        let bad = name == "." || name == ".." || name.contains('/') || name.contains('%');
        return bad.then(|| {
            cause(
                "FieldValueInvalid",
                "metadata.name",
                format!("Invalid value: {name:?}: may not contain '/' or '%'"),
            )
        });
    }
    if needs_label(group, kind) {
        if !is_label(name) {
            let msg = if kind == "Service" {
                format!(
                    "Invalid value: {name:?}: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                )
            } else {
                format!("Invalid value: {name:?}: {LABEL_MSG}")
            };
            return Some(cause("FieldValueInvalid", "metadata.name", msg));
        }
        if kind == "Service" && !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Some(cause(
                "FieldValueInvalid",
                "metadata.name",
                format!(
                    "Invalid value: {name:?}: a DNS-1035 label must start with an alphabetic character"
                ),
            ));
        }
        return None;
    }
    (!is_subdomain(name)).then(|| {
        cause(
            "FieldValueInvalid",
            "metadata.name",
            format!("Invalid value: {name:?}: {SUBDOMAIN_MSG}"),
        )
    })
}

/// Paths (`spec.foo`, `spec.containers[0].bogus`) of fields the schema does not know.
pub fn unknown_fields(obj: &Value, shape: Shape<'_>) -> Vec<String> {
    let mut out = Vec::new();
    walk(obj, shape, "", &mut out, false);
    out
}

/// Removes fields the schema does not know (what decoding does with `fieldValidation=Ignore`).
pub fn prune(obj: &mut Value, shape: Shape<'_>) {
    prune_walk(obj, shape);
}

fn walk(v: &Value, shape: Shape<'_>, path: &str, out: &mut Vec<String>, in_list: bool) {
    let _ = in_list;
    match v {
        Value::Object(m) => {
            let check = shape.is_struct() && !shape.allows_unknown();
            for (k, c) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if check
                    && !shape.has_property(k)
                    && !(path.is_empty() && (k == "apiVersion" || k == "kind" || k == "metadata"))
                {
                    out.push(p);
                    continue;
                }
                walk(c, shape.child(k), &p, out, false);
            }
        }
        Value::Array(a) => {
            let items = shape.items();
            for (i, c) in a.iter().enumerate() {
                walk(c, items, &format!("{path}[{i}]"), out, true);
            }
        }
        _ => {}
    }
}

fn prune_walk(v: &mut Value, shape: Shape<'_>) {
    match v {
        Value::Object(m) => {
            if shape.is_struct() && !shape.allows_unknown() {
                m.retain(|k, _| {
                    shape.has_property(k) || k == "apiVersion" || k == "kind" || k == "metadata"
                });
            }
            for (k, c) in m.iter_mut() {
                prune_walk(c, shape.child(k));
            }
        }
        Value::Array(a) => {
            let items = shape.items();
            for c in a {
                prune_walk(c, items);
            }
        }
        _ => {}
    }
}

/// The apiserver's cap on the total size of an object's annotations (keys and values, in
/// bytes): `TotalAnnotationSizeLimitB`.
pub const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// Validation of the metadata every object shares (built-in or custom), as `ValidateObjectMeta`
/// does it before any kind-specific rule.
pub fn metadata(obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let size: usize = obj
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| k.len() + v.as_str().map(str::len).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    if size > MAX_ANNOTATIONS_BYTES {
        causes.push(cause(
            "FieldValueTooLong",
            "metadata.annotations",
            format!("Too long: may not be more than {MAX_ANNOTATIONS_BYTES} bytes"),
        ));
    }
    causes
}

/// Kind-specific validation of a defaulted object.
pub fn object(group: &str, kind: &str, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let template_kinds = matches!(
        (group, kind),
        (
            "apps",
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet"
        )
    );
    if template_kinds {
        match obj.pointer("/spec/selector") {
            None => causes.push(cause(
                "FieldValueRequired",
                "spec.selector",
                "Required value",
            )),
            Some(sel) => {
                let labels = obj.pointer("/spec/template/metadata/labels");
                if let Ok(s) = LabelSelector::from_object(sel)
                    && !s.matches(labels)
                {
                    let rendered = labels
                        .and_then(Value::as_object)
                        .map(|m| {
                            let parts: Vec<String> =
                                m.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                            format!("map[string]string{{{}}}", parts.join(", "))
                        })
                        .unwrap_or_else(|| "map[string]string(nil)".into());
                    causes.push(cause(
                        "FieldValueInvalid",
                        "spec.template.metadata.labels",
                        format!(
                            "Invalid value: {rendered}: `selector` does not match template `labels`"
                        ),
                    ));
                }
            }
        }
    }
    let pod_spec = match (group, kind) {
        ("", "Pod") => Some(("spec", obj.pointer("/spec"))),
        ("batch", "Job") => Some(("spec.template.spec", obj.pointer("/spec/template/spec"))),
        _ if template_kinds => Some(("spec.template.spec", obj.pointer("/spec/template/spec"))),
        _ => None,
    };
    if let Some((prefix, spec)) = pod_spec {
        let containers = spec
            .and_then(|s| s.get("containers"))
            .and_then(Value::as_array);
        match containers {
            None => causes.push(cause(
                "FieldValueRequired",
                &format!("{prefix}.containers"),
                "Required value",
            )),
            Some(list) if list.is_empty() => causes.push(cause(
                "FieldValueRequired",
                &format!("{prefix}.containers"),
                "Required value",
            )),
            Some(list) => {
                for (i, c) in list.iter().enumerate() {
                    if c.get("name")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        causes.push(cause(
                            "FieldValueRequired",
                            &format!("{prefix}.containers[{i}].name"),
                            "Required value",
                        ));
                    }
                    if c.get("image")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        causes.push(cause(
                            "FieldValueRequired",
                            &format!("{prefix}.containers[{i}].image"),
                            "Required value",
                        ));
                    }
                }
            }
        }
        if (group, kind) == ("batch", "Job") {
            let rp = spec
                .and_then(|s| s.get("restartPolicy"))
                .and_then(Value::as_str);
            if !matches!(rp, Some("OnFailure" | "Never")) {
                causes.push(cause(
                    "FieldValueNotSupported",
                    "spec.template.spec.restartPolicy",
                    format!(
                        "Unsupported value: {:?}: supported values: \"OnFailure\", \"Never\"",
                        rp.unwrap_or("Always")
                    ),
                ));
            }
        }
    }
    if (group, kind) == ("", "Service") {
        let ty = obj
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP");
        let headless = obj.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("None");
        let ports = obj
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(Vec::len)
            .unwrap_or(0);
        if ty != "ExternalName" && !headless && ports == 0 {
            causes.push(cause("FieldValueRequired", "spec.ports", "Required value"));
        }
    }
    if matches!((group, kind), ("", "ConfigMap" | "Secret")) {
        // The apiserver caps the total payload of a ConfigMap or Secret at 1 MiB.
        const MAX: usize = 1024 * 1024;
        let size = |field: &str, base64_encoded: bool| -> usize {
            obj.get(field)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let len = v.as_str().map(str::len).unwrap_or(0);
                            k.len() + if base64_encoded { len / 4 * 3 } else { len }
                        })
                        .sum()
                })
                .unwrap_or(0)
        };
        let total = if kind == "Secret" {
            size("data", true)
        } else {
            size("data", false) + size("binaryData", true)
        };
        if total > MAX {
            // Secrets report the limit on `data`, ConfigMaps on the object itself (`[]`).
            let field = if kind == "Secret" { "data" } else { "[]" };
            causes.push(cause(
                "FieldValueTooLong",
                field,
                format!("Too long: may not be more than {MAX} bytes"),
            ));
        }
        for field in ["data", "binaryData"] {
            for k in obj
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys())
            {
                let ok = !k.is_empty()
                    && k.len() <= 253
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !ok {
                    causes.push(cause(
                        "FieldValueInvalid",
                        &format!("{field}[{k}]"),
                        format!("Invalid value: {k:?}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"),
                    ));
                }
            }
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use kchart_schema::{Gvk, schema};
    use serde_json::json;

    #[test]
    fn names() {
        assert!(name("", "ConfigMap", "ok.name-1").is_none());
        let c = name("", "ConfigMap", "Bad_Name").expect("invalid");
        assert!(
            c.message
                .starts_with("Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain")
        );
        assert!(name("", "Namespace", "a.b").is_some());
        assert!(name("", "Service", "1abc").is_some());
        assert!(name("rbac.authorization.k8s.io", "ClusterRole", "system:thing").is_none());
        assert_eq!(
            name("", "ConfigMap", "").map(|c| c.field),
            Some("metadata.name".into())
        );
    }

    #[test]
    fn unknown_fields_and_pruning() {
        let shape = schema()
            .kind(&Gvk::new("apps", "v1", "Deployment"))
            .map(Shape::Builtin)
            .unwrap_or(Shape::Unknown);
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "labels": {"any": "ok"}},
            "spec": {"replicas": 1, "bogus": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i", "imagex": "typo"}]}}}});
        assert_eq!(
            unknown_fields(&d, shape),
            vec!["spec.bogus", "spec.template.spec.containers[0].imagex"]
        );
        prune(&mut d, shape);
        assert!(unknown_fields(&d, shape).is_empty());
        assert_eq!(d["spec"]["replicas"], 1);
        let crd = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}, "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}});
        let w = json!({"apiVersion": "e/v1", "kind": "W", "metadata": {"name": "w"}, "spec": {"size": 1, "color": "red"}, "status": {"free": 1}});
        assert_eq!(unknown_fields(&w, Shape::Crd(&crd)), vec!["spec.color"]);
    }

    #[test]
    fn description_fields_the_vendored_schema_lost_are_known() {
        let shape = |g: &str, k: &str| {
            schema()
                .kind(&Gvk::new(g, "v1", k))
                .map(Shape::Builtin)
                .unwrap_or(Shape::Unknown)
        };
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "ws.e"},
            "spec": {"group": "e", "scope": "Namespaced", "names": {"kind": "W", "plural": "ws"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size", "description": "how big"}],
                    "schema": {"openAPIV3Schema": {"type": "object", "description": "a W",
                        "externalDocs": {"description": "more", "url": "https://e"},
                        "properties": {"spec": {"type": "object", "description": "spec",
                            "properties": {"size": {"type": "integer", "description": "the size", "descriptio": "typo"}}}}}}}]}});
        assert_eq!(
            unknown_fields(
                &crd,
                shape("apiextensions.k8s.io", "CustomResourceDefinition")
            ),
            vec![
                "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.descriptio"
            ]
        );
        let pc = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"}, "value": 1, "description": "high"});
        assert!(unknown_fields(&pc, shape("scheduling.k8s.io", "PriorityClass")).is_empty());
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "description": "not a field"});
        assert_eq!(
            unknown_fields(&cm, shape("", "ConfigMap")),
            vec!["description"]
        );
    }

    #[test]
    fn annotations_are_capped_at_256_kib_in_total() {
        let with = |sizes: &[usize]| {
            let mut a = serde_json::Map::new();
            for (i, n) in sizes.iter().enumerate() {
                a.insert(format!("k{i}"), json!("x".repeat(*n)));
            }
            json!({"metadata": {"name": "x", "annotations": a}})
        };
        // Keys count: two keys of 2 bytes.
        let limit = MAX_ANNOTATIONS_BYTES;
        let cases = [
            (vec![], 0),
            (vec![1000], 0),
            (vec![limit - 2], 0),
            (vec![limit - 1], 1),
            (vec![limit / 2, limit / 2], 1),
            (vec![limit / 2 - 2, limit / 2 - 2], 0),
            (vec![400 * 1024], 1),
        ];
        for (sizes, want) in cases {
            let causes = metadata(&with(&sizes));
            assert_eq!(causes.len(), want, "{sizes:?}");
            if want == 1 {
                assert_eq!(causes[0].field, "metadata.annotations");
                assert_eq!(
                    causes[0].message,
                    "Too long: may not be more than 262144 bytes"
                );
            }
        }
        // Multi-byte characters count in bytes.
        let wide = json!({"metadata": {"annotations": {"k": "é".repeat(limit / 2)}}});
        assert_eq!(metadata(&wide).len(), 1);
    }

    #[test]
    fn deployment_rules() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let causes = object("apps", "Deployment", &d);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.template.metadata.labels");
        assert!(
            causes[0]
                .message
                .contains("`selector` does not match template `labels`")
        );
        let ok = json!({"spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        assert!(object("apps", "Deployment", &ok).is_empty());
        let svc = json!({"spec": {}});
        assert_eq!(object("", "Service", &svc)[0].field, "spec.ports");
        let cm = json!({"data": {"bad key": "v"}});
        assert_eq!(object("", "ConfigMap", &cm)[0].field, "data[bad key]");
        let big = json!({"data": {"k": "x".repeat(1024 * 1024 + 1)}});
        assert_eq!(
            object("", "ConfigMap", &big)[0].message,
            "Too long: may not be more than 1048576 bytes"
        );
        let ok = json!({"data": {"k": "x".repeat(1000)}});
        assert!(object("", "Secret", &ok).is_empty());
    }
}
