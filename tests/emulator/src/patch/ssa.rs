//! Server-side apply: field sets in the `FieldsV1` form (`f:spec`, `k:{"name":"web"}`,
//! `v:"x"`, `.`), the managed-fields bookkeeping of every write, conflict detection between
//! managers, and the merge of an applied configuration into the live object.

use std::collections::BTreeMap;

use kchart_schema::ListType;
use serde_json::{Map, Value, json};

use crate::shape::Shape;

/// A set of field paths, as in `metadata.managedFields[].fieldsV1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    /// Whether the path ending here is itself in the set (`.` when it has children).
    pub member: bool,
    /// Children by path element (`f:name`, `k:{..}`, `v:..`).
    pub children: BTreeMap<String, FieldSet>,
}

impl FieldSet {
    fn leaf() -> Self {
        Self {
            member: true,
            children: BTreeMap::new(),
        }
    }

    /// Whether nothing is in the set.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.values().all(FieldSet::is_empty)
    }

    /// Parses `FieldsV1` JSON.
    pub fn from_json(v: &Value) -> Self {
        let Some(m) = v.as_object() else {
            return Self::default();
        };
        if m.is_empty() {
            return Self::leaf();
        }
        let mut out = Self::default();
        for (k, c) in m {
            if k == "." {
                out.member = true;
            } else {
                out.children.insert(k.clone(), Self::from_json(c));
            }
        }
        out
    }

    /// Renders `FieldsV1` JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if self.member && !self.children.is_empty() {
            m.insert(".".into(), json!({}));
        }
        for (k, c) in &self.children {
            if !c.is_empty() {
                m.insert(k.clone(), c.to_json());
            }
        }
        Value::Object(m)
    }

    /// Adds every path of `other`.
    pub fn union(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (k, c) in &other.children {
            self.children.entry(k.clone()).or_default().union(c);
        }
    }

    /// Removes every path of `other`.
    pub fn subtract(&mut self, other: &FieldSet) {
        if other.member {
            self.member = false;
        }
        for (k, c) in &other.children {
            if let Some(mine) = self.children.get_mut(k) {
                mine.subtract(c);
            }
        }
        self.children.retain(|_, c| !c.is_empty());
    }

    /// Every member path, as lists of path elements.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if self.member && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (k, c) in &self.children {
            prefix.push(k.clone());
            c.collect(prefix, out);
            prefix.pop();
        }
    }

    /// Adds one path.
    pub fn insert(&mut self, path: &[String]) {
        match path.split_first() {
            None => self.member = true,
            Some((h, rest)) => self.children.entry(h.clone()).or_default().insert(rest),
        }
    }

    /// Whether a path is a member.
    pub fn contains(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => self.member,
            Some((h, rest)) => self.children.get(h).is_some_and(|c| c.contains(rest)),
        }
    }
}

/// Metadata fields never owned by anyone.
const UNOWNED_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

fn key_element(elem: &Value, keys: &[String]) -> Option<String> {
    let mut m = BTreeMap::new();
    for k in keys {
        if let Some(v) = elem.get(k) {
            m.insert(k.clone(), v.clone());
        } else if k == "protocol" {
            // The apiserver defaults `protocol` before keying ports, so an applied port
            // without it is the same element as the stored `TCP` one.
            m.insert(k.clone(), Value::String("TCP".into()));
        }
    }
    if m.is_empty() {
        return None;
    }
    let obj: Map<String, Value> = m.into_iter().collect();
    Some(format!("k:{}", Value::Object(obj)))
}

/// The fields set in an object (the ownership a write of it claims). `skip_status` leaves
/// out `status` (owned through the status subresource).
pub fn fields_of(obj: &Value, shape: Shape<'_>, skip_status: bool) -> FieldSet {
    let mut out = FieldSet::default();
    let Some(m) = obj.as_object() else {
        return out;
    };
    for (k, v) in m {
        if k == "apiVersion" || k == "kind" || (skip_status && k == "status") {
            continue;
        }
        let child = shape.child(k);
        let mut set = if k == "metadata" {
            let mut meta = v.clone();
            if let Some(mm) = meta.as_object_mut() {
                mm.retain(|f, _| !UNOWNED_META.contains(&f.as_str()));
            }
            fields_of_value(&meta, child)
        } else {
            fields_of_value(v, child)
        };
        if k == "metadata" && set.children.is_empty() {
            continue;
        }
        if k == "metadata" {
            set.member = false;
        }
        out.children.insert(format!("f:{k}"), set);
    }
    out
}

