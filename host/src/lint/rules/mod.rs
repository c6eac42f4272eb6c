//! The built-in rules, modelled on kube-linter's most valuable checks, one file per family.
//! [`Builtin`] is the [`Linter`] that runs them all; the runner treats it like any plugin.

mod env;
mod host;
mod images;
mod pod;
mod probes;
mod resources;
mod security;
mod selectors;

use serde_json::Value;

use super::{Finding, Linter, LinterError, RuleInfo, Severity};
use crate::manifest::Object;

/// The name the built-in linter reports findings under.
pub const BUILTIN: &str = "builtin";

/// One built-in rule: what it is and how it checks one object.
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub description: &'static str,
    check: fn(&Object, &Context<'_>) -> Vec<Hit>,
}

impl Rule {
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.to_owned(),
            default_severity: self.severity,
            description: self.description.to_owned(),
        }
    }
}

/// What a rule may look at beyond the object it checks.
struct Context<'a> {
    /// The namespace (if set) and pod template labels of every workload being linted, found
    /// once for the rules that match selectors across objects.
    pod_labels: Vec<(Option<&'a str>, &'a serde_json::Map<String, Value>)>,
}

impl<'a> Context<'a> {
    fn new(objects: &'a [Object]) -> Self {
        let pod_labels = objects
            .iter()
            .filter_map(|o| Some((o.namespace(), pod::pod_spec(o)?.labels?)))
            .collect();
        Context { pod_labels }
    }
}

/// One problem a rule found: where, and a message that says how to fix it.
struct Hit {
    path: String,
    message: String,
}

impl Hit {
    fn new(path: String, message: String) -> Self {
        Hit { path, message }
    }
}

/// Every built-in rule, in a stable order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    [
        images::RULES,
        security::RULES,
        host::RULES,
        resources::RULES,
        probes::RULES,
        selectors::RULES,
        env::RULES,
    ]
    .into_iter()
    .flatten()
}

/// Looks up a built-in rule by id.
pub fn get(id: &str) -> Option<&'static Rule> {
    all().find(|rule| rule.id == id)
}

/// The built-in rules as a [`Linter`]. It takes no configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct Builtin;

impl Linter for Builtin {
    fn name(&self) -> &str {
        BUILTIN
    }

    fn rules(&self) -> Vec<RuleInfo> {
        all().map(Rule::info).collect()
    }

    fn lint(&self, objects: &[Object], _config: &Value) -> Result<Vec<Finding>, LinterError> {
        let context = Context::new(objects);
        // Objects are checked on every core; findings keep the objects' order.
        let per_object = crate::render::parallel_map(objects, |object| {
            let mut findings = Vec::new();
            for rule in all() {
                for hit in (rule.check)(object, &context) {
                    findings.push(Finding {
                        rule: rule.id.to_owned(),
                        severity: rule.severity,
                        message: hit.message,
                        object: object.object_ref(),
                        source: object.source.clone(),
                        path: Some(hit.path),
                        linter: BUILTIN.to_owned(),
                    });
                }
            }
            Ok(findings)
        });
        let mut findings = Vec::new();
        for result in per_object {
            findings.extend(result.map_err(|err| LinterError {
                linter: BUILTIN.to_owned(),
                message: err.to_string(),
            })?);
        }
        Ok(findings)
    }
}

/// A value as text for messages and label comparison: strings bare, anything else as JSON.
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::manifest;

    /// Runs one built-in rule over a YAML stream and returns the paths it reported.
    pub fn paths(rule: &str, yaml: &str) -> Vec<String> {
        findings(rule, yaml)
            .into_iter()
            .map(|f| f.path.unwrap_or_default())
            .collect()
    }

    /// Runs one built-in rule over a YAML stream.
    pub fn findings(rule: &str, yaml: &str) -> Vec<Finding> {
        assert!(get(rule).is_some(), "no built-in rule `{rule}`");
        let objects = manifest::parse("c/templates/t.yaml", yaml).expect("test YAML parses");
        Builtin
            .lint(&objects, &Value::Null)
            .expect("builtin never fails")
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect()
    }

    /// A Pod with `spec` (YAML flow or JSON text).
    pub fn pod(spec: &str) -> String {
        format!("{{apiVersion: v1, kind: Pod, metadata: {{name: p}}, spec: {spec}}}")
    }

    /// A Deployment whose pod template has `spec` and labels `app: web`.
    pub fn deployment(spec: &str) -> String {
        format!(
            "{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d}}, spec: {{selector: {{matchLabels: {{app: web}}}}, template: {{metadata: {{labels: {{app: web}}}}, spec: {spec}}}}}}}"
        )
    }

    /// Checks a table of `(case name, rule, yaml, expected paths)`.
    pub fn check_table(cases: &[(&str, &str, &str, &[&str])]) {
        for (name, rule, yaml, want) in cases {
            let got = paths(rule, yaml);
            assert_eq!(got, *want, "case `{name}` (rule {rule})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case_and_described() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in all() {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                rule.id
            );
            assert!(!rule.description.is_empty(), "{}", rule.id);
        }
        assert!(seen.len() >= 18, "{seen:?}");
    }

    #[test]
    fn findings_name_the_object_template_and_linter() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n  containers:\n  - name: app\n    image: nginx\n";
        let found = test_support::findings("latest-tag", yaml);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.object.to_string(), "v1 Pod ns/p");
        assert_eq!(f.source, "c/templates/t.yaml");
        assert_eq!(f.linter, "builtin");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("`app`"), "{}", f.message);
    }
}
