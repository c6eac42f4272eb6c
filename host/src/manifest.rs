//! Kubernetes objects as plain JSON: parsing rendered YAML into objects that remember the
//! template they came from, identifying them ([`ObjectRef`]), ordering them for install, and
//! printing them back as a YAML stream or a JSON `List`.

use std::fmt;

use serde_json::{Map, Value};

use crate::yaml;

/// Why rendered text could not become objects.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{source_name}: rendered output is not valid YAML at line {line}: {message} (line {line} is `{text}`)"
    )]
    Yaml {
        source_name: String,
        line: usize,
        message: String,
        /// The offending line of the rendered text, since the template line may differ.
        text: String,
    },
    #[error("{source_name}: document at line {line} is not an object (found {found})")]
    NotAnObject {
        source_name: String,
        line: usize,
        found: &'static str,
    },
    #[error("{source_name}: object at line {line} has no {field}")]
    MissingField {
        source_name: String,
        line: usize,
        field: &'static str,
    },
    #[error("{source_name}: object at line {line}: {message}")]
    Invalid {
        source_name: String,
        line: usize,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One Kubernetes object and the template that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Where the object came from: a template path such as `web/templates/deployment.yaml`,
    /// or `<stdin>` for a post-render stream.
    pub source: String,
    /// The object itself; always a JSON map with `apiVersion`, `kind` and `metadata.name`.
    pub value: Value,
}

impl Object {
    /// Wraps a value that is already known to be a valid object.
    ///
    /// Use [`parse`] for untrusted text; this checks the same fields and names `source` on failure.
    pub fn new(source: impl Into<String>, value: Value) -> Result<Self> {
        let source = source.into();
        validate(&source, 1, &value)?;
        Ok(Object { source, value })
    }

    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"]).unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        self.str_at(&["kind"]).unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"]).unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.str_at(&["metadata", "namespace"])
            .filter(|ns| !ns.is_empty())
    }

    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version().to_owned(),
            kind: self.kind().to_owned(),
            namespace: self.namespace().map(str::to_owned),
            name: self.name().to_owned(),
        }
    }

    fn str_at(&self, path: &[&str]) -> Option<&str> {
        let mut v = &self.value;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str()
    }
}

/// The identity of an object: `apps/v1 Deployment shop/web`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// The API group: empty for the core group (`v1`).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, version)| version)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.api_version, self.kind)?;
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Parses a multi-document YAML text rendered from `source` into objects.
///
/// Empty documents (only comments or whitespace, or `null`) are dropped, as Helm does. A
/// `List` (`kind: List`, or any `*List` kind with `items`, as kubectl reads them) stands for
/// its items. Line numbers in errors count from the start of `text`; each document is read
/// within the limits of [`crate::yaml`].
pub fn parse(source: &str, text: &str) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    for doc in split_documents(text) {
        if doc.is_blank() {
            continue;
        }
        let value: Value = yaml::value_from_str(doc.text).map_err(|err| {
            let (line, message) = yaml::error_position(&err);
            let line = doc.first_line + line.saturating_sub(1);
            Error::Yaml {
                source_name: source.to_owned(),
                line,
                message,
                text: crate::quote::short(
                    text.lines()
                        .nth(line.saturating_sub(1))
                        .unwrap_or_default()
                        .trim_end(),
                ),
            }
        })?;
        push_flattened(source, doc.first_line, value, &mut objects)?;
    }
    Ok(objects)
}

/// Parses a YAML stream whose documents may name their template in a `# Source: PATH`
/// comment (as Helm's release manifests, `helm template` and `kubectl chart template` write
/// them); documents without one come from `default_source`. Line numbers in errors count from
/// the start of each document.
pub fn parse_sourced(default_source: &str, text: &str) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    for doc in split_documents(text) {
        let source = doc
            .text
            .lines()
            .find_map(|line| line.trim().strip_prefix("# Source:"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(default_source);
        objects.extend(parse(source, doc.text)?);
    }
    Ok(objects)
}

/// Adds an object, or the items of a list (lists in lists too), to `objects`; `null` adds
/// nothing. Depth is bounded by the YAML reader.
fn push_flattened(
    source: &str,
    line: usize,
    value: Value,
    objects: &mut Vec<Object>,
) -> Result<()> {
    if value.is_null() {
        return Ok(());
    }
    match list_items(value) {
        Ok(items) => {
            for item in items {
                push_flattened(source, line, item, objects)?;
            }
            Ok(())
        }
        Err(value) => {
            validate(source, line, &value)?;
            objects.push(Object {
                source: source.to_owned(),
                value,
            });
            Ok(())
        }
    }
}

/// The items of a list object (`kind: List`, `ConfigMapList`, ... with an `items` list), or
/// the value back when it is not one. kubectl and Helm read these kinds as their items.
fn list_items(value: Value) -> Result<Vec<Value>, Value> {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array);
    if !is_list {
        return Err(value);
    }
    match value {
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(Value::Object(map)),
        },
        other => Err(other),
    }
}

