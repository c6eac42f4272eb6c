//! Selector rules: a controller's selector must select its own pod template, and a Service's
//! selector must select some pod the chart creates.

use serde_json::{Map, Value};

use super::pod::pod_spec;
use super::{Context, Hit, Rule, text_of as text};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "mismatching-selector",
        severity: Severity::Error,
        description: "A Deployment, StatefulSet, DaemonSet, ReplicaSet or ReplicationController selector must match its pod template's labels",
        check: mismatching_selector,
    },
    Rule {
        id: "dangling-service",
        severity: Severity::Warning,
        description: "A Service's selector must match the pod template of some workload in the chart (Services without a selector are exempt)",
        check: dangling_service,
    },
];

type Labels = Map<String, Value>;

fn label(labels: Option<&Labels>, key: &str) -> Option<String> {
    labels.and_then(|l| l.get(key)).map(text)
}

/// Checks a `LabelSelector` (`matchLabels` and `matchExpressions`) against `labels`; one hit
/// per requirement the labels do not meet.
fn label_selector_misses(
    selector: &Map<String, Value>,
    labels: Option<&Labels>,
    at: &str,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    let hint = "make `spec.selector` and `spec.template.metadata.labels` agree";
    if let Some(match_labels) = selector.get("matchLabels").and_then(Value::as_object) {
        let base = path::key(at, "matchLabels");
        for (key, want) in match_labels {
            let want = text(want);
            let problem = match label(labels, key) {
                Some(have) if have == want => continue,
                Some(have) => format!("but the pod template has `{key}: {have}`"),
                None => "but the pod template has no such label".to_owned(),
            };
            hits.push(Hit::new(
                path::key(&base, key),
                format!("selector requires label `{key}: {want}` {problem}; {hint}"),
            ));
        }
    }
    if let Some(expressions) = selector.get("matchExpressions").and_then(Value::as_array) {
        let base = path::key(at, "matchExpressions");
        for (i, expression) in expressions.iter().enumerate() {
            let key = expression
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let operator = expression
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let values: Vec<String> = expression
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().map(text).collect())
                .unwrap_or_default();
            let have = label(labels, key);
            let ok = match operator {
                "In" => have.as_ref().is_some_and(|h| values.contains(h)),
                "NotIn" => have.as_ref().is_none_or(|h| !values.contains(h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                other => {
                    hits.push(Hit::new(
                        path::key(&path::index(&base, i), "operator"),
                        format!("selector expression has unknown operator `{other}`; use In, NotIn, Exists or DoesNotExist"),
                    ));
                    continue;
                }
            };
            if !ok {
                let have =
                    have.map_or_else(|| "no such label".to_owned(), |h| format!("`{key}: {h}`"));
                hits.push(Hit::new(
                    path::index(&base, i),
                    format!(
                        "selector requires `{key} {operator} [{}]` but the pod template has {have}; {hint}",
                        values.join(", ")
                    ),
                ));
            }
        }
    }
    hits
}

fn mismatching_selector(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let kind = object.kind();
    if !matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController"
    ) {
        return Vec::new();
    }
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let at = "$.spec.selector";
    let selector = object.value.get("spec").and_then(|s| s.get("selector"));
    if kind == "ReplicationController" {
        // A plain map of labels, defaulted from the template when absent.
        let Some(selector) = selector.and_then(Value::as_object) else {
            return Vec::new();
        };
        let as_match_labels: Map<String, Value> =
            [("matchLabels".to_owned(), Value::Object(selector.clone()))]
                .into_iter()
                .collect();
        return label_selector_misses(&as_match_labels, spec.labels, "$.spec")
            .into_iter()
            .map(|hit| Hit::new(hit.path.replace("$.spec.matchLabels", at), hit.message))
            .collect();
    }
    let apps_group = object.api_version().starts_with("apps/");
    match selector.and_then(Value::as_object) {
        None if apps_group => vec![Hit::new(
            at.to_owned(),
            format!(
                "{kind} has no `spec.selector`, which apps/v1 requires; set `spec.selector.matchLabels` to the pod template's labels"
            ),
        )],
        None => Vec::new(),
        Some(selector) => {
            let empty = |field: &str| {
                selector.get(field).is_none_or(|v| match v {
                    Value::Object(m) => m.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    _ => true,
                })
            };
            if empty("matchLabels") && empty("matchExpressions") {
                return vec![Hit::new(
                    at.to_owned(),
                    format!(
                        "{kind} has an empty selector, which would select every pod in the namespace; set `spec.selector.matchLabels` to the pod template's labels"
                    ),
                )];
            }
            label_selector_misses(selector, spec.labels, at)
        }
    }
}

