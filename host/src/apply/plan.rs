//! Planning an apply: pure. Given the rendered objects, a [`Snapshot`] of the cluster and what
//! the previous revision applied, decide for each object whether it is created, updated (and
//! with which merged object) or left alone, and what is pruned — after every check that must
//! pass before anything is written. `diff` and `--dry-run` print this plan; `execute` runs it.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

use super::read::Snapshot;
use super::{
    Action, Bookkeeping, Change, DryRun, Error, LAST_APPLIED_ANNOTATION, Options, Previous, Report,
    Result,
};
use crate::cluster::Resource;
use crate::manifest::{self, Object, ObjectRef};
use crate::merge::{self, JsonSchemaShape, SchemaShape, Shape};
use crate::release::{MANAGED_BY, MANAGED_BY_LABEL, OWNER_ANNOTATION, ReleaseId};

/// `(apiVersion, kind)`.
pub type KindKey = (String, String);

/// What is done to one object.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// Create it with this body.
    Create(Value),
    /// Replace the live object with this merged object (which carries the live
    /// `resourceVersion`, so a concurrent change is a conflict, not lost).
    Update(Value),
    /// The merge changes nothing: no write.
    Unchanged,
    /// Server-side apply of the desired object: the server merges.
    ServerSideApply,
}

/// One object of the chart and what apply does to it.
#[derive(Debug, Clone)]
pub struct Step {
    pub object: ObjectRef,
    /// The template it came from.
    pub source: String,
    /// Where it lives; `None` for a custom resource whose CRD this apply creates.
    pub resource: Option<Resource>,
    /// The object as the chart renders it, with its namespace and the release's marks: what
    /// this revision applies (and records as applied).
    pub desired: Value,
    /// What the previous revision applied of it.
    pub last: Option<Value>,
    /// The object as it is in the cluster.
    pub live: Option<Value>,
    pub action: StepAction,
}

impl Step {
    pub fn kind_key(&self) -> KindKey {
        (self.object.api_version.clone(), self.object.kind.clone())
    }

    /// What the object will be after the step: the body written, or live when unchanged.
    pub fn after(&self) -> Option<&Value> {
        match &self.action {
            StepAction::Create(body) | StepAction::Update(body) => Some(body),
            StepAction::Unchanged => self.live.as_ref(),
            StepAction::ServerSideApply => Some(&self.desired),
        }
    }

    /// The report action of this step.
    pub fn report_action(&self) -> Action {
        match (&self.action, &self.live) {
            (StepAction::Create(_), _) | (StepAction::ServerSideApply, None) => Action::Created,
            (StepAction::Update(_), _) | (StepAction::ServerSideApply, Some(_)) => {
                Action::Configured
            }
            (StepAction::Unchanged, _) => Action::Unchanged,
        }
    }
}

/// An object the previous revision owned that the chart no longer renders.
#[derive(Debug, Clone)]
pub struct Prune {
    pub object: ObjectRef,
    pub resource: Resource,
    pub live: Value,
    /// What the previous revision applied of it.
    pub last: Option<Value>,
}

/// An object's merge shape: the vendored schema for built-in kinds, a CRD's
/// `openAPIV3Schema` for custom resources.
#[derive(Debug, Clone)]
pub enum OwnedShape {
    BuiltIn(SchemaShape<'static>),
    Crd(Value),
}

impl OwnedShape {
    /// Runs `f` with this shape as the merge engine takes it.
    pub fn with<R>(shape: Option<&OwnedShape>, f: impl FnOnce(Option<&dyn Shape>) -> R) -> R {
        match shape {
            Some(OwnedShape::BuiltIn(shape)) => f(Some(shape)),
            Some(OwnedShape::Crd(schema)) => f(Some(&JsonSchemaShape(schema))),
            None => f(None),
        }
    }
}

/// Everything an apply will do, in the order it will do it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub release: ReleaseId,
    /// Namespaces to create first (`--create-namespace`), not owned by the release.
    pub create_namespaces: Vec<String>,
    /// The chart's objects, in install order.
    pub steps: Vec<Step>,
    /// What to delete after the writes, in reverse install order.
    pub prunes: Vec<Prune>,
    /// Objects that exist, belong to no release or another one, and are taken over
    /// (`--take-ownership`).
    pub adopted: Vec<ObjectRef>,
    /// Merge shapes by kind, for re-merging on a conflict.
    pub shapes: HashMap<KindKey, OwnedShape>,
    /// Server-side apply: the server merges, so steps carry no merged object.
    pub server_side: bool,
    /// Whose bookkeeping the plan follows (for re-merges and prune checks in execute).
    pub bookkeeping: Bookkeeping,
    /// Whether the previous revision was Helm's (prunes follow Helm's rule).
    pub from_helm: bool,
}

impl Plan {
    pub fn shape(&self, key: &KindKey) -> Option<&OwnedShape> {
        self.shapes.get(key)
    }

    /// The report of this plan as if executed: what a client dry run prints.
    pub fn report(&self, dry_run: DryRun) -> Report {
        let mut changes: Vec<Change> = self
            .create_namespaces
            .iter()
            .map(|ns| Change {
                object: namespace_ref(ns),
                action: Action::Created,
            })
            .collect();
        changes.extend(self.steps.iter().map(|step| Change {
            object: step.object.clone(),
            action: step.report_action(),
        }));
        changes.extend(self.prunes.iter().map(|prune| Change {
            object: prune.object.clone(),
            action: Action::Pruned,
        }));
        Report {
            release: self.release.owner(),
            dry_run,
            changes,
            ..Report::default()
        }
    }
}

