//! Releases: the one owner of what a release is. Its identity (the validated name, the
//! namespace, the marks that tie objects to it), what templates see of it (`Release`,
//! `Capabilities`), and what the cluster remembers of it between applies.

pub mod helm;
mod id;
mod record;
mod template;

pub use id::{
    MANAGED_BY, MANAGED_BY_LABEL, MAX_NAME_LEN, NAME_LABEL, OWNER_ANNOTATION, ReleaseId,
    validate_name,
};
pub use record::{Inventory, Record, SECRET_TYPE, load, save};
pub use template::{Capabilities, DEFAULT_API_VERSIONS, DEFAULT_KUBE_VERSION, Release};

use crate::cluster;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "invalid release name `{name}`: use at most 53 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
    )]
    InvalidName { name: String },
    #[error(transparent)]
    Cluster(#[from] cluster::Error),
    #[error("the cluster does not serve v1 Secrets, where releases are recorded")]
    NoSecrets,
    #[error("release record `{namespace}/{name}` is corrupt: {message}")]
    Corrupt {
        namespace: String,
        name: String,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
