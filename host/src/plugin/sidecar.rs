//! The optional sidecar next to a plugin: `NAME.toml` beside `NAME.wasm`.
//!
//! ```toml
//! enabled = true          # default true
//! order = 10              # post-renderers run in ascending order (default 100), then by name
//!
//! [limits]                # per call; defaults 2000 ms, 256 MiB, 64 MiB
//! timeout-ms = 2000       # at most 600000 (10 minutes)
//! memory-mib = 256        # at most 4096
//! output-mib = 64         # at most 4096
//!
//! [config]                # anything: passed to the plugin as JSON
//! labels = { team = "shop" }
//! ```
//!
//! A sidecar is read only when it is a regular file of at most 1 MiB. A chart's own plugins'
//! limits are then capped by the user's [`super::Settings`] (see `discovery.rs`).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::engine::Limits;
use super::files::{self, ReadError};
use super::{Error, Result, text};

/// The largest sidecar read.
const MAX_BYTES: u64 = 1024 * 1024;

/// The longest `timeout-ms` anyone may set: a call that needs more is a bug, and the bound
/// keeps a typo from hanging a run.
pub const MAX_TIMEOUT_MS: u64 = 10 * 60 * 1000;

/// The largest `memory-mib` and `output-mib`.
pub const MAX_MIB: u64 = 4096;

/// The order of a post-renderer without one.
pub const DEFAULT_ORDER: i64 = 100;

/// What a sidecar sets; defaults when a plugin has none.
#[derive(Debug, Clone, PartialEq)]
pub struct Sidecar {
    pub enabled: bool,
    pub order: i64,
    /// The `config` table as JSON (`{}` when absent).
    pub config: Value,
    pub limits: Limits,
}

impl Default for Sidecar {
    fn default() -> Self {
        Sidecar {
            enabled: true,
            order: DEFAULT_ORDER,
            config: Value::Object(Default::default()),
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    enabled: Option<bool>,
    order: Option<i64>,
    config: Option<toml::Table>,
    limits: Option<LimitsFile>,
}

/// A `[limits]` table, as a sidecar or the user's settings write it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct LimitsFile {
    timeout_ms: Option<u64>,
    memory_mib: Option<u64>,
    output_mib: Option<u64>,
}

/// Whether values above [`MAX_TIMEOUT_MS`] and [`MAX_MIB`] are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bounds {
    /// The user's own files: a value out of range is a mistake to report.
    Checked,
    /// A chart's sidecars: kept as asked, for discovery to cap (with a warning) to what the
    /// user allows chart plugins; a chart author cannot know that maximum.
    ToBeCapped,
}

impl LimitsFile {
    /// `base` with what this table sets; `prefix` names the table in errors (`limits.`).
    pub(crate) fn apply(
        &self,
        base: Limits,
        prefix: &str,
        bounds: Bounds,
    ) -> Result<Limits, String> {
        let (max_ms, max_mib) = match bounds {
            Bounds::Checked => (MAX_TIMEOUT_MS, MAX_MIB),
            Bounds::ToBeCapped => (u64::MAX, u64::MAX),
        };
        let mut limits = base;
        if let Some(ms) = self.timeout_ms {
            if ms == 0 || ms > max_ms {
                return Err(format!(
                    "{prefix}timeout-ms must be between 1 and {MAX_TIMEOUT_MS}"
                ));
            }
            limits.timeout = Duration::from_millis(ms);
        }
        let bytes = |mib: u64| mib.saturating_mul(1024 * 1024);
        if let Some(mib) = self.memory_mib {
            if mib == 0 || mib > max_mib {
                return Err(format!(
                    "{prefix}memory-mib must be between 1 and {MAX_MIB}"
                ));
            }
            limits.memory = bytes(mib);
        }
        if let Some(mib) = self.output_mib {
            if mib == 0 || mib > max_mib {
                return Err(format!(
                    "{prefix}output-mib must be between 1 and {MAX_MIB}"
                ));
            }
            limits.output = usize::try_from(bytes(mib)).unwrap_or(usize::MAX);
        }
        Ok(limits)
    }
}

impl Sidecar {
    /// Reads the sidecar at `path`; the defaults when there is no such file.
    pub fn read(path: &Path) -> Result<Sidecar> {
        Sidecar::read_with(path, Bounds::Checked)
    }

    /// Reads a chart plugin's sidecar: limits above the maxima are kept as asked, for the
    /// caller to cap.
    pub(crate) fn read_with(path: &Path, bounds: Bounds) -> Result<Sidecar> {
        match read_text(path, MAX_BYTES)? {
            Some(text) => Sidecar::parse_with(path, &text, bounds),
            None => Ok(Sidecar::default()),
        }
    }

    /// Parses sidecar text; `path` is for errors.
    pub fn parse(path: &Path, text: &str) -> Result<Sidecar> {
        Sidecar::parse_with(path, text, Bounds::Checked)
    }

