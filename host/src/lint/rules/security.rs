//! Container security context rules: privilege, escalation, root user, writable root.

use serde_json::Value;

use super::pod::pod_spec;
use super::{Context, Hit, Rule};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "privileged-container",
        severity: Severity::Error,
        description: "Containers must not run privileged (all host devices and capabilities)",
        check: privileged_container,
    },
    Rule {
        id: "privilege-escalation",
        severity: Severity::Warning,
        description: "Containers must set `securityContext.allowPrivilegeEscalation: false`",
        check: privilege_escalation,
    },
    Rule {
        id: "run-as-non-root",
        severity: Severity::Warning,
        description: "Containers must run as a non-root user (`runAsNonRoot: true` or a non-zero `runAsUser`, on the pod or the container)",
        check: run_as_non_root,
    },
    Rule {
        id: "read-only-root-fs",
        severity: Severity::Warning,
        description: "Containers must set `securityContext.readOnlyRootFilesystem: true`",
        check: read_only_root_fs,
    },
];

fn security_path(container_path: &str, field: &str) -> String {
    path::keys(container_path, &["securityContext", field])
}

fn privileged_container(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    spec.containers()
        .into_iter()
        .filter(|c| c.security("privileged").and_then(Value::as_bool) == Some(true))
        .map(|c| {
            Hit::new(
                security_path(&c.path, "privileged"),
                format!(
                    "{} runs privileged, with every host device and capability; remove `privileged: true` and add only the capabilities it needs",
                    c.describe()
                ),
            )
        })
        .collect()
}

fn privilege_escalation(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for c in spec.containers() {
        let problem = match c.security("allowPrivilegeEscalation") {
            Some(Value::Bool(false)) => continue,
            Some(Value::Bool(true)) => "allows privilege escalation",
            _ => "does not forbid privilege escalation",
        };
        hits.push(Hit::new(
            security_path(&c.path, "allowPrivilegeEscalation"),
            format!(
                "{} {problem} (setuid binaries can gain root); set `securityContext.allowPrivilegeEscalation: false`",
                c.describe()
            ),
        ));
    }
    hits
}

fn run_as_non_root(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let pod_path = path::key(&spec.path, "securityContext");
    let pod_field = |field: &str| spec.spec.get("securityContext").and_then(|s| s.get(field));
    let mut hits = Vec::new();
    for c in spec.containers() {
        // The container's setting wins over the pod's, field by field.
        let (user, user_path) = match c.security("runAsUser") {
            Some(user) => (Some(user), security_path(&c.path, "runAsUser")),
            None => (pod_field("runAsUser"), path::key(&pod_path, "runAsUser")),
        };
        let non_root = c
            .security("runAsNonRoot")
            .or_else(|| pod_field("runAsNonRoot"))
            .and_then(Value::as_bool);
        let user = user.and_then(Value::as_i64);
        if user == Some(0) {
            hits.push(Hit::new(
                user_path,
                format!(
                    "{} runs as root (`runAsUser: 0`); run as a non-zero user id and set `runAsNonRoot: true`",
                    c.describe()
                ),
            ));
        } else if non_root != Some(true) && user.is_none_or(|u| u <= 0) {
            let detail = if non_root == Some(false) {
                "sets `runAsNonRoot: false`"
            } else {
                "may run as root: neither it nor the pod sets `runAsNonRoot: true` or a non-zero `runAsUser`"
            };
            hits.push(Hit::new(
                security_path(&c.path, "runAsNonRoot"),
                format!(
                    "{} {detail}; set `securityContext.runAsNonRoot: true` on the pod or the container",
                    c.describe()
                ),
            ));
        }
    }
    hits
}

