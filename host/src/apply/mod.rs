//! Apply: the writes of a release, as three steps kept apart the way kube-core is kept apart
//! from its client, so that `diff` and `--dry-run` print the very plan apply executes:
//!
//! - [`read`] gathers a [`Snapshot`] of the cluster: which kinds are served and how, the live
//!   objects (the chart's and those the previous revision owned), their merge shapes
//!   (built-in schema, or a CRD's), and which namespaces exist;
//! - [`plan`] is pure: from the rendered objects, the snapshot and what the previous revision
//!   applied, it decides each object's step (create, update with the merged object, unchanged)
//!   and what to prune, after the checks that must pass before anything is written (kinds,
//!   names, duplicates, ownership, namespaces);
//! - [`execute`] walks a [`Plan`]: install order rank by rank, concurrent within a rank, CRDs
//!   waited for until Established, conflicts re-read and re-merged by the same rules, prunes
//!   last in reverse order.

pub mod execute;
pub mod plan;
pub mod read;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::cluster;
use crate::manifest::ObjectRef;
use crate::release::legacy::Inventory;

pub use execute::execute;
pub use plan::{Plan, Prune, Step, StepAction, plan};
pub use read::{Snapshot, snapshot};

/// Annotation holding the object as the last apply wrote it (client-side apply).
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl-chart.io/last-applied";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Cluster(#[from] cluster::Error),
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
    #[error(
        "release {release}: a plan that follows Helm's bookkeeping previews `helm upgrade`; it is never written (nothing was written)"
    )]
    HelmPreviewOnly { release: String },
    #[error("CustomResourceDefinition {name} was not Established within {seconds} s")]
    CrdNotEstablished { name: String, seconds: u64 },
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

/// Whose bookkeeping a plan follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bookkeeping {
    /// Ours: objects carry the release's marks (managed-by label, owner annotation, last
    /// applied), others' objects are not taken over, and only what is still ours is pruned.
    #[default]
    KubectlChart,
    /// Helm's, for previewing `helm upgrade` of a release Helm installed: no marks of ours;
    /// objects Helm's previous revision applied are the release's, others are the release's
    /// when Helm's ownership annotations name it; what the previous revision applied and the
    /// chart no longer renders is deleted unless `helm.sh/resource-policy: keep`.
    Helm,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub dry_run: DryRun,
    /// Whose bookkeeping the plan follows (ours unless previewing Helm).
    pub bookkeeping: Bookkeeping,
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
            bookkeeping: Bookkeeping::KubectlChart,
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

/// What the previous revision of the release left behind: the objects it owned (pruned when
/// the chart no longer renders them) and, where known, each object as it applied it (the
/// three-way merge's "last applied").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    /// The revision number, when there was one.
    pub revision: Option<u64>,
    /// The name of the Helm release this previous revision is, when it is one: for previewing
    /// `helm upgrade` (`diff --helm-release`) or taking a release over from Helm (`apply
    /// --from-helm-release`). What it applied is then the release's whatever the marks say,
    /// and what the chart stops rendering is pruned by Helm's rule.
    pub helm_release: Option<String>,
    pub objects: BTreeSet<ObjectRef>,
    pub applied: HashMap<ObjectRef, Value>,
    /// Objects whose "last applied" comes from a revision other than `revision` (a later
    /// failed or interrupted one that wrote them), with that revision, so drift is dated
    /// right.
    pub applied_in: HashMap<ObjectRef, u64>,
}

impl Previous {
    /// A previous revision known by what it applied: each object placed where it lives, with
    /// its body as applied (Helm's release manifest, a revision's recorded manifest).
    pub fn from_applied(
        revision: Option<u64>,
        applied: impl IntoIterator<Item = (ObjectRef, Value)>,
    ) -> Self {
        let applied: HashMap<ObjectRef, Value> = applied.into_iter().collect();
        Previous {
            revision,
            objects: applied.keys().cloned().collect(),
            applied,
            applied_in: HashMap::new(),
            helm_release: None,
        }
    }

    /// The previous revision as the release record knows it (objects only; what each one was
    /// applied as is then read from the object's own annotation).
    pub fn from_inventory(inventory: &Inventory) -> Self {
        Previous {
            revision: (inventory.revision > 0).then_some(inventory.revision),
            objects: inventory.objects.clone(),
            applied: HashMap::new(),
            applied_in: HashMap::new(),
            helm_release: None,
        }
    }

    /// The revision that last applied `object`, when known.
    pub fn revision_of(&self, object: &ObjectRef) -> Option<u64> {
        self.applied_in.get(object).copied().or(self.revision)
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
    /// With `--dry-run=server`: each object as the server answered the dry-run write (its
    /// admission defaults included), for `diff --server`. Empty otherwise.
    #[serde(skip)]
    pub returned: HashMap<ObjectRef, Value>,
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
