//! REST facts about built-in kinds that the schema does not carry: scope (namespaced or
//! cluster), plural and singular resource names, short names, categories and verbs, as a
//! v1.35 kube-apiserver reports them in discovery.

use crate::{Gvk, schema};

/// Built-in kinds that are cluster-scoped, as `(group, kind)`. Every other built-in kind is
/// namespaced.
pub const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "ComponentStatus"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "DeviceTaintRule"),
    ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
];

/// Short names, as `(group, kind, names)`.
const SHORT_NAMES: &[(&str, &str, &[&str])] = &[
    ("", "ComponentStatus", &["cs"]),
    ("", "ConfigMap", &["cm"]),
    ("", "Endpoints", &["ep"]),
    ("", "Event", &["ev"]),
    ("", "LimitRange", &["limits"]),
    ("", "Namespace", &["ns"]),
    ("", "Node", &["no"]),
    ("", "PersistentVolume", &["pv"]),
    ("", "PersistentVolumeClaim", &["pvc"]),
    ("", "Pod", &["po"]),
    ("", "ReplicationController", &["rc"]),
    ("", "ResourceQuota", &["quota"]),
    ("", "Service", &["svc"]),
    ("", "ServiceAccount", &["sa"]),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        &["crd", "crds"],
    ),
    ("apps", "DaemonSet", &["ds"]),
    ("apps", "Deployment", &["deploy"]),
    ("apps", "ReplicaSet", &["rs"]),
    ("apps", "StatefulSet", &["sts"]),
    ("autoscaling", "HorizontalPodAutoscaler", &["hpa"]),
    ("batch", "CronJob", &["cj"]),
    ("certificates.k8s.io", "CertificateSigningRequest", &["csr"]),
    ("events.k8s.io", "Event", &["ev"]),
    ("networking.k8s.io", "IPAddress", &["ip"]),
    ("networking.k8s.io", "Ingress", &["ing"]),
    ("networking.k8s.io", "NetworkPolicy", &["netpol"]),
    ("policy", "PodDisruptionBudget", &["pdb"]),
    ("scheduling.k8s.io", "PriorityClass", &["pc"]),
    ("storage.k8s.io", "StorageClass", &["sc"]),
    ("storage.k8s.io", "VolumeAttributesClass", &["vac"]),
];

/// Kinds in the `all` category (what `kubectl get all` lists), as `(group, kind)`.
const CATEGORY_ALL: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "ReplicationController"),
    ("", "Service"),
    ("apps", "DaemonSet"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("batch", "CronJob"),
    ("batch", "Job"),
];

/// Kinds that are only ever created and answered, never stored (reviews, bindings), as
/// `(group, kind)`.
const CREATE_ONLY: &[(&str, &str)] = &[
    ("", "Binding"),
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "LocalSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
];

/// Kinds that exist only as subresources (`pods/eviction`, `deployments/scale`, ...).
const SUBRESOURCE_ONLY: &[(&str, &str)] = &[
    ("authentication.k8s.io", "TokenRequest"),
    ("autoscaling", "Scale"),
    ("policy", "Eviction"),
];

/// The verbs of an ordinary stored resource.
pub const STANDARD_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Whether a built-in kind is cluster-scoped. Unknown kinds are reported namespaced.
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(g, k)| *g == group && *k == kind)
}

/// The short names of a built-in kind (`deploy` for Deployment), empty if it has none.
pub fn short_names(group: &str, kind: &str) -> &'static [&'static str] {
    SHORT_NAMES
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map(|(_, _, names)| *names)
        .unwrap_or(&[])
}

/// The plural resource name of a kind: lowercase, then `s`, `es` after `s`/`x`/`z`/`ch`/`sh`,
/// `ies` for a consonant and `y`, with the irregular `Endpoints`.
pub fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        return lower;
    }
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with('z')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    format!("{lower}s")
}

/// What discovery says about one built-in kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// Group, version and kind.
    pub gvk: Gvk,
    /// Plural resource name used in URLs (`deployments`).
    pub plural: String,
    /// Singular name (`deployment`).
    pub singular: String,
    /// Namespaced (`true`) or cluster-scoped.
    pub namespaced: bool,
    /// Short names (`deploy`).
    pub short_names: Vec<String>,
    /// Categories (`all`).
    pub categories: Vec<String>,
    /// Verbs the resource supports.
    pub verbs: Vec<String>,
    /// Whether the type has a `status` field, served as the `status` subresource.
    pub has_status: bool,
    /// Whether objects are stored (`false` for create-only reviews and bindings).
    pub stored: bool,
}

