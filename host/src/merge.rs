//! Three-way merge: `merge(last, live, desired)` over JSON values, with the semantics of
//! `kubectl apply` and Helm's three-way strategic merge patch.
//!
//! - a field in `desired` is set to the desired value (`null` deletes it);
//! - a field in `last` (what we applied before) but not in `desired` is removed: we stopped
//!   managing it;
//! - a field in neither is kept: server defaults and other controllers' fields survive;
//! - lists merge element by element where the [`Shape`] says so (by merge key, or as a set of
//!   scalars), and are otherwise replaced whole;
//! - strategic-merge directives in `desired` are honoured: `$patch: replace` on a map or as a
//!   list element, `$patch: delete` on a map or a keyed list element, and `retainKeys`
//!   strategies (union types such as a Deployment's `strategy`) drop live keys not desired.
//!
//! Depth: the engine recurses once per level of the objects, unbounded here; what bounds it
//! is that every object comes from a bounded reader (YAML at [`crate::yaml::MAX_DEPTH`],
//! JSON at serde_json's 128 levels), and a test merges the deepest such objects.
//!
//! The engine is pure: where lists merge comes from a [`Shape`], built from the Kubernetes
//! schema for built-in kinds or from a CRD's `openAPIV3Schema` for custom resources, so the
//! same engine serves both (where Helm falls back to a two-way merge for custom resources).

use serde_json::{Map, Value};

/// How a list merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListMerge {
    /// The desired list replaces the live one (atomic lists, and lists the schema says nothing of).
    Replace,
    /// Lists of objects merged element by element, matched on these keys (`name`; or
    /// `containerPort` and `protocol`).
    ByKeys(Vec<String>),
    /// Lists of scalars merged as sets (`finalizers`, `x-kubernetes-list-type: set`).
    Set,
}

/// What the engine needs to know of an object's schema: where lists merge and how.
///
/// Implementations navigate lazily; a `None` child means "nothing known below here", and
/// everything unknown merges maps key by key and replaces lists.
pub trait Shape {
    /// The shape of field `name` of this map.
    fn field(&self, name: &str) -> Option<Box<dyn Shape + '_>>;
    /// The shape of this list's elements (or of this map's values, for free-form maps).
    fn items(&self) -> Option<Box<dyn Shape + '_>>;
    /// How this node merges when it is a list.
    fn list_merge(&self) -> ListMerge;
    /// The map is owned as a whole (`x-kubernetes-map-type: atomic`): desired replaces it.
    fn atomic_map(&self) -> bool {
        false
    }
    /// `retainKeys`: keys of the live map that the desired map does not set are cleared.
    fn retain_keys(&self) -> bool {
        false
    }
}

/// Merges `desired` into `live`, given what was applied `last`.
///
/// With no `live` (the object does not exist) the result is `desired` without directives.
/// `last` is ignored when it is of another kind than `desired`: it describes another object.
pub fn merge(
    last: Option<&Value>,
    live: Option<&Value>,
    desired: &Value,
    shape: Option<&dyn Shape>,
) -> Value {
    let last = last.filter(|last| same_kind(last, desired));
    merge_value(last, live, desired, shape)
}

fn same_kind(a: &Value, b: &Value) -> bool {
    a.get("apiVersion") == b.get("apiVersion") && a.get("kind") == b.get("kind")
}

fn merge_value(
    last: Option<&Value>,
    live: Option<&Value>,
    desired: &Value,
    shape: Option<&dyn Shape>,
) -> Value {
    match (desired, live) {
        (Value::Object(d), Some(Value::Object(l))) if !shape.is_some_and(|s| s.atomic_map()) => {
            if directive(d) == Some("replace") {
                return strip(desired);
            }
            Value::Object(merge_map(last.and_then(Value::as_object), l, d, shape))
        }
        (Value::Array(d), Some(Value::Array(l))) => {
            let strategy = shape.map_or(ListMerge::Replace, |s| s.list_merge());
            let items = shape.and_then(|s| s.items());
            Value::Array(merge_list(
                last.and_then(Value::as_array),
                l,
                d,
                &strategy,
                items.as_deref(),
            ))
        }
        _ => strip(desired),
    }
}

fn directive(map: &Map<String, Value>) -> Option<&str> {
    map.get("$patch").and_then(Value::as_str)
}

