//! The resource types the server serves: every GA built-in kind of the vendored schema, and
//! the kinds of established CustomResourceDefinitions (added and removed as CRDs come and go).

use std::collections::BTreeMap;
use std::sync::Arc;

use kchart_schema::{Gvk, ResourceInfo, schema};
use serde_json::Value;

use crate::shape::Shape;

/// Where the scale subresource reads and writes replicas.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    /// JSON path of the desired replicas, like `.spec.replicas`.
    pub spec_replicas: String,
    /// JSON path of the observed replicas, like `.status.replicas`.
    pub status_replicas: String,
    /// JSON path of the label selector string, if any.
    pub label_selector: Option<String>,
}

/// What a CRD adds to a resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdInfo {
    /// The CRD's name (`widgets.example.com`).
    pub crd_name: String,
    /// `openAPIV3Schema` per served version.
    pub schemas: BTreeMap<String, Value>,
    /// `additionalPrinterColumns` per served version.
    pub columns: BTreeMap<String, Vec<Value>>,
}

/// One served resource (all its versions).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// API group, `""` for core.
    pub group: String,
    /// Served versions, preferred first.
    pub versions: Vec<String>,
    /// Kind.
    pub kind: String,
    /// List kind.
    pub list_kind: String,
    /// Plural (URL) name.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Short names.
    pub short_names: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
    /// Whether `status` is a subresource (spec and status written separately).
    pub status: bool,
    /// The scale subresource, if any.
    pub scale: Option<ScalePaths>,
    /// Whether objects are stored (create-only reviews are not).
    pub stored: bool,
    /// Set for custom resources.
    pub crd: Option<CrdInfo>,
}

impl ResourceType {
    /// The preferred (first) version.
    pub fn preferred(&self) -> &str {
        self.versions.first().map(String::as_str).unwrap_or("v1")
    }

    /// `group/version` or `version`.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }

    /// The schema of the whole object at a version.
    pub fn shape(&self, version: &str) -> Shape<'_> {
        match &self.crd {
            Some(c) => c
                .schemas
                .get(version)
                .map(Shape::Crd)
                .unwrap_or(Shape::Unknown),
            None => schema()
                .kind(&Gvk::new(self.group.clone(), version, self.kind.clone()))
                .map(Shape::Builtin)
                .unwrap_or(Shape::Unknown),
        }
    }

    /// Whether a version is served.
    pub fn serves(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }
}

/// Groups in the order a real apiserver lists them; others follow alphabetically.
const GROUP_ORDER: &[&str] = &[
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
];

