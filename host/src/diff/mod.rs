//! Diff: what an apply will change, computed from the very [`Plan`] apply executes, so the
//! preview cannot drift from the writes. Pure: the plan (and, with `--server`, the objects a
//! server dry run returned) in, a [`Diff`] out; printing is in [`text`] and [`external`].
//!
//! For each object the live object (normalised: no server-owned fields, no bookkeeping) is
//! compared with what apply writes (the three-way merged object, or the server's answer to
//! it). New objects are shown whole, pruned ones as removed, unchanged ones only counted.
//! On top of the comparison:
//! - field-level changes with their JSON paths (lists paired by merge key, so custom
//!   resources use their CRD's list-map keys as apply does);
//! - drift: a change that overwrites what someone changed since the last apply is named as
//!   such, with the revision;
//! - ignore rules: changes they select are set aside (shown as ignored) and do not count;
//! - Secrets: compared decoded (`data` and `stringData` alike) and masked unless asked;
//! - renames: a removed object and a similar added one of the same kind are one change.

pub mod external;
pub mod fields;
pub mod ignore;
pub mod normalize;
pub mod text;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::apply::Previous;
use crate::apply::plan::{self, OwnedShape, Plan, StepAction};
use crate::manifest::ObjectRef;
use fields::{Counterpart, Leaf, RawChange, Segment};
pub use ignore::Rule;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid ignore rule `{rule}`: {message}")]
    Rule { rule: String, message: String },
    #[error("cannot read diff config `{}`", path.display())]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("diff config `{}`: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("KUBECTL_EXTERNAL_DIFF `{command}`: {message}")]
    External { command: String, message: String },
    #[error("KUBECTL_EXTERNAL_DIFF `{command}`: cannot run it")]
    ExternalRun {
        command: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How to diff.
#[derive(Debug, Clone)]
pub struct Options {
    /// Show Secret values instead of masking them.
    pub show_secrets: bool,
    pub rules: Vec<Rule>,
    /// How similar (0 to 1, by lines of their content without metadata) a removed and an
    /// added object of one kind must be to be shown as a rename; 0 turns detection off.
    pub rename_threshold: f32,
    /// Who applied the previous revision, for drift notes: `kubectl-chart` or `Helm`.
    pub tool: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            show_secrets: false,
            rules: Vec::new(),
            rename_threshold: 0.7,
            tool: "kubectl-chart".to_owned(),
        }
    }
}

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Add,
    Change,
    Rename,
    Remove,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Add => "added",
            ChangeKind::Change => "changed",
            ChangeKind::Rename => "renamed",
            ChangeKind::Remove => "removed",
        }
    }
}

/// One object that changes (or whose changes are all ignored).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub object: ObjectRef,
    pub change: ChangeKind,
    /// For a rename: the object removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<ObjectRef>,
    /// For a rename: how similar the two are (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// The template the object comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Taken over from another owner (`--take-ownership`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    /// For an adopted object: the release that owned it (none: no release did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_owner: Option<String>,
    /// The rule that ignores the whole object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_by: Option<String>,
    /// Field by field, for changes and renames (ignored ones marked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The object now (normalised; Secrets masked unless shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The object after the apply (normalised; Secrets masked unless shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// `after` with the ignored changes undone: what the text diff shows.
    #[serde(skip)]
    pub shown: Option<Value>,
}

impl Entry {
    /// Whether the entry counts as a change (summary, exit code): not ignored as a whole,
    /// and, for a changed object, with a change not ignored (a field, a change of owner, or
    /// an order no field expresses).
    pub fn counts(&self) -> bool {
        self.ignored_by.is_none()
            && match self.change {
                ChangeKind::Change => {
                    self.adopted
                        || self.fields.is_empty()
                        || self.fields.iter().any(|f| f.ignored_by.is_none())
                }
                _ => true,
            }
    }
}

/// One field that changes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// JSONPath in the object after the change (before it, for a removal); list indexes are
    /// positions in that object.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// Set when the old value was changed outside the tool since the last apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// The rule that ignores this change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_by: Option<String>,
    #[serde(skip)]
    pub segments: Vec<Segment>,
}

impl FieldChange {
    /// The path as people read it: `spec.replicas`.
    pub fn dotted(&self) -> String {
        fields::dotted(&self.segments)
    }
}

/// A change outside the tool since the last apply, which this apply overwrites.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// What the last apply set there (absent: it set nothing, someone added the value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Value>,
    /// The revision of the last apply, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// Counts of a diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub rename: usize,
    pub remove: usize,
    pub unchanged: usize,
    /// Objects whose every change is ignored.
    pub ignored: usize,
    /// Fields changed outside the tool that this apply overwrites.
    pub drifted: usize,
}

