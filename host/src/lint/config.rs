//! The lint config file (`.kubectl-chart-lint.yaml` in the chart, or `--lint-config FILE`):
//! rule switches and severities, each plugin linter's own config, and custom JSONPath rules.
//!
//! ```yaml
//! rules:
//!   latest-tag: off                 # off | on | info | warning | error
//!   run-as-non-root: error
//!   read-only-root-fs: {enabled: true, severity: info}
//!   registry-policy/allowed-registries: error   # one linter's rule, when ids clash
//! linters:
//!   registry-policy:                # passed as-is to the linter named registry-policy
//!     allowed: [registry.example.com]
//! custom-rules:
//!   - id: require-memory-limit
//!     kinds: [Deployment, StatefulSet]
//!     for-each: "$.spec.template.spec.containers[*]"
//!     path: "$.resources.limits.memory"
//!     assert: exists                # absent | equals V | matches RE | one-of [A, B]
//!     severity: error
//!     message: every container needs a memory limit
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::Severity;
use super::custom::{Assertion, CustomRule, CustomRules, Query};
use crate::yaml;

/// The file name looked for at the root of a chart.
pub const FILE_NAME: &str = ".kubectl-chart-lint.yaml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read lint config `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("lint config `{source_name}` line {line}: {message}")]
    Yaml {
        source_name: String,
        line: usize,
        message: String,
    },
    #[error("lint config `{source_name}`: {at}: {message}")]
    Invalid {
        source_name: String,
        /// `rules.latest-tag` or `custom rule `require-memory-limit``.
        at: String,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the config says about one rule; `None` leaves the linter's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleSetting {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

/// A parsed, checked lint config. [`Config::default`] changes nothing.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from, for messages; `None` for the default config.
    pub source: Option<String>,
    /// Keyed by rule id, or `linter/rule` for one linter's rule.
    rules: BTreeMap<String, RuleSetting>,
    linters: BTreeMap<String, Value>,
    custom: CustomRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<String, Value>,
    #[serde(default)]
    linters: BTreeMap<String, Value>,
    #[serde(default)]
    custom_rules: Vec<RawCustomRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCustomRule {
    id: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    for_each: Option<String>,
    path: String,
    assert: Value,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    optional: bool,
}

static NULL: Value = Value::Null;

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&path.display().to_string(), &text)
    }

    /// Parses config text; `source_name` names it in errors.
    pub fn parse(source_name: &str, text: &str) -> Result<Config> {
        let raw: Option<RawConfig> = yaml::from_str(text).map_err(|err| {
            let (line, message) = yaml::error_position(&err);
            Error::Yaml {
                source_name: source_name.to_owned(),
                line,
                message,
            }
        })?;
        let raw = raw.unwrap_or(RawConfig {
            rules: BTreeMap::new(),
            linters: BTreeMap::new(),
            custom_rules: Vec::new(),
        });
        let invalid = |at: String, message: String| Error::Invalid {
            source_name: source_name.to_owned(),
            at,
            message,
        };

        let mut rules = BTreeMap::new();
        for (id, value) in raw.rules {
            let setting =
                parse_setting(&value).map_err(|message| invalid(format!("rules.{id}"), message))?;
            rules.insert(id, setting);
        }

        let mut custom = Vec::new();
        let mut ids = BTreeSet::new();
        for rule in raw.custom_rules {
            let at = format!("custom rule `{}`", rule.id);
            let id = rule.id.clone();
            let rule = parse_custom(rule).map_err(|message| invalid(at.clone(), message))?;
            if !ids.insert(id) {
                return Err(invalid(at, "is declared twice".to_owned()));
            }
            custom.push(rule);
        }

        Ok(Config {
            source: Some(source_name.to_owned()),
            rules,
            linters: raw.linters,
            custom: CustomRules { rules: custom },
        })
    }

    /// The setting for `rule` of `linter`: `linter/rule` wins over `rule`, field by field.
    pub fn setting(&self, linter: &str, rule: &str) -> RuleSetting {
        let qualified = self.rules.get(&format!("{linter}/{rule}"));
        let bare = self.rules.get(rule);
        RuleSetting {
            enabled: qualified
                .and_then(|s| s.enabled)
                .or_else(|| bare.and_then(|s| s.enabled)),
            severity: qualified
                .and_then(|s| s.severity)
                .or_else(|| bare.and_then(|s| s.severity)),
        }
    }

    /// The rule ids (or `linter/rule` keys) the config sets, to warn about unknown ones.
    pub fn rule_keys(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }

    /// The config for the linter called `name` (`null` when the file has none).
    pub fn linter_config(&self, name: &str) -> &Value {
        self.linters.get(name).unwrap_or(&NULL)
    }

    /// The names under `linters:`, to warn about linters that did not run.
    pub fn linter_names(&self) -> impl Iterator<Item = &str> {
        self.linters.keys().map(String::as_str)
    }

    /// The rules declared under `custom-rules`, as a linter.
    pub fn custom_rules(&self) -> &CustomRules {
        &self.custom
    }
}