fn merge_map(
    last: Option<&Map<String, Value>>,
    live: &Map<String, Value>,
    desired: &Map<String, Value>,
    shape: Option<&dyn Shape>,
) -> Map<String, Value> {
    let deletes = |want: &Value| {
        want.is_null()
            || want
                .as_object()
                .is_some_and(|m| directive(m) == Some("delete"))
    };
    let retain_keys = shape.is_some_and(|s| s.retain_keys());
    // Whether this map's patch would be non-empty, which is when kubectl sends `$retainKeys`
    // for it: a desired key changes, is added or deleted, or a key we set before is dropped.
    // An unchanged union (a Deployment's `strategy: {type: RollingUpdate}` beside the
    // server's defaulted `rollingUpdate`) keeps its live members.
    let mut changed = false;
    let mut result = Map::with_capacity(live.len() + desired.len());
    // Live keys first, in live order; each value is cloned once, or merged.
    for (key, have) in live {
        match desired.get(key) {
            Some(want) if deletes(want) => changed = true,
            Some(want) => {
                let child = shape.and_then(|s| s.field(key));
                let merged = merge_value(
                    last.and_then(|l| l.get(key)),
                    Some(have),
                    want,
                    child.as_deref(),
                );
                if retain_keys && !changed && merged != *have {
                    changed = true;
                }
                result.insert(key.clone(), merged);
            }
            // Ours before and not desired now: removed.
            None if last.is_some_and(|l| l.contains_key(key)) => changed = true,
            None => {
                result.insert(key.clone(), have.clone());
            }
        }
    }
    // Then desired keys the live object lacks, in desired order.
    for (key, want) in desired {
        if key.starts_with('$') || live.contains_key(key) || deletes(want) {
            continue;
        }
        changed = true;
        result.insert(key.clone(), strip(want));
    }
    // kubectl also sends `$retainKeys` when the desired map has a key the last applied one
    // did not (a union member switched without a live change yet).
    let new_key = || {
        last.is_some_and(|l| {
            desired
                .iter()
                .any(|(k, v)| !k.starts_with('$') && !deletes(v) && !l.contains_key(k))
        })
    };
    if retain_keys && (changed || new_key()) {
        // retainKeys: only desired keys stay.
        result.retain(|key, _| desired.contains_key(key));
    }
    result
}

fn merge_list(
    last: Option<&Vec<Value>>,
    live: &[Value],
    desired: &[Value],
    strategy: &ListMerge,
    items: Option<&dyn Shape>,
) -> Vec<Value> {
    // A `{$patch: replace}` element asks for the rest of the desired list, whatever is live.
    let replace = desired.iter().any(|item| {
        item.as_object()
            .is_some_and(|m| directive(m) == Some("replace") && m.len() == 1)
    });
    if replace {
        return desired
            .iter()
            .filter(|item| {
                !item
                    .as_object()
                    .is_some_and(|m| m.contains_key("$patch") && m.len() == 1)
            })
            .map(strip)
            .collect();
    }
    match strategy {
        // Unchanged since the last apply, and live only adds to each element (server defaults
        // such as a subject's `apiGroup: ""`): keep live, so a no-op apply stays a no-op.
        ListMerge::Replace
            if last.is_some_and(|last| last.as_slice() == desired)
                && live.len() == desired.len()
                && live.iter().zip(desired).all(|(l, d)| contains(l, d)) =>
        {
            live.to_vec()
        }
        ListMerge::Replace => desired.iter().map(strip).collect(),
        ListMerge::Set => merge_set(last, live, desired),
        ListMerge::ByKeys(keys) => match merge_keyed(last, live, desired, keys, items) {
            Some(merged) => merged,
            // Elements without their keys cannot be matched: replace, as the API server would.
            None => desired.iter().map(strip).collect(),
        },
    }
}

/// Whether `outer` holds everything `inner` does (maps may have more keys; lists and scalars
/// must be equal element by element).
fn contains(outer: &Value, inner: &Value) -> bool {
    match (outer, inner) {
        (Value::Object(o), Value::Object(i)) => i
            .iter()
            .all(|(key, value)| o.get(key).is_some_and(|have| contains(have, value))),
        (Value::Array(o), Value::Array(i)) => {
            o.len() == i.len() && o.iter().zip(i).all(|(a, b)| contains(a, b))
        }
        _ => outer == inner,
    }
}

fn merge_set(last: Option<&Vec<Value>>, live: &[Value], desired: &[Value]) -> Vec<Value> {
    let mut result: Vec<Value> = Vec::with_capacity(desired.len() + live.len());
    for item in desired {
        if !result.contains(item) {
            result.push(item.clone());
        }
    }
    for item in live {
        let dropped = last.is_some_and(|last| last.contains(item));
        if !dropped && !result.contains(item) {
            result.push(item.clone());
        }
    }
    result
}

/// The values of `keys` in an element; `None` when it is not a map or lacks the first key.
fn key_of(item: &Value, keys: &[String]) -> Option<Vec<Value>> {
    let map = item.as_object()?;
    let mut out = Vec::with_capacity(keys.len());
    for (index, key) in keys.iter().enumerate() {
        match map.get(key) {
            Some(value) => out.push(value.clone()),
            // Secondary keys may be defaulted by the server (`protocol: TCP`); only the first
            // key is required to match.
            None if index > 0 => out.push(Value::Null),
            None => return None,
        }
    }
    Some(out)
}

