//! The ReplicaSet controller (and the ReplicationController one, the same logic on the older
//! kind): keeps exactly `spec.replicas` Pods from the template and reports how many are ready.

use serde_json::{Value, json};

use super::pod::{self, Outcome};
use super::{Controllers, MAX_PODS_PER_WORKLOAD, get, owner_ref, pods_of, uid_of};
use crate::store::{DeleteOptions, ObjKey, Part, Store};
use crate::util::random_suffix;

fn kind_of(group: &str) -> (&'static str, &'static str, &'static str) {
    if group == "apps" {
        ("apps/v1", "ReplicaSet", "replicasets")
    } else {
        ("v1", "ReplicationController", "replicationcontrollers")
    }
}

/// A ReplicaSet whose spec changed or lost a Pod.
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, group: &str, okey: &ObjKey) {
    let (_, _, plural) = kind_of(group);
    let Some(rs) = get(store, group, plural, okey) else {
        return;
    };
    if rs.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let replicas = rs
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let owners = super::owner_chain(store, &rs);
    sync(ctl, store, group, okey, replicas, &owners);
}

/// Sets a ReplicaSet's `spec.replicas`, gives it exactly that many Pods (test annotations
/// are read from it and from `owners`), reports its status, and returns how many Pods are
/// ready.
pub(super) fn sync(
    ctl: &mut Controllers,
    store: &mut Store,
    group: &str,
    okey: &ObjKey,
    replicas: i64,
    owners: &[Value],
) -> i64 {
    let (api_version, kind, plural) = kind_of(group);
    let Some(mut rs) = get(store, group, plural, okey) else {
        return 0;
    };
    let replicas = replicas.max(0);
    if rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(replicas) {
        rs["spec"]["replicas"] = json!(replicas);
        match super::write(
            store,
            group,
            kind,
            rs.clone(),
            Part::Main,
            super::CONTROLLER_MANAGER,
        ) {
            Ok(w) => rs = w.object,
            Err(_) => return 0,
        }
    }
    let uid = uid_of(&rs).to_string();
    let mut names = pods_of(store, &okey.0, &uid);
    let want = usize::try_from(replicas.min(MAX_PODS_PER_WORKLOAD)).unwrap_or(0);
    if let Some(pod_rt) = super::rt(store, "", "Pod") {
        for extra in names.split_off(want.min(names.len())) {
            let _ = store.delete(&pod_rt, &okey.0, &extra, &DeleteOptions::default());
        }
    }
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let probe = json!({"metadata": template.get("metadata").cloned().unwrap_or(json!({})),
        "spec": template.get("spec").cloned().unwrap_or(json!({}))});
    let mut chain: Vec<&Value> = vec![&rs];
    chain.extend(owners.iter());
    let outcome = Outcome::of(&probe, &chain);
    while names.len() < want {
        let name = format!("{}-{}", okey.1, random_suffix(5));
        pod::create(
            ctl,
            store,
            &okey.0,
            &name,
            &template,
            owner_ref(&rs, api_version, kind),
            &[],
            outcome,
        );
        names.push(name);
    }
    let ready = names
        .iter()
        .filter_map(|n| get(store, "", "pods", &(okey.0.clone(), n.clone())))
        .filter(pod::is_ready)
        .count() as i64;
    let Some(rs) = get(store, group, plural, okey) else {
        return ready;
    };
    let running = names.len() as i64;
    let mut status = json!({"replicas": running});
    if running > 0 {
        status["fullyLabeledReplicas"] = json!(running);
    }
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
        status["availableReplicas"] = json!(ready);
    }
    status["observedGeneration"] = rs
        .pointer("/metadata/generation")
        .cloned()
        .unwrap_or(json!(1));
    super::write_status(store, group, kind, rs, status);
    ready
}