    fn parse_with(path: &Path, text: &str, bounds: Bounds) -> Result<Sidecar> {
        let invalid = |message: String| Error::Sidecar {
            path: path.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|err| invalid(toml_error(&err)))?;
        let limits = file
            .limits
            .unwrap_or_default()
            .apply(Limits::default(), "limits.", bounds)
            .map_err(invalid)?;
        Ok(Sidecar {
            enabled: file.enabled.unwrap_or(true),
            order: file.order.unwrap_or(DEFAULT_ORDER),
            config: Value::Object(file.config.map(table_to_json).unwrap_or_default()),
            limits,
        })
    }
}

/// A TOML error on one line, with where it is.
pub(crate) fn toml_error(err: &toml::de::Error) -> String {
    let message = text::one_line(err.message(), text::QUOTE_CHARS);
    match err.span() {
        Some(span) => format!("{message} (at byte {})", span.start),
        None => message,
    }
}

/// The text of `path` if it exists: a regular UTF-8 file of at most `limit` bytes.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<Option<String>> {
    let invalid = |message: String| Error::Sidecar {
        path: path.to_owned(),
        message,
    };
    let bytes = match files::read(path, limit) {
        Ok(bytes) => bytes,
        Err(err) if err.is_not_found() => return Ok(None),
        Err(ReadError::NotAFile { kind }) => {
            return Err(invalid(format!("it is {kind}, not a regular file")));
        }
        Err(ReadError::TooLarge { size, limit }) => {
            return Err(invalid(format!(
                "it is {}, more than the {} a sidecar may be",
                text::size(size),
                text::size(limit)
            )));
        }
        Err(ReadError::Io(err)) => return Err(invalid(err.to_string())),
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|err| invalid(format!("it is not UTF-8 text ({err})")))
}

fn table_to_json(table: toml::Table) -> serde_json::Map<String, Value> {
    table
        .into_iter()
        .map(|(k, v)| (k, toml_to_json(v)))
        .collect()
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(table_to_json(table)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Sidecar> {
        Sidecar::parse(Path::new("p/x.toml"), text)
    }

    #[test]
    fn defaults_when_empty() {
        assert_eq!(parse("").unwrap(), Sidecar::default());
    }

    #[test]
    fn reads_every_field() {
        let s = parse(
            "enabled = false\norder = -5\n[limits]\ntimeout-ms = 50\nmemory-mib = 16\noutput-mib = 1\n[config]\nlabels = { team = \"shop\" }\nlist = [1, 2.5, true]\nwhen = 1979-05-27\n",
        )
        .unwrap();
        assert!(!s.enabled);
        assert_eq!(s.order, -5);
        assert_eq!(s.limits.timeout, Duration::from_millis(50));
        assert_eq!(s.limits.memory, 16 * 1024 * 1024);
        assert_eq!(s.limits.output, 1024 * 1024);
        assert_eq!(
            s.config,
            json!({"labels": {"team": "shop"}, "list": [1, 2.5, true], "when": "1979-05-27"})
        );
    }

    #[test]
    fn a_charts_limits_are_kept_as_asked_for_capping() {
        let text = "[limits]\ntimeout-ms = 3600000\nmemory-mib = 18446744073709551\n";
        assert!(parse(text).is_err());
        let s = Sidecar::parse_with(Path::new("p/x.toml"), text, Bounds::ToBeCapped).unwrap();
        assert_eq!(s.limits.timeout, Duration::from_millis(3_600_000));
        assert_eq!(s.limits.memory, u64::MAX);
        let zero = "[limits]\ntimeout-ms = 0\n";
        assert!(Sidecar::parse_with(Path::new("p/x.toml"), zero, Bounds::ToBeCapped).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for text in [
            format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("x = {}1{}\n", "{a = ".repeat(100_000), "}".repeat(100_000)),
        ] {
            let message = parse(&text).unwrap_err().to_string();
            assert!(
                message.starts_with("invalid plugin sidecar `p/x.toml`"),
                "{message}"
            );
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn sidecars_that_are_not_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Sidecar::read(&dir.path().join("none.toml")).unwrap(),
            Sidecar::default()
        );
        let message = Sidecar::read(dir.path()).unwrap_err().to_string();
        assert!(
            message.contains("it is a folder, not a regular file"),
            "{message}"
        );
        let big = dir.path().join("big.toml");
        std::fs::write(&big, "#".repeat(2 * 1024 * 1024)).unwrap();
        let message = Sidecar::read(&big).unwrap_err().to_string();
        assert!(
            message.contains("more than the 1.0 MiB a sidecar may be"),
            "{message}"
        );
    }

    #[test]
    fn errors_name_the_file() {
        for (text, expected) in [
            ("enabled = 3\n", "invalid type"),
            ("colour = 1\n", "unknown field"),
            ("[limits]\ntimeout-ms = 0\n", "timeout-ms"),
            ("[limits]\ntimeout-ms = 600001\n", "between 1 and 600000"),
            (
                "[limits]\ntimeout-ms = 9000000000\n",
                "between 1 and 600000",
            ),
            ("[limits]\nmemory-mib = 100000\n", "memory-mib"),
            ("[limits]\noutput-mib = 0\n", "output-mib"),
            ("[limits]\nwall-ms = 1\n", "unknown field"),
            ("order = [\n", "p/x.toml"),
        ] {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains("p/x.toml"), "{message}");
            assert!(
                message.contains(expected),
                "{message} should say {expected}"
            );
        }
    }
}