/// Where an object goes: its reference, how its kind is served, its merge-shape key.
type Placed = (ObjectRef, Option<Resource>, KindKey);

/// Plans the apply of `objects` (in install order) as `release`.
pub fn plan(
    release: &ReleaseId,
    objects: Vec<Object>,
    snapshot: &Snapshot,
    previous: &Previous,
    options: &Options,
) -> Result<Plan> {
    let defined = defined_crds(&objects);
    let mut shapes: HashMap<KindKey, OwnedShape> = HashMap::new();
    let mut unknown = BTreeSet::new();
    // First, in order: where each object goes, checked for duplicates; then the steps
    // themselves (copies, the three-way merge) on every core.
    let mut pending = Vec::with_capacity(objects.len());
    let mut seen = HashSet::new();
    for object in &objects {
        let key = kind_key(object);
        let resource = snapshot.resources.get(&key).cloned().flatten();
        let namespaced = match &resource {
            Some(resource) => resource.namespaced,
            None => match crd_namespaced(&defined, object) {
                Some(namespaced) => namespaced,
                None => {
                    unknown.insert(format!("{} {}", key.0, key.1));
                    continue;
                }
            },
        };
        let reference = target_ref(object, namespaced, &release.namespace);
        check_name(&reference)?;
        if !seen.insert(reference.clone()) {
            return Err(Error::Invalid {
                object: reference.to_string(),
                message: format!("rendered twice (from {})", object.source),
            });
        }
        if !shapes.contains_key(&key)
            && let Some(shape) = shape_of(&key, &defined, snapshot)
        {
            shapes.insert(key.clone(), shape);
        }
        pending.push((reference, resource, key));
    }
    if !unknown.is_empty() {
        return Err(Error::UnknownKinds {
            kinds: unknown.into_iter().collect(),
        });
    }
    drop(defined);
    // Every object has its place (or the plan failed above): the objects move into their
    // steps, and the copies of live and last and the merge run on every core.
    let mut pending: Vec<(Object, Placed)> = objects.into_iter().zip(pending).collect();
    let step = |(object, (reference, resource, key)): &mut (Object, Placed)| {
        let mut desired = std::mem::take(&mut object.value);
        set_namespace(&mut desired, reference.namespace.as_deref());
        if options.bookkeeping == Bookkeeping::KubectlChart {
            decorate(&mut desired, release);
        }
        let live = snapshot.live.get(reference).cloned();
        let last = previous
            .applied
            .get(reference)
            .cloned()
            .or_else(|| live.as_ref().and_then(annotated_last_applied));
        let action = if options.server_side {
            StepAction::ServerSideApply
        } else {
            OwnedShape::with(shapes.get(key), |shape| {
                merge_step(&desired, last.as_ref(), live.as_ref(), shape)
            })
        };
        Step {
            object: reference.clone(),
            source: std::mem::take(&mut object.source),
            resource: resource.take(),
            desired,
            last,
            live,
            action,
        }
    };
    let chunk = crate::render::chunk_len(pending.len(), 32);
    let mut steps = Vec::with_capacity(pending.len());
    for part in crate::render::on_threads(pending.chunks_mut(chunk), |part| {
        part.iter_mut().map(step).collect::<Vec<Step>>()
    }) {
        steps.extend(part.map_err(|err| Error::Invalid {
            object: release.owner(),
            message: format!("cannot start a thread to plan on: {err}"),
        })?);
    }

    let owner = release.owner();
    let bookkeeping = options.bookkeeping;
    let from_helm = previous.helm_release.is_some();
    // When the previous revision is Helm's (previewed or taken over), the release has whatever
    // it applied, and what Helm's marks give to it.
    let helm_owner = (bookkeeping == Bookkeeping::Helm || from_helm).then(|| {
        let name = previous.helm_release.as_deref().unwrap_or(&release.name);
        format!("{}/{name}", release.namespace)
    });
    let adopted: Vec<&Step> = steps
        .iter()
        .filter(|step| {
            step.live.as_ref().is_some_and(|live| {
                let helm_had = helm_owner.as_ref().is_some_and(|helm_owner| {
                    previous.objects.contains(&step.object)
                        || owner_in(Bookkeeping::Helm, live).as_ref() == Some(helm_owner)
                });
                !(helm_had || owned(bookkeeping, release, live))
            })
        })
        .collect();
    if !adopted.is_empty() && !options.take_ownership {
        return Err(Error::Ownership {
            release: owner,
            objects: adopted
                .iter()
                .map(|step| {
                    let live = step.live.as_ref();
                    let helm = |live| owner_in(Bookkeeping::Helm, live);
                    match (
                        live.and_then(|live| owner_in(bookkeeping, live)),
                        live.and_then(helm),
                    ) {
                        (Some(other), _) => format!("{} (owned by release {other})", step.object),
                        (None, Some(helm)) => {
                            format!(
                                "{} (owned by Helm release {helm}; --from-helm-release takes a Helm release over)",
                                step.object
                            )
                        }
                        (None, None) => format!("{} (owned by no release)", step.object),
                    }
                })
                .collect(),
        });
    }
    let adopted = adopted.iter().map(|s| s.object.clone()).collect();

    let created: HashSet<&str> = steps
        .iter()
        .filter(|s| s.object.kind == "Namespace" && s.object.api_version == "v1")
        .map(|s| s.object.name.as_str())
        .collect();
    let missing: Vec<String> = steps
        .iter()
        .filter_map(|s| s.object.namespace.as_deref())
        .filter(|ns| !created.contains(ns) && !snapshot.namespaces.contains(*ns))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !missing.is_empty() && !options.create_namespace {
        return Err(Error::MissingNamespaces {
            namespaces: missing,
        });
    }

    let current: HashSet<&ObjectRef> = steps.iter().map(|s| &s.object).collect();
    let mut prunes: Vec<Prune> = previous
        .objects
        .iter()
        .filter(|r| !current.contains(r))
        .filter_map(|reference| {
            let key = (reference.api_version.clone(), reference.kind.clone());
            let resource = snapshot.resources.get(&key).cloned().flatten()?;
            let live = snapshot.live.get(reference)?;
            // Taken over by someone else since (or kept by policy): not ours to delete.
            prunable(bookkeeping, from_helm, release, live).then(|| Prune {
                object: reference.clone(),
                resource,
                live: live.clone(),
                last: previous
                    .applied
                    .get(reference)
                    .cloned()
                    .or_else(|| annotated_last_applied(live)),
            })
        })
        .collect();
    prunes.sort_by_key(|p| std::cmp::Reverse(manifest::install_rank(&p.object.kind)));

    Ok(Plan {
        release: release.clone(),
        create_namespaces: missing,
        steps,
        prunes,
        adopted,
        shapes,
        server_side: options.server_side,
        bookkeeping,
        from_helm,
    })
}

