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
    /// Linters whose rules no setting of this config applies to, bare rule names included
    /// (see [`Config::protect`], which also drops their `linters:` entries).
    protected: std::collections::BTreeSet<String>,
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
            protected: Default::default(),
        })
    }

    /// Keeps this config from reconfiguring or silencing the linters named `trusted` (the
    /// user's and the organisation's plugins), as a chart's own config must not: their
    /// `linters:` entries are dropped and no rule setting applies to their rules. Returns a
    /// warning for each entry that was there.
    pub fn protect<'a>(&mut self, trusted: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let source = self
            .source
            .clone()
            .unwrap_or_else(|| "lint config".to_owned());
        let mut warnings = Vec::new();
        for name in trusted {
            if self.linters.remove(name).is_some() {
                warnings.push(format!(
                    "{source}: linters.{name} is ignored: a chart's config may not reconfigure the trusted linter `{name}` (use --lint-config)"
                ));
            }
            let prefix = format!("{name}/");
            let keyed: Vec<String> = self
                .rules
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            for key in keyed {
                self.rules.remove(&key);
                warnings.push(format!(
                    "{source}: rules.{key} is ignored: a chart's config may not change the rules of the trusted linter `{name}` (use --lint-config)"
                ));
            }
            self.protected.insert(name.to_owned());
        }
        warnings
    }

    /// The setting for `rule` of `linter`: `linter/rule` wins over `rule`, field by field.
    pub fn setting(&self, linter: &str, rule: &str) -> RuleSetting {
        if self.protected.contains(linter) {
            return RuleSetting::default();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protected_linter_keeps_its_own_settings() {
        let mut config = parse(
            "rules:\n  policy/no-latest: off\n  no-latest: off\n  other/x: off\nlinters:\n  policy: {allowed: []}\n  other: {a: 1}\n",
        )
        .unwrap();
        let warnings = config.protect(["policy"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .all(|w| w.contains("trusted linter `policy`"))
        );
        assert_eq!(
            config.setting("policy", "no-latest"),
            RuleSetting::default()
        );
        assert_eq!(config.linter_config("policy"), &Value::Null);
        assert_eq!(config.setting("other", "x").enabled, Some(false));
        assert_eq!(config.setting("builtin", "no-latest").enabled, Some(false));
        assert_eq!(config.linter_config("other")["a"], 1);
    }
    use crate::lint::Linter;
    use crate::manifest;

    fn parse(text: &str) -> Result<Config> {
        Config::parse("lint.yaml", text)
    }

    fn err(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    #[test]
    fn empty_config_changes_nothing() {
        for text in ["", "{}", "rules: {}\n"] {
            let config = parse(text).unwrap();
            assert_eq!(
                config.setting("builtin", "latest-tag"),
                RuleSetting::default()
            );
            assert!(config.linter_config("x").is_null());
            assert!(config.custom_rules().rules.is_empty());
        }
    }

    #[test]
    fn rule_settings() {
        let config = parse(
            "rules:\n  a: off\n  b: error\n  c: {enabled: true, severity: info}\n  d: false\n  e: warn\n  p/e: {severity: error}\n",
        )
        .unwrap();
        let off = RuleSetting {
            enabled: Some(false),
            severity: None,
        };
        let cases = [
            ("builtin", "a", off),
            (
                "builtin",
                "b",
                RuleSetting {
                    enabled: None,
                    severity: Some(Severity::Error),
                },
            ),
            (
                "builtin",
                "c",
                RuleSetting {
                    enabled: Some(true),
                    severity: Some(Severity::Info),
                },
            ),
            ("builtin", "d", off),
            (
                "builtin",
                "e",
                RuleSetting {
                    enabled: None,
                    severity: Some(Severity::Warning),
                },
            ),
            (
                "p",
                "e",
                RuleSetting {
                    enabled: None,
                    severity: Some(Severity::Error),
                },
            ),
            ("builtin", "z", RuleSetting::default()),
        ];
        for (linter, rule, want) in cases {
            assert_eq!(config.setting(linter, rule), want, "{linter}/{rule}");
        }
    }

    #[test]
    fn linter_configs_are_passed_as_is() {
        let config = parse("linters:\n  registries:\n    allowed: [a.io, b.io]\n").unwrap();
        assert_eq!(
            config.linter_config("registries"),
            &serde_json::json!({"allowed": ["a.io", "b.io"]})
        );
        assert_eq!(config.linter_names().collect::<Vec<_>>(), ["registries"]);
    }

    #[test]
    fn errors_name_the_file_and_the_rule() {
        let cases = [
            (
                "rules:\n  latest-tag: loud\n",
                "lint config `lint.yaml`: rules.latest-tag: `loud` is not a setting",
            ),
            (
                "rules:\n  x: {severity: fatal}\n",
                "rules.x: severity `fatal`",
            ),
            (
                "rules:\n  x: {enable: true}\n",
                "rules.x: unexpected `enable: true`",
            ),
            (
                "unknown: 1\n",
                "lint config `lint.yaml` line 1: unknown field `unknown`",
            ),
            ("rules: [\n", "lint config `lint.yaml` line"),
            (
                "custom-rules:\n  - {id: r, path: '$.spec[', assert: exists}\n",
                "lint config `lint.yaml`: custom rule `r`: invalid JSONPath `$.spec[`",
            ),
            (
                "custom-rules:\n  - {id: r, for-each: 'spec', path: '$.a', assert: exists}\n",
                "custom rule `r`: invalid JSONPath `spec`",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: exist}\n",
                "custom rule `r`: unknown assertion `exist`",
            ),
            (
                "custom-rules:\n  - id: r\n    path: '$.a'\n    assert: matches ([\n",
                "custom rule `r`: assertion `matches`: invalid regex `([`",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: one-of x}\n",
                "custom rule `r`: assertion `one-of` needs a non-empty list",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: equals}\n",
                "custom rule `r`: assertion `equals` needs an argument",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: {equals: 1, matches: x}}\n",
                "custom rule `r`: assertion",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: exists 1}\n",
                "assertion `exists` takes no argument",
            ),
            (
                "custom-rules:\n  - {id: R, path: '$.a', assert: exists}\n",
                "custom rule `R`: id must be kebab-case",
            ),
            (
                "custom-rules:\n  - {id: latest-tag, path: '$.a', assert: exists}\n",
                "custom rule `latest-tag`: id is a built-in rule's",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: exists}\n  - {id: r, path: '$.b', assert: absent}\n",
                "custom rule `r`: is declared twice",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a', assert: exists, severity: high}\n",
                "custom rule `r`: severity `high`",
            ),
            (
                "custom-rules:\n  - {id: r, path: '$.a'}\n",
                "missing field `assert`",
            ),
        ];
        for (text, want) in cases {
            let got = err(text);
            assert!(
                got.contains(want),
                "config {text:?}\n got: {got}\nwant: {want}"
            );
            assert!(!got.contains('\n'), "one line: {got}");
        }
    }

    /// Runs the custom rules of `config` over `yaml`: `(rule, path, message)` per finding.
    fn custom(config: &str, yaml: &str) -> Vec<(String, String, String)> {
        let config = parse(config).unwrap();
        let objects = manifest::parse("c/templates/t.yaml", yaml).unwrap();
        config
            .custom_rules()
            .lint(&objects, &Value::Null)
            .unwrap()
            .into_iter()
            .map(|f| (f.rule, f.path.unwrap_or_default(), f.message))
            .collect()
    }

    const DEPLOY: &str = "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d, labels: {team: a}}, spec: {replicas: 3, template: {spec: {containers: [{name: a, image: 'reg.io/a:1', resources: {limits: {memory: 1Gi}}}, {name: b, image: 'docker.io/b:2'}]}}}}";

    #[test]
    fn custom_rule_assertions() {
        let rule = |kinds: &str, extra: &str, path: &str, assert: &str| {
            format!(
                "custom-rules:\n  - id: r\n    kinds: {kinds}\n    {extra}\n    path: \"{path}\"\n    assert: {assert}\n"
            )
        };
        let any = "[]";
        let each = "for-each: '$.spec.template.spec.containers[*]'";
        let cases: &[(&str, String, &[&str])] = &[
            (
                "exists: one of two containers is enough without for-each",
                rule(
                    any,
                    "optional: false",
                    "$.spec.template.spec.containers[*].resources.limits.memory",
                    "exists",
                ),
                &[],
            ),
            (
                "exists per container with for-each",
                rule(any, each, "$.resources.limits.memory", "exists"),
                &["$.spec.template.spec.containers[1].resources.limits.memory"],
            ),
            (
                "exists missing",
                rule(any, "optional: false", "$.spec.strategy", "exists"),
                &["$.spec.strategy"],
            ),
            (
                "absent ok",
                rule(
                    any,
                    "optional: false",
                    "$.spec.template.spec.hostNetwork",
                    "absent",
                ),
                &[],
            ),
            (
                "absent violated",
                rule(any, "optional: false", "$.metadata.labels.team", "absent"),
                &["$.metadata.labels.team"],
            ),
            (
                "equals ok",
                rule(any, "optional: false", "$.spec.replicas", "equals 3"),
                &[],
            ),
            (
                "equals type matters",
                rule(any, "optional: false", "$.spec.replicas", "{equals: '3'}"),
                &["$.spec.replicas"],
            ),
            (
                "equals missing",
                rule(any, "optional: false", "$.spec.paused", "equals false"),
                &["$.spec.paused"],
            ),
            (
                "equals missing but optional",
                rule(any, "optional: true", "$.spec.paused", "equals false"),
                &[],
            ),
            (
                "matches every image",
                rule(
                    any,
                    "optional: false",
                    "$.spec.template.spec.containers[*].image",
                    "'matches ^reg\\.io/'",
                ),
                &["$.spec.template.spec.containers[1].image"],
            ),
            (
                "matches a number as text",
                rule(
                    any,
                    "optional: false",
                    "$.spec.replicas",
                    "matches ^[0-9]+$",
                ),
                &[],
            ),
            (
                "one-of ok",
                rule(
                    any,
                    "optional: false",
                    "$.metadata.labels.team",
                    "one-of [a, b]",
                ),
                &[],
            ),
            (
                "one-of violated",
                rule(
                    any,
                    "optional: false",
                    "$.metadata.labels.team",
                    "{one-of: [x, y]}",
                ),
                &["$.metadata.labels.team"],
            ),
            (
                "kinds filter skips",
                rule(
                    "[StatefulSet]",
                    "optional: false",
                    "$.spec.strategy",
                    "exists",
                ),
                &[],
            ),
            (
                "kinds filter applies",
                rule(
                    "[Deployment]",
                    "optional: false",
                    "$.spec.strategy",
                    "exists",
                ),
                &["$.spec.strategy"],
            ),
            (
                "filter expression",
                rule(
                    any,
                    "optional: false",
                    "$.spec.template.spec.containers[?@.name == 'b'].image",
                    "matches :2$",
                ),
                &[],
            ),
        ];
        for (name, config, want) in cases {
            let got: Vec<String> = custom(config, DEPLOY)
                .into_iter()
                .map(|(_, path, _)| path)
                .collect();
            assert_eq!(got, *want, "case `{name}`: {config}");
        }
    }

    #[test]
    fn custom_rule_messages_and_metadata() {
        let config = "custom-rules:\n  - id: registry\n    path: '$.spec.template.spec.containers[*].image'\n    assert: matches ^reg\\.io/\n    severity: error\n    message: images must come from reg.io\n  - {id: gen, path: '$.spec.strategy', assert: exists}\n";
        let got = custom(config, DEPLOY);
        assert_eq!(
            got,
            [
                (
                    "registry".to_owned(),
                    "$.spec.template.spec.containers[1].image".to_owned(),
                    "images must come from reg.io (found `docker.io/b:2`)".to_owned()
                ),
                (
                    "gen".to_owned(),
                    "$.spec.strategy".to_owned(),
                    "`$.spec.strategy` must be set".to_owned()
                ),
            ]
        );
        let parsed = parse(config).unwrap();
        let infos = parsed.custom_rules().rules();
        assert_eq!(infos[0].default_severity, Severity::Error);
        assert_eq!(infos[0].description, "images must come from reg.io");
        assert_eq!(infos[1].default_severity, Severity::Warning);
        assert_eq!(infos[1].description, "`$.spec.strategy` exists");
    }
}
