//! Helm's `CoalesceValues` and `MergeValues`: a release's values over a chart's defaults and
//! those of its subcharts, rule for rule (`pkg/chart/common/util/coalesce.go` of Helm 4.1).
//!
//! - The given values win over the chart's `values.yaml`; maps merge, lists and scalars are
//!   replaced.
//! - A subchart's defaults go under its name (or alias): `values[sub]`, merged the same way,
//!   recursively.
//! - `global` flows down: each subchart's `global` is its parent's `global` merged over the
//!   subchart's own (the parent wins), so every subchart has a `global` map, if empty.
//! - Coalescing (not merging) deletes keys the user set to `null` where the chart has a
//!   default; merging keeps every `null` (Helm merges while importing values and coalesces
//!   for rendering).
//! - Conflicts (a map over a scalar or the reverse) keep the user's side and are warnings.
//!
//! One difference is deliberate: Go copies `global` maps shallowly, so in Helm a subchart's
//! defaults three levels down `global` (`global.a.b.c`) can leak into its parent's and
//! siblings' values; here every chart's values are its own.

use serde_json::{Map, Value};

use super::Chart;

const GLOBAL: &str = "global";

/// A subchart's values are not a map (`--set sub=x`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("values for subchart `{name}` must be a map, not {found}")]
pub struct TypeMismatch {
    pub name: String,
    pub found: &'static str,
}

/// Values and the conflicts Helm warns about.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coalesced {
    pub values: Map<String, Value>,
    /// `cannot overwrite table with non table for a.b ({"c":1})` and the like.
    pub warnings: Vec<String>,
}

/// Helm's `CoalesceValues`: `values` over the defaults of `chart` and its subcharts, user
/// `null`s deleting defaults.
pub fn coalesce_values(
    chart: &Chart,
    values: &Map<String, Value>,
) -> Result<Coalesced, TypeMismatch> {
    run(chart, values, false)
}

/// Helm's `MergeValues`: as [`coalesce_values`], but every `null` is kept.
pub fn merge_values(chart: &Chart, values: &Map<String, Value>) -> Result<Coalesced, TypeMismatch> {
    run(chart, values, true)
}

fn run(chart: &Chart, values: &Map<String, Value>, merge: bool) -> Result<Coalesced, TypeMismatch> {
    let mut out = Coalesced {
        values: values.clone(),
        warnings: Vec::new(),
    };
    coalesce(chart, &mut out.values, "", merge, &mut out.warnings)?;
    Ok(out)
}

/// Helm's `CoalesceTables` (`merge = false`) and `MergeTables` (`merge = true`): `src`
/// under `dst`, `dst` winning.
pub fn coalesce_tables(
    dst: &mut Map<String, Value>,
    src: Map<String, Value>,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    tables(dst, src, "", merge, warnings);
}

fn concat(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn coalesce(
    chart: &Chart,
    dest: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) -> Result<(), TypeMismatch> {
    chart_values(chart, dest, prefix, merge, warnings);
    dependencies(chart, dest, prefix, merge, warnings)
}

/// `coalesceDeps`: each subchart's values, with the parent's globals, coalesced with the
/// subchart's defaults.
fn dependencies(
    chart: &Chart,
    dest: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) -> Result<(), TypeMismatch> {
    for sub in &chart.dependencies {
        let mut section = match dest.remove(sub.name()) {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(other) => {
                let found = super::strvals::describe(&other);
                dest.insert(sub.name().to_owned(), other);
                return Err(TypeMismatch {
                    name: sub.name().to_owned(),
                    found,
                });
            }
        };
        let sub_prefix = concat(prefix, chart.name());
        globals(&mut section, dest, &sub_prefix, warnings);
        let result = coalesce(sub, &mut section, &sub_prefix, merge, warnings);
        dest.insert(sub.name().to_owned(), Value::Object(section));
        result?;
    }
    Ok(())
}

/// `coalesceGlobals`: the parent's `global` (`src`) merged over the subchart's (`dest`).
fn globals(
    dest: &mut Map<String, Value>,
    src: &Map<String, Value>,
    prefix: &str,
    warnings: &mut Vec<String>,
) {
    let mut dest_globals = match dest.get(GLOBAL) {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            warnings.push(format!(
                "skipping globals because destination {GLOBAL} is not a table."
            ));
            return;
        }
    };
    let src_globals = match src.get(GLOBAL) {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            warnings.push(format!(
                "skipping globals because source {GLOBAL} is not a table."
            ));
            return;
        }
    };
    for (key, value) in src_globals {
        match value {
            Value::Object(table) => {
                let mut merged = table;
                match dest_globals.get(&key) {
                    None => {
                        dest_globals.insert(key, Value::Object(merged));
                    }
                    Some(Value::Object(existing)) => {
                        // The parent's globals win over the subchart's: merged top down.
                        tables(
                            &mut merged,
                            existing.clone(),
                            &concat(prefix, &key),
                            true,
                            warnings,
                        );
                        dest_globals.insert(key, Value::Object(merged));
                    }
                    Some(_) => warnings.push(format!(
                        "Conflict: cannot merge map onto non-map for {key:?}. Skipping."
                    )),
                }
            }
            scalar => {
                if dest_globals.get(&key).is_some_and(Value::is_object) {
                    warnings.push(format!("key {key} is table. Skipping"));
                } else {
                    dest_globals.insert(key, scalar);
                }
            }
        }
    }
    dest.insert(GLOBAL.to_owned(), Value::Object(dest_globals));
}

