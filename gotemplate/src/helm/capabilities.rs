//! `.Capabilities`: Helm 4's `*common.Capabilities` (no JSON tags, so `toYaml` shows the Go
//! field names) with `KubeVersion` (`Version`, `Major`, `Minor`, `GitVersion`, `String`),
//! `APIVersions` (a `VersionSet` with `Has`) and `HelmVersion` (a `version.BuildInfo`,
//! whose JSON tags are snake_case).
//!
//! A kube version is read as Kubernetes' `ParseGeneric` reads it: `1.33.4-gke.1245000`
//! keeps its text in `Version` (with a `v`), and `String` (what `{{ .Capabilities.KubeVersion }}`
//! prints) is the numeric part alone, `v1.33.4`.

use std::sync::Arc;

use super::Error;
use super::files::{arg_count, string_arg};
use crate::func::FuncResult;
use crate::value::{Object, Value};

/// What Helm 4.1.4's `helm template` assumes without a cluster: `v1.35.0`.
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";

/// The API versions `helm template` (4.1.4) offers without a cluster, in its order (the
/// order `toYaml .Capabilities` and `range` show). `--api-versions` adds to the end.
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

/// `.Capabilities.KubeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// The version as given, with a leading `v` (`v1.33.4-gke.1245000`).
    pub version: String,
    /// The numeric part (`v1.33.4`), what constraints and `String` use.
    pub normalized: String,
    pub major: String,
    pub minor: String,
}

impl KubeVersion {
    /// Helm's `ParseKubeVersion`.
    pub fn parse(version: &str) -> Result<KubeVersion, Error> {
        let invalid = |reason: String| Error::KubeVersion {
            version: version.to_owned(),
            reason,
        };
        // ^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)*$
        let trimmed = version.trim_start();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let numeric_len = numeric_prefix(bare);
        if numeric_len == 0 {
            return Err(invalid(format!("could not parse {version:?} as version")));
        }
        let components: Vec<&str> = bare[..numeric_len].split('.').collect();
        if components.len() < 2 {
            return Err(invalid(format!("illegal version string {version:?}")));
        }
        let mut numbers = Vec::with_capacity(components.len());
        for (i, component) in components.iter().enumerate() {
            if i == 0 && component.starts_with('0') && *component != "0" {
                return Err(invalid(format!(
                    "illegal zero-prefixed version component {component:?} in {version:?}"
                )));
            }
            let n: u64 = component.parse().map_err(|_| {
                invalid(format!(
                    "illegal non-numeric version component {component:?} in {version:?}"
                ))
            })?;
            numbers.push(n);
        }
        let joined: Vec<String> = numbers.iter().map(u64::to_string).collect();
        Ok(KubeVersion {
            version: if version.starts_with('v') {
                version.to_owned()
            } else {
                format!("v{version}")
            },
            normalized: format!("v{}", joined.join(".")),
            major: numbers[0].to_string(),
            minor: numbers[1].to_string(),
        })
    }

    /// Its JSON fields, in the struct's order.
    fn json_fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Version".into(), Value::from(self.version.as_str())),
            ("Major".into(), Value::from(self.major.as_str())),
            ("Minor".into(), Value::from(self.minor.as_str())),
        ]
    }

    fn to_data(&self) -> Value {
        Value::map(self.json_fields().into_iter().collect())
    }

    /// Go's `%v` of the struct (its unexported normalized version included).
    fn format_struct(&self) -> String {
        format!(
            "{{{} {} {} {}}}",
            self.version, self.normalized, self.major, self.minor
        )
    }
}

/// The length of `[0-9]+(\.[0-9]+)*` at the start of `s`.
fn numeric_prefix(s: &str) -> usize {
    let b = s.as_bytes();
    let mut end = 0;
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return end;
        }
        end = i;
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
        } else {
            return end;
        }
    }
}

/// `.Capabilities.HelmVersion`: Helm's `version.BuildInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub version: String,
    pub git_commit: String,
    pub git_tree_state: String,
    pub go_version: String,
    pub kube_client_version: String,
}