impl Summary {
    /// Whether anything (not ignored) changes.
    pub fn has_changes(&self) -> bool {
        self.add + self.change + self.rename + self.remove > 0
    }
}

/// The diff of a plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// `NAMESPACE/NAME`.
    pub release: String,
    /// The revision the diff compares against (the last apply), when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Who applied it: `kubectl-chart` or `Helm`.
    pub tool: String,
    pub summary: Summary,
    pub changes: Vec<Entry>,
}

/// An entry while it is being worked out.
struct Work {
    entry: Entry,
    raw: Vec<RawChange>,
    /// Normalised.
    before: Option<Value>,
    after: Option<Value>,
    last: Option<Value>,
    key: plan::KindKey,
    /// Changes set aside by ignore rules: index in `raw` -> the rule.
    ignored: HashMap<usize, String>,
}

impl Work {
    fn new(object: ObjectRef, change: ChangeKind) -> Work {
        let key = (object.api_version.clone(), object.kind.clone());
        Work {
            entry: Entry {
                object,
                change,
                renamed_from: None,
                similarity: None,
                source: None,
                adopted: false,
                previous_owner: None,
                ignored_by: None,
                fields: Vec::new(),
                before: None,
                after: None,
                shown: None,
            },
            raw: Vec::new(),
            before: None,
            after: None,
            last: None,
            key,
            ignored: HashMap::new(),
        }
    }
}

/// Diffs `plan`: live objects against what apply writes (`returned`, the objects a server dry
/// run answered with, take the place of the merged ones).
pub fn diff(
    plan: &Plan,
    previous: &Previous,
    returned: &HashMap<ObjectRef, Value>,
    options: &Options,
) -> Diff {
    let mut work = Vec::new();
    let mut unchanged = 0;
    for ns in &plan.create_namespaces {
        let reference = plan::namespace_ref(ns);
        let mut added = Work::new(reference, ChangeKind::Add);
        added.after = Some(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}
        }));
        work.push(added);
    }
    for step in &plan.steps {
        if step.action == StepAction::Unchanged {
            unchanged += 1;
            continue;
        }
        let Some(after) = returned.get(&step.object).or_else(|| step.after()) else {
            continue;
        };
        let after = normalize::normalize(after);
        let adopted = plan.adopted.contains(&step.object);
        let mut item = match &step.live {
            None => {
                let mut added = Work::new(step.object.clone(), ChangeKind::Add);
                added.after = Some(after);
                added
            }
            Some(live) => {
                let before = normalize::normalize(live);
                if before == after && !adopted {
                    // Only bookkeeping changes: nothing anyone reads.
                    unchanged += 1;
                    continue;
                }
                let mut changed = Work::new(step.object.clone(), ChangeKind::Change);
                changed.raw = OwnedShape::with(plan.shape(&step.kind_key()), |shape| {
                    fields::changes(&before, &after, shape)
                });
                changed.before = Some(before);
                changed.after = Some(after);
                changed.last = step.last.as_ref().map(normalize::normalize);
                if adopted {
                    changed.entry.adopted = true;
                    changed.entry.previous_owner = plan::owner_in(plan.bookkeeping, live);
                }
                changed
            }
        };
        item.entry.source = Some(step.source.clone());
        work.push(item);
    }
    for prune in &plan.prunes {
        let mut removed = Work::new(prune.object.clone(), ChangeKind::Remove);
        removed.before = Some(normalize::normalize(&prune.live));
        work.push(removed);
    }
    if options.rename_threshold > 0.0 {
        work = find_renames(plan, work, options.rename_threshold);
    }
    let mut entries = Vec::with_capacity(work.len());
    for mut item in work {
        apply_rules(&mut item, &options.rules);
        let fields = field_changes(plan, previous, &item);
        item.entry.fields = fields;
        item.entry.before = item.before.take();
        item.entry.after = item.after.take();
        if item.entry.shown.is_none() {
            item.entry.shown = item.entry.after.clone();
        }
        if !options.show_secrets {
            mask(&mut item.entry);
        }
        entries.push(item.entry);
    }
    let mut summary = Summary {
        unchanged,
        ..Summary::default()
    };
    for entry in &entries {
        if !entry.counts() {
            summary.ignored += 1;
            continue;
        }
        match entry.change {
            ChangeKind::Add => summary.add += 1,
            ChangeKind::Change => summary.change += 1,
            ChangeKind::Rename => summary.rename += 1,
            ChangeKind::Remove => summary.remove += 1,
        }
        summary.drifted += entry
            .fields
            .iter()
            .filter(|f| f.drift.is_some() && f.ignored_by.is_none())
            .count();
    }
    Diff {
        release: plan.release.owner(),
        revision: previous.revision,
        tool: options.tool.clone(),
        summary,
        changes: entries,
    }
}

