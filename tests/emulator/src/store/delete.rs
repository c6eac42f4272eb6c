//! Deletion as the API server performs it: preconditions, finalizers (an object with
//! finalizers is only marked), propagation policies, and the garbage collection of dependents
//! through their ownerReferences.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{ObjKey, ResKey, Store, meta_mut, meta_str};
use crate::registry::ResourceType;
use crate::status::{ApiError, ApiResult};
use crate::util::now_rfc3339;

/// `propagationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Dependents are deleted after the owner.
    #[default]
    Background,
    /// Dependents are deleted before the owner.
    Foreground,
    /// Dependents lose their owner reference.
    Orphan,
}

/// Options of a delete.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `propagationPolicy`.
    pub propagation: Propagation,
    /// `preconditions.uid`.
    pub uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub resource_version: Option<String>,
}

impl Store {
    /// Whether an object marked for deletion has no finalizers left.
    pub(super) fn deletion_done(obj: &Value) -> bool {
        if meta_str(obj, "deletionTimestamp").is_none() {
            return false;
        }
        let empty = |v: Option<&Value>| v.and_then(Value::as_array).is_none_or(Vec::is_empty);
        let spec_done = obj.get("kind").and_then(Value::as_str) != Some("Namespace")
            || empty(obj.pointer("/spec/finalizers"));
        empty(obj.pointer("/metadata/finalizers")) && spec_done
    }

    /// Deletes an object; returns the object (with `deletionTimestamp` if finalizers hold it)
    /// and whether it is gone.
    pub fn delete(
        &mut self,
        rt: &Arc<ResourceType>,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<(Value, bool)> {
        let ns = if rt.namespaced { ns } else { "" };
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let old = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        if let Some(u) = &opts.uid
            && Some(u.as_str()) != meta_str(&old, "uid")
        {
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                format!(
                    "Precondition failed: UID in precondition: {u}, UID in object meta: {}",
                    meta_str(&old, "uid").unwrap_or_default()
                ),
                Vec::new(),
            ));
        }
        if let Some(rv) = &opts.resource_version
            && Some(rv.as_str()) != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta_str(&old, "resourceVersion").unwrap_or_default()
                ),
                Vec::new(),
            ));
        }
        if opts.dry_run {
            return Ok((old, false));
        }
        let has_finalizers = old
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        let is_ns = rt.group.is_empty() && rt.kind == "Namespace";
        if is_ns || has_finalizers {
            if meta_str(&old, "deletionTimestamp").is_some() {
                return Ok((old, false));
            }
            let mut marked = old.clone();
            meta_mut(&mut marked).insert("deletionTimestamp".into(), json!(now_rfc3339()));
            meta_mut(&mut marked).insert("deletionGracePeriodSeconds".into(), json!(0));
            if is_ns {
                marked["status"] = json!({"phase": "Terminating"});
            }
            let stored = self.put(key, okey, marked, "MODIFIED");
            return Ok((stored, false));
        }
        match self.finish_delete(rt, &key, &okey, opts.propagation) {
            Some(v) => Ok((v, true)),
            None => Err(ApiError::not_found(&rt.group, &rt.plural, name)),
        }
    }

    /// Removes an object for good and collects its dependents.
    pub(super) fn finish_delete(
        &mut self,
        rt: &ResourceType,
        key: &ResKey,
        okey: &ObjKey,
        propagation: Propagation,
    ) -> Option<Value> {
        let uid = self
            .get_raw(key, okey)
            .and_then(|o| meta_str(o, "uid"))
            .map(String::from);
        if propagation == Propagation::Foreground
            && let Some(u) = &uid
        {
            self.collect_dependents(u, propagation);
        }
        let gone = self.remove(key, okey)?;
        if let Some(u) = &uid {
            match propagation {
                Propagation::Orphan => self.orphan_dependents(u),
                _ => self.collect_dependents(u, Propagation::Background),
            }
        }
        if rt.group == "apiextensions.k8s.io"
            && rt.kind == "CustomResourceDefinition"
            && let Some(t) = self.registry.unregister_crd(&okey.1)
        {
            {
                let k = (t.group.clone(), t.plural.clone());
                let keys: Vec<ObjKey> = self.all_of(&k).map(|(o, _)| o.clone()).collect();
                for o in keys {
                    self.remove(&k, &o);
                }
                self.objects.remove(&k);
            }
        }
        Some(gone)
    }

    fn dependents(&self, owner_uid: &str) -> Vec<(ResKey, ObjKey)> {
        let mut out = Vec::new();
        for (k, objs) in &self.objects {
            for (o, v) in objs {
                let owned = v
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
                    });
                if owned {
                    out.push((k.clone(), o.clone()));
                }
            }
        }
        out
    }

    fn collect_dependents(&mut self, owner_uid: &str, propagation: Propagation) {
        for (k, o) in self.dependents(owner_uid) {
            let rt = self
                .registry
                .types()
                .iter()
                .find(|t| t.group == k.0 && t.plural == k.1)
                .cloned();
            if let Some(rt) = rt {
                self.finish_delete(&rt, &k, &o, propagation);
            } else {
                self.remove(&k, &o);
            }
        }
    }

    fn orphan_dependents(&mut self, owner_uid: &str) {
        for (k, o) in self.dependents(owner_uid) {
            if let Some(mut v) = self.get_raw(&k, &o).cloned() {
                if let Some(Value::Array(refs)) = v.pointer_mut("/metadata/ownerReferences") {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
                }
                self.put(k, o, v, "MODIFIED");
            }
        }
    }
}
