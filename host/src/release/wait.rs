//! Readiness: whether an object is what it should be yet (a Deployment rolled out, a Job
//! complete, a claim bound, a load balancer given an address), and waiting until every object
//! of a release is, with a live progress view on a terminal and plain lines elsewhere. The rules
//! are those of Helm's and kubectl's rollout checks, read from the object's status alone.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::{Error, Result};
use crate::cluster::{Cluster, Resource};
use crate::manifest::ObjectRef;

/// Where an object stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum Readiness {
    Ready,
    /// Not yet, and why (`1 of 3 replicas updated`).
    Pending(String),
    /// It will not become ready (a Job that failed).
    Failed(String),
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        *self == Readiness::Ready
    }
}

fn int(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn condition_true(object: &Value, kind: &str) -> bool {
    condition(object, kind)
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True")
}

fn condition_message(object: &Value, kind: &str) -> String {
    condition(object, kind)
        .map(|c| {
            let reason = c.get("reason").and_then(Value::as_str).unwrap_or_default();
            let message = c.get("message").and_then(Value::as_str).unwrap_or_default();
            match (reason.is_empty(), message.is_empty()) {
                (false, false) => format!("{reason}: {message}"),
                (false, true) => reason.to_owned(),
                _ => message.to_owned(),
            }
        })
        .unwrap_or_default()
}

/// Whether the controller has seen the latest spec.
fn observed(object: &Value) -> Option<Readiness> {
    let generation = int(object, "/metadata/generation");
    let observed = int(object, "/status/observedGeneration");
    (generation > observed).then(|| {
        Readiness::Pending(format!(
            "waiting for the controller to observe generation {generation}"
        ))
    })
}

/// The readiness of `object` from its status, for the kinds whose readiness Helm waits on;
/// every other kind is ready once it exists.
pub fn readiness(object: &Value) -> Readiness {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (api_version, kind) {
        ("apps/v1", "Deployment") => {
            if let Some(pending) = observed(object) {
                return pending;
            }
            if condition(object, "Progressing")
                .and_then(|c| c.get("reason"))
                .and_then(Value::as_str)
                == Some("ProgressDeadlineExceeded")
            {
                return Readiness::Failed(condition_message(object, "Progressing"));
            }
            let wanted = object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let updated = int(object, "/status/updatedReplicas");
            let total = int(object, "/status/replicas");
            let available = int(object, "/status/availableReplicas");
            if updated < wanted {
                Readiness::Pending(format!("{updated} of {wanted} replicas updated"))
            } else if total > updated {
                Readiness::Pending(format!(
                    "{} old replicas pending termination",
                    total - updated
                ))
            } else if available < updated {
                Readiness::Pending(format!(
                    "{available} of {updated} updated replicas available"
                ))
            } else {
                Readiness::Ready
            }
        }
        ("apps/v1", "StatefulSet") => {
            if let Some(pending) = observed(object) {
                return pending;
            }
            let wanted = object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = int(object, "/status/readyReplicas");
            let updated = int(object, "/status/updatedReplicas");
            let rolling = object
                .pointer("/spec/updateStrategy/type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "RollingUpdate");
            let current = object.pointer("/status/currentRevision");
            let update = object.pointer("/status/updateRevision");
            if ready < wanted {
                Readiness::Pending(format!("{ready} of {wanted} replicas ready"))
            } else if rolling && updated < wanted {
                Readiness::Pending(format!("{updated} of {wanted} replicas updated"))
            } else if rolling && update.is_some() && current != update {
                Readiness::Pending("waiting for the rolling update to finish".to_owned())
            } else {
                Readiness::Ready
            }
        }
        ("apps/v1", "DaemonSet") => {
            if let Some(pending) = observed(object) {
                return pending;
            }
            let wanted = int(object, "/status/desiredNumberScheduled");
            let updated = int(object, "/status/updatedNumberScheduled");
            let available = int(object, "/status/numberAvailable");
            if updated < wanted {
                Readiness::Pending(format!("{updated} of {wanted} pods updated"))
            } else if available < wanted {
                Readiness::Pending(format!("{available} of {wanted} pods available"))
            } else {
                Readiness::Ready
            }
        }
        ("apps/v1", "ReplicaSet") | ("v1", "ReplicationController") => {
            if let Some(pending) = observed(object) {
                return pending;
            }
            let wanted = object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = int(object, "/status/readyReplicas");
            if ready < wanted {
                Readiness::Pending(format!("{ready} of {wanted} replicas ready"))
            } else {
                Readiness::Ready
            }
        }
        ("batch/v1", "Job") => {
            if condition_true(object, "Failed") {
                Readiness::Failed(condition_message(object, "Failed"))
            } else if condition_true(object, "Complete") {
                Readiness::Ready
            } else {
                let succeeded = int(object, "/status/succeeded");
                let wanted = object
                    .pointer("/spec/completions")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                Readiness::Pending(format!("{succeeded} of {wanted} completions"))
            }
        }
        ("v1", "Pod") => match object.pointer("/status/phase").and_then(Value::as_str) {
            Some("Succeeded") => Readiness::Ready,
            Some("Failed") => Readiness::Failed(
                object
                    .pointer("/status/message")
                    .or_else(|| object.pointer("/status/reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("the pod failed")
                    .to_owned(),
            ),
            Some("Running") if condition_true(object, "Ready") => Readiness::Ready,
            phase => Readiness::Pending(format!("pod is {}", phase.unwrap_or("Pending"))),
        },
        ("v1", "PersistentVolumeClaim") => {
            match object.pointer("/status/phase").and_then(Value::as_str) {
                Some("Bound") => Readiness::Ready,
                phase => Readiness::Pending(format!("claim is {}", phase.unwrap_or("Pending"))),
            }
        }
        ("v1", "Service") => {
            let load_balancer =
                object.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer");
            let addressed = object
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .is_some_and(|i| !i.is_empty());
            if load_balancer && !addressed {
                Readiness::Pending("waiting for a load balancer address".to_owned())
            } else {
                Readiness::Ready
            }
        }
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
            if condition_true(object, "Established") {
                Readiness::Ready
            } else {
                Readiness::Pending("not Established yet".to_owned())
            }
        }
        _ => Readiness::Ready,
    }
}

/// Waits until every object is ready, or one fails, or `timeout` passes. Objects are polled;
/// on a terminal a progress line is redrawn, elsewhere a line is printed as each one becomes
/// ready.
pub async fn wait_ready(
    cluster: &Cluster,
    objects: &[(Resource, ObjectRef)],
    timeout: Duration,
) -> Result<()> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let total = objects.len();
    let mut pending: Vec<(usize, Readiness)> = (0..total)
        .map(|i| (i, Readiness::Pending("not read yet".into())))
        .collect();
    let progress = Progress::new(total);
    loop {
        let mut still = Vec::new();
        for (index, _) in pending {
            let (resource, reference) = &objects[index];
            let state = match cluster.get(resource, reference).await? {
                Some(live) => readiness(&live),
                None => Readiness::Pending("does not exist".to_owned()),
            };
            match state {
                Readiness::Ready => progress.ready(reference),
                Readiness::Failed(reason) => {
                    progress.finish();
                    return Err(Error::NotReady {
                        failed: true,
                        seconds: started.elapsed().as_secs(),
                        objects: vec![format!("{reference}: {reason}")],
                    });
                }
                pending => still.push((index, pending)),
            }
        }
        pending = still;
        if pending.is_empty() {
            progress.finish();
            return Ok(());
        }
        progress.update(
            total - pending.len(),
            &objects[pending[0].0].1,
            &pending[0].1,
            started,
        );
        if tokio::time::Instant::now() >= deadline {
            progress.finish();
            return Err(Error::NotReady {
                failed: false,
                seconds: timeout.as_secs(),
                objects: pending
                    .iter()
                    .map(|(i, state)| match state {
                        Readiness::Pending(reason) | Readiness::Failed(reason) => {
                            format!("{}: {reason}", objects[*i].1)
                        }
                        Readiness::Ready => objects[*i].1.to_string(),
                    })
                    .collect(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until every object is gone (after deletes), or `timeout` passes.
pub async fn wait_deleted(
    cluster: &Cluster,
    objects: &[(Resource, ObjectRef)],
    timeout: Duration,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut remaining: Vec<&(Resource, ObjectRef)> = objects.iter().collect();
    loop {
        let mut still = Vec::new();
        for entry in remaining {
            if cluster.get(&entry.0, &entry.1).await?.is_some() {
                still.push(entry);
            }
        }
        remaining = still;
        if remaining.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::NotDeleted {
                seconds: timeout.as_secs(),
                objects: remaining.iter().map(|(_, r)| r.to_string()).collect(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The waiting view: one redrawn line on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// When the last plain "waiting" line was printed.
    last_line: std::cell::Cell<Instant>,
}

impl Progress {
    fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} waiting: {pos}/{len} ready, {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            last_line: std::cell::Cell::new(Instant::now()),
        }
    }

    fn ready(&self, reference: &ObjectRef) {
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(format!("ready: {reference}"));
            }
            None => eprintln!("ready: {reference}"),
        }
    }

    fn update(&self, done: usize, first: &ObjectRef, state: &Readiness, started: Instant) {
        let reason = match state {
            Readiness::Pending(reason) | Readiness::Failed(reason) => reason.as_str(),
            Readiness::Ready => "",
        };
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
            bar.set_message(format!("{first}: {reason}"));
        } else if self.last_line.get().elapsed() >= Duration::from_secs(10) {
            self.last_line.set(Instant::now());
            eprintln!(
                "waiting: {done} ready, {} s, {first}: {reason}",
                started.elapsed().as_secs()
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn state(value: Value) -> Readiness {
        readiness(&value)
    }

    #[test]
    fn workloads_are_ready_when_rolled_out() {
        let deployment = |status: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 2},
                "spec": {"replicas": 3}, "status": status})
        };
        let cases = [
            (json!({"observedGeneration": 1}), "observe generation 2"),
            (
                json!({"observedGeneration": 2, "updatedReplicas": 1, "replicas": 3}),
                "1 of 3 replicas updated",
            ),
            (
                json!({"observedGeneration": 2, "updatedReplicas": 3, "replicas": 4}),
                "1 old replicas",
            ),
            (
                json!({"observedGeneration": 2, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 2}),
                "2 of 3 updated replicas available",
            ),
        ];
        for (status, reason) in cases {
            match state(deployment(status.clone())) {
                Readiness::Pending(r) => assert!(r.contains(reason), "{r} for {status}"),
                other => panic!("{other:?} for {status}"),
            }
        }
        assert!(state(deployment(json!({"observedGeneration": 2, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 3}))).is_ready());
        let stuck = deployment(
            json!({"observedGeneration": 2, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "took too long"}]}),
        );
        assert_eq!(
            state(stuck),
            Readiness::Failed("ProgressDeadlineExceeded: took too long".into())
        );
    }

    #[test]
    fn jobs_pods_claims_and_load_balancers() {
        let job = |conditions: Value| json!({"apiVersion": "batch/v1", "kind": "Job", "status": {"conditions": conditions}});
        assert!(state(job(json!([{"type": "Complete", "status": "True"}]))).is_ready());
        assert!(
            matches!(state(job(json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]))), Readiness::Failed(r) if r == "BackoffLimitExceeded")
        );
        assert!(matches!(state(job(json!([]))), Readiness::Pending(_)));
        let pod = |status: Value| json!({"apiVersion": "v1", "kind": "Pod", "status": status});
        assert!(state(pod(json!({"phase": "Succeeded"}))).is_ready());
        assert!(
            state(pod(
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]})
            ))
            .is_ready()
        );
        assert!(matches!(
            state(pod(json!({"phase": "Failed"}))),
            Readiness::Failed(_)
        ));
        let pvc = |phase: &str| json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": phase}});
        assert!(state(pvc("Bound")).is_ready());
        assert!(!state(pvc("Pending")).is_ready());
        let lb = json!({"apiVersion": "v1", "kind": "Service", "spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}});
        assert!(!state(lb).is_ready());
        let cluster_ip =
            json!({"apiVersion": "v1", "kind": "Service", "spec": {"type": "ClusterIP"}});
        assert!(state(cluster_ip).is_ready());
        assert!(state(json!({"apiVersion": "v1", "kind": "ConfigMap"})).is_ready());
    }

    #[test]
    fn stateful_and_daemon_sets() {
        let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": 2},
            "status": {"readyReplicas": 2, "updatedReplicas": 2, "currentRevision": "a", "updateRevision": "b"}});
        assert!(!state(sts).is_ready());
        let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "status": {"desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 2}});
        assert!(state(ds).is_ready());
    }
}
