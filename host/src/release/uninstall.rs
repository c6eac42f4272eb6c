//! Uninstalling a release: its objects deleted in reverse install order (those annotated
//! `helm.sh/resource-policy: keep` or `kubectl-chart.io/resource-policy: keep`, and those
//! another release has taken over, stay), `pre-delete`/`post-delete` hooks around it, then
//! its history deleted, or kept and marked `uninstalled` with `--keep-history`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::history::{self, History};
use super::hooks::{self, Event};
use super::lock::{Lock, LockOptions};
use super::record::Status;
use super::wait;
use super::{Error, ReleaseId, Result};
use crate::apply::plan::owner_of;
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::{self, ObjectRef};

/// The annotations that keep an object when its release is uninstalled.
pub const KEEP_ANNOTATIONS: [&str; 2] = [
    "helm.sh/resource-policy",
    "kubectl-chart.io/resource-policy",
];

#[derive(Debug, Clone)]
pub struct Options {
    pub keep_history: bool,
    /// Wait until the deleted objects are gone.
    pub wait: bool,
    pub timeout: Duration,
    pub no_hooks: bool,
}

/// What happened to each object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub release: String,
    pub deleted: Vec<ObjectRef>,
    /// Kept by a resource policy.
    pub kept: Vec<ObjectRef>,
    /// Gone already, or owned by someone else now.
    pub skipped: Vec<ObjectRef>,
    pub history_kept: bool,
}

/// Uninstalls `id`, holding its lock for the while.
pub async fn uninstall(
    cluster: Arc<Cluster>,
    id: &ReleaseId,
    options: &Options,
    lock: &LockOptions,
) -> Result<Report> {
    let lock = Lock::acquire(cluster.clone(), id, lock).await?;
    let result = uninstall_locked(&cluster, id, options).await;
    let released = lock.release().await;
    let report = result?;
    if !options.keep_history {
        delete_lease(&cluster, id).await;
    } else {
        released?;
    }
    Ok(report)
}

/// Uninstalls `id`; the caller holds its lock.
pub async fn uninstall_locked(
    cluster: &Cluster,
    id: &ReleaseId,
    options: &Options,
) -> Result<Report> {
    let mut history = History::load(cluster, id).await?;
    if !history.is_installed() {
        return Err(Error::NotFound {
            release: id.to_string(),
        });
    }
    let mut objects: BTreeSet<ObjectRef> = history.previous().objects;
    if let Some(latest) = history.latest() {
        objects.extend(latest.objects.iter().cloned());
    }
    let mut hooks = history
        .deployed()
        .or(history.latest())
        .map(|r| r.hooks.clone())
        .unwrap_or_default();
    if let Some(latest) = history.revisions.last_mut() {
        latest.status = Status::Uninstalling;
        latest.description = "Deletion in progress (or silently failed)".to_owned();
        history::update(cluster, latest).await?;
    }
    if !options.no_hooks {
        hooks::run(cluster, id, &mut hooks, Event::PreDelete, options.timeout).await?;
    }

    let mut report = Report {
        release: id.to_string(),
        ..Report::default()
    };
    let mut ordered: Vec<ObjectRef> = objects.into_iter().collect();
    ordered.sort_by_key(|r| std::cmp::Reverse(manifest::install_rank(&r.kind)));
    let owner = id.owner();
    let mut deleted: Vec<(Resource, ObjectRef)> = Vec::new();
    for reference in ordered {
        let Some(resource) = cluster
            .resource(&reference.api_version, &reference.kind)
            .await?
        else {
            report.skipped.push(reference);
            continue;
        };
        let Some(live) = cluster.get(&resource, &reference).await? else {
            report.skipped.push(reference);
            continue;
        };
        if owner_of(&live) != Some(owner.as_str()) {
            report.skipped.push(reference);
            continue;
        }
        if keeps(&live) {
            report.kept.push(reference);
            continue;
        }
        if cluster
            .delete(&resource, &reference, &WriteOptions::default())
            .await?
        {
            deleted.push((resource, reference.clone()));
            report.deleted.push(reference);
        }
    }
    if options.wait {
        wait::wait_deleted(cluster, &deleted, options.timeout).await?;
    }
    if !options.no_hooks {
        hooks::run(cluster, id, &mut hooks, Event::PostDelete, options.timeout).await?;
    }

    if options.keep_history {
        if let Some(latest) = history.revisions.last_mut() {
            latest.status = Status::Uninstalled;
            latest.description = "Uninstallation complete".to_owned();
            history::update(cluster, latest).await?;
        }
        report.history_kept = true;
    } else {
        for revision in &history.revisions {
            history::delete(cluster, revision).await?;
        }
        if history.legacy.is_some() {
            super::legacy::delete(cluster, id).await?;
        }
    }
    Ok(report)
}

/// Whether a resource policy keeps the object.
fn keeps(live: &Value) -> bool {
    let annotations = live.pointer("/metadata/annotations");
    KEEP_ANNOTATIONS.iter().any(|key| {
        annotations
            .and_then(|a| a.get(*key))
            .and_then(Value::as_str)
            .is_some_and(|v| v.trim() == "keep")
    })
}

/// Deletes the release's lock once nothing is left of the release.
async fn delete_lease(cluster: &Cluster, id: &ReleaseId) {
    let Ok(Some(resource)) = cluster.resource("coordination.k8s.io/v1", "Lease").await else {
        return;
    };
    let reference = ObjectRef {
        api_version: "coordination.k8s.io/v1".into(),
        kind: "Lease".into(),
        namespace: Some(id.namespace.clone()),
        name: format!("kubectl-chart.release.{}", id.name),
    };
    let _ = cluster
        .delete(&resource, &reference, &WriteOptions::default())
        .await;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resource_policies_keep_objects() {
        let with = |key: &str, value: &str| json!({"metadata": {"annotations": {key: value}}});
        assert!(keeps(&with("helm.sh/resource-policy", "keep")));
        assert!(keeps(&with("kubectl-chart.io/resource-policy", " keep ")));
        assert!(!keeps(&with("helm.sh/resource-policy", "delete")));
        assert!(!keeps(&json!({"metadata": {}})));
    }
}