/// Pairs removed objects with similar added ones of the same kind: each pair becomes one
/// rename, at the added object's place.
fn find_renames(plan: &Plan, mut work: Vec<Work>, threshold: f32) -> Vec<Work> {
    // Past this many comparisons renames are not looked for: each is a text diff.
    const MAX_PAIRS: usize = 10_000;
    let adds: Vec<usize> = (0..work.len())
        .filter(|&i| work[i].entry.change == ChangeKind::Add)
        .collect();
    let removes: Vec<usize> = (0..work.len())
        .filter(|&i| work[i].entry.change == ChangeKind::Remove)
        .collect();
    if adds.is_empty() || removes.is_empty() || adds.len() * removes.len() > MAX_PAIRS {
        return work;
    }
    // What an object holds, without its type and metadata: labels and names are alike across objects
    // of a chart, and would make any two small objects look like a rename.
    let comparable = |value: Option<&Value>| -> String {
        let mut value = value.cloned().unwrap_or(Value::Null);
        if let Some(map) = value.as_object_mut() {
            for key in ["apiVersion", "kind", "metadata"] {
                map.shift_remove(key);
            }
        }
        crate::yaml::to_string(&value)
    };
    let texts: HashMap<usize, String> = adds
        .iter()
        .map(|&i| (i, comparable(work[i].after.as_ref())))
        .chain(
            removes
                .iter()
                .map(|&i| (i, comparable(work[i].before.as_ref()))),
        )
        .collect();
    let mut candidates = Vec::new();
    for &a in &adds {
        for &r in &removes {
            let (added, removed) = (&work[a].entry.object, &work[r].entry.object);
            let same_kind = added.kind == removed.kind && added.group() == removed.group();
            if !same_kind {
                continue;
            }
            let ratio = similar::TextDiff::configure()
                .timeout(Duration::from_millis(50))
                .diff_lines(&texts[&r], &texts[&a])
                .ratio();
            if ratio >= threshold {
                candidates.push((ratio, a, r));
            }
        }
    }
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut taken = vec![false; work.len()];
    let mut pairs = Vec::new();
    for (ratio, a, r) in candidates {
        if !taken[a] && !taken[r] {
            taken[a] = true;
            taken[r] = true;
            pairs.push((ratio, a, r));
        }
    }
    let mut removed_into: HashMap<usize, (f32, usize)> = HashMap::new();
    for (ratio, a, r) in pairs {
        removed_into.insert(a, (ratio, r));
    }
    let mut slots: Vec<Option<Work>> = work.drain(..).map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for index in 0..slots.len() {
        if let Some((ratio, r)) = removed_into.get(&index).copied() {
            let (Some(mut added), Some(removed)) = (slots[index].take(), slots[r].take()) else {
                continue;
            };
            added.entry.change = ChangeKind::Rename;
            added.entry.renamed_from = Some(removed.entry.object);
            added.entry.similarity = Some((ratio * 100.0).round() / 100.0);
            added.before = removed.before;
            // The added object comes in the chart's key order, the removed one in the
            // server's: the same order for both keeps the diff to what differs.
            if let (Some(before), Some(after)) = (&added.before, &added.after) {
                added.after = Some(fields::align_order(after, before));
            }
            if let (Some(before), Some(after)) = (&added.before, &added.after) {
                added.raw = OwnedShape::with(plan.shape(&added.key), |shape| {
                    fields::changes(before, after, shape)
                });
            }
            out.push(added);
        } else if let Some(item) = slots[index].take()
            && !removed_into.values().any(|(_, r)| *r == index)
        {
            out.push(item);
        }
    }
    out
}

