//! The scheduler and the kubelet for Pods: a Pod is bound to the one node and its containers
//! "run": long-running Pods (`restartPolicy: Always`) become Running and Ready, Pods that do
//! not restart (Job Pods, `helm test` Pods) run to completion and end `Succeeded`. The test
//! annotations make them fail, crash-loop or never become Ready.

use serde_json::{Value, json};

use super::{Controllers, FAIL_ANNOTATION, NEVER_READY_ANNOTATION, NODE, annotated, get};
use crate::store::{ObjKey, Part, Store};
use crate::util::now_rfc3339;

/// How a Pod's containers end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Running, all containers ready.
    Ready,
    /// Running, containers started but never ready.
    NotReady,
    /// Every container exited 0.
    Succeeded,
    /// A container exited 1 and the Pod does not restart.
    Failed,
    /// A container keeps exiting 1 and restarting.
    CrashLoop,
}

impl Outcome {
    /// What a Pod does, from the test annotations on it or on its owners (its controller and
    /// theirs), and its restart policy.
    pub(super) fn of(pod: &Value, owners: &[&Value]) -> Self {
        let marked = |a: &str| annotated(pod, a) || owners.iter().any(|o| annotated(o, a));
        let restarts = pod
            .pointer("/spec/restartPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Always")
            == "Always";
        match (
            marked(FAIL_ANNOTATION),
            marked(NEVER_READY_ANNOTATION),
            restarts,
        ) {
            (true, _, true) => Outcome::CrashLoop,
            (true, _, false) => Outcome::Failed,
            (false, true, _) => Outcome::NotReady,
            (false, false, true) => Outcome::Ready,
            (false, false, false) => Outcome::Succeeded,
        }
    }
}

/// The status the kubelet reports for a Pod with an outcome.
pub(super) fn status(pod: &Value, outcome: Outcome, ip: &str) -> Value {
    let t = now_rfc3339();
    let started = pod
        .pointer("/status/startTime")
        .cloned()
        .unwrap_or_else(|| json!(t));
    let (phase, ready) = match outcome {
        Outcome::Ready => ("Running", true),
        Outcome::NotReady | Outcome::CrashLoop => ("Running", false),
        Outcome::Succeeded => ("Succeeded", false),
        Outcome::Failed => ("Failed", false),
    };
    let container = |c: &Value| {
        let (state, last, restarts) = match outcome {
            Outcome::Ready | Outcome::NotReady => {
                (json!({"running": {"startedAt": t}}), json!({}), 0)
            }
            Outcome::Succeeded => (
                json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}}),
                json!({}),
                0,
            ),
            Outcome::Failed => (
                json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": t, "finishedAt": t}}),
                json!({}),
                0,
            ),
            Outcome::CrashLoop => (
                json!({"waiting": {"reason": "CrashLoopBackOff",
                    "message": format!("back-off 10s restarting failed container={} pod={}",
                        c.get("name").and_then(Value::as_str).unwrap_or_default(),
                        pod.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default())}}),
                json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": t, "finishedAt": t}}),
                1,
            ),
        };
        let running = matches!(outcome, Outcome::Ready | Outcome::NotReady);
        json!({"name": c.get("name"), "image": c.get("image"), "imageID": "",
            "ready": ready, "started": running, "restartCount": restarts, "state": state, "lastState": last})
    };
    let containers: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(container).collect())
        .unwrap_or_default();
    let unready: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let not_ready = |kind: &str| -> Value {
        if ready {
            json!({"type": kind, "status": "True", "lastTransitionTime": t, "lastProbeTime": null})
        } else if matches!(outcome, Outcome::Succeeded | Outcome::Failed) {
            json!({"type": kind, "status": "False", "lastTransitionTime": t, "lastProbeTime": null, "reason": "PodCompleted"})
        } else {
            json!({"type": kind, "status": "False", "lastTransitionTime": t, "lastProbeTime": null, "reason": "ContainersNotReady",
                "message": format!("containers with unready status: [{}]", unready.join(" "))})
        }
    };
    let mut status = json!({
        "observedGeneration": pod.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "phase": phase,
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": t, "lastProbeTime": null},
            {"type": "Initialized", "status": "True", "lastTransitionTime": t, "lastProbeTime": null},
            not_ready("Ready"),
            not_ready("ContainersReady"),
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": t, "lastProbeTime": null}
        ],
        "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
        "podIP": ip, "podIPs": [{"ip": ip}],
        "startTime": started,
        "containerStatuses": containers,
        "qosClass": qos_class(pod)
    });
    if matches!(outcome, Outcome::Succeeded | Outcome::Failed) {
        // A finished Pod keeps its IPs in the API but the kubelet reports none for it.
        if let Some(m) = status.as_object_mut() {
            m.shift_remove("podIP");
            m.shift_remove("podIPs");
        }
    }
    status
}

