//! SARIF 2.1.0 output (`-o sarif`), so code-scanning UIs show lint findings: one run whose
//! `tool.driver` lists the rules, and one result per finding located at its template
//! (`artifactLocation`) and its object (`logicalLocations`).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::report::Report;
use super::{Finding, Severity};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes what may not appear in a URI reference path.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Report {
    /// The report as a SARIF 2.1.0 log. `artifact` maps a finding's template
    /// (`web/templates/deployment.yaml`) to the path the user's repository knows it by.
    pub fn to_sarif(&self, artifact: &dyn Fn(&str) -> String) -> String {
        // A rule id two linters share is qualified by linter, so ruleId stays unique.
        let mut linters_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for rule in &self.rules {
            linters_of.entry(&rule.id).or_default().insert(&rule.linter);
        }
        for finding in &self.findings {
            linters_of
                .entry(&finding.rule)
                .or_default()
                .insert(&finding.linter);
        }
        let sarif_id = |linter: &str, rule: &str| {
            if linters_of.get(rule).is_some_and(|l| l.len() > 1) {
                format!("{linter}/{rule}")
            } else {
                rule.to_owned()
            }
        };

        let mut rules = Vec::new();
        let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
        for rule in self.rules.iter().filter(|r| r.enabled) {
            index.insert((rule.linter.clone(), rule.id.clone()), rules.len());
            rules.push(json!({
                "id": sarif_id(&rule.linter, &rule.id),
                "shortDescription": {"text": rule.description},
                "defaultConfiguration": {"level": level(rule.severity)},
                "properties": {"linter": rule.linter},
            }));
        }
        // A plugin may report a rule it did not declare; SARIF still wants it described.
        for finding in &self.findings {
            let key = (finding.linter.clone(), finding.rule.clone());
            if let Entry::Vacant(entry) = index.entry(key) {
                entry.insert(rules.len());
                rules.push(json!({
                    "id": sarif_id(&finding.linter, &finding.rule),
                    "shortDescription": {"text": format!("{} (not declared by linter `{}`)", finding.rule, finding.linter)},
                    "properties": {"linter": finding.linter},
                }));
            }
        }

        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|finding| {
                let rule_index = index[&(finding.linter.clone(), finding.rule.clone())];
                result(
                    finding,
                    &sarif_id(&finding.linter, &finding.rule),
                    rule_index,
                    artifact,
                )
            })
            .collect();

        let log = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "kubectl-chart",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }},
                "results": results,
                "properties": {"objects": self.objects, "suppressed": self.suppressed},
            }],
        });
        let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn result(
    finding: &Finding,
    rule_id: &str,
    rule_index: usize,
    artifact: &dyn Fn(&str) -> String,
) -> Value {
    let object = &finding.object;
    let path = finding.path.as_deref().unwrap_or("$");
    let mut hash = Sha256::new();
    for part in [rule_id, &object.to_string(), path] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let fingerprint: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": finding.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri_path(&artifact(&finding.source))},
                // Rendered objects do not map back to template lines; code-scanning UIs need
                // a region, so results point at the template's first line.
                "region": {"startLine": 1},
            },
            "logicalLocations": [{
                "name": object.name,
                "fullyQualifiedName": object.to_string(),
                "kind": "object",
            }],
        }],
        "partialFingerprints": {"kubectlChartFinding/v1": fingerprint},
        "properties": {
            "jsonPath": finding.path,
            "linter": finding.linter,
            "object": object,
        },
    })
}
