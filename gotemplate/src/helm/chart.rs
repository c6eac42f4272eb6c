//! `.Chart`: a chart's metadata as Helm 4 hands it to templates. Helm 4 converts its
//! `chart.Metadata` struct with `structToMap`, so `.Chart` is a plain
//! `map[string]interface{}` keyed by the Go field names (`Name`, `AppVersion`,
//! `Maintainers` with `Name`/`Email`/`URL`, ...), every field present (empty strings,
//! empty lists, `Annotations` nil when absent), plus `IsRoot`. A field that does not exist
//! (`.Chart.Foo`) is a missing map key, not an error.
//!
//! [`ChartMetadata::from_yaml`] reads `Chart.yaml` as Helm's loader does
//! (`sigs.k8s.io/yaml` into the struct): keys match JSON names without regard to case, a
//! number in a text field becomes its text (`appVersion: 1.10` is `"1.1"`, as a `float32`
//! prints), and `Validate` then replaces whitespace with spaces and drops unprintable
//! characters in the fields it sanitises.

use super::Error;
use crate::value::{Map, Value};

/// A maintainer (`maintainers:`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// A dependency (`dependencies:`), as Helm has it after processing them (the host applies
/// aliases, `enabled` and import-values before building `.Chart`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub import_values: Vec<Value>,
    pub alias: String,
}

/// `Chart.yaml`, as Helm's `chart.Metadata`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartMetadata {
    pub name: String,
    pub home: String,
    pub sources: Vec<String>,
    pub version: String,
    pub description: String,
    pub keywords: Vec<String>,
    /// `None` stands for a `null` item, which validation refuses.
    pub maintainers: Vec<Option<Maintainer>>,
    pub icon: String,
    pub api_version: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    /// `None` when `Chart.yaml` has no `annotations` (templates see nil).
    pub annotations: Option<Vec<(String, String)>>,
    pub kube_version: String,
    /// `None` stands for a `null` item, which validation refuses.
    pub dependencies: Vec<Option<Dependency>>,
    pub chart_type: String,
}

/// The JSON names of `chart.Metadata`'s fields.
const METADATA_FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];
const MAINTAINER_FIELDS: &[&str] = &["name", "email", "url"];
const DEPENDENCY_FIELDS: &[&str] = &[
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "enabled",
    "import-values",
    "alias",
];

/// The JSON kind of a value, as `encoding/json` names it in type errors.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) | Value::Float(_) => "number",
        Value::String(_) | Value::Bytes(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) | Value::Dict(_) | Value::Object(_) => "object",
    }
}

/// Where a value is going, for `encoding/json`'s type errors.
struct Field<'a> {
    strukt: &'a str,
    path: String,
}

impl Field<'_> {
    fn type_error(&self, value: &Value, go_type: &str) -> Error {
        Error::ChartYaml(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field {}.{} of type {go_type}",
            json_kind(value),
            self.strukt,
            self.path
        ))
    }

    /// A `string` field: YAML numbers and bools become their text (`sigs.k8s.io/yaml`
    /// does that before JSON sees them); `null` leaves it empty.
    fn string(&self, value: &Value) -> Result<String, Error> {
        Ok(match value {
            Value::Nil => String::new(),
            Value::String(s) => s.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) | Value::Int64(n) => n.to_string(),
            Value::Float(x) => float32_text(*x),
            other => return Err(self.type_error(other, "string")),
        })
    }

    fn strings(&self, value: &Value) -> Result<Vec<String>, Error> {
        match value {
            Value::Nil => Ok(Vec::new()),
            Value::List(items) => items.iter().map(|item| self.string(item)).collect(),
            other => Err(self.type_error(other, "[]string")),
        }
    }

    fn bool(&self, value: &Value) -> Result<bool, Error> {
        match value {
            Value::Nil => Ok(false),
            Value::Bool(b) => Ok(*b),
            other => Err(self.type_error(other, "bool")),
        }
    }

    fn list<'v>(&self, value: &'v Value, go_type: &str) -> Result<&'v [Value], Error> {
        match value {
            Value::Nil => Ok(&[]),
            Value::List(items) => Ok(items),
            other => Err(self.type_error(other, go_type)),
        }
    }
}