fn fields_of_value(v: &Value, shape: Shape<'_>) -> FieldSet {
    match v {
        Value::Object(m) => {
            if shape.is_atomic_map() || m.is_empty() {
                return FieldSet::leaf();
            }
            let mut out = FieldSet {
                member: !shape.is_struct() && !matches!(shape, Shape::Unknown),
                children: BTreeMap::new(),
            };
            for (k, c) in m {
                out.children
                    .insert(format!("f:{k}"), fields_of_value(c, shape.child(k)));
            }
            out
        }
        Value::Array(a) => match shape.list_type() {
            ListType::Map => {
                let keys = shape.list_map_keys();
                let items = shape.items();
                let mut out = FieldSet::default();
                for e in a {
                    let Some(pe) = key_element(e, &keys) else {
                        return FieldSet::leaf();
                    };
                    let mut s = fields_of_value(e, items);
                    s.member = true;
                    out.children.insert(pe, s);
                }
                if a.is_empty() {
                    return FieldSet::leaf();
                }
                out
            }
            ListType::Set if !a.is_empty() => FieldSet {
                member: false,
                children: a
                    .iter()
                    .map(|e| (format!("v:{e}"), FieldSet::leaf()))
                    .collect(),
            },
            _ => FieldSet::leaf(),
        },
        _ => FieldSet::leaf(),
    }
}

/// Whether a list element has the key values of a `k:` path element (a missing `protocol`
/// counts as the `TCP` the apiserver defaults).
fn elem_matches(e: &Value, want: &Map<String, Value>) -> bool {
    want.iter().all(|(wk, wv)| match e.get(wk) {
        Some(v) => v == wv,
        None => wk == "protocol" && wv == "TCP",
    })
}

/// The value at a path of path elements, if present.
pub fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for pe in path {
        cur = if let Some(f) = pe.strip_prefix("f:") {
            cur.get(f)?
        } else if let Some(k) = pe.strip_prefix("k:") {
            let want: Map<String, Value> = serde_json::from_str(k).ok()?;
            cur.as_array()?.iter().find(|e| elem_matches(e, &want))?
        } else if let Some(v) = pe.strip_prefix("v:") {
            let want: Value = serde_json::from_str(v).ok()?;
            cur.as_array()?.iter().find(|e| **e == want)?
        } else {
            return None;
        };
    }
    Some(cur)
}

/// Removes the value at a path; returns whether something was removed.
pub fn remove_at(obj: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = obj;
    for pe in parents {
        let next = if let Some(f) = pe.strip_prefix("f:") {
            cur.get_mut(f)
        } else if let Some(k) = pe.strip_prefix("k:") {
            let Ok(want) = serde_json::from_str::<Map<String, Value>>(k) else {
                return false;
            };
            cur.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|e| want.iter().all(|(wk, wv)| e.get(wk) == Some(wv)))
            })
        } else {
            None
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        return cur
            .as_object_mut()
            .is_some_and(|m| m.shift_remove(f).is_some());
    }
    if let Some(k) = last.strip_prefix("k:") {
        let Ok(want) = serde_json::from_str::<Map<String, Value>>(k) else {
            return false;
        };
        if let Some(a) = cur.as_array_mut() {
            let before = a.len();
            a.retain(|e| !elem_matches(e, &want));
            return a.len() != before;
        }
    }
    if let Some(v) = last.strip_prefix("v:") {
        let Ok(want) = serde_json::from_str::<Value>(v) else {
            return false;
        };
        if let Some(a) = cur.as_array_mut() {
            let before = a.len();
            a.retain(|e| *e != want);
            return a.len() != before;
        }
    }
    false
}

