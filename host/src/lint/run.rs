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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{LinterError, RuleInfo, Severity, run_all};
    use crate::manifest;
    use serde_json::Value;
    use std::cell::RefCell;

    /// A linter that reports one finding per object for each of its rules, or fails.
    struct Fake {
        name: &'static str,
        rules: &'static [&'static str],
        fail: bool,
        seen_config: RefCell<Option<Value>>,
    }

    impl Fake {
        fn new(name: &'static str, rules: &'static [&'static str]) -> Self {
            Fake {
                name,
                rules,
                fail: false,
                seen_config: RefCell::new(None),
            }
        }
    }

    impl Linter for Fake {
        fn name(&self) -> &str {
            self.name
        }

        fn rules(&self) -> Vec<RuleInfo> {
            self.rules
                .iter()
                .map(|id| RuleInfo {
                    id: (*id).to_owned(),
                    default_severity: Severity::Warning,
                    description: format!("{id} rule"),
                })
                .collect()
        }

        fn lint(&self, objects: &[Object], config: &Value) -> Result<Vec<Finding>, LinterError> {
            *self.seen_config.borrow_mut() = Some(config.clone());
            if self.fail {
                return Err(LinterError {
                    linter: "someone-else".to_owned(),
                    message: "guest trapped: unreachable".to_owned(),
                });
            }
            let mut out = Vec::new();
            // Reversed, so the runner has to sort.
            for object in objects.iter().rev() {
                for rule in self.rules {
                    out.push(Finding {
                        rule: (*rule).to_owned(),
                        severity: Severity::Warning,
                        message: format!("{rule} on {}", object.name()),
                        object: object.object_ref(),
                        source: object.source.clone(),
                        path: Some("$.spec".to_owned()),
                        linter: "lies".to_owned(),
                    });
                }
            }
            Ok(out)
        }
    }

    fn objects() -> Vec<Object> {
        let mut objects = manifest::parse(
            "c/templates/b.yaml",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: b2}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: b1, annotations: {kubectl-chart.io/lint-ignore: 'r1, fake/r2'}}}\n",
        )
        .unwrap();
        objects.extend(
            manifest::parse(
                "c/templates/a.yaml",
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {kubectl-chart.io/lint-ignore: '*'}}}\n",
            )
            .unwrap(),
        );
        objects
    }

    fn keys(report: &Report) -> Vec<String> {
        report
            .findings
            .iter()
            .map(|f| format!("{}:{}:{}:{:?}", f.object.name, f.linter, f.rule, f.severity))
            .collect()
    }

    #[test]
    fn suppression_by_annotation() {
        let fake = Fake::new("fake", &["r1", "r2", "r3"]);
        let other = Fake::new("other", &["r2"]);
        let report = run(&objects(), &[&fake, &other], &Config::default()).unwrap();
        assert_eq!(
            keys(&report),
            [
                // b1 ignores r1 from any linter and r2 from `fake` only; a ignores everything.
                "b1:other:r2:Warning",
                "b1:fake:r3:Warning",
                "b2:fake:r1:Warning",
                "b2:fake:r2:Warning",
                "b2:other:r2:Warning",
                "b2:fake:r3:Warning",
            ]
        );
        assert_eq!(report.suppressed, 6);
        assert_eq!(report.objects, 3);
    }

    #[test]
    fn config_disables_and_overrides_severity() {
        let fake = Fake::new("fake", &["r1", "r2", "r3"]);
        let other = Fake::new("other", &["r2"]);
        let config = Config::parse(
            "c.yaml",
            "rules:\n  r1: off\n  r2: error\n  other/r2: info\n  nope: off\nlinters:\n  fake: {k: v}\n  ghost: {}\n",
        )
        .unwrap();
        let report = run(&objects(), &[&fake, &other], &config).unwrap();
        let b2: Vec<_> = keys(&report)
            .into_iter()
            .filter(|k| k.starts_with("b2"))
            .collect();
        assert_eq!(
            b2,
            ["b2:fake:r2:Error", "b2:other:r2:Info", "b2:fake:r3:Warning"]
        );
        assert_eq!(
            *fake.seen_config.borrow(),
            Some(serde_json::json!({"k": "v"}))
        );
        assert_eq!(*other.seen_config.borrow(), Some(Value::Null));
        assert_eq!(
            report.warnings,
            [
                "c.yaml: rules.nope: no linter that ran has this rule",
                "c.yaml: linters.ghost: no linter of this name ran"
            ]
        );
        let r1 = report.rules.iter().find(|r| r.id == "r1").unwrap();
        assert!(!r1.enabled);
        let r2 = report.rules.iter().find(|r| r.linter == "other").unwrap();
        assert_eq!(
            (r2.default_severity, r2.severity),
            (Severity::Warning, Severity::Info)
        );
    }

    #[test]
    fn a_fully_disabled_linter_is_not_called() {
        let fake = Fake::new("fake", &["r1"]);
        let config = Config::parse("c.yaml", "rules: {r1: off}").unwrap();
        let report = run(&objects(), &[&fake], &config).unwrap();
        assert!(report.findings.is_empty());
        assert!(fake.seen_config.borrow().is_none());
    }

    #[test]
    fn findings_are_sorted_by_template_object_path_rule() {
        let fake = Fake::new("fake", &["r3", "r1"]);
        let report = run(&objects(), &[&fake], &Config::default()).unwrap();
        let order: Vec<_> = report
            .findings
            .iter()
            .map(|f| format!("{} {} {}", f.source, f.object.name, f.rule))
            .collect();
        assert_eq!(
            order,
            [
                "c/templates/b.yaml b1 r3",
                "c/templates/b.yaml b2 r1",
                "c/templates/b.yaml b2 r3"
            ]
        );
    }

    #[test]
    fn a_failing_linter_is_named() {
        let mut broken = Fake::new("wasm-policy", &["x"]);
        broken.fail = true;
        let err = run(&objects(), &[&broken], &Config::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "linter `wasm-policy` failed: guest trapped: unreachable"
        );
    }

    #[test]
    fn linter_names_must_be_unique() {
        let a = Fake::new("builtin", &["x"]);
        let objects = objects();
        let err = run_all(&objects, &[&a], &Config::default()).unwrap_err();
        assert!(
            err.to_string().contains("two linters are named `builtin`"),
            "{err}"
        );
    }

    #[test]
    fn run_all_includes_builtin_custom_and_plugin_rules() {
        let yaml = "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'x:1'}]}}";
        let objects = manifest::parse("c/templates/p.yaml", yaml).unwrap();
        let config = Config::parse(
            "c.yaml",
            "custom-rules:\n  - {id: need-sa, kinds: [Pod], path: '$.spec.serviceAccountName', assert: exists}\n",
        )
        .unwrap();
        let plugin = Fake::new("plug", &["pr"]);
        let report = run_all(&objects, &[&plugin], &config).unwrap();
        let linters: BTreeSet<_> = report.findings.iter().map(|f| f.linter.as_str()).collect();
        assert_eq!(
            linters.into_iter().collect::<Vec<_>>(),
            ["builtin", "config", "plug"]
        );
        assert!(
            report
                .rules
                .iter()
                .any(|r| r.id == "need-sa" && r.linter == "config")
        );
        assert!(
            report
                .rules
                .iter()
                .any(|r| r.id == "latest-tag" && r.linter == "builtin")
        );
    }
}
