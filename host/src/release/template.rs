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
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";

/// The API versions `helm template` reports without a cluster, in its order: every
/// group/version its Kubernetes client knows (Helm 4.1, client v1.35), without kinds, so
/// `.Capabilities.APIVersions.Has "apps/v1/Deployment"` is false there too.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

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
        let rest = version.trim_start();
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        let numbers_end = rest
            .char_indices()
            .scan(false, |after_dot, (i, c)| {
                let ok = c.is_ascii_digit() || (c == '.' && !*after_dot);
                *after_dot = c == '.';
                ok.then_some(i + c.len_utf8())
            })
            .last()
            .unwrap_or(0);
        // A trailing dot belongs to the rest, as the pattern's groups read it.
        let numbers = rest[..numbers_end].trim_end_matches('.');
        if numbers.is_empty() {
            return Err(format!("could not parse {version:?} as version"));
        }
        let components = numbers
            .split('.')
            .map(|c| c.parse::<u64>())
            .collect::<Result<Vec<u64>, _>>()
            .map_err(|_| format!("illegal version string {version:?}"))?;
        if components.len() < 2 {
            return Err(format!("illegal version string {version:?}"));
        }
        let normalised: Vec<String> = components.iter().map(u64::to_string).collect();
        Ok(Capabilities {
            kube_version: format!("v{}", normalised.join(".")),
            kube_git_version: if version.starts_with('v') {
                version.to_owned()
            } else {
                format!("v{version}")
            },
            kube_major: normalised[0].clone(),
            kube_minor: normalised[1].clone(),
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
            ("01.02.03", "v1.2.3", "v01.02.03", "1", "2"),
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
        for bad in ["1", "", "v", "x1.2", "1..2", "1.99999999999999999999"] {
            assert!(Capabilities::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Capabilities::default().api_versions.len(), 57);
    }
}
