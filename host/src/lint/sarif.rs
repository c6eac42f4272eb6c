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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Config, run_all};
    use crate::manifest;

    /// The parts of the SARIF 2.1.0 schema that a consumer relies on: required properties,
    /// enumerations and types of the objects we emit (written from the OASIS specification).
    fn sarif_subset_schema() -> Value {
        let message = json!({
            "type": "object",
            "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
            "properties": {"text": {"type": "string"}}
        });
        let level = json!({"enum": ["none", "note", "warning", "error"]});
        let location = json!({"type": "object", "properties": {
            "physicalLocation": {
                "type": "object",
                "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
                "properties": {
                    "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string", "pattern": "^[^ \\\\]*$"}}},
                    "region": {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1}}}
                }
            },
            "logicalLocations": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"},
                "fullyQualifiedName": {"type": "string"},
                "kind": {"type": "string"}
            }}}
        }});
        let result = json!({
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": level,
                "message": message,
                "locations": {"type": "array", "items": location},
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        });
        let rule = json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "shortDescription": message,
                "defaultConfiguration": {"type": "object", "properties": {"level": level}}
            }
        });
        let driver = json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "informationUri": {"type": "string"},
            "rules": {"type": "array", "items": rule}
        }});
        let run = json!({
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": driver}},
                "results": {"type": "array", "items": result}
            }
        });
        json!({
            "type": "object",
            "required": ["version", "runs"],
            "properties": {
                "$schema": {"type": "string"},
                "version": {"const": "2.1.0"},
                "runs": {"type": "array", "items": run}
            }
        })
    }

    fn report() -> Report {
        let yaml = "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}, spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {hostPID: true, containers: [{name: a, image: nginx}]}}}}";
        let objects = manifest::parse("web/templates/my deploy.yaml", yaml).unwrap();
        let config = Config::parse(
            "c.yaml",
            "rules: {unset-cpu-limits: off, host-pid: error}\ncustom-rules:\n  - {id: team-label, path: '$.metadata.labels.team', assert: exists, severity: info}\n",
        )
        .unwrap();
        run_all(&objects, &[], &config).unwrap()
    }

    #[test]
    fn validates_against_the_schema_subset() {
        let report = report();
        let log: Value = serde_json::from_str(&report.to_sarif(&|s| s.to_owned())).unwrap();
        if let Err(err) = jsonschema::validate(&sarif_subset_schema(), &log) {
            panic!("invalid SARIF: {err} at {}", err.instance_path());
        }
    }

    #[test]
    fn results_point_at_their_rules_templates_and_objects() {
        let report = report();
        let log: Value =
            serde_json::from_str(&report.to_sarif(&|s| format!("charts/{s}"))).unwrap();
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert!(
            !ids.contains(&"unset-cpu-limits"),
            "disabled rules are not listed"
        );
        let unique: BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "rule ids are unique");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len());
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
            let location = &result["locations"][0];
            assert_eq!(
                location["physicalLocation"]["artifactLocation"]["uri"],
                "charts/web/templates/my%20deploy.yaml"
            );
            assert_eq!(
                location["logicalLocations"][0]["fullyQualifiedName"],
                "apps/v1 Deployment shop/web"
            );
        }
        let level_of = |rule: &str| {
            results
                .iter()
                .find(|r| r["ruleId"] == rule)
                .map(|r| r["level"].as_str().unwrap().to_owned())
        };
        assert_eq!(level_of("host-pid").as_deref(), Some("error"));
        assert_eq!(level_of("latest-tag").as_deref(), Some("warning"));
        assert_eq!(level_of("team-label").as_deref(), Some("note"));
        let pid = results.iter().find(|r| r["ruleId"] == "host-pid").unwrap();
        assert_eq!(
            pid["properties"]["jsonPath"],
            "$.spec.template.spec.hostPID"
        );
        assert!(pid["message"]["text"].as_str().unwrap().contains("hostPID"));
    }

    #[test]
    fn clashing_rule_ids_are_qualified_by_linter() {
        let mut report = report();
        let builtin = report
            .findings
            .iter()
            .find(|f| f.linter == "builtin")
            .unwrap()
            .clone();
        let mut clash = builtin.clone();
        clash.linter = "plug".to_owned();
        report.findings.push(clash);
        let log: Value = serde_json::from_str(&report.to_sarif(&|s| s.to_owned())).unwrap();
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let rule = &builtin.rule;
        assert!(rules.iter().any(|r| r["id"] == format!("plug/{rule}")));
        assert!(rules.iter().any(|r| r["id"] == format!("builtin/{rule}")));
        let last = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["ruleId"], format!("plug/{rule}"));
    }

    #[test]
    fn uris_are_escaped() {
        assert_eq!(uri_path("a b/c%d\\e.yaml"), "a%20b/c%25d/e.yaml");
    }
}
