//! Finding plugins: the folders to search, how far each is trusted, and [`Registry`], the
//! plugins found there.
//!
//! Folders (DESIGN.md):
//! 1. `--plugins-dir` (repeatable; a `.wasm` file there names one plugin explicitly),
//! 2. `$KUBECTL_CHART_PLUGINS` (a `:`-separated list of folders),
//! 3. the chart's own `plugins/` folder,
//! 4. `$XDG_DATA_HOME/kubectl-chart/plugins` (else `~/.local/share/kubectl-chart/plugins`),
//! 5. `kubectl-chart/plugins` in each of `$XDG_DATA_DIRS` (else `/usr/local/share`,
//!    `/usr/share`): plugins the system installed.
//!
//! Trust. Every folder but the chart's was put there by the user or the system: its plugins
//! are [`Trust::Trusted`], and among them the first plugin of a name wins. The chart's own
//! plugins are [`Trust::Untrusted`]: a chart may add renderers, linters and post-renderers,
//! but a name that a trusted folder holds (even a plugin that failed to load or is disabled)
//! stays the trusted plugin's, so a chart can never replace, disable or reconfigure the
//! user's policy; each such conflict is a [`Warning`]. A chart's plugins' limits are capped
//! by [`super::Settings`], and its post-renderers run before the trusted ones, so the user's
//! post-renderers have the last word. `--no-chart-plugins` leaves the chart's folder out.
//!
//! Every `NAME.wasm` in a folder is a plugin named `NAME`; its kind comes from the interface
//! its component exports. A file found by searching that is not a usable plugin is skipped
//! with a [`Warning`]; a file named explicitly is an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::Component;

use super::call::Plugin;
use super::engine::{Host, Limits};
use super::sidecar::{Bounds, Sidecar};
use super::{Cache, Error, Kind, Result, WIT_PACKAGE, WIT_VERSION, files, text};
use crate::manifest::Object;

/// The longest plugin name.
pub const MAX_NAME_LEN: usize = 64;

/// The most `.wasm` files (and sidecars) one folder may hold.
pub const MAX_PLUGINS_PER_FOLDER: usize = 256;

/// Where a plugin folder or file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `--plugins-dir`.
    Flag,
    /// `$KUBECTL_CHART_PLUGINS`.
    Env,
    /// The chart's `plugins/` folder.
    Chart,
    /// `$XDG_DATA_HOME/kubectl-chart/plugins`.
    UserData,
    /// `kubectl-chart/plugins` in `$XDG_DATA_DIRS`.
    System,
}

impl Origin {
    /// How far plugins from here are trusted: only the chart's are not.
    pub fn trust(self) -> Trust {
        match self {
            Origin::Chart => Trust::Untrusted,
            Origin::Flag | Origin::Env | Origin::UserData | Origin::System => Trust::Trusted,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "--plugins-dir",
            Origin::Env => "$KUBECTL_CHART_PLUGINS",
            Origin::Chart => "chart",
            Origin::UserData => "user data",
            Origin::System => "system",
        })
    }
}

/// How far a plugin is trusted, from where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trust {
    /// Shipped by the chart: may add plugins, never replace, disable or reconfigure a trusted
    /// one; limits capped by the user's settings.
    Untrusted,
    /// Installed by the user or the system, or named by `--plugins-dir`.
    Trusted,
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trust::Trusted => "trusted",
            Trust::Untrusted => "untrusted",
        })
    }
}

/// The plugin folders (and explicitly named files) to search, in priority order, and what a
/// chart's plugins may use at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPath {
    entries: Vec<(PathBuf, Origin)>,
    chart_limits: Limits,
    /// The chart's folder, when `--no-chart-plugins` left it out (for messages).
    ignored_chart: Option<PathBuf>,
}