impl BuildInfo {
    /// What Helm 4.1.4 reports, so `helm template` output is reproduced exactly.
    pub fn helm_4_1_4() -> BuildInfo {
        BuildInfo {
            version: "v4.1.4".to_owned(),
            git_commit: "05fa37973dc9e42b76e1d2883494c87174b6074f".to_owned(),
            git_tree_state: "clean".to_owned(),
            go_version: "go1.25.9".to_owned(),
            kube_client_version: "v1.35".to_owned(),
        }
    }

    /// Its JSON fields in the struct's order (`omitempty` on all but
    /// `kube_client_version`).
    fn json_fields(&self) -> Vec<(String, Value)> {
        let mut fields = Vec::new();
        for (key, value) in [
            ("version", &self.version),
            ("git_commit", &self.git_commit),
            ("git_tree_state", &self.git_tree_state),
            ("go_version", &self.go_version),
        ] {
            if !value.is_empty() {
                fields.push((key.into(), Value::from(value.as_str())));
            }
        }
        fields.push((
            "kube_client_version".into(),
            Value::from(self.kube_client_version.as_str()),
        ));
        fields
    }

    fn to_data(&self) -> Value {
        Value::map(self.json_fields().into_iter().collect())
    }

    fn format_struct(&self) -> String {
        format!(
            "{{{} {} {} {} {}}}",
            self.version,
            self.git_commit,
            self.git_tree_state,
            self.go_version,
            self.kube_client_version
        )
    }
}

/// `.Capabilities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub kube_version: KubeVersion,
    pub api_versions: Vec<String>,
    pub helm_version: BuildInfo,
}

impl Capabilities {
    /// Capabilities for a kube version (as `--kube-version` or a cluster gives it) and a
    /// set of API versions.
    pub fn new(
        kube_version: &str,
        api_versions: Vec<String>,
        helm_version: BuildInfo,
    ) -> Result<Capabilities, Error> {
        Ok(Capabilities {
            kube_version: KubeVersion::parse(kube_version)?,
            api_versions,
            helm_version,
        })
    }

    /// `helm template`'s capabilities: v1.35.0, Helm's default API versions plus `extra`
    /// (`--api-versions`), Helm 4.1.4's build info.
    pub fn helm_template_default(extra: &[String]) -> Capabilities {
        let mut api_versions: Vec<String> = DEFAULT_API_VERSIONS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        api_versions.extend(extra.iter().cloned());
        Capabilities {
            kube_version: KubeVersion {
                version: DEFAULT_KUBE_VERSION.to_owned(),
                normalized: DEFAULT_KUBE_VERSION.to_owned(),
                major: "1".to_owned(),
                minor: "35".to_owned(),
            },
            api_versions,
            helm_version: BuildInfo::helm_4_1_4(),
        }
    }

    /// The template value (`.Capabilities`).
    pub fn into_value(self) -> Value {
        Value::object(CapabilitiesObject(Arc::new(self)))
    }

    fn api_versions_data(&self) -> Value {
        Value::list(
            self.api_versions
                .iter()
                .map(|v| Value::from(v.as_str()))
                .collect(),
        )
    }
}

/// A struct field's plain data (an object's own data, recursively).
fn plain(value: Value) -> Value {
    match value {
        Value::Object(object) => object.data(),
        other => other,
    }
}

#[derive(Debug)]
struct CapabilitiesObject(Arc<Capabilities>);

impl Object for CapabilitiesObject {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }

    fn kind(&self) -> &str {
        "ptr"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "KubeVersion" => Value::object(KubeVersionObject(Arc::clone(&self.0))),
            "APIVersions" => Value::object(VersionSet(Arc::clone(&self.0))),
            "HelmVersion" => Value::object(BuildInfoObject(Arc::clone(&self.0))),
            _ => return None,
        })
    }

    fn data(&self) -> Value {
        Value::map(
            self.json_fields()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, plain(v)))
                .collect(),
        )
    }

    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        Some(vec![
            (
                "KubeVersion".into(),
                Value::object(KubeVersionObject(Arc::clone(&self.0))),
            ),
            ("APIVersions".into(), self.0.api_versions_data()),
            (
                "HelmVersion".into(),
                Value::object(BuildInfoObject(Arc::clone(&self.0))),
            ),
        ])
    }

    fn format_v(&self) -> String {
        format!(
            "&{{{} {} {}}}",
            self.0.kube_version.format_struct(),
            self.0.api_versions_data(),
            self.0.helm_version.format_struct()
        )
    }
}

