//! Releases: the one owner of what a release is. Its identity (the validated name, the
//! namespace, the marks that tie objects to it), what templates see of it (`Release`,
//! `Capabilities`), and what the cluster remembers of it: one record per revision
//! ([`record`]), read as a [`history::History`], written by one run at a time ([`lock`]).
//! [`deploy`] installs, upgrades and rolls back with hooks ([`hooks`]) and `--wait`
//! ([`wait`]); [`uninstall`] removes a release.

pub mod deploy;
pub mod helm;
pub mod history;
pub mod hooks;
mod id;
pub mod legacy;
pub mod lock;
pub mod record;
mod template;
pub mod uninstall;
pub mod wait;

pub use id::{
    MANAGED_BY, MANAGED_BY_LABEL, MAX_NAME_LEN, NAME_LABEL, OWNER_ANNOTATION, ReleaseId,
    validate_name,
};
pub use record::{Revision, SECRET_TYPE, Status};
pub use template::{Capabilities, DEFAULT_API_VERSIONS, DEFAULT_KUBE_VERSION, Release};

use crate::{apply, cluster};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "invalid release name `{name}`: use at most 53 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
    )]
    InvalidName { name: String },
    #[error(transparent)]
    Cluster(#[from] cluster::Error),
    #[error(transparent)]
    Apply(#[from] apply::Error),
    #[error("the cluster does not serve v1 Secrets, where releases are recorded")]
    NoSecrets,
    #[error("the cluster does not serve coordination.k8s.io/v1 Leases, which lock releases")]
    NoLeases,
    #[error("release record `{namespace}/{name}` is corrupt: {message}")]
    Corrupt {
        namespace: String,
        name: String,
        message: String,
    },
    #[error("cannot encode revision {revision} of release {release}: {message}")]
    Encode {
        release: String,
        revision: u64,
        message: String,
    },
    #[error(
        "revision {revision} of release {release} is too large to record: {} KiB compressed ({} KiB of JSON), over the 1024 KiB a Secret holds (nothing was written)",
        bytes / 1024, uncompressed / 1024
    )]
    TooLarge {
        release: String,
        revision: u64,
        bytes: usize,
        uncompressed: usize,
    },
    #[error("release {release} has reached the largest revision number")]
    RevisionOverflow { release: String },
    #[error(
        "release {release} is locked by {holder} since {since}: another apply, rollback or uninstall is running{}",
        if *waited { " (gave up waiting)" } else { "; retry later or pass --wait-for-lock DURATION" }
    )]
    Locked {
        release: String,
        holder: String,
        since: String,
        waited: bool,
    },
    #[error("revision {revision} of release {release} was written by another run at the same time")]
    ConcurrentRevision { release: String, revision: u64 },
    #[error("release {release} not found")]
    NotFound { release: String },
    #[error("release {release} has no revision {revision}")]
    NoSuchRevision { release: String, revision: u64 },
    #[error("release {release} has no earlier deployed revision to roll back to")]
    NothingToRollBack { release: String },
    #[error("{hook} failed: {message}")]
    Hook { hook: String, message: String },
    #[error(
        "{} after {seconds} s: {}",
        if *failed { "an object failed" } else { "objects not ready" },
        objects.join("; ")
    )]
    NotReady {
        failed: bool,
        seconds: u64,
        objects: Vec<String>,
    },
    #[error("objects still present after {seconds} s: {}", objects.join("; "))]
    NotDeleted { seconds: u64, objects: Vec<String> },
    #[error(
        "release {release} failed at revision {revision} after {written} write{}; {}",
        if *written == 1 { "" } else { "s" },
        if *recorded { "the revision is recorded as failed, and re-running converges" } else { "recording the revision as failed failed too; re-running converges" }
    )]
    Failed {
        release: String,
        revision: u64,
        written: usize,
        recorded: bool,
        #[source]
        source: Box<Error>,
    },
    #[error("{cause}; --atomic: {outcome}")]
    RolledBack { cause: Box<Error>, outcome: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
