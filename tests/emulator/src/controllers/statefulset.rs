//! The StatefulSet controller: Pods `NAME-0` to `NAME-(n-1)` with their identity labels,
//! hostname and subdomain, one PersistentVolumeClaim per `volumeClaimTemplates` entry and Pod
//! (bound at once), a ControllerRevision per template, Pods of an older template replaced,
//! and the status rollout checks read (`currentRevision` equal to `updateRevision`).

use serde_json::{Value, json};

use super::pod::{self, Outcome};
use super::{Controllers, MAX_PODS_PER_WORKLOAD, get, history, owner_ref, pods_of, pvc, uid_of};
use crate::store::{DeleteOptions, ObjKey, Store};

/// A StatefulSet whose spec changed or lost a Pod.
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey) {
    let Some(sts) = get(store, "apps", "statefulsets", okey) else {
        return;
    };
    if sts.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let (ns, name) = okey;
    let replicas = sts
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0);
    let revision = history::record(store, &sts, "apps/v1", "StatefulSet");
    let claims: Vec<Value> = sts
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let wanted: Vec<String> = (0..replicas.min(MAX_PODS_PER_WORKLOAD))
        .map(|i| format!("{name}-{i}"))
        .collect();
    let uid = uid_of(&sts).to_string();
    if let Some(pod_rt) = super::rt(store, "", "Pod") {
        for existing in pods_of(store, ns, &uid) {
            let stale = get(store, "", "pods", &(ns.clone(), existing.clone())).is_some_and(|p| {
                p.pointer("/metadata/labels/controller-revision-hash")
                    .and_then(Value::as_str)
                    != Some(revision.as_str())
            });
            if !wanted.contains(&existing) || stale {
                let _ = store.delete(&pod_rt, ns, &existing, &DeleteOptions::default());
            }
        }
    }
    let template = sts.pointer("/spec/template").cloned().unwrap_or(json!({}));
    for (i, pod_name) in wanted.iter().enumerate() {
        for claim in &claims {
            ensure_claim(store, &sts, claim, ns, name, i);
        }
        if get(store, "", "pods", &(ns.clone(), pod_name.clone())).is_some() {
            continue;
        }
        let mut tpl = template.clone();
        tpl["spec"]["hostname"] = json!(pod_name);
        if let Some(svc) = sts.pointer("/spec/serviceName").and_then(Value::as_str)
            && !svc.is_empty()
        {
            tpl["spec"]["subdomain"] = json!(svc);
        }
        for claim in &claims {
            let claim_name = claim
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let volume = json!({"name": claim_name,
                "persistentVolumeClaim": {"claimName": format!("{claim_name}-{name}-{i}")}});
            match tpl["spec"].get_mut("volumes").and_then(Value::as_array_mut) {
                Some(vols) => {
                    if !vols.iter().any(|v| v.get("name") == volume.get("name")) {
                        vols.push(volume);
                    }
                }
                None => tpl["spec"]["volumes"] = json!([volume]),
            }
        }
        let probe = json!({"metadata": tpl.get("metadata").cloned().unwrap_or(json!({})),
            "spec": tpl.get("spec").cloned().unwrap_or(json!({}))});
        let outcome = Outcome::of(&probe, &[&sts]);
        pod::create(
            ctl,
            store,
            ns,
            pod_name,
            &tpl,
            owner_ref(&sts, "apps/v1", "StatefulSet"),
            &[
                ("controller-revision-hash", revision.clone()),
                ("statefulset.kubernetes.io/pod-name", pod_name.clone()),
                ("apps.kubernetes.io/pod-index", i.to_string()),
            ],
            outcome,
        );
    }
    let ready = wanted
        .iter()
        .filter_map(|n| get(store, "", "pods", &(ns.clone(), n.clone())))
        .filter(pod::is_ready)
        .count() as i64;
    let Some(sts) = get(store, "apps", "statefulsets", okey) else {
        return;
    };
    let running = wanted.len() as i64;
    let mut status = json!({
        "observedGeneration": sts.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "replicas": running,
    });
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
    }
    if running > 0 {
        status["currentReplicas"] = json!(running);
        status["updatedReplicas"] = json!(running);
    }
    status["currentRevision"] = json!(revision);
    status["updateRevision"] = json!(revision);
    status["collisionCount"] = json!(0);
    status["availableReplicas"] = json!(ready);
    super::write_status(store, "apps", "StatefulSet", sts, status);
}

/// Creates (and binds) the claim of template `claim` for ordinal `i`, unless it exists: claims
/// outlive their Pods.
fn ensure_claim(store: &mut Store, sts: &Value, claim: &Value, ns: &str, name: &str, i: usize) {
    let claim_name = claim
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let pvc_name = format!("{claim_name}-{name}-{i}");
    let okey: ObjKey = (ns.to_string(), pvc_name.clone());
    if get(store, "", "persistentvolumeclaims", &okey).is_some() {
        return;
    }
    let mut meta = json!({"name": pvc_name});
    let labels = sts
        .pointer("/spec/selector/matchLabels")
        .cloned()
        .unwrap_or(json!({}));
    meta["labels"] = labels;
    if let Some(Value::Object(extra)) = claim.pointer("/metadata/labels") {
        for (k, v) in extra {
            meta["labels"][k] = v.clone();
        }
    }
    if let Some(a) = claim.pointer("/metadata/annotations") {
        meta["annotations"] = a.clone();
    }
    if sts
        .pointer("/spec/persistentVolumeClaimRetentionPolicy/whenDeleted")
        .and_then(Value::as_str)
        == Some("Delete")
    {
        meta["ownerReferences"] = json!([owner_ref(sts, "apps/v1", "StatefulSet")]);
    }
    let obj = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
        "spec": claim.get("spec").cloned().unwrap_or(json!({}))});
    if store
        .create_builtin(
            "",
            "PersistentVolumeClaim",
            ns,
            obj,
            &super::opts(super::CONTROLLER_MANAGER),
        )
        .is_ok()
    {
        pvc::reconcile(store, &okey);
    }
}
