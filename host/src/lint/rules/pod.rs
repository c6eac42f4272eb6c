//! Where workload kinds keep their pod spec, and the containers inside it, with JSONPaths.

use serde_json::{Map, Value};

use crate::lint::path;
use crate::manifest::Object;

/// A pod spec inside an object, and where it is.
pub(super) struct PodSpec<'a> {
    pub kind: &'a str,
    pub spec: &'a Map<String, Value>,
    /// `$.spec.template.spec`.
    pub path: String,
    /// The pod template's labels (a Pod's own labels), when it has any.
    pub labels: Option<&'a Map<String, Value>>,
}

/// One container of a pod spec.
pub(super) struct Container<'a> {
    pub name: &'a str,
    pub value: &'a Value,
    /// `$.spec.template.spec.containers[0]`.
    pub path: String,
    /// An init container (including native sidecars).
    pub init: bool,
}

/// Where each workload kind keeps its pod template, relative to the object root. A Pod's
/// labels are its own; every other kind's are in the template beside the spec.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    })
}

/// The API groups the workload kinds live in; a custom resource that reuses a kind name
/// (`Deployment` in some other group) is not a workload we understand.
fn is_workload_group(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    matches!(group, "" | "apps" | "batch" | "extensions")
}

/// The pod spec of a workload object, or `None` for other kinds.
pub(super) fn pod_spec(object: &Object) -> Option<PodSpec<'_>> {
    if !is_workload_group(object.api_version()) {
        return None;
    }
    let kind = object.kind();
    let steps = template_path(kind)?;
    let mut template = &object.value;
    for step in steps {
        template = template.get(step)?;
    }
    let spec = template.get("spec")?.as_object()?;
    let labels = template
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object);
    Some(PodSpec {
        kind,
        spec,
        path: path::key(&path::keys("$", steps), "spec"),
        labels,
    })
}

impl<'a> PodSpec<'a> {
    /// Containers then init containers, each with its path.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for (field, init) in [("containers", false), ("initContainers", true)] {
            let Some(list) = self.spec.get(field).and_then(Value::as_array) else {
                continue;
            };
            let base = path::key(&self.path, field);
            for (i, value) in list.iter().enumerate() {
                out.push(Container {
                    name: value.get("name").and_then(Value::as_str).unwrap_or("?"),
                    value,
                    path: path::index(&base, i),
                    init,
                });
            }
        }
        out
    }

    /// Whether this kind runs to completion (Job, CronJob, or a Pod that is not restarted),
    /// so long-running concerns such as probes do not apply.
    pub fn runs_to_completion(&self) -> bool {
        match self.kind {
            "Job" | "CronJob" => true,
            "Pod" => matches!(
                self.spec.get("restartPolicy").and_then(Value::as_str),
                Some("Never" | "OnFailure")
            ),
            _ => false,
        }
    }

    /// A field of the spec as a bool (`hostNetwork: true`).
    pub fn flag(&self, field: &str) -> bool {
        self.spec.get(field).and_then(Value::as_bool) == Some(true)
    }
}

impl Container<'_> {
    /// `init container `x`` or `container `x``, for messages.
    pub fn describe(&self) -> String {
        if self.init {
            format!("init container `{}`", self.name)
        } else {
            format!("container `{}`", self.name)
        }
    }

    /// A field of the container's `securityContext`.
    pub fn security(&self, field: &str) -> Option<&Value> {
        self.value.get("securityContext")?.get(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Object {
        Object::new("t", value).unwrap()
    }

    #[test]
    fn finds_the_pod_spec_of_every_workload_kind() {
        let pod =
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "c"}]}});
        let cases = [
            ("v1", "Pod", json!({"spec": pod["spec"]}), "$.spec"),
            (
                "apps/v1",
                "Deployment",
                json!({"spec": {"template": pod}}),
                "$.spec.template.spec",
            ),
            (
                "apps/v1",
                "StatefulSet",
                json!({"spec": {"template": pod}}),
                "$.spec.template.spec",
            ),
            (
                "apps/v1",
                "DaemonSet",
                json!({"spec": {"template": pod}}),
                "$.spec.template.spec",
            ),
            (
                "apps/v1",
                "ReplicaSet",
                json!({"spec": {"template": pod}}),
                "$.spec.template.spec",
            ),
            (
                "batch/v1",
                "Job",
                json!({"spec": {"template": pod}}),
                "$.spec.template.spec",
            ),
            (
                "v1",
                "ReplicationController",
                json!({"spec": {"template": pod}}),
                "$.spec.template.spec",
            ),
            (
                "batch/v1",
                "CronJob",
                json!({"spec": {"jobTemplate": {"spec": {"template": pod}}}}),
                "$.spec.jobTemplate.spec.template.spec",
            ),
        ];
        for (api_version, kind, mut value, want) in cases {
            value["apiVersion"] = json!(api_version);
            value["kind"] = json!(kind);
            value["metadata"] = json!({"name": "x"});
            let o = object(value);
            let spec = pod_spec(&o).unwrap_or_else(|| panic!("{kind}"));
            assert_eq!(spec.path, want, "{kind}");
            let containers = spec.containers();
            assert_eq!(containers.len(), 1, "{kind}");
            assert_eq!(containers[0].path, format!("{want}.containers[0]"));
        }
    }

    #[test]
    fn ignores_other_kinds_and_groups() {
        let cases = [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"spec": {}}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}),
        ];
        for value in cases {
            assert!(pod_spec(&object(value.clone())).is_none(), "{value}");
        }
    }

    #[test]
    fn lists_init_containers_after_containers() {
        let o = object(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
            "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "a"}, {"name": "b"}]}}),
        );
        let spec = pod_spec(&o).unwrap();
        let got: Vec<_> = spec
            .containers()
            .iter()
            .map(|c| (c.name.to_owned(), c.init, c.path.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("a".to_owned(), false, "$.spec.containers[0]".to_owned()),
                ("b".to_owned(), false, "$.spec.containers[1]".to_owned()),
                ("i".to_owned(), true, "$.spec.initContainers[0]".to_owned()),
            ]
        );
    }
}
