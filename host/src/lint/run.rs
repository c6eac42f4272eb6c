//! The lint runner: every linter (built-in, config-declared, WebAssembly) goes through the
//! same path: run it, apply the config (enable/disable, severity), apply per-object
//! suppression, sort. See [`run`].

use std::collections::{BTreeSet, HashMap};

use super::config::Config;
use super::report::{Report, RuleReport};
use super::{Error, Finding, Linter, Result};
use crate::manifest::{Object, ObjectRef};

/// The annotation that suppresses findings on one object: `rule-a,rule-b`, `linter/rule`,
/// `linter/*` or `*`.
pub const IGNORE_ANNOTATION: &str = "kubectl-chart.io/lint-ignore";

/// Runs `linters` over `objects` and returns the report.
///
/// Each linter gets its own entry of the config's `linters:` map (`null` when there is none).
/// Findings of disabled rules are dropped, severities overridden, and findings on objects whose
/// [`IGNORE_ANNOTATION`] names the rule are counted as suppressed. Findings come out sorted by
/// template, object, path and rule, so output is stable. A linter that fails fails the run with
/// an error naming it.
pub fn run(objects: &[Object], linters: &[&dyn Linter], config: &Config) -> Result<Report> {
    let mut names = BTreeSet::new();
    for linter in linters {
        if !names.insert(linter.name()) {
            return Err(Error::DuplicateLinter {
                name: linter.name().to_owned(),
            });
        }
    }

    let suppressions = Suppressions::new(objects);
    let mut rules = Vec::new();
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for linter in linters {
        let name = linter.name();
        let infos = linter.rules();
        for info in &infos {
            let setting = config.setting(name, &info.id);
            rules.push(RuleReport {
                linter: name.to_owned(),
                id: info.id.clone(),
                description: info.description.clone(),
                default_severity: info.default_severity,
                severity: setting.severity.unwrap_or(info.default_severity),
                enabled: setting.enabled.unwrap_or(true),
            });
        }
        let all_disabled = !infos.is_empty()
            && infos
                .iter()
                .all(|info| config.setting(name, &info.id).enabled == Some(false));
        if all_disabled {
            continue;
        }
        let found = linter
            .lint(objects, config.linter_config(name))
            .map_err(|mut err| {
                // The runner knows which linter it called; a plugin cannot name another.
                err.linter = name.to_owned();
                Error::Linter(err)
            })?;
        for mut finding in found {
            finding.linter = name.to_owned();
            let setting = config.setting(name, &finding.rule);
            if setting.enabled == Some(false) {
                continue;
            }
            if let Some(severity) = setting.severity {
                finding.severity = severity;
            }
            if suppressions.suppresses(&finding) {
                suppressed += 1;
                continue;
            }
            findings.push(finding);
        }
    }
    findings.sort_by(|a, b| {
        (
            &a.source, &a.object, &a.path, &a.rule, &a.linter, &a.message,
        )
            .cmp(&(
                &b.source, &b.object, &b.path, &b.rule, &b.linter, &b.message,
            ))
    });
    findings.dedup();

    let warnings = config_warnings(config, linters, &rules);
    Ok(Report {
        findings,
        rules,
        objects: objects.len(),
        suppressed,
        warnings,
    })
}

/// Says which config entries matched nothing, since a typo there silently changes nothing.
fn config_warnings(config: &Config, linters: &[&dyn Linter], rules: &[RuleReport]) -> Vec<String> {
    let source = config.source.as_deref().unwrap_or("lint config");
    let mut warnings = Vec::new();
    for key in config.rule_keys() {
        let known = match key.split_once('/') {
            Some((linter, rule)) => rules.iter().any(|r| r.linter == linter && r.id == rule),
            None => rules.iter().any(|r| r.id == key),
        };
        if !known {
            warnings.push(format!(
                "{source}: rules.{key}: no linter that ran has this rule"
            ));
        }
    }
    for name in config.linter_names() {
        if !linters.iter().any(|l| l.name() == name) {
            warnings.push(format!(
                "{source}: linters.{name}: no linter of this name ran"
            ));
        }
    }
    warnings
}

/// The lint-ignore annotations of the objects, by object.
struct Suppressions {
    by_object: HashMap<ObjectRef, Vec<String>>,
}

impl Suppressions {
    fn new(objects: &[Object]) -> Self {
        let mut by_object: HashMap<ObjectRef, Vec<String>> = HashMap::new();
        for object in objects {
            let Some(text) = object
                .value
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(IGNORE_ANNOTATION))
                .and_then(|v| v.as_str())
            else {
                continue;
            };
            by_object.entry(object.object_ref()).or_default().extend(
                text.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            );
        }
        Suppressions { by_object }
    }

    fn suppresses(&self, finding: &Finding) -> bool {
        let Some(patterns) = self.by_object.get(&finding.object) else {
            return false;
        };
        patterns
            .iter()
            .any(|pattern| match pattern.split_once('/') {
                Some((linter, rule)) => {
                    linter == finding.linter && (rule == "*" || rule == finding.rule)
                }
                None => pattern == "*" || *pattern == finding.rule,
            })
    }
}
