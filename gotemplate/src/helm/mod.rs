//! Helm's built-in objects for templates, built from plain inputs the host passes in (no
//! I/O here): `.Files` ([`Files`]), `.Capabilities` ([`Capabilities`]) and `.Chart`
//! ([`ChartMetadata`]), each behaving in templates as the Go value Helm 4 passes does: the
//! same fields, methods, `%v`, `%T` and `toYaml`/`toJson` output.

pub mod capabilities;
pub mod chart;
pub mod files;
pub mod glob;

pub use capabilities::{BuildInfo, Capabilities, KubeVersion};
pub use chart::{ChartMetadata, Dependency, Maintainer};
pub use files::Files;
pub use glob::Glob;

/// Why a built-in object could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A kube version Helm's `ParseKubeVersion` refuses (`--kube-version`, a cluster's).
    #[error("invalid kube version `{version}`: {reason}")]
    KubeVersion { version: String, reason: String },
    /// `Chart.yaml` that Helm cannot load (Helm prefixes `cannot load Chart.yaml: `).
    #[error("{0}")]
    ChartYaml(String),
    /// Metadata Helm's `Validate` refuses.
    #[error("validation: {0}")]
    Validation(String),
}
