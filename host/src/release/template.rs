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
    /// `v1.35.0`.
    pub kube_version: String,
    /// `group/version` and `group/version/Kind` strings, as Helm's `APIVersions`.
    pub api_versions: Vec<String>,
}

/// The Kubernetes version assumed when no cluster is asked, as `helm template` does.
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";

/// The API versions a v1.35 cluster serves out of the box.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "resource.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
];

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            kube_version: DEFAULT_KUBE_VERSION.to_owned(),
            api_versions: DEFAULT_API_VERSIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl Capabilities {
    /// `Capabilities` as the Handlebars engine sees it.
    pub fn to_value(&self) -> Value {
        let bare = self.kube_version.trim_start_matches('v');
        let mut parts = bare.split(['.', '-', '+']);
        let major = parts.next().unwrap_or_default();
        let minor = parts.next().unwrap_or_default();
        json!({
            "KubeVersion": {
                "Version": self.kube_version,
                "GitVersion": self.kube_version,
                "Major": major,
                "Minor": minor,
            },
            "APIVersions": self.api_versions,
        })
    }
}