/// The step for `desired` given what was applied `last` and what is `live`: the rule shared by
/// planning and by a re-merge after a conflict.
///
/// "Last applied" comes from the release history, so objects carry no copy of themselves: the
/// annotation kubectl-chart 0.1 kept on every object is dropped as objects are updated (a CRD
/// of 300 KiB applies, where `kubectl apply` fails on the 256 KiB annotation limit).
pub fn merge_step(
    desired: &Value,
    last: Option<&Value>,
    live: Option<&Value>,
    shape: Option<&dyn Shape>,
) -> StepAction {
    match live {
        None => StepAction::Create(merge::merge(None, None, desired, None)),
        Some(live) => {
            let mut merged = merge::merge(last, Some(live), desired, shape);
            if let Some(annotations) = merged
                .pointer_mut("/metadata/annotations")
                .and_then(Value::as_object_mut)
            {
                annotations.remove(LAST_APPLIED_ANNOTATION);
            }
            if &merged == live || string_data_folded(&merged).as_ref() == Some(live) {
                StepAction::Unchanged
            } else {
                StepAction::Update(merged)
            }
        }
    }
}

/// A Secret with `stringData` as the server stores it: the values moved into `data`, base64
/// encoded. Re-applying a chart that writes `stringData` then changes nothing, and is no
/// write (the live object never has `stringData`). `None` for anything else.
fn string_data_folded(value: &Value) -> Option<Value> {
    use base64::Engine as _;
    if value.get("kind").and_then(Value::as_str) != Some("Secret")
        || value.get("apiVersion").and_then(Value::as_str) != Some("v1")
    {
        return None;
    }
    let mut folded = value.clone();
    let map = folded.as_object_mut()?;
    let Value::Object(string_data) = map.shift_remove("stringData")? else {
        return None;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()?;
    for (key, text) in string_data {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_str()?);
        data.insert(key, Value::String(encoded));
    }
    Some(folded)
}

/// What the object's annotation says was applied last (objects applied by kubectl-chart 0.1,
/// before revision manifests were recorded).
fn annotated_last_applied(live: &Value) -> Option<Value> {
    live.pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok())
}

pub fn kind_key(object: &Object) -> KindKey {
    (object.api_version().to_owned(), object.kind().to_owned())
}

/// `(group, kind)` of an `apiVersion` and kind.
pub fn group_kind(api_version: &str, kind: &str) -> (String, String) {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    (group.to_owned(), kind.to_owned())
}

/// The CRDs among `objects`, by the `(group, kind)` they define.
pub fn defined_crds(objects: &[Object]) -> HashMap<(String, String), &Object> {
    objects
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .filter_map(|crd| {
            let group = crd.value.pointer("/spec/group")?.as_str()?;
            let kind = crd.value.pointer("/spec/names/kind")?.as_str()?;
            Some(((group.to_owned(), kind.to_owned()), crd))
        })
        .collect()
}

/// Whether a custom resource whose CRD is among the objects is namespaced; `None` when no
/// CRD of the objects defines its kind.
pub fn crd_namespaced(
    defined: &HashMap<(String, String), &Object>,
    object: &Object,
) -> Option<bool> {
    let crd = defined.get(&group_kind(object.api_version(), object.kind()))?;
    Some(crd.value.pointer("/spec/scope").and_then(Value::as_str) != Some("Cluster"))
}

