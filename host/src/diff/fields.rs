//! Field-level changes between two objects: a structural walk that pairs map keys, and list
//! elements by their merge keys (the schema's, a CRD's `x-kubernetes-list-map-keys`, else a
//! unique `name`) or by a longest-common-subsequence alignment, so an element inserted in the
//! middle of a list is one change, not a shifted cascade. Also the path arithmetic the other
//! parts of `diff` need: JSONPath text, lookups, and reverting one change in place.

use std::collections::HashMap;

use serde_json::Value;
use similar::{Algorithm, DiffOp};

use crate::merge::{ListMerge, Shape};

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// JSONPath text of a path: `$.spec.replicas`, `$.metadata.labels['app.kubernetes.io/name']`,
/// `$.spec.template.spec.containers[0].image`.
pub fn json_path(path: &[Segment]) -> String {
    let mut text = String::from("$");
    for segment in path {
        text = match segment {
            Segment::Key(key) => crate::lint::path::key(&text, key),
            Segment::Index(index) => crate::lint::path::index(&text, *index),
        };
    }
    text
}

/// The path as people read it in notes: JSONPath without the leading `$.`.
pub fn dotted(path: &[Segment]) -> String {
    let text = json_path(path);
    match text.strip_prefix("$.") {
        Some(rest) => rest.to_owned(),
        None => text.strip_prefix('$').unwrap_or(&text).to_owned(),
    }
}

/// Parses a normalized path as `jsonpath-rust` returns them (`$['spec']['containers'][0]`).
pub fn parse_normalized(text: &str) -> Option<Vec<Segment>> {
    let mut rest = text.strip_prefix('$')?;
    let mut path = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('[')?;
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut key = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                let (at, c) = chars.next()?;
                match c {
                    '\\' => key.push(chars.next()?.1),
                    '\'' => break at,
                    other => key.push(other),
                }
            };
            rest = quoted[end + 1..].strip_prefix(']')?;
            path.push(Segment::Key(key));
        } else {
            let end = rest.find(']')?;
            path.push(Segment::Index(rest[..end].parse().ok()?));
            rest = &rest[end + 1..];
        }
    }
    Some(path)
}

/// The value at `path`.
pub fn get<'a>(value: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, segment| match segment {
        Segment::Key(key) => node.as_object()?.get(key),
        Segment::Index(index) => node.as_array()?.get(*index),
    })
}

fn get_mut<'a>(value: &'a mut Value, path: &[Segment]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, segment| match segment {
        Segment::Key(key) => node.as_object_mut()?.get_mut(key),
        Segment::Index(index) => node.as_array_mut()?.get_mut(*index),
    })
}

/// Where a change sits: the parent (a map or list present on both sides, at its position in
/// each) and the leaf within it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawChange {
    pub parent_before: Vec<Segment>,
    pub parent_after: Vec<Segment>,
    pub leaf: Leaf,
    /// The value before (absent when added).
    pub old: Option<Value>,
    /// The value after (absent when removed).
    pub new: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaf {
    /// The values differ as a whole (the walk's root).
    Root,
    Key(String),
    /// A list element, at its position before and after (either absent), and whether the list
    /// pairs elements by identity (merge keys) rather than by position.
    Element {
        before: Option<usize>,
        after: Option<usize>,
        keyed: bool,
    },
}

impl RawChange {
    /// The path of the changed value in the object after the change (where it was, for a
    /// removal: the path before).
    pub fn path(&self) -> Vec<Segment> {
        self.after_path()
            .or_else(|| self.before_path())
            .unwrap_or_default()
    }

    pub fn before_path(&self) -> Option<Vec<Segment>> {
        let mut path = self.parent_before.clone();
        match &self.leaf {
            Leaf::Root => {}
            Leaf::Key(key) => path.push(Segment::Key(key.clone())),
            Leaf::Element { before, .. } => path.push(Segment::Index((*before)?)),
        }
        self.old.is_some().then_some(path)
    }

    pub fn after_path(&self) -> Option<Vec<Segment>> {
        let mut path = self.parent_after.clone();
        match &self.leaf {
            Leaf::Root => {}
            Leaf::Key(key) => path.push(Segment::Key(key.clone())),
            Leaf::Element { after, .. } => path.push(Segment::Index((*after)?)),
        }
        self.new.is_some().then_some(path)
    }
}

