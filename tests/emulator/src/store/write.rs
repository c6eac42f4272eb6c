//! Writes as the API server performs them: create, update (whole object, status, namespace
//! finalize), the four patch types including server-side apply, and pod binding; with type
//! and name checks, field validation, server-side defaults, the `DefaultStorageClass`
//! admission, validation (metadata, then kind rules), generation tracking and managed fields.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{FieldValidation, Part, Propagation, Store, WriteOptions, Written, meta_mut, meta_str};
use crate::defaults;
use crate::patch::ssa::{self, Entry, FieldSet};
use crate::registry::ResourceType;
use crate::shape::Shape;
use crate::status::{ApiError, ApiResult, cause};
use crate::util::{now_rfc3339, random_suffix, uid};
use crate::validate;

/// Whether a kind tracks `metadata.generation`.
fn tracks_generation(rt: &ResourceType) -> bool {
    if rt.crd.is_some() {
        return true;
    }
    rt.status
        && !matches!(
            rt.kind.as_str(),
            "Service" | "Namespace" | "Node" | "PersistentVolume" | "PersistentVolumeClaim"
        )
}

fn without_meta_status(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.shift_remove("metadata");
        m.shift_remove("status");
    }
    c
}

fn without_managed(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("managedFields");
        m.shift_remove("resourceVersion");
    }
    c
}