/// Applies the ignore rules to one entry: a whole-object rule marks it; path rules set aside
/// the changes below the fields they select and build the shown object without them.
fn apply_rules(item: &mut Work, rules: &[Rule]) {
    let names_it = |rule: &Rule| {
        rule.applies_to(&item.entry.object)
            || item
                .entry
                .renamed_from
                .as_ref()
                .is_some_and(|from| rule.applies_to(from))
    };
    if let Some(rule) = rules.iter().find(|r| r.whole_object() && names_it(r)) {
        item.entry.ignored_by = Some(rule.as_str().to_owned());
        return;
    }
    let (Some(before), Some(after)) = (&item.before, &item.after) else {
        return;
    };
    let mut ignored: HashMap<usize, String> = HashMap::new();
    for rule in rules.iter().filter(|r| !r.whole_object() && names_it(r)) {
        let in_after = rule.select(after);
        let in_before = rule.select(before);
        let below = |path: Option<Vec<Segment>>, selected: &[Vec<Segment>]| {
            path.is_some_and(|path| selected.iter().any(|s| path.starts_with(s)))
        };
        for (index, change) in item.raw.iter().enumerate() {
            if !ignored.contains_key(&index)
                && (below(change.after_path(), &in_after)
                    || below(change.before_path(), &in_before))
            {
                ignored.insert(index, rule.as_str().to_owned());
            }
        }
    }
    if ignored.is_empty() {
        return;
    }
    let mut shown = after.clone();
    let undo: Vec<&RawChange> = ignored.keys().map(|i| &item.raw[*i]).collect();
    fields::revert(&mut shown, &undo);
    item.entry.shown = Some(shown);
    item.ignored = ignored;
}

/// The field changes of an entry, with drift and ignore marks.
fn field_changes(plan: &Plan, previous: &Previous, item: &Work) -> Vec<FieldChange> {
    let before = item.before.as_ref();
    OwnedShape::with(plan.shape(&item.key), |shape| {
        item.raw
            .iter()
            .enumerate()
            .map(|(index, change)| {
                let segments = change.path();
                let drift = match (&item.last, before, item.entry.change) {
                    (Some(last), Some(before), ChangeKind::Change) => drift_of(
                        last,
                        before,
                        change,
                        shape,
                        previous.revision_of(&item.entry.object),
                    ),
                    _ => None,
                };
                FieldChange {
                    path: fields::json_path(&segments),
                    old: change.old.clone(),
                    new: change.new.clone(),
                    drift,
                    ignored_by: item.ignored.get(&index).cloned(),
                    segments,
                }
            })
            .collect()
    })
}

/// Whether `change` overwrites a change made outside the tool since the last apply: the live
/// value differs from what the last apply set there (or the last apply's list did not hold a
/// live element that this apply removes).
fn drift_of(
    last: &Value,
    before: &Value,
    change: &RawChange,
    shape: Option<&dyn crate::merge::Shape>,
    revision: Option<u64>,
) -> Option<Drift> {
    match fields::counterpart(last, before, change, shape) {
        Counterpart::NoParent => None,
        Counterpart::Value(value) if change.old.as_ref() == Some(value) => None,
        Counterpart::Value(value) => Some(Drift {
            last: Some(value.clone()),
            revision,
        }),
        // A list element someone added that this apply drops. A map key the last apply did
        // not set may be a server default: not called drift.
        Counterpart::Absent => {
            (matches!(change.leaf, Leaf::Element { .. }) && change.old.is_some()).then_some(Drift {
                last: None,
                revision,
            })
        }
    }
}

/// Masks a Secret's values in an entry: before, after, shown, and field changes below `data`.
fn mask(entry: &mut Entry) {
    let secret = [&entry.before, &entry.after]
        .iter()
        .any(|v| v.as_ref().is_some_and(normalize::is_secret));
    if !secret {
        return;
    }
    let original_before = entry.before.clone();
    if let Some(after) = &mut entry.after {
        let mut before = original_before.clone();
        normalize::mask_pair(before.as_mut(), Some(after));
    }
    if let Some(shown) = &mut entry.shown {
        let mut before = original_before.clone();
        normalize::mask_pair(before.as_mut(), Some(shown));
    }
    normalize::mask_pair(entry.before.as_mut(), None);
    for field in &mut entry.fields {
        if field.segments.first() != Some(&Segment::Key("data".into())) {
            continue;
        }
        let changed = field.old.is_some() && field.new.is_some();
        let whole = field.segments.len() == 1;
        let hide = |value: &Value, changed: bool| {
            if whole {
                normalize::mask_value(value, changed)
            } else {
                normalize::masked(value, changed)
            }
        };
        field.old = field.old.as_ref().map(|v| hide(v, false));
        field.new = field.new.as_ref().map(|v| hide(v, changed));
        if let Some(drift) = &mut field.drift {
            drift.last = drift.last.as_ref().map(|v| hide(v, false));
        }
    }
}

#[cfg(test)]
mod tests;