/// `strconv.FormatFloat(x, 'g', -1, 32)`.
fn float32_text(x: f64) -> String {
    let f = x as f32;
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        crate::encoding::yaml::float32_key(x)
    }
}

/// The value of each known field, matched as `encoding/json` matches object keys to
/// struct fields: an exact name, else the same name in another case; later keys win.
fn fields<'v>(map: &'v Map, names: &[&'static str]) -> Vec<(&'static str, &'v Value)> {
    let mut found: Vec<(&'static str, &'v Value)> = Vec::new();
    for (key, value) in map {
        let name = names
            .iter()
            .find(|n| **n == key.as_str())
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)));
        if let Some(name) = name {
            found.retain(|(n, _)| n != name);
            found.push((name, value));
        }
    }
    found
}

/// Go's `unicode.IsSpace`.
fn go_is_space(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (!c.is_ascii()
        && matches!(
            get_general_category(c),
            G::SpaceSeparator | G::LineSeparator | G::ParagraphSeparator
        ))
}

/// Helm's `sanitizeString`: whitespace becomes a space, unprintable characters go.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if go_is_space(c) {
                Some(' ')
            } else if crate::encoding::json::go_is_print(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

impl ChartMetadata {
    /// Reads `Chart.yaml` as Helm's loader does (an empty `apiVersion` becomes `v1`), and
    /// sanitises it as `Validate` does. Errors read as Helm's after
    /// `cannot load Chart.yaml: `.
    pub fn from_yaml(text: &str) -> Result<ChartMetadata, Error> {
        let value = crate::encoding::yaml::to_typed_value(text)
            .map_err(|err| Error::ChartYaml(format!("error converting YAML to JSON: {err}")))?;
        let mut metadata = ChartMetadata::from_value(&value)?;
        if metadata.api_version.is_empty() {
            metadata.api_version = "v1".to_owned();
        }
        metadata.sanitize();
        Ok(metadata)
    }

    /// Metadata from a decoded `Chart.yaml` (a map; numbers may be `int64` or `float64`),
    /// with `sigs.k8s.io/yaml`'s conversions and `encoding/json`'s type errors; not
    /// sanitised.
    pub fn from_value(value: &Value) -> Result<ChartMetadata, Error> {
        let mut m = ChartMetadata::default();
        let map = match value {
            Value::Nil => return Ok(m),
            Value::Map(map) => map,
            other => {
                return Err(Error::ChartYaml(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type chart.Metadata",
                    json_kind(other)
                )));
            }
        };
        for (name, value) in fields(map, METADATA_FIELDS) {
            let field = Field {
                strukt: "Metadata",
                path: name.to_owned(),
            };
            match name {
                "name" => m.name = field.string(value)?,
                "home" => m.home = field.string(value)?,
                "sources" => m.sources = field.strings(value)?,
                "version" => m.version = field.string(value)?,
                "description" => m.description = field.string(value)?,
                "keywords" => m.keywords = field.strings(value)?,
                "icon" => m.icon = field.string(value)?,
                "apiVersion" => m.api_version = field.string(value)?,
                "condition" => m.condition = field.string(value)?,
                "tags" => m.tags = field.string(value)?,
                "appVersion" => m.app_version = field.string(value)?,
                "deprecated" => m.deprecated = field.bool(value)?,
                "kubeVersion" => m.kube_version = field.string(value)?,
                "type" => m.chart_type = field.string(value)?,
                "annotations" => {
                    m.annotations = match value {
                        Value::Nil => None,
                        Value::Map(entries) => Some(
                            entries
                                .iter()
                                .map(|(k, v)| {
                                    let field = Field {
                                        strukt: "Metadata",
                                        path: format!("annotations.{k}"),
                                    };
                                    Ok((k.clone(), field.string(v)?))
                                })
                                .collect::<Result<_, Error>>()?,
                        ),
                        other => return Err(field.type_error(other, "map[string]string")),
                    }
                }
                "maintainers" => {
                    m.maintainers = field
                        .list(value, "[]*v2.Maintainer")?
                        .iter()
                        .map(maintainer)
                        .collect::<Result<_, Error>>()?;
                }
                "dependencies" => {
                    m.dependencies = field
                        .list(value, "[]*v2.Dependency")?
                        .iter()
                        .map(dependency)
                        .collect::<Result<_, Error>>()?;
                }
                _ => {}
            }
        }
        Ok(m)
    }

    /// `Validate`'s sanitising of the fields it cleans (not `version`, `apiVersion`,
    /// `type`, annotations or aliases).
    pub fn sanitize(&mut self) {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        for s in self.sources.iter_mut().chain(self.keywords.iter_mut()) {
            *s = sanitize(s);
        }
        for m in self.maintainers.iter_mut().flatten() {
            for s in [&mut m.name, &mut m.email, &mut m.url] {
                *s = sanitize(s);
            }
        }
        for d in self.dependencies.iter_mut().flatten() {
            for s in [
                &mut d.name,
                &mut d.version,
                &mut d.repository,
                &mut d.condition,
            ] {
                *s = sanitize(s);
            }
            for s in &mut d.tags {
                *s = sanitize(s);
            }
        }
    }

    /// The checks of Helm's `Validate` that concern the metadata's shape (the version's
    /// semver syntax is the chart loader's to check).
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |message: String| Err(Error::Validation(message));
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
        if self.name.contains('/') {
            return invalid(format!("chart.metadata.name {:?} is invalid", self.name));
        }
        if self.version.is_empty() {
            return invalid("chart.metadata.version is required".to_owned());
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return invalid("chart.metadata.type must be application or library".to_owned());
        }
        if self.maintainers.iter().any(Option::is_none) {
            return invalid("maintainers must not contain empty or null nodes".to_owned());
        }
        let mut seen = std::collections::BTreeSet::new();
        for dependency in &self.dependencies {
            let Some(d) = dependency else {
                return invalid("dependencies must not contain empty or null nodes".to_owned());
            };
            if !d.alias.is_empty()
                && !d
                    .alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return invalid(format!(
                    "dependency {:?} has disallowed characters in the alias",
                    d.name
                ));
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if !seen.insert(key.clone()) {
                return invalid(format!(
                    "more than one dependency with name or alias {key:?}"
                ));
            }
        }
        Ok(())
    }

    /// `.Chart`: Helm 4's `MetadataAsMap` plus `IsRoot`.
    pub fn to_value(&self, is_root: bool) -> Value {
        let s = |s: &str| Value::from(s);
        let strings = |items: &[String]| Value::list(items.iter().map(|i| s(i)).collect());
        let mut map = Map::new();
        map.insert("Name".into(), s(&self.name));
        map.insert("Home".into(), s(&self.home));
        map.insert("Sources".into(), strings(&self.sources));
        map.insert("Version".into(), s(&self.version));
        map.insert("Description".into(), s(&self.description));
        map.insert("Keywords".into(), strings(&self.keywords));
        map.insert(
            "Maintainers".into(),
            Value::list(
                self.maintainers
                    .iter()
                    .map(|m| match m {
                        Some(m) => {
                            let mut map = Map::new();
                            map.insert("Name".into(), s(&m.name));
                            map.insert("Email".into(), s(&m.email));
                            map.insert("URL".into(), s(&m.url));
                            Value::map(map)
                        }
                        None => Value::Nil,
                    })
                    .collect(),
            ),
        );
        map.insert("Icon".into(), s(&self.icon));
        map.insert("APIVersion".into(), s(&self.api_version));
        map.insert("Condition".into(), s(&self.condition));
        map.insert("Tags".into(), s(&self.tags));
        map.insert("AppVersion".into(), s(&self.app_version));
        map.insert("Deprecated".into(), Value::Bool(self.deprecated));
        map.insert(
            "Annotations".into(),
            match &self.annotations {
                Some(entries) => {
                    Value::map(entries.iter().map(|(k, v)| (k.clone(), s(v))).collect())
                }
                None => Value::Nil,
            },
        );
        map.insert("KubeVersion".into(), s(&self.kube_version));
        map.insert(
            "Dependencies".into(),
            Value::list(
                self.dependencies
                    .iter()
                    .map(|d| match d {
                        Some(d) => {
                            let mut map = Map::new();
                            map.insert("Name".into(), s(&d.name));
                            map.insert("Version".into(), s(&d.version));
                            map.insert("Repository".into(), s(&d.repository));
                            map.insert("Condition".into(), s(&d.condition));
                            map.insert("Tags".into(), strings(&d.tags));
                            map.insert("Enabled".into(), Value::Bool(d.enabled));
                            map.insert("ImportValues".into(), Value::list(d.import_values.clone()));
                            map.insert("Alias".into(), s(&d.alias));
                            Value::map(map)
                        }
                        None => Value::Nil,
                    })
                    .collect(),
            ),
        );
        map.insert("Type".into(), s(&self.chart_type));
        map.insert("IsRoot".into(), Value::Bool(is_root));
        Value::map(map)
    }
}