fn validate(source: &str, line: usize, value: &Value) -> Result<()> {
    let map = value.as_object().ok_or_else(|| Error::NotAnObject {
        source_name: source.to_owned(),
        line,
        found: type_name(value),
    })?;
    let missing = |field| Error::MissingField {
        source_name: source.to_owned(),
        line,
        field,
    };
    let non_empty_str =
        |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    if !non_empty_str(map.get("apiVersion")) {
        return Err(missing("apiVersion"));
    }
    if !non_empty_str(map.get("kind")) {
        return Err(missing("kind"));
    }
    let metadata = map
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| missing("metadata"))?;
    if !non_empty_str(metadata.get("name")) && !non_empty_str(metadata.get("generateName")) {
        return Err(missing("metadata.name"));
    }
    if let Some(ns) = metadata.get("namespace")
        && !ns.is_string()
        && !ns.is_null()
    {
        return Err(Error::Invalid {
            source_name: source.to_owned(),
            line,
            message: "metadata.namespace must be a string".to_owned(),
        });
    }
    Ok(())
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// One document of a YAML stream and the line it starts on (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document<'a> {
    pub text: &'a str,
    pub first_line: usize,
}

impl Document<'_> {
    fn is_blank(&self) -> bool {
        self.text.lines().all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#') || line == "..."
        })
    }
}

/// Splits a YAML stream on `---` separator lines, keeping each document's first line number.
pub fn split_documents(text: &str) -> Vec<Document<'_>> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            docs.push(Document {
                text: &text[start..offset],
                first_line,
            });
            // Content after `--- ` on the same line belongs to the next document.
            start = offset + 3;
            first_line = index + 1;
        }
        offset += line.len();
    }
    docs.push(Document {
        text: &text[start..],
        first_line,
    });
    docs
}

/// Helm's install order; kinds not listed go last, sorted by kind name.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Where a kind goes in [`INSTALL_ORDER`]; unknown kinds share the last rank.
pub fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

/// Sorts objects into Helm's install order. The sort is stable: objects of the same kind keep
/// the order they were rendered in (template path, then position in the template).
pub fn sort_for_install(objects: &mut [Object]) {
    objects.sort_by(|a, b| {
        let (ka, kb) = (a.kind(), b.kind());
        install_rank(ka).cmp(&install_rank(kb)).then_with(|| {
            if install_rank(ka) == INSTALL_ORDER.len() {
                ka.cmp(kb)
            } else {
                std::cmp::Ordering::Equal
            }
        })
    });
}

/// Prints objects as a YAML stream, each document preceded by `# Source: <template>`.
pub fn to_yaml_stream(objects: &[Object]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n# Source: ");
        out.push_str(&object.source);
        out.push('\n');
        out.push_str(&yaml::to_string(&object.value));
    }
    out
}

