//! Rules declared in a lint config as JSONPath assertions (`jsonpath-rust`): "for kind
//! Deployment, `$.spec.template.spec.containers[*].resources.limits.memory` must exist".
//! [`CustomRules`] is the [`Linter`] that runs them, under the name `config`.

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::query::js_path_process;
use regex::Regex;
use serde_json::Value;

use super::{Finding, Linter, LinterError, RuleInfo, Severity, path};
use crate::manifest::Object;

/// The name findings of config-declared rules are reported under.
pub const CONFIG_LINTER: &str = "config";

/// What must hold of the values a rule's path selects. A `null` counts as absent.
#[derive(Debug, Clone)]
pub enum Assertion {
    /// At least one value is selected.
    Exists,
    /// Nothing is selected.
    Absent,
    /// Every selected value equals this one (and there is at least one).
    Equals(Value),
    /// Every selected value, as text, matches this regex (unanchored: use `^...$`).
    Matches(Regex),
    /// Every selected value is one of these.
    OneOf(Vec<Value>),
}

impl Assertion {
    /// Parses `exists`, `absent`, `equals VALUE`, `matches REGEX`, `one-of [A, B]` (VALUE and
    /// the list in YAML), or the same as a one-key map (`{equals: VALUE}`).
    pub fn parse(value: &Value) -> Result<Assertion, String> {
        let expected =
            "expected `exists`, `absent`, `equals VALUE`, `matches REGEX` or `one-of [..]`";
        let (name, argument) = match value {
            Value::String(s) => {
                let s = s.trim();
                match s.split_once(char::is_whitespace) {
                    Some((name, rest)) => {
                        let rest = rest.trim();
                        // The regex is taken as written; other arguments are YAML values.
                        let argument = if name == "matches" {
                            Value::String(rest.to_owned())
                        } else {
                            crate::yaml::from_str(rest).map_err(|err| {
                                format!("assertion `{s}`: argument is not a YAML value: {err}")
                            })?
                        };
                        (name.to_owned(), Some(argument))
                    }
                    None => (s.to_owned(), None),
                }
            }
            Value::Object(map) if map.len() == 1 => {
                let (name, argument) = map.iter().next().expect("one entry");
                (name.clone(), Some(argument.clone()))
            }
            other => return Err(format!("assertion `{other}` is not valid: {expected}")),
        };
        match (name.as_str(), argument) {
            ("exists", None) => Ok(Assertion::Exists),
            ("absent", None) => Ok(Assertion::Absent),
            ("exists" | "absent", Some(_)) => Err(format!("assertion `{name}` takes no argument")),
            ("equals", Some(value)) => Ok(Assertion::Equals(value)),
            ("matches", Some(Value::String(pattern))) => {
                Regex::new(&pattern).map(Assertion::Matches).map_err(|err| {
                    // The regex crate draws a multi-line caret diagram; messages stay one line.
                    format!(
                        "assertion `matches`: invalid regex `{}`: {}",
                        crate::quote::short(&pattern),
                        regex_cause(&err)
                    )
                })
            }
            ("matches", Some(_)) => Err("assertion `matches` needs a regex string".to_owned()),
            ("one-of", Some(Value::Array(values))) if !values.is_empty() => {
                Ok(Assertion::OneOf(values))
            }
            ("one-of", Some(_)) => {
                Err("assertion `one-of` needs a non-empty list (`one-of [a, b]`)".to_owned())
            }
            ("equals" | "matches" | "one-of", None) => {
                Err(format!("assertion `{name}` needs an argument"))
            }
            (other, _) => Err(format!("unknown assertion `{other}`: {expected}")),
        }
    }

    fn describe(&self) -> String {
        match self {
            Assertion::Exists => "must be set".to_owned(),
            Assertion::Absent => "must not be set".to_owned(),
            Assertion::Equals(v) => format!("must equal `{v}`"),
            Assertion::Matches(re) => format!("must match `{}`", re.as_str()),
            Assertion::OneOf(values) => {
                let shown: Vec<String> = values.iter().map(Value::to_string).collect();
                format!("must be one of [{}]", shown.join(", "))
            }
        }
    }

    /// Whether one selected value passes (for the assertions that look at values).
    fn accepts(&self, value: &Value) -> bool {
        match self {
            Assertion::Exists => true,
            Assertion::Absent => false,
            Assertion::Equals(want) => value == want,
            Assertion::Matches(re) => match value {
                Value::String(s) => re.is_match(s),
                Value::Number(_) | Value::Bool(_) => re.is_match(&value.to_string()),
                _ => false,
            },
            Assertion::OneOf(values) => values.contains(value),
        }
    }
}