/// How many changes one object may produce before the rest of it is reported as one change
/// of the remaining subtree; keeps a pathological object (a 100,000-element list rewritten)
/// from flooding the output and the CPU.
const MAX_CHANGES: usize = 10_000;

/// The field-level changes that turn `before` into `after`, in document order.
pub fn changes(before: &Value, after: &Value, shape: Option<&dyn Shape>) -> Vec<RawChange> {
    let mut walk = Walk { out: Vec::new() };
    walk.value(&mut Vec::new(), &mut Vec::new(), None, before, after, shape);
    walk.out
}

struct Walk {
    out: Vec<RawChange>,
}

impl Walk {
    fn push(
        &mut self,
        parent_before: &[Segment],
        parent_after: &[Segment],
        leaf: Leaf,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        self.out.push(RawChange {
            parent_before: parent_before.to_vec(),
            parent_after: parent_after.to_vec(),
            leaf,
            old: old.cloned(),
            new: new.cloned(),
        });
    }

    /// Compares two values found at `leaf` below the parents (`None` leaf: the root).
    fn value(
        &mut self,
        parent_before: &mut Vec<Segment>,
        parent_after: &mut Vec<Segment>,
        leaf: Option<Leaf>,
        before: &Value,
        after: &Value,
        shape: Option<&dyn Shape>,
    ) {
        if before == after {
            return;
        }
        let descend = self.out.len() < MAX_CHANGES
            && matches!(
                (before, after),
                (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
            );
        if !descend {
            let (pb, pa) = (parent_before.clone(), parent_after.clone());
            self.push(
                &pb,
                &pa,
                leaf.unwrap_or(Leaf::Root),
                Some(before),
                Some(after),
            );
            return;
        }
        // Enter the pair: its own position becomes the parent of what is below.
        let (push_before, push_after) = match &leaf {
            None | Some(Leaf::Root) => (None, None),
            Some(Leaf::Key(key)) => (
                Some(Segment::Key(key.clone())),
                Some(Segment::Key(key.clone())),
            ),
            Some(Leaf::Element { before, after, .. }) => {
                (before.map(Segment::Index), after.map(Segment::Index))
            }
        };
        parent_before.extend(push_before);
        parent_after.extend(push_after);
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                for (key, old) in b {
                    let child = shape.and_then(|s| s.field(key));
                    match a.get(key) {
                        Some(new) => self.value(
                            parent_before,
                            parent_after,
                            Some(Leaf::Key(key.clone())),
                            old,
                            new,
                            child.as_deref(),
                        ),
                        None => {
                            let (pb, pa) = (parent_before.clone(), parent_after.clone());
                            self.push(&pb, &pa, Leaf::Key(key.clone()), Some(old), None);
                        }
                    }
                }
                for (key, new) in a {
                    if !b.contains_key(key) {
                        let (pb, pa) = (parent_before.clone(), parent_after.clone());
                        self.push(&pb, &pa, Leaf::Key(key.clone()), None, Some(new));
                    }
                }
            }
            (Value::Array(b), Value::Array(a)) => {
                let items = shape.and_then(|s| s.items());
                let keyed = identities(b, shape).zip(identities(a, shape));
                let pairs = match &keyed {
                    Some((ib, ia)) => pair_by_identity(ib, ia),
                    None => pair_by_alignment(b, a),
                };
                for (i, j) in pairs {
                    let leaf = Leaf::Element {
                        before: i,
                        after: j,
                        keyed: keyed.is_some(),
                    };
                    match (i.and_then(|i| b.get(i)), j.and_then(|j| a.get(j))) {
                        (Some(old), Some(new)) => self.value(
                            parent_before,
                            parent_after,
                            Some(leaf),
                            old,
                            new,
                            items.as_deref(),
                        ),
                        (old, new) => {
                            let (pb, pa) = (parent_before.clone(), parent_after.clone());
                            self.push(&pb, &pa, leaf, old, new);
                        }
                    }
                }
            }
            _ => {}
        }
        if pushes(&leaf, Side::Before) {
            parent_before.pop();
        }
        if pushes(&leaf, Side::After) {
            parent_after.pop();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

/// Whether entering `leaf` pushed a segment on one side's parent path.
fn pushes(leaf: &Option<Leaf>, side: Side) -> bool {
    match leaf {
        None | Some(Leaf::Root) => false,
        Some(Leaf::Key(_)) => true,
        Some(Leaf::Element { before, after, .. }) => match side {
            Side::Before => before.is_some(),
            Side::After => after.is_some(),
        },
    }
}

/// The keys elements of a list are matched on: the merge keys the schema gives, else `name`;
/// `None` for lists of scalars the schema calls a set.
fn identity_keys(shape: Option<&dyn Shape>) -> Option<Vec<String>> {
    match shape.map(|s| s.list_merge()) {
        Some(ListMerge::ByKeys(keys)) if !keys.is_empty() => Some(keys),
        Some(ListMerge::Set) => None,
        _ => Some(vec!["name".to_owned()]),
    }
}

/// An element's identity: its first key's value. Secondary keys may be absent (defaulted by
/// the server), so they do not split elements.
fn identity_of(item: &Value, keys: &[String]) -> Option<String> {
    let first = item.as_object()?.get(keys.first()?)?;
    (first.is_string() || first.is_number()).then(|| first.to_string())
}

/// The identity of each element of a list, when its elements are matched by identity (every
/// element has one and no two share it); `None` when they are matched by position.
pub fn identities(list: &[Value], shape: Option<&dyn Shape>) -> Option<Vec<String>> {
    let keys = identity_keys(shape)?;
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let identity = identity_of(item, &keys)?;
        if !seen.insert(identity.clone()) {
            return None;
        }
        out.push(identity);
    }
    Some(out)
}

/// Pairs elements by identity: every element of `after` in its order, with its match in
/// `before`; then the elements of `before` that no longer exist.
fn pair_by_identity(before: &[String], after: &[String]) -> Vec<(Option<usize>, Option<usize>)> {
    let index: HashMap<&str, usize> = before
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut used = vec![false; before.len()];
    let mut pairs = Vec::with_capacity(after.len());
    for (j, id) in after.iter().enumerate() {
        let i = index.get(id.as_str()).copied();
        if let Some(i) = i {
            used[i] = true;
        }
        pairs.push((i, Some(j)));
    }
    pairs.extend(
        used.iter()
            .enumerate()
            .filter(|(_, used)| !**used)
            .map(|(i, _)| (Some(i), None)),
    );
    pairs
}

/// Pairs elements by a longest-common-subsequence alignment of their JSON text; replaced
/// runs pair up element by element, what is left over is added or removed.
fn pair_by_alignment(before: &[Value], after: &[Value]) -> Vec<(Option<usize>, Option<usize>)> {
    let text = |items: &[Value]| -> Vec<String> { items.iter().map(Value::to_string).collect() };
    let (old, new) = (text(before), text(after));
    let ops = similar::capture_diff_slices(Algorithm::Myers, &old, &new);
    let mut pairs = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => pairs.extend((0..len).map(|k| (Some(old_index + k), Some(new_index + k)))),
            DiffOp::Delete {
                old_index, old_len, ..
            } => pairs.extend((old_index..old_index + old_len).map(|i| (Some(i), None))),
            DiffOp::Insert {
                new_index, new_len, ..
            } => pairs.extend((new_index..new_index + new_len).map(|j| (None, Some(j)))),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for k in 0..old_len.max(new_len) {
                    pairs.push((
                        (k < old_len).then_some(old_index + k),
                        (k < new_len).then_some(new_index + k),
                    ));
                }
            }
        }
    }
    pairs
}

