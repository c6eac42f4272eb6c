//! Which subcharts take part in a release, and the values they give their parents: Helm's
//! `ProcessDependencies` (`pkg/chart/v2/util/dependencies.go` of Helm 4.1), rule for rule.
//!
//! For a chart whose `Chart.yaml` has `dependencies:` (a chart without the key is left as
//! loaded, subcharts and all):
//! - each entry takes the first loaded subchart with its name whose version satisfies the
//!   entry's `version` range, renamed to its `alias` if it has one (a chart can so be used
//!   twice); subcharts that no entry takes stay, unconditionally;
//! - `tags:` then `condition:` decide, against the values coalesced so far: a subchart is
//!   off when one of its tags is `false` and none `true` (`tags.NAME` in the values); the
//!   first path of its comma-separated `condition` that holds a boolean overrides that;
//!   paths are relative to the top chart's values (a subchart's own conditions are looked
//!   up under its name); a non-boolean is a warning;
//! - disabled subcharts go, then the same is done inside each remaining subchart;
//! - `import-values`, bottom up: `- NAME` copies the child's `exports.NAME` map into the
//!   parent's values, `- {child: a.b, parent: c.d}` copies the child's `a.b` to the parent's
//!   `c.d`; the parent's own values win, and earlier imports win over later ones. The
//!   parent's defaults become its values merged with all its subcharts', as in Helm.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::coalesce::{self, TypeMismatch};
use super::{Chart, Dependency, constraint};

/// Dependencies listed in `Chart.yaml` but missing from `charts/`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "found in Chart.yaml, but missing in charts/ directory: {}; run `kubectl chart dependency build` to fetch them",
    names.join(", ")
)]
pub struct Missing {
    pub names: Vec<String>,
}

/// Helm's `CheckDependencies`: every dependency `Chart.yaml` lists is in `charts/` (by name).
pub fn check(chart: &Chart) -> Result<(), Missing> {
    let names: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .flatten()
        .filter(|d| !chart.dependencies.iter().any(|c| c.name() == d.name))
        .map(|d| d.name.clone())
        .collect();
    if names.is_empty() {
        Ok(())
    } else {
        Err(Missing { names })
    }
}

/// Helm's `IsCompatibleRange`: false when either side does not parse.
pub fn is_compatible_range(range: &str, version: &str) -> bool {
    constraint::matches(range, version).unwrap_or(false)
}

/// Removes disabled subcharts, applies aliases and imports values, as Helm does before
/// rendering. Returns Helm's warnings.
pub fn process(
    chart: &mut Chart,
    values: &Map<String, Value>,
) -> Result<Vec<String>, TypeMismatch> {
    let mut warnings = Vec::new();
    enabled(chart, values, "", &mut warnings)?;
    import_values_recursively(chart, &mut warnings)?;
    Ok(warnings)
}

