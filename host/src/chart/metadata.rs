//! `Chart.yaml` (and the `requirements.yaml` and `Chart.lock` files of older charts): the
//! metadata of a chart and its dependencies, read exactly as Helm reads them.
//!
//! Helm decodes `Chart.yaml` with `sigs.k8s.io/yaml` into a Go struct, which has visible
//! consequences that charts rely on, kept here:
//! - keys match field names exactly or, failing that, ignoring ASCII case (`AppVersion:`
//!   sets `appVersion`); unknown keys are ignored;
//! - a number or boolean written where a string is expected becomes a string the way go-yaml
//!   printed it: `appVersion: 1.10` is `"1.1"` (a `float32`'s shortest digits), `version: 1`
//!   is `"1"`;
//! - `Validate` then turns every whitespace character in the descriptive fields into a space
//!   and drops unprintable ones (a folded `description:` ends in a space), defaults a missing
//!   `apiVersion` to `v1`, and checks names, versions, the type and dependency aliases.
//!
//! Templates see the metadata as Helm's `MetadataAsMap` builds it: Go field names
//! (`.Chart.AppVersion`, `.Chart.APIVersion`), every field present ([`Metadata::to_go_map`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::constraint;
use super::values_yaml;

/// The chart API versions Helm 4 loads with its v2 chart model.
pub const API_V1: &str = "v1";
pub const API_V2: &str = "v2";

