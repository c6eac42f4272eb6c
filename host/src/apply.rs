//! Apply: plan and execute the writes of a release. Every object is read live (concurrently,
//! bounded), merged three-way with what the previous apply wrote ([`crate::merge`]) and
//! written only when the merge changes it; creates and updates go in Helm's install order,
//! CRDs first and waited for until Established; objects the previous apply wrote that the
//! chart no longer renders are pruned last, in reverse order. Objects are marked as owned by
//! the release, and objects owned by someone else are not taken over silently.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cluster::{self, Cluster, Resource, WriteOptions};
use crate::manifest::{self, Object, ObjectRef};
use crate::merge::{self, JsonSchemaShape, SchemaShape, Shape};
use crate::release::{self, Inventory, MANAGED_BY, MANAGED_BY_LABEL, OWNER_ANNOTATION, ReleaseId};

/// Annotation holding the object as the last apply wrote it (client-side apply).
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl-chart.io/last-applied";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Cluster(#[from] cluster::Error),
    #[error(transparent)]
    Release(#[from] release::Error),
    #[error(
        "the cluster does not serve {}; install the CRDs first or add them to the chart (nothing was written)",
        kinds.join(", ")
    )]
    UnknownKinds { kinds: Vec<String> },
    #[error(
        "{} already exist{} and {} not owned by release {release}: {}; pass --take-ownership to adopt them (nothing was written)",
        if objects.len() == 1 { "an object" } else { "objects" },
        if objects.len() == 1 { "s" } else { "" },
        if objects.len() == 1 { "is" } else { "are" },
        objects.join("; ")
    )]
    Ownership {
        release: String,
        objects: Vec<String>,
    },
    #[error(
        "namespace{} {} not exist; create {} or pass --create-namespace (nothing was written)",
        if namespaces.len() == 1 { "" } else { "s" },
        if namespaces.len() == 1 { format!("`{}` does", namespaces[0]) } else { format!("{} do", namespaces.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")) },
        if namespaces.len() == 1 { "it" } else { "them" }
    )]
    MissingNamespaces { namespaces: Vec<String> },
    #[error("{object}: invalid name `{name}`: {reason} (nothing was written)")]
    InvalidName {
        object: String,
        name: String,
        reason: &'static str,
    },
    #[error("{object}: {message} (nothing was written)")]
    Invalid { object: String, message: String },
    #[error(
        "update {object}: still conflicting after {attempts} attempts; someone else keeps changing it"
    )]
    Conflicts { object: String, attempts: u32 },
    #[error("CustomResourceDefinition {name} was not Established within {seconds} s")]
    CrdNotEstablished { name: String, seconds: u64 },
    #[error(
        "apply of release {release} stopped after {written} write{}; the release record keeps every object written so far, and re-running apply converges",
        if *written == 1 { "" } else { "s" }
    )]
    Interrupted {
        release: String,
        written: usize,
        #[source]
        source: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `--dry-run`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DryRun {
    #[default]
    None,
    /// Compute what would change; send nothing that writes.
    Client,
    /// Send every write with `dryRun=All`: the server validates, persists nothing.
    Server,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub dry_run: DryRun,
    /// Server-side apply with field manager `kubectl-chart` instead of a client-side merge.
    pub server_side: bool,
    pub force_conflicts: bool,
    pub take_ownership: bool,
    pub create_namespace: bool,
    /// Reads and writes in flight at once.
    pub concurrency: usize,
    /// Attempts at an update that keeps meeting 409 Conflict.
    pub attempts: u32,
    /// How long to wait for a CRD to become Established.
    pub crd_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: DryRun::None,
            server_side: false,
            force_conflicts: false,
            take_ownership: false,
            create_namespace: false,
            concurrency: 16,
            attempts: 5,
            crd_timeout: Duration::from_secs(60),
        }
    }
}

/// What apply did (or would do) to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Pruned,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Pruned => "pruned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub object: ObjectRef,
    pub action: Action,
}

/// What an apply did, in the order it did it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub release: String,
    pub dry_run: DryRun,
    pub changes: Vec<Change>,
}

