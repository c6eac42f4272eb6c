//! Chart hooks as Helm defines them: objects annotated `helm.sh/hook` are not part of the
//! release's objects (never pruned, never diffed as objects); they are created at their event
//! (`pre-install`, `post-upgrade`, `test`, ...) in `helm.sh/hook-weight` order, Jobs and Pods
//! waited for until they complete, and deleted by their `helm.sh/hook-delete-policy`
//! (`before-hook-creation` by default, `hook-succeeded`, `hook-failed`). A failed hook fails
//! the revision, naming the hook.

use std::time::Duration;

use serde_json::Value;

use super::record::{HookRecord, HookRun, now};
use super::wait::{self, Readiness};
use super::{Error, MANAGED_BY, MANAGED_BY_LABEL, OWNER_ANNOTATION, ReleaseId, Result};
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::{Object, ObjectRef};

pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
pub const WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
pub const DELETE_POLICY_ANNOTATION: &str = "helm.sh/hook-delete-policy";

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    PreInstall,
    PostInstall,
    PreUpgrade,
    PostUpgrade,
    PreRollback,
    PostRollback,
    PreDelete,
    PostDelete,
    Test,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::PreInstall => "pre-install",
            Event::PostInstall => "post-install",
            Event::PreUpgrade => "pre-upgrade",
            Event::PostUpgrade => "post-upgrade",
            Event::PreRollback => "pre-rollback",
            Event::PostRollback => "post-rollback",
            Event::PreDelete => "pre-delete",
            Event::PostDelete => "post-delete",
            Event::Test => "test",
        }
    }

    fn parse(text: &str) -> Option<Event> {
        Some(match text {
            "pre-install" => Event::PreInstall,
            "post-install" => Event::PostInstall,
            "pre-upgrade" => Event::PreUpgrade,
            "post-upgrade" => Event::PostUpgrade,
            "pre-rollback" => Event::PreRollback,
            "post-rollback" => Event::PostRollback,
            "pre-delete" => Event::PreDelete,
            "post-delete" => Event::PostDelete,
            // Helm 2's name for test hooks, still accepted by Helm.
            "test" | "test-success" => Event::Test,
            _ => return None,
        })
    }
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|part| part.trim().to_ascii_lowercase())
        .filter(|part| !part.is_empty())
        .collect()
}

/// Splits rendered objects into the release's objects and its hooks (as records, ready to be
/// kept with the revision). Hooks of an unknown event are dropped with a warning, as Helm
/// does.
pub fn split(objects: Vec<Object>) -> (Vec<Object>, Vec<HookRecord>) {
    let mut plain = Vec::with_capacity(objects.len());
    let mut hooks = Vec::new();
    for object in objects {
        let Some(events) = annotation(&object.value, HOOK_ANNOTATION) else {
            plain.push(object);
            continue;
        };
        let events = list(events);
        if events.iter().any(|e| Event::parse(e).is_none()) {
            eprintln!(
                "warning: {} ({}): skipping a hook of unknown type `{}`",
                object.object_ref(),
                object.source,
                crate::log::truncate(&events.join(","), 80)
            );
            continue;
        }
        let events: Vec<String> = events
            .iter()
            .filter_map(|e| Event::parse(e))
            .map(|e| e.as_str().to_owned())
            .collect();
        let weight = annotation(&object.value, WEIGHT_ANNOTATION)
            .and_then(|w| w.trim().parse::<i64>().ok())
            .unwrap_or(0);
        let delete_policies = annotation(&object.value, DELETE_POLICY_ANNOTATION)
            .map(list)
            .unwrap_or_default();
        hooks.push(HookRecord {
            object: object.object_ref(),
            source: object.source.clone(),
            events,
            weight,
            delete_policies,
            manifest: object.value,
            last_run: None,
        });
    }
    (plain, hooks)
}

