//! Computing a release's values exactly as Helm does, and checking them against
//! `values.schema.json`.
//!
//! - [`user_values`] is Helm's `MergeValues`: each `-f` file in order (`-` is standard
//!   input; a file's YAML documents are merged in turn), then every `--set-json`, `--set`,
//!   `--set-string`, `--set-file` and `--set-literal`, in that fixed order whatever the order
//!   on the command line. Maps merge deeply; lists and scalars are replaced.
//! - [`coalesce`] is Helm's `CoalesceValues` of those over the chart's `values.yaml`: the user
//!   wins, a user `null` deletes the default, a map never replaces a scalar default silently
//!   (and the reverse): each such conflict is a warning, as in Helm.
//! - Numbers read from YAML or JSON become Go `float64`s in Helm, so `1.0` is `1` and a huge
//!   integer loses precision; [`json_numbers_as_helm`] applies the same rounding so that
//!   `toJson`/`toYaml` print what Helm prints. `--set` integers stay exact int64s.
//! - The computed values have their map keys sorted, as Go's maps print (and `range` them).

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::strvals::{self, Kind};
use super::values_yaml;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read values file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("values file `{}` is larger than the {} MiB limit", path.display(), MAX_VALUES_FILE_SIZE >> 20)]
    TooLarge { path: PathBuf },
    #[error("values file `{}` line {line}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{flag} {}: {message}", crate::quote::quoted(arg))]
    Flag {
        flag: &'static str,
        arg: String,
        message: String,
    },
    #[error("`{}` is not a valid JSON schema: {message}", path.display())]
    Schema { path: PathBuf, message: String },
    #[error(
        "values don't meet the specifications of the schema `{}`: {}",
        path.display(),
        violations.join("; ")
    )]
    Invalid {
        path: PathBuf,
        violations: Vec<String>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The largest values file (`-f`, `--set-file`, standard input) read. Helm has no limit, but
/// `/dev/zero` or an endless pipe must not fill memory; real values files are kilobytes.
pub const MAX_VALUES_FILE_SIZE: u64 = 32 << 20;

/// The value flags of one command line, each kind in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `-f/--values`: paths, `-` for standard input.
    pub files: Vec<String>,
    pub set: Vec<String>,
    pub set_string: Vec<String>,
    pub set_json: Vec<String>,
    pub set_file: Vec<String>,
    pub set_literal: Vec<String>,
}

/// Merges the user-supplied values (files, then the `--set*` flags) as Helm's
/// `MergeValues` does. `stdin` is read for a `-f -` (and a `--set-file key=-`).
pub fn user_values(options: &Options, stdin: &mut dyn Read) -> Result<Value> {
    let mut base = Map::new();
    for file in &options.files {
        let (path, bytes) = read_source(file, stdin)?;
        let values = values_yaml::parse(&bytes).map_err(|err| Error::Yaml {
            path: path.clone(),
            line: err.line,
            message: err.message,
        })?;
        merge_maps(&mut base, values);
    }

    for arg in &options.set_json {
        let trimmed = arg.trim();
        if trimmed.starts_with('{') {
            // Helm's newer form: a whole JSON object, merged deeply like a values file.
            let flag_error = |message: String| Error::Flag {
                flag: Kind::Json.flag(),
                arg: arg.clone(),
                message,
            };
            let value: Value = serde_json::from_str(trimmed)
                .map_err(|err| flag_error(format!("invalid JSON object: {err}")))?;
            match json_numbers_as_helm(value) {
                Value::Object(map) => merge_maps(&mut base, map),
                _ => return Err(flag_error("not a JSON object".to_owned())),
            }
        } else {
            parse_flag(Kind::Json, arg, &mut base, stdin)?;
        }
    }
    for arg in &options.set {
        parse_flag(Kind::Set, arg, &mut base, stdin)?;
    }
    for arg in &options.set_string {
        parse_flag(Kind::String, arg, &mut base, stdin)?;
    }
    for arg in &options.set_file {
        parse_flag(Kind::File, arg, &mut base, stdin)?;
    }
    for arg in &options.set_literal {
        parse_flag(Kind::Literal, arg, &mut base, stdin)?;
    }
    Ok(Value::Object(base))
}

fn parse_flag(
    kind: Kind,
    arg: &str,
    base: &mut Map<String, Value>,
    stdin: &mut dyn Read,
) -> Result<()> {
    let mut read_file = |name: &str| -> Result<String, String> {
        let (path, bytes) = read_source(name, stdin).map_err(|err| match err {
            Error::Read { path, source } => format!("cannot read `{}`: {source}", path.display()),
            Error::TooLarge { path } => format!(
                "`{}` is larger than the {} MiB limit",
                path.display(),
                MAX_VALUES_FILE_SIZE >> 20
            ),
            other => other.to_string(),
        })?;
        String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))
    };
    strvals::parse_into(kind, arg, base, &mut read_file).map_err(|message| Error::Flag {
        flag: kind.flag(),
        arg: arg.to_owned(),
        message,
    })
}

