//! CustomResourceDefinition establishment: the naming and establishing controllers accept a
//! CRD's names, mark it `Established`, and record every version ever stored in
//! `storedVersions`. (The API server serves the kind from the moment the CRD is stored.)

use serde_json::{Value, json};

use super::{condition, get};
use crate::store::{ObjKey, Store};

/// The status the CRD controllers converge a CRD to.
fn status(crd: &Value) -> Value {
    let current = crd.get("status");
    let names = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    let mut stored: Vec<Value> = current
        .and_then(|s| s.get("storedVersions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(versions) = crd.pointer("/spec/versions").and_then(Value::as_array) {
        for v in versions {
            if v.get("storage") == Some(&json!(true))
                && let Some(name) = v.get("name")
                && !stored.contains(name)
            {
                stored.push(name.clone());
            }
        }
    }
    json!({
        "acceptedNames": names,
        "conditions": [
            condition(current, json!({"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": ""})),
            condition(current, json!({"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": ""}))
        ],
        "storedVersions": stored
    })
}

/// Brings a CRD's status up to date with its spec.
pub(super) fn establish(store: &mut Store, name: &str) {
    let okey: ObjKey = (String::new(), name.to_string());
    let Some(crd) = get(
        store,
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        &okey,
    ) else {
        return;
    };
    if crd.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let status = status(&crd);
    super::write_status(
        store,
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        crd,
        status,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_versions_accumulate_and_times_are_kept() {
        let crd = json!({"spec": {"names": {"kind": "W", "plural": "ws"},
            "versions": [{"name": "v1", "storage": true}, {"name": "v2", "storage": false}]}});
        let s1 = status(&crd);
        assert_eq!(s1["storedVersions"], json!(["v1"]));
        assert_eq!(s1["conditions"][1]["type"], "Established");
        let mut moved = crd.clone();
        moved["status"] = s1.clone();
        moved["spec"]["versions"] =
            json!([{"name": "v1", "storage": false}, {"name": "v2", "storage": true}]);
        let s2 = status(&moved);
        assert_eq!(s2["storedVersions"], json!(["v1", "v2"]));
        assert_eq!(
            s2["conditions"][1]["lastTransitionTime"],
            s1["conditions"][1]["lastTransitionTime"]
        );
    }
}
