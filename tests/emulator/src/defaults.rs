//! Server-side defaults a v1.35 apiserver fills in on create and update: the fields that make a
//! naive diff against a real cluster noisy (pod template defaults, Service IPs and policies,
//! workload strategies, Job labels, Secret `stringData`, ...).

use base64::Engine;
use serde_json::{Value, json};

use crate::util::default_field;

/// Cluster-wide state defaults need (IP allocation).
pub trait Allocator {
    /// A fresh ClusterIP.
    fn cluster_ip(&mut self) -> String;
    /// A fresh NodePort.
    fn node_port(&mut self) -> u16;
}

/// Applies the defaults of `group`/`kind` to an object.
pub fn apply(group: &str, kind: &str, obj: &mut Value, alloc: &mut dyn Allocator) {
    drop_nulls(obj);
    match (group, kind) {
        ("", "Pod") => {
            if let Some(spec) = obj.get_mut("spec") {
                pod_spec(spec);
                default_field(spec, &[], "enableServiceLinks", json!(true));
                default_field(spec, &[], "preemptionPolicy", json!("PreemptLowerPriority"));
                default_field(spec, &[], "priority", json!(0));
                default_field(spec, &[], "serviceAccountName", json!("default"));
                default_field(spec, &[], "serviceAccount", json!("default"));
                default_field(
                    spec,
                    &[],
                    "tolerations",
                    json!([
                        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
                    ]),
                );
            }
        }
        ("", "PodTemplate") => template(obj, &["template"]),
        ("", "ReplicationController") => {
            default_field(obj, &["spec"], "replicas", json!(1));
            template(obj, &["spec", "template"]);
        }
        ("apps", "Deployment") => {
            default_field(obj, &["spec"], "replicas", json!(1));
            default_field(obj, &["spec"], "revisionHistoryLimit", json!(10));
            default_field(obj, &["spec"], "progressDeadlineSeconds", json!(600));
            default_field(obj, &["spec"], "strategy", json!({}));
            default_field(obj, &["spec", "strategy"], "type", json!("RollingUpdate"));
            if obj.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("RollingUpdate") {
                default_field(
                    obj,
                    &["spec", "strategy", "rollingUpdate"],
                    "maxSurge",
                    json!("25%"),
                );
                default_field(
                    obj,
                    &["spec", "strategy", "rollingUpdate"],
                    "maxUnavailable",
                    json!("25%"),
                );
            }
            template(obj, &["spec", "template"]);
        }
        ("apps", "ReplicaSet") => {
            default_field(obj, &["spec"], "replicas", json!(1));
            template(obj, &["spec", "template"]);
        }
        ("apps", "StatefulSet") => {
            default_field(obj, &["spec"], "replicas", json!(1));
            default_field(obj, &["spec"], "revisionHistoryLimit", json!(10));
            default_field(obj, &["spec"], "podManagementPolicy", json!("OrderedReady"));
            default_field(obj, &["spec"], "updateStrategy", json!({}));
            default_field(
                obj,
                &["spec", "updateStrategy"],
                "type",
                json!("RollingUpdate"),
            );
            if obj
                .pointer("/spec/updateStrategy/type")
                .and_then(Value::as_str)
                == Some("RollingUpdate")
            {
                default_field(
                    obj,
                    &["spec", "updateStrategy", "rollingUpdate"],
                    "partition",
                    json!(0),
                );
            }
            default_field(
                obj,
                &["spec"],
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            template(obj, &["spec", "template"]);
            if let Some(Value::Array(claims)) = obj.pointer_mut("/spec/volumeClaimTemplates") {
                for c in claims {
                    default_field(c, &["spec"], "volumeMode", json!("Filesystem"));
                    default_field(c, &[], "apiVersion", json!("v1"));
                    default_field(c, &[], "kind", json!("PersistentVolumeClaim"));
                    default_field(c, &["status"], "phase", json!("Pending"));
                }
            }
        }
        ("apps", "DaemonSet") => {
            default_field(obj, &["spec"], "revisionHistoryLimit", json!(10));
            default_field(obj, &["spec"], "updateStrategy", json!({}));
            default_field(
                obj,
                &["spec", "updateStrategy"],
                "type",
                json!("RollingUpdate"),
            );
            if obj
                .pointer("/spec/updateStrategy/type")
                .and_then(Value::as_str)
                == Some("RollingUpdate")
            {
                default_field(
                    obj,
                    &["spec", "updateStrategy", "rollingUpdate"],
                    "maxUnavailable",
                    json!(1),
                );
                default_field(
                    obj,
                    &["spec", "updateStrategy", "rollingUpdate"],
                    "maxSurge",
                    json!(0),
                );
            }
            template(obj, &["spec", "template"]);
        }
        ("batch", "Job") => job_spec(obj, &["spec"]),
        ("batch", "CronJob") => {
            default_field(obj, &["spec"], "concurrencyPolicy", json!("Allow"));
            default_field(obj, &["spec"], "suspend", json!(false));
            default_field(obj, &["spec"], "successfulJobsHistoryLimit", json!(3));
            default_field(obj, &["spec"], "failedJobsHistoryLimit", json!(1));
            default_field(obj, &["spec", "jobTemplate"], "spec", json!({}));
            let jt = &["spec", "jobTemplate", "spec"];
            for (k, v) in [
                ("backoffLimit", json!(6)),
                ("completionMode", json!("NonIndexed")),
                ("manualSelector", Value::Null),
                ("podReplacementPolicy", json!("TerminatingOrFailed")),
                ("suspend", json!(false)),
            ] {
                if !v.is_null() {
                    default_field(obj, jt, k, v);
                }
            }
            template(obj, &["spec", "jobTemplate", "spec", "template"]);
        }
        ("", "Service") => service(obj, alloc),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            default_field(obj, &["spec"], "minReplicas", json!(1));
            let v2 = obj.get("apiVersion").and_then(Value::as_str) != Some("autoscaling/v1");
            if v2 && obj.pointer("/spec/metrics").is_none() {
                default_field(
                    obj,
                    &["spec"],
                    "metrics",
                    json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
                );
            }
        }
        ("", "Namespace") => {
            let name = obj
                .pointer("/metadata/name")
                .cloned()
                .unwrap_or(Value::Null);
            default_field(
                obj,
                &["metadata", "labels"],
                "kubernetes.io/metadata.name",
                name,
            );
            default_field(obj, &["spec"], "finalizers", json!(["kubernetes"]));
            default_field(obj, &["status"], "phase", json!("Active"));
        }
        ("", "Secret") => {
            if obj
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                obj["type"] = json!("Opaque");
            }
            if let Some(Value::Object(sd)) = obj
                .as_object_mut()
                .and_then(|m| m.shift_remove("stringData"))
            {
                for (k, v) in sd {
                    let enc = base64::engine::general_purpose::STANDARD
                        .encode(v.as_str().unwrap_or_default());
                    if let Some(m) = crate::util::obj_at(obj, &["data"]) {
                        m.insert(k, json!(enc));
                    }
                }
            }
        }
        ("storage.k8s.io", "StorageClass") => {
            default_field(obj, &[], "reclaimPolicy", json!("Delete"));
            default_field(obj, &[], "volumeBindingMode", json!("Immediate"));
        }
        ("", "PersistentVolumeClaim") => {
            default_field(obj, &["spec"], "volumeMode", json!("Filesystem"));
            default_field(obj, &["status"], "phase", json!("Pending"));
        }
        ("networking.k8s.io", "NetworkPolicy") if obj.pointer("/spec/policyTypes").is_none() => {
            let mut types = vec![json!("Ingress")];
            if obj.pointer("/spec/egress").is_some() {
                types.push(json!("Egress"));
            }
            default_field(obj, &["spec"], "policyTypes", Value::Array(types));
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            if let Some(Value::Array(subjects)) = obj.pointer_mut("/subjects") {
                for s in subjects {
                    match s.get("kind").and_then(Value::as_str) {
                        // Defaulted to "", which `omitempty` leaves out of every response.
                        Some("ServiceAccount") => {
                            if s.get("apiGroup").and_then(Value::as_str) == Some("")
                                && let Some(m) = s.as_object_mut()
                            {
                                m.shift_remove("apiGroup");
                            }
                        }
                        Some("User" | "Group") => {
                            default_field(s, &[], "apiGroup", json!("rbac.authorization.k8s.io"))
                        }
                        _ => {}
                    }
                }
            }
        }
        (
            "admissionregistration.k8s.io",
            kind @ ("ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration"),
        ) => {
            let mutating = kind == "MutatingWebhookConfiguration";
            if let Some(Value::Array(hooks)) = obj.pointer_mut("/webhooks") {
                for h in hooks {
                    default_field(h, &[], "failurePolicy", json!("Fail"));
                    default_field(h, &[], "matchPolicy", json!("Equivalent"));
                    default_field(h, &[], "namespaceSelector", json!({}));
                    default_field(h, &[], "objectSelector", json!({}));
                    default_field(h, &[], "timeoutSeconds", json!(10));
                    if mutating {
                        default_field(h, &[], "reinvocationPolicy", json!("Never"));
                    }
                    if h.pointer("/clientConfig/service").is_some() {
                        default_field(h, &["clientConfig", "service"], "port", json!(443));
                    }
                    if let Some(Value::Array(rules)) = h.get_mut("rules") {
                        for r in rules {
                            default_field(r, &[], "scope", json!("*"));
                        }
                    }
                }
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let kind = obj
                .pointer("/spec/names/kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            default_field(
                obj,
                &["spec", "names"],
                "singular",
                json!(kind.to_ascii_lowercase()),
            );
            default_field(
                obj,
                &["spec", "names"],
                "listKind",
                json!(format!("{kind}List")),
            );
            default_field(obj, &["spec"], "conversion", json!({"strategy": "None"}));
        }
        _ => {}
    }
}