/// Reads a file, or standard input for `-` (surrounding blanks ignored, as in Helm), up to
/// [`MAX_VALUES_FILE_SIZE`]. Pipes (`-f <(sops -d x.yaml)`) are read like files; the cap is
/// what stops `/dev/zero` or an endless pipe.
fn read_source(name: &str, stdin: &mut dyn Read) -> Result<(PathBuf, Vec<u8>)> {
    if name.trim() == "-" {
        let path = PathBuf::from("<stdin>");
        let bytes = read_bounded(stdin, &path)?;
        return Ok((path, bytes));
    }
    let path = PathBuf::from(name);
    let read_error = |source| Error::Read {
        path: path.clone(),
        source,
    };
    // A regular file says its size: refuse a big one before reading a byte of it.
    let meta = std::fs::metadata(&path).map_err(read_error)?;
    if meta.is_file() && meta.len() > MAX_VALUES_FILE_SIZE {
        return Err(Error::TooLarge { path });
    }
    let mut file = std::fs::File::open(&path).map_err(read_error)?;
    let bytes = read_bounded(&mut file, &path)?;
    Ok((path, bytes))
}

fn read_bounded(reader: &mut dyn Read, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_VALUES_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > MAX_VALUES_FILE_SIZE {
        return Err(Error::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// Helm's `MergeMaps`: maps in `overlay` merge into maps in `base`; anything else replaces.
pub fn merge_maps(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(inner)) => merge_maps(existing, inner),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Values coalesced over a chart's defaults, and the conflicts Helm warns about.
#[derive(Debug, Clone, PartialEq)]
pub struct Coalesced {
    pub values: Value,
    /// `cannot overwrite table with non table for a.b ({"c":1})` and the like.
    pub warnings: Vec<String>,
}

/// Coalesces user values over the chart's defaults as Helm's `CoalesceValues` does, and
/// sorts map keys.
pub fn coalesce(defaults: &Value, user: Value) -> Coalesced {
    let mut warnings = Vec::new();
    let mut values = match user {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if let Value::Object(defaults) = defaults {
        for (key, default) in defaults {
            match values.get_mut(key) {
                None => {
                    values.insert(key.clone(), default.clone());
                }
                // A user `null` removes the chart's default.
                Some(Value::Null) => {
                    values.remove(key);
                }
                Some(Value::Object(user_map)) => match default {
                    Value::Object(default_map) => {
                        coalesce_maps(user_map, default_map.clone(), key, &mut warnings);
                    }
                    Value::Null => {}
                    _ => warnings.push(format!("skipped value for {key}: not a table")),
                },
                Some(_) => {}
            }
        }
    }
    Coalesced {
        values: sort_keys(Value::Object(values)),
        warnings,
    }
}

/// Helm's `coalesceTablesFullKey` with `merge = false`: `dst` (the user's) wins over `src`.
fn coalesce_maps(
    dst: &mut Map<String, Value>,
    mut src: Map<String, Value>,
    prefix: &str,
    warnings: &mut Vec<String>,
) {
    let src_non_null: HashSet<String> = src
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (key, value) in dst.iter() {
        if value.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, default) in src {
        let full_key = format!("{prefix}.{key}");
        match dst.get_mut(&key) {
            None => {
                dst.insert(key, default);
            }
            // The user nulls a default: the key goes. A null with no default stays null.
            Some(Value::Null) if src_non_null.contains(&key) => {
                dst.remove(&key);
            }
            Some(Value::Object(user_map)) => match default {
                Value::Object(default_map) => {
                    coalesce_maps(user_map, default_map, &full_key, warnings)
                }
                Value::Null => {}
                other => warnings.push(format!(
                    "destination for {full_key} is a table. Ignoring non-table value ({other})"
                )),
            },
            Some(_) => {
                if let Value::Object(_) = default {
                    warnings.push(format!(
                        "cannot overwrite table with non table for {full_key} ({default})"
                    ));
                }
            }
        }
    }
}

/// Sorts map keys recursively, as Go prints maps.
pub fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Rounds every number through `f64`, as Helm's JSON decoding does (`1.0` is `1`,
/// `9223372036854775807` is `9223372036854775808`), keeping whole numbers integers.
pub fn json_numbers_as_helm(value: Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map_or(Value::Number(n), number_from_f64),
        Value::Array(items) => Value::Array(items.into_iter().map(json_numbers_as_helm).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, json_numbers_as_helm(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A Go `float64` as Go's `encoding/json` prints it: whole numbers below 1e21 without a
/// fraction (Rust's `Display` gives the same shortest digits, zero-padded).
pub fn number_from_f64(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        let text = format!("{f}");
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(u) = text.parse::<u64>() {
            return Value::from(u);
        }
    }
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Validates values against the chart's `values.schema.json`, listing every violation with
/// the path of the value (`at '/image/tag': 1 is not of type "string"`).
pub fn validate(schema: &Value, schema_path: &Path, values: &Value) -> Result<()> {
    let validator = jsonschema::validator_for(schema).map_err(|err| Error::Schema {
        path: schema_path.to_owned(),
        message: crate::quote::one_line(&err.to_string()),
    })?;
    let mut violations: Vec<String> = validator
        .iter_errors(values)
        .map(|err| {
            let at = err.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("at '{at}': {}", crate::quote::one_line(&err.to_string()))
        })
        .collect();
    if violations.is_empty() {
        return Ok(());
    }
    violations.sort();
    violations.dedup();
    Err(Error::Invalid {
        path: schema_path.to_owned(),
        violations,
    })
}

#[cfg(test)]
mod tests;