/// The `openAPIV3Schema` a CRD gives for `version`.
pub fn crd_version_schema<'a>(crd: &'a Value, version: &str) -> Option<&'a Value> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(version))?
        .pointer("/schema/openAPIV3Schema")
}

fn shape_of(
    key: &KindKey,
    defined: &HashMap<(String, String), &Object>,
    snapshot: &Snapshot,
) -> Option<OwnedShape> {
    if let Some(shape) = SchemaShape::for_kind(&key.0, &key.1) {
        return Some(OwnedShape::BuiltIn(shape));
    }
    // A CRD of this apply describes the kind as it will be served; else the cluster's.
    if let Some(crd) = defined.get(&group_kind(&key.0, &key.1)) {
        let version = key.0.rsplit_once('/').map_or(key.0.as_str(), |(_, v)| v);
        return crd_version_schema(&crd.value, version)
            .cloned()
            .map(OwnedShape::Crd);
    }
    snapshot.crd_schemas.get(key).cloned().map(OwnedShape::Crd)
}

/// Where an object lives: namespaced objects in their own namespace, else the release's;
/// cluster-scoped objects in none (the API server would drop one).
pub fn target_ref(object: &Object, namespaced: bool, release_namespace: &str) -> ObjectRef {
    ObjectRef {
        api_version: object.api_version().to_owned(),
        kind: object.kind().to_owned(),
        namespace: namespaced.then(|| object.namespace().unwrap_or(release_namespace).to_owned()),
        name: object.name().to_owned(),
    }
}

pub fn namespace_ref(name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        namespace: None,
        name: name.to_owned(),
    }
}

/// Sets the object's namespace to where it lives (removes it for cluster-scoped objects).
pub fn set_namespace(value: &mut Value, namespace: Option<&str>) {
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    match namespace {
        Some(ns) => {
            metadata.insert("namespace".into(), Value::from(ns));
        }
        None => {
            metadata.remove("namespace");
        }
    }
}

/// Marks an object as the release's: the managed-by label and the owner annotation.
fn decorate(value: &mut Value, release: &ReleaseId) {
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    map_entry(metadata, "labels").insert(MANAGED_BY_LABEL.into(), Value::from(MANAGED_BY));
    map_entry(metadata, "annotations")
        .insert(OWNER_ANNOTATION.into(), Value::from(release.owner()));
}

fn map_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("just made a map"),
    }
}

/// The release an object belongs to, by its owner annotation.
pub fn owner_of(live: &Value) -> Option<&str> {
    annotation(live, OWNER_ANNOTATION)
}

fn annotation<'a>(live: &'a Value, key: &str) -> Option<&'a str> {
    live.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// Helm's ownership annotations (what `helm upgrade` checks before taking an object).
pub const HELM_RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
pub const HELM_RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
/// Helm's annotation that keeps an object when the release stops rendering it.
pub const HELM_RESOURCE_POLICY_ANNOTATION: &str = "helm.sh/resource-policy";

/// The release (`NAMESPACE/NAME`) a live object names as its owner, by `bookkeeping`'s marks.
pub fn owner_in(bookkeeping: Bookkeeping, live: &Value) -> Option<String> {
    match bookkeeping {
        Bookkeeping::KubectlChart => owner_of(live).map(str::to_owned),
        Bookkeeping::Helm => {
            let name = annotation(live, HELM_RELEASE_NAME_ANNOTATION)?;
            let namespace = annotation(live, HELM_RELEASE_NAMESPACE_ANNOTATION).unwrap_or("");
            Some(format!("{namespace}/{name}"))
        }
    }
}

/// Whether a live object is marked as `release`'s.
pub fn owned(bookkeeping: Bookkeeping, release: &ReleaseId, live: &Value) -> bool {
    owner_in(bookkeeping, live).is_some_and(|owner| owner == release.owner())
}

/// Whether a live object the previous revision applied may be deleted now that the chart no
/// longer renders it: ours while still marked ours; Helm's (`from_helm`, the previous
/// revision was Helm's) unless its policy keeps it, as `helm upgrade` decides, or, when taking
/// it over, unless another release of ours has claimed it since.
pub fn prunable(
    bookkeeping: Bookkeeping,
    from_helm: bool,
    release: &ReleaseId,
    live: &Value,
) -> bool {
    let kept = annotation(live, HELM_RESOURCE_POLICY_ANNOTATION) == Some("keep");
    match (bookkeeping, from_helm) {
        (Bookkeeping::Helm, _) => !kept,
        (Bookkeeping::KubectlChart, false) => owned(bookkeeping, release, live),
        (Bookkeeping::KubectlChart, true) => {
            !kept && owner_of(live).is_none_or(|owner| owner == release.owner())
        }
    }
}

