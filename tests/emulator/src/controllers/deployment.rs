//! The Deployment controller: one ReplicaSet per pod template (named by its hash, reused when
//! a template comes back, as after `kubectl rollout undo`), old ones scaled to zero and pruned
//! to `revisionHistoryLimit`, revision annotations, and the status fields rollout checks read
//! (`observedGeneration`, the replica counts, `Available` and `Progressing`). A rollout
//! completes at once; with Pods that never become ready it stays unavailable, and fails with
//! `ProgressDeadlineExceeded` after `progressDeadlineSeconds`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::replicaset;
use super::{Controllers, condition, get, owned_by, owner_ref, uid_of};
use crate::store::{DeleteOptions, ObjKey, Part, Store};
use crate::util::{now_secs, parse_rfc3339};

const REVISION: &str = "deployment.kubernetes.io/revision";

/// The `pod-template-hash` of a workload's template: FNV-1a of its JSON, its decimal digits
/// mapped onto the apiserver's safe alphabet (as the deployment controller names ReplicaSets).
pub fn pod_template_hash(owner: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let tpl = owner
        .pointer("/spec/template")
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut h: u32 = 0x811c_9dc5;
    for b in tpl.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}

fn revision_of(obj: &Value) -> i64 {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(REVISION))
        .and_then(Value::as_str)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// A template without the `pod-template-hash` label, to compare a ReplicaSet's with its
/// Deployment's.
fn without_hash(t: &Value) -> Value {
    let mut t = t.clone();
    if let Some(l) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        l.shift_remove("pod-template-hash");
    }
    t
}

/// `maxUnavailable` of a rolling update, resolved against `replicas` (rounded down, as the
/// controller does); 0 for `Recreate`.
fn max_unavailable(dep: &Value, replicas: i64) -> i64 {
    if dep.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("Recreate") {
        return 0;
    }
    let resolve = |v: Option<&Value>, round_up: bool| -> i64 {
        match v {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(Value::String(s)) => {
                let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(25);
                let scaled = pct.saturating_mul(replicas);
                if round_up {
                    (scaled + 99) / 100
                } else {
                    scaled / 100
                }
            }
            _ => {
                if round_up {
                    (25 * replicas + 99) / 100
                } else {
                    25 * replicas / 100
                }
            }
        }
    };
    let unavailable = resolve(
        dep.pointer("/spec/strategy/rollingUpdate/maxUnavailable"),
        false,
    );
    let surge = resolve(dep.pointer("/spec/strategy/rollingUpdate/maxSurge"), true);
    if unavailable == 0 && surge == 0 {
        1
    } else {
        unavailable.min(replicas)
    }
}

/// A Deployment whose spec changed.
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey) {
    let Some(dep) = get(store, "apps", "deployments", okey) else {
        return;
    };
    if dep.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let generation = dep
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let replicas = dep
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0);
    if dep.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        let mut status = dep.get("status").cloned().unwrap_or(json!({}));
        status["observedGeneration"] = json!(generation);
        let progressing = condition(
            dep.get("status"),
            json!({"type": "Progressing", "status": "Unknown", "lastUpdateTime": "", "lastTransitionTime": "",
                "reason": "DeploymentPaused", "message": "Deployment is paused"}),
        );
        set_condition(&mut status, progressing);
        super::write_status(store, "apps", "Deployment", dep, status);
        return;
    }
    let (rs_name, rs_revision) = rollout(ctl, store, okey, &dep, replicas);
    let Some(mut dep) = get(store, "apps", "deployments", okey) else {
        return;
    };
    // The controller stamps the Deployment with its current revision, one of the fields a
    // diff against a real cluster must expect.
    if revision_of(&dep) != rs_revision {
        dep["metadata"]["annotations"][REVISION] = json!(rs_revision.to_string());
        match super::write(
            store,
            "apps",
            "Deployment",
            dep.clone(),
            Part::Main,
            super::CONTROLLER_MANAGER,
        ) {
            Ok(w) => dep = w.object,
            Err(_) => return,
        }
    }
    let ready = get(
        store,
        "apps",
        "replicasets",
        &(okey.0.clone(), rs_name.clone()),
    )
    .and_then(|rs| rs.pointer("/status/readyReplicas").and_then(Value::as_i64))
    .unwrap_or(0);
    let available = ready >= replicas - max_unavailable(&dep, replicas);
    let running = replicas.min(super::MAX_PODS_PER_WORKLOAD);
    let mut status = json!({"observedGeneration": generation});
    if running > 0 {
        status["replicas"] = json!(running);
        status["updatedReplicas"] = json!(running);
    }
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
        status["availableReplicas"] = json!(ready);
    }
    if replicas > ready {
        status["unavailableReplicas"] = json!(replicas - ready);
    }
    let current = dep.get("status");
    let available_condition = if available {
        json!({"type": "Available", "status": "True", "lastUpdateTime": "", "lastTransitionTime": "",
            "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."})
    } else {
        json!({"type": "Available", "status": "False", "lastUpdateTime": "", "lastTransitionTime": "",
            "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."})
    };
    // A new generation is a new rollout: its progress deadline starts over.
    let same_rollout = current
        .and_then(|s| s.get("observedGeneration"))
        .and_then(Value::as_i64)
        == Some(generation);
    let progress_current = current.filter(|_| same_rollout);
    let progressing = if ready >= replicas {
        condition(
            progress_current,
            json!({"type": "Progressing", "status": "True", "lastUpdateTime": "", "lastTransitionTime": "",
                "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")}),
        )
    } else {
        stalled(ctl, okey, &dep, progress_current, &rs_name)
    };
    status["conditions"] = json!([condition(current, available_condition), progressing]);
    super::write_status(store, "apps", "Deployment", dep, status);
}

