//! Executing a [`Plan`]: namespaces first, then the chart's objects rank by rank of the install
//! order (concurrently within a rank), CRDs waited for until Established before the ranks
//! that may need them, and prunes last. A write that meets a conflict re-reads the object and
//! re-merges it by the plan's own rule ([`plan::merge_step`]), so what is written is always
//! what the plan would have said for the object as it then was.

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::plan::{self, KindKey, OwnedShape, Plan, Step, StepAction};
use super::{Action, Bookkeeping, Change, DryRun, Error, Options, Report, Result};
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest;

/// Runs `plan`, recording each change in `report` as it is made (so that on failure the
/// report says what was written).
pub async fn execute(
    cluster: &Cluster,
    plan: &Plan,
    options: &Options,
    report: &mut Report,
) -> Result<()> {
    let write_options = WriteOptions {
        dry_run: options.dry_run == DryRun::Server,
        force: options.force_conflicts,
        ..WriteOptions::default()
    };
    let sends = options.dry_run != DryRun::Client;
    // Writing with Helm's bookkeeping would leave objects no release record knows of.
    if plan.bookkeeping == Bookkeeping::Helm && options.dry_run == DryRun::None {
        return Err(Error::HelmPreviewOnly {
            release: plan.release.owner(),
        });
    }

    // `--create-namespace`: plain namespaces, not owned by the release (as Helm does).
    if !plan.create_namespaces.is_empty() {
        let resource =
            cluster
                .resource("v1", "Namespace")
                .await?
                .ok_or_else(|| Error::UnknownKinds {
                    kinds: vec!["v1 Namespace".into()],
                })?;
        for ns in &plan.create_namespaces {
            let reference = plan::namespace_ref(ns);
            if sends {
                let body = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
                cluster
                    .create(&resource, &reference, &body, &write_options)
                    .await?;
            }
            report.changes.push(Change {
                object: reference,
                action: Action::Created,
            });
        }
    }

    // Kinds served only once a CRD of this apply is Established, resolved when reached.
    let mut resolved: HashMap<KindKey, Resource> = HashMap::new();
    let mut start = 0;
    let steps = &plan.steps;
    while start < steps.len() {
        let rank = manifest::install_rank(&steps[start].object.kind);
        let end = steps[start..]
            .iter()
            .position(|s| manifest::install_rank(&s.object.kind) != rank)
            .map_or(steps.len(), |n| start + n);
        let group = &steps[start..end];
        for step in group.iter().filter(|s| s.resource.is_none()) {
            let key = step.kind_key();
            if resolved.contains_key(&key) {
                continue;
            }
            cluster.forget(&key.0);
            match cluster.resource(&key.0, &key.1).await? {
                Some(resource) => {
                    resolved.insert(key, resource);
                }
                // A dry run did not really create the CRD: its kind is not served yet.
                None if options.dry_run == DryRun::None => {
                    return Err(Error::UnknownKinds {
                        kinds: vec![format!("{} {}", key.0, key.1)],
                    });
                }
                None => {}
            }
        }
        let resolved_ref = &resolved;
        let write_options_ref = &write_options;
        let mut results: Vec<(usize, Result<Written>)> = stream::iter(group.iter().enumerate())
            .map(|(index, step)| async move {
                let resource = step
                    .resource
                    .as_ref()
                    .or_else(|| resolved_ref.get(&step.kind_key()));
                let shape = plan.shape(&step.kind_key());
                let result = match resource {
                    Some(resource) => {
                        write_one(cluster, step, resource, shape, options, write_options_ref).await
                    }
                    // A custom resource whose CRD this dry run did not create.
                    None => Ok((Action::Created, None)),
                };
                (index, result)
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        results.sort_by_key(|(index, _)| *index);
        let mut first_error = None;
        for (index, result) in results {
            match result {
                Ok((action, returned)) => {
                    let object = group[index].object.clone();
                    if let Some(returned) = returned
                        && options.dry_run == DryRun::Server
                    {
                        report.returned.insert(object.clone(), returned);
                    }
                    report.changes.push(Change { object, action });
                }
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        // A dry run creates no CRD to wait for.
        if options.dry_run == DryRun::None {
            for step in group
                .iter()
                .filter(|s| s.object.kind == "CustomResourceDefinition")
            {
                if let Some(resource) = &step.resource {
                    wait_established(cluster, resource, step, options).await?;
                }
            }
        }
        start = end;
    }

    for prune in &plan.prunes {
        // Re-read: an object taken over since the plan is not ours to delete.
        let Some(live) = cluster.get(&prune.resource, &prune.object).await? else {
            continue;
        };
        if !plan::prunable(plan.bookkeeping, plan.from_helm, &plan.release, &live) {
            continue;
        }
        if sends {
            cluster
                .delete(&prune.resource, &prune.object, &write_options)
                .await?;
        }
        report.changes.push(Change {
            object: prune.object.clone(),
            action: Action::Pruned,
        });
    }
    Ok(())
}

/// What one write did, and the object the server answered with (when one was sent).
type Written = (Action, Option<Value>);

/// Writes one object as its step says; on a conflict (or a create that lost a race), reads it
/// again and re-merges.
async fn write_one(
    cluster: &Cluster,
    step: &Step,
    resource: &Resource,
    shape: Option<&OwnedShape>,
    options: &Options,
    write_options: &WriteOptions,
) -> Result<Written> {
    let sends = options.dry_run != DryRun::Client;
    if step.action == StepAction::ServerSideApply {
        return server_side(cluster, resource, step, write_options, sends).await;
    }
    let mut action = step.action.clone();
    for attempt in 1..=options.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            let live = cluster.get(resource, &step.object).await?;
            action = OwnedShape::with(shape, |shape| {
                plan::merge_step(&step.desired, step.last.as_ref(), live.as_ref(), shape)
            });
        }
        let result = match &action {
            StepAction::Unchanged => return Ok((Action::Unchanged, None)),
            StepAction::Create(body) => {
                if sends {
                    cluster
                        .create(resource, &step.object, body, write_options)
                        .await
                        .map(|returned| (Action::Created, Some(returned)))
                } else {
                    Ok((Action::Created, None))
                }
            }
            StepAction::Update(merged) => {
                if sends {
                    cluster
                        .replace(resource, &step.object, merged, write_options)
                        .await
                        .map(|returned| (Action::Configured, Some(returned)))
                } else {
                    Ok((Action::Configured, None))
                }
            }
            StepAction::ServerSideApply => unreachable!("handled above"),
        };
        match result {
            Err(err) if err.code() == Some(409) => continue,
            other => return other.map_err(Error::from),
        }
    }
    Err(Error::Conflicts {
        object: step.object.to_string(),
        attempts: options.attempts.max(1),
    })
}

async fn server_side(
    cluster: &Cluster,
    resource: &Resource,
    step: &Step,
    write_options: &WriteOptions,
    sends: bool,
) -> Result<Written> {
    let before = step
        .live
        .as_ref()
        .and_then(|l| l.pointer("/metadata/resourceVersion").cloned());
    if !sends {
        return Ok((step.report_action(), None));
    }
    let result = cluster
        .server_side_apply(resource, &step.object, &step.desired, write_options)
        .await?;
    let after = result.pointer("/metadata/resourceVersion").cloned();
    let action = match &step.live {
        None => Action::Created,
        Some(_) if before == after => Action::Unchanged,
        Some(_) => Action::Configured,
    };
    Ok((action, Some(result)))
}

async fn wait_established(
    cluster: &Cluster,
    resource: &Resource,
    step: &Step,
    options: &Options,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + options.crd_timeout;
    loop {
        if let Some(crd) = cluster.get(resource, &step.object).await?
            && is_established(&crd)
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::CrdNotEstablished {
                name: step.object.name.clone(),
                seconds: options.crd_timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is_established(crd: &Value) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Established")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}