/// Kubernetes object names: DNS subdomains for most kinds; RBAC names are path segments.
fn check_name(object: &ObjectRef) -> Result<()> {
    let name = &object.name;
    let invalid = |reason| Error::InvalidName {
        object: object.to_string(),
        name: crate::log::truncate(name, 80),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("names must not be empty"));
    }
    if name == "." || name == ".." || name.contains('/') || name.contains('%') {
        return Err(invalid(
            "names must not be `.` or `..` or contain `/` or `%`",
        ));
    }
    let rbac = object.group() == "rbac.authorization.k8s.io";
    if rbac {
        return Ok(());
    }
    if name.len() > 253 {
        return Err(invalid("names must be at most 253 characters"));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !name.split('.').all(label_ok) {
        return Err(invalid(
            "names must be lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kube::core::ApiResource;
    use serde_json::json;

    use super::*;

    fn release() -> ReleaseId {
        ReleaseId {
            name: "web".into(),
            namespace: "shop".into(),
        }
    }

    fn resource(api_version: &str, kind: &str, plural: &str, namespaced: bool) -> Resource {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Resource {
            api: ApiResource {
                group: group.into(),
                version: version.into(),
                api_version: api_version.into(),
                kind: kind.into(),
                plural: plural.into(),
            },
            namespaced,
        }
    }

    /// A cluster serving ConfigMaps, Deployments, Namespaces and ClusterRoles, with the
    /// namespace `shop`.
    fn cluster() -> Snapshot {
        let mut resources = BTreeMap::new();
        for (api_version, kind, plural, namespaced) in [
            ("v1", "ConfigMap", "configmaps", true),
            ("v1", "Namespace", "namespaces", false),
            ("apps/v1", "Deployment", "deployments", true),
            (
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                "clusterroles",
                false,
            ),
        ] {
            resources.insert(
                (api_version.to_owned(), kind.to_owned()),
                Some(resource(api_version, kind, plural, namespaced)),
            );
        }
        Snapshot {
            resources,
            namespaces: BTreeSet::from(["shop".to_owned()]),
            ..Snapshot::default()
        }
    }

    fn object(value: Value) -> Object {
        Object::new("t/templates/x.yaml", value).unwrap()
    }

    fn cm(name: &str, data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
    }

    fn cm_ref(name: &str) -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("shop".into()),
            name: name.into(),
        }
    }

    /// A live object as an earlier apply of `desired` by this release left it, with fields the
    /// server added.
    fn applied_live(desired: &Value) -> Value {
        let StepAction::Create(mut body) = merge_step(&decorated(desired), None, None, None) else {
            panic!("a new object is created")
        };
        body["metadata"]["resourceVersion"] = json!("7");
        body["metadata"]["uid"] = json!("u-1");
        body
    }

    fn decorated(value: &Value) -> Value {
        let mut value = value.clone();
        set_namespace(&mut value, Some("shop"));
        decorate(&mut value, &release());
        value
    }

    fn run(
        objects: Vec<Value>,
        snapshot: &Snapshot,
        previous: &Previous,
        options: &Options,
    ) -> Result<Plan> {
        plan(
            &release(),
            objects.into_iter().map(object).collect(),
            snapshot,
            previous,
            options,
        )
    }

    #[test]
    fn secrets_written_with_string_data_compare_as_the_server_stores_them() {
        let secret = |body: Value| {
            let mut value = json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "s", "namespace": "shop"}});
            if let (Some(map), Some(body)) = (value.as_object_mut(), body.as_object()) {
                map.extend(body.clone());
            }
            value
        };
        // (stringData applied, data live, whether a write is needed)
        let cases = [
            (
                json!({"pw": "hunter2"}),
                json!({"pw": "aHVudGVyMg=="}),
                false,
            ),
            (
                json!({"pw": "hunter3"}),
                json!({"pw": "aHVudGVyMg=="}),
                true,
            ),
            (
                json!({"pw": "hunter2", "new": "x"}),
                json!({"pw": "aHVudGVyMg=="}),
                true,
            ),
            (json!({"pw": 7}), json!({"pw": "Nw=="}), true),
        ];
        for (string_data, data, writes) in cases {
            let desired = secret(json!({"stringData": string_data}));
            let live = secret(json!({"data": data}));
            let action = merge_step(&desired, Some(&desired), Some(&live), None);
            assert_eq!(
                matches!(action, StepAction::Update(_)),
                writes,
                "{string_data} over {data}"
            );
        }
        // Not a Secret: stringData is a field like any other.
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "stringData": {"a": "b"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"a": "Yg=="}});
        assert!(matches!(
            merge_step(&desired, None, Some(&live), None),
            StepAction::Update(_)
        ));
    }

    #[test]
    fn steps_follow_the_three_way_merge() {
        let old = cm("a", json!({"keep": "1", "dropped": "x"}));
        let new = cm("a", json!({"keep": "1", "added": "y"}));
        let mut live = applied_live(&old);
        live["data"]["theirs"] = json!("z"); // someone else's key: kept
        let unchanged = cm("b", json!({"k": "v"}));
        let mut snapshot = cluster();
        snapshot.live.insert(cm_ref("a"), live);
        snapshot.live.insert(cm_ref("b"), applied_live(&unchanged));
        let previous = Previous {
            objects: BTreeSet::from([cm_ref("a"), cm_ref("b")]),
            applied: HashMap::from([
                (cm_ref("a"), decorated(&old)),
                (cm_ref("b"), decorated(&unchanged)),
            ]),
            ..Previous::default()
        };
        let plan = run(
            vec![new, unchanged, cm("c", json!({}))],
            &snapshot,
            &previous,
            &Options::default(),
        )
        .unwrap();
        let actions: Vec<Action> = plan.steps.iter().map(Step::report_action).collect();
        assert_eq!(
            actions,
            [Action::Configured, Action::Unchanged, Action::Created]
        );
        let StepAction::Update(merged) = &plan.steps[0].action else {
            panic!("a is updated")
        };
        assert_eq!(
            merged["data"],
            json!({"keep": "1", "added": "y", "theirs": "z"})
        );
        assert_eq!(
            merged["metadata"]["resourceVersion"], "7",
            "the update is guarded"
        );
        let StepAction::Create(body) = &plan.steps[2].action else {
            panic!("c is created")
        };
        assert_eq!(body["metadata"]["namespace"], "shop");
        assert_eq!(body["metadata"]["labels"][MANAGED_BY_LABEL], MANAGED_BY);
        assert_eq!(
            body["metadata"]["annotations"][OWNER_ANNOTATION],
            "shop/web"
        );
        assert!(plan.prunes.is_empty());
    }

    #[test]
    fn the_previous_revision_is_last_applied_before_the_annotation() {
        // The annotation says `x` was applied; the revision says `y` was: `y` is ours to remove.
        let mut live = applied_live(&cm("a", json!({"x": "1"})));
        live["metadata"]["annotations"][LAST_APPLIED_ANNOTATION] =
            json!(decorated(&cm("a", json!({"x": "1"}))).to_string());
        live["data"]["y"] = json!("2");
        let mut snapshot = cluster();
        snapshot.live.insert(cm_ref("a"), live);
        let previous = Previous {
            objects: BTreeSet::from([cm_ref("a")]),
            applied: HashMap::from([(cm_ref("a"), decorated(&cm("a", json!({"y": "2"}))))]),
            ..Previous::default()
        };
        let plan = run(
            vec![cm("a", json!({}))],
            &snapshot,
            &previous,
            &Options::default(),
        )
        .unwrap();
        let StepAction::Update(merged) = &plan.steps[0].action else {
            panic!("updated")
        };
        assert_eq!(merged["data"], json!({"x": "1"}));
        assert!(
            merged["metadata"]["annotations"]
                .get(LAST_APPLIED_ANNOTATION)
                .is_none(),
            "the 0.1 annotation is dropped"
        );
        // Without a revision manifest, the annotation is last applied: `x` is removed.
        let plan = run(
            vec![cm("a", json!({}))],
            &snapshot,
            &Previous::default(),
            &Options {
                take_ownership: false,
                ..Options::default()
            },
        )
        .unwrap();
        let StepAction::Update(merged) = &plan.steps[0].action else {
            panic!("updated")
        };
        assert_eq!(merged["data"], json!({"y": "2"}));
    }

    #[test]
    fn scopes_decide_namespaces() {
        let snapshot = cluster();
        let plan = run(
            vec![
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r", "namespace": "x"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}}),
            ],
            &snapshot,
            &Previous::default(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(plan.steps[0].object.namespace, None);
        assert!(plan.steps[0].desired["metadata"].get("namespace").is_none());
        assert_eq!(plan.steps[1].object.namespace.as_deref(), Some("shop"));
    }

    #[test]
    fn checks_before_any_write() {
        let other_ns = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "elsewhere"}});
        let cases: Vec<(Vec<Value>, &str)> = vec![
            (
                vec![
                    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
                ],
                "does not serve example.com/v1 Widget",
            ),
            (
                vec![cm("a", json!({})), cm("a", json!({}))],
                "rendered twice",
            ),
            (vec![cm("Bad_Name", json!({}))], "invalid name `Bad_Name`"),
            (
                vec![cm(&"a".repeat(254), json!({}))],
                "names must be at most 253 characters",
            ),
            (vec![other_ns], "namespace `elsewhere` does not exist"),
        ];
        for (objects, expected) in cases {
            let err = run(
                objects,
                &cluster(),
                &Previous::default(),
                &Options::default(),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains(expected), "{err} should say {expected}");
            assert!(err.contains("nothing was written"), "{err}");
        }
    }

    #[test]
    fn missing_namespaces_are_created_on_request_or_by_the_chart() {
        let objects = vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "made"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "made"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "other"}}),
        ];
        let options = Options {
            create_namespace: true,
            ..Options::default()
        };
        let plan = run(objects, &cluster(), &Previous::default(), &options).unwrap();
        assert_eq!(plan.create_namespaces, ["other"]);
    }

    #[test]
    fn objects_of_others_need_take_ownership() {
        let mut theirs = cm("a", json!({}));
        theirs["metadata"]["annotations"] = json!({OWNER_ANNOTATION: "shop/other"});
        theirs["metadata"]["namespace"] = json!("shop");
        let mut nobodys = cm("b", json!({}));
        nobodys["metadata"]["namespace"] = json!("shop");
        let mut helms = cm("c", json!({}));
        helms["metadata"]["namespace"] = json!("shop");
        helms["metadata"]["labels"] = json!({"app.kubernetes.io/managed-by": "Helm"});
        helms["metadata"]["annotations"] = json!({
            "meta.helm.sh/release-name": "web",
            "meta.helm.sh/release-namespace": "shop",
        });
        let mut snapshot = cluster();
        snapshot.live.insert(cm_ref("a"), theirs);
        snapshot.live.insert(cm_ref("b"), nobodys);
        snapshot.live.insert(cm_ref("c"), helms);
        let objects = vec![cm("a", json!({})), cm("b", json!({})), cm("c", json!({}))];
        let err = run(
            objects.clone(),
            &snapshot,
            &Previous::default(),
            &Options::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("v1 ConfigMap shop/a (owned by release shop/other)"),
            "{err}"
        );
        assert!(
            err.contains("v1 ConfigMap shop/b (owned by no release)"),
            "{err}"
        );
        assert!(
            err.contains(
                "v1 ConfigMap shop/c (owned by Helm release shop/web; --from-helm-release"
            ),
            "{err}"
        );
        let options = Options {
            take_ownership: true,
            ..Options::default()
        };
        let plan = run(objects, &snapshot, &Previous::default(), &options).unwrap();
        assert_eq!(plan.adopted, [cm_ref("a"), cm_ref("b"), cm_ref("c")]);
    }

    #[test]
    fn prunes_only_what_is_still_ours_in_reverse_install_order() {
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}});
        let deployment_ref = ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "d".into(),
        };
        let gone_kind = ObjectRef {
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
            namespace: Some("shop".into()),
            name: "w".into(),
        };
        let mut taken = applied_live(&cm("taken", json!({})));
        taken["metadata"]["annotations"][OWNER_ANNOTATION] = json!("shop/other");
        let mut snapshot = cluster();
        snapshot
            .live
            .insert(cm_ref("old"), applied_live(&cm("old", json!({}))));
        snapshot
            .live
            .insert(deployment_ref.clone(), applied_live(&deployment));
        snapshot.live.insert(cm_ref("taken"), taken);
        snapshot
            .resources
            .insert(("example.com/v1".into(), "Widget".into()), None);
        let previous = Previous {
            objects: BTreeSet::from([
                cm_ref("old"),
                cm_ref("taken"),
                cm_ref("deleted-by-hand"),
                cm_ref("kept"),
                deployment_ref.clone(),
                gone_kind,
            ]),
            ..Previous::default()
        };
        let plan = run(
            vec![cm("kept", json!({}))],
            &snapshot,
            &previous,
            &Options::default(),
        )
        .unwrap();
        let pruned: Vec<&ObjectRef> = plan.prunes.iter().map(|p| &p.object).collect();
        assert_eq!(pruned, [&deployment_ref, &cm_ref("old")]);
    }

    #[test]
    fn a_custom_resource_merges_by_the_keys_of_its_crd_in_the_same_apply() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets"},
                "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"ports": {"type": "array",
                        "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object"}}}}}}}}]}
        });
        let widget = |ports: Value| json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"ports": ports}});
        let mut snapshot = cluster();
        snapshot.resources.insert(
            (
                "apiextensions.k8s.io/v1".into(),
                "CustomResourceDefinition".into(),
            ),
            Some(resource(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                "customresourcedefinitions",
                false,
            )),
        );
        // A first apply: the kind is not served yet, its scope comes from the CRD.
        let plan = run(
            vec![crd.clone(), widget(json!([{"name": "a"}]))],
            &snapshot,
            &Previous::default(),
            &Options::default(),
        )
        .unwrap();
        assert!(plan.steps[1].resource.is_none());
        assert_eq!(plan.steps[1].object.namespace.as_deref(), Some("shop"));

        // Later: someone added a port; the chart changes its own; theirs survives.
        let widget_ref = ObjectRef {
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
            namespace: Some("shop".into()),
            name: "w".into(),
        };
        let mut live = applied_live(&widget(json!([{"name": "a", "port": 1}])));
        live["spec"]["ports"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "theirs", "port": 9}));
        snapshot.live.insert(widget_ref, live);
        snapshot.resources.insert(
            ("example.com/v1".into(), "Widget".into()),
            Some(resource("example.com/v1", "Widget", "widgets", true)),
        );
        let plan = run(
            vec![crd, widget(json!([{"name": "a", "port": 2}]))],
            &snapshot,
            &Previous::default(),
            &Options::default(),
        )
        .unwrap();
        let StepAction::Update(merged) = &plan.steps[1].action else {
            panic!("updated")
        };
        assert_eq!(
            merged["spec"]["ports"],
            json!([{"name": "a", "port": 2}, {"name": "theirs", "port": 9}])
        );
    }

    #[test]
    fn taking_over_from_helm_owns_and_prunes_what_helm_applied() {
        let helm_marked = |name: &str, release: &str, extra: Value| {
            let mut value = cm(name, json!({"k": "live"}));
            value["metadata"]["namespace"] = json!("shop");
            let mut annotations = json!({
                HELM_RELEASE_NAME_ANNOTATION: release,
                HELM_RELEASE_NAMESPACE_ANNOTATION: "shop",
            });
            if let (Some(map), Some(extra)) = (annotations.as_object_mut(), extra.as_object()) {
                map.extend(extra.clone());
            }
            value["metadata"]["annotations"] = annotations;
            value
        };
        let mut snapshot = cluster();
        // In Helm's manifest (taken over whatever the marks say), and only marked by Helm.
        snapshot
            .live
            .insert(cm_ref("a"), helm_marked("a", "other", json!({})));
        snapshot
            .live
            .insert(cm_ref("b"), helm_marked("b", "legacy", json!({})));
        // Dropped by the chart: deleted, unless kept by policy or claimed by a release of ours.
        snapshot
            .live
            .insert(cm_ref("gone"), helm_marked("gone", "legacy", json!({})));
        snapshot.live.insert(
            cm_ref("kept"),
            helm_marked(
                "kept",
                "legacy",
                json!({HELM_RESOURCE_POLICY_ANNOTATION: "keep"}),
            ),
        );
        snapshot.live.insert(
            cm_ref("claimed"),
            helm_marked("claimed", "legacy", json!({OWNER_ANNOTATION: "shop/other"})),
        );
        let mut previous = Previous::from_applied(
            Some(4),
            ["a", "gone", "kept", "claimed"].map(|name| {
                let mut value = cm(name, json!({"k": "helm", "dropped": "x"}));
                value["metadata"]["namespace"] = json!("shop");
                (cm_ref(name), value)
            }),
        );
        previous.helm_release = Some("legacy".into());
        let plan = run(
            vec![cm("a", json!({"k": "new"})), cm("b", json!({"k": "new"}))],
            &snapshot,
            &previous,
            &Options::default(),
        )
        .unwrap();
        assert!(plan.adopted.is_empty());
        assert!(plan.from_helm);
        let StepAction::Update(merged) = &plan.steps[0].action else {
            panic!("a is updated")
        };
        // Ours from now on, three-way against what Helm applied: `dropped` was Helm's, it goes.
        assert_eq!(owner_of(merged), Some("shop/web"));
        assert_eq!(merged["data"], json!({"k": "new"}));
        let pruned: Vec<&ObjectRef> = plan.prunes.iter().map(|p| &p.object).collect();
        assert_eq!(pruned, [&cm_ref("gone")]);

        // Helm's marks naming another release, and not in its manifest: not taken.
        snapshot
            .live
            .insert(cm_ref("c"), helm_marked("c", "other", json!({})));
        let err = run(
            vec![cm("c", json!({}))],
            &snapshot,
            &previous,
            &Options::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "v1 ConfigMap shop/c (owned by Helm release shop/other; --from-helm-release"
            ),
            "{err}"
        );
    }

    #[test]
    fn helm_bookkeeping_previews_helm_upgrade() {
        let options = Options {
            bookkeeping: Bookkeeping::Helm,
            ..Options::default()
        };
        let helm_owned = |name: &str, release: &str| {
            let mut value = cm(name, json!({"k": "live"}));
            value["metadata"]["namespace"] = json!("shop");
            value["metadata"]["annotations"] = json!({
                HELM_RELEASE_NAME_ANNOTATION: release,
                HELM_RELEASE_NAMESPACE_ANNOTATION: "shop",
            });
            value
        };
        let mut snapshot = cluster();
        // In Helm's previous manifest, whatever its annotations say.
        snapshot.live.insert(cm_ref("a"), helm_owned("a", "other"));
        // New to the release, but Helm's annotations name it: Helm takes it.
        snapshot.live.insert(cm_ref("b"), helm_owned("b", "web"));
        let mut gone = helm_owned("gone", "web");
        gone["metadata"]["annotations"][HELM_RESOURCE_POLICY_ANNOTATION] = json!("keep");
        snapshot.live.insert(cm_ref("gone"), gone);
        snapshot
            .live
            .insert(cm_ref("old"), cm("old", json!({"k": "v"})));
        let last_a = {
            let mut value = cm("a", json!({"k": "last"}));
            value["metadata"]["namespace"] = json!("shop");
            value
        };
        let previous = Previous::from_applied(
            Some(3),
            [
                (cm_ref("a"), last_a),
                (cm_ref("gone"), cm("gone", json!({}))),
                (cm_ref("old"), cm("old", json!({}))),
            ],
        );
        let plan = run(
            vec![cm("a", json!({"k": "new"})), cm("b", json!({"k": "new"}))],
            &snapshot,
            &previous,
            &options,
        )
        .unwrap();
        assert!(plan.adopted.is_empty());
        let StepAction::Update(merged) = &plan.steps[0].action else {
            panic!("a is updated")
        };
        // No marks of ours: not the label, the owner annotation or the last-applied one.
        assert_eq!(merged["metadata"].get("labels"), None);
        assert_eq!(
            merged["metadata"]["annotations"],
            json!({HELM_RELEASE_NAME_ANNOTATION: "other", HELM_RELEASE_NAMESPACE_ANNOTATION: "shop"})
        );
        assert_eq!(merged["data"], json!({"k": "new"}));
        // `gone` is kept by its policy; `old` is deleted whatever its marks.
        let pruned: Vec<&ObjectRef> = plan.prunes.iter().map(|p| &p.object).collect();
        assert_eq!(pruned, [&cm_ref("old")]);

        // An object that exists and that Helm's annotations do not give to the release.
        let mut snapshot = cluster();
        snapshot.live.insert(cm_ref("c"), helm_owned("c", "other"));
        let err = run(
            vec![cm("c", json!({}))],
            &snapshot,
            &Previous::default(),
            &options,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("v1 ConfigMap shop/c (owned by release shop/other)"),
            "{err}"
        );
    }

    #[test]
    fn server_side_apply_leaves_the_merge_to_the_server() {
        let options = Options {
            server_side: true,
            ..Options::default()
        };
        let plan = run(
            vec![cm("a", json!({}))],
            &cluster(),
            &Previous::default(),
            &options,
        )
        .unwrap();
        assert_eq!(plan.steps[0].action, StepAction::ServerSideApply);
        assert_eq!(plan.report(DryRun::Client).count(Action::Created), 1);
    }
}