fn maintainer(value: &Value) -> Result<Option<Maintainer>, Error> {
    let map = match value {
        Value::Nil => return Ok(None),
        Value::Map(map) => map,
        other => {
            return Err(Field {
                strukt: "Metadata",
                path: "maintainers".to_owned(),
            }
            .type_error(other, "v2.Maintainer"));
        }
    };
    let mut m = Maintainer::default();
    for (name, value) in fields(map, MAINTAINER_FIELDS) {
        let field = Field {
            strukt: "Maintainer",
            path: format!("maintainers.{name}"),
        };
        let text = field.string(value)?;
        match name {
            "name" => m.name = text,
            "email" => m.email = text,
            _ => m.url = text,
        }
    }
    Ok(Some(m))
}

fn dependency(value: &Value) -> Result<Option<Dependency>, Error> {
    let map = match value {
        Value::Nil => return Ok(None),
        Value::Map(map) => map,
        other => {
            return Err(Field {
                strukt: "Metadata",
                path: "dependencies".to_owned(),
            }
            .type_error(other, "v2.Dependency"));
        }
    };
    let mut d = Dependency::default();
    for (name, value) in fields(map, DEPENDENCY_FIELDS) {
        let field = Field {
            strukt: "Dependency",
            path: format!("dependencies.{name}"),
        };
        match name {
            "name" => d.name = field.string(value)?,
            "version" => d.version = field.string(value)?,
            "repository" => d.repository = field.string(value)?,
            "condition" => d.condition = field.string(value)?,
            "tags" => d.tags = field.strings(value)?,
            "enabled" => d.enabled = field.bool(value)?,
            "import-values" => {
                // `[]interface{}` through JSON: numbers become float64.
                d.import_values = field
                    .list(value, "[]interface {}")?
                    .iter()
                    .map(json_number_values)
                    .collect();
            }
            _ => d.alias = field.string(value)?,
        }
    }
    Ok(Some(d))
}

