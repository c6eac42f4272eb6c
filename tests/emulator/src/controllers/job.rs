//! The Job controller: runs a Job's Pods to the end and reports it `Complete` (Pods
//! `Succeeded`, `succeeded`, `completionTime`, conditions `SuccessCriteriaMet` and `Complete`),
//! or, with the fail annotation, `Failed` once its retries are spent (Pods `Failed`,
//! conditions `FailureTarget` and `Failed`, reason `BackoffLimitExceeded`). A finished Job is
//! left alone; a suspended one only says so.

use serde_json::{Value, json};

use super::pod::{self, Outcome};
use super::{Controllers, FAIL_ANNOTATION, annotated, condition, get, owner_ref, pods_of, uid_of};
use crate::store::{ObjKey, Store};
use crate::util::{now_rfc3339, random_suffix};

/// At most this many Pods per Job, whatever `completions` or `backoffLimit` say.
const MAX_PODS: i64 = 64;

fn has_condition(job: &Value, ty: &str) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(ty)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// A Job that was created or changed.
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey) {
    let Some(job) = get(store, "batch", "jobs", okey) else {
        return;
    };
    if job.pointer("/metadata/deletionTimestamp").is_some()
        || has_condition(&job, "Complete")
        || has_condition(&job, "Failed")
    {
        return;
    }
    let current = job.get("status").cloned();
    if job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        let suspended = condition(
            current.as_ref(),
            json!({"type": "Suspended", "status": "True", "lastProbeTime": "", "lastTransitionTime": "",
                "reason": "JobSuspended", "message": "Job suspended"}),
        );
        let status = json!({"conditions": [suspended], "ready": 0, "terminating": 0,
            "uncountedTerminatedPods": {}});
        super::write_status(store, "batch", "Job", job, status);
        return;
    }
    let t = now_rfc3339();
    let fails = annotated(&job, FAIL_ANNOTATION);
    let pods_wanted = if fails {
        job.pointer("/spec/backoffLimit")
            .and_then(Value::as_i64)
            .unwrap_or(6)
            .saturating_add(1)
    } else {
        job.pointer("/spec/completions")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    }
    .clamp(1, MAX_PODS);
    let template = job.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let outcome = if fails {
        Outcome::Failed
    } else {
        Outcome::Succeeded
    };
    let existing = pods_of(store, &okey.0, uid_of(&job)).len() as i64;
    for _ in existing..pods_wanted {
        let name = format!("{}-{}", okey.1, random_suffix(5));
        pod::create(
            ctl,
            store,
            &okey.0,
            &name,
            &template,
            owner_ref(&job, "batch/v1", "Job"),
            &[],
            outcome,
        );
    }
    let Some(job) = get(store, "batch", "jobs", okey) else {
        return;
    };
    let start = job
        .pointer("/status/startTime")
        .cloned()
        .unwrap_or_else(|| json!(t));
    let status = if fails {
        let reason = "BackoffLimitExceeded";
        let message = "Job has reached the specified backoff limit";
        json!({
            "conditions": [
                condition(current.as_ref(), json!({"type": "FailureTarget", "status": "True", "lastProbeTime": "", "lastTransitionTime": "", "reason": reason, "message": message})),
                condition(current.as_ref(), json!({"type": "Failed", "status": "True", "lastProbeTime": "", "lastTransitionTime": "", "reason": reason, "message": message}))
            ],
            "startTime": start, "failed": pods_wanted, "terminating": 0, "uncountedTerminatedPods": {}, "ready": 0
        })
    } else {
        let reason = "CompletionsReached";
        let message = "Reached expected number of succeeded pods";
        json!({
            "conditions": [
                condition(current.as_ref(), json!({"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": "", "lastTransitionTime": "", "reason": reason, "message": message})),
                condition(current.as_ref(), json!({"type": "Complete", "status": "True", "lastProbeTime": "", "lastTransitionTime": "", "reason": reason, "message": message}))
            ],
            "startTime": start, "completionTime": t, "succeeded": pods_wanted, "terminating": 0,
            "uncountedTerminatedPods": {}, "ready": 0
        })
    };
    super::write_status(store, "batch", "Job", job, status);
}
