//! Linting: the types every lint rule speaks (built-in rules and WebAssembly linters alike),
//! and the runner that applies them to rendered objects.
//!
//! A [`Linter`] reports [`Finding`]s: [`rules::Builtin`] (the built-in rules),
//! [`custom::CustomRules`] (JSONPath rules from the [`Config`] file) and, from the plugin host,
//! WASM linters. [`run`] puts them all through one path (config, `lint-ignore` suppression,
//! sorting) into a [`Report`], which prints as text, JSON or SARIF 2.1.0; [`run_all`] adds the
//! built-in and config linters to the plugins given, as `lint` and `post-render` need.

pub mod config;
pub mod custom;
pub mod path;
mod report;
pub mod rules;
mod run;
mod sarif;

pub use config::Config;
pub use report::{Report, RuleReport};
pub use run::{IGNORE_ANNOTATION, run};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::manifest::{Object, ObjectRef};

/// How bad a finding is. `Error` findings fail `lint` and `post-render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// What a rule is: shown by `plugin list` and in SARIF output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Stable id, kebab-case: `latest-tag`.
    pub id: String,
    pub default_severity: Severity,
    pub description: String,
}

/// One problem found in one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// The object the finding is about.
    pub object: ObjectRef,
    /// The template the object came from.
    pub source: String,
    /// A JSONPath into the object (`$.spec.template.spec.containers[0].image`), when known.
    pub path: Option<String>,
    /// Which linter produced it: `builtin` or a plugin's name.
    pub linter: String,
}

/// Why a linter could not run (as opposed to what it found).
#[derive(Debug, thiserror::Error)]
#[error("linter `{linter}` failed: {message}")]
pub struct LinterError {
    pub linter: String,
    pub message: String,
}

/// Why a lint run could not finish (as opposed to what it found).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Linter(LinterError),
    #[error(
        "two linters are named `{name}`; plugin names must be unique and not `builtin` or `config`"
    )]
    DuplicateLinter { name: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs the built-in rules, the config's custom rules and `plugins` (WASM linters) over
/// `objects`: what `lint` and `post-render` do.
pub fn run_all(objects: &[Object], plugins: &[&dyn Linter], config: &Config) -> Result<Report> {
    let builtin = rules::Builtin;
    let mut linters: Vec<&dyn Linter> = vec![&builtin, config.custom_rules()];
    linters.extend_from_slice(plugins);
    run(objects, &linters, config)
}

/// A source of findings: the built-in rules, a config-declared rule set, or a WASM plugin.
pub trait Linter {
    /// `builtin`, or the plugin's name.
    fn name(&self) -> &str;
    /// The rules this linter can report.
    fn rules(&self) -> Vec<RuleInfo>;
    /// Lints all objects at once (rules such as dangling-service look across objects).
    /// `config` is the linter's own configuration (`null` when none).
    fn lint(&self, objects: &[Object], config: &Value) -> Result<Vec<Finding>, LinterError>;
}
