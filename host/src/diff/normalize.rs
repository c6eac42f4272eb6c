//! What a diff compares: an object without what the server owns (`managedFields`,
//! `resourceVersion`, `uid`, `creationTimestamp`, `generation`, `status`, controller
//! annotations) and without bookkeeping (ours, `kubectl-chart.io/*`, and kubectl's
//! last-applied annotation), with a Secret's `data` decoded and its `stringData` folded in
//! (as the API server does on write) so that moving a key from one to the other is no change.
//! And masking: Secret values replaced by their size, keeping which ones change visible.

use base64::Engine as _;
use serde_json::{Map, Value};

/// Metadata fields the API server sets and owns.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Annotations that are bookkeeping or controller state, never what a chart says.
const BOOKKEEPING_PREFIXES: &[&str] = &["kubectl-chart.io/"];
const BOOKKEEPING_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    // Written by the Deployment controller after each rollout.
    "deployment.kubernetes.io/revision",
];

/// Whether `value` is a core Secret.
pub fn is_secret(value: &Value) -> bool {
    value.get("apiVersion").and_then(Value::as_str) == Some("v1")
        && value.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// The object as a diff compares it.
pub fn normalize(value: &Value) -> Value {
    let mut value = value.clone();
    let secret = is_secret(&value);
    let Some(map) = value.as_object_mut() else {
        return value;
    };
    map.shift_remove("status");
    if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SERVER_METADATA {
            metadata.shift_remove(*field);
        }
        let empty = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
            .map(|annotations| {
                annotations.retain(|key, _| {
                    !BOOKKEEPING_PREFIXES.iter().any(|p| key.starts_with(p))
                        && !BOOKKEEPING_ANNOTATIONS.contains(&key.as_str())
                });
                annotations.is_empty()
            });
        if empty == Some(true) {
            metadata.shift_remove("annotations");
        }
    }
    if secret {
        fold_secret_data(map);
    }
    value
}

/// Decodes `data` and lays `stringData` over it, as the API server stores a Secret.
fn fold_secret_data(map: &mut Map<String, Value>) {
    let mut data = match map.shift_remove("data") {
        Some(Value::Object(data)) => data
            .into_iter()
            .map(|(key, value)| {
                let decoded = match &value {
                    Value::String(text) => decode(text).unwrap_or(value),
                    _ => value,
                };
                (key, decoded)
            })
            .collect(),
        Some(other) => {
            // Not a map: leave it for the server to refuse, unchanged.
            map.insert("data".into(), other);
            return;
        }
        None => Map::new(),
    };
    if let Some(Value::Object(string_data)) = map.shift_remove("stringData") {
        for (key, value) in string_data {
            data.insert(key, value);
        }
    }
    if !data.is_empty() {
        map.insert("data".into(), Value::Object(data));
    }
}

/// A base64 value as text: UTF-8 as it is, anything else marked as binary.
fn decode(text: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    Some(Value::String(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => format!(
            "(binary, {} bytes, base64) {}",
            err.as_bytes().len(),
            text.trim()
        ),
    }))
}

/// A Secret value as shown when masked: its size, and whether it changed.
pub fn masked(value: &Value, changed: bool) -> Value {
    let size = match value {
        Value::String(text) => text.len(),
        other => other.to_string().len(),
    };
    let plural = if size == 1 { "" } else { "s" };
    Value::String(if changed {
        format!("*** ({size} byte{plural}, changed)")
    } else {
        format!("*** ({size} byte{plural})")
    })
}

/// Masks the `data` of a Secret seen before and after a change: every value becomes its
/// size; a value that changes says so on the after side, so the diff still shows which keys
/// change and which stay.
pub fn mask_pair(before: Option<&mut Value>, after: Option<&mut Value>) {
    let before_data = before
        .as_ref()
        .and_then(|b| b.get("data"))
        .and_then(Value::as_object)
        .cloned();
    if let Some(data) = before
        .and_then(|b| b.get_mut("data"))
        .and_then(Value::as_object_mut)
    {
        for value in data.values_mut() {
            *value = masked(value, false);
        }
    }
    if let Some(data) = after
        .and_then(|a| a.get_mut("data"))
        .and_then(Value::as_object_mut)
    {
        for (key, value) in data.iter_mut() {
            let old = before_data.as_ref().and_then(|d| d.get(key));
            *value = masked(value, old.is_some_and(|old| old != value));
        }
    }
}

/// Masks a value found below a Secret's `data` (one value, or the whole map).
pub fn mask_value(value: &Value, changed: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), masked(value, changed)))
                .collect(),
        ),
        other => masked(other, changed),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn drops_what_the_server_and_bookkeeping_own() {
        let live = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "uid": "u", "resourceVersion": "7",
                "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "kubectl-chart"}],
                "labels": {"app": "web"},
                "annotations": {"kubectl-chart.io/last-applied": "{}", "kubectl-chart.io/release": "shop/web",
                    "deployment.kubernetes.io/revision": "2", "team": "payments"}},
            "spec": {"replicas": 2},
            "status": {"replicas": 2}
        });
        assert_eq!(
            normalize(&live),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                    "annotations": {"team": "payments"}},
                "spec": {"replicas": 2}})
        );
        // Only bookkeeping annotations: no empty map left behind.
        let ours =
            json!({"metadata": {"name": "a", "annotations": {"kubectl-chart.io/release": "x"}}});
        assert_eq!(normalize(&ours), json!({"metadata": {"name": "a"}}));
    }

    #[test]
    fn secrets_compare_decoded_with_string_data_folded_in() {
        let secret = |extra: Value| {
            let mut value = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"});
            value
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            value
        };
        let cases = [
            // data, stringData, or both: the same Secret.
            (
                secret(json!({"data": {"a": "aGk=", "b": "Yg=="}})),
                json!({"a": "hi", "b": "b"}),
            ),
            (
                secret(json!({"stringData": {"a": "hi", "b": "b"}})),
                json!({"a": "hi", "b": "b"}),
            ),
            (
                secret(json!({"data": {"a": "b2xk", "b": "Yg=="}, "stringData": {"a": "hi"}})),
                json!({"a": "hi", "b": "b"}),
            ),
            // Bytes that are not text stay base64, marked.
            (
                secret(json!({"data": {"bin": "/w=="}})),
                json!({"bin": "(binary, 1 bytes, base64) /w=="}),
            ),
            // Not base64 at all: left for the server to refuse.
            (secret(json!({"data": {"x": "%%"}})), json!({"x": "%%"})),
        ];
        for (input, data) in cases {
            let normalized = normalize(&input);
            assert_eq!(normalized["data"], data, "{input}");
            assert!(normalized.get("stringData").is_none());
        }
        // A ConfigMap's data is not touched.
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "aGk="}});
        assert_eq!(normalize(&cm), cm);
    }

    #[test]
    fn masking_keeps_which_keys_change_visible() {
        let mut before = json!({"data": {"same": "abc", "changed": "old", "gone": "x"}});
        let mut after = json!({"data": {"same": "abc", "changed": "new!", "added": "yy"}});
        mask_pair(Some(&mut before), Some(&mut after));
        assert_eq!(
            before["data"],
            json!({"same": "*** (3 bytes)", "changed": "*** (3 bytes)", "gone": "*** (1 byte)"})
        );
        assert_eq!(
            after["data"],
            json!({"same": "*** (3 bytes)", "changed": "*** (4 bytes, changed)", "added": "*** (2 bytes)"})
        );
        assert_eq!(
            mask_value(&json!({"k": "v"}), true),
            json!({"k": "*** (1 byte, changed)"})
        );
    }
}
