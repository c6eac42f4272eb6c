//! Strategic merge patch, as kube-apiserver applies `application/strategic-merge-patch+json`
//! to built-in kinds: maps merge, `null` deletes, lists with `patchStrategy: merge` merge by
//! their `patchMergeKey` (or as sets of scalars), other lists are replaced; the directives
//! `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<field>` and
//! `$deleteFromPrimitiveList/<field>` are honoured. Merge metadata comes from the schema crate.

use kchart_schema::Node;
use serde_json::{Map, Value};

const SET_ORDER: &str = "$setElementOrder/";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

/// Applies `patch` to `original`; `node` is the schema of the whole object.
pub fn apply(original: &Value, patch: &Value, node: Option<Node<'_>>) -> Result<Value, String> {
    let Value::Object(p) = patch else {
        return Err("strategic merge patch must be a JSON object".into());
    };
    let empty = Map::new();
    let o = original.as_object().unwrap_or(&empty);
    Ok(merge_map(o, p, node)?
        .map(Value::Object)
        .unwrap_or(Value::Object(Map::new())))
}

fn strategy(node: Option<Node<'_>>) -> (bool, bool) {
    let s = node.and_then(|n| n.patch_strategy()).unwrap_or_default();
    (s.merge, s.replace)
}

/// Merges a patch map into an original map. `None` means "delete this map" (`$patch: delete`).
fn merge_map(
    orig: &Map<String, Value>,
    patch: &Map<String, Value>,
    node: Option<Node<'_>>,
) -> Result<Option<Map<String, Value>>, String> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Ok(None),
        Some("replace") => {
            let mut out = patch.clone();
            out.shift_remove("$patch");
            return Ok(Some(strip(out)));
        }
        Some("merge") | None => {}
        Some(other) => return Err(format!("unknown patch type: {other:?}")),
    }
    let mut out = orig.clone();
    for (k, v) in patch {
        if k == "$patch"
            || k == "$retainKeys"
            || k.starts_with(SET_ORDER)
            || k.starts_with(DELETE_PRIMITIVE)
        {
            continue;
        }
        if v.is_null() {
            out.shift_remove(k);
            continue;
        }
        let child = node.and_then(|n| n.child(k));
        match merge_value(out.get(k), v, child)? {
            Some(merged) => {
                out.insert(k.clone(), merged);
            }
            None => {
                out.shift_remove(k);
            }
        }
    }
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix(DELETE_PRIMITIVE) {
            if let (Some(Value::Array(list)), Some(del)) = (out.get_mut(field), v.as_array()) {
                list.retain(|x| !del.contains(x));
            }
        } else if let Some(field) = k.strip_prefix(SET_ORDER) {
            let key = node
                .and_then(|n| n.child(field))
                .and_then(|n| n.patch_merge_key());
            if let (Some(Value::Array(list)), Some(order)) = (out.get_mut(field), v.as_array()) {
                reorder(list, order, key);
            }
        }
    }
    if let Some(keep) = patch.get("$retainKeys").and_then(Value::as_array) {
        out.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
    }
    Ok(Some(out))
}

fn merge_value(
    orig: Option<&Value>,
    patch: &Value,
    node: Option<Node<'_>>,
) -> Result<Option<Value>, String> {
    let (merge, replace) = strategy(node);
    match patch {
        Value::Object(p) => {
            if replace {
                return Ok(Some(Value::Object(strip(p.clone()))));
            }
            let empty = Map::new();
            let o = orig.and_then(Value::as_object).unwrap_or(&empty);
            Ok(merge_map(o, p, node)?.map(Value::Object))
        }
        Value::Array(p) => {
            if !merge || replace {
                return Ok(Some(Value::Array(
                    p.iter().map(|v| strip_value(v.clone())).collect(),
                )));
            }
            let o: &[Value] = orig
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let key = node.and_then(|n| n.patch_merge_key());
            let items = node.and_then(|n| n.items());
            let is_objects = items.is_some_and(|i| i.is_object()) || p.iter().any(Value::is_object);
            match (key, is_objects) {
                (Some(key), true) => {
                    merge_list_by_key(o, p, key, items).map(|l| Some(Value::Array(l)))
                }
                _ => {
                    if p.iter()
                        .any(|v| v.get("$patch").and_then(Value::as_str) == Some("replace"))
                    {
                        return Ok(Some(Value::Array(
                            p.iter()
                                .filter(|v| v.get("$patch").is_none())
                                .cloned()
                                .collect(),
                        )));
                    }
                    let mut out = o.to_vec();
                    for v in p {
                        if !out.contains(v) {
                            out.push(v.clone());
                        }
                    }
                    Ok(Some(Value::Array(out)))
                }
            }
        }
        other => Ok(Some(other.clone())),
    }
}

fn merge_list_by_key(
    orig: &[Value],
    patch: &[Value],
    key: &str,
    items: Option<Node<'_>>,
) -> Result<Vec<Value>, String> {
    if patch
        .iter()
        .any(|v| v.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(patch
            .iter()
            .filter(|v| v.get("$patch").is_none())
            .map(|v| strip_value(v.clone()))
            .collect());
    }
    let mut out = orig.to_vec();
    for elem in patch {
        let Value::Object(e) = elem else {
            return Err(format!(
                "expected a map in a list merged by {key:?}, got {elem}"
            ));
        };
        let Some(k) = e.get(key) else {
            return Err(format!(
                "map: {elem} does not contain declared merge key: {key}"
            ));
        };
        let pos = out.iter().position(|o| o.get(key) == Some(k));
        if e.get("$patch").and_then(Value::as_str) == Some("delete") {
            out.retain(|o| o.get(key) != Some(k));
            continue;
        }
        let empty = Map::new();
        let base = pos.and_then(|i| out[i].as_object()).unwrap_or(&empty);
        match (merge_map(base, e, items)?, pos) {
            (Some(m), Some(i)) => out[i] = Value::Object(m),
            (Some(m), None) => out.push(Value::Object(m)),
            (None, Some(i)) => {
                out.remove(i);
            }
            (None, None) => {}
        }
    }
    Ok(out)
}