/// Why a `Chart.yaml` (or `requirements.yaml`, `Chart.lock`) could not be read; the caller
/// adds the file's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("line {line}: {message}")]
    Yaml { line: usize, message: String },
    #[error("{0}")]
    Decode(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A maintainer of a chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintainer {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// One entry of `dependencies:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// The chart's name, as in its own `Chart.yaml`.
    pub name: String,
    /// A version or a range (`^1.2.0`, `>=1.0.0 <2.0.0`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// `https://...`, `oci://...`, `file://../dep` or `@repo-name`.
    #[serde(default)]
    pub repository: String,
    /// Comma-separated values paths; the first that is a boolean decides.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Set while dependencies are processed; Helm writes it back into the metadata.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enabled: bool,
    /// Strings (`exports.NAME` of the child) or `{child: a.b, parent: c}` maps.
    #[serde(
        default,
        rename = "import-values",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

impl Dependency {
    /// The name the dependency goes by in the parent: its alias, else its name.
    pub fn effective_name(&self) -> &str {
        if self.alias.is_empty() {
            &self.name
        } else {
            &self.alias
        }
    }
}

/// `Chart.yaml`. String fields are empty when absent, as in Helm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `application` (or empty) or `library`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub chart_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// `None` when `Chart.yaml` has no `dependencies:` key, which Helm treats differently
    /// from an empty list (no dependency processing at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// `None` when absent, which templates see as a nil map (`toJson` prints `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Helm's v1 `condition` field (unused by Helm itself, kept for `.Chart.Condition`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// Helm's v1 `tags` field: one string.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    /// kubectl-chart's own field: the engine that renders the templates. Absent means Go
    /// templates (Helm's language); `handlebars`, or the name of a WebAssembly renderer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renderer: Option<String>,
}

/// The field kinds of Go structs decoded here, for the decoder below.
enum Kind {
    Str,
    Bool,
    Strings,
    StringMap,
    Any,
}

impl Metadata {
    /// Reads `Chart.yaml` (the first YAML document, as go-yaml does) and validates it as Helm's
    /// loader does, `apiVersion` defaulting to `v1`.
    pub fn parse(bytes: &[u8]) -> Result<Metadata> {
        let value = values_yaml::parse_typed(bytes).map_err(|err| Error::Yaml {
            line: err.line,
            message: err.message,
        })?;
        let mut metadata = Metadata::default();
        metadata.merge_yaml(&value)?;
        if metadata.api_version.is_empty() {
            metadata.api_version = API_V1.to_owned();
        }
        metadata.validate()?;
        Ok(metadata)
    }

    /// Decodes a YAML document over this metadata, as `yaml.Unmarshal` into an existing struct
    /// does (fields absent from the document keep their value): Helm reads `requirements.yaml`
    /// of v1 charts this way.
    pub fn merge_yaml(&mut self, value: &Value) -> Result<()> {
        let map = match value {
            Value::Null => return Ok(()),
            Value::Object(map) => map,
            other => {
                return Err(Error::Decode(format!(
                    "the file must be a map of fields, not {}",
                    describe(other)
                )));
            }
        };
        const FIELDS: &[(&str, Kind)] = &[
            ("name", Kind::Str),
            ("home", Kind::Str),
            ("sources", Kind::Strings),
            ("version", Kind::Str),
            ("description", Kind::Str),
            ("keywords", Kind::Strings),
            ("maintainers", Kind::Any),
            ("icon", Kind::Str),
            ("apiVersion", Kind::Str),
            ("condition", Kind::Str),
            ("tags", Kind::Str),
            ("appVersion", Kind::Str),
            ("deprecated", Kind::Bool),
            ("annotations", Kind::StringMap),
            ("kubeVersion", Kind::Str),
            ("dependencies", Kind::Any),
            ("type", Kind::Str),
            ("renderer", Kind::Str),
        ];
        for (field, value) in matched_fields(map, FIELDS) {
            let at = |what: &str| format!("Chart.yaml field `{field}`: {what}");
            match field {
                "name" => set_string(&mut self.name, value, &at)?,
                "home" => set_string(&mut self.home, value, &at)?,
                "sources" => set_strings(&mut self.sources, value, &at)?,
                "version" => set_string(&mut self.version, value, &at)?,
                "description" => set_string(&mut self.description, value, &at)?,
                "keywords" => set_strings(&mut self.keywords, value, &at)?,
                "maintainers" => self.maintainers = maintainers(value, &at)?,
                "icon" => set_string(&mut self.icon, value, &at)?,
                "apiVersion" => set_string(&mut self.api_version, value, &at)?,
                "condition" => set_string(&mut self.condition, value, &at)?,
                "tags" => set_string(&mut self.tags, value, &at)?,
                "appVersion" => set_string(&mut self.app_version, value, &at)?,
                "deprecated" => set_bool(&mut self.deprecated, value, &at)?,
                "annotations" => self.annotations = string_map(value, &at)?,
                "kubeVersion" => set_string(&mut self.kube_version, value, &at)?,
                "dependencies" => self.dependencies = dependencies(value, &at)?,
                "type" => set_string(&mut self.chart_type, value, &at)?,
                "renderer" => {
                    let mut renderer = self.renderer.clone().unwrap_or_default();
                    set_string(&mut renderer, value, &at)?;
                    self.renderer = (!value.is_null()).then_some(renderer);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate`: sanitises the descriptive strings, then checks the fields.
    pub fn validate(&mut self) -> Result<()> {
        for field in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            sanitize(field);
        }
        self.sources.iter_mut().for_each(sanitize);
        self.keywords.iter_mut().for_each(sanitize);
        let invalid = |message: String| Err(Error::Invalid(message));
        if self.api_version.is_empty() {
            return invalid("chart.metadata.apiVersion is required".to_owned());
        }
        if self.name.is_empty() {
            return invalid("chart.metadata.name is required".to_owned());
        }
        if self.name == "." || self.name == ".." {
            return invalid(format!(
                "chart.metadata.name {:?} is not allowed",
                self.name
            ));
        }
        if self.name.contains('/') || self.name.contains('\\') {
            return invalid(format!("chart.metadata.name {:?} is invalid", self.name));
        }
        if self.version.is_empty() {
            return invalid("chart.metadata.version is required".to_owned());
        }
        if constraint::parse_version(&self.version).is_err() {
            return invalid(format!(
                "chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return invalid("chart.metadata.type must be application or library".to_owned());
        }
        for maintainer in &mut self.maintainers {
            sanitize(&mut maintainer.name);
            sanitize(&mut maintainer.email);
            sanitize(&mut maintainer.url);
        }
        let mut seen = std::collections::HashSet::new();
        for dependency in self.dependencies.iter_mut().flatten() {
            sanitize(&mut dependency.name);
            sanitize(&mut dependency.version);
            sanitize(&mut dependency.repository);
            sanitize(&mut dependency.condition);
            dependency.tags.iter_mut().for_each(sanitize);
            if !dependency.alias.is_empty()
                && !dependency
                    .alias
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return invalid(format!(
                    "dependency {:?} has disallowed characters in the alias",
                    dependency.name
                ));
            }
            let key = dependency.effective_name().to_owned();
            if !seen.insert(key.clone()) {
                return invalid(format!(
                    "more than one dependency with name or alias {key:?}"
                ));
            }
        }
        Ok(())
    }

    /// Whether this is a library chart, which provides named templates and renders nothing.
    pub fn is_library(&self) -> bool {
        self.chart_type.eq_ignore_ascii_case("library")
    }

    /// `.Chart` as Helm's templates see it (`MetadataAsMap`): Go field names, every field,
    /// empty lists for absent lists. kubectl-chart's `renderer` is not a Helm field and is
    /// left out.
    pub fn to_go_map(&self) -> Map<String, Value> {
        let strings =
            |items: &[String]| Value::Array(items.iter().cloned().map(Value::from).collect());
        let mut map = Map::new();
        map.insert("Name".into(), self.name.clone().into());
        map.insert("Home".into(), self.home.clone().into());
        map.insert("Sources".into(), strings(&self.sources));
        map.insert("Version".into(), self.version.clone().into());
        map.insert("Description".into(), self.description.clone().into());
        map.insert("Keywords".into(), strings(&self.keywords));
        map.insert(
            "Maintainers".into(),
            Value::Array(
                self.maintainers
                    .iter()
                    .map(|m| {
                        let mut entry = Map::new();
                        entry.insert("Name".into(), m.name.clone().into());
                        entry.insert("Email".into(), m.email.clone().into());
                        entry.insert("URL".into(), m.url.clone().into());
                        Value::Object(entry)
                    })
                    .collect(),
            ),
        );
        map.insert("Icon".into(), self.icon.clone().into());
        map.insert("APIVersion".into(), self.api_version.clone().into());
        map.insert("Condition".into(), self.condition.clone().into());
        map.insert("Tags".into(), self.tags.clone().into());
        map.insert("AppVersion".into(), self.app_version.clone().into());
        map.insert("Deprecated".into(), self.deprecated.into());
        map.insert(
            "Annotations".into(),
            self.annotations
                .as_ref()
                .map_or(Value::Null, |annotations| {
                    Value::Object(
                        annotations
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                            .collect(),
                    )
                }),
        );
        map.insert("KubeVersion".into(), self.kube_version.clone().into());
        map.insert(
            "Dependencies".into(),
            Value::Array(
                self.dependencies
                    .iter()
                    .flatten()
                    .map(|d| {
                        let mut entry = Map::new();
                        entry.insert("Name".into(), d.name.clone().into());
                        entry.insert("Version".into(), d.version.clone().into());
                        entry.insert("Repository".into(), d.repository.clone().into());
                        entry.insert("Condition".into(), d.condition.clone().into());
                        entry.insert("Tags".into(), strings(&d.tags));
                        entry.insert("Enabled".into(), d.enabled.into());
                        entry.insert("ImportValues".into(), Value::Array(d.import_values.clone()));
                        entry.insert("Alias".into(), d.alias.clone().into());
                        Value::Object(entry)
                    })
                    .collect(),
            ),
        );
        map.insert("Type".into(), self.chart_type.clone().into());
        map
    }
}

/// `Chart.lock` (or a v1 chart's `requirements.lock`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// When the lock was written, RFC 3339 as Go prints a `time.Time`.
    #[serde(default)]
    pub generated: String,
    /// `sha256:` of the dependencies and their resolved versions.
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
}

impl Lock {
    pub fn parse(bytes: &[u8]) -> Result<Lock> {
        let value = values_yaml::parse_typed(bytes).map_err(|err| Error::Yaml {
            line: err.line,
            message: err.message,
        })?;
        let mut lock = Lock::default();
        let Value::Object(map) = &value else {
            return if value.is_null() {
                Ok(lock)
            } else {
                Err(Error::Decode("the lock must be a map".to_owned()))
            };
        };
        const FIELDS: &[(&str, Kind)] = &[
            ("generated", Kind::Str),
            ("digest", Kind::Str),
            ("dependencies", Kind::Any),
        ];
        for (field, value) in matched_fields(map, FIELDS) {
            let at = |what: &str| format!("lock field `{field}`: {what}");
            match field {
                "generated" => set_string(&mut lock.generated, value, &at)?,
                "digest" => set_string(&mut lock.digest, value, &at)?,
                "dependencies" => lock.dependencies = dependencies(value, &at)?.unwrap_or_default(),
                _ => {}
            }
        }
        Ok(lock)
    }
}

/// The fields of `map` that go to a struct field, in the order Go's decoder sets them: the
/// JSON text it decodes has sorted keys, each key sets the field named exactly like it or,
/// failing that, the one equal ignoring ASCII case; a later key wins.
fn matched_fields<'a>(
    map: &'a Map<String, Value>,
    fields: &'static [(&'static str, Kind)],
) -> Vec<(&'static str, &'a Value)> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|key| {
            let field = fields
                .iter()
                .find(|(name, _)| *name == key.as_str())
                .or_else(|| {
                    fields
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(key))
                })?;
            Some((field.0, &map[key.as_str()]))
        })
        .collect()
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// A scalar decoded into a Go `string`: numbers and booleans as go-yaml printed them.
fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) if n.is_f64() => n.as_f64().map(values_yaml::format_float32_g),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Go `string` field: `null` leaves it as it was.
fn set_string(target: &mut String, value: &Value, at: &dyn Fn(&str) -> String) -> Result<()> {
    if value.is_null() {
        return Ok(());
    }
    *target = scalar_string(value).ok_or_else(|| {
        Error::Decode(at(&format!("expected a string, found {}", describe(value))))
    })?;
    Ok(())
}

fn set_bool(target: &mut bool, value: &Value, at: &dyn Fn(&str) -> String) -> Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(b) => {
            *target = *b;
            Ok(())
        }
        other => Err(Error::Decode(at(&format!(
            "expected a boolean, found {}",
            describe(other)
        )))),
    }
}

/// A Go `[]string` field: `null` is an empty list, a `null` item an empty string.
fn set_strings(target: &mut Vec<String>, value: &Value, at: &dyn Fn(&str) -> String) -> Result<()> {
    *target = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(String::new()),
                other => scalar_string(other).ok_or_else(|| {
                    Error::Decode(at(&format!(
                        "expected a list of strings, found {} in it",
                        describe(other)
                    )))
                }),
            })
            .collect::<Result<_>>()?,
        other => {
            return Err(Error::Decode(at(&format!(
                "expected a list of strings, found {}",
                describe(other)
            ))));
        }
    };
    Ok(())
}

/// A Go `map[string]string` field: `null` is a nil map.
fn string_map(
    value: &Value,
    at: &dyn Fn(&str) -> String,
) -> Result<Option<BTreeMap<String, String>>> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => map
            .iter()
            .map(|(key, item)| {
                let text = match item {
                    Value::Null => String::new(),
                    other => scalar_string(other).ok_or_else(|| {
                        Error::Decode(at(&format!(
                            "`{key}` must be a string, found {}",
                            describe(other)
                        )))
                    })?,
                };
                Ok((key.clone(), text))
            })
            .collect::<Result<_>>()
            .map(Some),
        other => Err(Error::Decode(at(&format!(
            "expected a map of strings, found {}",
            describe(other)
        )))),
    }
}

fn maintainers(value: &Value, at: &dyn Fn(&str) -> String) -> Result<Vec<Maintainer>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(Error::Decode(at(&format!(
                "expected a list, found {}",
                describe(other)
            ))));
        }
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(map) = item else {
                return Err(if item.is_null() {
                    Error::Invalid("maintainers must not contain empty or null nodes".to_owned())
                } else {
                    Error::Decode(at(&format!("expected maps, found {}", describe(item))))
                });
            };
            const FIELDS: &[(&str, Kind)] = &[
                ("name", Kind::Str),
                ("email", Kind::Str),
                ("url", Kind::Str),
            ];
            let mut maintainer = Maintainer::default();
            for (field, value) in matched_fields(map, FIELDS) {
                let target = match field {
                    "name" => &mut maintainer.name,
                    "email" => &mut maintainer.email,
                    _ => &mut maintainer.url,
                };
                set_string(target, value, at)?;
            }
            Ok(maintainer)
        })
        .collect()
}

fn dependencies(value: &Value, at: &dyn Fn(&str) -> String) -> Result<Option<Vec<Dependency>>> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        other => {
            return Err(Error::Decode(at(&format!(
                "expected a list, found {}",
                describe(other)
            ))));
        }
    };
    const FIELDS: &[(&str, Kind)] = &[
        ("name", Kind::Str),
        ("version", Kind::Str),
        ("repository", Kind::Str),
        ("condition", Kind::Str),
        ("tags", Kind::Strings),
        ("enabled", Kind::Bool),
        ("import-values", Kind::Any),
        ("alias", Kind::Str),
    ];
    items
        .iter()
        .map(|item| {
            let Value::Object(map) = item else {
                return Err(if item.is_null() {
                    Error::Invalid("dependencies must not contain empty or null nodes".to_owned())
                } else {
                    Error::Decode(at(&format!("expected maps, found {}", describe(item))))
                });
            };
            let mut dependency = Dependency::default();
            for (field, value) in matched_fields(map, FIELDS) {
                match field {
                    "name" => set_string(&mut dependency.name, value, at)?,
                    "version" => set_string(&mut dependency.version, value, at)?,
                    "repository" => set_string(&mut dependency.repository, value, at)?,
                    "condition" => set_string(&mut dependency.condition, value, at)?,
                    "tags" => set_strings(&mut dependency.tags, value, at)?,
                    "enabled" => set_bool(&mut dependency.enabled, value, at)?,
                    "import-values" => {
                        dependency.import_values = match value {
                            Value::Null => Vec::new(),
                            Value::Array(items) => items.clone(),
                            other => {
                                return Err(Error::Decode(at(&format!(
                                    "import-values must be a list, found {}",
                                    describe(other)
                                ))));
                            }
                        }
                    }
                    _ => set_string(&mut dependency.alias, value, at)?,
                }
            }
            Ok(dependency)
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Helm's `sanitizeString`: whitespace becomes a space, unprintable characters go.
fn sanitize(text: &mut String) {
    if text
        .chars()
        .all(|c| c == ' ' || (!c.is_whitespace() && !c.is_control()))
    {
        return;
    }
    *text = text
        .chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Metadata> {
        Metadata::parse(text.as_bytes())
    }

    #[test]
    fn scalars_in_string_fields_print_as_go_yaml_printed_them() {
        // Checked with helm v4.1.4: `{{ .Chart.AppVersion }}` for each `appVersion:`.
        let cases = [
            ("1.10", "1.1"),
            ("1.0", "1"),
            ("1", "1"),
            ("010", "8"),
            ("1e6", "1e+06"),
            ("0.1", "0.1"),
            ("16777217.0", "1.6777216e+07"),
            ("true", "true"),
            ("yes", "true"),
            ("'1.10'", "1.10"),
            ("v1.2.3", "v1.2.3"),
        ];
        for (yaml, expected) in cases {
            let m = parse(&format!(
                "apiVersion: v2\nname: c\nversion: 0.1.0\nappVersion: {yaml}\n"
            ))
            .unwrap();
            assert_eq!(m.app_version, expected, "{yaml}");
        }
    }

    #[test]
    fn keys_match_ignoring_case_and_unknown_keys_are_ignored() {
        let m = parse("APIVERSION: v2\nName: c\nversion: 0.1.0\nAppVersion: '2'\nextra: [1]\n")
            .unwrap();
        assert_eq!((m.api_version.as_str(), m.name.as_str()), ("v2", "c"));
        assert_eq!(m.app_version, "2");
        // The exactly named key is sorted after the capitalised one, so it wins.
        let m = parse("apiVersion: v2\nname: c\nversion: 0.1.0\nappVersion: a\nAppVersion: b\n")
            .unwrap();
        assert_eq!(m.app_version, "a");
    }

    #[test]
    fn descriptive_fields_are_sanitised() {
        let m = parse(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndescription: |\n  multi\n  line\ttab\n",
        )
        .unwrap();
        assert_eq!(m.description, "multi line tab ");
    }

    #[test]
    fn missing_api_version_is_v1() {
        let m = parse("name: c\nversion: 1.0.0\n").unwrap();
        assert_eq!(m.api_version, "v1");
    }

    #[test]
    fn invalid_metadata() {
        let cases = [
            ("apiVersion: v2\nversion: 1.0.0\n", "name is required"),
            ("apiVersion: v2\nname: c\n", "version is required"),
            (
                "apiVersion: v2\nname: c\nversion: one\n",
                "version \"one\" is invalid",
            ),
            (
                "apiVersion: v2\nname: ..\nversion: 1.0.0\n",
                "is not allowed",
            ),
            ("apiVersion: v2\nname: a/b\nversion: 1.0.0\n", "is invalid"),
            (
                "apiVersion: v2\nname: c\nversion: 1.0.0\ntype: app\n",
                "application or library",
            ),
            (
                "apiVersion: v2\nname: [c]\nversion: 1.0.0\n",
                "expected a string, found a list",
            ),
            (
                "apiVersion: v2\nname: c\nversion: 1.0.0\ndeprecated: 'yes'\n",
                "expected a boolean",
            ),
            (
                "apiVersion: v2\nname: c\nversion: 1.0.0\nmaintainers: [~]\n",
                "null nodes",
            ),
            (
                "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies: [{name: a, alias: 'x.y'}]\n",
                "disallowed characters in the alias",
            ),
            (
                "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies: [{name: a}, {name: b, alias: a}]\n",
                "more than one dependency with name or alias \"a\"",
            ),
            ("apiVersion: v2\nname: [c\n", "line"),
            ("- a\n", "must be a map"),
        ];
        for (text, expected) in cases {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn dependencies_and_annotations() {
        let m = parse(
            "apiVersion: v2\nname: c\nversion: 1.0.0\nannotations: {a: 1, b: x}\ndependencies:\n  - name: sub\n    version: ~1.2\n    repository: file://../sub\n    condition: sub.enabled,global.sub\n    tags: [front, 1]\n    import-values: [data, {child: a, parent: b}]\n    alias: other\n",
        )
        .unwrap();
        assert_eq!(m.annotations.as_ref().unwrap()["a"], "1");
        let deps = m.dependencies.as_ref().unwrap();
        assert_eq!(deps[0].tags, ["front", "1"]);
        assert_eq!(deps[0].effective_name(), "other");
        assert_eq!(
            deps[0].import_values[1],
            json!({"child": "a", "parent": "b"})
        );
        assert_eq!(
            parse("apiVersion: v2\nname: c\nversion: 1.0.0\n")
                .unwrap()
                .dependencies,
            None
        );
        assert_eq!(
            parse("apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies: []\n")
                .unwrap()
                .dependencies,
            Some(vec![])
        );
    }

    #[test]
    fn go_map_has_every_field_with_go_names() {
        let m = parse("apiVersion: v2\nname: c\nversion: 1.0.0\nrenderer: handlebars\n").unwrap();
        let map = m.to_go_map();
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "Name",
                "Home",
                "Sources",
                "Version",
                "Description",
                "Keywords",
                "Maintainers",
                "Icon",
                "APIVersion",
                "Condition",
                "Tags",
                "AppVersion",
                "Deprecated",
                "Annotations",
                "KubeVersion",
                "Dependencies",
                "Type"
            ]
        );
        assert_eq!(map["Sources"], json!([]));
        // Absent annotations are a nil map, as `toJson .Chart` shows in Helm.
        assert_eq!(map["Annotations"], Value::Null);
        assert_eq!(map["APIVersion"], "v2");
        assert_eq!(m.renderer.as_deref(), Some("handlebars"));
    }

    #[test]
    fn lock_files() {
        let lock = Lock::parse(
            b"dependencies:\n- name: sub\n  repository: file://../sub\n  version: 0.1.0\ndigest: sha256:abc\ngenerated: \"2024-01-02T03:04:05.123Z\"\n",
        )
        .unwrap();
        assert_eq!(lock.dependencies[0].version, "0.1.0");
        assert_eq!(lock.digest, "sha256:abc");
    }
}