/// Prints objects as a Kubernetes `List`, as `kubectl get -o json` does for several objects.
pub fn to_json_list(objects: &[Object]) -> String {
    let mut list = Map::new();
    list.insert("apiVersion".into(), Value::from("v1"));
    list.insert("kind".into(), Value::from("List"));
    list.insert(
        "items".into(),
        Value::Array(objects.iter().map(|o| o.value.clone()).collect()),
    );
    let mut text = serde_json::to_string_pretty(&Value::Object(list)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_documents_with_line_numbers() {
        let text = "a: 1\n---\nb: 2\nc: 3\n--- \nd: 4\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[0],
            Document {
                text: "a: 1\n",
                first_line: 1
            }
        );
        assert_eq!(docs[1].first_line, 2);
        assert_eq!(docs[1].text.trim(), "b: 2\nc: 3");
        assert_eq!(docs[2].first_line, 5);
        assert_eq!(docs[2].text.trim(), "d: 4");
    }

    #[test]
    fn separator_must_be_the_whole_line() {
        let docs = split_documents("a: \"---\"\nb: |\n  ---x\n");
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn drops_empty_documents() {
        let text = "---\n# only a comment\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nnull\n";
        let objects = parse("t.yaml", text).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].name(), "a");
        assert_eq!(objects[0].source, "t.yaml");
    }

    #[test]
    fn reports_missing_fields_with_line() {
        let cases = [
            ("kind: ConfigMap\nmetadata:\n  name: a\n", "apiVersion"),
            ("apiVersion: v1\nmetadata:\n  name: a\n", "kind"),
            ("apiVersion: v1\nkind: ConfigMap\n", "metadata"),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n",
                "metadata.name",
            ),
            ("apiVersion: v1\nkind: \"\"\nmetadata:\n  name: a\n", "kind"),
        ];
        for (text, field) in cases {
            let text = format!("a: 1\nkind: X\nmetadata: {{name: x}}\napiVersion: v\n---\n{text}");
            let err = parse("t.yaml", &text).unwrap_err();
            match err {
                Error::MissingField { line, field: f, .. } => {
                    assert_eq!(f, field, "{text}");
                    assert_eq!(line, 5, "{text}");
                }
                other => panic!("unexpected {other:?} for {text}"),
            }
        }
    }

    #[test]
    fn reports_yaml_errors_with_line_in_the_whole_text() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n   bad: indent\n";
        match parse("web/templates/cm.yaml", text).unwrap_err() {
            Error::Yaml {
                line, source_name, ..
            } => {
                assert_eq!(source_name, "web/templates/cm.yaml");
                assert_eq!(line, 10);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn sources_come_from_comments() {
        let text = "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
        let objects = parse_sourced("<stdin>", text).unwrap();
        let sources: Vec<&str> = objects.iter().map(|o| o.source.as_str()).collect();
        assert_eq!(sources, ["web/templates/cm.yaml", "<stdin>"]);
        let err = parse_sourced("x", "---\n# Source: t/a.yaml\nkind: X\n").unwrap_err();
        assert!(err.to_string().starts_with("t/a.yaml:"), "{err}");
    }

    #[test]
    fn lists_stand_for_their_items() {
        let cm = |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
        let cases = [
            ("apiVersion: v1\nkind: List\nitems: []\n", vec![]),
            (
                "apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
                vec![cm("a"), cm("b")],
            ),
            (
                "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- null\n",
                vec![cm("a")],
            ),
            (
                "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: n}}]\n",
                vec![cm("n")],
            ),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: b}}]\n",
                vec![cm("a"), cm("b")],
            ),
            // A kind named like a list but without items is an object like any other.
            (
                "apiVersion: x/v1\nkind: AllowList\nmetadata: {name: a}\nspec: {}\n",
                vec![
                    json!({"apiVersion": "x/v1", "kind": "AllowList", "metadata": {"name": "a"}, "spec": {}}),
                ],
            ),
        ];
        for (text, expected) in cases {
            let objects = parse("t.yaml", text).unwrap();
            let values: Vec<Value> = objects.into_iter().map(|o| o.value).collect();
            assert_eq!(values, expected, "{text}");
        }
        // Items are checked like any object, with the list's line.
        let err = parse(
            "t.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: List\napiVersion: v1\nitems:\n- {kind: ConfigMap, metadata: {name: a}}\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.yaml: object at line 4 has no apiVersion"
        );
    }

    #[test]
    fn errors_are_one_line_and_hostile_documents_bounded() {
        let long_line = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata: {{a: {}: b}}\n",
            "x".repeat(100_000)
        );
        let err = parse("t.yaml", &long_line).unwrap_err().to_string();
        assert!(err.len() < 400, "{err}");
        assert!(err.contains("(line 4 is `data: {a: xxx"), "{err}");
        let deep = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata: {}1{}\n",
            "[".repeat(200),
            "]".repeat(200)
        );
        let err = parse("t.yaml", &deep).unwrap_err().to_string();
        assert!(err.contains("deeper than the limit of 100"), "{err}");
        let list = vec!["x"; 2000].join(",");
        let aliases = vec!["*a"; 2000].join(",");
        let bomb = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\nx: &a [{list}]\ny: [{aliases}]\n"
        );
        let err = parse("t.yaml", &bomb).unwrap_err().to_string();
        assert!(err.contains("aliases expand to more than"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn rejects_non_maps() {
        let err = parse("t.yaml", "- a\n- b\n").unwrap_err();
        assert!(matches!(
            err,
            Error::NotAnObject {
                found: "a list",
                ..
            }
        ));
    }

    #[test]
    fn object_ref_display_and_group() {
        let o = Object::new(
            "t",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}),
        )
        .unwrap();
        let r = o.object_ref();
        assert_eq!(r.to_string(), "apps/v1 Deployment shop/web");
        assert_eq!(r.group(), "apps");
        assert_eq!(r.version(), "v1");
        let ns = Object::new(
            "t",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        )
        .unwrap();
        assert_eq!(ns.object_ref().to_string(), "v1 Namespace shop");
        assert_eq!(ns.object_ref().group(), "");
    }

    #[test]
    fn sorts_in_helm_install_order_stably() {
        let mk = |kind: &str, name: &str| {
            Object::new(
                "t",
                json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
            )
            .unwrap()
        };
        let mut objects = vec![
            mk("Deployment", "b"),
            mk("Widget", "w"),
            mk("Service", "s"),
            mk("Deployment", "a"),
            mk("Apple", "x"),
            mk("Namespace", "n"),
            mk("CustomResourceDefinition", "c"),
            mk("ServiceAccount", "sa"),
        ];
        sort_for_install(&mut objects);
        let order: Vec<_> = objects
            .iter()
            .map(|o| format!("{}/{}", o.kind(), o.name()))
            .collect();
        assert_eq!(
            order,
            [
                "Namespace/n",
                "ServiceAccount/sa",
                "CustomResourceDefinition/c",
                "Service/s",
                "Deployment/b",
                "Deployment/a",
                "Apple/x",
                "Widget/w"
            ]
        );
    }

    #[test]
    fn yaml_stream_has_source_comments() {
        let o = Object::new(
            "c/templates/a.yaml",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
        )
        .unwrap();
        let text = to_yaml_stream(&[o.clone(), o]);
        assert_eq!(text.matches("# Source: c/templates/a.yaml\n").count(), 2);
        let back = parse("x", &text).unwrap();
        assert_eq!(back.len(), 2);
    }
}
