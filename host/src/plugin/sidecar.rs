//! The optional sidecar next to a plugin: `NAME.toml` beside `NAME.wasm`.
//!
//! ```toml
//! enabled = true          # default true
//! order = 10              # post-renderers run in ascending order (default 100), then by name
//!
//! [limits]                # per call; defaults 2000 ms, 256 MiB, 64 MiB
//! timeout-ms = 2000
//! memory-mib = 256
//! output-mib = 64
//!
//! [config]                # anything: passed to the plugin as JSON
//! labels = { team = "shop" }
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::engine::Limits;
use super::{Error, Result};

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LimitsFile {
    timeout_ms: Option<u64>,
    memory_mib: Option<u64>,
    output_mib: Option<u64>,
}

impl Sidecar {
    /// Reads the sidecar at `path`; the defaults when there is no such file.
    pub fn read(path: &Path) -> Result<Sidecar> {
        match std::fs::read_to_string(path) {
            Ok(text) => Sidecar::parse(path, &text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Sidecar::default()),
            Err(err) => Err(Error::Sidecar {
                path: path.to_owned(),
                message: err.to_string(),
            }),
        }
    }

    /// Parses sidecar text; `path` is for errors.
    pub fn parse(path: &Path, text: &str) -> Result<Sidecar> {
        let invalid = |message: String| Error::Sidecar {
            path: path.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|err| invalid(one_line(&err)))?;
        let defaults = Limits::default();
        let mut limits = defaults;
        if let Some(l) = file.limits {
            if let Some(ms) = l.timeout_ms {
                if ms == 0 {
                    return Err(invalid("limits.timeout-ms must be at least 1".to_owned()));
                }
                limits.timeout = Duration::from_millis(ms);
            }
            if let Some(mib) = l.memory_mib {
                if mib == 0 || mib > 4096 {
                    return Err(invalid(
                        "limits.memory-mib must be between 1 and 4096".to_owned(),
                    ));
                }
                limits.memory = mib * 1024 * 1024;
            }
            if let Some(mib) = l.output_mib {
                if mib == 0 || mib > 4096 {
                    return Err(invalid(
                        "limits.output-mib must be between 1 and 4096".to_owned(),
                    ));
                }
                limits.output = usize::try_from(mib * 1024 * 1024).unwrap_or(usize::MAX);
            }
        }
        Ok(Sidecar {
            enabled: file.enabled.unwrap_or(true),
            order: file.order.unwrap_or(DEFAULT_ORDER),
            config: Value::Object(file.config.map(table_to_json).unwrap_or_default()),
            limits,
        })
    }
}

fn one_line(err: &toml::de::Error) -> String {
    let message = err.message().trim().to_owned();
    match err.span() {
        Some(span) => format!("{message} (at byte {})", span.start),
        None => message,
    }
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
    fn errors_name_the_file() {
        for (text, expected) in [
            ("enabled = 3\n", "invalid type"),
            ("colour = 1\n", "unknown field"),
            ("[limits]\ntimeout-ms = 0\n", "timeout-ms"),
            ("[limits]\nmemory-mib = 100000\n", "memory-mib"),
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
