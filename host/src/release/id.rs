//! A release's identity: its validated name and namespace, and the marks that tie objects to it
//! (the `managed-by` label and the owner annotation).

use super::Error;

/// Annotation naming the release that owns an object: `NAMESPACE/NAME`.
pub const OWNER_ANNOTATION: &str = "kubectl-chart.io/release";
/// The `managed-by` label every object of a release carries.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Its value on objects and records kubectl-chart writes.
pub const MANAGED_BY: &str = "kubectl-chart";
/// Label naming the release on its records.
pub const NAME_LABEL: &str = "kubectl-chart.io/release-name";

/// Helm's limit on release names, which end up in object names and labels.
pub const MAX_NAME_LEN: usize = 53;

/// A release: a name in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReleaseId {
    pub name: String,
    pub namespace: String,
}

impl ReleaseId {
    /// A release id from a name checked by [`validate_name`].
    pub fn new(name: &str, namespace: &str) -> Result<Self, Error> {
        validate_name(name)?;
        Ok(ReleaseId {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
        })
    }

    /// The value of the ownership annotation: `NAMESPACE/NAME`.
    pub fn owner(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl std::fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Helm's rule for release names: a DNS-1123 subdomain of at most 53 characters. The one
/// rule every command uses.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.split('.').all(label_ok) {
        return Err(Error::InvalidName {
            name: crate::log::truncate(name, 80),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names() {
        for ok in ["web", "web-1", "a.b", "0", &"a".repeat(53)] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(54);
        for bad in [
            "",
            "Web",
            "-web",
            "web-",
            "a..b",
            "a_b",
            "a/b",
            long.as_str(),
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_long_bad_name_is_quoted_short() {
        let err = validate_name(&"A".repeat(10_000)).unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
    }
}
