//! WebAssembly plugins: renderers, linters and post-renderers that run as sandboxed wasmtime
//! components.
//!
//! What each file owns:
//! - `bindings.rs`: the code generated from `wit/` (the only `bindgen!`).
//! - `engine.rs`: the wasmtime engine, its epoch ticker, the empty sandbox every call gets,
//!   per-call limits and the mapping of traps to [`Error`].
//! - `cache.rs`: compiled components on disk, keyed by content hash, wasmtime version and
//!   engine configuration; the one `unsafe` call of the project lives there.
//! - `sidecar.rs`: the optional `NAME.toml` next to a plugin (enabled, order, config, limits).
//! - `discovery.rs`: the plugin folders, in order, and [`Registry`], the plugins found there.
//! - `call.rs`: [`Plugin`] and the three calls (render, lint, post-render), converting between
//!   WIT types and the host's own ([`crate::manifest::Object`], [`crate::lint::Finding`]).
//!
//! A plugin's name is its file stem: `plugins/jinja.wasm` is the plugin `jinja`, configured by
//! `plugins/jinja.toml`, and selected by a chart with `renderer: jinja`.

mod bindings;
mod cache;
mod call;
mod discovery;
mod engine;
mod sidecar;

use std::fmt;
use std::path::PathBuf;

pub use cache::Cache;
pub use call::{Plugin, RenderRequest, RenderResult, WasmLinter};
pub use discovery::{Origin, Registry, SearchPath, Warning};
pub use engine::{Host, Limits};
pub use sidecar::Sidecar;

/// The version of the WIT package this host speaks: `kubectl-chart:plugin@0.1.0`.
pub const WIT_VERSION: &str = "0.1.0";

/// The WIT package name, without version.
pub const WIT_PACKAGE: &str = "kubectl-chart:plugin";

/// What a plugin does, read from the interface its component exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Exports `kubectl-chart:plugin/render`: renders a chart instead of Handlebars.
    Renderer,
    /// Exports `kubectl-chart:plugin/lint`: reports findings about objects.
    Linter,
    /// Exports `kubectl-chart:plugin/post-render`: changes objects after rendering.
    PostRenderer,
}

impl Kind {
    /// The WIT interface a plugin of this kind exports (`post-render`).
    pub fn interface(self) -> &'static str {
        match self {
            Kind::Renderer => "render",
            Kind::Linter => "lint",
            Kind::PostRenderer => "post-render",
        }
    }

    fn from_interface(name: &str) -> Option<Kind> {
        match name {
            "render" => Some(Kind::Renderer),
            "lint" => Some(Kind::Linter),
            "post-render" => Some(Kind::PostRenderer),
            _ => None,
        }
    }

    /// The world name: `renderer`, `linter`, `post-renderer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Renderer => "renderer",
            Kind::Linter => "linter",
            Kind::PostRenderer => "post-renderer",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a plugin could not be found, loaded or run. Every variant names the plugin or its file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("plugin `{plugin}` trapped: {message}")]
    Trap { plugin: String, message: String },
    #[error("plugin `{plugin}` ran longer than its {limit_ms} ms limit and was stopped")]
    Timeout { plugin: String, limit_ms: u64 },
    #[error(
        "plugin `{plugin}` tried to use more than its {limit_mib} MiB memory limit and was stopped"
    )]
    Memory { plugin: String, limit_mib: u64 },
    #[error(
        "plugin `{plugin}` returned {size} bytes of output, more than its limit of {limit} bytes"
    )]
    OutputTooLarge {
        plugin: String,
        size: usize,
        limit: usize,
    },
    #[error("plugin `{plugin}` returned bad output: {message}")]
    BadOutput { plugin: String, message: String },
    #[error("plugin `{plugin}` failed: {}{message}", location(file.as_deref(), *line))]
    Guest {
        plugin: String,
        file: Option<String>,
        line: Option<u32>,
        message: String,
    },
    #[error("failed to read plugin `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a valid WebAssembly component: {message}", path.display())]
    InvalidComponent { path: PathBuf, message: String },
    #[error(
        "`{}` is not a kubectl-chart plugin: it exports none of the {WIT_PACKAGE} interfaces (render, lint, post-render){}",
        path.display(),
        found_list(exports)
    )]
    NotAPlugin { path: PathBuf, exports: Vec<String> },
    #[error(
        "`{}` was built for {WIT_PACKAGE}@{found}, which this kubectl-chart (speaking @{WIT_VERSION}) cannot run; rebuild it against @{WIT_VERSION}",
        path.display()
    )]
    IncompatibleVersion { path: PathBuf, found: String },
    #[error("`{}` exports more than one plugin interface ({kinds}); a plugin must be exactly one kind", path.display())]
    SeveralKinds { path: PathBuf, kinds: String },
    #[error("`{}` does not match the {WIT_PACKAGE}@{WIT_VERSION} contract: {message}", path.display())]
    Contract { path: PathBuf, message: String },
    #[error("`{}` cannot run in the sandbox: {message}", path.display())]
    Imports { path: PathBuf, message: String },
    #[error("invalid plugin sidecar `{}`: {message}", path.display())]
    Sidecar { path: PathBuf, message: String },
    #[error("failed to read plugin folder `{}`", path.display())]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin `{name}` not found (searched: {searched})")]
    NotFound { name: String, searched: String },
    #[error("plugin `{name}` is disabled by its sidecar `{}`", path.display())]
    Disabled { name: String, path: PathBuf },
    #[error("plugin `{name}` is a {actual}, not a {expected}")]
    WrongKind {
        name: String,
        expected: Kind,
        actual: Kind,
    },
    #[error("plugin `{plugin}` could not be started: {message}")]
    Instantiate { plugin: String, message: String },
    #[error("failed to set up the WebAssembly engine: {message}")]
    Engine { message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn location(file: Option<&str>, line: Option<u32>) -> String {
    match (file, line) {
        (Some(file), Some(line)) => format!("{file}:{line}: "),
        (Some(file), None) => format!("{file}: "),
        _ => String::new(),
    }
}

fn found_list(exports: &[String]) -> String {
    if exports.is_empty() {
        " (it exports nothing)".to_owned()
    } else {
        format!(" (it exports {})", exports.join(", "))
    }
}

impl Error {
    /// True for errors about a plugin file (not a plugin's run): discovery turns them into
    /// warnings for files it found by itself.
    pub fn is_load_error(&self) -> bool {
        matches!(
            self,
            Error::Read { .. }
                | Error::InvalidComponent { .. }
                | Error::NotAPlugin { .. }
                | Error::IncompatibleVersion { .. }
                | Error::SeveralKinds { .. }
                | Error::Contract { .. }
                | Error::Imports { .. }
        )
    }
}