/// `.spec.template.spec.containers[name="web"].image`, as conflict messages print paths.
pub fn render_path(path: &[String]) -> String {
    let mut s = String::new();
    for pe in path {
        if let Some(f) = pe.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = pe.strip_prefix("k:") {
            let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                .map(|m| m.iter().map(|(a, b)| format!("{a}={b}")).collect())
                .unwrap_or_default();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = pe.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// Merges an applied configuration into the live object: applied values win, granular maps
/// and structs merge, `map` lists merge element by element, sets take the union, atomic
/// values are replaced.
pub fn merge(live: &Value, applied: &Value, shape: Shape<'_>) -> Value {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) if !shape.is_atomic_map() => {
            let mut out = l.clone();
            for (k, v) in a {
                let merged = match l.get(k) {
                    Some(lv) => merge(lv, v, shape.child(k)),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(a)) => match shape.list_type() {
            ListType::Map => {
                let keys = shape.list_map_keys();
                let items = shape.items();
                let mut out = l.clone();
                for e in a {
                    let id = key_element(e, &keys);
                    match out
                        .iter()
                        .position(|x| id.is_some() && key_element(x, &keys) == id)
                    {
                        Some(i) => out[i] = merge(&out[i], e, items),
                        None => out.push(e.clone()),
                    }
                }
                Value::Array(out)
            }
            ListType::Set => {
                let mut out = l.clone();
                for e in a {
                    if !out.contains(e) {
                        out.push(e.clone());
                    }
                }
                Value::Array(out)
            }
            ListType::Atomic => applied.clone(),
        },
        _ => applied.clone(),
    }
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The field manager.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// The apiVersion the fields were written with.
    pub api_version: String,
    /// When.
    pub time: String,
    /// The owned fields.
    pub fields: FieldSet,
    /// `status` for writes through the status subresource.
    pub subresource: Option<String>,
}

/// Reads `metadata.managedFields`.
pub fn entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .map(|e| Entry {
            manager: e
                .get("manager")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            operation: e
                .get("operation")
                .and_then(Value::as_str)
                .unwrap_or("Update")
                .to_string(),
            api_version: e
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            time: e
                .get("time")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            fields: e
                .get("fieldsV1")
                .map(FieldSet::from_json)
                .unwrap_or_default(),
            subresource: e
                .get("subresource")
                .and_then(Value::as_str)
                .map(String::from),
        })
        .collect()
}

/// Writes `metadata.managedFields` (dropping empty entries).
pub fn set_entries(obj: &mut Value, list: &[Entry]) {
    // The apiserver keeps entries sorted (operation, time, manager, apiVersion, subresource),
    // so their order says nothing about the order of the writes.
    let mut sorted: Vec<&Entry> = list.iter().collect();
    sorted.sort_by(|p, q| {
        (
            &p.operation,
            &p.time,
            &p.manager,
            &p.api_version,
            &p.subresource,
        )
            .cmp(&(
                &q.operation,
                &q.time,
                &q.manager,
                &q.api_version,
                &q.subresource,
            ))
    });
    let rendered: Vec<Value> = sorted
        .into_iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": e.fields.to_json(),
            });
            if let Some(s) = &e.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if rendered.is_empty() {
            meta.shift_remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(rendered));
        }
    }
}

/// A field owned by another manager with a different value.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The other manager.
    pub manager: String,
    /// The apiVersion of its entry.
    pub api_version: String,
    /// The path, as path elements.
    pub path: Vec<String>,
}

/// The fields of `applied` that other managers own with a different value in `live`.
pub fn conflicts(
    live: &Value,
    applied: &Value,
    applied_set: &FieldSet,
    manager: &str,
    list: &[Entry],
) -> Vec<Conflict> {
    let mut out = Vec::new();
    for e in list {
        if e.manager == manager {
            continue;
        }
        for p in applied_set.paths() {
            let leaf = applied_set_leaf(applied_set, &p);
            let theirs_leaf = e.fields.contains(&p) && applied_set_leaf(&e.fields, &p);
            if leaf && theirs_leaf && value_at(live, &p) != value_at(applied, &p) {
                out.push(Conflict {
                    manager: e.manager.clone(),
                    api_version: e.api_version.clone(),
                    path: p,
                });
            }
        }
    }
    out
}

fn applied_set_leaf(set: &FieldSet, path: &[String]) -> bool {
    let mut cur = set;
    for pe in path {
        match cur.children.get(pe) {
            Some(c) => cur = c,
            None => return false,
        }
    }
    cur.children.is_empty()
}

/// The conflict message of a refused apply.
pub fn conflict_message(list: &[Conflict]) -> String {
    if list.len() == 1 {
        let c = &list[0];
        return format!(
            "Apply failed with 1 conflict: conflict with \"{}\" using {}: {}",
            c.manager,
            c.api_version,
            render_path(&c.path)
        );
    }
    let mut s = format!("Apply failed with {} conflicts: ", list.len());
    let mut by: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for c in list {
        by.entry((c.manager.clone(), c.api_version.clone()))
            .or_default()
            .push(render_path(&c.path));
    }
    let parts: Vec<String> = by
        .iter()
        .map(|((m, v), paths)| {
            let lines: Vec<String> = paths.iter().map(|p| format!("- {p}")).collect();
            format!("conflicts with \"{m}\" using {v}:\n{}", lines.join("\n"))
        })
        .collect();
    s.push_str(&parts.join("\n"));
    s
}

/// The fields whose value differs between `old` and `new` (set in `new`), i.e. what an update
/// by some manager takes ownership of.
pub fn changed_fields(
    old: Option<&Value>,
    new: &Value,
    shape: Shape<'_>,
    skip_status: bool,
) -> FieldSet {
    let all = fields_of(new, shape, skip_status);
    let Some(old) = old else {
        return all;
    };
    let mut out = FieldSet::default();
    for p in all.paths() {
        let leaf = applied_set_leaf(&all, &p);
        let differs =
            value_at(old, &p).is_none() || (leaf && value_at(old, &p) != value_at(new, &p));
        if differs {
            out.insert(&p);
        }
    }
    out
}

