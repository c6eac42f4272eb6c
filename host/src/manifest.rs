//! Kubernetes objects as plain JSON: parsing rendered YAML into objects that remember the
//! template they came from, identifying them ([`ObjectRef`]), ordering them for install, and
//! printing them back as a YAML stream or a JSON `List`.
//!
//! Rendered templates go through Helm's own pipeline first ([`sort_manifests`]): each
//! template's text is split into documents as Helm 4.1 splits it, each document is kept as
//! text ([`Document`]) next to its parsed value, hooks (`helm.sh/hook`) are set apart, and
//! both groups are ordered by kind. [`template_output`] prints them exactly as
//! `helm template` does, byte for byte, and [`show_only`] filters that output as
//! `--show-only` does.

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
pub struct StreamDocument<'a> {
    pub text: &'a str,
    pub first_line: usize,
}

impl StreamDocument<'_> {
    fn is_blank(&self) -> bool {
        self.text.lines().all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#') || line == "..."
        })
    }
}

/// Splits a YAML stream on `---` separator lines, keeping each document's first line number.
pub fn split_documents(text: &str) -> Vec<StreamDocument<'_>> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            docs.push(StreamDocument {
                text: &text[start..offset],
                first_line,
            });
            // Content after `--- ` on the same line belongs to the next document.
            start = offset + 3;
            first_line = index + 1;
        }
        offset += line.len();
    }
    docs.push(StreamDocument {
        text: &text[start..],
        first_line,
    });
    docs
}

/// One YAML document a template rendered, as Helm splits, orders and prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The template it came from: `web/templates/deployment.yaml`.
    pub source: String,
    /// The document as rendered, trimmed as Helm trims it; `template` prints it verbatim.
    pub text: String,
    /// The document parsed; `None` when it holds nothing but comments, which Helm prints but
    /// never applies.
    pub value: Option<Value>,
    /// The 1-based line of the template's output the document starts on, for messages.
    pub line: usize,
}

/// The hook events Helm knows; a `helm.sh/hook` naming any other is dropped with its object.
pub const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// The annotation that makes an object a hook.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";

