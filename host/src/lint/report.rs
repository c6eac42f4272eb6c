//! What a lint run found, and how it is shown: text for people (`-o text`), JSON for
//! scripts (`-o json`); SARIF for code-scanning UIs is in `sarif.rs`.

use std::fmt::Write as _;

use colored::Colorize;
use serde::Serialize;
use serde_json::json;

use super::{Finding, Severity};
use crate::manifest::ObjectRef;

/// The result of [`super::run`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// What was found, sorted by template, object, path and rule.
    pub findings: Vec<Finding>,
    /// Every rule of every linter that ran, with the config applied.
    pub rules: Vec<RuleReport>,
    /// How many objects were linted.
    pub objects: usize,
    /// How many findings the lint-ignore annotation hid.
    pub suppressed: usize,
    /// Problems with the config that did not stop the run (unknown rule ids).
    pub warnings: Vec<String>,
}

/// A rule as it applied in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleReport {
    pub linter: String,
    pub id: String,
    pub description: String,
    pub default_severity: Severity,
    /// The severity after the config's override.
    pub severity: Severity,
    pub enabled: bool,
}

impl Report {
    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether the run fails: any error, or with `strict` any warning too.
    pub fn fails(&self, strict: bool) -> bool {
        self.count(Severity::Error) > 0 || (strict && self.count(Severity::Warning) > 0)
    }

    /// `2 errors, 1 warning, 0 info in 5 objects (1 suppressed)`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let mut text = format!(
            "{}, {}, {} info in {}",
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning"),
            self.count(Severity::Info),
            plural(self.objects, "object"),
        );
        if self.suppressed > 0 {
            let _ = write!(text, " ({} suppressed)", self.suppressed);
        }
        text
    }

    /// Findings grouped by template and object, then a summary line; coloured when the
    /// `colored` override is on.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut source: Option<&str> = None;
        let mut object: Option<&ObjectRef> = None;
        for finding in &self.findings {
            if source != Some(finding.source.as_str()) {
                if source.is_some() {
                    out.push('\n');
                }
                let _ = writeln!(out, "{}", finding.source.bold());
                source = Some(&finding.source);
                object = None;
            }
            if object != Some(&finding.object) {
                let _ = writeln!(out, "  {}", finding.object.to_string().cyan());
                object = Some(&finding.object);
            }
            let label = match finding.severity {
                Severity::Error => "error  ".red().bold(),
                Severity::Warning => "warning".yellow().bold(),
                Severity::Info => "info   ".blue(),
            };
            let _ = writeln!(
                out,
                "    {label} {} {}",
                finding.rule.bold(),
                finding.message
            );
            if let Some(path) = &finding.path {
                let _ = writeln!(out, "            {}", format!("at {path}").dimmed());
            }
        }
        if !self.findings.is_empty() {
            out.push('\n');
        }
        let summary = self.summary();
        let summary = if self.count(Severity::Error) > 0 {
            summary.red().bold()
        } else if self.findings.is_empty() {
            summary.green()
        } else {
            summary.yellow()
        };
        let _ = writeln!(out, "{summary}");
        out
    }

    /// `{"summary": {...}, "findings": [...], "warnings": [...]}`, pretty-printed.
    pub fn to_json(&self) -> String {
        let value = json!({
            "summary": {
                "objects": self.objects,
                "errors": self.count(Severity::Error),
                "warnings": self.count(Severity::Warning),
                "info": self.count(Severity::Info),
                "suppressed": self.suppressed,
            },
            "findings": self.findings,
            "warnings": self.warnings,
        });
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{Config, run_all};
    use crate::manifest;

    fn report(yaml: &str) -> super::Report {
        let objects = manifest::parse("web/templates/t.yaml", yaml).unwrap();
        run_all(&objects, &[], &Config::default()).unwrap()
    }

    #[test]
    fn text_groups_by_template_and_object_with_a_summary() {
        colored::control::set_override(false);
        let report = report(
            "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostIPC: true, containers: [{name: a, image: 'x:1', securityContext: {privileged: true}}]}}\n---\n{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {app: nope}}}",
        );
        let text = report.to_text();
        assert_eq!(text.matches("web/templates/t.yaml\n").count(), 1, "{text}");
        assert!(text.contains("\n  v1 Pod p\n"), "{text}");
        assert!(text.contains("\n  v1 Service s\n"), "{text}");
        assert!(
            text.contains("    error   privileged-container container `a` runs privileged"),
            "{text}"
        );
        assert!(text.contains("            at $.spec.hostIPC\n"), "{text}");
        assert!(
            text.ends_with("1 error, 11 warnings, 0 info in 2 objects\n"),
            "{text}"
        );
        assert!(report.fails(false));
    }

    #[test]
    fn clean_report_and_strict() {
        let clean = report("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}");
        assert_eq!(
            clean.to_text(),
            "0 errors, 0 warnings, 0 info in 1 object\n"
        );
        assert!(!clean.fails(true));
        let warned = report(
            "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {app: x}}}",
        );
        assert!(!warned.fails(false));
        assert!(warned.fails(true));
    }

    #[test]
    fn json_has_summary_and_findings() {
        let report = report(
            "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {app: x}}}",
        );
        let value: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(value["summary"]["warnings"], 1);
        assert_eq!(value["summary"]["errors"], 0);
        let finding = &value["findings"][0];
        assert_eq!(finding["rule"], "dangling-service");
        assert_eq!(finding["severity"], "warning");
        assert_eq!(finding["object"]["kind"], "Service");
        assert_eq!(finding["source"], "web/templates/t.yaml");
        assert_eq!(finding["path"], "$.spec.selector");
        assert_eq!(finding["linter"], "builtin");
    }
}
