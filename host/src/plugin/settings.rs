//! The user's own plugin settings, `$XDG_CONFIG_HOME/kubectl-chart/plugins.toml` (else
//! `~/.config/kubectl-chart/plugins.toml`): trusted configuration, and the only place that can
//! raise what a chart's own plugins may use.
//!
//! ```toml
//! [chart-plugins]         # the most a chart's own plugins get, whatever their sidecars ask
//! timeout-ms = 2000       # defaults: the host's default limits (2000 ms, 256 MiB, 64 MiB)
//! memory-mib = 256
//! output-mib = 64
//! ```
//!
//! A chart cannot write this file: it lives in the user's home, not in the chart.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::engine::Limits;
use super::sidecar::{self, LimitsFile};
use super::{Error, Result};

/// The largest settings file read.
const MAX_BYTES: u64 = 1024 * 1024;

/// The user's plugin settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The most a plugin from a chart's own `plugins/` folder may use per call.
    pub chart_plugin_limits: Limits,
    /// The file they were read from, if any.
    pub path: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    chart_plugins: Option<LimitsFile>,
}

impl Settings {
    /// The settings file's place: `$XDG_CONFIG_HOME/kubectl-chart/plugins.toml`, else under
    /// `~/.config`; `None` without either.
    pub fn default_path() -> Option<PathBuf> {
        std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".config"))
            })
            .map(|dir| dir.join("kubectl-chart").join("plugins.toml"))
    }

    /// The settings in the default place; the defaults when there is no file.
    pub fn from_env() -> Result<Settings> {
        match Settings::default_path() {
            Some(path) => Settings::read(&path),
            None => Ok(Settings::default()),
        }
    }

    /// The settings in `path`; the defaults when there is no such file.
    pub fn read(path: &Path) -> Result<Settings> {
        let text = sidecar::read_text(path, MAX_BYTES).map_err(|err| match err {
            Error::Sidecar { path, message } => Error::Settings { path, message },
            other => other,
        })?;
        match text {
            Some(text) => Settings::parse(path, &text),
            None => Ok(Settings::default()),
        }
    }

    /// Parses settings text; `path` is for errors.
    pub fn parse(path: &Path, text: &str) -> Result<Settings> {
        let invalid = |message: String| Error::Settings {
            path: path.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|err| invalid(sidecar::toml_error(&err)))?;
        let chart_plugin_limits = file
            .chart_plugins
            .unwrap_or_default()
            .apply(
                Limits::default(),
                "chart-plugins.",
                sidecar::Bounds::Checked,
            )
            .map_err(invalid)?;
        Ok(Settings {
            chart_plugin_limits,
            path: Some(path.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse(text: &str) -> Result<Settings> {
        Settings::parse(Path::new("c/plugins.toml"), text)
    }

    #[test]
    fn chart_plugin_limits() {
        for (text, timeout_ms, memory_mib, output_mib) in [
            ("", 2000, 256, 64),
            ("[chart-plugins]\n", 2000, 256, 64),
            ("[chart-plugins]\ntimeout-ms = 30000\n", 30000, 256, 64),
            (
                "[chart-plugins]\ntimeout-ms = 500\nmemory-mib = 32\noutput-mib = 1\n",
                500,
                32,
                1,
            ),
        ] {
            let limits = parse(text).unwrap().chart_plugin_limits;
            assert_eq!(limits.timeout, Duration::from_millis(timeout_ms), "{text}");
            assert_eq!(limits.memory, memory_mib * 1024 * 1024, "{text}");
            assert_eq!(limits.output, output_mib * 1024 * 1024, "{text}");
        }
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        for (text, expected) in [
            (
                "[chart-plugins]\ntimeout-ms = 0\n",
                "chart-plugins.timeout-ms must be between 1",
            ),
            (
                "[chart-plugins]\nmemory-mib = 5000\n",
                "chart-plugins.memory-mib",
            ),
            ("[chart-plugins]\nfuel = 1\n", "unknown field"),
            ("[plugins]\n", "unknown field"),
            ("[chart-plugins\n", "c/plugins.toml"),
        ] {
            let message = parse(text).unwrap_err().to_string();
            assert!(
                message.starts_with("invalid plugin settings `c/plugins.toml`"),
                "{message}"
            );
            assert!(
                message.contains(expected),
                "{message} should say {expected}"
            );
        }
    }

    #[test]
    fn a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Settings::read(&dir.path().join("none.toml")).unwrap(),
            Settings::default()
        );
        let message = Settings::read(dir.path()).unwrap_err().to_string();
        assert!(message.starts_with("invalid plugin settings"), "{message}");
    }
}