/// `coalesceValues`: the chart's own defaults under `values`.
fn chart_values(
    chart: &Chart,
    values: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    let sub_prefix = concat(prefix, chart.name());
    for (key, default) in &chart.values {
        match values.get_mut(key) {
            None => {
                values.insert(key.clone(), default.clone());
            }
            Some(Value::Null) if !merge => {
                // A user `null` removes the chart's default.
                values.remove(key);
            }
            Some(Value::Object(user)) => match default {
                Value::Object(default) => {
                    // A subchart's section merges, keeping its nulls for the subchart's own
                    // coalescing to resolve against the subchart's defaults.
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    tables(
                        user,
                        default.clone(),
                        &concat(&sub_prefix, key),
                        merge,
                        warnings,
                    );
                }
                Value::Null => {}
                _ => warnings.push(format!(
                    "skipped value for {sub_prefix}.{key}: Not a table."
                )),
            },
            Some(_) => {}
        }
    }
}

/// `coalesceTablesFullKey`: `src` under `dst`, `dst` winning.
fn tables(
    dst: &mut Map<String, Value>,
    mut src: Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    let src_non_null: std::collections::HashSet<String> = src
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (key, value) in dst.iter() {
        if value.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in src {
        let full_key = concat(prefix, &key);
        match dst.get_mut(&key) {
            // The user nulls a default: the key goes. A null with no default stays null.
            Some(Value::Null) if !merge && src_non_null.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, value);
            }
            Some(Value::Object(existing)) => match value {
                Value::Object(table) => tables(existing, table, &full_key, merge, warnings),
                Value::Null => {}
                other => warnings.push(format!(
                    "destination for {full_key} is a table. Ignoring non-table value ({})",
                    go_v(&other)
                )),
            },
            Some(_) => {
                if let Value::Object(_) = value {
                    warnings.push(format!(
                        "cannot overwrite table with non table for {full_key} ({})",
                        go_v(&value)
                    ));
                }
            }
        }
    }
}