fn read_only_root_fs(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    spec.containers()
        .into_iter()
        .filter(|c| c.security("readOnlyRootFilesystem").and_then(Value::as_bool) != Some(true))
        .map(|c| {
            Hit::new(
                security_path(&c.path, "readOnlyRootFilesystem"),
                format!(
                    "{} has a writable root filesystem; set `securityContext.readOnlyRootFilesystem: true` and mount an `emptyDir` where it must write",
                    c.describe()
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment, pod};

    #[test]
    fn privileged_container() {
        let r = "privileged-container";
        check_table(&[
            ("unset", r, &pod("{containers: [{name: a}]}"), &[]),
            (
                "false",
                r,
                &pod("{containers: [{name: a, securityContext: {privileged: false}}]}"),
                &[],
            ),
            (
                "true",
                r,
                &pod("{containers: [{name: a, securityContext: {privileged: true}}]}"),
                &["$.spec.containers[0].securityContext.privileged"],
            ),
            (
                "init container",
                r,
                &deployment(
                    "{containers: [{name: a}], initContainers: [{name: i, securityContext: {privileged: true}}]}",
                ),
                &["$.spec.template.spec.initContainers[0].securityContext.privileged"],
            ),
            (
                "string is not true",
                r,
                &pod(r#"{containers: [{name: a, securityContext: {privileged: "yes"}}]}"#),
                &[],
            ),
        ]);
    }

    #[test]
    fn privilege_escalation() {
        let r = "privilege-escalation";
        let p = "$.spec.containers[0].securityContext.allowPrivilegeEscalation";
        check_table(&[
            (
                "false",
                r,
                &pod(
                    "{containers: [{name: a, securityContext: {allowPrivilegeEscalation: false}}]}",
                ),
                &[],
            ),
            ("unset", r, &pod("{containers: [{name: a}]}"), &[p]),
            (
                "true",
                r,
                &pod(
                    "{containers: [{name: a, securityContext: {allowPrivilegeEscalation: true}}]}",
                ),
                &[p],
            ),
            (
                "two containers, one fixed",
                r,
                &pod(
                    "{containers: [{name: a, securityContext: {allowPrivilegeEscalation: false}}, {name: b}]}",
                ),
                &["$.spec.containers[1].securityContext.allowPrivilegeEscalation"],
            ),
            (
                "not a workload",
                r,
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}",
                &[],
            ),
        ]);
    }

    #[test]
    fn run_as_non_root() {
        let r = "run-as-non-root";
        let p = "$.spec.containers[0].securityContext.runAsNonRoot";
        check_table(&[
            ("unset", r, &pod("{containers: [{name: a}]}"), &[p]),
            (
                "pod level",
                r,
                &pod("{securityContext: {runAsNonRoot: true}, containers: [{name: a}]}"),
                &[],
            ),
            (
                "container level",
                r,
                &pod("{containers: [{name: a, securityContext: {runAsNonRoot: true}}]}"),
                &[],
            ),
            (
                "pod user",
                r,
                &pod("{securityContext: {runAsUser: 1000}, containers: [{name: a}]}"),
                &[],
            ),
            (
                "container user",
                r,
                &pod("{containers: [{name: a, securityContext: {runAsUser: 10001}}]}"),
                &[],
            ),
            (
                "container overrides pod with false",
                r,
                &pod(
                    "{securityContext: {runAsNonRoot: true}, containers: [{name: a, securityContext: {runAsNonRoot: false}}]}",
                ),
                &[p],
            ),
            (
                "root user at pod level",
                r,
                &pod(
                    "{securityContext: {runAsUser: 0, runAsNonRoot: true}, containers: [{name: a}]}",
                ),
                &["$.spec.securityContext.runAsUser"],
            ),
            (
                "root user at container level",
                r,
                &pod(
                    "{securityContext: {runAsNonRoot: true}, containers: [{name: a, securityContext: {runAsUser: 0}}]}",
                ),
                &["$.spec.containers[0].securityContext.runAsUser"],
            ),
            (
                "init container checked",
                r,
                &pod(
                    "{containers: [{name: a, securityContext: {runAsNonRoot: true}}], initContainers: [{name: i}]}",
                ),
                &["$.spec.initContainers[0].securityContext.runAsNonRoot"],
            ),
        ]);
    }

    #[test]
    fn read_only_root_fs() {
        let r = "read-only-root-fs";
        let p = "$.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem";
        check_table(&[
            (
                "true",
                r,
                &deployment(
                    "{containers: [{name: a, securityContext: {readOnlyRootFilesystem: true}}]}",
                ),
                &[],
            ),
            ("unset", r, &deployment("{containers: [{name: a}]}"), &[p]),
            (
                "false",
                r,
                &deployment(
                    "{containers: [{name: a, securityContext: {readOnlyRootFilesystem: false}}]}",
                ),
                &[p],
            ),
        ]);
    }
}