impl Report {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// Whether anything was (or would be) written.
    pub fn wrote(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged)
    }
}

/// One object on its way to the cluster.
struct Planned {
    object: Object,
    reference: ObjectRef,
    resource: Option<Resource>,
    live: Option<Value>,
}

/// Applies `objects` (already in install order) as release `release`.
pub async fn apply(
    cluster: &Cluster,
    release: &ReleaseId,
    record: &release::Record,
    objects: Vec<Object>,
    options: &Options,
) -> Result<Report> {
    let mut report = Report {
        release: release.owner(),
        dry_run: options.dry_run,
        changes: Vec::new(),
    };

    // Everything that can be known before writing is checked before writing.
    let started = std::time::Instant::now();
    let mut planned = plan(cluster, release, objects).await?;
    crate::verbose!(
        "resolved the kinds of {} objects in {}",
        planned.len(),
        crate::log::ms(started)
    );
    let reading = std::time::Instant::now();
    read_live(cluster, &mut planned, options.concurrency).await?;
    crate::verbose!(
        "read {} live objects ({} exist) in {}",
        planned.len(),
        planned.iter().filter(|p| p.live.is_some()).count(),
        crate::log::ms(reading)
    );
    check_ownership(release, &planned, options)?;
    let namespaces = missing_namespaces(cluster, &planned).await?;
    if !namespaces.is_empty() && !options.create_namespace {
        return Err(Error::MissingNamespaces { namespaces });
    }

    let mut written: BTreeSet<ObjectRef> = BTreeSet::new();
    let writing = std::time::Instant::now();
    let result = execute(
        cluster,
        release,
        &mut planned,
        &namespaces,
        &record.inventory,
        options,
        &mut report,
        &mut written,
    )
    .await;

    crate::verbose!(
        "wrote {} objects in {}",
        written.len(),
        crate::log::ms(writing)
    );
    if options.dry_run != DryRun::None {
        return result.map(|()| report);
    }
    match result {
        Ok(()) => {
            let objects: BTreeSet<ObjectRef> =
                planned.iter().map(|p| p.reference.clone()).collect();
            // A no-op apply writes nothing, not even the record.
            if report.wrote() || objects != record.inventory.objects {
                let inventory = Inventory {
                    revision: record.inventory.revision + 1,
                    objects,
                };
                release::save(cluster, release, record, &inventory).await?;
            }
            Ok(report)
        }
        Err(err) => {
            // Keep every object the release may now own, so that nothing is orphaned: the
            // next apply prunes or keeps each one by the same rules.
            let mut objects = record.inventory.objects.clone();
            objects.extend(written.iter().cloned());
            let inventory = Inventory {
                revision: record.inventory.revision + 1,
                objects,
            };
            let _ = release::save(cluster, release, record, &inventory).await;
            Err(Error::Interrupted {
                release: release.owner(),
                written: written.len(),
                source: Box::new(err),
            })
        }
    }
}