fn parse_severity(text: &str) -> Option<Severity> {
    match text {
        "info" | "note" => Some(Severity::Info),
        "warning" | "warn" => Some(Severity::Warning),
        "error" => Some(Severity::Error),
        _ => None,
    }
}

fn parse_setting(value: &Value) -> Result<RuleSetting, String> {
    let expected = "expected off, on, info, warning, error, or {enabled: BOOL, severity: LEVEL}";
    match value {
        Value::Bool(on) => Ok(RuleSetting {
            enabled: Some(*on),
            severity: None,
        }),
        Value::String(s) => match s.as_str() {
            "off" | "disabled" | "false" => Ok(RuleSetting {
                enabled: Some(false),
                severity: None,
            }),
            "on" | "enabled" | "true" => Ok(RuleSetting {
                enabled: Some(true),
                severity: None,
            }),
            other => parse_severity(other)
                .map(|severity| RuleSetting {
                    enabled: None,
                    severity: Some(severity),
                })
                .ok_or_else(|| format!("`{other}` is not a setting: {expected}")),
        },
        Value::Object(map) => {
            let mut setting = RuleSetting::default();
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("enabled", Value::Bool(b)) => setting.enabled = Some(*b),
                    ("severity", Value::String(s)) => {
                        setting.severity = Some(parse_severity(s).ok_or_else(|| {
                            format!("severity `{s}` is not one of info, warning, error")
                        })?);
                    }
                    (other, _) => {
                        return Err(format!("unexpected `{other}: {v}`: {expected}"));
                    }
                }
            }
            Ok(setting)
        }
        other => Err(format!("`{other}` is not a setting: {expected}")),
    }
}

fn parse_custom(raw: RawCustomRule) -> Result<CustomRule, String> {
    let id_ok = !raw.id.is_empty()
        && raw
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err("id must be kebab-case: lowercase letters, digits and `-`".to_owned());
    }
    if super::rules::get(&raw.id).is_some() {
        return Err("id is a built-in rule's; choose another".to_owned());
    }
    let severity = match raw.severity.as_deref() {
        None => Severity::Warning,
        Some(s) => parse_severity(s)
            .ok_or_else(|| format!("severity `{s}` is not one of info, warning, error"))?,
    };
    let for_each = raw.for_each.as_deref().map(Query::parse).transpose()?;
    let path = Query::parse(&raw.path)?;
    let assert = Assertion::parse(&raw.assert)?;
    let description = raw
        .description
        .or_else(|| raw.message.clone())
        .unwrap_or_else(|| format!("`{}` {}", raw.path, assert_summary(&raw.assert)));
    Ok(CustomRule {
        id: raw.id,
        severity,
        description,
        kinds: raw.kinds,
        for_each,
        path,
        assert,
        optional: raw.optional,
        message: raw.message,
    })
}

fn assert_summary(assert: &Value) -> String {
    match assert {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
