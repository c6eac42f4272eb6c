//! Namespaces: a new one gets its `default` ServiceAccount and `kube-root-ca.crt` ConfigMap
//! (the ServiceAccount and root-CA publisher controllers); a terminating one has its contents
//! deleted (finalizers on them are honoured: the namespace waits) and is then finalized
//! through the `finalize` subresource.

use serde_json::json;

use super::CONTROLLER_MANAGER;
use crate::store::{DeleteOptions, ObjKey, Part, ResKey, Store};

/// What every namespace holds from the start.
pub(super) fn populate(store: &mut Store, ns: &str) {
    let terminating = store
        .get_raw(
            &("".into(), "namespaces".into()),
            &(String::new(), ns.to_string()),
        )
        .is_none_or(|n| n.pointer("/metadata/deletionTimestamp").is_some());
    if terminating {
        return;
    }
    let opts = super::opts(CONTROLLER_MANAGER);
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
    let _ = store.create_builtin("", "ServiceAccount", ns, sa, &opts);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
        "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nkchart-emulator\n-----END CERTIFICATE-----\n"}});
    let _ = store.create_builtin("", "ConfigMap", ns, cm, &opts);
}

/// Empties and finalizes every terminating namespace.
pub(super) fn finalize_terminating(store: &mut Store) {
    let nkey: ResKey = ("".into(), "namespaces".into());
    let terminating: Vec<String> = store
        .all_of(&nkey)
        .filter(|(_, v)| v.pointer("/metadata/deletionTimestamp").is_some())
        .map(|(k, _)| k.1.clone())
        .collect();
    for ns in terminating {
        if delete_contents(store, &ns) {
            continue;
        }
        let Some(n) = store.get_raw(&nkey, &(String::new(), ns.clone())).cloned() else {
            continue;
        };
        let mut finalized = n;
        finalized["spec"]["finalizers"] = json!([]);
        let _ = super::write(
            store,
            "",
            "Namespace",
            finalized,
            Part::Finalize,
            CONTROLLER_MANAGER,
        );
    }
}

/// Deletes what a namespace holds; returns whether anything is left (held by finalizers).
fn delete_contents(store: &mut Store, ns: &str) -> bool {
    let types: Vec<_> = store
        .registry
        .types()
        .iter()
        .filter(|t| t.namespaced && t.stored)
        .cloned()
        .collect();
    let mut left = false;
    for rt in types {
        let key: ResKey = (rt.group.clone(), rt.plural.clone());
        let inside: Vec<(ObjKey, bool)> = store
            .all_of(&key)
            .filter(|(k, _)| k.0 == ns)
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.pointer("/metadata/deletionTimestamp").is_some(),
                )
            })
            .collect();
        for (okey, marked) in inside {
            if !marked {
                let _ = store.delete(&rt, ns, &okey.1, &DeleteOptions::default());
            }
            if store.get_raw(&key, &okey).is_some() {
                left = true;
            }
        }
    }
    left
}
