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

/// What the previous revision of the release left behind: the objects it owned (pruned when
/// the chart no longer renders them) and, where known, each object as it applied it (the
/// three-way merge's "last applied").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    /// The revision number, when there was one.
    pub revision: Option<u64>,
    pub objects: BTreeSet<ObjectRef>,
    pub applied: HashMap<ObjectRef, Value>,
}

impl Previous {
    /// The previous revision as the release record knows it (objects only; what each one was
    /// applied as is then read from the object's own annotation).
    pub fn from_inventory(inventory: &Inventory) -> Self {
        Previous {
            revision: (inventory.revision > 0).then_some(inventory.revision),
            objects: inventory.objects.clone(),
            applied: HashMap::new(),
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