/// Whether two keys name the same element. A missing secondary key matches its server default.
fn same_key(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .enumerate()
            .all(|(index, (x, y))| x == y || (index > 0 && (x.is_null() || y.is_null())))
}

fn merge_keyed(
    last: Option<&Vec<Value>>,
    live: &[Value],
    desired: &[Value],
    keys: &[String],
    items: Option<&dyn Shape>,
) -> Option<Vec<Value>> {
    let desired_keys: Vec<Vec<Value>> = desired
        .iter()
        .map(|item| key_of(item, keys))
        .collect::<Option<_>>()?;
    let live_keys: Vec<Option<Vec<Value>>> = live.iter().map(|item| key_of(item, keys)).collect();
    let last_keys: Vec<Vec<Value>> = last
        .map(|last| last.iter().filter_map(|item| key_of(item, keys)).collect())
        .unwrap_or_default();
    let find = |list: &[Option<Vec<Value>>], key: &[Value]| {
        list.iter()
            .position(|k| k.as_deref().is_some_and(|k| same_key(k, key)))
    };

    let mut result = Vec::with_capacity(desired.len() + live.len());
    let mut used = vec![false; live.len()];
    for (item, key) in desired.iter().zip(&desired_keys) {
        let deleted = item
            .as_object()
            .is_some_and(|m| directive(m) == Some("delete"));
        let at = find(&live_keys, key);
        if let Some(at) = at {
            used[at] = true;
        }
        if deleted {
            continue;
        }
        let previous = last.and_then(|last| {
            last.iter()
                .find(|l| key_of(l, keys).is_some_and(|k| same_key(&k, key)))
        });
        let merged = match at {
            Some(at) => merge_value(previous, Some(&live[at]), item, items),
            None => strip(item),
        };
        result.push(merged);
    }
    // Elements only live: kept when someone else added them, dropped when we did and stopped.
    for (index, item) in live.iter().enumerate() {
        if used[index] {
            continue;
        }
        let ours = live_keys[index]
            .as_deref()
            .is_some_and(|key| last_keys.iter().any(|l| same_key(l, key)));
        if !ours {
            result.push(item.clone());
        }
    }
    Some(result)
}