/// What a value becomes through JSON into `interface{}`: every number a `float64`.
fn json_number_values(value: &Value) -> Value {
    match value {
        Value::Int(n) | Value::Int64(n) => Value::Float(*n as f64),
        Value::List(items) => Value::list(items.iter().map(json_number_values).collect()),
        Value::Map(map) => Value::map(
            map.iter()
                .map(|(k, v)| (k.clone(), json_number_values(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART_YAML: &str = r#"apiVersion: v2
name: obj
version: 0.1.0
appVersion: 1.10
description: "a   test\tchart"
keywords: [a, b]
home: https://example.com
icon: https://example.com/i.png
sources: [https://s1, https://s2]
maintainers:
  - name: Jo
    email: jo@example.com
    url: https://jo
  - name: Al
annotations:
  z: "1"
  a.b/c: x
kubeVersion: ">=1.20"
deprecated: false
type: application
condition: x.enabled
tags: t1
dependencies:
  - name: dep
    version: 1.0.0
    repository: https://repo
    condition: dep.enabled
    tags: [x]
    alias: d2
"#;

    // What `helm template` (v4.1.4) printed for `toYaml .Chart` with this Chart.yaml (its
    // dependency's name, `Enabled` and import-values are the host's processing, left
    // out here).
    const EXPECTED_YAML: &str = r#"APIVersion: v2
Annotations:
  a.b/c: x
  z: "1"
AppVersion: "1.1"
Condition: x.enabled
Dependencies:
- Alias: d2
  Condition: dep.enabled
  Enabled: false
  ImportValues: []
  Name: dep
  Repository: https://repo
  Tags:
  - x
  Version: 1.0.0
Deprecated: false
Description: a   test chart
Home: https://example.com
Icon: https://example.com/i.png
IsRoot: true
Keywords:
- a
- b
KubeVersion: '>=1.20'
Maintainers:
- Email: jo@example.com
  Name: Jo
  URL: https://jo
- Email: ""
  Name: Al
  URL: ""
Name: obj
Sources:
- https://s1
- https://s2
Tags: t1
Type: application
Version: 0.1.0
"#;

    #[test]
    fn chart_values_print_as_helm() {
        let metadata = ChartMetadata::from_yaml(CHART_YAML).unwrap_or_else(|e| panic!("{e}"));
        assert!(metadata.validate().is_ok());
        let chart = metadata.to_value(true);
        let yaml = crate::encoding::yaml::marshal(&chart).unwrap_or_default();
        assert_eq!(yaml, EXPECTED_YAML);
        // printf "%v" .Chart.Foo: a missing key
        assert!(chart.as_map().is_some_and(|m| !m.contains_key("Foo")));
    }

    #[test]
    fn numbers_in_text_fields_print_as_go_does() {
        // Chart.yaml line -> .Chart field
        let cases = [
            ("appVersion: 1.10", "AppVersion", "1.1"),
            ("appVersion: 1.0", "AppVersion", "1"),
            ("appVersion: 12345678", "AppVersion", "12345678"),
            ("appVersion: 1.2345678e7", "AppVersion", "1.2345678e+07"),
            ("appVersion: 010", "AppVersion", "8"),
            ("appVersion: true", "AppVersion", "true"),
            ("appVersion: yes", "AppVersion", "true"),
            ("appVersion: \"1.10\"", "AppVersion", "1.10"),
            ("AppVersion: x", "AppVersion", "x"),
            ("APPVERSION: zz", "AppVersion", "zz"),
            ("appVersion: y", "AppVersion", "true"),
            (
                "description: \"a\\u00a0b\\u200bc\\td\"",
                "Description",
                "a bc d",
            ),
        ];
        for (line, field, expected) in cases {
            let text = format!("apiVersion: v2\nname: x\nversion: 1.0.0\n{line}\n");
            let chart = ChartMetadata::from_yaml(&text)
                .unwrap_or_else(|e| panic!("{line}: {e}"))
                .to_value(false);
            let got = chart.as_map().and_then(|m| m.get(field)).cloned();
            assert_eq!(got, Some(Value::from(expected)), "{line}");
        }
    }

    #[test]
    fn wrong_types_fail_as_helm_does() {
        let err = |line: &str| {
            ChartMetadata::from_yaml(&format!("name: x\n{line}\n"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            err("keywords: a"),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field Metadata.keywords of type []string"
        );
        assert_eq!(
            err("deprecated: \"yes\""),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field Metadata.deprecated of type bool"
        );
        assert!(err("name: [a]").contains("cannot unmarshal array"));
        let missing = ChartMetadata::from_yaml("version: 1.0.0").map(|m| m.validate());
        assert_eq!(
            missing
                .ok()
                .and_then(Result::err)
                .map(|e| e.to_string())
                .as_deref(),
            Some("validation: chart.metadata.name is required")
        );
        let null_maintainer = ChartMetadata::from_yaml("name: x\nversion: 1\nmaintainers: [~]");
        assert_eq!(
            null_maintainer
                .ok()
                .and_then(|m| m.validate().err())
                .map(|e| e.to_string())
                .as_deref(),
            Some("validation: maintainers must not contain empty or null nodes")
        );
    }
}
