//! Ignore rules: `KIND[/NAME][:JSONPATH]`. KIND is a kind (any case) or `*`; NAME a glob
//! (`*`, `?`) over the name, or over `NAMESPACE/NAME` when it holds a `/`; JSONPATH (from its
//! `$`) selects fields whose changes are ignored; without it the whole object is. Rules come
//! from `--ignore`, the chart's `.kubectl-chart-diff.yaml` or `--diff-config FILE`:
//!
//! ```yaml
//! ignore:
//!   - Deployment/*:$.spec.replicas
//!   - kind: HorizontalPodAutoscaler     # the same rule, spelled out
//!     name: web-*
//!     path: $.spec.minReplicas
//! ```

use std::path::{Path, PathBuf};

use jsonpath_rust::parser::model::JpQuery;
use serde::Deserialize;
use serde_json::Value;

use super::fields::{self, Segment};
use super::{Error, Result};
use crate::manifest::ObjectRef;

/// The longest rule accepted, and the largest config file read.
const MAX_RULE: usize = 4096;
const MAX_CONFIG: u64 = 1 << 20;

/// One ignore rule.
#[derive(Debug, Clone)]
pub struct Rule {
    text: String,
    kind: Option<String>,
    name: Option<String>,
    path: Option<JpQuery>,
}

impl Rule {
    /// Parses `KIND[/NAME][:JSONPATH]`.
    pub fn parse(text: &str) -> Result<Rule> {
        let invalid = |message: &str| Error::Rule {
            rule: crate::log::truncate(text, 120),
            message: message.to_owned(),
        };
        if text.len() > MAX_RULE {
            return Err(invalid("longer than 4096 characters"));
        }
        // The path starts at `:$`: names may hold `:` (RBAC), JSONPath filters too.
        let (object, path) = match text.find(":$") {
            Some(at) => (&text[..at], Some(&text[at + 1..])),
            None => (text, None),
        };
        let (kind, name) = match object.split_once('/') {
            Some((kind, name)) => (kind, Some(name)),
            None => (object, None),
        };
        Rule::new(text, kind, name, path).map_err(|message| invalid(&message))
    }