/// `desired` without strategic-merge directives (`$patch`, `$retainKeys`, ...), which must
/// never reach the API server as data.
fn strip(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !key.starts_with('$'))
                .map(|(key, value)| (key.clone(), strip(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|item| {
                    !item
                        .as_object()
                        .is_some_and(|m| m.contains_key("$patch") && m.len() == 1)
                })
                .map(strip)
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A [`Shape`] read from a JSON schema in the form CRDs use (`openAPIV3Schema`):
/// `properties`, `items`, `additionalProperties`, and the structural-schema extensions
/// `x-kubernetes-list-type` (`map` with `x-kubernetes-list-map-keys`, `set`, `atomic`) and
/// `x-kubernetes-map-type`. Lists marked nothing are replaced whole.
#[derive(Debug, Clone, Copy)]
pub struct JsonSchemaShape<'a>(pub &'a Value);

impl Shape for JsonSchemaShape<'_> {
    fn field(&self, name: &str) -> Option<Box<dyn Shape + '_>> {
        let next = self
            .0
            .get("properties")
            .and_then(|p| p.get(name))
            .or_else(|| self.0.get("additionalProperties").filter(|v| v.is_object()))?;
        Some(Box::new(JsonSchemaShape(next)))
    }

    fn items(&self) -> Option<Box<dyn Shape + '_>> {
        let next = self
            .0
            .get("items")
            .or_else(|| self.0.get("additionalProperties").filter(|v| v.is_object()))?;
        Some(Box::new(JsonSchemaShape(next)))
    }

    fn list_merge(&self) -> ListMerge {
        match self.0.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("map") => {
                let keys: Vec<String> = self
                    .0
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| {
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                if keys.is_empty() {
                    ListMerge::Replace
                } else {
                    ListMerge::ByKeys(keys)
                }
            }
            Some("set") => ListMerge::Set,
            _ => ListMerge::Replace,
        }
    }

    fn atomic_map(&self) -> bool {
        self.0.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment-like schema: the list keys real Kubernetes declares for these fields.
    fn deployment_schema() -> Value {
        let container = json!({
            "type": "object",
            "properties": {
                "env": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object"}},
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["containerPort", "protocol"], "items": {"type": "object"}},
                "volumeMounts": {"type": "array", "x-kubernetes-list-type": "map",
                                 "x-kubernetes-list-map-keys": ["mountPath"], "items": {"type": "object"}},
                "args": {"type": "array", "items": {"type": "string"}},
                "resources": {"type": "object"}
            }
        });
        json!({
            "type": "object",
            "properties": {
                "metadata": {"type": "object", "properties": {
                    "finalizers": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                }},
                "spec": {"type": "object", "properties": {
                    "selector": {"type": "object", "x-kubernetes-map-type": "atomic"},
                    "template": {"type": "object", "properties": {
                        "spec": {"type": "object", "properties": {
                            "containers": {"type": "array", "x-kubernetes-list-type": "map",
                                           "x-kubernetes-list-map-keys": ["name"], "items": container.clone()},
                            "initContainers": {"type": "array", "x-kubernetes-list-type": "map",
                                               "x-kubernetes-list-map-keys": ["name"], "items": container},
                            "volumes": {"type": "array", "x-kubernetes-list-type": "map",
                                        "x-kubernetes-list-map-keys": ["name"], "items": {"type": "object"}},
                            "tolerations": {"type": "array", "items": {"type": "object"}}
                        }}
                    }}
                }}
            }
        })
    }

    fn run(last: Option<Value>, live: Option<Value>, desired: Value) -> Value {
        let schema = deployment_schema();
        let shape = JsonSchemaShape(&schema);
        merge(last.as_ref(), live.as_ref(), &desired, Some(&shape))
    }

    fn containers(list: Value) -> Value {
        json!({"spec": {"template": {"spec": {"containers": list}}}})
    }

    #[test]
    fn table() {
        // (case, last, live, desired, expected)
        let cases: Vec<(&str, Option<Value>, Value, Value, Value)> = vec![
            (
                "scalar set",
                Some(json!({"a": 1})),
                json!({"a": 1}),
                json!({"a": 2}),
                json!({"a": 2}),
            ),
            (
                "scalar unchanged",
                Some(json!({"a": 1})),
                json!({"a": 1}),
                json!({"a": 1}),
                json!({"a": 1}),
            ),
            (
                "field added",
                Some(json!({})),
                json!({}),
                json!({"a": 1}),
                json!({"a": 1}),
            ),
            (
                "field removed when we set it before",
                Some(json!({"a": 1, "b": 2})),
                json!({"a": 1, "b": 2}),
                json!({"a": 1}),
                json!({"a": 1}),
            ),
            (
                "server default kept",
                Some(json!({"a": 1})),
                json!({"a": 1, "d": "default"}),
                json!({"a": 1}),
                json!({"a": 1, "d": "default"}),
            ),
            (
                "other controller's field kept on change",
                Some(json!({"a": 1})),
                json!({"a": 1, "x": true}),
                json!({"a": 5}),
                json!({"a": 5, "x": true}),
            ),
            (
                "live drift reverted",
                Some(json!({"a": 1})),
                json!({"a": 9}),
                json!({"a": 1}),
                json!({"a": 1}),
            ),
            (
                "null deletes",
                Some(json!({"a": 1})),
                json!({"a": 1, "b": 2}),
                json!({"a": 1, "b": null}),
                json!({"a": 1}),
            ),
            (
                "null deletes a field we never set",
                None,
                json!({"b": 2}),
                json!({"b": null}),
                json!({}),
            ),
            (
                "nested map merge",
                Some(json!({"m": {"a": 1}})),
                json!({"m": {"a": 1, "s": 0}}),
                json!({"m": {"a": 2, "b": 3}}),
                json!({"m": {"a": 2, "s": 0, "b": 3}}),
            ),
            (
                "nested removal",
                Some(json!({"m": {"a": 1, "b": 2}})),
                json!({"m": {"a": 1, "b": 2, "s": 0}}),
                json!({"m": {"a": 1}}),
                json!({"m": {"a": 1, "s": 0}}),
            ),
            (
                "whole map removed",
                Some(json!({"m": {"a": 1}})),
                json!({"m": {"a": 1, "s": 0}, "k": 1}),
                json!({"k": 1}),
                json!({"k": 1}),
            ),
            (
                "first apply keeps defaults",
                None,
                json!({"a": 1, "d": 0}),
                json!({"a": 2}),
                json!({"a": 2, "d": 0}),
            ),
            (
                "type change scalar to map",
                Some(json!({"a": 1})),
                json!({"a": 1}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 1}}),
            ),
            (
                "type change map to scalar",
                Some(json!({"a": {"b": 1}})),
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": "x"}),
                json!({"a": "x"}),
            ),
            (
                "untyped list replaced",
                Some(json!({"l": [1, 2]})),
                json!({"l": [1, 2, 3]}),
                json!({"l": [4]}),
                json!({"l": [4]}),
            ),
            (
                "label removed, other label kept",
                Some(json!({"metadata": {"labels": {"a": "1", "b": "2"}}})),
                json!({"metadata": {"labels": {"a": "1", "b": "2", "team": "x"}}}),
                json!({"metadata": {"labels": {"a": "1"}}}),
                json!({"metadata": {"labels": {"a": "1", "team": "x"}}}),
            ),
            (
                "finalizers merge as a set",
                Some(json!({"metadata": {"finalizers": ["ours/a", "ours/b"]}})),
                json!({"metadata": {"finalizers": ["ours/a", "ours/b", "theirs/c"]}}),
                json!({"metadata": {"finalizers": ["ours/a", "ours/d"]}}),
                json!({"metadata": {"finalizers": ["ours/a", "ours/d", "theirs/c"]}}),
            ),
            (
                "atomic selector replaced whole",
                Some(json!({"spec": {"selector": {"matchLabels": {"a": "1"}}}})),
                json!({"spec": {"selector": {"matchLabels": {"a": "1"}, "matchExpressions": []}}}),
                json!({"spec": {"selector": {"matchLabels": {"b": "2"}}}}),
                json!({"spec": {"selector": {"matchLabels": {"b": "2"}}}}),
            ),
            (
                "$patch replace on a map",
                Some(json!({"m": {"a": 1}})),
                json!({"m": {"a": 1, "s": 0}}),
                json!({"m": {"$patch": "replace", "b": 2}}),
                json!({"m": {"b": 2}}),
            ),
            (
                "$patch delete on a map",
                Some(json!({})),
                json!({"m": {"a": 1}, "k": 1}),
                json!({"m": {"$patch": "delete"}, "k": 1}),
                json!({"k": 1}),
            ),
        ];
        for (name, last, live, desired, expected) in cases {
            assert_eq!(run(last, Some(live), desired), expected, "case: {name}");
        }
    }

    #[test]
    fn keyed_lists() {
        let cases: Vec<(&str, Option<Value>, Value, Value, Value)> = vec![
            (
                "container image changed, defaults kept",
                Some(containers(json!([{"name": "a", "image": "x:1"}]))),
                containers(
                    json!([{"name": "a", "image": "x:1", "imagePullPolicy": "IfNotPresent"}]),
                ),
                containers(json!([{"name": "a", "image": "x:2"}])),
                containers(
                    json!([{"name": "a", "image": "x:2", "imagePullPolicy": "IfNotPresent"}]),
                ),
            ),
            (
                "container added",
                Some(containers(json!([{"name": "a"}]))),
                containers(json!([{"name": "a", "d": 1}])),
                containers(json!([{"name": "a"}, {"name": "b"}])),
                containers(json!([{"name": "a", "d": 1}, {"name": "b"}])),
            ),
            (
                "container we added is removed",
                Some(containers(json!([{"name": "a"}, {"name": "b"}]))),
                containers(json!([{"name": "a"}, {"name": "b"}])),
                containers(json!([{"name": "a"}])),
                containers(json!([{"name": "a"}])),
            ),
            (
                "injected sidecar kept",
                Some(containers(json!([{"name": "a"}]))),
                containers(json!([{"name": "a"}, {"name": "istio-proxy", "image": "proxy"}])),
                containers(json!([{"name": "a", "image": "new"}])),
                containers(
                    json!([{"name": "a", "image": "new"}, {"name": "istio-proxy", "image": "proxy"}]),
                ),
            ),
            (
                "reordered containers follow desired order",
                Some(containers(json!([{"name": "a"}, {"name": "b"}]))),
                containers(json!([{"name": "a", "d": 1}, {"name": "b", "d": 2}])),
                containers(json!([{"name": "b"}, {"name": "a"}])),
                containers(json!([{"name": "b", "d": 2}, {"name": "a", "d": 1}])),
            ),
            (
                "env by name: removed, changed, added; someone else's kept",
                Some(containers(
                    json!([{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]),
                )),
                containers(
                    json!([{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}, {"name": "INJECTED", "value": "i"}]}]),
                ),
                containers(
                    json!([{"name": "a", "env": [{"name": "X", "value": "9"}, {"name": "Z", "value": "3"}]}]),
                ),
                containers(
                    json!([{"name": "a", "env": [{"name": "X", "value": "9"}, {"name": "Z", "value": "3"}, {"name": "INJECTED", "value": "i"}]}]),
                ),
            ),
            (
                "env value replaced by valueFrom",
                Some(containers(
                    json!([{"name": "a", "env": [{"name": "X", "value": "1"}]}]),
                )),
                containers(json!([{"name": "a", "env": [{"name": "X", "value": "1"}]}])),
                containers(
                    json!([{"name": "a", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]),
                ),
                containers(
                    json!([{"name": "a", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]),
                ),
            ),
            (
                "ports by containerPort with defaulted protocol",
                Some(containers(
                    json!([{"name": "a", "ports": [{"containerPort": 80}]}]),
                )),
                containers(
                    json!([{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]),
                ),
                containers(
                    json!([{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]),
                ),
                containers(
                    json!([{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}]),
                ),
            ),
            (
                "same port, two protocols",
                Some(containers(
                    json!([{"name": "a", "ports": [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]}]),
                )),
                containers(
                    json!([{"name": "a", "ports": [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]}]),
                ),
                containers(
                    json!([{"name": "a", "ports": [{"containerPort": 53, "protocol": "UDP"}]}]),
                ),
                containers(
                    json!([{"name": "a", "ports": [{"containerPort": 53, "protocol": "UDP"}]}]),
                ),
            ),
            (
                "args replaced whole",
                Some(containers(json!([{"name": "a", "args": ["-a", "-b"]}]))),
                containers(json!([{"name": "a", "args": ["-a", "-b"]}])),
                containers(json!([{"name": "a", "args": ["-b"]}])),
                containers(json!([{"name": "a", "args": ["-b"]}])),
            ),
            (
                "first apply merges into unknown live lists",
                None,
                containers(json!([{"name": "a", "d": 1}, {"name": "side"}])),
                containers(json!([{"name": "a", "image": "x"}])),
                containers(json!([{"name": "a", "d": 1, "image": "x"}, {"name": "side"}])),
            ),
            (
                "$patch delete removes an element",
                Some(containers(json!([{"name": "a"}]))),
                containers(json!([{"name": "a"}, {"name": "side"}])),
                containers(json!([{"name": "a"}, {"name": "side", "$patch": "delete"}])),
                containers(json!([{"name": "a"}])),
            ),
            (
                "$patch replace element replaces the list",
                Some(containers(json!([{"name": "a"}]))),
                containers(json!([{"name": "a", "d": 1}, {"name": "side"}])),
                containers(json!([{"$patch": "replace"}, {"name": "a"}])),
                containers(json!([{"name": "a"}])),
            ),
            (
                "elements without the key fall back to replace",
                Some(containers(json!([{"name": "a"}]))),
                containers(json!([{"name": "a", "d": 1}])),
                containers(json!([{"image": "nameless"}])),
                containers(json!([{"image": "nameless"}])),
            ),
            (
                "untyped tolerations replaced",
                Some(json!({"spec": {"template": {"spec": {"tolerations": [{"key": "a"}]}}}})),
                json!({"spec": {"template": {"spec": {"tolerations": [{"key": "a"}, {"key": "b"}]}}}}),
                json!({"spec": {"template": {"spec": {"tolerations": [{"key": "c"}]}}}}),
                json!({"spec": {"template": {"spec": {"tolerations": [{"key": "c"}]}}}}),
            ),
            (
                "volumes by name and mounts by mountPath",
                Some(
                    json!({"spec": {"template": {"spec": {"volumes": [{"name": "v", "emptyDir": {}}], "containers": [{"name": "a", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}]}}}}),
                ),
                json!({"spec": {"template": {"spec": {"volumes": [{"name": "v", "emptyDir": {}}, {"name": "token", "projected": {}}], "containers": [{"name": "a", "volumeMounts": [{"name": "v", "mountPath": "/v"}, {"name": "token", "mountPath": "/var/run/secrets"}]}]}}}}),
                json!({"spec": {"template": {"spec": {"volumes": [{"name": "w", "emptyDir": {}}], "containers": [{"name": "a", "volumeMounts": [{"name": "w", "mountPath": "/w"}]}]}}}}),
                json!({"spec": {"template": {"spec": {"volumes": [{"name": "w", "emptyDir": {}}, {"name": "token", "projected": {}}], "containers": [{"name": "a", "volumeMounts": [{"name": "w", "mountPath": "/w"}, {"name": "token", "mountPath": "/var/run/secrets"}]}]}}}}),
            ),
        ];
        for (name, last, live, desired, expected) in cases {
            assert_eq!(run(last, Some(live), desired), expected, "case: {name}");
        }
    }

    #[test]
    fn the_deepest_objects_any_reader_yields_merge_on_a_small_stack() {
        // serde_json's reader stops at 128 levels (YAML's at 100): the deepest live objects.
        let nested = |leaf: Value| {
            let mut value = leaf;
            for level in 0..126 {
                value = if level % 2 == 0 {
                    json!([value])
                } else {
                    json!({"k": value})
                };
            }
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": value})
        };
        let text = serde_json::to_string(&nested(json!(1))).unwrap();
        let live: Value = serde_json::from_str(&text).unwrap();
        let desired = nested(json!(2));
        // A thread with a 1 MiB stack, half the default, in a debug build.
        let merged = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let merged = merge(Some(&live), Some(&live), &desired, None);
                assert_eq!(merge(Some(&desired), Some(&merged), &desired, None), merged);
                merged
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(merged, nested(json!(2)));
    }

    #[test]
    fn no_live_object_is_desired_without_directives() {
        let desired = json!({"m": {"$patch": "replace", "a": [{"$patch": "replace"}, {"name": "x"}]}, "b": 1});
        assert_eq!(
            run(None, None, desired),
            json!({"m": {"a": [{"name": "x"}]}, "b": 1})
        );
    }

    #[test]
    fn last_of_another_kind_is_ignored() {
        let last = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}, "x": 1});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "x": 1, "type": "Opaque"});
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "data": {"b": "Mg=="}});
        // With the ConfigMap's `last`, `x` would be removed; it describes another object.
        assert_eq!(
            merge(Some(&last), Some(&live), &desired, None),
            json!({"apiVersion": "v1", "kind": "Secret", "x": 1, "type": "Opaque", "data": {"b": "Mg=="}})
        );
    }

    #[test]
    fn without_a_shape_maps_merge_and_lists_replace() {
        let live = json!({"a": {"b": 1, "c": 2}, "l": [{"name": "x", "d": 1}]});
        let desired = json!({"a": {"b": 5}, "l": [{"name": "x"}]});
        assert_eq!(
            merge(None, Some(&live), &desired, None),
            json!({"a": {"b": 5, "c": 2}, "l": [{"name": "x"}]})
        );
    }

    struct RetainKeys;
    impl Shape for RetainKeys {
        fn field(&self, _: &str) -> Option<Box<dyn Shape + '_>> {
            None
        }
        fn items(&self) -> Option<Box<dyn Shape + '_>> {
            None
        }
        fn list_merge(&self) -> ListMerge {
            ListMerge::Replace
        }
        fn retain_keys(&self) -> bool {
            true
        }
    }

    #[test]
    fn retain_keys_drops_union_members_not_desired() {
        // Deployment.spec.strategy: switching to Recreate must drop the defaulted rollingUpdate.
        let live = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}});
        let desired = json!({"type": "Recreate"});
        assert_eq!(
            merge(None, Some(&live), &desired, Some(&RetainKeys)),
            json!({"type": "Recreate"})
        );
    }

    #[test]
    fn retain_keys_keeps_union_members_when_nothing_changes() {
        // kubectl sends no `$retainKeys` for an unchanged strategy: the server's defaulted
        // rollingUpdate stays, on a first apply and on a re-apply alike.
        let live = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}});
        let desired = json!({"type": "RollingUpdate"});
        for last in [None, Some(&desired)] {
            assert_eq!(merge(last, Some(&live), &desired, Some(&RetainKeys)), live);
        }
        // A change inside a kept member is a change: members not desired go.
        let desired = json!({"type": "RollingUpdate", "x": 1});
        assert_eq!(
            merge(None, Some(&live), &desired, Some(&RetainKeys)),
            json!({"type": "RollingUpdate", "x": 1})
        );
        // A key set before and dropped now is a change too.
        let last = json!({"type": "RollingUpdate", "y": 2});
        let live2 = json!({"type": "RollingUpdate", "y": 2, "rollingUpdate": {"maxSurge": "25%"}});
        assert_eq!(
            merge(
                Some(&last),
                Some(&live2),
                &json!({"type": "RollingUpdate"}),
                Some(&RetainKeys)
            ),
            json!({"type": "RollingUpdate"})
        );
    }

    #[test]
    fn crd_list_map_keys_and_plain_lists() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "routes": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["host", "path"],
                       "items": {"type": "object"}},
            "hosts": {"type": "array", "items": {"type": "string"}}
        }}}});
        let shape = JsonSchemaShape(&schema);
        let last =
            json!({"spec": {"routes": [{"host": "a", "path": "/", "to": "x"}], "hosts": ["a"]}});
        let live = json!({"spec": {"routes": [{"host": "a", "path": "/", "to": "x", "weight": 100}, {"host": "b", "path": "/", "to": "y"}], "hosts": ["a", "b"]}});
        let desired =
            json!({"spec": {"routes": [{"host": "a", "path": "/", "to": "z"}], "hosts": ["c"]}});
        assert_eq!(
            merge(Some(&last), Some(&live), &desired, Some(&shape)),
            json!({"spec": {"routes": [{"host": "a", "path": "/", "to": "z", "weight": 100}, {"host": "b", "path": "/", "to": "y"}], "hosts": ["c"]}})
        );
    }
}

