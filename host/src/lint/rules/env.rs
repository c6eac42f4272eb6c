//! Environment rules: a variable set twice in one container keeps only the last value, which
//! usually hides a mistake in the template.

use std::collections::HashMap;

use serde_json::Value;

use super::pod::pod_spec;
use super::{Context, Hit, Rule};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[Rule {
    id: "duplicate-env-var",
    severity: Severity::Warning,
    description: "A container must not set the same environment variable twice",
    check: duplicate_env_var,
}];

fn duplicate_env_var(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for c in spec.containers() {
        let Some(env) = c.value.get("env").and_then(Value::as_array) else {
            continue;
        };
        let base = path::key(&c.path, "env");
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, var) in env.iter().enumerate() {
            let Some(name) = var.get("name").and_then(Value::as_str) else {
                continue;
            };
            match first.get(name) {
                Some(&earlier) => hits.push(Hit::new(
                    path::key(&path::index(&base, i), "name"),
                    format!(
                        "{} sets env var `{name}` again (first at env[{earlier}]); only the last value is used, so remove one",
                        c.describe()
                    ),
                )),
                None => {
                    first.insert(name, i);
                }
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment, pod};

    #[test]
    fn duplicate_env_var() {
        let r = "duplicate-env-var";
        check_table(&[
            ("no env", r, &pod("{containers: [{name: a}]}"), &[]),
            (
                "distinct",
                r,
                &pod(
                    "{containers: [{name: a, env: [{name: A, value: '1'}, {name: B, value: '2'}]}]}",
                ),
                &[],
            ),
            (
                "duplicate",
                r,
                &pod(
                    "{containers: [{name: a, env: [{name: A, value: '1'}, {name: B}, {name: A, value: '2'}]}]}",
                ),
                &["$.spec.containers[0].env[2].name"],
            ),
            (
                "same name in two containers is fine",
                r,
                &pod("{containers: [{name: a, env: [{name: A}]}, {name: b, env: [{name: A}]}]}"),
                &[],
            ),
            (
                "three times",
                r,
                &deployment("{containers: [{name: a, env: [{name: X}, {name: X}, {name: X}]}]}"),
                &[
                    "$.spec.template.spec.containers[0].env[1].name",
                    "$.spec.template.spec.containers[0].env[2].name",
                ],
            ),
            (
                "init container",
                r,
                &pod(
                    "{containers: [{name: a}], initContainers: [{name: i, env: [{name: X}, {name: X}]}]}",
                ),
                &["$.spec.initContainers[0].env[1].name"],
            ),
        ]);
    }
}