/// `processDependencyEnabled`.
fn enabled(
    chart: &mut Chart,
    values: &Map<String, Value>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(), TypeMismatch> {
    let Some(mut requirements) = chart.metadata.dependencies.clone() else {
        return Ok(());
    };
    let loaded = std::mem::take(&mut chart.dependencies);
    // Subcharts no entry names (at a compatible version) take part unconditionally.
    let mut kept: Vec<Chart> = loaded
        .iter()
        .filter(|existing| {
            !requirements.iter().any(|r| {
                existing.name() == r.name
                    && is_compatible_range(&r.version, &existing.metadata.version)
            })
        })
        .cloned()
        .collect();
    for requirement in &mut requirements {
        if let Some(found) = alias_dependency(&loaded, requirement) {
            kept.push(found);
        }
        if !requirement.alias.is_empty() {
            requirement.name = requirement.alias.clone();
        }
        requirement.enabled = true;
    }
    chart.dependencies = kept;

    let coalesced = coalesce::coalesce_values(chart, values)?;
    warnings.extend(coalesced.warnings);
    let coalesced = coalesced.values;
    tags(&mut requirements, &coalesced, warnings);
    conditions(&mut requirements, &coalesced, path, warnings);

    let disabled: HashSet<String> = requirements
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    chart.dependencies.retain(|d| !disabled.contains(d.name()));
    requirements.retain(|r| !disabled.contains(&r.name));
    for sub in &mut chart.dependencies {
        let sub_path = format!("{path}{}.", sub.name());
        enabled(sub, &coalesced, &sub_path, warnings)?;
    }
    chart.metadata.dependencies = Some(requirements);
    Ok(())
}

/// `getAliasDependency`: the first loaded subchart a `dependencies:` entry names, at a
/// compatible version, renamed to the entry's alias.
fn alias_dependency(loaded: &[Chart], requirement: &Dependency) -> Option<Chart> {
    let found = loaded.iter().find(|c| {
        c.name() == requirement.name
            && is_compatible_range(&requirement.version, &c.metadata.version)
    })?;
    let mut copy = found.clone();
    if !requirement.alias.is_empty() {
        copy.metadata.name = requirement.alias.clone();
    }
    Some(copy)
}

/// `processDependencyTags`.
fn tags(requirements: &mut [Dependency], values: &Map<String, Value>, warnings: &mut Vec<String>) {
    let Some(Value::Object(tags)) = values.get("tags") else {
        return;
    };
    for requirement in requirements {
        let (mut any_true, mut any_false) = (false, false);
        for tag in &requirement.tags {
            match tags.get(tag) {
                Some(Value::Bool(true)) => any_true = true,
                Some(Value::Bool(false)) => any_false = true,
                Some(_) => warnings.push(format!(
                    "tag `{tag}` of dependency `{}` is not a boolean",
                    requirement.name
                )),
                None => {}
            }
        }
        // Off only when some tag is false and none is true.
        requirement.enabled = any_true || !any_false;
    }
}

/// `processDependencyConditions`: the first condition path holding a boolean decides.
fn conditions(
    requirements: &mut [Dependency],
    values: &Map<String, Value>,
    path: &str,
    warnings: &mut Vec<String>,
) {
    for requirement in requirements {
        let condition = requirement.condition.trim().to_owned();
        for part in condition.split(',') {
            if part.is_empty() {
                continue;
            }
            match path_value(values, &format!("{path}{part}")) {
                Some(Value::Bool(enabled)) => {
                    requirement.enabled = *enabled;
                    break;
                }
                Some(_) => warnings.push(format!(
                    "condition path `{part}` of dependency `{}` is not a boolean",
                    requirement.name
                )),
                None => {}
            }
        }
    }
}

/// Helm's `Values.PathValue`: the value at a dotted path, if it is there and not a map.
fn path_value<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (table, key) = match path.rsplit_once('.') {
        Some((table, key)) => (table_at(values, table)?, key),
        None => (values, path),
    };
    table.get(key).filter(|v| !v.is_object())
}

/// Helm's `Values.Table`: the map at a dotted path.
pub fn table_at<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Map<String, Value>> {
    let mut table = values;
    for part in path.split('.') {
        table = table.get(part)?.as_object()?;
    }
    Some(table)
}

fn import_values_recursively(
    chart: &mut Chart,
    warnings: &mut Vec<String>,
) -> Result<(), TypeMismatch> {
    for sub in &mut chart.dependencies {
        import_values_recursively(sub, warnings)?;
    }
    import_values(chart, warnings)
}

/// `processImportValues` with merging: the children's exported values into the parent's.
fn import_values(chart: &mut Chart, warnings: &mut Vec<String>) -> Result<(), TypeMismatch> {
    let Some(mut requirements) = chart.metadata.dependencies.clone() else {
        return Ok(());
    };
    let merged = coalesce::merge_values(chart, &Map::new())?;
    warnings.extend(merged.warnings);
    let values = merged.values;
    let mut imported = Map::new();
    for requirement in &mut requirements {
        let mut normalised = Vec::new();
        for import in &requirement.import_values {
            let (child, parent) = match import {
                Value::Object(map) => (
                    go_v(map.get("child").unwrap_or(&Value::Null)),
                    go_v(map.get("parent").unwrap_or(&Value::Null)),
                ),
                Value::String(name) => (format!("exports.{name}"), ".".to_owned()),
                _ => continue,
            };
            let mut entry = Map::new();
            entry.insert("child".into(), Value::from(child.clone()));
            entry.insert("parent".into(), Value::from(parent.clone()));
            normalised.push(Value::Object(entry));
            let Some(table) = table_at(&values, &format!("{}.{child}", requirement.name)) else {
                warnings.push(format!(
                    "import-values: dependency `{}` has no map at `{child}`",
                    requirement.name
                ));
                continue;
            };
            let table = if parent == "." {
                table.clone()
            } else {
                nest(&parent, table.clone())
            };
            coalesce::coalesce_tables(&mut imported, table, true, warnings);
        }
        requirement.import_values = normalised;
    }
    let mut values = values;
    coalesce::coalesce_tables(&mut values, imported, true, warnings);
    chart.values = values;
    chart.metadata.dependencies = Some(requirements);
    Ok(())
}