    fn new(text: &str, kind: &str, name: Option<&str>, path: Option<&str>) -> Result<Rule, String> {
        if kind.is_empty() {
            return Err("no kind (use `*` for any)".to_owned());
        }
        if !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '*') {
            return Err(format!("`{kind}` is not a kind"));
        }
        if name.is_some_and(str::is_empty) {
            return Err("empty name after `/` (use `*` for any)".to_owned());
        }
        let path = match path {
            Some(path) => Some(
                jsonpath_rust::parser::parse_json_path(path)
                    .map_err(|err| format!("invalid JSONPath `{path}`: {err}"))?,
            ),
            None => None,
        };
        Ok(Rule {
            text: text.to_owned(),
            kind: (kind != "*").then(|| kind.to_owned()),
            name: name.filter(|n| *n != "*").map(str::to_owned),
            path,
        })
    }

    /// The rule as written, for messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the rule ignores the whole object (it has no path).
    pub fn whole_object(&self) -> bool {
        self.path.is_none()
    }

    /// Whether the rule is about this object.
    pub fn applies_to(&self, object: &ObjectRef) -> bool {
        if let Some(kind) = &self.kind
            && !kind.eq_ignore_ascii_case(&object.kind)
        {
            return false;
        }
        match &self.name {
            None => true,
            Some(glob) if glob.contains('/') => {
                let full = format!(
                    "{}/{}",
                    object.namespace.as_deref().unwrap_or_default(),
                    object.name
                );
                glob_match(glob, &full)
            }
            Some(glob) => glob_match(glob, &object.name),
        }
    }

    /// The paths the rule's JSONPath selects in `value`.
    pub fn select(&self, value: &Value) -> Vec<Vec<Segment>> {
        let Some(query) = &self.path else {
            return Vec::new();
        };
        // A query that fails on this object selects nothing in it.
        jsonpath_rust::query::js_path_process(query, value)
            .map(|found| {
                found
                    .into_iter()
                    .filter_map(|r| fields::parse_normalized(&r.path))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `*` and `?` over a name, in linear time whatever the pattern.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// `.kubectl-chart-diff.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    ignore: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RuleEntry {
    Text(String),
    Spelled(SpelledRule),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpelledRule {
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

/// The name of the diff config a chart may carry.
pub const CONFIG_FILE: &str = ".kubectl-chart-diff.yaml";

/// Reads the rules of a diff config file.
pub fn load_config(path: &Path) -> Result<Vec<Rule>> {
    let read_error = |source| Error::ReadConfig {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_CONFIG + 1), &mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_CONFIG {
        return Err(config_error(path, "larger than 1 MiB".to_owned()));
    }
    parse_config(path, &text)
}

fn config_error(path: &Path, message: String) -> Error {
    Error::Config {
        path: PathBuf::from(path),
        message,
    }
}

/// Parses the text of a diff config file.
pub fn parse_config(path: &Path, text: &str) -> Result<Vec<Rule>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let config: ConfigFile = crate::yaml::from_str(text).map_err(|err| {
        let (line, message) = crate::yaml::error_position(&err);
        config_error(path, format!("line {line}: {message}"))
    })?;
    config
        .ignore
        .into_iter()
        .map(|entry| match entry {
            RuleEntry::Text(text) => Rule::parse(&text),
            RuleEntry::Spelled(rule) => {
                let mut text = rule.kind.clone();
                if let Some(name) = &rule.name {
                    text = format!("{text}/{name}");
                }
                if let Some(path) = &rule.path {
                    text = format!("{text}:{path}");
                }
                Rule::new(
                    &text,
                    &rule.kind,
                    rule.name.as_deref(),
                    rule.path.as_deref(),
                )
                .map_err(|message| Error::Rule {
                    rule: crate::log::truncate(&text, 120),
                    message,
                })
            }
        })
        .collect::<Result<_>>()
        .map_err(|err| config_error(path, err.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: (!namespace.is_empty()).then(|| namespace.to_owned()),
            name: name.into(),
        }
    }

    #[test]
    fn rules_pick_objects() {
        let cases = [
            ("Deployment", "Deployment", "shop", "web", true),
            ("deployment", "Deployment", "shop", "web", true),
            ("Deployment", "StatefulSet", "shop", "web", false),
            ("*/web-*", "Service", "shop", "web-1", true),
            ("*/web-*", "Service", "shop", "api", false),
            ("Service/shop/*", "Service", "shop", "api", true),
            ("Service/other/*", "Service", "shop", "api", false),
            (
                "ClusterRole/system:*",
                "ClusterRole",
                "",
                "system:auth",
                true,
            ),
            (
                "ClusterRole/system:*:$.rules",
                "ClusterRole",
                "",
                "system:auth",
                true,
            ),
        ];
        for (rule, kind, namespace, name, expected) in cases {
            let parsed = Rule::parse(rule).unwrap();
            assert_eq!(
                parsed.applies_to(&object(kind, namespace, name)),
                expected,
                "{rule} on {kind} {namespace}/{name}"
            );
        }
    }

    #[test]
    fn paths_select_fields() {
        let rule = Rule::parse("Deployment/*:$.spec.template.spec.containers[*].image").unwrap();
        assert!(!rule.whole_object());
        let value = json!({"spec": {"template": {"spec": {"containers": [{"image": "a"}, {"image": "b"}, {"name": "x"}]}}}});
        let selected: Vec<String> = rule
            .select(&value)
            .iter()
            .map(|p| fields::json_path(p))
            .collect();
        assert_eq!(
            selected,
            [
                "$.spec.template.spec.containers[0].image",
                "$.spec.template.spec.containers[1].image"
            ]
        );
        let labels = Rule::parse("*:$.metadata.labels['app.kubernetes.io/version']").unwrap();
        let value = json!({"metadata": {"labels": {"app.kubernetes.io/version": "1"}}});
        assert_eq!(labels.select(&value).len(), 1);
        assert!(Rule::parse("Secret").unwrap().whole_object());
    }

    #[test]
    fn bad_rules_are_one_line_errors() {
        let long = "A".repeat(5000);
        let cases = [
            ("", "no kind"),
            (":$.a", "no kind"),
            ("Deploy ment", "is not a kind"),
            ("Deployment/", "empty name"),
            ("Deployment:$.[", "invalid JSONPath"),
            (long.as_str(), "longer than 4096"),
        ];
        for (rule, expected) in cases {
            let err = Rule::parse(rule).unwrap_err().to_string();
            assert!(err.contains(expected), "{rule:?}: {err}");
            assert!(err.starts_with("invalid ignore rule"), "{err}");
            assert!(err.len() < 400, "{err}");
        }
    }

    #[test]
    fn globs() {
        let cases = [
            ("*", "anything", true),
            ("web-*", "web-1", true),
            ("web-?", "web-12", false),
            ("*-db-*", "shop-db-0", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("", "", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_match(pattern, text), expected, "{pattern} {text}");
        }
        // Many stars against a long non-matching name stay fast (linear backtracking).
        let pattern = "*a".repeat(100);
        assert!(!glob_match(&pattern, &"a".repeat(250)[..99]));
    }

    #[test]
    fn config_files() {
        let path = Path::new(".kubectl-chart-diff.yaml");
        let rules = parse_config(
            path,
            "ignore:\n  - Deployment/*:$.spec.replicas\n  - kind: Secret\n    name: generated-*\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].as_str(), "Secret/generated-*");
        assert!(rules[1].whole_object());
        assert!(parse_config(path, "").unwrap().is_empty());
        for (text, expected) in [
            ("ignor: []\n", "unknown field `ignor`"),
            ("ignore:\n  - \"Deployment:$.[\"\n", "invalid JSONPath"),
            ("ignore: [\n", "line"),
        ] {
            let err = parse_config(path, text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
            assert!(
                err.starts_with("diff config `.kubectl-chart-diff.yaml`"),
                "{err}"
            );
        }
    }
}
