//! WebAssembly plugins: renderers, linters and post-renderers that run as sandboxed wasmtime
//! components.
//!
//! What each file owns:
//! - `bindings.rs`: the code generated from `wit/` (the only `bindgen!`).
//! - `engine.rs`: the wasmtime engine, its epoch ticker, the empty sandbox every call gets,
//!   per-call limits and the mapping of traps to [`Error`].
//! - `cache.rs`: compiled components on disk ([`crate::cache`]), keyed by content hash,
//!   wasmtime version and engine configuration; the one `unsafe` call of the project lives
//!   there.
//! - `files.rs`: reading plugin files with their type and size checked first (no FIFO, no
//!   device, no 2 GB `x.wasm`). `text.rs`: one-line, bounded quoting of what files and guests say.
//! - `sidecar.rs`: the optional `NAME.toml` next to a plugin (enabled, order, config, limits).
//! - `settings.rs`: the user's own plugin settings (what a chart's plugins may use at most).
//! - `discovery.rs`: the plugin folders, in order, their [`Trust`], and [`Registry`], the
//!   plugins found there.
//! - `call.rs`: [`Plugin`] and the three calls (render, lint, post-render), converting between
//!   WIT types and the host's own ([`crate::manifest::Object`], [`crate::lint::Finding`]).
//!
//! A plugin's name is its file stem: `plugins/jinja.wasm` is the plugin `jinja`, configured by
//! `plugins/jinja.toml`, and selected by a chart with `renderer: jinja`.
//!
//! Trust: plugins the user or the system installed (and `--plugins-dir`) are trusted; a
//! chart's own `plugins/` may add plugins but never replace, disable or reconfigure a trusted
//! one, and its plugins' limits are capped by [`Settings`] (which only the user can raise).

mod bindings;
mod cache;
mod call;
mod discovery;
mod engine;
pub(crate) mod files;
mod settings;
mod sidecar;
pub(crate) mod text;

use std::fmt;
use std::path::PathBuf;

pub use cache::Cache;
pub use call::{Plugin, RenderRequest, RenderResult, WasmLinter};
pub use discovery::{Origin, Registry, SearchPath, Trust, Warning};
pub use engine::{Host, Limits};
pub use settings::Settings;
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

/// Why a plugin could not be found, loaded or run. Every variant names the plugin or its file,
/// on one line: text from a guest or a file is folded and cut ([`text::one_line`]).
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
    #[error("failed to read plugin `{}`", text::path(path))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a regular file (it is {kind})", text::path(path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error(
        "`{}` is too large: {}, more than the {} a {what} may be",
        text::path(path),
        text::size(*size),
        text::size(*limit)
    )]
    TooLarge {
        path: PathBuf,
        what: &'static str,
        size: u64,
        limit: u64,
    },
    #[error(
        "`{}` is not a WebAssembly component: it starts with `{start}`, not with the WebAssembly magic bytes `\\0asm`",
        text::path(path)
    )]
    NotWasm { path: PathBuf, start: String },
    #[error(
        "`{}` is a core WebAssembly module, not a component: build it for wasm32-wasip2, or wrap it with `wasm-tools component new`",
        text::path(path)
    )]
    CoreModule { path: PathBuf },
    #[error(
        "`{}` is not a valid WebAssembly component: {message}",
        text::path(path)
    )]
    InvalidComponent { path: PathBuf, message: String },
    #[error(
        "`{}` is not a kubectl-chart plugin: it exports none of the {WIT_PACKAGE} interfaces (render, lint, post-render){}",
        text::path(path),
        found_list(exports)
    )]
    NotAPlugin { path: PathBuf, exports: Vec<String> },
    #[error(
        "`{}` was built for {WIT_PACKAGE}@{found}, which this kubectl-chart (speaking @{WIT_VERSION}) cannot run; rebuild it against @{WIT_VERSION}",
        text::path(path)
    )]
    IncompatibleVersion { path: PathBuf, found: String },
    #[error(
        "`{}` exports more than one plugin interface ({kinds}); a plugin must be exactly one kind",
        text::path(path)
    )]
    SeveralKinds { path: PathBuf, kinds: String },
    #[error(
        "`{}` does not match the {WIT_PACKAGE}@{WIT_VERSION} contract: {message}",
        text::path(path)
    )]
    Contract { path: PathBuf, message: String },
    #[error("`{}` cannot run in the sandbox: {message}", text::path(path))]
    Imports { path: PathBuf, message: String },
    #[error(
        "`{}` is not a usable plugin name: a name is 1 to {} letters, digits, `-`, `_` or `.`",
        text::path(path),
        discovery::MAX_NAME_LEN
    )]
    BadName { path: PathBuf },
    #[error("invalid plugin sidecar `{}`: {message}", text::path(path))]
    Sidecar { path: PathBuf, message: String },
    #[error("invalid plugin settings `{}`: {message}", text::path(path))]
    Settings { path: PathBuf, message: String },
    #[error("failed to read plugin folder `{}`", text::path(path))]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin folder `{}` is {kind}, not a folder", text::path(path))]
    NotAFolder { path: PathBuf, kind: &'static str },
    #[error(
        "plugin folder `{}` holds more than {limit} `.wasm` files; is it the right folder?",
        text::path(path)
    )]
    TooManyPlugins { path: PathBuf, limit: usize },
    #[error("plugin `{name}` not found (searched: {searched})")]
    NotFound { name: String, searched: String },
    #[error("plugin `{name}` is disabled by its sidecar `{}`", text::path(path))]
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
                | Error::NotAFile { .. }
                | Error::TooLarge { .. }
                | Error::NotWasm { .. }
                | Error::CoreModule { .. }
                | Error::BadName { .. }
                | Error::InvalidComponent { .. }
                | Error::NotAPlugin { .. }
                | Error::IncompatibleVersion { .. }
                | Error::SeveralKinds { .. }
                | Error::Contract { .. }
                | Error::Imports { .. }
        )
    }
}