/// `.Capabilities.KubeVersion`: `String` and `GitVersion` are methods (pointer receivers,
/// reachable because the field is addressable).
#[derive(Debug)]
struct KubeVersionObject(Arc<Capabilities>);

impl Object for KubeVersionObject {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }

    fn kind(&self) -> &str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let kv = &self.0.kube_version;
        Some(Value::from(match name {
            "Version" => kv.version.as_str(),
            "Major" => kv.major.as_str(),
            "Minor" => kv.minor.as_str(),
            _ => return None,
        }))
    }

    fn has_method(&self, name: &str) -> bool {
        matches!(name, "String" | "GitVersion")
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        let kv = &self.0.kube_version;
        let text = match name {
            "String" => &kv.normalized,
            "GitVersion" => &kv.version,
            _ => return None,
        };
        if !args.is_empty() {
            return Some(Err(arg_count(name, 0, args.len())));
        }
        Some(Ok(Value::from(text.as_str())))
    }

    fn data(&self) -> Value {
        self.0.kube_version.to_data()
    }

    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        Some(self.0.kube_version.json_fields())
    }

    /// `%v` of the struct: `{v1.35.0 v1.35.0 1 35}`. Printed by an action
    /// (`{{ .Capabilities.KubeVersion }}`) Go calls `String` instead (`v1.35.0`), as for any
    /// value with a `String` method.
    fn format_v(&self) -> String {
        self.0.kube_version.format_struct()
    }
}

/// `.Capabilities.APIVersions`: a `[]string` with `Has`.
#[derive(Debug)]
struct VersionSet(Arc<Capabilities>);

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }

    fn kind(&self) -> &str {
        "slice"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        name == "Has"
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        if name != "Has" {
            return None;
        }
        Some(
            string_arg(name, args)
                .map(|wanted| Value::Bool(self.0.api_versions.iter().any(|v| v == wanted))),
        )
    }

    fn data(&self) -> Value {
        self.0.api_versions_data()
    }
}

/// `.Capabilities.HelmVersion`.
#[derive(Debug)]
struct BuildInfoObject(Arc<Capabilities>);