impl SearchPath {
    /// The folders DESIGN.md gives, reading the environment: `flag_dirs` (from
    /// `--plugins-dir`), `$KUBECTL_CHART_PLUGINS`, `chart_dir/plugins`, the user's data
    /// folder, then the system's.
    pub fn standard(flag_dirs: &[PathBuf], chart_dir: Option<&Path>) -> SearchPath {
        let mut search = SearchPath::default();
        for dir in flag_dirs {
            search.push(dir.clone(), Origin::Flag);
        }
        if let Some(list) = std::env::var_os("KUBECTL_CHART_PLUGINS") {
            for dir in std::env::split_paths(&list) {
                if !dir.as_os_str().is_empty() {
                    search.push(dir, Origin::Env);
                }
            }
        }
        if let Some(chart) = chart_dir
            && chart.is_dir()
        {
            search.push(chart.join("plugins"), Origin::Chart);
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".local").join("share"))
            });
        if let Some(data) = data {
            search.push(data.join("kubectl-chart").join("plugins"), Origin::UserData);
        }
        let system = std::env::var_os("XDG_DATA_DIRS")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
        for dir in std::env::split_paths(&system) {
            // The XDG spec: relative entries are invalid and ignored.
            if dir.is_absolute() {
                search.push(dir.join("kubectl-chart").join("plugins"), Origin::System);
            }
        }
        search
    }

    /// Adds a folder, or an explicitly named `.wasm` file, after the others.
    pub fn push(&mut self, path: PathBuf, origin: Origin) {
        self.entries.push((path, origin));
    }

    pub fn entries(&self) -> &[(PathBuf, Origin)] {
        &self.entries
    }

    /// Sets the most a chart's own plugins may use (from the user's [`super::Settings`]).
    pub fn set_chart_limits(&mut self, limits: Limits) {
        self.chart_limits = limits;
    }

    pub fn chart_limits(&self) -> &Limits {
        &self.chart_limits
    }

    /// Leaves the chart's `plugins/` folder out (`--no-chart-plugins`).
    pub fn ignore_chart_plugins(&mut self) {
        if let Some(at) = self.entries.iter().position(|(_, o)| *o == Origin::Chart) {
            self.ignored_chart = Some(self.entries.remove(at).0);
        }
        self.entries.retain(|(_, o)| *o != Origin::Chart);
    }

    fn describe(&self) -> String {
        let mut text = if self.entries.is_empty() {
            "no plugin folders".to_owned()
        } else {
            self.entries
                .iter()
                .map(|(path, _)| text::path(path))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(chart) = &self.ignored_chart {
            text.push_str(&format!(
                "; the chart's `{}` was left out by --no-chart-plugins",
                text::path(chart)
            ));
        }
        text
    }
}

/// Something discovery skipped or changed, for the user to know: one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A file found by searching that is not a usable plugin.
    Skipped { path: PathBuf, message: String },
    /// A chart's plugin (or sidecar) named like a trusted plugin: ignored.
    Shadowed {
        path: PathBuf,
        name: String,
        trusted: PathBuf,
        origin: Origin,
    },
    /// A chart's plugin that asked for more than chart plugins may use: capped.
    Capped {
        name: String,
        path: PathBuf,
        message: String,
    },
    /// The compiled-plugin cache refused an entry or is disabled.
    Cache { message: String },
}

impl Warning {
    /// The file the warning is about, if it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Warning::Skipped { path, .. }
            | Warning::Shadowed { path, .. }
            | Warning::Capped { path, .. } => Some(path),
            Warning::Cache { .. } => None,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Skipped { path, message } => {
                write!(f, "skipping plugin `{}`: {message}", text::path(path))
            }
            Warning::Shadowed {
                path,
                name,
                trusted,
                origin,
            } => {
                let (what, verb) = if path.extension().is_some_and(|e| e == "toml") {
                    ("sidecar", "reconfigure")
                } else {
                    ("plugin", "replace")
                };
                write!(
                    f,
                    "ignoring the chart's {what} `{}`: a chart may not {verb} the trusted plugin `{name}` (`{}`, from {origin})",
                    text::path(path),
                    text::path(trusted)
                )
            }
            Warning::Capped {
                name,
                path,
                message,
            } => write!(
                f,
                "chart plugin `{name}` (`{}`): {message}",
                text::path(path)
            ),
            Warning::Cache { message } => f.write_str(message),
        }
    }
}