impl ResourceInfo {
    /// The REST facts for a built-in kind, or `None` if the kind is not in the schema or only
    /// exists as a subresource (`Scale`, `Eviction`, `TokenRequest`).
    pub fn for_kind(gvk: &Gvk) -> Option<Self> {
        let node = schema().kind(gvk)?;
        let g = gvk.group.as_str();
        let k = gvk.kind.as_str();
        if SUBRESOURCE_ONLY.contains(&(g, k)) {
            return None;
        }
        let create_only = CREATE_ONLY.contains(&(g, k));
        let verbs: Vec<String> = if create_only {
            vec!["create".into()]
        } else if (g, k) == ("", "ComponentStatus") {
            vec!["get".into(), "list".into()]
        } else if (g, k) == ("", "Namespace") {
            STANDARD_VERBS
                .iter()
                .filter(|v| **v != "deletecollection")
                .map(|v| v.to_string())
                .collect()
        } else {
            STANDARD_VERBS.iter().map(|v| v.to_string()).collect()
        };
        let mut categories = Vec::new();
        if CATEGORY_ALL.contains(&(g, k)) {
            categories.push("all".to_string());
        }
        if matches!(
            g,
            "apiextensions.k8s.io" | "apiregistration.k8s.io" | "admissionregistration.k8s.io"
        ) {
            categories.push("api-extensions".to_string());
        }
        Some(Self {
            gvk: gvk.clone(),
            plural: plural(k),
            singular: k.to_ascii_lowercase(),
            namespaced: !is_cluster_scoped(g, k),
            short_names: short_names(g, k).iter().map(|s| s.to_string()).collect(),
            categories,
            verbs,
            has_status: node.property("status").is_some() && !create_only,
            stored: !create_only && (g, k) != ("", "ComponentStatus"),
        })
    }

    /// Every built-in resource of the schema, all versions, sorted by group, version, kind.
    pub fn all() -> Vec<Self> {
        schema()
            .kinds()
            .iter()
            .filter_map(|k| Self::for_kind(&k.gvk))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_apiserver_rules() {
        for (kind, want) in [
            ("Deployment", "deployments"),
            ("Ingress", "ingresses"),
            ("IngressClass", "ingressclasses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Endpoints", "endpoints"),
            ("ComponentStatus", "componentstatuses"),
            ("Gateway", "gateways"),
            ("Mailbox", "mailboxes"),
            ("Pod", "pods"),
            ("PriorityClass", "priorityclasses"),
            ("ResourceSlice", "resourceslices"),
        ] {
            assert_eq!(plural(kind), want, "{kind}");
        }
    }

    #[test]
    fn cluster_scoped_table_covers_known_kinds() {
        for (g, k) in [
            ("", "Namespace"),
            ("", "Node"),
            ("", "PersistentVolume"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            ("storage.k8s.io", "StorageClass"),
            ("storage.k8s.io", "CSIDriver"),
            ("storage.k8s.io", "CSINode"),
            ("storage.k8s.io", "VolumeAttachment"),
            ("networking.k8s.io", "IngressClass"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("node.k8s.io", "RuntimeClass"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("apiregistration.k8s.io", "APIService"),
            (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration",
            ),
            (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration",
            ),
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
            (
                "admissionregistration.k8s.io",
                "ValidatingAdmissionPolicyBinding",
            ),
            ("certificates.k8s.io", "CertificateSigningRequest"),
            ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
            ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ] {
            assert!(is_cluster_scoped(g, k), "{g} {k}");
        }
        for (g, k) in [
            ("", "ConfigMap"),
            ("apps", "Deployment"),
            ("rbac.authorization.k8s.io", "Role"),
            ("storage.k8s.io", "CSIStorageCapacity"),
            ("coordination.k8s.io", "Lease"),
            ("events.k8s.io", "Event"),
        ] {
            assert!(!is_cluster_scoped(g, k), "{g} {k}");
        }
    }

    #[test]
    fn tables_name_only_kinds_of_the_schema() {
        let kinds = schema().kinds();
        let known = |g: &str, k: &str| kinds.iter().any(|e| e.gvk.group == g && e.gvk.kind == k);
        for (g, k) in CLUSTER_SCOPED
            .iter()
            .chain(CATEGORY_ALL)
            .chain(CREATE_ONLY)
            .chain(SUBRESOURCE_ONLY)
        {
            assert!(known(g, k), "{g} {k} not in schema");
        }
        for (g, k, _) in SHORT_NAMES {
            assert!(known(g, k), "{g} {k} not in schema");
        }
    }

    #[test]
    fn resource_info_for_common_kinds() {
        let d = ResourceInfo::for_kind(&Gvk::new("apps", "v1", "Deployment")).expect("deployment");
        assert_eq!(d.plural, "deployments");
        assert_eq!(d.singular, "deployment");
        assert!(d.namespaced && d.has_status && d.stored);
        assert_eq!(d.short_names, vec!["deploy"]);
        assert_eq!(d.categories, vec!["all"]);
        assert_eq!(d.verbs.len(), 8);
        let ns = ResourceInfo::for_kind(&Gvk::new("", "v1", "Namespace")).expect("namespace");
        assert!(!ns.namespaced);
        assert!(!ns.verbs.contains(&"deletecollection".to_string()));
        let cm = ResourceInfo::for_kind(&Gvk::new("", "v1", "ConfigMap")).expect("configmap");
        assert!(!cm.has_status);
        let review = ResourceInfo::for_kind(&Gvk::new(
            "authorization.k8s.io",
            "v1",
            "SelfSubjectAccessReview",
        ))
        .expect("review");
        assert_eq!(review.verbs, vec!["create"]);
        assert!(!review.stored);
        assert!(ResourceInfo::for_kind(&Gvk::new("autoscaling", "v1", "Scale")).is_none());
        assert!(ResourceInfo::all().len() > 80);
    }
}