/// A [`Shape`] for built-in kinds, read from the vendored Kubernetes schema with the rules of
/// client-side `kubectl apply` (strategic merge patch): lists whose field carries
/// `x-kubernetes-patch-strategy: merge` merge element by element, by the patch merge key
/// (by the full `x-kubernetes-list-map-keys` where the schema gives them, so ports merge by
/// `containerPort` and `protocol`), or as sets of scalars when there is no key; every other
/// list is replaced. `retainKeys` is honoured.
#[derive(Debug, Clone, Copy)]
pub struct SchemaShape<'s>(pub kchart_schema::Node<'s>);

impl SchemaShape<'static> {
    /// The shape of a built-in kind, or `None` for kinds the schema does not know (custom
    /// resources, which take their shape from their CRD).
    pub fn for_kind(api_version: &str, kind: &str) -> Option<Self> {
        let gvk = kchart_schema::Gvk::from_api_version(api_version, kind);
        kchart_schema::schema().kind(&gvk).map(SchemaShape)
    }
}

impl Shape for SchemaShape<'_> {
    fn field(&self, name: &str) -> Option<Box<dyn Shape + '_>> {
        let next = self
            .0
            .property(name)
            .or_else(|| self.0.additional_properties())?;
        Some(Box::new(SchemaShape(next)))
    }

    fn items(&self) -> Option<Box<dyn Shape + '_>> {
        let next = self.0.items().or_else(|| self.0.additional_properties())?;
        Some(Box::new(SchemaShape(next)))
    }

    fn list_merge(&self) -> ListMerge {
        let merges = self.0.patch_strategy().is_some_and(|s| s.merge);
        if !merges {
            return ListMerge::Replace;
        }
        let map_keys = self.0.list_map_keys();
        match self.0.patch_merge_key() {
            Some(key) if map_keys.first() == Some(&key) => {
                ListMerge::ByKeys(map_keys.iter().map(|k| (*k).to_owned()).collect())
            }
            Some(key) => ListMerge::ByKeys(vec![key.to_owned()]),
            None => ListMerge::Set,
        }
    }

    fn retain_keys(&self) -> bool {
        self.0.patch_strategy().is_some_and(|s| s.retain_keys)
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;
    use serde_json::json;

    fn deployment(containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": containers}}}})
    }

    fn run(last: &Value, live: &Value, desired: &Value) -> Value {
        let shape = SchemaShape::for_kind("apps/v1", "Deployment").expect("built-in kind");
        merge(Some(last), Some(live), desired, Some(&shape))
    }

    #[test]
    fn list_strategies_come_from_the_schema() {
        let shape = SchemaShape::for_kind("apps/v1", "Deployment").expect("kind");
        let pod = shape
            .field("spec")
            .and_then(|s| s.field("template").map(|t| t.list_merge()));
        assert_eq!(pod, Some(ListMerge::Replace), "a map is not a list");
        let spec = shape.field("spec").expect("spec");
        let template = spec.field("template").expect("template");
        let pod_spec = template.field("spec").expect("pod spec");
        let containers = pod_spec.field("containers").expect("containers");
        assert_eq!(
            containers.list_merge(),
            ListMerge::ByKeys(vec!["name".into()])
        );
        let container = containers.items().expect("container");
        assert_eq!(
            container.field("ports").expect("ports").list_merge(),
            ListMerge::ByKeys(vec!["containerPort".into(), "protocol".into()])
        );
        assert_eq!(
            container
                .field("volumeMounts")
                .expect("mounts")
                .list_merge(),
            ListMerge::ByKeys(vec!["mountPath".into()])
        );
        assert_eq!(
            container.field("args").expect("args").list_merge(),
            ListMerge::Replace
        );
        assert_eq!(
            pod_spec
                .field("tolerations")
                .expect("tolerations")
                .list_merge(),
            ListMerge::Replace
        );
        assert!(spec.field("strategy").expect("strategy").retain_keys());
        let meta = shape.field("metadata").expect("metadata");
        assert_eq!(
            meta.field("finalizers").expect("finalizers").list_merge(),
            ListMerge::Set
        );
        assert!(SchemaShape::for_kind("example.com/v1", "Widget").is_none());
    }

    #[test]
    fn built_in_deployment_merge() {
        let last = deployment(
            json!([{"name": "web", "image": "nginx:1", "env": [{"name": "A", "value": "1"}]}]),
        );
        let live = deployment(json!([
            {"name": "web", "image": "nginx:1", "imagePullPolicy": "IfNotPresent",
             "env": [{"name": "A", "value": "1"}, {"name": "INJECTED", "value": "x"}]},
            {"name": "sidecar", "image": "proxy"}
        ]));
        let desired = deployment(json!([{"name": "web", "image": "nginx:2"}]));
        let merged = run(&last, &live, &desired);
        assert_eq!(
            merged["spec"]["template"]["spec"]["containers"],
            json!([
                // `env` was ours and is no longer desired: the whole field goes, as with
                // kubectl apply (the patch sets `env: null`), injected entries included.
                {"name": "web", "image": "nginx:2", "imagePullPolicy": "IfNotPresent"},
                {"name": "sidecar", "image": "proxy"}
            ])
        );
    }

    #[test]
    fn strategy_switch_drops_the_defaulted_rolling_update() {
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}});
        let desired = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"strategy": {"type": "Recreate"}}});
        let merged = run(&json!({}), &live, &desired);
        assert_eq!(merged["spec"]["strategy"], json!({"type": "Recreate"}));
    }
}