fn job_spec(obj: &mut Value, spec: &[&str]) {
    default_field(obj, spec, "backoffLimit", json!(6));
    default_field(obj, spec, "completionMode", json!("NonIndexed"));
    default_field(obj, spec, "completions", json!(1));
    default_field(obj, spec, "parallelism", json!(1));
    default_field(
        obj,
        spec,
        "podReplacementPolicy",
        json!("TerminatingOrFailed"),
    );
    default_field(obj, spec, "suspend", json!(false));
    default_field(obj, spec, "manualSelector", Value::Null);
    if let Some(m) = crate::util::obj_at(obj, spec)
        && m.get("manualSelector") == Some(&Value::Null)
    {
        m.shift_remove("manualSelector");
    }
    let uid = obj
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !uid.is_empty() {
        let mut tpl: Vec<&str> = spec.to_vec();
        tpl.extend(["template", "metadata", "labels"]);
        for (k, v) in [
            ("batch.kubernetes.io/controller-uid", &uid),
            ("batch.kubernetes.io/job-name", &name),
            ("controller-uid", &uid),
            ("job-name", &name),
        ] {
            default_field(obj, &tpl, k, json!(v));
        }
        let mut sel: Vec<&str> = spec.to_vec();
        sel.push("selector");
        if obj.pointer(&format!("/{}", sel.join("/"))).is_none() {
            default_field(
                obj,
                &sel,
                "matchLabels",
                json!({"batch.kubernetes.io/controller-uid": uid}),
            );
        }
    }
    let mut tpl: Vec<&str> = spec.to_vec();
    tpl.push("template");
    template(obj, &tpl);
}