impl Document {
    /// The document's kind (empty when it has none), for ordering.
    pub fn kind(&self) -> &str {
        self.value
            .as_ref()
            .and_then(|v| v.get("kind"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The hook events of a `helm.sh/hook` annotation (trimmed, lowercased), or `None` when
    /// the document is not a hook.
    pub fn hook_events(&self) -> Option<Vec<String>> {
        hook_events(self.value.as_ref()?)
    }

    /// A `helm test` hook: `--skip-tests` leaves it out, `apply` never installs it.
    pub fn is_test(&self) -> bool {
        self.hook_events()
            .is_some_and(|events| events.iter().any(|e| e == "test" || e == "test-success"))
    }

    /// The document's checked objects: none for a document of comments only, the items of a
    /// `List` (as kubectl reads it; `helm template` prints the List as written), else one.
    pub fn objects(&self) -> Result<Vec<Object>> {
        let mut objects = Vec::new();
        if let Some(value) = &self.value {
            push_flattened(&self.source, self.line, value.clone(), &mut objects)?;
        }
        Ok(objects)
    }
}

/// The events of an object's `helm.sh/hook` annotation, trimmed and lowercased.
pub fn hook_events(value: &Value) -> Option<Vec<String>> {
    let annotation = value
        .pointer("/metadata/annotations")?
        .get(HOOK_ANNOTATION)?;
    let text = match annotation {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Some(
        text.split(',')
            .map(|event| event.trim().to_lowercase())
            .collect(),
    )
}

/// Splits the output of one template into documents as Helm 4.1's `SplitManifests` does: the
/// text is trimmed, split where `---` follows the start of the text or a line break (blanks
/// after the `---`, line breaks included, go with the separator, so `---\n---` leaves the
/// second `---` in the next document), and each document is trimmed. Returns each
/// document's byte offset in `text` and its text.
pub fn split_helm(text: &str) -> Vec<(usize, &str)> {
    // Go's RE2 `\s` is ASCII only: `[\t\n\f\r ]`.
    fn blank(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
    }
    let lead = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let bytes = trimmed.as_bytes();
    let skip_blanks = |mut k: usize| {
        while k < bytes.len() && blank(bytes[k]) {
            k += 1;
        }
        k
    };
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut i = 0;
    // `^---\s*`.
    if bytes.starts_with(b"---") {
        i = skip_blanks(3);
        piece_start = i;
    }
    // `\s*\n---\s*`: a run of blanks whose last one is a line break right before `---`
    // (the greedy `\s*` backs off to that line break, and `-` is no blank).
    while i < bytes.len() {
        if !blank(bytes[i]) {
            i += 1;
            continue;
        }
        let run_end = skip_blanks(i);
        if bytes[run_end - 1] == b'\n' && bytes[run_end..].starts_with(b"---") {
            pieces.push((piece_start, &trimmed[piece_start..i]));
            i = skip_blanks(run_end + 3);
            piece_start = i;
        } else {
            i = run_end;
        }
    }
    pieces.push((piece_start, &trimmed[piece_start..]));
    pieces
        .into_iter()
        .filter(|(_, piece)| !piece.is_empty())
        .map(|(offset, piece)| {
            let inner = piece.len() - piece.trim_start().len();
            (lead + offset + inner, piece.trim())
        })
        .collect()
}

/// Helm's `SortManifests` over rendered templates (template name, text): documents of every
/// template but partials and blank ones, in name order, each parsed (a document must be a
/// map, or empty); documents whose `helm.sh/hook` names an unknown event are dropped, as Helm
/// drops them; then the other documents by kind in install order, then the hooks by kind.
pub fn sort_manifests(files: &[(String, String)]) -> Result<Vec<Document>> {
    let mut files: Vec<&(String, String)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut documents = Vec::new();
    for (name, text) in files {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') || text.trim().is_empty() {
            continue;
        }
        documents.extend(parse_documents(name, text)?);
    }
    Ok(order_documents(documents))
}

/// The ordering half of [`sort_manifests`], for documents already parsed in template-name
/// order: hooks with an unknown event dropped, the others by kind, then the hooks by kind.
pub fn order_documents(documents: Vec<Document>) -> Vec<Document> {
    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    for document in documents {
        match document.hook_events() {
            None => generic.push(document),
            Some(events) if events.iter().all(|e| HOOK_EVENTS.contains(&e.as_str())) => {
                hooks.push(document)
            }
            Some(events) => crate::verbose!(
                "skipping a document of {} with unknown hook events `{}`",
                document.source,
                events.join(",")
            ),
        }
    }
    sort_documents(&mut generic);
    sort_documents(&mut hooks);
    generic.extend(hooks);
    generic
}

/// The documents of one template's output, split and parsed as Helm does.
pub fn parse_documents(source: &str, text: &str) -> Result<Vec<Document>> {
    split_lines(text)
        .into_iter()
        .map(|(line, doc)| parse_document(source, text, line, doc))
        .collect()
}

/// [`split_helm`] with the 1-based line of the output each document starts on (counted once,
/// front to back).
pub fn split_lines(text: &str) -> Vec<(usize, &str)> {
    let (mut line, mut counted) = (1, 0);
    split_helm(text)
        .into_iter()
        .map(|(offset, doc)| {
            line += text[counted..offset].matches('\n').count();
            counted = offset;
            (line, doc)
        })
        .collect()
}

/// One document of a template's output (`text`), starting on `line`, parsed.
pub fn parse_document(source: &str, text: &str, line: usize, doc: &str) -> Result<Document> {
    let value: Value = yaml::value_from_str(doc).map_err(|err| {
        let (at, message) = yaml::error_position(&err);
        let line = line + at.saturating_sub(1);
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
    let value = match value {
        Value::Null => None,
        Value::Object(_) => Some(value),
        other => {
            return Err(Error::NotAnObject {
                source_name: source.to_owned(),
                line,
                found: type_name(&other),
            });
        }
    };
    Ok(Document {
        source: source.to_owned(),
        text: doc.to_owned(),
        value,
        line,
    })
}

/// Documents from objects that no template text stands for (a post-renderer's output): the
/// text is the object printed as YAML.
pub fn documents_from_objects(objects: Vec<Object>) -> Vec<Document> {
    objects
        .into_iter()
        .map(|object| {
            let text = yaml::to_string(&object.value).trim_end().to_owned();
            Document {
                source: object.source,
                text,
                value: Some(object.value),
                line: 1,
            }
        })
        .collect()
}

/// A file of a chart's `crds/` folder: applied before anything else, never templated, printed
/// by `template --include-crds` as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdFile {
    /// `web/crds/widgets.yaml` (`parent/charts/sub/crds/x.yaml` for a subchart's).
    pub source: String,
    pub text: String,
}

/// What `helm template` prints, byte for byte: with `include_crds` the CRD files first, then
/// the documents that are not hooks, then the hooks (but test hooks with `skip_tests`), each
/// as `---`, `# Source: <template>` and the text.
pub fn template_output(
    documents: &[Document],
    crds: &[CrdFile],
    include_crds: bool,
    skip_tests: bool,
) -> String {
    let mut manifest = String::new();
    if include_crds {
        for crd in crds {
            push_document(&mut manifest, &crd.source, &crd.text);
        }
    }
    let (hooks, generic): (Vec<&Document>, Vec<&Document>) =
        documents.iter().partition(|d| d.hook_events().is_some());
    for document in generic {
        push_document(&mut manifest, &document.source, &document.text);
    }
    let mut out = manifest.trim().to_owned();
    out.push('\n');
    for hook in hooks {
        if skip_tests && hook.is_test() {
            continue;
        }
        push_document(&mut out, &hook.source, &hook.text);
    }
    out
}

fn push_document(out: &mut String, source: &str, text: &str) {
    out.push_str("---\n# Source: ");
    out.push_str(source);
    out.push('\n');
    out.push_str(text);
    out.push('\n');
}

/// `helm template --show-only`: the documents of `output` whose `# Source:` path, without
/// the top chart's name, matches a pattern (Go's `filepath.Match`), pattern by pattern, each
/// printed as `---` and the document. Err names a pattern that matches nothing.
pub fn show_only(output: &str, patterns: &[String]) -> std::result::Result<String, String> {
    let documents: Vec<&str> = split_helm(output).into_iter().map(|(_, d)| d).collect();
    let mut selected = Vec::new();
    for pattern in patterns {
        let pattern = pattern.replace('\\', "/");
        let mut found = false;
        for document in &documents {
            // Helm's `# Source: [^/]+/(.+)`, the first match anywhere in the document.
            let Some(path) = source_path(document) else {
                continue;
            };
            if crate::chart::glob::matches(&pattern, path).unwrap_or(false) {
                selected.push(*document);
                found = true;
            }
        }
        if !found {
            return Err(pattern);
        }
    }
    let mut out = String::new();
    for document in selected {
        out.push_str("---\n");
        out.push_str(document);
        out.push('\n');
    }
    Ok(out)
}

/// The path after the chart name in the first `# Source: CHART/PATH` of a document.
fn source_path(document: &str) -> Option<&str> {
    let mut rest = document;
    while let Some(at) = rest.find("# Source: ") {
        let after = &rest[at + "# Source: ".len()..];
        // `[^/]+` may span lines; `(.+)` stops at the end of the line.
        if let Some(slash) = after.find('/')
            && slash > 0
        {
            let path = &after[slash + 1..];
            let path = path.split('\n').next().unwrap_or(path);
            if !path.is_empty() {
                return Some(path);
            }
        }
        rest = &rest[at + 1..];
    }
    None
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

/// Helm's `lessByKind`: install rank, unknown kinds last and among themselves by name.
fn compare_kinds(ka: &str, kb: &str) -> std::cmp::Ordering {
    install_rank(ka).cmp(&install_rank(kb)).then_with(|| {
        if install_rank(ka) == INSTALL_ORDER.len() {
            ka.cmp(kb)
        } else {
            std::cmp::Ordering::Equal
        }
    })
}

/// Sorts objects into Helm's install order. The sort is stable: objects of the same kind keep
/// the order they were rendered in (template path, then position in the template).
pub fn sort_for_install(objects: &mut [Object]) {
    objects.sort_by(|a, b| compare_kinds(a.kind(), b.kind()));
}

/// Sorts documents into Helm's install order, stably.
pub fn sort_documents(documents: &mut [Document]) {
    documents.sort_by(|a, b| compare_kinds(a.kind(), b.kind()));
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
            StreamDocument {
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

    #[test]
    fn splits_as_helm_4_1_does() {
        // (rendered text, documents), after Helm 4.1's `(?:^|\s*\n)---\s*` split.
        let cases: &[(&str, &[&str])] = &[
            ("a: 1\n---\nb: 2\n", &["a: 1", "b: 2"]),
            ("\n\n  a: 1  \n\n---   \n\n b: 2\n\n", &["a: 1", "b: 2"]),
            ("---\na: 1", &["a: 1"]),
            // The blanks after a separator take the line break a second `---` needed.
            ("---\n---\na: 1", &["---\na: 1"]),
            ("a: 1\n---\n---\nb: 2", &["a: 1", "---\nb: 2"]),
            ("a: 1\n---b: 2", &["a: 1", "b: 2"]),
            ("a: 1\n----\nb: 2", &["a: 1", "-\nb: 2"]),
            ("a: 1\n  ---\nb: 2", &["a: 1\n  ---\nb: 2"]),
            ("a: '---'\n--- # c\nb", &["a: '---'", "# c\nb"]),
            ("a: 1\n---", &["a: 1"]),
            ("   \n\n", &[]),
            ("---", &[]),
        ];
        for (text, expected) in cases {
            let docs: Vec<&str> = split_helm(text).into_iter().map(|(_, d)| d).collect();
            assert_eq!(docs, *expected, "{text:?}");
        }
        // Offsets point into the original text.
        let text = "\n\nx: 1\n---\n\ny: 2";
        let offsets: Vec<usize> = split_helm(text).into_iter().map(|(o, _)| o).collect();
        assert_eq!(offsets, [2, 12]);
        assert_eq!(&text[12..], "y: 2");
    }

    fn file(name: &str, text: &str) -> (String, String) {
        (name.to_owned(), text.to_owned())
    }

    const HOOKS: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations:\n    \"helm.sh/hook\": \" Pre-Install , post-upgrade\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unknown\n  annotations:\n    helm.sh/hook: pre-install,bogus\n---\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: afterdouble\n";

    #[test]
    fn template_output_is_helms() {
        // The chart of this test, rendered by helm v4.1.4: `helm template r ./e`.
        let documents = sort_manifests(&[
            file("e/templates/hooks.yaml", HOOKS),
            file("e/templates/_helpers.tpl", "ignored: partial"),
            file("e/templates/blank.yaml", "\n  \n"),
        ])
        .unwrap();
        let crds = [
            CrdFile {
                source: "e/crds/a.yaml".into(),
                text: "\n\nkind: CRD\n\n\n".into(),
            },
            CrdFile {
                source: "e/charts/sub/crds/c.yaml".into(),
                text: "kind: SubCRD\n---\nkind: Second\n".into(),
            },
        ];
        let plain = template_output(&documents, &crds, false, false);
        assert_eq!(
            plain,
            "---\n# Source: e/templates/hooks.yaml\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: afterdouble\n---\n# Source: e/templates/hooks.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations:\n    \"helm.sh/hook\": \" Pre-Install , post-upgrade\"\n---\n# Source: e/templates/hooks.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"
        );
        // `--include-crds --skip-tests`.
        let with_crds = template_output(&documents, &crds, true, true);
        assert_eq!(
            with_crds,
            "---\n# Source: e/crds/a.yaml\n\n\nkind: CRD\n\n\n\n---\n# Source: e/charts/sub/crds/c.yaml\nkind: SubCRD\n---\nkind: Second\n\n---\n# Source: e/templates/hooks.yaml\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: afterdouble\n---\n# Source: e/templates/hooks.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations:\n    \"helm.sh/hook\": \" Pre-Install , post-upgrade\"\n"
        );
        // `--include-crds -s crds/a.yaml -s 'charts/sub/crds/*' -s templates/hooks.yaml`.
        let all = template_output(&documents, &crds, true, false);
        let shown = show_only(
            &all,
            &[
                "crds/a.yaml".into(),
                "charts/sub/crds/*".into(),
                "templates/hooks.yaml".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            shown,
            "---\n# Source: e/crds/a.yaml\n\n\nkind: CRD\n---\n# Source: e/charts/sub/crds/c.yaml\nkind: SubCRD\n---\n# Source: e/templates/hooks.yaml\n---\n# Source: e/templates/hooks.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations:\n    \"helm.sh/hook\": \" Pre-Install , post-upgrade\"\n---\n# Source: e/templates/hooks.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"
        );
        assert_eq!(
            show_only(&all, &["templates/nothing.yaml".into()]),
            Err("templates/nothing.yaml".to_owned())
        );
        // Nothing rendered prints one empty line, as helm does.
        assert_eq!(template_output(&[], &[], false, false), "\n");
    }

    #[test]
    fn documents_order_kinds_then_hooks() {
        let text = "kind: Deployment\nmetadata: {name: d}\n---\n# only a comment\n---\nkind: Zebra\n---\nkind: Service\n---\nkind: Apple\n---\nkind: Job\nmetadata: {annotations: {helm.sh/hook: post-install}}\n---\nkind: ConfigMap\nmetadata: {annotations: {helm.sh/hook: pre-install}}\n";
        let documents = sort_manifests(&[
            file("c/templates/b.yaml", text),
            file(
                "c/templates/a.yaml",
                "kind: Deployment\nmetadata: {name: first}\n",
            ),
        ])
        .unwrap();
        let order: Vec<(&str, &str)> = documents
            .iter()
            .map(|d| (d.source.as_str(), d.kind()))
            .collect();
        assert_eq!(
            order,
            [
                ("c/templates/b.yaml", "Service"),
                ("c/templates/a.yaml", "Deployment"),
                ("c/templates/b.yaml", "Deployment"),
                ("c/templates/b.yaml", ""),
                ("c/templates/b.yaml", "Apple"),
                ("c/templates/b.yaml", "Zebra"),
                ("c/templates/b.yaml", "ConfigMap"),
                ("c/templates/b.yaml", "Job"),
            ]
        );
        assert_eq!(documents[3].value, None);
        assert_eq!(documents[3].text, "# only a comment");
        assert!(documents[3].objects().unwrap().is_empty());
        assert_eq!(documents[6].hook_events().unwrap(), ["pre-install"]);
        // Kind-less documents print, but are no objects.
        assert!(documents[4].objects().is_err());
    }

    #[test]
    fn document_errors_name_the_template_and_line() {
        let err = sort_manifests(&[file("c/templates/x.yaml", "a: 1\n---\n\nb: [\n")]).unwrap_err();
        match err {
            Error::Yaml {
                source_name, line, ..
            } => {
                assert_eq!(source_name, "c/templates/x.yaml");
                assert!(line >= 4, "{line}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let err = sort_manifests(&[file("c/templates/x.yaml", "a: 1\n---\n- b\n")]).unwrap_err();
        assert!(matches!(err, Error::NotAnObject { line: 3, .. }), "{err:?}");
    }
}