fn is_ga(version: &str) -> bool {
    version
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

fn version_rank(v: &str) -> u32 {
    v.trim_start_matches('v').parse().unwrap_or(0)
}

/// All served resource types.
#[derive(Debug, Clone)]
pub struct Registry {
    types: Vec<Arc<ResourceType>>,
}

impl Registry {
    /// The built-in resources of a v1.35 cluster with default feature gates (GA versions).
    pub fn builtin() -> Self {
        let mut by_key: BTreeMap<(String, String), ResourceType> = BTreeMap::new();
        for info in ResourceInfo::all() {
            if !is_ga(&info.gvk.version) {
                continue;
            }
            let key = (info.gvk.group.clone(), info.plural.clone());
            let entry = by_key.entry(key).or_insert_with(|| from_info(&info));
            if !entry.versions.contains(&info.gvk.version) {
                entry.versions.push(info.gvk.version.clone());
            }
        }
        let mut types: Vec<ResourceType> = by_key.into_values().collect();
        for t in &mut types {
            t.versions
                .sort_by_key(|v| std::cmp::Reverse(version_rank(v)));
        }
        Self {
            types: types.into_iter().map(Arc::new).collect(),
        }
    }

    /// Every served resource type.
    pub fn types(&self) -> &[Arc<ResourceType>] {
        &self.types
    }

    /// A resource by group, version and plural.
    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.plural == plural && t.serves(version))
            .cloned()
    }

    /// A resource by group and kind (any version).
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.kind == kind)
            .cloned()
    }

    /// Groups with their served versions (preferred first), in discovery order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in &self.types {
            let vs = map.entry(t.group.clone()).or_default();
            for v in &t.versions {
                if !vs.contains(v) {
                    vs.push(v.clone());
                }
            }
        }
        let mut out: Vec<(String, Vec<String>)> = map.into_iter().collect();
        for (_, vs) in &mut out {
            vs.sort_by_key(|v| std::cmp::Reverse(version_rank(v)));
        }
        out.sort_by_key(|(g, _)| {
            let pos = GROUP_ORDER
                .iter()
                .position(|x| x == g)
                .unwrap_or(GROUP_ORDER.len());
            (pos, g.clone())
        });
        out
    }

    /// Resource types served at a group/version.
    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a Arc<ResourceType>> + 'a {
        self.types
            .iter()
            .filter(move |t| t.group == group && t.serves(version))
    }

    /// Adds or replaces the kinds of an established CRD; returns an error message if the CRD
    /// is not usable.
    pub fn register_crd(&mut self, crd: &Value) -> Result<(), String> {
        let rt = crd_type(crd)?;
        self.types
            .retain(|t| !(t.group == rt.group && t.plural == rt.plural));
        self.types.push(Arc::new(rt));
        Ok(())
    }

    /// Removes the kinds of a CRD by its name.
    pub fn unregister_crd(&mut self, crd_name: &str) -> Option<Arc<ResourceType>> {
        let pos = self
            .types
            .iter()
            .position(|t| t.crd.as_ref().is_some_and(|c| c.crd_name == crd_name))?;
        Some(self.types.remove(pos))
    }
}

