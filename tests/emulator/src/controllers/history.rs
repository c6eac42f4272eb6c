//! ControllerRevisions: the template history StatefulSets and DaemonSets keep (what `kubectl
//! rollout history` and `rollout undo` read), one per distinct pod template, numbered, pruned to
//! `revisionHistoryLimit`.

use serde_json::{Value, json};

use super::{get, owned_by, owner_ref, uid_of};
use crate::store::{DeleteOptions, ObjKey, Part, Store};

/// Records the owner's current template as a ControllerRevision named `NAME-HASH` (reusing
/// and renumbering it if that template was seen before); returns the revision's name.
pub(super) fn record(store: &mut Store, owner: &Value, api_version: &str, kind: &str) -> String {
    let ns = owner
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = owner
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let hash = super::pod_template_hash(owner);
    let rev_name = format!("{name}-{hash}");
    let key = ("apps".to_string(), "controllerrevisions".to_string());
    let uid = uid_of(owner).to_string();
    let mut owned: Vec<(String, i64)> = store
        .all_of(&key)
        .filter(|(k, v)| k.0 == ns && owned_by(v, &uid))
        .map(|(k, v)| {
            (
                k.1.clone(),
                v.get("revision").and_then(Value::as_i64).unwrap_or(0),
            )
        })
        .collect();
    let max = owned.iter().map(|(_, r)| *r).max().unwrap_or(0);
    let okey: ObjKey = (ns.clone(), rev_name.clone());
    match get(store, "apps", "controllerrevisions", &okey) {
        Some(mut rev) => {
            let current = rev.get("revision").and_then(Value::as_i64).unwrap_or(0);
            if current < max {
                rev["revision"] = json!(max + 1);
                let _ = super::write(
                    store,
                    "apps",
                    "ControllerRevision",
                    rev,
                    Part::Main,
                    super::CONTROLLER_MANAGER,
                );
                if let Some(o) = owned.iter_mut().find(|(n, _)| *n == rev_name) {
                    o.1 = max + 1;
                }
            }
        }
        None => {
            let mut template = owner
                .pointer("/spec/template")
                .cloned()
                .unwrap_or(json!({}));
            template["$patch"] = json!("replace");
            let mut labels = owner
                .pointer("/spec/selector/matchLabels")
                .cloned()
                .unwrap_or(json!({}));
            labels["controller.kubernetes.io/hash"] = json!(hash);
            let rev = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": rev_name, "labels": labels, "ownerReferences": [owner_ref(owner, api_version, kind)]},
                "data": {"spec": {"template": template}}, "revision": max + 1});
            if store
                .create_builtin(
                    "apps",
                    "ControllerRevision",
                    &ns,
                    rev,
                    &super::opts(super::CONTROLLER_MANAGER),
                )
                .is_ok()
            {
                owned.push((rev_name.clone(), max + 1));
            }
        }
    }
    let limit = owner
        .pointer("/spec/revisionHistoryLimit")
        .and_then(Value::as_i64)
        .unwrap_or(10)
        .max(0) as usize;
    owned.retain(|(n, _)| *n != rev_name);
    owned.sort_by_key(|(_, r)| *r);
    if let Some(rt) = super::rt(store, "apps", "ControllerRevision") {
        while owned.len() > limit {
            let (n, _) = owned.remove(0);
            let _ = store.delete(&rt, &ns, &n, &DeleteOptions::default());
        }
    }
    rev_name
}