/// Runs the hooks of `event`, in weight order (then by name), recording each run in `hooks`.
pub async fn run(
    cluster: &Cluster,
    release: &ReleaseId,
    hooks: &mut [HookRecord],
    event: Event,
    timeout: Duration,
) -> Result<()> {
    let mut order: Vec<usize> = (0..hooks.len())
        .filter(|&i| hooks[i].events.iter().any(|e| e == event.as_str()))
        .collect();
    order.sort_by(|&a, &b| {
        (hooks[a].weight, &hooks[a].object.name).cmp(&(hooks[b].weight, &hooks[b].object.name))
    });
    for (done, &index) in order.iter().enumerate() {
        if hooks[index].delete_policies.is_empty() {
            hooks[index].delete_policies = vec!["before-hook-creation".to_owned()];
        }
        // The record names the hook where it runs, namespace included.
        if let Ok((_, placed)) = place(cluster, release, &hooks[index]).await {
            hooks[index].object = placed;
        }
        let started = now();
        let result = run_one(cluster, release, &hooks[index], event, timeout).await;
        hooks[index].last_run = Some(HookRun {
            started_at: started,
            completed_at: now(),
            phase: if result.is_ok() {
                "Succeeded"
            } else {
                "Failed"
            }
            .to_owned(),
        });
        if let Err(err) = result {
            let _ = delete_by_policy(cluster, release, &hooks[index], "hook-failed", timeout).await;
            for &earlier in &order[..done] {
                let _ =
                    delete_by_policy(cluster, release, &hooks[earlier], "hook-succeeded", timeout)
                        .await;
            }
            return Err(err);
        }
    }
    for &index in order.iter().rev() {
        delete_by_policy(cluster, release, &hooks[index], "hook-succeeded", timeout).await?;
    }
    Ok(())
}

/// Where a hook lives: how its kind is served, and its reference with the release's namespace
/// when the chart gives none to a namespaced kind.
async fn place(
    cluster: &Cluster,
    release: &ReleaseId,
    hook: &HookRecord,
) -> Result<(Resource, ObjectRef)> {
    let reference = &hook.object;
    let resource = cluster
        .resource(&reference.api_version, &reference.kind)
        .await?
        .ok_or_else(|| Error::Hook {
            hook: describe(hook),
            message: format!(
                "the cluster does not serve {} {}",
                reference.api_version, reference.kind
            ),
        })?;
    let namespace = resource.namespaced.then(|| {
        reference
            .namespace
            .clone()
            .unwrap_or_else(|| release.namespace.clone())
    });
    let reference = ObjectRef {
        namespace,
        ..reference.clone()
    };
    Ok((resource, reference))
}

/// Where a hook lives and what it is, with the release's namespace and marks.
async fn prepare(
    cluster: &Cluster,
    release: &ReleaseId,
    hook: &HookRecord,
) -> Result<(Resource, ObjectRef, Value)> {
    let (resource, reference) = place(cluster, release, hook).await?;
    let namespace = &reference.namespace;
    let mut body = hook.manifest.clone();
    if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        match namespace {
            Some(ns) => metadata.insert("namespace".into(), Value::from(ns.clone())),
            None => metadata.remove("namespace"),
        };
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(MANAGED_BY_LABEL.into(), Value::from(MANAGED_BY));
        }
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(OWNER_ANNOTATION.into(), Value::from(release.owner()));
        }
    }
    Ok((resource, reference, body))
}

/// `pre-install hook web/templates/migrate.yaml (batch/v1 Job shop/migrate)`.
pub fn describe(hook: &HookRecord) -> String {
    format!("hook {} ({})", hook.source, hook.object)
}