fn reorder(list: &mut Vec<Value>, order: &[Value], key: Option<&str>) {
    let ident = |v: &Value| -> Value {
        match key {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let mut ordered = Vec::with_capacity(list.len());
    for o in order {
        let want = ident(o);
        if let Some(i) = list.iter().position(|v| ident(v) == want) {
            ordered.push(list.remove(i));
        }
    }
    ordered.append(list);
    *list = ordered;
}

fn strip(mut m: Map<String, Value>) -> Map<String, Value> {
    m.retain(|k, _| !k.starts_with('$'));
    for v in m.values_mut() {
        *v = strip_value(std::mem::take(v));
    }
    m
}

fn strip_value(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(strip(m)),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_value).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kchart_schema::{Gvk, schema};
    use serde_json::json;

    fn deployment() -> Option<Node<'static>> {
        schema().kind(&Gvk::new("apps", "v1", "Deployment"))
    }

    fn dep(containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"a": "1", "b": "2"}, "finalizers": ["x"]},
               "spec": {"replicas": 1, "template": {"spec": {"containers": containers, "volumes": [{"name": "v", "emptyDir": {}}]}}}})
    }

    fn run(orig: &Value, patch: Value) -> Value {
        apply(orig, &patch, deployment()).expect("patch applies")
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        let o = dep(json!([{"name": "a", "image": "x"}]));
        let r = run(
            &o,
            json!({"metadata": {"labels": {"a": null, "c": "3"}}, "spec": {"replicas": 3}}),
        );
        assert_eq!(r["metadata"]["labels"], json!({"b": "2", "c": "3"}));
        assert_eq!(r["spec"]["replicas"], 3);
        assert_eq!(r["spec"]["template"]["spec"]["containers"][0]["image"], "x");
    }

    #[test]
    fn containers_merge_by_name() {
        let o = dep(
            json!([{"name": "a", "image": "x", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "y"}]),
        );
        let r = run(
            &o,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "c", "image": "w"}]}}}}),
        );
        let c = &r["spec"]["template"]["spec"]["containers"];
        assert_eq!(c.as_array().map(Vec::len), Some(3));
        assert_eq!(c[0]["ports"][0]["containerPort"], 80);
        assert_eq!(c[1]["image"], "z");
        assert_eq!(c[2]["name"], "c");
    }

    #[test]
    fn delete_and_replace_directives() {
        let o = dep(json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]));
        let r = run(
            &o,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}}}),
        );
        assert_eq!(
            r["spec"]["template"]["spec"]["containers"],
            json!([{"name": "b", "image": "y"}])
        );
        let r = run(
            &o,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "n", "image": "i"}, {"$patch": "replace"}]}}}}),
        );
        assert_eq!(
            r["spec"]["template"]["spec"]["containers"],
            json!([{"name": "n", "image": "i"}])
        );
        let r = run(
            &o,
            json!({"metadata": {"labels": {"$patch": "replace", "z": "9"}}}),
        );
        assert_eq!(r["metadata"]["labels"], json!({"z": "9"}));
        let r = run(&o, json!({"metadata": {"labels": {"$patch": "delete"}}}));
        assert!(r["metadata"].get("labels").is_none());
    }

    #[test]
    fn non_merge_lists_replace_and_primitive_merge_lists_union() {
        let o = dep(json!([{"name": "a", "image": "x", "args": ["1", "2"]}]));
        let r = run(
            &o,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["3"]}]}}}}),
        );
        assert_eq!(
            r["spec"]["template"]["spec"]["containers"][0]["args"],
            json!(["3"])
        );
        let r = run(&o, json!({"metadata": {"finalizers": ["y", "x"]}}));
        assert_eq!(r["metadata"]["finalizers"], json!(["x", "y"]));
        let r = run(
            &o,
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}),
        );
        assert_eq!(r["metadata"]["finalizers"], json!([]));
    }

    #[test]
    fn retain_keys_and_set_element_order() {
        let o = dep(json!([{"name": "a"}, {"name": "b"}]));
        let r = run(
            &o,
            json!({"spec": {"template": {"spec": {"volumes": [{"name": "v", "configMap": {"name": "cm"}, "$retainKeys": ["configMap", "name"]}]}}}}),
        );
        assert_eq!(
            r["spec"]["template"]["spec"]["volumes"],
            json!([{"name": "v", "configMap": {"name": "cm"}}])
        );
        let r = run(
            &o,
            json!({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "a", "image": "i"}]}}}}),
        );
        assert_eq!(
            r["spec"]["template"]["spec"]["containers"],
            json!([{"name": "b"}, {"name": "a", "image": "i"}])
        );
    }

    #[test]
    fn missing_merge_key_is_an_error() {
        let o = dep(json!([{"name": "a"}]));
        let err = apply(
            &o,
            &json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
            deployment(),
        )
        .expect_err("no key");
        assert!(
            err.contains("does not contain declared merge key: name"),
            "{err}"
        );
        assert!(apply(&o, &json!([1]), deployment()).is_err());
    }
}