/// A value as Go's `%v` prints it in Helm's warnings (`map[a:1]`, `[1 2]`).
fn go_v(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .map_or_else(|| n.to_string(), kchart_gotemplate::value::format_float_v),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_v).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_v(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{File, from_files};
    use serde_json::json;

    /// A chart tree from `(path, content)` files: `values.yaml` and `charts/*/...`.
    fn chart(files: &[(&str, &str)]) -> Chart {
        let mut all = vec![File {
            name: "Chart.yaml".into(),
            data: b"apiVersion: v2\nname: parent\nversion: 1.0.0\n".to_vec(),
        }];
        all.extend(files.iter().map(|(name, data)| File {
            name: name.to_string(),
            data: data.as_bytes().to_vec(),
        }));
        from_files(std::path::Path::new("parent"), all).unwrap()
    }

    fn sub(name: &str) -> (String, String) {
        (
            format!("charts/{name}/Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n"),
        )
    }

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn coalesce_table() {
        // (parent values.yaml, subchart values.yaml, user values, expected). Beware YAML 1.1:
        // keys `y` and `n` would be `true` and `false`, as in Helm.
        let (sub_chart, sub_meta) = sub("sub");
        let cases: &[(&str, &str, Value, Value)] = &[
            (
                "a: 1\nm: {x: 1, w: 2}\n",
                "",
                json!({"m": {"x": 5}}),
                json!({"a": 1.0, "m": {"x": 5, "w": 2.0}, "sub": {"global": {}}}),
            ),
            (
                "a: 1\nm: {x: 1, w: 2}\n",
                "",
                json!({"a": null, "m": {"w": null}}),
                json!({"m": {"x": 1.0}, "sub": {"global": {}}}),
            ),
            (
                "",
                "s: 1\nkeep: null\n",
                json!({"sub": {"s": 2, "n": null}}),
                json!({"sub": {"s": 2, "n": null, "keep": null, "global": {}}}),
            ),
            (
                "global: {g: 1, t: {a: 1}}\nsub: {s: 3}\n",
                "global: {g: 2, h: 2, t: {a: 2, b: 2}}\ns: 1\n",
                json!({}),
                json!({
                    "global": {"g": 1.0, "t": {"a": 1.0}},
                    "sub": {"s": 3.0, "global": {"g": 1.0, "h": 2.0, "t": {"a": 1.0, "b": 2.0}}}
                }),
            ),
            (
                "m: {x: 1}\ns: str\n",
                "",
                json!({"m": 1, "s": {"x": 1}}),
                json!({"m": 1, "s": {"x": 1}, "sub": {"global": {}}}),
            ),
        ];
        for (parent, child, user, expected) in cases {
            let tree = chart(&[
                ("values.yaml", parent),
                (&sub_chart, &sub_meta),
                ("charts/sub/values.yaml", child),
            ]);
            let got = coalesce_values(&tree, &map(user.clone())).unwrap();
            assert_eq!(
                Value::Object(got.values),
                *expected,
                "{parent:?} {child:?} {user}"
            );
        }
    }

    #[test]
    fn conflicts_are_warnings() {
        let tree = chart(&[("values.yaml", "m: {x: 1}\ns: str\nnn: {a: 1}\n")]);
        let got = coalesce_values(
            &tree,
            &map(json!({"m": 1, "s": {"x": 1}, "nn": {"a": {"b": 1}}})),
        )
        .unwrap();
        assert_eq!(
            got.warnings,
            [
                "skipped value for parent.s: Not a table.",
                "destination for parent.nn.a is a table. Ignoring non-table value (1)"
            ]
        );
    }

    #[test]
    fn merging_keeps_nulls() {
        let tree = chart(&[("values.yaml", "a: 1\nb: null\n")]);
        let got = merge_values(&tree, &map(json!({"a": null}))).unwrap();
        assert_eq!(Value::Object(got.values), json!({"a": null, "b": null}));
    }

    #[test]
    fn subchart_values_must_be_maps() {
        let (sub_chart, sub_meta) = sub("sub");
        let tree = chart(&[(&sub_chart, &sub_meta)]);
        let err = coalesce_values(&tree, &map(json!({"sub": "x"}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "values for subchart `sub` must be a map, not a string"
        );
    }

    #[test]
    fn globals_flow_to_grandchildren() {
        let (a, a_meta) = sub("a");
        let tree = chart(&[
            ("values.yaml", "global: {g: top}\n"),
            (&a, &a_meta),
            ("charts/a/values.yaml", "global: {g: a, h: a}\n"),
            (
                "charts/a/charts/b/Chart.yaml",
                "apiVersion: v2\nname: b\nversion: 1.0.0\n",
            ),
            ("charts/a/charts/b/values.yaml", "global: {i: b}\n"),
        ]);
        let got = coalesce_values(&tree, &Map::new()).unwrap().values;
        assert_eq!(got["a"]["global"], json!({"g": "top", "h": "a"}));
        assert_eq!(
            got["a"]["b"]["global"],
            json!({"g": "top", "h": "a", "i": "b"})
        );
    }
}