/// The Progressing condition of a rollout whose Pods are not all ready: `ReplicaSetUpdated`
/// until `progressDeadlineSeconds` pass without progress, then `ProgressDeadlineExceeded`
/// (which `kubectl rollout status` and Helm report as a failure at once). A check is queued
/// for when the deadline falls.
fn stalled(
    ctl: &mut Controllers,
    okey: &ObjKey,
    dep: &Value,
    current: Option<&Value>,
    rs_name: &str,
) -> Value {
    let updating = condition(
        current,
        json!({"type": "Progressing", "status": "True", "lastUpdateTime": "", "lastTransitionTime": "",
            "reason": "ReplicaSetUpdated", "message": format!("ReplicaSet \"{rs_name}\" is progressing.")}),
    );
    let deadline = dep
        .pointer("/spec/progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(600);
    // `math.MaxInt32` means "no deadline".
    if deadline <= 0 || deadline >= i64::from(i32::MAX) {
        return updating;
    }
    let previous = current
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"));
    if previous.is_some_and(|p| p["reason"] == "ProgressDeadlineExceeded") {
        return previous.cloned().unwrap_or(updating);
    }
    let since = updating
        .get("lastUpdateTime")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
        .unwrap_or_else(now_secs);
    let elapsed = now_secs() - since;
    if elapsed >= deadline {
        return condition(
            current,
            json!({"type": "Progressing", "status": "False", "lastUpdateTime": "", "lastTransitionTime": "",
                "reason": "ProgressDeadlineExceeded", "message": format!("ReplicaSet \"{rs_name}\" has timed out progressing.")}),
        );
    }
    let wait = u64::try_from(deadline - elapsed).unwrap_or(1);
    ctl.enqueue_at(
        &("apps".to_string(), "deployments".to_string()),
        okey,
        Instant::now() + Duration::from_secs(wait),
    );
    updating
}

/// Replaces or adds a condition in a status.
fn set_condition(status: &mut Value, c: Value) {
    let ty = c.get("type").cloned();
    match status.get_mut("conditions").and_then(Value::as_array_mut) {
        Some(list) => match list.iter_mut().find(|x| x.get("type") == ty.as_ref()) {
            Some(slot) => *slot = c,
            None => list.push(c),
        },
        None => status["conditions"] = json!([c]),
    }
}

/// Makes the ReplicaSet of the current template the only one with Pods; returns its name and
/// revision.
fn rollout(
    ctl: &mut Controllers,
    store: &mut Store,
    okey: &ObjKey,
    dep: &Value,
    replicas: i64,
) -> (String, i64) {
    let ns = &okey.0;
    let owner_uid = uid_of(dep).to_string();
    let template = dep.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let rs_key = ("apps".to_string(), "replicasets".to_string());
    let owned: Vec<(String, Value)> = store
        .all_of(&rs_key)
        .filter(|(k, v)| k.0 == *ns && owned_by(v, &owner_uid))
        .map(|(k, v)| (k.1.clone(), v.clone()))
        .collect();
    // A ReplicaSet whose template is the Deployment's (ignoring the hash label) is reused.
    let reused = owned
        .iter()
        .find(|(_, v)| {
            v.pointer("/spec/template").map(without_hash) == Some(without_hash(&template))
        })
        .and_then(|(_, v)| {
            v.pointer("/spec/template/metadata/labels/pod-template-hash")
                .and_then(Value::as_str)
                .map(String::from)
        });
    let hash = reused.unwrap_or_else(|| pod_template_hash(dep));
    let rs_name = format!("{}-{hash}", okey.1);
    let max_revision = owned.iter().map(|(_, v)| revision_of(v)).max().unwrap_or(0);
    let mut old: Vec<(String, i64)> = owned
        .iter()
        .filter(|(n, _)| *n != rs_name)
        .map(|(n, v)| (n.clone(), revision_of(v)))
        .collect();
    for (name, _) in &old {
        replicaset::sync(ctl, store, "apps", &(ns.clone(), name.clone()), 0, &[]);
    }
    let limit = dep
        .pointer("/spec/revisionHistoryLimit")
        .and_then(Value::as_i64)
        .unwrap_or(10)
        .max(0) as usize;
    old.sort_by_key(|(_, rev)| *rev);
    if let Some(rs_rt) = super::rt(store, "apps", "ReplicaSet") {
        while old.len() > limit {
            let (name, _) = old.remove(0);
            let _ = store.delete(&rs_rt, ns, &name, &DeleteOptions::default());
        }
    }
    let rs_okey: ObjKey = (ns.clone(), rs_name.clone());
    let revision = match get(store, "apps", "replicasets", &rs_okey) {
        Some(mut rs) => {
            let current = revision_of(&rs);
            if current < max_revision {
                rs["metadata"]["annotations"][REVISION] = json!((max_revision + 1).to_string());
                let _ = super::write(
                    store,
                    "apps",
                    "ReplicaSet",
                    rs,
                    Part::Main,
                    super::CONTROLLER_MANAGER,
                );
                max_revision + 1
            } else {
                current
            }
        }
        None => {
            let mut tpl = template;
            tpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
            let mut selector = dep.pointer("/spec/selector").cloned().unwrap_or(json!({}));
            selector["matchLabels"]["pod-template-hash"] = json!(hash);
            let labels = tpl
                .pointer("/metadata/labels")
                .cloned()
                .unwrap_or(json!({}));
            let max_surge = replicas + (replicas + 3) / 4;
            let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "labels": labels, "ownerReferences": [owner_ref(dep, "apps/v1", "Deployment")],
                    "annotations": {"deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                                    "deployment.kubernetes.io/max-replicas": max_surge.to_string(),
                                    REVISION: (max_revision + 1).to_string()}},
                "spec": {"replicas": replicas, "selector": selector, "template": tpl}});
            let _ = store.create_builtin(
                "apps",
                "ReplicaSet",
                ns,
                rs,
                &super::opts(super::CONTROLLER_MANAGER),
            );
            max_revision + 1
        }
    };
    replicaset::sync(
        ctl,
        store,
        "apps",
        &rs_okey,
        replicas,
        std::slice::from_ref(dep),
    );
    (rs_name, revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_unavailable_resolves_like_the_controller() {
        let dep = |strategy: Value| json!({"spec": {"strategy": strategy}});
        let cases = [
            (dep(json!({"type": "RollingUpdate"})), 4, 1),
            (dep(json!({"type": "RollingUpdate"})), 1, 0),
            (
                dep(
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2, "maxSurge": 0}}),
                ),
                4,
                2,
            ),
            (
                dep(
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%", "maxSurge": "0%"}}),
                ),
                3,
                1,
            ),
            (
                dep(
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}),
                ),
                3,
                1,
            ),
            (dep(json!({"type": "Recreate"})), 3, 0),
        ];
        for (d, replicas, want) in cases {
            assert_eq!(max_unavailable(&d, replicas), want, "{d} x{replicas}");
        }
    }

    #[test]
    fn template_hash_is_stable_and_safe() {
        let d = json!({"spec": {"template": {"metadata": {"labels": {"app": "a"}}}}});
        let h = pod_template_hash(&d);
        assert_eq!(h, pod_template_hash(&d.clone()));
        assert!(
            h.bytes()
                .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b))
        );
        let other = json!({"spec": {"template": {"metadata": {"labels": {"app": "b"}}}}});
        assert_ne!(h, pod_template_hash(&other));
    }
}