/// The managed fields of an object without their times, in a canonical order: two writes
/// that own the same fields the same way leave the object unchanged.
fn managed_without_times(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(o) = e.as_object_mut() {
                        o.shift_remove("time");
                    }
                    e.to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

impl Store {
    fn check_type(rt: &ResourceType, version: &str, obj: &Value) -> ApiResult<()> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(format!(
                "{} in version {version:?} cannot be handled as a {}: the object must be a JSON object",
                rt.kind, rt.kind
            )));
        }
        if let Some(k) = obj.get("kind").and_then(Value::as_str)
            && k != rt.kind
        {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({}) of the request",
                rt.kind
            )));
        }
        if let Some(av) = obj.get("apiVersion").and_then(Value::as_str)
            && av != rt.api_version(version)
        {
            let (g, _) = av.split_once('/').unwrap_or(("", av));
            if g != rt.group {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    rt.api_version(version)
                )));
            }
        }
        Ok(())
    }

    fn field_validation(
        rt: &ResourceType,
        version: &str,
        obj: &mut Value,
        mode: FieldValidation,
    ) -> ApiResult<Vec<String>> {
        let shape = rt.shape(version);
        if matches!(shape, Shape::Unknown) {
            return Ok(Vec::new());
        }
        let unknown = validate::unknown_fields(obj, shape);
        let mut warnings = Vec::new();
        if !unknown.is_empty() {
            match mode {
                FieldValidation::Strict => {
                    let list: Vec<String> = unknown
                        .iter()
                        .map(|u| format!("unknown field {u:?}"))
                        .collect();
                    return Err(ApiError::bad_request(format!(
                        "{} in version {version:?} cannot be handled as a {}: strict decoding error: {}",
                        rt.kind,
                        rt.kind,
                        list.join(", ")
                    )));
                }
                FieldValidation::Warn => {
                    warnings = unknown
                        .iter()
                        .map(|u| format!("unknown field {u:?}"))
                        .collect()
                }
                FieldValidation::Ignore => {}
            }
            validate::prune(obj, shape);
        }
        Ok(warnings)
    }

    fn validate_object(rt: &ResourceType, name: &str, obj: &Value) -> ApiResult<()> {
        let mut causes = validate::metadata(obj);
        if rt.crd.is_none() {
            causes.extend(validate::object(&rt.group, &rt.kind, obj));
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&rt.group, &rt.kind, name, causes))
        }
    }

    /// Creates an object (`POST`); with `apply_fields`, records them as the Apply ownership of
    /// `opts.field_manager` instead of Update ownership of everything.
    pub fn create(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        obj: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        self.create_inner(rt, version, ns, obj, opts, None)
    }

    fn create_inner(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        mut obj: Value,
        opts: &WriteOptions,
        apply_fields: Option<FieldSet>,
    ) -> ApiResult<Written> {
        Self::check_type(rt, version, &obj)?;
        let ns = if rt.namespaced { ns } else { "" };
        if rt.namespaced
            && let Some(body_ns) = meta_str(&obj, "namespace")
            && !body_ns.is_empty()
            && body_ns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let mut name = meta_str(&obj, "name").unwrap_or_default().to_string();
        if name.is_empty()
            && let Some(gn) = meta_str(&obj, "generateName")
        {
            name = format!("{gn}{}", random_suffix(5));
        }
        // Reviews and bindings are never stored and need no name.
        if rt.stored
            && let Some(c) = validate::name(&rt.group, &rt.kind, &name)
        {
            return Err(ApiError::invalid(&rt.group, &rt.kind, &name, vec![c]));
        }
        self.check_namespace(rt, ns, &name)?;
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.clone());
        if rt.stored && self.get_raw(&key, &okey).is_some() {
            return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
        }
        let warnings = Self::field_validation(rt, version, &mut obj, opts.field_validation)?;
        obj = Self::present(rt, version, obj);
        {
            let m = meta_mut(&mut obj);
            m.insert("name".into(), json!(name));
            if rt.namespaced {
                m.insert("namespace".into(), json!(ns));
            } else {
                m.shift_remove("namespace");
            }
            m.insert("uid".into(), json!(uid()));
            m.insert("creationTimestamp".into(), json!(now_rfc3339()));
            for f in [
                "resourceVersion",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "selfLink",
                "managedFields",
            ] {
                m.shift_remove(f);
            }
            if tracks_generation(rt) {
                m.insert("generation".into(), json!(1));
            } else {
                m.shift_remove("generation");
            }
        }
        if rt.status
            && let Some(m) = obj.as_object_mut()
        {
            m.shift_remove("status");
        }
        if !rt.stored {
            // No authorization: every review says yes, and who asks is the cluster admin.
            match rt.kind.as_str() {
                "SelfSubjectRulesReview" => {
                    obj["status"] = json!({
                        "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                        "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                        "incomplete": false
                    });
                }
                "SelfSubjectReview" => {
                    obj["status"] = json!({"userInfo": {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}});
                }
                _ if rt.group == "authorization.k8s.io" => {
                    obj["status"] =
                        json!({"allowed": true, "reason": "kchart-emulator allows everything"});
                }
                _ => {}
            }
            return Ok(Written {
                object: obj,
                warnings,
                created: true,
            });
        }
        if rt.group.is_empty() && rt.kind == "Namespace" {
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
        }
        defaults::apply(&rt.group, &rt.kind, &mut obj, &mut self.alloc);
        self.admit(rt, &mut obj);
        Self::validate_object(rt, &name, &obj)?;
        let shape = rt.shape(version);
        let entry = match apply_fields {
            Some(fields) => Entry {
                manager: opts.field_manager.clone(),
                operation: "Apply".into(),
                api_version: rt.api_version(version),
                time: now_rfc3339(),
                fields,
                subresource: None,
            },
            None => Entry {
                manager: opts.field_manager.clone(),
                operation: "Update".into(),
                api_version: rt.api_version(version),
                time: now_rfc3339(),
                fields: ssa::fields_of(&obj, shape, rt.status),
                subresource: None,
            },
        };
        ssa::set_entries(&mut obj, &[entry]);
        if opts.dry_run {
            return Ok(Written {
                object: obj,
                warnings,
                created: true,
            });
        }
        let stored = self.put(key.clone(), okey.clone(), obj, "ADDED");
        self.after_write(rt, &stored);
        Ok(Written {
            object: stored,
            warnings,
            created: true,
        })
    }

    /// The mutating admission plugins a cluster runs on create: `DefaultStorageClass` gives a
    /// claim that names no class the default one.
    fn admit(&self, rt: &ResourceType, obj: &mut Value) {
        if rt.group.is_empty()
            && rt.kind == "PersistentVolumeClaim"
            && obj.pointer("/spec/storageClassName").is_none()
            && let Some(class) = self.default_storage_class()
        {
            obj["spec"]["storageClassName"] = json!(class);
        }
    }

    /// The default StorageClass (the newest, if several claim to be).
    fn default_storage_class(&self) -> Option<String> {
        self.all_of(&("storage.k8s.io".into(), "storageclasses".into()))
            .filter(|(_, v)| {
                v.pointer("/metadata/annotations")
                    .and_then(|a| a.get("storageclass.kubernetes.io/is-default-class"))
                    .and_then(Value::as_str)
                    == Some("true")
            })
            .max_by_key(|(_, v)| {
                v.pointer("/metadata/creationTimestamp")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .map(|(k, _)| k.1.clone())
    }

    /// What storing an object changes in the server itself: a CRD's kind is served from the
    /// moment the CRD is stored (its conditions come from the CRD controller).
    fn after_write(&mut self, rt: &ResourceType, new: &Value) {
        if rt.group == "apiextensions.k8s.io" && rt.kind == "CustomResourceDefinition" {
            let _ = self.registry.register_crd(new);
        }
    }

    /// Replaces an object (`PUT`), or its status or finalizers.
    #[expect(clippy::too_many_arguments, reason = "mirrors the PUT request")]
    pub fn update(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        obj: Value,
        opts: &WriteOptions,
        part: Part,
    ) -> ApiResult<Written> {
        self.update_inner(rt, version, ns, name, obj, opts, part, None)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "internal write path shared by update, patch and apply"
    )]
    fn update_inner(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        mut obj: Value,
        opts: &WriteOptions,
        part: Part,
        preset_entries: Option<Vec<Entry>>,
    ) -> ApiResult<Written> {
        Self::check_type(rt, version, &obj)?;
        let ns = if rt.namespaced { ns } else { "" };
        if let Some(n) = meta_str(&obj, "name")
            && n != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        if rt.namespaced
            && let Some(body_ns) = meta_str(&obj, "namespace")
            && !body_ns.is_empty()
            && body_ns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let old = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        if let Some(rv) = meta_str(&obj, "resourceVersion")
            && !rv.is_empty()
            && Some(rv) != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        let warnings = Self::field_validation(rt, version, &mut obj, opts.field_validation)?;
        obj = Self::present(rt, version, obj);
        let mut new = match part {
            Part::Main => {
                if rt.status {
                    let mut n = obj;
                    match old.get("status") {
                        Some(s) => n["status"] = s.clone(),
                        None => {
                            if let Some(m) = n.as_object_mut() {
                                m.shift_remove("status");
                            }
                        }
                    }
                    n
                } else {
                    obj
                }
            }
            Part::Status => {
                let mut n = Self::present(rt, version, old.clone());
                match obj.get("status") {
                    Some(s) => n["status"] = s.clone(),
                    None => {
                        if let Some(m) = n.as_object_mut() {
                            m.shift_remove("status");
                        }
                    }
                }
                if let Some(mf) = obj.pointer("/metadata/managedFields") {
                    meta_mut(&mut n).insert("managedFields".into(), mf.clone());
                }
                n
            }
            Part::Finalize => {
                let mut n = Self::present(rt, version, old.clone());
                let f = obj
                    .pointer("/spec/finalizers")
                    .cloned()
                    .unwrap_or(json!([]));
                n["spec"] = json!({"finalizers": f});
                n
            }
        };
        {
            let om = old.get("metadata").cloned().unwrap_or(json!({}));
            let m = meta_mut(&mut new);
            for f in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            ] {
                match om.get(f) {
                    Some(v) => {
                        m.insert(f.into(), v.clone());
                    }
                    None => {
                        m.shift_remove(f);
                    }
                }
            }
            m.insert("name".into(), json!(name));
            if rt.namespaced {
                m.insert("namespace".into(), json!(ns));
            }
            m.shift_remove("resourceVersion");
        }
        if rt.kind == "Namespace" && part == Part::Main {
            new["status"] = old
                .get("status")
                .cloned()
                .unwrap_or(json!({"phase": "Active"}));
        }
        defaults::apply(&rt.group, &rt.kind, &mut new, &mut self.alloc);
        if rt.kind == "Service" && rt.group.is_empty() {
            // clusterIP is immutable once allocated: keep the old one if the update dropped it.
            for f in ["clusterIP", "clusterIPs"] {
                if let Some(v) = old.pointer(&format!("/spec/{f}")) {
                    new["spec"][f] = v.clone();
                }
            }
        }
        Self::validate_object(rt, name, &new)?;
        if tracks_generation(rt) && without_meta_status(&old) != without_meta_status(&new) {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1;
            meta_mut(&mut new).insert("generation".into(), json!(g));
        }
        // Managed fields: a preset list (apply), or the client's own edit of them, or the
        // ownership of what this update changed.
        let shape = rt.shape(version);
        let mut entries = match preset_entries {
            Some(e) => e,
            None => {
                let client_set = new.pointer("/metadata/managedFields").cloned();
                let old_set = old.pointer("/metadata/managedFields").cloned();
                let base = if client_set.is_some() && client_set != old_set {
                    ssa::entries(&new)
                } else {
                    ssa::entries(&old)
                };
                let changed =
                    ssa::changed_fields(Some(&old), &new, shape, rt.status && part == Part::Main);
                let sub = (part == Part::Status).then(|| "status".to_string());
                let mut list = base;
                for e in list.iter_mut() {
                    e.fields.subtract(&changed);
                }
                if !changed.is_empty() {
                    let av = rt.api_version(version);
                    match list.iter_mut().find(|e| {
                        e.manager == opts.field_manager
                            && e.operation == "Update"
                            && e.api_version == av
                            && e.subresource == sub
                    }) {
                        Some(e) => {
                            e.fields.union(&changed);
                            e.time = now_rfc3339();
                        }
                        None => list.push(Entry {
                            manager: opts.field_manager.clone(),
                            operation: "Update".into(),
                            api_version: av,
                            time: now_rfc3339(),
                            fields: changed,
                            subresource: sub,
                        }),
                    }
                }
                list
            }
        };
        ssa::prune_missing(&mut entries, &new);
        ssa::set_entries(&mut new, &entries);
        let unchanged = without_managed(&new) == without_managed(&old)
            && managed_without_times(&new) == managed_without_times(&old);
        if unchanged && !Self::deletion_done(&new) {
            return Ok(Written {
                object: old,
                warnings,
                created: false,
            });
        }
        if opts.dry_run {
            let mut n = new;
            meta_mut(&mut n).insert(
                "resourceVersion".into(),
                old.pointer("/metadata/resourceVersion")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            return Ok(Written {
                object: n,
                warnings,
                created: false,
            });
        }
        if Self::deletion_done(&new) {
            let gone = self
                .finish_delete(rt, &key, &okey, Propagation::Background)
                .unwrap_or(new);
            return Ok(Written {
                object: gone,
                warnings,
                created: false,
            });
        }
        let stored = self.put(key.clone(), okey.clone(), new, "MODIFIED");
        self.after_write(rt, &stored);
        Ok(Written {
            object: stored,
            warnings,
            created: false,
        })
    }

    /// Applies a patch body of a content type to the current object and writes the result.
    #[expect(clippy::too_many_arguments, reason = "mirrors the PATCH request")]
    pub fn patch(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        content_type: &str,
        body: &[u8],
        opts: &WriteOptions,
        part: Part,
    ) -> ApiResult<Written> {
        let ns = if rt.namespaced { ns } else { "" };
        if content_type == "application/apply-patch+yaml"
            || content_type == "application/apply-patch+cbor"
        {
            return self.apply(rt, version, ns, name, body, opts, part);
        }
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let current = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        let current = Self::present(rt, version, current);
        let patch: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
        let patched = match content_type {
            "application/json-patch+json" => {
                let mut doc = current.clone();
                crate::patch::json::apply(&mut doc, &patch)
                    .map_err(|e| ApiError::new(422, "Invalid", e))?;
                doc
            }
            "application/merge-patch+json" => {
                if !patch.is_object() {
                    return Err(ApiError::bad_request("merge patch must be a JSON object"));
                }
                let mut doc = current.clone();
                crate::patch::merge::apply(&mut doc, &patch);
                doc
            }
            "application/strategic-merge-patch+json" => {
                if rt.crd.is_some() {
                    return Err(ApiError::unsupported_media_type(content_type));
                }
                let node = rt.shape(version).node();
                crate::patch::smp::apply(&current, &patch, node)
                    .map_err(|e| ApiError::new(422, "Invalid", e))?
            }
            other => return Err(ApiError::unsupported_media_type(other)),
        };
        let mut patched = patched;
        // A patch that does not name a resourceVersion must not conflict on it.
        if meta_str(&patched, "resourceVersion") == meta_str(&current, "resourceVersion") {
            meta_mut(&mut patched).shift_remove("resourceVersion");
        }
        self.update_inner(rt, version, ns, name, patched, opts, part, None)
    }

    /// Server-side apply.
    #[expect(clippy::too_many_arguments, reason = "mirrors the PATCH request")]
    fn apply(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        body: &[u8],
        opts: &WriteOptions,
        part: Part,
    ) -> ApiResult<Written> {
        let applied: Value = serde_yaml_ng::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
        if !applied.is_object() {
            return Err(ApiError::bad_request("apply patch must be an object"));
        }
        if opts.field_manager.is_empty() || opts.field_manager == "unknown" {
            return Err(ApiError::bad_request(
                "fieldManager is required for apply requests",
            ));
        }
        for f in ["apiVersion", "kind"] {
            if applied
                .get(f)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(ApiError::bad_request(format!(
                    "{f} must be set in an apply request"
                )));
            }
        }
        let mut applied = applied;
        Self::field_validation(rt, version, &mut applied, opts.field_validation)?;
        if let Some(n) = meta_str(&applied, "name")
            && n != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        let shape = rt.shape(version);
        let skip_status = rt.status && part == Part::Main;
        let applied_set = ssa::fields_of(&applied, shape, skip_status);
        let key = Self::key(rt);
        let okey = (ns.to_string(), name.to_string());
        let Some(current) = self.get_raw(&key, &okey).cloned() else {
            let mut obj = applied;
            meta_mut(&mut obj).insert("name".into(), json!(name));
            return self.create_inner(rt, version, ns, obj, opts, Some(applied_set));
        };
        let current = Self::present(rt, version, current);
        let mut entries = ssa::entries(&current);
        let conflicts = ssa::conflicts(
            &current,
            &applied,
            &applied_set,
            &opts.field_manager,
            &entries,
        );
        if !conflicts.is_empty() && !opts.force {
            let causes = conflicts
                .iter()
                .map(|c| {
                    cause(
                        "FieldManagerConflict",
                        &ssa::render_path(&c.path),
                        format!("conflict with \"{}\" using {}", c.manager, c.api_version),
                    )
                })
                .collect();
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                ssa::conflict_message(&conflicts),
                causes,
            ));
        }
        let mut applied_body = applied.clone();
        if let Some(m) = applied_body
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            m.shift_remove("resourceVersion");
            m.shift_remove("managedFields");
        }
        let mut merged = ssa::merge(&current, &applied_body, shape);
        let previous = entries
            .iter()
            .find(|e| e.manager == opts.field_manager && e.operation == "Apply")
            .map(|e| e.fields.clone())
            .unwrap_or_default();
        let mut removed = previous;
        removed.subtract(&applied_set);
        // List elements go first (removing one removes what it holds), shortest first; then
        // fields, deepest first; a map still holding other managers' keys stays.
        let mut paths = removed.paths();
        paths.sort_by_key(|p| {
            let element = p
                .last()
                .is_some_and(|l| l.starts_with("k:") || l.starts_with("v:"));
            if element {
                (0, p.len() as i64)
            } else {
                (1, -(p.len() as i64))
            }
        });
        for p in paths {
            let owned_by_other = entries.iter().any(|e| {
                !(e.manager == opts.field_manager && e.operation == "Apply")
                    && e.fields.contains(&p)
            });
            let still_holds = match ssa::value_at(&merged, &p) {
                Some(Value::Object(m)) => {
                    !m.is_empty() && !p.last().is_some_and(|l| l.starts_with("k:"))
                }
                _ => false,
            };
            if !owned_by_other && !still_holds {
                ssa::remove_at(&mut merged, &p);
            }
        }
        if opts.force {
            let mut taken = FieldSet::default();
            for c in &conflicts {
                taken.insert(&c.path);
            }
            for e in entries.iter_mut() {
                e.fields.subtract(&taken);
            }
        }
        let av = rt.api_version(version);
        let sub = (part == Part::Status).then(|| "status".to_string());
        entries.retain(|e| {
            !(e.manager == opts.field_manager && e.operation == "Apply" && e.subresource == sub)
        });
        entries.push(Entry {
            manager: opts.field_manager.clone(),
            operation: "Apply".into(),
            api_version: av,
            time: now_rfc3339(),
            fields: applied_set,
            subresource: sub,
        });
        meta_mut(&mut merged).shift_remove("resourceVersion");
        self.update_inner(rt, version, ns, name, merged, opts, part, Some(entries))
    }
}

impl Store {
    /// `pods/NAME/binding`, as the scheduler uses it: assigns a Pod to a node and marks it
    /// scheduled, without a new generation. Binding a Pod already on another node conflicts.
    pub fn bind_pod(&mut self, ns: &str, name: &str, node: &str) -> ApiResult<Value> {
        let key: super::ResKey = ("".into(), "pods".into());
        let okey: super::ObjKey = (ns.to_string(), name.to_string());
        let mut pod = self
            .get_raw(&key, &okey)
            .cloned()
            .ok_or_else(|| ApiError::not_found("", "pods", name))?;
        match pod.pointer("/spec/nodeName").and_then(Value::as_str) {
            Some(n) if n == node => return Ok(pod),
            Some(n) if !n.is_empty() => {
                return Err(ApiError::conflict_with(
                    "",
                    "pods",
                    name,
                    format!("pod {name} is already assigned to node \"{n}\""),
                    Vec::new(),
                ));
            }
            _ => {}
        }
        pod["spec"]["nodeName"] = json!(node);
        Ok(self.put(key, okey, pod, "MODIFIED"))
    }
}