/// The plugins found on a [`SearchPath`].
pub struct Registry {
    search: SearchPath,
    plugins: Vec<Plugin>,
    warnings: Vec<Warning>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("search", &self.search)
            .field(
                "plugins",
                &self.plugins.iter().map(Plugin::name).collect::<Vec<_>>(),
            )
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// The state of one discovery: the engine (made when the first `.wasm` file is found, so a
/// run without plugins pays nothing) and the names trusted folders hold.
struct Discovery<'a> {
    search: &'a SearchPath,
    registry: Registry,
    cache: Option<Option<Cache>>,
    host: Option<Arc<Host>>,
    /// Every name a trusted folder holds a `.wasm` file for (loaded or not), and the first
    /// such file: a chart may not use the name.
    claimed: BTreeMap<String, (PathBuf, Origin)>,
}

impl Discovery<'_> {
    fn host(&mut self) -> Result<Arc<Host>> {
        if let Some(host) = &self.host {
            return Ok(Arc::clone(host));
        }
        let host = Arc::new(Host::new(self.cache.take().flatten())?);
        self.host = Some(Arc::clone(&host));
        Ok(host)
    }

    fn warn(&mut self, warning: Warning) {
        self.registry.warnings.push(warning);
    }

    /// The `.wasm` files (and for the chart, the sidecars) of one folder or explicit file;
    /// `None` when the folder is to be passed over.
    fn list(&mut self, path: &Path, origin: Origin) -> Result<Option<Listing>> {
        let explicit = origin == Origin::Flag && path.extension().is_some_and(|e| e == "wasm");
        if explicit {
            return Ok(Some(Listing {
                wasm: vec![path.to_owned()],
                toml: Vec::new(),
            }));
        }
        match list_folder(path) {
            Ok(listing) => Ok(Some(listing)),
            Err(Error::ReadDir { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && origin != Origin::Flag =>
            {
                Ok(None)
            }
            // A chart's folder is the chart author's, not the user's: a problem with it is
            // reported and passed over, never a reason to stop.
            Err(err) if origin == Origin::Chart => {
                self.warn(Warning::Skipped {
                    path: path.to_owned(),
                    message: load_error_reason(&err),
                });
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    fn trusted_folder(&mut self, path: &Path, origin: Origin) -> Result<()> {
        let explicit = origin == Origin::Flag && path.extension().is_some_and(|e| e == "wasm");
        let Some(listing) = self.list(path, origin)? else {
            return Ok(());
        };
        for file in listing.wasm {
            let name = plugin_name(&file);
            self.claimed
                .entry(name.clone())
                .or_insert_with(|| (file.clone(), origin));
            if self.registry.get(&name).is_some() {
                // An earlier trusted folder has a plugin of this name: it wins.
                continue;
            }
            self.load(file, name, origin, explicit, None)?;
        }
        Ok(())
    }

    fn chart_folder(&mut self, path: &Path) -> Result<()> {
        let Some(listing) = self.list(path, Origin::Chart)? else {
            return Ok(());
        };
        for sidecar in &listing.toml {
            let name = plugin_name(sidecar);
            if let Some((trusted, origin)) = self.claimed.get(&name)
                && !listing.wasm.contains(&sidecar.with_extension("wasm"))
            {
                let warning = Warning::Shadowed {
                    path: sidecar.clone(),
                    name,
                    trusted: trusted.clone(),
                    origin: *origin,
                };
                self.warn(warning);
            }
        }
        for file in listing.wasm {
            let name = plugin_name(&file);
            if let Some((trusted, origin)) = self.claimed.get(&name) {
                let warning = Warning::Shadowed {
                    path: file,
                    name,
                    trusted: trusted.clone(),
                    origin: *origin,
                };
                self.warn(warning);
                continue;
            }
            let limits = self.search.chart_limits;
            self.load(file, name, Origin::Chart, false, Some(limits))?;
        }
        Ok(())
    }

    /// Loads one plugin; a problem with a file found by searching is a warning.
    fn load(
        &mut self,
        file: PathBuf,
        name: String,
        origin: Origin,
        explicit: bool,
        cap: Option<Limits>,
    ) -> Result<()> {
        if !valid_name(&name) {
            let err = Error::BadName { path: file.clone() };
            if explicit {
                return Err(err);
            }
            self.warn(Warning::Skipped {
                path: file,
                message: load_error_reason(&err),
            });
            return Ok(());
        }
        let sidecar_path = file.with_extension("toml");
        let bounds = match cap {
            Some(_) => Bounds::ToBeCapped,
            None => Bounds::Checked,
        };
        let mut sidecar = Sidecar::read_with(&sidecar_path, bounds)?;
        if let Some(max) = cap {
            let (limits, capped) = cap_limits(sidecar.limits, &max);
            sidecar.limits = limits;
            for message in capped {
                self.warn(Warning::Capped {
                    name: name.clone(),
                    path: sidecar_path.clone(),
                    message,
                });
            }
        }
        let host = self.host()?;
        match Plugin::load(host, &file, name, origin, sidecar) {
            Ok(plugin) => self.registry.plugins.push(plugin),
            Err(err) if err.is_load_error() && !explicit => {
                self.warn(Warning::Skipped {
                    message: load_error_reason(&err),
                    path: file,
                });
            }
            Err(err) => return Err(err),
        }
        Ok(())
    }
}

/// What one folder holds.
struct Listing {
    wasm: Vec<PathBuf>,
    toml: Vec<PathBuf>,
}

impl Registry {
    /// No plugins at all: what a run without plugin folders uses.
    pub fn empty() -> Registry {
        Registry {
            search: SearchPath::default(),
            plugins: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Loads every plugin on `search`, compiling through `cache`: the trusted folders first,
    /// in order, then the chart's (see the module documentation).
    pub fn discover(search: &SearchPath, cache: Option<Cache>) -> Result<Registry> {
        let mut discovery = Discovery {
            search,
            registry: Registry {
                search: search.clone(),
                plugins: Vec::new(),
                warnings: Vec::new(),
            },
            cache: Some(cache),
            host: None,
            claimed: BTreeMap::new(),
        };
        let result = (|| {
            for (path, origin) in &search.entries {
                if origin.trust() == Trust::Trusted {
                    discovery.trusted_folder(path, *origin)?;
                }
            }
            for (path, origin) in &search.entries {
                if origin.trust() == Trust::Untrusted {
                    discovery.chart_folder(path)?;
                }
            }
            Ok(())
        })();
        if let Some(cache) = discovery.host.as_ref().and_then(|h| h.cache()) {
            for message in cache.take_warnings() {
                discovery.registry.warnings.push(Warning::Cache { message });
            }
        }
        result.map(|()| discovery.registry)
    }

    /// Every plugin found, enabled or not: the trusted ones in search order, then the chart's.
    pub fn plugins(&self) -> &[Plugin] {
        &self.plugins
    }

    /// What was skipped, ignored or capped.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    pub fn search_path(&self) -> &SearchPath {
        &self.search
    }

    /// The plugin named `name`, enabled or not.
    pub fn get(&self, name: &str) -> Option<&Plugin> {
        self.plugins.iter().find(|p| p.name() == name)
    }

    /// The plugin named `name`, which must exist, be enabled and be of `kind`.
    pub fn require(&self, name: &str, kind: Kind) -> Result<&Plugin> {
        let Some(plugin) = self.get(name) else {
            let mut searched = self.search.describe();
            if let Some(warning) = self
                .warnings
                .iter()
                .find(|w| w.path().is_some_and(|p| plugin_name(p) == name))
            {
                searched.push_str(&format!("; {warning}"));
            }
            return Err(Error::NotFound {
                name: name.to_owned(),
                searched,
            });
        };
        if !plugin.sidecar().enabled {
            return Err(Error::Disabled {
                name: name.to_owned(),
                path: plugin.path().with_extension("toml"),
            });
        }
        if plugin.kind() != kind {
            return Err(Error::WrongKind {
                name: name.to_owned(),
                expected: kind,
                actual: plugin.kind(),
            });
        }
        Ok(plugin)
    }

    /// Enabled plugins of `kind`, in the order they run: the chart's first, then the trusted
    /// ones (so the user's post-renderers have the last word), each by `order`, then by name.
    pub fn enabled(&self, kind: Kind) -> Vec<&Plugin> {
        let mut plugins: Vec<&Plugin> = self
            .plugins
            .iter()
            .filter(|p| p.kind() == kind && p.sidecar().enabled)
            .collect();
        plugins.sort_by(|a, b| {
            (a.origin().trust(), a.sidecar().order, a.name()).cmp(&(
                b.origin().trust(),
                b.sidecar().order,
                b.name(),
            ))
        });
        plugins
    }

    /// Runs every enabled post-renderer, in order, each on the previous one's output.
    pub fn post_render(&self, mut objects: Vec<Object>) -> Result<Vec<Object>> {
        for plugin in self.enabled(Kind::PostRenderer) {
            objects = plugin.post_render(&objects)?;
        }
        Ok(objects)
    }

    /// Every enabled linter plugin, ready for the lint runner.
    pub fn linters(&self) -> Vec<super::WasmLinter> {
        self.enabled(Kind::Linter)
            .into_iter()
            .map(|plugin| super::WasmLinter::new(plugin.clone()))
            .collect()
    }
}

/// A plugin's name: its file stem (`plugins/jinja.wasm` is `jinja`).
pub fn plugin_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A name that prints safely everywhere (tables, messages, `renderer:`): 1 to 64 ASCII
/// letters, digits, `-`, `_` or `.`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `limits` capped by `max`, and a message for each value that was lowered.
fn cap_limits(limits: Limits, max: &Limits) -> (Limits, Vec<String>) {
    let mut capped = limits;
    let mut messages = Vec::new();
    let hint = "the most a chart's plugins may use (the user's plugins.toml can raise it)";
    if limits.timeout > max.timeout {
        capped.timeout = max.timeout;
        messages.push(format!(
            "a {} ms timeout is capped at {} ms, {hint}",
            limits.timeout.as_millis(),
            max.timeout.as_millis()
        ));
    }
    if limits.memory > max.memory {
        capped.memory = max.memory;
        messages.push(format!(
            "{} of memory is capped at {}, {hint}",
            text::size(limits.memory),
            text::size(max.memory)
        ));
    }
    if limits.output > max.output {
        capped.output = max.output;
        messages.push(format!(
            "{} of output is capped at {}, {hint}",
            text::size(limits.output as u64),
            text::size(max.output as u64)
        ));
    }
    (capped, messages)
}

/// The `.wasm` files and `.toml` sidecars in `dir`, sorted; only names are looked at here,
/// each file is checked when it is read.
fn list_folder(dir: &Path) -> Result<Listing> {
    let read_error = |source| Error::ReadDir {
        path: dir.to_owned(),
        source,
    };
    let meta = std::fs::metadata(dir).map_err(read_error)?;
    if !meta.is_dir() {
        return Err(Error::NotAFolder {
            path: dir.to_owned(),
            kind: files::describe(&meta),
        });
    }
    let mut listing = Listing {
        wasm: Vec::new(),
        toml: Vec::new(),
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let list = match path.extension() {
            Some(e) if e == "wasm" => &mut listing.wasm,
            Some(e) if e == "toml" => &mut listing.toml,
            _ => continue,
        };
        if list.len() == MAX_PLUGINS_PER_FOLDER {
            return Err(Error::TooManyPlugins {
                path: dir.to_owned(),
                limit: MAX_PLUGINS_PER_FOLDER,
            });
        }
        list.push(path);
    }
    listing.wasm.sort();
    listing.toml.sort();
    Ok(listing)
}

/// The part of a load error after the file name, for a warning that names the file itself.
fn load_error_reason(err: &Error) -> String {
    let text = err.to_string();
    match err {
        Error::Read { source, .. } | Error::ReadDir { source, .. } => source.to_string(),
        _ => {
            let rest = text
                .split_once("` ")
                .map_or(text.as_str(), |(_, rest)| rest);
            rest.strip_prefix("is ").unwrap_or(rest).to_owned()
        }
    }
}

/// The kind of plugin `component` is, and the WIT version it was built against.
pub(crate) fn exported_kind(
    engine: &Engine,
    component: &Component,
    path: &Path,
) -> Result<(Kind, String)> {
    let prefix = format!("{WIT_PACKAGE}/");
    let ty = component.component_type();
    let mut names = Vec::new();
    let mut ours: Vec<(Kind, String)> = Vec::new();
    let mut incompatible = None;
    for (name, _) in ty.exports(engine) {
        names.push(text::one_line(name, text::QUOTE_CHARS));
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        let Some(kind) = Kind::from_interface(interface) else {
            continue;
        };
        if compatible(version) {
            ours.push((kind, version.to_owned()));
        } else {
            incompatible = Some(if version.is_empty() {
                "(unversioned)".to_owned()
            } else {
                text::one_line(version, text::QUOTE_CHARS)
            });
        }
    }
    match ours.len() {
        1 => Ok(ours.remove(0)),
        0 => match incompatible {
            Some(found) => Err(Error::IncompatibleVersion {
                path: path.to_owned(),
                found,
            }),
            None => Err(Error::NotAPlugin {
                path: path.to_owned(),
                exports: names,
            }),
        },
        _ => Err(Error::SeveralKinds {
            path: path.to_owned(),
            kinds: ours
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Semver compatibility with [`WIT_VERSION`]: same major, and same minor while major is 0.
fn compatible(version: &str) -> bool {
    let (Ok(found), Ok(ours)) = (
        semver::Version::parse(version),
        semver::Version::parse(WIT_VERSION),
    ) else {
        return false;
    };
    found.major == ours.major && (ours.major > 0 || found.minor == ours.minor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn versions() {
        for (v, ok) in [
            ("0.1.0", true),
            ("0.1.7", true),
            ("0.2.0", false),
            ("1.0.0", false),
            ("", false),
            ("x", false),
        ] {
            assert_eq!(compatible(v), ok, "{v}");
        }
    }

    #[test]
    fn names_are_file_stems() {
        assert_eq!(plugin_name(Path::new("/p/jinja.wasm")), "jinja");
        assert_eq!(
            plugin_name(Path::new("image_rewriter.wasm")),
            "image_rewriter"
        );
    }

    #[test]
    fn names_that_print_safely() {
        for (name, ok) in [
            ("policy", true),
            ("image_rewriter", true),
            ("a-b.v2", true),
            ("X9", true),
            ("", false),
            ("a b", false),
            ("a\nb", false),
            ("é", false),
            ("a\u{1b}[2J", false),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
        ] {
            assert_eq!(valid_name(name), ok, "{name:?}");
        }
    }

    #[test]
    fn trust_by_origin() {
        for (origin, trust) in [
            (Origin::Flag, Trust::Trusted),
            (Origin::Env, Trust::Trusted),
            (Origin::UserData, Trust::Trusted),
            (Origin::System, Trust::Trusted),
            (Origin::Chart, Trust::Untrusted),
        ] {
            assert_eq!(origin.trust(), trust, "{origin}");
        }
        // Untrusted sorts first: the chart's post-renderers run before the user's.
        assert!(Trust::Untrusted < Trust::Trusted);
    }

    #[test]
    fn chart_limits_are_capped_by_the_maximum() {
        let max = Limits::default();
        let mib = 1024 * 1024;
        for (timeout_ms, memory_mib, output_mib, expected) in [
            (2000, 256, 64, vec![]),
            (10, 1, 1, vec![]),
            (
                3_600_000,
                256,
                64,
                vec!["a 3600000 ms timeout is capped at 2000 ms"],
            ),
            (
                2000,
                4096,
                4096,
                vec![
                    "4.0 GiB of memory is capped at 256.0 MiB",
                    "4.0 GiB of output is capped at 64.0 MiB",
                ],
            ),
        ] {
            let asked = Limits {
                timeout: Duration::from_millis(timeout_ms),
                memory: memory_mib * mib,
                output: usize::try_from(output_mib * mib).unwrap(),
            };
            let (capped, messages) = cap_limits(asked, &max);
            assert!(capped.timeout <= max.timeout);
            assert!(capped.memory <= max.memory);
            assert!(capped.output <= max.output);
            assert_eq!(capped.timeout, asked.timeout.min(max.timeout));
            assert_eq!(messages.len(), expected.len(), "{messages:?}");
            for (message, expected) in messages.iter().zip(&expected) {
                assert!(message.starts_with(expected), "{message}");
            }
        }
    }

    #[test]
    fn warnings_are_one_line_and_name_the_conflict() {
        let shadowed = Warning::Shadowed {
            path: PathBuf::from("c/plugins/policy.wasm"),
            name: "policy".into(),
            trusted: PathBuf::from("/home/u/.local/share/kubectl-chart/plugins/policy.wasm"),
            origin: Origin::UserData,
        };
        assert_eq!(
            shadowed.to_string(),
            "ignoring the chart's plugin `c/plugins/policy.wasm`: a chart may not replace the trusted plugin `policy` (`/home/u/.local/share/kubectl-chart/plugins/policy.wasm`, from user data)"
        );
        let sidecar = Warning::Shadowed {
            path: PathBuf::from("c/plugins/policy.toml"),
            name: "policy".into(),
            trusted: PathBuf::from("/p/policy.wasm"),
            origin: Origin::Flag,
        };
        assert!(
            sidecar
                .to_string()
                .contains("sidecar `c/plugins/policy.toml`: a chart may not reconfigure"),
            "{sidecar}"
        );
        let skipped = Warning::Skipped {
            path: PathBuf::from("p/a\nb.wasm"),
            message: "x".into(),
        };
        assert_eq!(skipped.to_string(), "skipping plugin `p/a\\nb.wasm`: x");
    }

    #[test]
    fn search_path_order() {
        let chart = tempfile::tempdir().unwrap();
        let mut search = SearchPath::standard(&[PathBuf::from("/flag")], Some(chart.path()));
        let origins: Vec<Origin> = search.entries().iter().map(|(_, o)| *o).collect();
        assert_eq!(origins.first(), Some(&Origin::Flag));
        let chart_at = origins.iter().position(|o| *o == Origin::Chart).unwrap();
        assert!(
            origins[..chart_at]
                .iter()
                .all(|o| matches!(o, Origin::Flag | Origin::Env))
        );
        assert!(
            origins[chart_at + 1..]
                .iter()
                .all(|o| matches!(o, Origin::UserData | Origin::System))
        );
        assert_eq!(search.entries()[chart_at].0, chart.path().join("plugins"));
        search.ignore_chart_plugins();
        assert!(search.entries().iter().all(|(_, o)| *o != Origin::Chart));
        assert!(
            search
                .describe()
                .contains("was left out by --no-chart-plugins"),
            "{}",
            search.describe()
        );
    }
}
