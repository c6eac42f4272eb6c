//! Finding plugins: the folders to search, in order, and [`Registry`], the plugins found there.
//!
//! Folders, first match of a name wins (DESIGN.md):
//! 1. `--plugins-dir` (repeatable; a `.wasm` file there names one plugin explicitly),
//! 2. `$KUBECTL_CHART_PLUGINS` (a `:`-separated list of folders),
//! 3. the chart's own `plugins/` folder,
//! 4. `$XDG_DATA_HOME/kubectl-chart/plugins` (else `~/.local/share/kubectl-chart/plugins`).
//!
//! Every `NAME.wasm` in a folder is a plugin named `NAME`; its kind comes from the interface
//! its component exports. A file found by searching that is not a usable plugin is skipped
//! with a [`Warning`]; a file named explicitly is an error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::Component;

use super::call::Plugin;
use super::engine::Host;
use super::sidecar::Sidecar;
use super::{Cache, Error, Kind, Result, WIT_PACKAGE, WIT_VERSION};
use crate::manifest::Object;

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
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "--plugins-dir",
            Origin::Env => "$KUBECTL_CHART_PLUGINS",
            Origin::Chart => "chart",
            Origin::UserData => "user data",
        })
    }
}

/// The plugin folders (and explicitly named files) to search, in priority order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPath {
    entries: Vec<(PathBuf, Origin)>,
}

impl SearchPath {
    /// The folders DESIGN.md gives, reading the environment: `flag_dirs` (from
    /// `--plugins-dir`), `$KUBECTL_CHART_PLUGINS`, `chart_dir/plugins`, then the user's data
    /// folder.
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
        search
    }

    /// Adds a folder, or an explicitly named `.wasm` file, after the others.
    pub fn push(&mut self, path: PathBuf, origin: Origin) {
        self.entries.push((path, origin));
    }

    pub fn entries(&self) -> &[(PathBuf, Origin)] {
        &self.entries
    }

    fn describe(&self) -> String {
        if self.entries.is_empty() {
            return "no plugin folders".to_owned();
        }
        self.entries
            .iter()
            .map(|(path, _)| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A plugin file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "skipping plugin `{}`: {}",
            self.path.display(),
            self.message
        )
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

impl Registry {
    /// No plugins at all: what a run without plugin folders uses.
    pub fn empty() -> Registry {
        Registry {
            search: SearchPath::default(),
            plugins: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Loads every plugin on `search`, compiling through `cache`. The engine is created only
    /// when there is at least one `.wasm` file, so a run without plugins pays nothing.
    pub fn discover(search: &SearchPath, cache: Option<Cache>) -> Result<Registry> {
        let mut registry = Registry {
            search: search.clone(),
            plugins: Vec::new(),
            warnings: Vec::new(),
        };
        let mut cache = Some(cache);
        let mut host: Option<Arc<Host>> = None;
        for (path, origin) in &search.entries {
            let explicit = *origin == Origin::Flag && path.extension().is_some_and(|e| e == "wasm");
            let files = if explicit {
                vec![path.clone()]
            } else {
                match list_wasm_files(path) {
                    Ok(files) => files,
                    Err(Error::ReadDir { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound
                            && *origin != Origin::Flag =>
                    {
                        continue;
                    }
                    Err(err) => return Err(err),
                }
            };
            for file in files {
                let name = plugin_name(&file);
                if registry.get(&name).is_some() {
                    // An earlier folder has a plugin of this name: it wins.
                    continue;
                }
                let sidecar = Sidecar::read(&file.with_extension("toml"))?;
                let host = match &host {
                    Some(host) => Arc::clone(host),
                    None => {
                        let new = Arc::new(Host::new(cache.take().flatten())?);
                        host = Some(Arc::clone(&new));
                        new
                    }
                };
                match Plugin::load(host, &file, name, *origin, sidecar) {
                    Ok(plugin) => registry.plugins.push(plugin),
                    Err(err) if err.is_load_error() && !explicit => {
                        registry.warnings.push(Warning {
                            path: file.clone(),
                            message: load_error_reason(&err),
                        });
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(registry)
    }

    /// Every plugin found, enabled or not, in search order.
    pub fn plugins(&self) -> &[Plugin] {
        &self.plugins
    }

    /// Files that were skipped.
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
            if let Some(warning) = self.warnings.iter().find(|w| plugin_name(&w.path) == name) {
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

    /// Enabled plugins of `kind`, in the order they run: by `order`, then by name.
    pub fn enabled(&self, kind: Kind) -> Vec<&Plugin> {
        let mut plugins: Vec<&Plugin> = self
            .plugins
            .iter()
            .filter(|p| p.kind() == kind && p.sidecar().enabled)
            .collect();
        plugins.sort_by(|a, b| (a.sidecar().order, a.name()).cmp(&(b.sidecar().order, b.name())));
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

fn list_wasm_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let read_error = |source| Error::ReadDir {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.extension().is_some_and(|e| e == "wasm") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The part of a load error after the file name, for a warning that names the file itself.
fn load_error_reason(err: &Error) -> String {
    let text = err.to_string();
    match err {
        Error::Read { source, .. } => source.to_string(),
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
        names.push(name.to_owned());
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
                version.to_owned()
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
    fn search_path_order() {
        let chart = tempfile::tempdir().unwrap();
        // SAFETY of env changes: this is the only test in the crate touching these variables.
        let search = SearchPath::standard(&[PathBuf::from("/flag")], Some(chart.path()));
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
                .all(|o| *o == Origin::UserData)
        );
        assert_eq!(search.entries()[chart_at].0, chart.path().join("plugins"));
    }
}
