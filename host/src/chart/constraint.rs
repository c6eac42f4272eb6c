//! Version constraints in the syntax Helm uses (Masterminds/semver): `>=1.20.0-0 <2.0.0`,
//! `^1.2`, `~1.2.3`, `1.2.x`, `1.2 - 1.4`, `||` alternatives. Used for `kubeVersion` in
//! `Chart.yaml` and the `semverCompare` template helper.
//!
//! (Skeleton: the full syntax lands with the template helpers.)

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid version `{0}`")]
    Version(String),
}

/// Whether `version` satisfies `constraint`.
pub fn matches(constraint: &str, version: &str) -> Result<bool, Error> {
    let _ = constraint;
    semver::Version::parse(version.trim_start_matches('v'))
        .map(|_| true)
        .map_err(|_| Error::Version(version.to_owned()))
}
