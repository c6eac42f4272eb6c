//! Probe rules: long-running containers tell Kubernetes when they are alive and ready.
//! Jobs, CronJobs and run-once Pods finish on their own, and init containers run before the
//! pod is ready, so none of them need probes.

use super::pod::pod_spec;
use super::{Context, Hit, Rule};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "missing-liveness-probe",
        severity: Severity::Warning,
        description: "Long-running containers must have a liveness probe (not checked for Jobs, CronJobs and init containers)",
        check: liveness,
    },
    Rule {
        id: "missing-readiness-probe",
        severity: Severity::Warning,
        description: "Long-running containers must have a readiness probe (not checked for Jobs, CronJobs and init containers)",
        check: readiness,
    },
];

fn check(object: &Object, field: &str, why: &str) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    if spec.runs_to_completion() {
        return Vec::new();
    }
    spec.containers()
        .into_iter()
        .filter(|c| !c.init && c.value.get(field).is_none_or(|probe| probe.is_null()))
        .map(|c| {
            Hit::new(
                path::key(&c.path, field),
                format!("{} has no `{field}`; add one {why}", c.describe()),
            )
        })
        .collect()
}

fn liveness(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    check(
        object,
        "livenessProbe",
        "so Kubernetes restarts it when it hangs",
    )
}

fn readiness(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    check(
        object,
        "readinessProbe",
        "so it gets traffic only when it can serve",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment, pod};

    #[test]
    fn probes() {
        let probe = "{httpGet: {path: /healthz, port: 8080}}";
        let both = format!(
            "{{containers: [{{name: a, livenessProbe: {probe}, readinessProbe: {probe}}}]}}"
        );
        let live_only = format!("{{containers: [{{name: a, livenessProbe: {probe}}}]}}");
        let none = "{containers: [{name: a}]}";
        let job = "{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {template: {spec: {restartPolicy: Never, containers: [{name: a}]}}}}";
        let cron = "{apiVersion: batch/v1, kind: CronJob, metadata: {name: c}, spec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: {containers: [{name: a}]}}}}}}";
        check_table(&[
            (
                "both set",
                "missing-liveness-probe",
                &deployment(&both),
                &[],
            ),
            (
                "both set readiness",
                "missing-readiness-probe",
                &deployment(&both),
                &[],
            ),
            (
                "liveness only",
                "missing-liveness-probe",
                &deployment(&live_only),
                &[],
            ),
            (
                "liveness only lacks readiness",
                "missing-readiness-probe",
                &deployment(&live_only),
                &["$.spec.template.spec.containers[0].readinessProbe"],
            ),
            (
                "none",
                "missing-liveness-probe",
                &deployment(none),
                &["$.spec.template.spec.containers[0].livenessProbe"],
            ),
            ("job exempt", "missing-liveness-probe", job, &[]),
            ("cronjob exempt", "missing-readiness-probe", cron, &[]),
            (
                "run-once pod exempt",
                "missing-liveness-probe",
                &pod("{restartPolicy: Never, containers: [{name: a}]}"),
                &[],
            ),
            (
                "restarted pod checked",
                "missing-liveness-probe",
                &pod(none),
                &["$.spec.containers[0].livenessProbe"],
            ),
            (
                "init containers exempt",
                "missing-readiness-probe",
                &deployment(&format!(
                    "{{containers: [{{name: a, readinessProbe: {probe}}}], initContainers: [{{name: i}}]}}"
                )),
                &[],
            ),
        ]);
    }
}