fn from_info(info: &ResourceInfo) -> ResourceType {
    let g = info.gvk.group.as_str();
    let k = info.gvk.kind.as_str();
    let scale = matches!(
        (g, k),
        ("apps", "Deployment")
            | ("apps", "ReplicaSet")
            | ("apps", "StatefulSet")
            | ("", "ReplicationController")
    )
    .then(|| ScalePaths {
        spec_replicas: ".spec.replicas".into(),
        status_replicas: ".status.replicas".into(),
        label_selector: Some(".status.selector".into()),
    });
    ResourceType {
        group: info.gvk.group.clone(),
        versions: vec![info.gvk.version.clone()],
        kind: info.gvk.kind.clone(),
        list_kind: format!("{}List", info.gvk.kind),
        plural: info.plural.clone(),
        singular: info.singular.clone(),
        namespaced: info.namespaced,
        short_names: info.short_names.clone(),
        categories: info.categories.clone(),
        verbs: info.verbs.clone(),
        status: info.has_status && !matches!(k, "Namespace"),
        scale,
        stored: info.stored,
        crd: None,
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    crate::util::str_at(v, path)
}

/// The resource type a CRD defines.
pub fn crd_type(crd: &Value) -> Result<ResourceType, String> {
    let group = s(crd, &["spec", "group"])
        .ok_or("spec.group: Required value")?
        .to_string();
    let kind = s(crd, &["spec", "names", "kind"])
        .ok_or("spec.names.kind: Required value")?
        .to_string();
    let plural = s(crd, &["spec", "names", "plural"])
        .ok_or("spec.names.plural: Required value")?
        .to_string();
    let singular = s(crd, &["spec", "names", "singular"])
        .map(String::from)
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let list_kind = s(crd, &["spec", "names", "listKind"])
        .map(String::from)
        .unwrap_or_else(|| format!("{kind}List"));
    let namespaced = s(crd, &["spec", "scope"]) != Some("Cluster");
    let strings = |path: &[&str]| -> Vec<String> {
        crate::util::at(crd, path)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut versions = Vec::new();
    let mut schemas = BTreeMap::new();
    let mut columns = BTreeMap::new();
    let mut status = false;
    let mut scale = None;
    let mut storage = None;
    for v in crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = v.get("name").and_then(Value::as_str) else {
            continue;
        };
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        if v.get("storage").and_then(Value::as_bool) == Some(true) {
            storage = Some(name.to_string());
        }
        versions.push(name.to_string());
        if let Some(sch) = v.pointer("/schema/openAPIV3Schema") {
            schemas.insert(name.to_string(), sch.clone());
        }
        if let Some(cols) = v.get("additionalPrinterColumns").and_then(Value::as_array) {
            columns.insert(name.to_string(), cols.clone());
        }
        if v.pointer("/subresources/status").is_some() {
            status = true;
        }
        if let Some(sc) = v.pointer("/subresources/scale") {
            scale = Some(ScalePaths {
                spec_replicas: sc
                    .get("specReplicasPath")
                    .and_then(Value::as_str)
                    .unwrap_or(".spec.replicas")
                    .to_string(),
                status_replicas: sc
                    .get("statusReplicasPath")
                    .and_then(Value::as_str)
                    .unwrap_or(".status.replicas")
                    .to_string(),
                label_selector: sc
                    .get("labelSelectorPath")
                    .and_then(Value::as_str)
                    .map(String::from),
            });
        }
    }
    if versions.is_empty() {
        return Err(
            "spec.versions: Invalid value: must have exactly one version marked as storage version"
                .into(),
        );
    }
    // Kubernetes orders versions by priority (GA > beta > alpha, newer first); the storage
    // version stays served as is.
    versions.sort_by_key(|v| std::cmp::Reverse(crd_version_priority(v)));
    let _ = storage;
    let crd_name = s(crd, &["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    Ok(ResourceType {
        group,
        versions,
        kind,
        list_kind,
        plural,
        singular,
        namespaced,
        short_names: strings(&["spec", "names", "shortNames"]),
        categories: strings(&["spec", "names", "categories"]),
        verbs: kchart_schema::resource::STANDARD_VERBS
            .iter()
            .map(|v| v.to_string())
            .collect(),
        status,
        scale,
        stored: true,
        crd: Some(CrdInfo {
            crd_name,
            schemas,
            columns,
        }),
    })
}

/// Kubernetes version priority: `v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1` > others.
fn crd_version_priority(v: &str) -> (u32, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major: u32 = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    let minor = |p: &str| tail.strip_prefix(p).and_then(|n| n.parse::<u32>().ok());
    if let Some(n) = minor("beta") {
        return (2, major, n);
    }
    if let Some(n) = minor("alpha") {
        return (1, major, n);
    }
    (0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_serves_ga_versions() {
        let r = Registry::builtin();
        let d = r.by_path("apps", "v1", "deployments").expect("deployments");
        assert_eq!(d.kind, "Deployment");
        assert!(d.status && d.scale.is_some());
        assert!(r.by_path("apps", "v1beta1", "deployments").is_none());
        let hpa = r
            .by_kind("autoscaling", "HorizontalPodAutoscaler")
            .expect("hpa");
        assert_eq!(hpa.versions, vec!["v2", "v1"]);
        assert!(r.by_kind("resource.k8s.io", "ResourceClaim").is_some());
        assert!(r.by_kind("", "Binding").is_some_and(|b| !b.stored));
        let groups = r.groups();
        assert_eq!(groups[0].0, "");
        assert_eq!(groups[1].0, "apiregistration.k8s.io");
        assert!(!r.types().iter().any(|t| t.kind == "Scale"));
    }

    #[test]
    fn crd_registration() {
        let mut r = Registry::builtin();
        let crd = json!({"metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"]},
            "versions": [{"name": "v1beta1", "served": true, "storage": false}, {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}, "schema": {"openAPIV3Schema": {"type": "object"}}}]}});
        r.register_crd(&crd).expect("register");
        let w = r.by_path("example.com", "v1", "widgets").expect("served");
        assert_eq!(w.versions, vec!["v1", "v1beta1"]);
        assert_eq!(w.list_kind, "WidgetList");
        assert!(w.status && w.namespaced);
        assert!(r.unregister_crd("widgets.example.com").is_some());
        assert!(r.by_path("example.com", "v1", "widgets").is_none());
        assert!(crd_type(&json!({"spec": {}})).is_err());
    }
}
