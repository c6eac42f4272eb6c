//! Computing a release's values exactly as Helm does, and checking them against
//! `values.schema.json`.
//!
//! - [`user_values`] is Helm's `MergeValues`: each `-f` file in order (`-` is standard
//!   input; a file's YAML documents are merged in turn), then every `--set-json`, `--set`,
//!   `--set-string`, `--set-file` and `--set-literal`, in that fixed order whatever the order
//!   on the command line. Maps merge deeply; lists and scalars are replaced.
//! - [`super::coalesce`] is Helm's `CoalesceValues` of those over the chart's `values.yaml`
//!   and its subcharts'; [`validate`] checks the result against each chart's
//!   `values.schema.json`, subcharts with their own section of the values.
//! - Numbers read from YAML or JSON become Go `float64`s in Helm, so `1.0` is `1`, a huge
//!   integer loses precision and a million prints as `1e+06` in a template; they are kept
//!   here as `f64` JSON numbers ([`numbers_as_float64`]), so the Go template engine sees a
//!   `float64`. `--set` integers stay exact `i64`s, an `int64` in Go. Consumers that know no
//!   Go types (Handlebars, WebAssembly renderers, `kubectl chart values`) get
//!   [`plain_numbers`]: whole floats as integers, as Go's JSON encoder prints them.
//! - The computed values have their map keys sorted, as Go's maps print (and `range` them).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::Chart;
use super::coalesce::Coalesced;
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
        "values don't meet the specifications of the schema(s) in the following chart(s): {}",
        charts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("; ")
    )]
    Invalid { charts: Vec<Violations> },
    #[error(transparent)]
    Missing(#[from] super::dependencies::Missing),
    #[error(transparent)]
    Subchart(#[from] super::coalesce::TypeMismatch),
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
            match numbers_as_float64(value) {
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

/// Makes every number a Go `float64` (an `f64` JSON number), as Helm's JSON decoding does
/// (`9223372036854775807` becomes `9223372036854775808`).
pub fn numbers_as_float64(value: Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_float64).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_float64(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Values for consumers without Go's number types: every `float64` that is a whole number
/// below 1e21 becomes an integer, as Go's `encoding/json` prints it (`1.0` is `1`).
pub fn plain_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => n.as_f64().map_or(Value::Number(n), number_from_f64),
        Value::Array(items) => Value::Array(items.into_iter().map(plain_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, plain_numbers(v)))
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

/// What Helm does with a chart and the user's values before rendering: checks that the
/// dependencies `Chart.yaml` lists are in `charts/`, processes them (conditions, tags,
/// aliases, import-values: `chart` is changed in place), coalesces the values over every
/// chart's defaults and validates them against every schema (unless `check_schema` is
/// false, Helm's `--skip-schema-validation`). The values come back with
/// their keys sorted.
pub fn for_release(
    chart: &mut Chart,
    user: &Map<String, Value>,
    check_schema: bool,
) -> Result<Coalesced> {
    super::dependencies::check(chart)?;
    let mut warnings = super::dependencies::process(chart, user)?;
    let coalesced = super::coalesce::coalesce_values(chart, user)?;
    warnings.extend(coalesced.warnings);
    let values = match sort_keys(Value::Object(coalesced.values)) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if check_schema {
        validate(chart, &values)?;
    }
    Ok(Coalesced { values, warnings })
}

/// The schema violations of one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations {
    /// The chart's name (or alias), as Helm names it.
    pub chart: String,
    /// Its `values.schema.json`.
    pub path: PathBuf,
    /// `at '/image/tag': 1 is not of type "string"`, sorted.
    pub violations: Vec<String>,
}

/// One line, as every error: `web (web/values.schema.json): at '/a': ...; at '/b': ...`.
impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.chart,
            self.path.display(),
            self.violations.join("; ")
        )
    }
}

/// Helm's `ValidateAgainstSchema`: the values against the chart's `values.schema.json`, then
/// each (enabled) subchart's section of them against the subchart's schema, listing every
/// violation of every chart.
pub fn validate(chart: &Chart, values: &Map<String, Value>) -> Result<()> {
    let mut charts = Vec::new();
    validate_into(chart, values, &mut charts)?;
    if charts.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid { charts })
    }
}

fn validate_into(
    chart: &Chart,
    values: &Map<String, Value>,
    out: &mut Vec<Violations>,
) -> Result<()> {
    if let Some(schema) = &chart.schema {
        let path = chart.file_path("values.schema.json");
        let schema: Value = serde_json::from_slice(schema).map_err(|err| Error::Schema {
            path: path.clone(),
            message: format!("line {}: {err}", err.line()),
        })?;
        // Go's validator sees `float64`s; JSON Schema counts a whole one as an integer.
        let plain = plain_numbers(Value::Object(values.clone()));
        let violations = schema_violations(&schema, &path, &plain)?;
        if !violations.is_empty() {
            out.push(Violations {
                chart: chart.name().to_owned(),
                path,
                violations,
            });
        }
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Null) => {}
            Some(Value::Object(section)) => validate_into(sub, section, out)?,
            Some(other) => out.push(Violations {
                chart: sub.name().to_owned(),
                path: sub.file_path("values.schema.json"),
                violations: vec![format!(
                    "invalid type for values: expected object (map), got {}",
                    super::strvals::describe(other)
                )],
            }),
        }
    }
    Ok(())
}

/// Every violation of `values` against one schema, with the path of the value
/// (`at '/image/tag': 1 is not of type "string"`), sorted.
fn schema_violations(schema: &Value, schema_path: &Path, values: &Value) -> Result<Vec<String>> {
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
    violations.sort();
    violations.dedup();
    Ok(violations)
}

#[cfg(test)]
mod tests;