impl Object for BuildInfoObject {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }

    fn kind(&self) -> &str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let info = &self.0.helm_version;
        Some(Value::from(match name {
            "Version" => info.version.as_str(),
            "GitCommit" => info.git_commit.as_str(),
            "GitTreeState" => info.git_tree_state.as_str(),
            "GoVersion" => info.go_version.as_str(),
            "KubeClientVersion" => info.kube_client_version.as_str(),
            _ => return None,
        }))
    }

    fn data(&self) -> Value {
        self.0.helm_version.to_data()
    }

    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        Some(self.0.helm_version.json_fields())
    }

    fn format_v(&self) -> String {
        self.0.helm_version.format_struct()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: &Value, name: &str) -> Value {
        match v {
            Value::Object(o) => o.field(name).unwrap_or_else(|| panic!("no field {name}")),
            _ => panic!("not an object"),
        }
    }

    fn method(v: &Value, name: &str, args: &[Value]) -> Value {
        match v {
            Value::Object(o) => o
                .method(name, args)
                .unwrap_or_else(|| panic!("no method {name}"))
                .unwrap_or_else(|e| panic!("{name}: {e}")),
            _ => panic!("not an object"),
        }
    }

    // Expected values are what `helm template` (v4.1.4) printed; each names its expression.
    #[test]
    fn default_capabilities_print_as_helm_template() {
        let caps = Capabilities::helm_template_default(&[]).into_value();
        let kv = field(&caps, "KubeVersion");
        // printf "%v" .Capabilities.KubeVersion
        assert_eq!(kv.to_string(), "{v1.35.0 v1.35.0 1 35}");
        // .Capabilities.KubeVersion.String / .GitVersion / .Version / .Major / .Minor
        assert_eq!(method(&kv, "String", &[]), Value::from("v1.35.0"));
        assert_eq!(method(&kv, "GitVersion", &[]), Value::from("v1.35.0"));
        assert_eq!(field(&kv, "Major"), Value::from("1"));
        assert_eq!(field(&kv, "Minor"), Value::from("35"));
        // printf "%v" .Capabilities.HelmVersion
        assert_eq!(
            field(&caps, "HelmVersion").to_string(),
            "{v4.1.4 05fa37973dc9e42b76e1d2883494c87174b6074f clean go1.25.9 v1.35}"
        );
        // .Capabilities.APIVersions.Has "apps/v1" / "foo/v1"
        let api = field(&caps, "APIVersions");
        assert_eq!(method(&api, "Has", &["apps/v1".into()]), Value::Bool(true));
        assert_eq!(method(&api, "Has", &["foo/v1".into()]), Value::Bool(false));
        // printf "%T|%T|%T|%T" ...
        assert_eq!(caps.type_name(), "*common.Capabilities");
        assert_eq!(kv.type_name(), "common.KubeVersion");
        assert_eq!(api.type_name(), "common.VersionSet");
        assert_eq!(field(&caps, "HelmVersion").type_name(), "version.BuildInfo");
        // toJson .Capabilities.HelmVersion
        assert_eq!(
            crate::encoding::json::marshal(
                &field(&caps, "HelmVersion"),
                crate::encoding::json::Format::COMPACT
            )
            .ok()
            .as_deref(),
            Some(
                r#"{"version":"v4.1.4","git_commit":"05fa37973dc9e42b76e1d2883494c87174b6074f","git_tree_state":"clean","go_version":"go1.25.9","kube_client_version":"v1.35"}"#
            )
        );
        // toYaml .Capabilities (its start and end)
        let yaml = crate::encoding::yaml::marshal(&caps).unwrap_or_default();
        assert!(
            yaml.starts_with("APIVersions:\n- v1\n- admissionregistration.k8s.io/v1\n"),
            "{yaml}"
        );
        assert!(
            yaml.ends_with("KubeVersion:\n  Major: \"1\"\n  Minor: \"35\"\n  Version: v1.35.0\n"),
            "{yaml}"
        );
        // printf "%v" .Capabilities (its start)
        assert!(
            caps.to_string()
                .starts_with("&{{v1.35.0 v1.35.0 1 35} [v1 admissionregistration.k8s.io/v1 ")
        );
        assert_eq!(DEFAULT_API_VERSIONS.len(), 57);
    }

    #[test]
    fn kube_versions_parse_as_helm() {
        // helm template --kube-version X: Version | String | Major | Minor
        let cases = [
            (
                "1.33.4-gke.1245000",
                "v1.33.4-gke.1245000",
                "v1.33.4",
                "1",
                "33",
            ),
            ("v1.30", "v1.30", "v1.30", "1", "30"),
            ("v1.35.0", "v1.35.0", "v1.35.0", "1", "35"),
            ("1.28.3+k3s1", "v1.28.3+k3s1", "v1.28.3", "1", "28"),
            ("v1.029.1", "v1.029.1", "v1.29.1", "1", "29"),
        ];
        for (input, version, normalized, major, minor) in cases {
            let kv = KubeVersion::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (
                    kv.version.as_str(),
                    kv.normalized.as_str(),
                    kv.major.as_str(),
                    kv.minor.as_str()
                ),
                (version, normalized, major, minor),
                "{input}"
            );
        }
        for bad in ["", "x1.2", "1", "v01.2", "abc"] {
            assert!(KubeVersion::parse(bad).is_err(), "{bad}");
        }
    }
}