async fn run_one(
    cluster: &Cluster,
    release: &ReleaseId,
    hook: &HookRecord,
    event: Event,
    timeout: Duration,
) -> Result<()> {
    let (resource, reference, body) = prepare(cluster, release, hook).await?;
    let fail = |message: String| Error::Hook {
        hook: format!("{} hook {} ({reference})", event.as_str(), hook.source),
        message,
    };
    if hook
        .delete_policies
        .iter()
        .any(|p| p == "before-hook-creation")
    {
        delete_and_wait(cluster, &resource, &reference, timeout).await?;
    }
    crate::verbose!("running {} {}", event.as_str(), describe(hook));
    cluster
        .create(&resource, &reference, &body, &WriteOptions::default())
        .await
        .map_err(|err| fail(err.to_string()))?;
    // Jobs and Pods run to completion; any other hook is done once created.
    let runs = matches!(
        (reference.api_version.as_str(), reference.kind.as_str()),
        ("batch/v1", "Job") | ("v1", "Pod")
    );
    if !runs {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let state = match cluster.get(&resource, &reference).await? {
            Some(live) => completion(&live),
            None => Readiness::Failed("it was deleted while running".to_owned()),
        };
        match state {
            Readiness::Ready => return Ok(()),
            Readiness::Failed(reason) => return Err(fail(reason)),
            Readiness::Pending(reason) => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(fail(format!(
                        "not complete after {} s: {reason}",
                        timeout.as_secs()
                    )));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A hook Job or Pod is done when it has completed (a running Pod is not done).
fn completion(live: &Value) -> Readiness {
    if live.get("kind").and_then(Value::as_str) == Some("Pod") {
        return match live.pointer("/status/phase").and_then(Value::as_str) {
            Some("Succeeded") => Readiness::Ready,
            Some("Failed") => Readiness::Failed(
                live.pointer("/status/message")
                    .or_else(|| live.pointer("/status/reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("the pod failed")
                    .to_owned(),
            ),
            phase => Readiness::Pending(format!("pod is {}", phase.unwrap_or("Pending"))),
        };
    }
    wait::readiness(live)
}

async fn delete_by_policy(
    cluster: &Cluster,
    release: &ReleaseId,
    hook: &HookRecord,
    policy: &str,
    timeout: Duration,
) -> Result<()> {
    // CRDs are never deleted by a hook policy: their custom resources would go with them.
    if hook.object.kind == "CustomResourceDefinition"
        || !hook.delete_policies.iter().any(|p| p == policy)
    {
        return Ok(());
    }
    let (resource, reference, _) = prepare(cluster, release, hook).await?;
    delete_and_wait(cluster, &resource, &reference, timeout).await
}

async fn delete_and_wait(
    cluster: &Cluster,
    resource: &Resource,
    reference: &ObjectRef,
    timeout: Duration,
) -> Result<()> {
    if cluster
        .delete(resource, reference, &WriteOptions::default())
        .await?
    {
        wait::wait_deleted(cluster, &[(resource.clone(), reference.clone())], timeout).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hooks_are_split_from_the_release_objects() {
        let objects = vec![
            Object::new("t/a.yaml", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "plain"}})).unwrap(),
            Object::new("t/b.yaml", json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "annotations": {
                HOOK_ANNOTATION: "pre-install, Pre-Upgrade", WEIGHT_ANNOTATION: "-5", DELETE_POLICY_ANNOTATION: "hook-succeeded,before-hook-creation"}}})).unwrap(),
            Object::new("t/c.yaml", json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "t", "annotations": {HOOK_ANNOTATION: "test-success", WEIGHT_ANNOTATION: "x"}}})).unwrap(),
            Object::new("t/d.yaml", json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "u", "annotations": {HOOK_ANNOTATION: "post-install,sometime"}}})).unwrap(),
        ];
        let (plain, hooks) = split(objects);
        assert_eq!(plain.len(), 1);
        assert_eq!(hooks.len(), 2, "the hook of an unknown type is dropped");
        assert_eq!(hooks[0].events, ["pre-install", "pre-upgrade"]);
        assert_eq!(hooks[0].weight, -5);
        assert_eq!(
            hooks[0].delete_policies,
            ["hook-succeeded", "before-hook-creation"]
        );
        assert_eq!(hooks[1].events, ["test"], "Helm 2's name is Helm's `test`");
        assert_eq!(
            hooks[1].weight, 0,
            "a weight that is not a number is 0, as in Helm"
        );
        assert!(Event::parse("test-success") == Some(Event::Test));
    }

    #[test]
    fn a_hook_pod_is_done_when_it_has_run() {
        let pod = |phase: &str| json!({"kind": "Pod", "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(matches!(completion(&pod("Running")), Readiness::Pending(_)));
        assert!(completion(&pod("Succeeded")).is_ready());
        assert!(matches!(completion(&pod("Failed")), Readiness::Failed(_)));
    }
}