/// Whether two objects can be in the same namespace: an object without one is installed in
/// the release namespace, which may be anything, so it is compatible with every namespace.
fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Label values compared as text (`1` selects `"1"`), without building text for strings.
fn same_label(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::String(a), Value::String(b)) => a == b,
        _ => text(have) == text(want),
    }
}

fn dangling_service(object: &Object, context: &Context<'_>) -> Vec<Hit> {
    if object.kind() != "Service" || object.api_version() != "v1" {
        return Vec::new();
    }
    let spec = object.value.get("spec");
    if spec.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("ExternalName") {
        return Vec::new();
    }
    let Some(selector) = spec
        .and_then(|s| s.get("selector"))
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
    else {
        return Vec::new();
    };
    let selects = |labels: &Labels| {
        selector
            .iter()
            .all(|(key, want)| labels.get(key).is_some_and(|have| same_label(have, want)))
    };
    let namespace = object.namespace();
    let matched = context
        .pod_labels
        .iter()
        .any(|(workload_namespace, labels)| {
            same_namespace(namespace, *workload_namespace) && selects(labels)
        });
    if matched {
        return Vec::new();
    }
    let shown: Vec<String> = selector
        .iter()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect();
    vec![Hit::new(
        "$.spec.selector".to_owned(),
        format!(
            "service selector `{}` matches no pod template in the chart, so the service has no endpoints; fix the selector or the workload's pod labels (suppress the rule if the pods come from elsewhere)",
            shown.join(",")
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment};

    fn workload(kind: &str, selector: &str, labels: &str) -> String {
        format!(
            "{{apiVersion: apps/v1, kind: {kind}, metadata: {{name: w}}, spec: {{selector: {selector}, template: {{metadata: {{labels: {labels}}}, spec: {{containers: [{{name: a}}]}}}}}}}}"
        )
    }

    #[test]
    fn mismatching_selector() {
        let r = "mismatching-selector";
        let web = "{app: web, tier: fe}";
        check_table(&[
            (
                "match",
                r,
                &workload("Deployment", "{matchLabels: {app: web}}", web),
                &[],
            ),
            (
                "value differs",
                r,
                &workload("Deployment", "{matchLabels: {app: api}}", web),
                &["$.spec.selector.matchLabels.app"],
            ),
            (
                "label missing",
                r,
                &workload(
                    "StatefulSet",
                    "{matchLabels: {app: web, 'app.kubernetes.io/name': web}}",
                    web,
                ),
                &["$.spec.selector.matchLabels['app.kubernetes.io/name']"],
            ),
            (
                "in ok",
                r,
                &workload(
                    "DaemonSet",
                    "{matchExpressions: [{key: tier, operator: In, values: [fe, be]}]}",
                    web,
                ),
                &[],
            ),
            (
                "in fails",
                r,
                &workload(
                    "DaemonSet",
                    "{matchExpressions: [{key: tier, operator: In, values: [be]}]}",
                    web,
                ),
                &["$.spec.selector.matchExpressions[0]"],
            ),
            (
                "notin ok",
                r,
                &workload(
                    "ReplicaSet",
                    "{matchExpressions: [{key: tier, operator: NotIn, values: [be]}]}",
                    web,
                ),
                &[],
            ),
            (
                "notin fails",
                r,
                &workload(
                    "ReplicaSet",
                    "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: NotIn, values: [fe]}]}",
                    web,
                ),
                &["$.spec.selector.matchExpressions[0]"],
            ),
            (
                "exists ok",
                r,
                &workload(
                    "Deployment",
                    "{matchExpressions: [{key: app, operator: Exists}]}",
                    web,
                ),
                &[],
            ),
            (
                "exists fails",
                r,
                &workload(
                    "Deployment",
                    "{matchExpressions: [{key: zone, operator: Exists}]}",
                    web,
                ),
                &["$.spec.selector.matchExpressions[0]"],
            ),
            (
                "doesnotexist fails",
                r,
                &workload(
                    "Deployment",
                    "{matchExpressions: [{key: app, operator: DoesNotExist}]}",
                    web,
                ),
                &["$.spec.selector.matchExpressions[0]"],
            ),
            (
                "bad operator",
                r,
                &workload(
                    "Deployment",
                    "{matchExpressions: [{key: app, operator: Equals, values: [web]}]}",
                    web,
                ),
                &["$.spec.selector.matchExpressions[0].operator"],
            ),
            (
                "empty selector",
                r,
                &workload("Deployment", "{}", web),
                &["$.spec.selector"],
            ),
            (
                "missing selector",
                r,
                "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: a}]}}}}",
                &["$.spec.selector"],
            ),
            (
                "pods are not checked",
                r,
                "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a}]}}",
                &[],
            ),
            (
                "replication controller",
                r,
                "{apiVersion: v1, kind: ReplicationController, metadata: {name: rc}, spec: {selector: {app: x}, template: {metadata: {labels: {app: y}}, spec: {containers: [{name: a}]}}}}",
                &["$.spec.selector.app"],
            ),
            (
                "replication controller without selector",
                r,
                "{apiVersion: v1, kind: ReplicationController, metadata: {name: rc}, spec: {template: {metadata: {labels: {app: y}}, spec: {containers: [{name: a}]}}}}",
                &[],
            ),
        ]);
    }

    fn service(selector: &str) -> String {
        format!(
            "{{apiVersion: v1, kind: Service, metadata: {{name: s}}, spec: {{selector: {selector}, ports: [{{port: 80}}]}}}}"
        )
    }

    #[test]
    fn dangling_service() {
        let r = "dangling-service";
        let dep = deployment("{containers: [{name: a}]}");
        let two = |a: &str, b: &str| format!("{a}\n---\n{b}");
        check_table(&[
            (
                "selects deployment",
                r,
                &two(&service("{app: web}"), &dep),
                &[],
            ),
            (
                "selects nothing",
                r,
                &two(&service("{app: api}"), &dep),
                &["$.spec.selector"],
            ),
            (
                "partial match is no match",
                r,
                &two(&service("{app: web, tier: x}"), &dep),
                &["$.spec.selector"],
            ),
            (
                "no workloads",
                r,
                &service("{app: web}"),
                &["$.spec.selector"],
            ),
            (
                "no selector",
                r,
                "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}",
                &[],
            ),
            ("empty selector", r, &service("{}"), &[]),
            (
                "external name",
                r,
                "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: ExternalName, externalName: x.example.com, selector: {app: x}}}",
                &[],
            ),
            (
                "selects a pod",
                r,
                &two(
                    &service("{app: p}"),
                    "{apiVersion: v1, kind: Pod, metadata: {name: p, labels: {app: p}}, spec: {containers: [{name: a}]}}",
                ),
                &[],
            ),
            (
                "other namespace",
                r,
                &two(
                    "{apiVersion: v1, kind: Service, metadata: {name: s, namespace: a}, spec: {selector: {app: web}}}",
                    "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d, namespace: b}, spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a}]}}}}",
                ),
                &["$.spec.selector"],
            ),
            (
                "same namespace, and values compared as text",
                r,
                &two(
                    "{apiVersion: v1, kind: Service, metadata: {name: s, namespace: a}, spec: {selector: {v: 1}}}",
                    "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d, namespace: a}, spec: {selector: {matchLabels: {v: '1'}}, template: {metadata: {labels: {v: '1'}}, spec: {containers: [{name: a}]}}}}",
                ),
                &[],
            ),
        ]);
    }
}
