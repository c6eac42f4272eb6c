//! Computing a release's values exactly as Helm does: chart defaults, `-f` files, then
//! `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`; and checking them
//! against `values.schema.json`.
//!
//! (Skeleton: the full Helm semantics land with the values work.)

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read values file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("values file `{}` line {line}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
/// `MergeValues` does. `stdin` is read for a `-f -`.
pub fn user_values(options: &Options, stdin: &mut dyn Read) -> Result<Value> {
    let _ = (options, stdin);
    Ok(Value::Object(Default::default()))
}

/// Coalesces user values over the chart's defaults as Helm's `CoalesceValues` does.
pub fn coalesce(defaults: &Value, user: Value) -> Value {
    let _ = user;
    defaults.clone()
}

/// Validates values against the chart's `values.schema.json`.
pub fn validate(schema: &Value, schema_path: &std::path::Path, values: &Value) -> Result<()> {
    let _ = (schema, schema_path, values);
    Ok(())
}