/// Defaults of a pod template (`metadata` + `spec`).
fn template(obj: &mut Value, path: &[&str]) {
    let ptr = format!("/{}", path.join("/"));
    if let Some(spec) = obj.pointer_mut(&format!("{ptr}/spec")) {
        pod_spec(spec);
    }
}

fn pod_spec(spec: &mut Value) {
    default_field(spec, &[], "restartPolicy", json!("Always"));
    default_field(spec, &[], "terminationGracePeriodSeconds", json!(30));
    default_field(spec, &[], "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, &[], "securityContext", json!({}));
    default_field(spec, &[], "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs {
                container(c);
            }
        }
    }
    if let Some(Value::Array(vols)) = spec.get_mut("volumes") {
        for v in vols {
            for src in ["configMap", "secret"] {
                if v.get(src).is_some() {
                    default_field(v, &[src], "defaultMode", json!(420));
                }
            }
            if v.get("projected").is_some() {
                default_field(v, &["projected"], "defaultMode", json!(420));
            }
            if v.get("downwardAPI").is_some() {
                default_field(v, &["downwardAPI"], "defaultMode", json!(420));
            }
            if v.get("hostPath").is_some() {
                default_field(v, &["hostPath"], "type", json!(""));
            }
        }
    }
}

fn container(c: &mut Value) {
    default_field(
        c,
        &[],
        "terminationMessagePath",
        json!("/dev/termination-log"),
    );
    default_field(c, &[], "terminationMessagePolicy", json!("File"));
    default_field(c, &[], "resources", json!({}));
    let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
    let policy = if image_is_latest(image) {
        "Always"
    } else {
        "IfNotPresent"
    };
    default_field(c, &[], "imagePullPolicy", json!(policy));
    if let Some(Value::Array(ports)) = c.get_mut("ports") {
        for p in ports {
            default_field(p, &[], "protocol", json!("TCP"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if c.get(probe).is_some() {
            default_field(c, &[probe], "timeoutSeconds", json!(1));
            default_field(c, &[probe], "periodSeconds", json!(10));
            default_field(c, &[probe], "successThreshold", json!(1));
            default_field(c, &[probe], "failureThreshold", json!(3));
            if c.pointer(&format!("/{probe}/httpGet")).is_some() {
                default_field(c, &[probe, "httpGet"], "scheme", json!("HTTP"));
                default_field(c, &[probe, "httpGet"], "path", json!("/"));
            }
        }
    }
    if let Some(Value::Array(env)) = c.get_mut("env") {
        for e in env {
            if e.pointer("/valueFrom/fieldRef").is_some() {
                default_field(e, &["valueFrom", "fieldRef"], "apiVersion", json!("v1"));
            }
        }
    }
}

/// A field set to `null` is no field: the apiserver decodes a built-in object into its Go
/// type (where null is the zero value, omitted when written back), and prunes nulls from a
/// custom resource by its structural schema. So `data: null` from a chart is never stored.
pub fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, child| !child.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Whether an image reference pulls `Always` by default (no tag, or `:latest`, and no digest).
pub fn image_is_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

fn service(obj: &mut Value, alloc: &mut dyn Allocator) {
    default_field(obj, &["spec"], "type", json!("ClusterIP"));
    let ty = obj
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if ty == "ExternalName" {
        default_field(obj, &["spec"], "sessionAffinity", json!("None"));
        return;
    }
    default_field(obj, &["spec"], "sessionAffinity", json!("None"));
    let ip = match obj.pointer("/spec/clusterIP").and_then(Value::as_str) {
        Some(ip) if !ip.is_empty() => ip.to_string(),
        _ => alloc.cluster_ip(),
    };
    default_field(obj, &["spec"], "clusterIP", json!(ip));
    default_field(obj, &["spec"], "clusterIPs", json!([ip]));
    if ip == "None" {
        default_field(obj, &["spec"], "ipFamilyPolicy", json!("RequireDualStack"));
    } else {
        default_field(obj, &["spec"], "ipFamilyPolicy", json!("SingleStack"));
    }
    default_field(obj, &["spec"], "ipFamilies", json!(["IPv4"]));
    default_field(obj, &["spec"], "internalTrafficPolicy", json!("Cluster"));
    let node_ports = ty == "NodePort" || ty == "LoadBalancer";
    if node_ports {
        default_field(obj, &["spec"], "externalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        default_field(obj, &["spec"], "allocateLoadBalancerNodePorts", json!(true));
        default_field(obj, &["status"], "loadBalancer", json!({}));
    }
    if let Some(Value::Array(ports)) = obj.pointer_mut("/spec/ports") {
        for p in ports {
            default_field(p, &[], "protocol", json!("TCP"));
            if let Some(port) = p.get("port").cloned() {
                default_field(p, &[], "targetPort", port);
            }
            if node_ports && p.get("nodePort").is_none() {
                let np = alloc.node_port();
                default_field(p, &[], "nodePort", json!(np));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Allocator for Fixed {
        fn cluster_ip(&mut self) -> String {
            "10.96.0.10".into()
        }
        fn node_port(&mut self) -> u16 {
            30001
        }
    }

    #[test]
    fn null_fields_are_not_stored() {
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": null}, "data": null});
        apply("", "ConfigMap", &mut cm, &mut Fixed);
        assert_eq!(
            cm,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
        );
        let mut probe = json!({"spec": {"containers": [{"name": "c", "image": "x:1", "readinessProbe": {"httpGet": {"port": 80, "httpHeaders": null}}}]}});
        apply("", "Pod", &mut probe, &mut Fixed);
        assert!(
            probe
                .pointer("/spec/containers/0/readinessProbe/httpGet/httpHeaders")
                .is_none()
        );
        assert_eq!(
            probe.pointer("/spec/containers/0/readinessProbe/httpGet/port"),
            Some(&json!(80))
        );
    }

    #[test]
    fn deployment_defaults() {
        let mut d = json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}, {"name": "d", "image": "x:1.2"}]}}}});
        apply("apps", "Deployment", &mut d, &mut Fixed);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
        assert_eq!(
            d["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        );
        let ps = &d["spec"]["template"]["spec"];
        assert_eq!(ps["restartPolicy"], "Always");
        assert_eq!(ps["dnsPolicy"], "ClusterFirst");
        assert_eq!(ps["schedulerName"], "default-scheduler");
        assert_eq!(ps["securityContext"], json!({}));
        assert_eq!(ps["terminationGracePeriodSeconds"], 30);
        assert_eq!(ps["containers"][0]["imagePullPolicy"], "Always");
        assert_eq!(ps["containers"][1]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(
            ps["containers"][0]["terminationMessagePath"],
            "/dev/termination-log"
        );
        assert_eq!(ps["containers"][0]["terminationMessagePolicy"], "File");
        assert_eq!(ps["containers"][0]["ports"][0]["protocol"], "TCP");
    }

    #[test]
    fn binding_subjects_as_a_server_returns_them() {
        let mut rb = json!({"subjects": [
            {"kind": "ServiceAccount", "name": "a", "namespace": "n"},
            {"kind": "ServiceAccount", "name": "b", "namespace": "n", "apiGroup": ""},
            {"kind": "User", "name": "u"},
            {"kind": "Group", "name": "g", "apiGroup": "rbac.authorization.k8s.io"}
        ]});
        apply(
            "rbac.authorization.k8s.io",
            "RoleBinding",
            &mut rb,
            &mut Fixed,
        );
        assert_eq!(
            rb["subjects"],
            json!([
                {"kind": "ServiceAccount", "name": "a", "namespace": "n"},
                {"kind": "ServiceAccount", "name": "b", "namespace": "n"},
                {"kind": "User", "name": "u", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "Group", "name": "g", "apiGroup": "rbac.authorization.k8s.io"}
            ])
        );
    }

    #[test]
    fn webhook_defaults() {
        let mut m = json!({"webhooks": [{"name": "w.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": "svc", "namespace": "ns", "path": "/mutate"}},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]}]});
        apply(
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
            &mut m,
            &mut Fixed,
        );
        let w = &m["webhooks"][0];
        assert_eq!(w["failurePolicy"], "Fail");
        assert_eq!(w["matchPolicy"], "Equivalent");
        assert_eq!(w["namespaceSelector"], json!({}));
        assert_eq!(w["objectSelector"], json!({}));
        assert_eq!(w["timeoutSeconds"], 10);
        assert_eq!(w["reinvocationPolicy"], "Never");
        assert_eq!(w["clientConfig"]["service"]["port"], 443);
        assert_eq!(w["rules"][0]["scope"], "*");
        let mut v = json!({"webhooks": [{"name": "v.example.com", "failurePolicy": "Ignore", "timeoutSeconds": 5,
            "clientConfig": {"url": "https://example.com"}}]});
        apply(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            &mut v,
            &mut Fixed,
        );
        let w = &v["webhooks"][0];
        assert_eq!(w["failurePolicy"], "Ignore");
        assert_eq!(w["timeoutSeconds"], 5);
        assert!(w.get("reinvocationPolicy").is_none());
        assert!(w["clientConfig"].get("service").is_none());
    }

    #[test]
    fn recreate_strategy_has_no_rolling_update() {
        let mut d = json!({"spec": {"strategy": {"type": "Recreate"}, "template": {"spec": {"containers": []}}}});
        apply("apps", "Deployment", &mut d, &mut Fixed);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn service_defaults() {
        let mut s = json!({"spec": {"ports": [{"port": 80}]}});
        apply("", "Service", &mut s, &mut Fixed);
        assert_eq!(s["spec"]["type"], "ClusterIP");
        assert_eq!(s["spec"]["clusterIP"], "10.96.0.10");
        assert_eq!(s["spec"]["clusterIPs"], json!(["10.96.0.10"]));
        assert_eq!(s["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(s["spec"]["ipFamilyPolicy"], "SingleStack");
        assert_eq!(s["spec"]["sessionAffinity"], "None");
        assert_eq!(s["spec"]["internalTrafficPolicy"], "Cluster");
        assert_eq!(
            s["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        let mut np = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        apply("", "Service", &mut np, &mut Fixed);
        assert_eq!(np["spec"]["ports"][0]["nodePort"], 30001);
        assert_eq!(np["spec"]["externalTrafficPolicy"], "Cluster");
    }

    #[test]
    fn secret_string_data_and_namespace() {
        let mut s = json!({"stringData": {"k": "v"}});
        apply("", "Secret", &mut s, &mut Fixed);
        assert_eq!(s, json!({"type": "Opaque", "data": {"k": "dg=="}}));
        let mut ns = json!({"metadata": {"name": "x"}});
        apply("", "Namespace", &mut ns, &mut Fixed);
        assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "x");
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(ns["status"]["phase"], "Active");
    }

    #[test]
    fn job_defaults_and_latest_images() {
        let mut j = json!({"metadata": {"name": "j", "uid": "u1"}, "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox@sha256:ab"}]}}}});
        apply("batch", "Job", &mut j, &mut Fixed);
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert_eq!(j["spec"]["completions"], 1);
        assert_eq!(
            j["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u1"
        );
        assert_eq!(j["spec"]["template"]["metadata"]["labels"]["job-name"], "j");
        assert_eq!(j["spec"]["template"]["spec"]["restartPolicy"], "Never");
        assert_eq!(
            j["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        assert!(image_is_latest("nginx"));
        assert!(image_is_latest("registry:5000/nginx:latest"));
        assert!(image_is_latest("registry:5000/nginx"));
        assert!(!image_is_latest("nginx:1.27"));
    }
}
