//! What templates see of a release and of the cluster: `Release` and `Capabilities`.

use serde_json::{Value, json};

/// `Release` in templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub is_install: bool,
    pub is_upgrade: bool,
    pub service: String,
}

impl Release {
    /// A first install of `name` into `namespace`, as `template` pretends by default.
    pub fn install(name: &str, namespace: &str) -> Self {
        Release {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            service: "kubectl-chart".to_owned(),
        }
    }
}

/// `Capabilities` in templates: what the cluster serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Helm's `KubeVersion.String()`: the version's numbers only (`v1.35.0`, `v1.30` for
    /// `--kube-version 1.30`), what `kubeVersion` constraints are checked against.
    pub kube_version: String,
    /// Helm's `KubeVersion.Version`: as given, with a leading `v` (`v1.30.1-gke.5`).
    pub kube_git_version: String,
    /// `KubeVersion.Major` and `.Minor`: `1`, `35`.
    pub kube_major: String,
    pub kube_minor: String,
    /// `group/version` (and `group/version/Kind`) strings, as Helm's `APIVersions`.
    pub api_versions: Vec<String>,
}

/// The Kubernetes version assumed when no cluster is asked, as `helm template` (4.1) does.
pub use kchart_gotemplate::helm::capabilities::DEFAULT_KUBE_VERSION;

/// The API versions `helm template` reports without a cluster, in its order: every
/// group/version its Kubernetes client knows (Helm 4.1, client v1.35), without kinds, so
/// `.Capabilities.APIVersions.Has "apps/v1/Deployment"` is false there too.
pub use kchart_gotemplate::helm::capabilities::DEFAULT_API_VERSIONS;

impl Default for Capabilities {
    fn default() -> Self {
        let mut caps = Capabilities::parse(DEFAULT_KUBE_VERSION).unwrap_or_else(|_| Capabilities {
            kube_version: DEFAULT_KUBE_VERSION.to_owned(),
            kube_git_version: DEFAULT_KUBE_VERSION.to_owned(),
            kube_major: "1".to_owned(),
            kube_minor: "35".to_owned(),
            api_versions: Vec::new(),
        });
        caps.api_versions = DEFAULT_API_VERSIONS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        caps
    }
}

impl Capabilities {
    /// The capabilities of a cluster of Kubernetes `version` serving Helm's default API
    /// versions, the version read as Helm's `ParseKubeVersion` reads `--kube-version` (and
    /// Kubernetes' `ParseGeneric`): blanks and a `v` may lead, then at least two dot-separated
    /// numbers; anything after them (`-gke.5`, `+k3s1`) is kept in the full version only.
    pub fn parse(version: &str) -> Result<Capabilities, String> {
        // One reading of versions for every engine: the Go engine's (Helm's).
        let parsed = kchart_gotemplate::helm::capabilities::KubeVersion::parse(version)
            .map_err(|err| err.to_string())?;
        Ok(Capabilities {
            kube_version: parsed.normalized,
            kube_git_version: parsed.version,
            kube_major: parsed.major,
            kube_minor: parsed.minor,
            api_versions: DEFAULT_API_VERSIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        })
    }

    /// `Capabilities` as the Handlebars engine sees it.
    pub fn to_value(&self) -> Value {
        json!({
            "KubeVersion": {
                "Version": self.kube_git_version,
                "GitVersion": self.kube_git_version,
                "Major": self.kube_major,
                "Minor": self.kube_minor,
            },
            "APIVersions": self.api_versions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_parse_as_helm_parses_them() {
        // (given, String(), Version, Major, Minor), checked with helm v4.1.4 --kube-version.
        let cases = [
            ("1.20", "v1.20", "v1.20", "1", "20"),
            ("v1.20.3", "v1.20.3", "v1.20.3", "1", "20"),
            ("1.30.1-gke.5+x", "v1.30.1", "v1.30.1-gke.5+x", "1", "30"),
            ("v2.3.4.5", "v2.3.4.5", "v2.3.4.5", "2", "3"),
            (" 1.2", "v1.2", "v 1.2", "1", "2"),
            ("1.2x", "v1.2", "v1.2x", "1", "2"),
            ("1.02.03", "v1.2.3", "v1.02.03", "1", "2"),
        ];
        for (given, string, version, major, minor) in cases {
            let caps = Capabilities::parse(given).unwrap();
            assert_eq!(
                (
                    caps.kube_version.as_str(),
                    caps.kube_git_version.as_str(),
                    caps.kube_major.as_str(),
                    caps.kube_minor.as_str()
                ),
                (string, version, major, minor),
                "{given:?}"
            );
        }
        assert_eq!(
            Capabilities::parse("1.99999999999").unwrap().kube_minor,
            "99999999999"
        );
        for bad in [
            "1",
            "",
            "v",
            "x1.2",
            "1..2",
            "01.2",
            "1.99999999999999999999",
        ] {
            assert!(Capabilities::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Capabilities::default().api_versions.len(), 57);
    }
}