/// What another version of the object (the last applied one) holds where `change` happens:
/// its parent is followed from `before`'s positions by identity (or by position for lists
/// without one); a list element by identity or equal content.
pub fn counterpart<'a>(
    other: &'a Value,
    before: &Value,
    change: &RawChange,
    shape: Option<&dyn Shape>,
) -> Counterpart<'a> {
    follow(other, before, &change.parent_before, change, shape)
}

fn follow<'a>(
    node: &'a Value,
    mine: &Value,
    rest: &[Segment],
    change: &RawChange,
    shape: Option<&dyn Shape>,
) -> Counterpart<'a> {
    let Some((segment, rest)) = rest.split_first() else {
        return leaf(node, change, shape);
    };
    match segment {
        Segment::Key(key) => {
            let next = node.as_object().and_then(|m| m.get(key));
            let next_mine = mine.as_object().and_then(|m| m.get(key));
            let child = shape.and_then(|s| s.field(key));
            match next.zip(next_mine) {
                Some((next, next_mine)) => follow(next, next_mine, rest, change, child.as_deref()),
                None => Counterpart::NoParent,
            }
        }
        Segment::Index(i) => {
            let (Some(theirs), Some(element)) = (
                node.as_array(),
                mine.as_array().and_then(|list| list.get(*i)),
            ) else {
                return Counterpart::NoParent;
            };
            let positional = identities(theirs, shape).is_none();
            let found = find_element(theirs, element, shape)
                .or_else(|| theirs.get(*i).filter(|_| positional));
            let child = shape.and_then(|s| s.items());
            match found {
                Some(next) => follow(next, element, rest, change, child.as_deref()),
                None => Counterpart::NoParent,
            }
        }
    }
}