/// Resolves every object's resource, fills in namespaces, checks names, and decorates each
/// object with the release's ownership marks. Unknown kinds fail here, unless a CRD in the
/// same apply defines them.
async fn plan(
    cluster: &Cluster,
    release: &ReleaseId,
    objects: Vec<Object>,
) -> Result<Vec<Planned>> {
    let defined: HashSet<(String, String)> = objects
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .filter_map(|crd| {
            let group = crd.value.pointer("/spec/group")?.as_str()?;
            let kind = crd.value.pointer("/spec/names/kind")?.as_str()?;
            Some((group.to_owned(), kind.to_owned()))
        })
        .collect();
    let kinds: BTreeSet<(String, String)> = objects
        .iter()
        .map(|o| (o.api_version().to_owned(), o.kind().to_owned()))
        .collect();
    let resolved: Vec<((String, String), Option<Resource>)> = stream::iter(kinds)
        .map(|(api_version, kind)| async move {
            let resource = cluster.resource(&api_version, &kind).await?;
            Ok::<_, Error>(((api_version, kind), resource))
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let resolved: BTreeMap<(String, String), Option<Resource>> = resolved.into_iter().collect();

    let mut unknown = BTreeSet::new();
    let mut planned = Vec::with_capacity(objects.len());
    let mut seen = HashSet::new();
    for mut object in objects {
        let key = (object.api_version().to_owned(), object.kind().to_owned());
        let resource = resolved.get(&key).cloned().flatten();
        let group = key.0.rsplit_once('/').map_or("", |(g, _)| g).to_owned();
        let namespaced = match &resource {
            Some(resource) => resource.namespaced,
            None if defined.contains(&(group, key.1.clone())) => {
                crd_scope_namespaced(&planned, &object)
            }
            None => {
                unknown.insert(format!("{} {}", key.0, key.1));
                continue;
            }
        };
        set_namespace(
            &mut object,
            namespaced.then_some(release.namespace.as_str()),
        );
        decorate(&mut object.value, release);
        let reference = object.object_ref();
        check_name(&reference)?;
        if !seen.insert(reference.clone()) {
            return Err(Error::Invalid {
                object: reference.to_string(),
                message: format!("rendered twice (from {})", object.source),
            });
        }
        planned.push(Planned {
            object,
            reference,
            resource,
            live: None,
        });
    }
    if !unknown.is_empty() {
        return Err(Error::UnknownKinds {
            kinds: unknown.into_iter().collect(),
        });
    }
    Ok(planned)
}

/// Whether a custom resource whose CRD is in the same apply is namespaced, from that CRD.
fn crd_scope_namespaced(planned: &[Planned], object: &Object) -> bool {
    let group = object.api_version().rsplit_once('/').map_or("", |(g, _)| g);
    planned
        .iter()
        .filter(|p| p.object.kind() == "CustomResourceDefinition")
        .find(|p| {
            p.object
                .value
                .pointer("/spec/group")
                .and_then(Value::as_str)
                == Some(group)
                && p.object
                    .value
                    .pointer("/spec/names/kind")
                    .and_then(Value::as_str)
                    == Some(object.kind())
        })
        .and_then(|p| {
            p.object
                .value
                .pointer("/spec/scope")
                .and_then(Value::as_str)
        })
        != Some("Cluster")
}

/// Namespaced objects get the release namespace unless they name one; cluster-scoped
/// objects lose any namespace, as the API server would drop it.
fn set_namespace(object: &mut Object, namespace: Option<&str>) {
    let Some(metadata) = object
        .value
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    match namespace {
        Some(default) => {
            let has = metadata
                .get("namespace")
                .and_then(Value::as_str)
                .is_some_and(|ns| !ns.is_empty());
            if !has {
                metadata.insert("namespace".into(), Value::from(default));
            }
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

/// Kubernetes object names: DNS subdomains for most kinds; RBAC names are path segments.
fn check_name(object: &ObjectRef) -> Result<()> {
    let name = &object.name;
    let invalid = |reason| Error::InvalidName {
        object: object.to_string(),
        name: name.clone(),
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

/// Reads every object that can be read (its kind is served) concurrently.
async fn read_live(cluster: &Cluster, planned: &mut [Planned], concurrency: usize) -> Result<()> {
    let reads: Vec<(usize, Option<Value>)> = stream::iter(planned.iter().enumerate())
        .filter_map(|(index, p)| async move {
            p.resource.clone().map(|r| (index, r, p.reference.clone()))
        })
        .map(|(index, resource, reference)| async move {
            let live = cluster.get(&resource, &reference).await?;
            Ok::<_, Error>((index, live))
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    for (index, live) in reads {
        planned[index].live = live;
    }
    Ok(())
}

fn owner_of(live: &Value) -> Option<&str> {
    live.pointer("/metadata/annotations")
        .and_then(|a| a.get(OWNER_ANNOTATION))
        .and_then(Value::as_str)
}

fn check_ownership(release: &ReleaseId, planned: &[Planned], options: &Options) -> Result<()> {
    if options.take_ownership {
        return Ok(());
    }
    let owner = release.owner();
    let foreign: Vec<String> = planned
        .iter()
        .filter_map(|p| {
            let live = p.live.as_ref()?;
            match owner_of(live) {
                Some(other) if other == owner => None,
                Some(other) => Some(format!("{} (owned by release {other})", p.reference)),
                None => Some(format!("{} (owned by no release)", p.reference)),
            }
        })
        .collect();
    if foreign.is_empty() {
        Ok(())
    } else {
        Err(Error::Ownership {
            release: owner,
            objects: foreign,
        })
    }
}

/// Namespaces the objects go to that neither exist nor are created by this apply.
async fn missing_namespaces(cluster: &Cluster, planned: &[Planned]) -> Result<Vec<String>> {
    let created: HashSet<&str> = planned
        .iter()
        .filter(|p| p.object.kind() == "Namespace" && p.object.api_version() == "v1")
        .map(|p| p.reference.name.as_str())
        .collect();
    let wanted: BTreeSet<&str> = planned
        .iter()
        .filter_map(|p| p.reference.namespace.as_deref())
        .filter(|ns| !created.contains(ns))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let Some(namespaces) = cluster.resource("v1", "Namespace").await? else {
        return Ok(Vec::new());
    };
    let mut missing = Vec::new();
    for ns in wanted {
        let reference = namespace_ref(ns);
        if cluster.get(&namespaces, &reference).await?.is_none() {
            missing.push(ns.to_owned());
        }
    }
    Ok(missing)
}

fn namespace_ref(name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        namespace: None,
        name: name.to_owned(),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the state of one apply, threaded through once"
)]
async fn execute(
    cluster: &Cluster,
    release: &ReleaseId,
    planned: &mut [Planned],
    missing_namespaces: &[String],
    previous: &Inventory,
    options: &Options,
    report: &mut Report,
    written: &mut BTreeSet<ObjectRef>,
) -> Result<()> {
    let write_options = WriteOptions {
        dry_run: options.dry_run == DryRun::Server,
        force: options.force_conflicts,
        ..WriteOptions::default()
    };
    let sends = options.dry_run != DryRun::Client;

    // `--create-namespace`: plain namespaces, not owned by the release (as Helm does).
    if !missing_namespaces.is_empty() {
        let resource =
            cluster
                .resource("v1", "Namespace")
                .await?
                .ok_or_else(|| Error::UnknownKinds {
                    kinds: vec!["v1 Namespace".into()],
                })?;
        for ns in missing_namespaces {
            let reference = namespace_ref(ns);
            if sends {
                let body = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
                cluster
                    .create(&resource, &reference, &body, &write_options)
                    .await?;
            }
            report.changes.push(Change {
                object: reference,
                action: Action::Created,
            });
        }
    }

    // Writes go rank by rank of the install order; within a rank, concurrently.
    let mut start = 0;
    while start < planned.len() {
        let rank = manifest::install_rank(planned[start].object.kind());
        let end = planned[start..]
            .iter()
            .position(|p| manifest::install_rank(p.object.kind()) != rank)
            .map_or(planned.len(), |n| start + n);
        let group = &mut planned[start..end];
        // Kinds served only once a CRD of this apply is Established.
        for p in group.iter_mut().filter(|p| p.resource.is_none()) {
            cluster.forget(&p.reference.api_version);
            p.resource = cluster
                .resource(&p.reference.api_version, &p.reference.kind)
                .await?;
            if p.resource.is_none() && sends {
                return Err(Error::UnknownKinds {
                    kinds: vec![format!("{} {}", p.reference.api_version, p.reference.kind)],
                });
            }
        }
        // One merge shape per kind, not per object: a CR's shape costs a read of its CRD.
        let mut shapes: BTreeMap<(String, String), Option<OwnedShape>> = BTreeMap::new();
        for p in group.iter() {
            let key = (p.reference.api_version.clone(), p.reference.kind.clone());
            if let (false, Some(resource)) = (shapes.contains_key(&key), &p.resource) {
                let shape = shape_for(cluster, resource, &p.object).await?;
                shapes.insert(key, shape);
            }
        }
        let shapes = &shapes;
        let results: Vec<(usize, Result<Action>)> = stream::iter(group.iter().enumerate())
            .map(|(index, p)| {
                let write_options = &write_options;
                let key = (p.reference.api_version.clone(), p.reference.kind.clone());
                let shape = shapes.get(&key).and_then(Option::as_ref);
                async move {
                    (
                        index,
                        write_one(cluster, p, shape, options, write_options).await,
                    )
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        let mut results = results;
        results.sort_by_key(|(index, _)| *index);
        let mut first_error = None;
        for (index, result) in results {
            match result {
                Ok(action) => {
                    if action != Action::Unchanged {
                        written.insert(group[index].reference.clone());
                    }
                    report.changes.push(Change {
                        object: group[index].reference.clone(),
                        action,
                    });
                }
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        if sends
            && group
                .iter()
                .any(|p| p.object.kind() == "CustomResourceDefinition")
        {
            for p in group
                .iter()
                .filter(|p| p.object.kind() == "CustomResourceDefinition")
            {
                wait_established(cluster, p, options).await?;
            }
        }
        start = end;
    }

    prune(
        cluster,
        release,
        planned,
        previous,
        &write_options,
        sends,
        report,
    )
    .await
}

/// Writes one object: create, update with a fresh merge on every conflict, or nothing.
async fn write_one(
    cluster: &Cluster,
    planned: &Planned,
    owned: Option<&OwnedShape>,
    options: &Options,
    write_options: &WriteOptions,
) -> Result<Action> {
    let sends = options.dry_run != DryRun::Client;
    let reference = &planned.reference;
    let Some(resource) = &planned.resource else {
        // A custom resource whose CRD this dry run did not create.
        return Ok(Action::Created);
    };
    let mut live = planned.live.clone();
    let crd_shape;
    let shape: Option<&dyn Shape> = match owned {
        Some(OwnedShape::BuiltIn(shape)) => Some(shape),
        Some(OwnedShape::Crd(schema)) => {
            crd_shape = JsonSchemaShape(schema);
            Some(&crd_shape)
        }
        None => None,
    };
    for attempt in 1..=options.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            live = cluster.get(resource, reference).await?;
        }
        let result = if options.server_side {
            server_side(
                cluster,
                resource,
                planned,
                live.as_ref(),
                write_options,
                sends,
            )
            .await
        } else {
            client_side(
                cluster,
                resource,
                planned,
                live.as_ref(),
                shape,
                write_options,
                sends,
            )
            .await
        };
        match result {
            // A conflicting update, or a create that lost a race: read again and re-merge.
            // (With server-side apply a 409 is a field-ownership conflict: no retry.)
            Err(Error::Cluster(err)) if !options.server_side && err.code() == Some(409) => {
                continue;
            }
            other => return other,
        }
    }
    Err(Error::Conflicts {
        object: reference.to_string(),
        attempts: options.attempts.max(1),
    })
}

async fn client_side(
    cluster: &Cluster,
    resource: &Resource,
    planned: &Planned,
    live: Option<&Value>,
    shape: Option<&dyn Shape>,
    write_options: &WriteOptions,
    sends: bool,
) -> Result<Action> {
    let mut desired = planned.object.value.clone();
    let applied = serde_json::to_string(&desired).unwrap_or_default();
    if let Some(metadata) = desired.get_mut("metadata").and_then(Value::as_object_mut) {
        map_entry(metadata, "annotations")
            .insert(LAST_APPLIED_ANNOTATION.into(), Value::from(applied));
    }
    let Some(live) = live else {
        if sends {
            let body = merge::merge(None, None, &desired, None);
            cluster
                .create(resource, &planned.reference, &body, write_options)
                .await?;
        }
        return Ok(Action::Created);
    };
    let last: Option<Value> = live
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok());
    let merged = merge::merge(last.as_ref(), Some(live), &desired, shape);
    if &merged == live {
        return Ok(Action::Unchanged);
    }
    if sends {
        cluster
            .replace(resource, &planned.reference, &merged, write_options)
            .await?;
    }
    Ok(Action::Configured)
}

async fn server_side(
    cluster: &Cluster,
    resource: &Resource,
    planned: &Planned,
    live: Option<&Value>,
    write_options: &WriteOptions,
    sends: bool,
) -> Result<Action> {
    let before = live.and_then(|l| l.pointer("/metadata/resourceVersion").cloned());
    if !sends {
        return Ok(if live.is_some() {
            Action::Configured
        } else {
            Action::Created
        });
    }
    let result = cluster
        .server_side_apply(
            resource,
            &planned.reference,
            &planned.object.value,
            write_options,
        )
        .await?;
    let after = result.pointer("/metadata/resourceVersion").cloned();
    Ok(match live {
        None => Action::Created,
        Some(_) if before == after => Action::Unchanged,
        Some(_) => Action::Configured,
    })
}

/// The merge shape of an object: the vendored schema for built-in kinds, the CRD's
/// `openAPIV3Schema` for custom resources.
enum OwnedShape {
    BuiltIn(SchemaShape<'static>),
    Crd(Value),
}

async fn shape_for(
    cluster: &Cluster,
    resource: &Resource,
    object: &Object,
) -> Result<Option<OwnedShape>> {
    if let Some(shape) = SchemaShape::for_kind(object.api_version(), object.kind()) {
        return Ok(Some(OwnedShape::BuiltIn(shape)));
    }
    let Some(crds) = cluster
        .resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        .await?
    else {
        return Ok(None);
    };
    let group = &resource.api.group;
    let name = format!("{}.{}", resource.api.plural, group);
    let reference = ObjectRef {
        api_version: "apiextensions.k8s.io/v1".into(),
        kind: "CustomResourceDefinition".into(),
        namespace: None,
        name,
    };
    let Some(crd) = cluster.get(&crds, &reference).await? else {
        return Ok(None);
    };
    let schema = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|versions| {
            versions.iter().find(|v| {
                v.get("name").and_then(Value::as_str) == Some(resource.api.version.as_str())
            })
        })
        .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
        .cloned();
    Ok(schema.map(OwnedShape::Crd))
}

async fn wait_established(cluster: &Cluster, planned: &Planned, options: &Options) -> Result<()> {
    let Some(resource) = &planned.resource else {
        return Ok(());
    };
    let deadline = tokio::time::Instant::now() + options.crd_timeout;
    loop {
        if let Some(crd) = cluster.get(resource, &planned.reference).await? {
            let established = crd
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|conditions| {
                    conditions.iter().any(|c| {
                        c.get("type").and_then(Value::as_str) == Some("Established")
                            && c.get("status").and_then(Value::as_str) == Some("True")
                    })
                });
            if established {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::CrdNotEstablished {
                name: planned.reference.name.clone(),
                seconds: options.crd_timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Deletes what the previous apply wrote and this one does not render, in reverse install
/// order, when it still belongs to the release.
async fn prune(
    cluster: &Cluster,
    release: &ReleaseId,
    planned: &[Planned],
    previous: &Inventory,
    write_options: &WriteOptions,
    sends: bool,
    report: &mut Report,
) -> Result<()> {
    let current: HashSet<&ObjectRef> = planned.iter().map(|p| &p.reference).collect();
    let mut stale: Vec<&ObjectRef> = previous
        .objects
        .iter()
        .filter(|r| !current.contains(r))
        .collect();
    stale.sort_by_key(|r| std::cmp::Reverse(manifest::install_rank(&r.kind)));
    let owner = release.owner();
    for reference in stale {
        let Some(resource) = cluster
            .resource(&reference.api_version, &reference.kind)
            .await?
        else {
            continue; // its kind is gone, and the object with it
        };
        let Some(live) = cluster.get(&resource, reference).await? else {
            continue;
        };
        if owner_of(&live) != Some(owner.as_str()) {
            continue; // taken over by someone else since
        }
        if sends {
            cluster.delete(&resource, reference, write_options).await?;
        }
        report.changes.push(Change {
            object: reference.clone(),
            action: Action::Pruned,
        });
    }
    Ok(())
}
