//! Host namespace and host path rules: a pod that shares the node's network, processes, IPC
//! or sensitive files can escape onto the node.

use serde_json::Value;

use super::pod::pod_spec;
use super::{Context, Hit, Rule};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "host-network",
        severity: Severity::Warning,
        description: "Pods must not share the node's network namespace (`hostNetwork: true`)",
        check: host_network,
    },
    Rule {
        id: "host-pid",
        severity: Severity::Warning,
        description: "Pods must not share the node's process namespace (`hostPID: true`)",
        check: host_pid,
    },
    Rule {
        id: "host-ipc",
        severity: Severity::Warning,
        description: "Pods must not share the node's IPC namespace (`hostIPC: true`)",
        check: host_ipc,
    },
    Rule {
        id: "sensitive-host-mounts",
        severity: Severity::Error,
        description: "Pods must not mount sensitive host paths (/, /etc, /proc, /sys, the container runtime socket, kubelet state, ...)",
        check: sensitive_host_mounts,
    },
];

fn host_namespace(object: &Object, field: &str, what: &str) -> Vec<Hit> {
    match pod_spec(object) {
        Some(spec) if spec.flag(field) => vec![Hit::new(
            path::key(&spec.path, field),
            format!(
                "pod shares the node's {what} (`{field}: true`), exposing the node to the pod; remove `{field}` unless this is a node agent, and suppress the rule for it then"
            ),
        )],
        _ => Vec::new(),
    }
}

fn host_network(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    host_namespace(object, "hostNetwork", "network namespace")
}

fn host_pid(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    host_namespace(object, "hostPID", "process namespace")
}

fn host_ipc(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    host_namespace(object, "hostIPC", "IPC namespace")
}

/// Host paths that are sensitive themselves, along with everything under them.
const SENSITIVE_TREES: &[&str] = &[
    "/etc",
    "/proc",
    "/sys",
    "/boot",
    "/root",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/etcd",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/crio",
    "/run/crio",
];

/// Host paths that are sensitive as a whole, though some paths under them are routinely
/// mounted (`/dev/fuse`, `/var/log/pods`).
const SENSITIVE_EXACT: &[&str] = &[
    "/", "/dev", "/usr", "/lib", "/bin", "/sbin", "/var", "/var/run", "/run",
];

/// Makes `//etc/./kubernetes/` and `/etc/kubernetes` compare equal.
fn normalise(host_path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in host_path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_sensitive(host_path: &str) -> bool {
    let path = normalise(host_path);
    SENSITIVE_EXACT.contains(&path.as_str())
        || SENSITIVE_TREES.iter().any(|tree| {
            path == *tree
                || path
                    .strip_prefix(tree)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

fn sensitive_host_mounts(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let Some(volumes) = spec.spec.get("volumes").and_then(Value::as_array) else {
        return Vec::new();
    };
    let base = path::key(&spec.path, "volumes");
    let mut hits = Vec::new();
    for (i, volume) in volumes.iter().enumerate() {
        let Some(host_path) = volume
            .get("hostPath")
            .and_then(|h| h.get("path"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if is_sensitive(host_path) {
            let name = volume.get("name").and_then(Value::as_str).unwrap_or("?");
            hits.push(Hit::new(
                path::keys(&path::index(&base, i), &["hostPath", "path"]),
                format!(
                    "volume `{name}` mounts the sensitive host path `{host_path}`, which can give the pod control of the node; use a ConfigMap, Secret, emptyDir or a narrower path"
                ),
            ));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment, pod};
    use super::*;

    #[test]
    fn host_namespaces() {
        check_table(&[
            (
                "network unset",
                "host-network",
                &pod("{containers: [{name: a}]}"),
                &[],
            ),
            (
                "network false",
                "host-network",
                &pod("{hostNetwork: false, containers: [{name: a}]}"),
                &[],
            ),
            (
                "network true",
                "host-network",
                &pod("{hostNetwork: true, containers: [{name: a}]}"),
                &["$.spec.hostNetwork"],
            ),
            (
                "network in deployment",
                "host-network",
                &deployment("{hostNetwork: true, containers: [{name: a}]}"),
                &["$.spec.template.spec.hostNetwork"],
            ),
            (
                "pid true",
                "host-pid",
                &pod("{hostPID: true, containers: [{name: a}]}"),
                &["$.spec.hostPID"],
            ),
            (
                "pid unset",
                "host-pid",
                &pod("{hostNetwork: true, containers: [{name: a}]}"),
                &[],
            ),
            (
                "ipc true",
                "host-ipc",
                &pod("{hostIPC: true, containers: [{name: a}]}"),
                &["$.spec.hostIPC"],
            ),
            (
                "ipc false",
                "host-ipc",
                &pod("{hostIPC: false, containers: [{name: a}]}"),
                &[],
            ),
        ]);
    }

    #[test]
    fn sensitive_paths() {
        for sensitive in [
            "/",
            "/etc",
            "/etc/",
            "//etc",
            "/etc/kubernetes/pki",
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/proc",
            "/sys/fs/cgroup",
            "/var/lib/kubelet",
            "/var/lib/kubelet/pods",
            "/data/../etc",
            "/dev",
        ] {
            assert!(is_sensitive(sensitive), "{sensitive}");
        }
        for fine in [
            "/data",
            "/var/log",
            "/var/log/pods",
            "/etcd-data",
            "/dev/fuse",
            "/tmp/x",
            "/var/lib/app",
        ] {
            assert!(!is_sensitive(fine), "{fine}");
        }
    }

    #[test]
    fn sensitive_host_mounts() {
        let r = "sensitive-host-mounts";
        check_table(&[
            ("no volumes", r, &pod("{containers: [{name: a}]}"), &[]),
            (
                "docker socket",
                r,
                &pod(
                    "{containers: [{name: a}], volumes: [{name: cfg, configMap: {name: c}}, {name: d, hostPath: {path: /var/run/docker.sock}}]}",
                ),
                &["$.spec.volumes[1].hostPath.path"],
            ),
            (
                "harmless host path",
                r,
                &pod("{containers: [{name: a}], volumes: [{name: d, hostPath: {path: /var/log}}]}"),
                &[],
            ),
            (
                "root in cronjob",
                r,
                "{apiVersion: batch/v1, kind: CronJob, metadata: {name: c}, spec: {schedule: '* * * * *', jobTemplate: {spec: {template: {spec: {containers: [{name: a}], volumes: [{name: r, hostPath: {path: /}}]}}}}}}",
                &["$.spec.jobTemplate.spec.template.spec.volumes[0].hostPath.path"],
            ),
        ]);
    }
}