/// `pathToMap`: `a.b` and a map become `{a: {b: map}}`.
fn nest(path: &str, table: Map<String, Value>) -> Map<String, Value> {
    let mut current = table;
    for part in path.rsplit('.') {
        let mut outer = Map::new();
        outer.insert(part.to_owned(), Value::Object(current));
        current = outer;
    }
    current
}

/// `fmt.Sprintf("%v", x)` of a scalar from `Chart.yaml`.
fn go_v(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{File, from_files};
    use serde_json::json;

    fn tree(files: &[(&str, &str)]) -> Chart {
        let files = files
            .iter()
            .map(|(name, data)| File {
                name: name.to_string(),
                data: data.as_bytes().to_vec(),
            })
            .collect();
        from_files(std::path::Path::new("p"), files).unwrap()
    }

    fn meta(name: &str, version: &str) -> String {
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n")
    }

    fn names(chart: &Chart) -> Vec<String> {
        let mut names: Vec<String> = chart
            .dependencies
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        names.sort();
        names
    }

    fn user(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn conditions_tags_and_aliases() {
        let parent = "apiVersion: v2\nname: p\nversion: 1.0.0\ndependencies:\n  - {name: a, version: 1.x, repository: file://a, condition: a.enabled}\n  - {name: b, version: '*', repository: file://b, tags: [front]}\n  - {name: a, version: '>=1', repository: file://a, alias: a2, condition: 'x.on,a2.enabled', tags: [back]}\n";
        let a = meta("a", "1.2.0");
        let b = meta("b", "0.1.0");
        let c = meta("c", "0.1.0");
        let files = [
            ("Chart.yaml", parent),
            ("values.yaml", "a: {enabled: false}\ntags: {front: true}\n"),
            ("charts/a/Chart.yaml", a.as_str()),
            ("charts/b/Chart.yaml", b.as_str()),
            ("charts/c/Chart.yaml", c.as_str()),
        ];
        // (user values, enabled subcharts)
        let cases: &[(Value, &[&str])] = &[
            (json!({}), &["a2", "b", "c"]),
            (json!({"a": {"enabled": true}}), &["a", "a2", "b", "c"]),
            (json!({"tags": {"front": false}}), &["a2", "c"]),
            (json!({"tags": {"back": false}}), &["b", "c"]),
            // The condition overrides the tag.
            (
                json!({"tags": {"back": false}, "a2": {"enabled": true}}),
                &["a2", "b", "c"],
            ),
            // The first boolean path decides; a non-boolean one is skipped.
            (
                json!({"x": {"on": "yes"}, "a2": {"enabled": false}}),
                &["b", "c"],
            ),
            (
                json!({"x": {"on": false}, "a2": {"enabled": true}}),
                &["b", "c"],
            ),
        ];
        for (values, expected) in cases {
            let mut chart = tree(&files);
            process(&mut chart, &user(values.clone())).unwrap();
            assert_eq!(names(&chart), *expected, "{values}");
        }
    }

    #[test]
    fn incompatible_versions_are_not_matched() {
        let parent = "apiVersion: v2\nname: p\nversion: 1.0.0\ndependencies:\n  - {name: a, version: ^2.0.0, repository: file://a, condition: a.enabled}\n  - {name: b, version: ^2.0.0, repository: file://b, alias: bb}\n";
        let a = meta("a", "1.2.0");
        let b = meta("b", "1.2.0");
        let files = [
            ("Chart.yaml", parent),
            ("charts/a/Chart.yaml", a.as_str()),
            ("charts/b/Chart.yaml", b.as_str()),
        ];
        // Not the entries' charts, so they stay as loaded, not aliased...
        let mut chart = tree(&files);
        process(&mut chart, &Map::new()).unwrap();
        assert_eq!(names(&chart), ["a", "b"]);
        // ...but Helm removes disabled dependencies by name, so a false condition on the
        // entry named `a` removes the chart named `a` all the same.
        let mut chart = tree(&files);
        assert!(check(&chart).is_ok());
        process(&mut chart, &user(json!({"a": {"enabled": false}}))).unwrap();
        assert_eq!(names(&chart), ["b"]);
    }

    #[test]
    fn nested_conditions_are_relative_to_the_top() {
        let parent = "apiVersion: v2\nname: p\nversion: 1.0.0\ndependencies:\n  - {name: a, version: '*', repository: file://a}\n";
        let a = "apiVersion: v2\nname: a\nversion: 1.0.0\ndependencies:\n  - {name: b, version: '*', repository: file://b, condition: b.enabled}\n";
        let b = meta("b", "1.0.0");
        let files = [
            ("Chart.yaml", parent),
            ("charts/a/Chart.yaml", a),
            ("charts/a/values.yaml", "b: {enabled: false}\n"),
            ("charts/a/charts/b/Chart.yaml", b.as_str()),
        ];
        let mut chart = tree(&files);
        process(&mut chart, &Map::new()).unwrap();
        assert!(chart.dependencies[0].dependencies.is_empty());
        let mut chart = tree(&files);
        process(&mut chart, &user(json!({"a": {"b": {"enabled": true}}}))).unwrap();
        assert_eq!(names(&chart.dependencies[0]), ["b"]);
    }

    #[test]
    fn import_values_both_forms() {
        let parent = "apiVersion: v2\nname: p\nversion: 1.0.0\ndependencies:\n  - name: a\n    version: '*'\n    repository: file://a\n    import-values:\n      - data\n      - {child: deep.x, parent: into.here}\n      - missing\n";
        let a = meta("a", "1.0.0");
        let mut chart = tree(&[
            ("Chart.yaml", parent),
            ("values.yaml", "mine: 1\ninto: {here: {k: parent}}\n"),
            ("charts/a/Chart.yaml", &a),
            (
                "charts/a/values.yaml",
                "exports: {data: {mine: 2, d: 1}}\ndeep: {x: {k: child, j: 1}}\n",
            ),
        ]);
        let warnings = process(&mut chart, &Map::new()).unwrap();
        assert_eq!(chart.values["mine"], 1.0);
        assert_eq!(chart.values["d"], 1.0);
        assert_eq!(
            chart.values["into"],
            json!({"here": {"k": "parent", "j": 1.0}})
        );
        // The parent's defaults now hold its subchart's too, as in Helm.
        assert_eq!(chart.values["a"]["deep"]["x"]["k"], "child");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let imports = &chart.metadata.dependencies.as_ref().unwrap()[0].import_values;
        assert_eq!(imports[0], json!({"child": "exports.data", "parent": "."}));
        assert_eq!(
            imports[1],
            json!({"child": "deep.x", "parent": "into.here"})
        );
    }

    #[test]
    fn missing_dependencies() {
        let parent = "apiVersion: v2\nname: p\nversion: 1.0.0\ndependencies:\n  - {name: a, version: '*', repository: file://a}\n  - {name: b, version: '*', repository: file://b}\n";
        let a = meta("a", "1.0.0");
        let chart = tree(&[("Chart.yaml", parent), ("charts/a/Chart.yaml", &a)]);
        assert_eq!(
            check(&chart),
            Err(Missing {
                names: vec!["b".into()]
            })
        );
    }

    #[test]
    fn paths() {
        let values = user(json!({"a": {"b": {"c": true}, "t": {"x": 1}}, "top": false}));
        assert_eq!(path_value(&values, "a.b.c"), Some(&Value::Bool(true)));
        assert_eq!(path_value(&values, "top"), Some(&Value::Bool(false)));
        assert_eq!(path_value(&values, "a.t"), None);
        assert_eq!(path_value(&values, "a.x.c"), None);
        assert_eq!(
            nest("a.b", user(json!({"k": 1}))),
            user(json!({"a": {"b": {"k": 1}}}))
        );
    }
}