/// A JSONPath compiled once, with its text for messages.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    query: JpQuery,
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, String> {
        let query = jsonpath_rust::parser::parse_json_path(text).map_err(|err| {
            format!(
                "invalid JSONPath `{}`: {}",
                crate::quote::short(text),
                crate::quote::one_line(&err.to_string())
            )
        })?;
        Ok(Query {
            text: text.to_owned(),
            query,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The non-null values selected from `value`, each with its dotted path below `base`.
    fn select<'a>(&self, base: &str, value: &'a Value) -> Result<Vec<(String, &'a Value)>, String> {
        let found = js_path_process(&self.query, value)
            .map_err(|err| format!("JSONPath `{}` failed: {err}", self.text))?;
        Ok(found
            .into_iter()
            .filter(|r| !r.val.is_null())
            .map(|r| (path::from_normalized(base, &r.path), r.val))
            .collect())
    }
}

/// One rule from a config file's `custom-rules`.
#[derive(Debug, Clone)]
pub struct CustomRule {
    pub id: String,
    pub severity: Severity,
    pub description: String,
    /// The kinds it applies to; empty means every kind.
    pub kinds: Vec<String>,
    /// Checks `path` on each element this selects, rather than once on the object.
    pub for_each: Option<Query>,
    pub path: Query,
    pub assert: Assertion,
    /// Value assertions (`equals`, `matches`, `one-of`) pass when nothing is selected.
    pub optional: bool,
    /// Shown instead of the generated message.
    pub message: Option<String>,
}

impl CustomRule {
    fn applies_to(&self, object: &Object) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == object.kind())
    }

    /// Checks one object: `(path, message)` for each violation.
    pub fn check(&self, object: &Object) -> Result<Vec<(String, String)>, String> {
        if !self.applies_to(object) {
            return Ok(Vec::new());
        }
        let targets = match &self.for_each {
            Some(each) => each.select("$", &object.value)?,
            None => vec![("$".to_owned(), &object.value)],
        };
        let mut hits = Vec::new();
        for (base, target) in targets {
            let selected = self.path.select(&base, target)?;
            let shown_path = match &self.for_each {
                Some(_) => format!("{base}{}", self.path.as_str().trim_start_matches('$')),
                None => self.path.as_str().to_owned(),
            };
            let message = |found: Option<&Value>| {
                let base = self
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("`{shown_path}` {}", self.assert.describe()));
                match found {
                    Some(v) => format!("{base} (found `{}`)", super::rules::text_of(v)),
                    None => base,
                }
            };
            match &self.assert {
                Assertion::Exists if selected.is_empty() => {
                    hits.push((shown_path.clone(), message(None)));
                }
                Assertion::Exists => {}
                Assertion::Absent => {
                    for (at, value) in selected {
                        hits.push((at, message(Some(value))));
                    }
                }
                _ if selected.is_empty() => {
                    if !self.optional {
                        let text = match &self.message {
                            Some(m) => format!("{m} (not set)"),
                            None => {
                                format!("`{shown_path}` is not set but {}", self.assert.describe())
                            }
                        };
                        hits.push((shown_path.clone(), text));
                    }
                }
                assertion => {
                    for (at, value) in selected {
                        if !assertion.accepts(value) {
                            hits.push((at, message(Some(value))));
                        }
                    }
                }
            }
        }
        Ok(hits)
    }
}

/// The rules a config file declares, as one [`Linter`] named `config`.
#[derive(Debug, Clone, Default)]
pub struct CustomRules {
    pub rules: Vec<CustomRule>,
}

impl Linter for CustomRules {
    fn name(&self) -> &str {
        CONFIG_LINTER
    }

    fn rules(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                default_severity: r.severity,
                description: r.description.clone(),
            })
            .collect()
    }

    fn lint(&self, objects: &[Object], _config: &Value) -> Result<Vec<Finding>, LinterError> {
        let mut findings = Vec::new();
        for rule in &self.rules {
            for object in objects {
                let hits = rule.check(object).map_err(|message| LinterError {
                    linter: CONFIG_LINTER.to_owned(),
                    message: format!("rule `{}` on {}: {message}", rule.id, object.object_ref()),
                })?;
                for (path, message) in hits {
                    findings.push(Finding {
                        rule: rule.id.clone(),
                        severity: rule.severity,
                        message,
                        object: object.object_ref(),
                        source: object.source.clone(),
                        path: Some(path),
                        linter: CONFIG_LINTER.to_owned(),
                    });
                }
            }
        }
        Ok(findings)
    }
}

/// The cause of a regex error on one line: the `error: ...` line of its diagram.
fn regex_cause(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map_or_else(|| crate::quote::one_line(&text), str::to_owned)
}
