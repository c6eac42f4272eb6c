//! Persistence: the whole store as one JSON document, and back.

use serde_json::{Value, json};

use super::{Store, meta_str};

impl Store {
    /// Every stored object with its resource, for persistence.
    pub fn snapshot(&self) -> Value {
        let mut items = Vec::new();
        for ((g, r), objs) in &self.objects {
            for v in objs.values() {
                items.push(json!({"group": g, "resource": r, "object": v}));
            }
        }
        // CRDs first, so that restoring serves their kinds before their objects arrive.
        items.sort_by_key(|i| i["resource"] != "customresourcedefinitions");
        json!({"resourceVersion": self.rv, "items": items})
    }

    /// Replaces the state with a snapshot.
    pub fn restore(&mut self, snap: &Value) -> Result<(), String> {
        let items = snap
            .get("items")
            .and_then(Value::as_array)
            .ok_or("state file has no items")?;
        self.objects.clear();
        for i in items {
            let g = i
                .get("group")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let r = i
                .get("resource")
                .and_then(Value::as_str)
                .ok_or("state item without resource")?
                .to_string();
            let obj = i
                .get("object")
                .cloned()
                .ok_or("state item without object")?;
            if r == "customresourcedefinitions" {
                self.registry.register_crd(&obj)?;
            }
            let ns = meta_str(&obj, "namespace").unwrap_or_default().to_string();
            let name = meta_str(&obj, "name").unwrap_or_default().to_string();
            self.objects
                .entry((g, r))
                .or_default()
                .insert((ns, name), obj);
        }
        self.rv = snap
            .get("resourceVersion")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        self.log.clear();
        Ok(())
    }
}