/// The QoS class the kubelet derives from container resources.
fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().collect())
        .unwrap_or_default();
    let has = |c: &Value, which: &str| {
        c.pointer(&format!("/resources/{which}"))
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty())
    };
    if containers
        .iter()
        .all(|c| !has(c, "requests") && !has(c, "limits"))
    {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| {
            let limit = c.pointer(&format!("/resources/limits/{r}"));
            let request = c.pointer(&format!("/resources/requests/{r}"));
            limit.is_some() && (request.is_none() || request == limit)
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Binds a stored Pod to the node and reports its status for an outcome.
pub(super) fn run(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey, outcome: Outcome) {
    let Ok(bound) = store.bind_pod(&okey.0, &okey.1, NODE) else {
        return;
    };
    let ip = bound
        .pointer("/status/podIP")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| ctl.ips.pod());
    let status = status(&bound, outcome, &ip);
    let mut pod = bound;
    pod["status"] = status;
    let _ = super::write(store, "", "Pod", pod, Part::Status, "kubelet");
}

/// Creates a controller's Pod from its pod template (with extra labels), and runs it.
#[expect(clippy::too_many_arguments, reason = "a Pod is made of all of these")]
pub(super) fn create(
    ctl: &mut Controllers,
    store: &mut Store,
    ns: &str,
    name: &str,
    template: &Value,
    owner_ref: Value,
    labels: &[(&str, String)],
    outcome: Outcome,
) {
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    if !meta.is_object() {
        meta = json!({});
    }
    meta["name"] = json!(name);
    meta["ownerReferences"] = json!([owner_ref]);
    for (k, v) in labels {
        meta["labels"][*k] = json!(v);
    }
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
        "spec": template.get("spec").cloned().unwrap_or(json!({}))});
    if store
        .create_builtin("", "Pod", ns, pod, &super::opts(super::CONTROLLER_MANAGER))
        .is_ok()
    {
        run(ctl, store, &(ns.to_string(), name.to_string()), outcome);
    }
}

/// Whether a stored Pod is Running and Ready.
pub(super) fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
        && pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.get("type").and_then(Value::as_str) == Some("Ready")
                        && c.get("status").and_then(Value::as_str) == Some("True")
                })
            })
}

/// A Pod whose generation changed: the kubelet runs it (again).
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey) {
    let Some(pod) = get(store, "", "pods", okey) else {
        return;
    };
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let phase = pod.pointer("/status/phase").and_then(Value::as_str);
    // A finished Pod stays finished.
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return;
    }
    let owners = super::owner_chain(store, &pod);
    let owners: Vec<&Value> = owners.iter().collect();
    let outcome = Outcome::of(&pod, &owners);
    run(ctl, store, okey, outcome);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_annotations_and_restart_policy() {
        let pod = |restart: &str, annotations: Value| json!({"metadata": {"annotations": annotations}, "spec": {"restartPolicy": restart}});
        let fail = json!({FAIL_ANNOTATION: "true"});
        let never = json!({NEVER_READY_ANNOTATION: "true"});
        let cases = [
            (pod("Always", json!({})), None, Outcome::Ready),
            (pod("Never", json!({})), None, Outcome::Succeeded),
            (pod("OnFailure", json!({})), None, Outcome::Succeeded),
            (pod("Never", fail.clone()), None, Outcome::Failed),
            (pod("Always", fail.clone()), None, Outcome::CrashLoop),
            (pod("Always", never.clone()), None, Outcome::NotReady),
            (
                pod("Always", json!({"other": "true"})),
                None,
                Outcome::Ready,
            ),
            (
                pod("Always", json!({})),
                Some(json!({"metadata": {"annotations": never}})),
                Outcome::NotReady,
            ),
            (
                pod("Never", json!({})),
                Some(json!({"spec": {"template": {"metadata": {"annotations": fail}}}})),
                Outcome::Failed,
            ),
            (
                pod("Always", json!({FAIL_ANNOTATION: "false"})),
                None,
                Outcome::Ready,
            ),
        ];
        for (p, owner, want) in cases {
            let owners: Vec<&Value> = owner.iter().collect();
            assert_eq!(Outcome::of(&p, &owners), want, "{p} {owner:?}");
        }
    }

    #[test]
    fn status_reports_phase_readiness_and_exit_codes() {
        let pod = json!({"metadata": {"name": "p", "generation": 2}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
        let ready = status(&pod, Outcome::Ready, "10.244.0.9");
        assert_eq!(ready["phase"], "Running");
        assert_eq!(ready["observedGeneration"], 2);
        assert_eq!(ready["conditions"][2]["type"], "Ready");
        assert_eq!(ready["conditions"][2]["status"], "True");
        assert_eq!(ready["containerStatuses"][0]["ready"], true);
        assert_eq!(ready["podIP"], "10.244.0.9");
        let not_ready = status(&pod, Outcome::NotReady, "10.244.0.9");
        assert_eq!(not_ready["conditions"][2]["status"], "False");
        assert_eq!(not_ready["conditions"][2]["reason"], "ContainersNotReady");
        assert_eq!(
            not_ready["conditions"][2]["message"],
            "containers with unready status: [c]"
        );
        let done = status(&pod, Outcome::Succeeded, "10.244.0.9");
        assert_eq!(done["phase"], "Succeeded");
        assert_eq!(
            done["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            0
        );
        assert!(done.get("podIP").is_none());
        let failed = status(&pod, Outcome::Failed, "10.244.0.9");
        assert_eq!(failed["phase"], "Failed");
        assert_eq!(
            failed["containerStatuses"][0]["state"]["terminated"]["reason"],
            "Error"
        );
        let crash = status(&pod, Outcome::CrashLoop, "10.244.0.9");
        assert_eq!(crash["phase"], "Running");
        assert_eq!(
            crash["containerStatuses"][0]["state"]["waiting"]["reason"],
            "CrashLoopBackOff"
        );
        assert_eq!(crash["containerStatuses"][0]["restartCount"], 1);
    }

    #[test]
    fn qos_classes() {
        let pod = |res: Value| json!({"spec": {"containers": [{"name": "c", "resources": res}]}});
        assert_eq!(qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&pod(json!({"requests": {"cpu": "100m"}}))),
            "Burstable"
        );
        assert_eq!(
            qos_class(&pod(
                json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}})
            )),
            "Guaranteed"
        );
    }
}