fn leaf<'a>(node: &'a Value, change: &RawChange, shape: Option<&dyn Shape>) -> Counterpart<'a> {
    let found = match &change.leaf {
        Leaf::Root => Some(node),
        Leaf::Key(key) => match node.as_object() {
            Some(map) => map.get(key),
            None => return Counterpart::NoParent,
        },
        Leaf::Element { before, .. } => {
            let Some(theirs) = node.as_array() else {
                return Counterpart::NoParent;
            };
            match (&change.old, &change.new) {
                // Replaced in place: the other version's element there, if not found by content.
                (Some(old), Some(_)) => {
                    find_element(theirs, old, shape).or_else(|| before.and_then(|i| theirs.get(i)))
                }
                (Some(element), None) | (None, Some(element)) => {
                    find_element(theirs, element, shape)
                }
                (None, None) => None,
            }
        }
    };
    match found {
        Some(value) => Counterpart::Value(value),
        None => Counterpart::Absent,
    }
}

/// What [`counterpart`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Counterpart<'a> {
    /// The other version has no container where the change is: it said nothing about it.
    NoParent,
    /// The container exists and holds no value there.
    Absent,
    Value(&'a Value),
}

/// `element` in `theirs`: by identity when the list has one, else by equal content.
fn find_element<'a>(
    theirs: &'a [Value],
    element: &Value,
    shape: Option<&dyn Shape>,
) -> Option<&'a Value> {
    if let Some(keys) = identity_keys(shape)
        && let Some(ids) = identities(theirs, shape)
        && let Some(id) = identity_of(element, &keys)
    {
        return ids
            .iter()
            .position(|theirs_id| *theirs_id == id)
            .and_then(|at| theirs.get(at));
    }
    theirs.iter().find(|t| *t == element)
}

