//! The DaemonSet controller: one Pod on the one node, replaced when the template changes, a
//! ControllerRevision per template, and the `*NumberScheduled`/`numberReady` status.

use serde_json::{Value, json};

use super::pod::{self, Outcome};
use super::{Controllers, get, history, owner_ref, pods_of, uid_of};
use crate::store::{DeleteOptions, ObjKey, Store};
use crate::util::random_suffix;

/// A DaemonSet whose spec changed or lost its Pod.
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey) {
    let Some(ds) = get(store, "apps", "daemonsets", okey) else {
        return;
    };
    if ds.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let (ns, name) = okey;
    let generation = ds
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let revision = history::record(store, &ds, "apps/v1", "DaemonSet");
    let hash = revision
        .strip_prefix(&format!("{name}-"))
        .unwrap_or(&revision)
        .to_string();
    let uid = uid_of(&ds).to_string();
    let mut current = None;
    if let Some(pod_rt) = super::rt(store, "", "Pod") {
        for existing in pods_of(store, ns, &uid) {
            let up_to_date =
                get(store, "", "pods", &(ns.clone(), existing.clone())).is_some_and(|p| {
                    p.pointer("/metadata/labels/controller-revision-hash")
                        .and_then(Value::as_str)
                        == Some(hash.as_str())
                });
            if up_to_date && current.is_none() {
                current = Some(existing);
            } else {
                let _ = store.delete(&pod_rt, ns, &existing, &DeleteOptions::default());
            }
        }
    }
    let pod_name = match current {
        Some(n) => n,
        None => {
            let template = ds.pointer("/spec/template").cloned().unwrap_or(json!({}));
            let probe = json!({"metadata": template.get("metadata").cloned().unwrap_or(json!({})),
                "spec": template.get("spec").cloned().unwrap_or(json!({}))});
            let outcome = Outcome::of(&probe, &[&ds]);
            let pod_name = format!("{name}-{}", random_suffix(5));
            pod::create(
                ctl,
                store,
                ns,
                &pod_name,
                &template,
                owner_ref(&ds, "apps/v1", "DaemonSet"),
                &[
                    ("controller-revision-hash", hash.clone()),
                    ("pod-template-generation", generation.to_string()),
                ],
                outcome,
            );
            pod_name
        }
    };
    let ready = get(store, "", "pods", &(ns.clone(), pod_name)).is_some_and(|p| pod::is_ready(&p));
    let Some(ds) = get(store, "apps", "daemonsets", okey) else {
        return;
    };
    let mut status = json!({
        "currentNumberScheduled": 1, "numberMisscheduled": 0, "desiredNumberScheduled": 1,
        "numberReady": i64::from(ready), "observedGeneration": generation, "updatedNumberScheduled": 1,
    });
    if ready {
        status["numberAvailable"] = json!(1);
    } else {
        status["numberUnavailable"] = json!(1);
    }
    super::write_status(store, "apps", "DaemonSet", ds, status);
}
