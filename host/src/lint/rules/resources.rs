//! Resource rules: every container states the CPU and memory it requests and may use, so the
//! scheduler can place it and one container cannot starve the node.

use serde_json::Value;

use super::pod::pod_spec;
use super::{Context, Hit, Rule};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "unset-cpu-requests",
        severity: Severity::Warning,
        description: "Containers must request CPU (`resources.requests.cpu`, or a CPU limit, which also sets the request)",
        check: cpu_requests,
    },
    Rule {
        id: "unset-memory-requests",
        severity: Severity::Warning,
        description: "Containers must request memory (`resources.requests.memory`, or a memory limit, which also sets the request)",
        check: memory_requests,
    },
    Rule {
        id: "unset-cpu-limits",
        severity: Severity::Warning,
        description: "Containers must limit CPU (`resources.limits.cpu`)",
        check: cpu_limits,
    },
    Rule {
        id: "unset-memory-limits",
        severity: Severity::Warning,
        description: "Containers must limit memory (`resources.limits.memory`)",
        check: memory_limits,
    },
];

/// A quantity counts as set when it is present and not zero (`0`, `"0m"`, `"0Gi"`).
fn is_set(quantity: Option<&Value>) -> bool {
    match quantity {
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => {
            let number: String = s
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '+' || *c == '-')
                .collect();
            !s.trim().is_empty() && !number.parse::<f64>().is_ok_and(|n| n == 0.0)
        }
        _ => false,
    }
}

fn check(object: &Object, kind: &str, resource: &str) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for c in spec.containers() {
        let get = |kind: &str| {
            c.value
                .get("resources")
                .and_then(|r| r.get(kind))
                .and_then(|k| k.get(resource))
        };
        // Kubernetes defaults a missing request to the limit.
        let set = is_set(get(kind)) || (kind == "requests" && is_set(get("limits")));
        if set {
            continue;
        }
        let (what, why) = match (kind, resource) {
            ("requests", "cpu") => ("CPU request", "so the scheduler can place it"),
            ("requests", _) => ("memory request", "so the scheduler can place it"),
            ("limits", "cpu") => ("CPU limit", "so it cannot starve its neighbours"),
            _ => ("memory limit", "so it cannot exhaust the node's memory"),
        };
        hits.push(Hit::new(
            path::keys(&c.path, &["resources", kind, resource]),
            format!(
                "{} has no {what}; set `resources.{kind}.{resource}` {why}",
                c.describe()
            ),
        ));
    }
    hits
}

fn cpu_requests(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    check(object, "requests", "cpu")
}

fn memory_requests(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    check(object, "requests", "memory")
}

fn cpu_limits(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    check(object, "limits", "cpu")
}

fn memory_limits(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    check(object, "limits", "memory")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment, pod};
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        for set in [
            json!("100m"),
            json!("1Gi"),
            json!(1),
            json!("0.5"),
            json!("1e3"),
        ] {
            assert!(is_set(Some(&set)), "{set}");
        }
        for unset in [
            json!("0"),
            json!("0m"),
            json!("0Gi"),
            json!(0),
            json!(""),
            json!(null),
        ] {
            assert!(!is_set(Some(&unset)), "{unset}");
        }
        assert!(!is_set(None));
    }

    #[test]
    fn resources() {
        let full = "{containers: [{name: a, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: '1', memory: 128Mi}}}]}";
        let limits_only =
            "{containers: [{name: a, resources: {limits: {cpu: 500m, memory: 128Mi}}}]}";
        let requests_only =
            "{containers: [{name: a, resources: {requests: {cpu: 100m, memory: 64Mi}}}]}";
        let none = "{containers: [{name: a}]}";
        let p = "$.spec.containers[0].resources";
        check_table(&[
            ("full cpu req", "unset-cpu-requests", &pod(full), &[]),
            ("full mem req", "unset-memory-requests", &pod(full), &[]),
            ("full cpu lim", "unset-cpu-limits", &pod(full), &[]),
            ("full mem lim", "unset-memory-limits", &pod(full), &[]),
            (
                "none cpu req",
                "unset-cpu-requests",
                &pod(none),
                &[&format!("{p}.requests.cpu")],
            ),
            (
                "none mem req",
                "unset-memory-requests",
                &pod(none),
                &[&format!("{p}.requests.memory")],
            ),
            (
                "none cpu lim",
                "unset-cpu-limits",
                &pod(none),
                &[&format!("{p}.limits.cpu")],
            ),
            (
                "none mem lim",
                "unset-memory-limits",
                &pod(none),
                &[&format!("{p}.limits.memory")],
            ),
            (
                "limit implies request",
                "unset-cpu-requests",
                &pod(limits_only),
                &[],
            ),
            (
                "limit implies mem request",
                "unset-memory-requests",
                &pod(limits_only),
                &[],
            ),
            (
                "request without limit",
                "unset-memory-limits",
                &pod(requests_only),
                &[&format!("{p}.limits.memory")],
            ),
            (
                "zero request",
                "unset-cpu-requests",
                &pod("{containers: [{name: a, resources: {requests: {cpu: '0'}}}]}"),
                &[&format!("{p}.requests.cpu")],
            ),
            (
                "init container needs limits too",
                "unset-memory-limits",
                &deployment(
                    "{containers: [{name: a, resources: {limits: {memory: 1Gi}}}], initContainers: [{name: i}]}",
                ),
                &["$.spec.template.spec.initContainers[0].resources.limits.memory"],
            ),
        ]);
    }
}