/// `value` with its map keys in `model`'s order where `model` has them (the others after, in
/// their own order), all the way down; list elements follow the model's at the same index.
/// Only the presentation changes: maps compare equal whatever their order.
pub fn align_order(value: &Value, model: &Value) -> Value {
    match (value, model) {
        (Value::Object(map), Value::Object(order)) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (key, theirs) in order {
                if let Some(mine) = map.get(key) {
                    out.insert(key.clone(), align_order(mine, theirs));
                }
            }
            for (key, mine) in map {
                if !out.contains_key(key) {
                    out.insert(key.clone(), mine.clone());
                }
            }
            Value::Object(out)
        }
        (Value::Array(items), Value::Array(order)) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match order.get(i) {
                    Some(theirs) => align_order(item, theirs),
                    None => item.clone(),
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// Undoes `changes` in `after` (their parents, at their `after` positions, must exist), so
/// that it holds what `before` held there. Deeper changes go first, and within one list
/// replacements, then removals from the end, then re-insertions, so positions stay valid.
pub fn revert(after: &mut Value, changes: &[&RawChange]) {
    let mut ordered: Vec<&&RawChange> = changes.iter().collect();
    let rank = |c: &RawChange| match (&c.leaf, &c.old, &c.new) {
        (Leaf::Element { .. }, None, Some(_)) => 1,
        (Leaf::Element { .. }, Some(_), None) => 2,
        _ => 0,
    };
    let position = |c: &RawChange| match &c.leaf {
        Leaf::Element { before, after, .. } => after.or(*before).unwrap_or(0),
        _ => 0,
    };
    ordered.sort_by(|a, b| {
        b.parent_after
            .len()
            .cmp(&a.parent_after.len())
            .then(rank(a).cmp(&rank(b)))
            .then_with(|| match rank(a) {
                1 => position(b).cmp(&position(a)),
                _ => position(a).cmp(&position(b)),
            })
    });
    for change in ordered {
        match &change.leaf {
            Leaf::Root => {
                if let Some(old) = &change.old {
                    *after = old.clone();
                }
            }
            Leaf::Key(key) => {
                let Some(map) = get_mut(after, &change.parent_after).and_then(Value::as_object_mut)
                else {
                    continue;
                };
                match &change.old {
                    Some(old) => {
                        map.insert(key.clone(), old.clone());
                    }
                    None => {
                        map.shift_remove(key);
                    }
                }
            }
            Leaf::Element {
                before, after: at, ..
            } => {
                let Some(list) = get_mut(after, &change.parent_after).and_then(Value::as_array_mut)
                else {
                    continue;
                };
                match (&change.old, at) {
                    (Some(old), Some(at)) if *at < list.len() => list[*at] = old.clone(),
                    (None, Some(at)) if *at < list.len() => {
                        list.remove(*at);
                    }
                    (Some(old), None) => {
                        let at = before.unwrap_or(list.len()).min(list.len());
                        list.insert(at, old.clone());
                    }
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::merge::SchemaShape;

    /// A change as the tables write it: JSONPath, old value, new value.
    type Seen = (String, Option<Value>, Option<Value>);

    fn paths(before: &Value, after: &Value, shape: Option<&dyn Shape>) -> Vec<Seen> {
        changes(before, after, shape)
            .into_iter()
            .map(|c| (json_path(&c.path()), c.old, c.new))
            .collect()
    }

    #[test]
    fn walks_maps_and_lists() {
        let deployment = |replicas: u32, image: &str, env: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"a": "1"}},
                "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                    {"name": "sidecar", "image": "envoy"},
                    {"name": "web", "image": image, "env": env}]}}}})
        };
        let shape = SchemaShape::for_kind("apps/v1", "Deployment").unwrap();
        type Case<'a> = (Value, Value, Vec<(&'a str, Option<Value>, Option<Value>)>);
        let cases: Vec<Case> = vec![
            (
                deployment(2, "nginx:1", json!([])),
                deployment(3, "nginx:2", json!([])),
                vec![
                    ("$.spec.replicas", Some(json!(2)), Some(json!(3))),
                    (
                        "$.spec.template.spec.containers[1].image",
                        Some(json!("nginx:1")),
                        Some(json!("nginx:2")),
                    ),
                ],
            ),
            // An env var inserted in the middle is one addition, matched by name.
            (
                deployment(
                    2,
                    "x",
                    json!([{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]),
                ),
                deployment(
                    2,
                    "x",
                    json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}]),
                ),
                vec![(
                    "$.spec.template.spec.containers[1].env[1]",
                    None,
                    Some(json!({"name": "B", "value": "2"})),
                )],
            ),
            // Keys with dots are quoted; type changes are one change.
            (
                json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}, "x": [1]}),
                json!({"metadata": {"labels": {}}, "x": {"y": 1}}),
                vec![
                    (
                        "$.metadata.labels['app.kubernetes.io/name']",
                        Some(json!("a")),
                        None,
                    ),
                    ("$.x", Some(json!([1])), Some(json!({"y": 1}))),
                ],
            ),
            // Scalar lists align: one element inserted, one removed.
            (
                json!({"args": ["a", "b", "c", "d"]}),
                json!({"args": ["a", "x", "b", "c"]}),
                vec![
                    ("$.args[1]", None, Some(json!("x"))),
                    ("$.args[3]", Some(json!("d")), None),
                ],
            ),
        ];
        for (before, after, expected) in cases {
            let expected: Vec<Seen> = expected
                .into_iter()
                .map(|(p, o, n)| (p.to_owned(), o, n))
                .collect();
            assert_eq!(paths(&before, &after, Some(&shape)), expected, "{after}");
        }
    }

    #[test]
    fn lists_keyed_by_the_schema_pair_by_identity_even_reordered() {
        let shape = SchemaShape::for_kind("v1", "Service").unwrap();
        let before = json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}});
        let after = json!({"spec": {"ports": [{"port": 443, "name": "tls"}, {"port": 80, "name": "http"}]}});
        assert_eq!(
            paths(&before, &after, Some(&shape)),
            [(
                "$.spec.ports[0].name".to_owned(),
                Some(json!("https")),
                Some(json!("tls"))
            )]
        );
    }

    #[test]
    fn normalized_paths_round_trip() {
        let path = vec![
            Segment::Key("metadata".into()),
            Segment::Key("annotations".into()),
            Segment::Key("a.b/c's".into()),
            Segment::Key("list".into()),
            Segment::Index(12),
        ];
        let normalized = "$['metadata']['annotations']['a.b/c\\'s']['list'][12]";
        assert_eq!(parse_normalized(normalized), Some(path.clone()));
        assert_eq!(
            json_path(&path),
            "$.metadata.annotations['a.b/c\\'s'].list[12]"
        );
        assert_eq!(dotted(&path[..2]), "metadata.annotations");
        for bad in ["", "$[", "$['a'", "$[x]", "$.a"] {
            assert_eq!(parse_normalized(bad), None, "{bad}");
        }
    }

    #[test]
    fn counterparts_follow_identity() {
        let shape = SchemaShape::for_kind("apps/v1", "Deployment").unwrap();
        let container = |name: &str, image: &str| json!({"name": name, "image": image});
        let with =
            |containers: Value| json!({"spec": {"template": {"spec": {"containers": containers}}}});
        // Someone injected a sidecar first; the chart's container moved to index 1.
        let last = with(json!([container("web", "nginx:1")]));
        let live = with(json!([
            container("sidecar", "envoy"),
            container("web", "nginx:0")
        ]));
        let merged = with(json!([
            container("sidecar", "envoy"),
            container("web", "nginx:1")
        ]));
        let change = &changes(&live, &merged, Some(&shape))[0];
        assert_eq!(
            counterpart(&last, &live, change, Some(&shape)),
            Counterpart::Value(&json!("nginx:1"))
        );
        // Nothing of the kind in the last applied object.
        assert_eq!(
            counterpart(&json!({}), &live, change, Some(&shape)),
            Counterpart::NoParent
        );
    }

    #[test]
    fn order_follows_the_model() {
        let value =
            json!({"metadata": {"name": "b", "labels": {"x": "1"}, "new": true}, "kind": "K"});
        let model = json!({"kind": "K", "metadata": {"labels": {}, "name": "a"}});
        let aligned = align_order(&value, &model);
        assert_eq!(aligned, value);
        assert_eq!(
            serde_json::to_string(&aligned).unwrap(),
            r#"{"kind":"K","metadata":{"labels":{"x":"1"},"name":"b","new":true}}"#
        );
    }

    #[test]
    fn revert_undoes_chosen_changes() {
        let before = json!({"a": 1, "b": {"c": 2}, "list": ["x", "y", "z"], "gone": true});
        let after = json!({"a": 5, "b": {"c": 2, "d": 3}, "list": ["x", "new", "z", "w"]});
        let all = changes(&before, &after, None);
        for pick in 0..all.len() {
            let chosen: Vec<&RawChange> = vec![&all[pick]];
            let mut reverted = after.clone();
            revert(&mut reverted, &chosen);
            let left = changes(&before, &reverted, None);
            assert_eq!(
                left.len(),
                all.len() - 1,
                "reverting {:?}: {reverted}",
                all[pick]
            );
        }
        let every: Vec<&RawChange> = all.iter().collect();
        let mut reverted = after.clone();
        revert(&mut reverted, &every);
        assert_eq!(reverted, before);
    }
}