/// Drops paths that no longer exist in `obj` from every entry.
pub fn prune_missing(list: &mut [Entry], obj: &Value) {
    for e in list.iter_mut() {
        let mut gone = FieldSet::default();
        for p in e.fields.paths() {
            if value_at(obj, &p).is_none() {
                gone.insert(&p);
            }
        }
        e.fields.subtract(&gone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kchart_schema::{Gvk, schema};

    fn shape() -> Shape<'static> {
        schema()
            .kind(&Gvk::new("apps", "v1", "Deployment"))
            .map(Shape::Builtin)
            .unwrap_or(Shape::Unknown)
    }

    fn dep() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}}})
    }

    #[test]
    fn field_set_matches_kube_encoding() {
        let set = fields_of(&dep(), shape(), true);
        let j = set.to_json();
        assert_eq!(j["f:metadata"], json!({"f:labels": {".": {}, "f:app": {}}}));
        assert_eq!(j["f:spec"]["f:selector"], json!({}));
        assert_eq!(j["f:spec"]["f:replicas"], json!({}));
        let c = &j["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"];
        assert_eq!(c["."], json!({}));
        assert_eq!(
            c["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]["f:containerPort"],
            json!({})
        );
        assert_eq!(FieldSet::from_json(&j), set);
    }

    #[test]
    fn set_operations() {
        let mut a = fields_of(&dep(), shape(), true);
        let b = fields_of(&json!({"spec": {"replicas": 1}}), shape(), true);
        assert!(a.contains(&["f:spec".into(), "f:replicas".into()]));
        a.subtract(&b);
        assert!(!a.contains(&["f:spec".into(), "f:replicas".into()]));
        a.union(&b);
        assert!(a.contains(&["f:spec".into(), "f:replicas".into()]));
        assert!(!FieldSet::default().member && FieldSet::default().is_empty());
    }

    #[test]
    fn conflicts_only_on_different_values() {
        let live = dep();
        let other = Entry {
            manager: "other".into(),
            operation: "Update".into(),
            api_version: "apps/v1".into(),
            time: String::new(),
            fields: fields_of(&json!({"spec": {"replicas": 2}}), shape(), true),
            subresource: None,
        };
        let same = json!({"spec": {"replicas": 2}});
        let set = fields_of(&same, shape(), true);
        assert!(conflicts(&live, &same, &set, "me", std::slice::from_ref(&other)).is_empty());
        let diff = json!({"spec": {"replicas": 5}});
        let set = fields_of(&diff, shape(), true);
        let c = conflicts(&live, &diff, &set, "me", std::slice::from_ref(&other));
        assert_eq!(c.len(), 1);
        assert_eq!(
            conflict_message(&c),
            "Apply failed with 1 conflict: conflict with \"other\" using apps/v1: .spec.replicas"
        );
    }

    #[test]
    fn merge_by_list_keys() {
        let applied = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}, {"name": "d", "image": "x"}]}}}});
        let m = merge(&dep(), &applied, shape());
        let c = &m["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["image"], "nginx:2");
        assert_eq!(c[0]["ports"][0]["containerPort"], 80);
        assert_eq!(c[1]["name"], "d");
        assert_eq!(m["spec"]["replicas"], 2);
    }

    #[test]
    fn value_paths_and_removal() {
        let mut d = dep();
        let p: Vec<String> = [
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"c\"}",
            "f:image",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(value_at(&d, &p), Some(&json!("nginx")));
        assert_eq!(
            render_path(&p),
            ".spec.template.spec.containers[name=\"c\"].image"
        );
        assert!(remove_at(&mut d, &p));
        assert!(value_at(&d, &p).is_none());
        assert!(remove_at(&mut d, &p[..5]));
        assert_eq!(d["spec"]["template"]["spec"]["containers"], json!([]));
    }

    #[test]
    fn changed_fields_on_update() {
        let old = dep();
        let mut new = dep();
        new["spec"]["replicas"] = json!(3);
        new["metadata"]["labels"]["tier"] = json!("web");
        let ch = changed_fields(Some(&old), &new, shape(), true);
        assert!(ch.contains(&["f:spec".into(), "f:replicas".into()]));
        assert!(ch.contains(&["f:metadata".into(), "f:labels".into(), "f:tier".into()]));
        assert!(!ch.contains(&["f:metadata".into(), "f:labels".into(), "f:app".into()]));
    }
}
