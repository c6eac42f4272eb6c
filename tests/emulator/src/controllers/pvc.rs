//! Volume provisioning and binding: a PersistentVolumeClaim of any storage class but `""` gets
//! a PersistentVolume (`pvc-UID`, reclaimed with its claim) and becomes `Bound` with the
//! capacity it requested; with the never-ready annotation, or `storageClassName: ""` (static
//! binding, and no volume to bind), it stays `Pending`.

use serde_json::{Value, json};

use super::{NEVER_READY_ANNOTATION, annotated, get, uid_of};
use crate::store::{DeleteOptions, ObjKey, Part, Store};

/// The provisioner of the emulator's volumes.
pub const PROVISIONER: &str = "kchart-emulator/hostpath";

/// Whether a claim still waits for a volume it can get.
pub(super) fn is_pending(pvc: &Value) -> bool {
    pvc.pointer("/status/phase").and_then(Value::as_str) != Some("Bound")
        && !annotated(pvc, NEVER_READY_ANNOTATION)
        && pvc
            .pointer("/spec/storageClassName")
            .and_then(Value::as_str)
            != Some("")
}

/// Provisions a volume for a claim and binds them.
pub(super) fn reconcile(store: &mut Store, okey: &ObjKey) {
    let Some(mut pvc) = get(store, "", "persistentvolumeclaims", okey) else {
        return;
    };
    if !is_pending(&pvc) || pvc.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let (ns, name) = okey;
    let volume = pvc
        .pointer("/spec/volumeName")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .unwrap_or_else(|| format!("pvc-{}", uid_of(&pvc)));
    let class = pvc
        .pointer("/spec/storageClassName")
        .cloned()
        .unwrap_or(Value::Null);
    let capacity = pvc
        .pointer("/spec/resources/requests/storage")
        .cloned()
        .unwrap_or(json!("1Gi"));
    let access_modes = pvc
        .pointer("/spec/accessModes")
        .cloned()
        .unwrap_or(json!(["ReadWriteOnce"]));
    let pv_key: ObjKey = (String::new(), volume.clone());
    if get(store, "", "persistentvolumes", &pv_key).is_none() {
        let mut pv = json!({"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": volume, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
            "spec": {"capacity": {"storage": capacity}, "accessModes": access_modes,
                "persistentVolumeReclaimPolicy": "Delete",
                "volumeMode": pvc.pointer("/spec/volumeMode").cloned().unwrap_or(json!("Filesystem")),
                "hostPath": {"path": format!("/var/lib/kchart-emulator/{volume}"), "type": ""},
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": ns, "name": name,
                    "uid": uid_of(&pvc), "resourceVersion": pvc.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null)}}});
        if class.is_string() {
            pv["spec"]["storageClassName"] = class.clone();
        }
        let opts = super::opts("kube-controller-manager");
        if let Ok(w) = store.create_builtin("", "PersistentVolume", "", pv, &opts) {
            let mut bound = w.object;
            bound["status"] = json!({"phase": "Bound"});
            let _ = super::write(
                store,
                "",
                "PersistentVolume",
                bound,
                Part::Status,
                super::CONTROLLER_MANAGER,
            );
        }
    }
    pvc["spec"]["volumeName"] = json!(volume);
    for (k, v) in [
        ("pv.kubernetes.io/bind-completed", "yes"),
        ("pv.kubernetes.io/bound-by-controller", "yes"),
        ("volume.beta.kubernetes.io/storage-provisioner", PROVISIONER),
        ("volume.kubernetes.io/storage-provisioner", PROVISIONER),
    ] {
        pvc["metadata"]["annotations"][k] = json!(v);
    }
    let Ok(w) = super::write(
        store,
        "",
        "PersistentVolumeClaim",
        pvc,
        Part::Main,
        super::CONTROLLER_MANAGER,
    ) else {
        return;
    };
    let status =
        json!({"phase": "Bound", "accessModes": access_modes, "capacity": {"storage": capacity}});
    super::write_status(store, "", "PersistentVolumeClaim", w.object, status);
}

/// A claim is gone: its provisioned volume is reclaimed (policy `Delete`).
pub(super) fn release(store: &mut Store, pvc: &Value) {
    let Some(volume) = pvc.pointer("/spec/volumeName").and_then(Value::as_str) else {
        return;
    };
    let pv_key: ObjKey = (String::new(), volume.to_string());
    let Some(pv) = get(store, "", "persistentvolumes", &pv_key) else {
        return;
    };
    let ours = pv.pointer("/spec/claimRef/uid").and_then(Value::as_str) == Some(uid_of(pvc))
        && pv
            .pointer("/spec/persistentVolumeReclaimPolicy")
            .and_then(Value::as_str)
            == Some("Delete");
    if ours && let Some(rt) = super::rt(store, "", "PersistentVolume") {
        let _ = store.delete(&rt, "", volume, &DeleteOptions::default());
    }
}
