//! Charts: loading a chart folder or packaged `.tgz` into memory, `Chart.yaml` metadata, and
//! the split of its files into templates, partials, notes and plain files. No cluster here.

pub mod constraint;
pub mod strvals;
pub mod values;
mod values_yaml;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::yaml;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("chart `{}` not found", path.display())]
    NotFound { path: PathBuf },
    #[error("failed to read chart file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a chart: it has no Chart.yaml", path.display())]
    NoChartYaml { path: PathBuf },
    #[error("`{}` line {line}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}`: {message}", path.display())]
    Metadata { path: PathBuf, message: String },
    #[error("`{}` is not valid JSON at line {line}: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}` is not a valid chart archive: {message}", path.display())]
    Archive { path: PathBuf, message: String },
    #[error("`{}` is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("`{}` is neither a chart folder nor a chart archive file", path.display())]
    NotAFile { path: PathBuf },
    #[error(
        "chart {} `{}`: file `{file}` is larger than the {} MiB limit per file",
        kind.noun(), path.display(), MAX_FILE_SIZE >> 20
    )]
    FileTooLarge {
        kind: Source,
        path: PathBuf,
        file: String,
    },
    #[error(
        "chart {} `{}` holds more than the {} MiB limit for a chart",
        kind.noun(), path.display(), MAX_CHART_SIZE >> 20
    )]
    ChartTooLarge { kind: Source, path: PathBuf },
    #[error("chart folder `{}` holds more than {MAX_CHART_ENTRIES} files and folders", path.display())]
    TooManyEntries { path: PathBuf },
    #[error("chart folder `{}`: `{file}` is not a regular file (a pipe, device or socket)", path.display())]
    Irregular { path: PathBuf, file: String },
    #[error("chart folder `{}`: `{file}` is a symlink to a folder that contains it (a loop)", path.display())]
    SymlinkLoop { path: PathBuf, file: String },
    #[error(
        "chart `{chart}` requires kubeVersion `{constraint}`, which is incompatible with Kubernetes {kube_version}"
    )]
    KubeVersion {
        chart: String,
        constraint: String,
        kube_version: String,
    },
    #[error("chart `{chart}` has an invalid kubeVersion `{constraint}`")]
    KubeVersionSyntax {
        chart: String,
        constraint: String,
        #[source]
        source: constraint::Error,
    },
    #[error("chart `{chart}` is a library chart: it can be used as a dependency but not rendered")]
    Library { chart: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Helm's `MaxDecompressedFileSize`: no chart file, packed or not, may be larger.
pub const MAX_FILE_SIZE: u64 = 5 << 20;
/// Helm's `MaxDecompressedChartSize`: all of a chart's files together.
pub const MAX_CHART_SIZE: u64 = 100 << 20;
/// Files and folders walked in a chart folder: symlinks between folders (not loops, which
/// are refused) could otherwise multiply a small tree without bound.
pub const MAX_CHART_ENTRIES: usize = 100_000;

/// Where a chart's files come from, for messages about limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Folder,
    Archive,
}

impl Source {
    fn noun(self) -> &'static str {
        match self {
            Source::Folder => "folder",
            Source::Archive => "archive",
        }
    }
}

/// `Chart.yaml`, as Helm reads it. Unknown keys are kept in `extra` so nothing is lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub chart_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// The renderer plugin to use instead of the built-in Handlebars engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renderer: Option<String>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// A template file: its path relative to the chart root (`templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub path: String,
    pub text: String,
}

/// A chart loaded into memory. Paths inside are relative to the chart root, with `/`.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Where the chart was loaded from, for error messages.
    pub location: PathBuf,
    pub metadata: Metadata,
    /// `values.yaml` (an empty map when absent).
    pub values: Value,
    /// `values.schema.json`, when present.
    pub schema: Option<Value>,
    /// Templates that produce objects, sorted by path.
    pub templates: Vec<Template>,
    /// Files in `templates/` whose name starts with `_`: they define partials.
    pub partials: Vec<Template>,
    /// `templates/NOTES.txt`, rendered for the user after install.
    pub notes: Option<Template>,
    /// Every other file of the chart, for `Files` in templates.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Chart {
    /// The chart's name (from `Chart.yaml`).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The full path of a chart file, for error messages.
    pub fn file_path(&self, relative: &str) -> PathBuf {
        self.location.join(relative)
    }

    /// Checks `kubeVersion` from `Chart.yaml` against the cluster's version (`v1.35.0`).
    pub fn check_kube_version(&self, kube_version: &str) -> Result<()> {
        let Some(constraint) = self.metadata.kube_version.as_deref() else {
            return Ok(());
        };
        let ok = constraint::matches(constraint, kube_version).map_err(|source| {
            Error::KubeVersionSyntax {
                chart: self.name().to_owned(),
                constraint: constraint.to_owned(),
                source,
            }
        })?;
        if ok {
            Ok(())
        } else {
            Err(Error::KubeVersion {
                chart: self.name().to_owned(),
                constraint: constraint.to_owned(),
                kube_version: kube_version.to_owned(),
            })
        }
    }

    /// Fails for library charts, which Helm refuses to install or render.
    pub fn check_renderable(&self) -> Result<()> {
        if self.metadata.chart_type.as_deref() == Some("library") {
            return Err(Error::Library {
                chart: self.name().to_owned(),
            });
        }
        Ok(())
    }
}

/// Loads a chart from a folder or a packaged chart (`.tgz`, as `helm package` writes).
pub fn load(path: &Path) -> Result<Chart> {
    let meta = fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_owned(),
        },
        _ => Error::Read {
            path: path.to_owned(),
            source,
        },
    })?;
    let files = if meta.is_dir() {
        read_dir_files(path)?
    } else if meta.is_file() {
        read_archive_files(path)?
    } else {
        // A pipe or device would be read forever, or block.
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    };
    from_files(path, files)
}

/// Builds a chart from its files (paths relative to the chart root).
pub fn from_files(location: &Path, mut files: BTreeMap<String, Vec<u8>>) -> Result<Chart> {
    let chart_yaml_path = location.join("Chart.yaml");
    let chart_yaml = files
        .remove("Chart.yaml")
        .ok_or_else(|| Error::NoChartYaml {
            path: location.to_owned(),
        })?;
    let metadata = parse_metadata(&chart_yaml_path, &chart_yaml)?;

    let values = match files.remove("values.yaml") {
        Some(bytes) => parse_values_yaml(&location.join("values.yaml"), &bytes)?,
        None => Value::Object(Default::default()),
    };
    let schema = match files.remove("values.schema.json") {
        Some(bytes) => {
            let path = location.join("values.schema.json");
            Some(serde_json::from_slice(&bytes).map_err(|err| Error::Json {
                path,
                line: err.line(),
                message: err.to_string(),
            })?)
        }
        None => None,
    };

    let mut templates = Vec::new();
    let mut partials = Vec::new();
    let mut notes = None;
    let mut rest = BTreeMap::new();
    for (path, bytes) in files {
        let Some(inner) = path.strip_prefix("templates/") else {
            // Subcharts and plugins are not chart files that templates can read.
            if !path.starts_with("charts/") && !path.starts_with("plugins/") {
                rest.insert(path, bytes);
            }
            continue;
        };
        let text = String::from_utf8(bytes).map_err(|_| Error::NotText {
            path: location.join(&path),
        })?;
        let file_name = inner.rsplit('/').next().unwrap_or(inner);
        let is_notes = inner == "NOTES.txt";
        let is_partial = file_name.starts_with('_');
        let template = Template { path, text };
        if is_notes {
            notes = Some(template);
        } else if is_partial {
            partials.push(template);
        } else {
            templates.push(template);
        }
    }

    Ok(Chart {
        location: location.to_owned(),
        metadata,
        values,
        schema,
        templates,
        partials,
        notes,
        files: rest,
    })
}

fn parse_metadata(path: &Path, bytes: &[u8]) -> Result<Metadata> {
    let metadata: Metadata = yaml::from_slice(bytes).map_err(|err| yaml_error(path, &err))?;
    let invalid = |message: &str| Error::Metadata {
        path: path.to_owned(),
        message: message.to_owned(),
    };
    if metadata.api_version.is_empty() {
        return Err(invalid("apiVersion is required (v2 for new charts)"));
    }
    if metadata.api_version != "v1" && metadata.api_version != "v2" {
        return Err(invalid(&format!(
            "apiVersion `{}` is not supported (use v2)",
            metadata.api_version
        )));
    }
    if metadata.name.is_empty() {
        return Err(invalid("name is required"));
    }
    if metadata.name.contains('/') || metadata.name.contains('\\') {
        return Err(invalid("name must not contain a path separator"));
    }
    if metadata.version.is_empty() {
        return Err(invalid("version is required"));
    }
    if semver::Version::parse(metadata.version.trim_start_matches('v')).is_err() {
        return Err(invalid(&format!(
            "version `{}` is not a valid semantic version",
            metadata.version
        )));
    }
    if let Some(kind) = metadata.chart_type.as_deref()
        && kind != "application"
        && kind != "library"
    {
        return Err(invalid(&format!(
            "type `{kind}` is invalid (application or library)"
        )));
    }
    Ok(metadata)
}

/// Parses a values file: a YAML map, or empty.
///
/// Read as Helm reads values (YAML 1.1 scalars, documents merged): see `values_yaml`.
pub fn parse_values_yaml(path: &Path, bytes: &[u8]) -> Result<Value> {
    values_yaml::parse(bytes)
        .map(Value::Object)
        .map_err(|err| Error::Yaml {
            path: path.to_owned(),
            line: err.line,
            message: err.message,
        })
}

fn yaml_error(path: &Path, err: &yaml::Error) -> Error {
    let (line, message) = yaml::error_position(err);
    Error::Yaml {
        path: path.to_owned(),
        line,
        message,
    }
}

/// Reads a chart folder's files, as Helm's `LoadDir` does: `.helmignore` applied, symlinks
/// followed (a symlink to a folder that contains it is a loop, refused), only regular files,
/// each within [`MAX_FILE_SIZE`] and all within [`MAX_CHART_SIZE`].
fn read_dir_files(root: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Read { path, source }
    };
    let ignore_path = root.join(".helmignore");
    let ignore = match fs::metadata(&ignore_path) {
        Ok(meta) if meta.is_file() => {
            let bytes = read_file_within(root, ".helmignore", &ignore_path, &meta)?;
            IgnoreRules::parse(&String::from_utf8_lossy(&bytes))
        }
        _ => IgnoreRules::default(),
    };
    let canonical_root = fs::canonicalize(root).map_err(read_error(root))?;
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    let mut entries_seen = 0;
    // Each folder to read with its prefix and the real paths of the folders holding it.
    let mut stack = vec![(root.to_owned(), String::new(), vec![canonical_root])];
    while let Some((dir, prefix, ancestors)) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(read_error(&dir))?;
        for entry in entries {
            let entry = entry.map_err(read_error(&dir))?;
            entries_seen += 1;
            if entries_seen > MAX_CHART_ENTRIES {
                return Err(Error::TooManyEntries {
                    path: root.to_owned(),
                });
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = format!("{prefix}{name}");
            let path = entry.path();
            // Follows symlinks, as Helm does.
            let meta = fs::metadata(&path).map_err(read_error(&path))?;
            if name == ".git" || ignore.ignores(&relative, meta.is_dir()) {
                continue;
            }
            if meta.is_dir() {
                let real = fs::canonicalize(&path).map_err(read_error(&path))?;
                if ancestors.contains(&real) {
                    return Err(Error::SymlinkLoop {
                        path: root.to_owned(),
                        file: relative,
                    });
                }
                let mut inner = ancestors.clone();
                inner.push(real);
                stack.push((path, format!("{relative}/"), inner));
            } else if meta.is_file() {
                let bytes = read_file_within(root, &relative, &path, &meta)?;
                total += bytes.len() as u64;
                if total > MAX_CHART_SIZE {
                    return Err(Error::ChartTooLarge {
                        kind: Source::Folder,
                        path: root.to_owned(),
                    });
                }
                files.insert(relative, bytes);
            } else {
                return Err(Error::Irregular {
                    path: root.to_owned(),
                    file: relative,
                });
            }
        }
    }
    Ok(files)
}

/// Reads one regular file of a chart folder, refusing it unread when it is too large.
fn read_file_within(
    root: &Path,
    relative: &str,
    path: &Path,
    meta: &fs::Metadata,
) -> Result<Vec<u8>> {
    let too_large = || Error::FileTooLarge {
        kind: Source::Folder,
        path: root.to_owned(),
        file: relative.to_owned(),
    };
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let read_error = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    // The file may grow between the check and the read.
    fs::File::open(path)
        .map_err(read_error)?
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads a packaged chart (`.tgz`), each file within [`MAX_FILE_SIZE`] (checked on the tar
/// header, before unpacking it) and all within [`MAX_CHART_SIZE`] (the tar stream itself is
/// capped too, so a flood of headers or skipped entries cannot run on).
fn read_archive_files(path: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let archive_error = |message: String| Error::Archive {
        path: path.to_owned(),
        message,
    };
    let too_large = || Error::ChartTooLarge {
        kind: Source::Archive,
        path: path.to_owned(),
    };
    let file = fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let stream = Capped::new(flate2::read::GzDecoder::new(file), 2 * MAX_CHART_SIZE);
    let capped = stream.exceeded.clone();
    // Whatever the tar reader makes of a stream cut at the cap, the cap is the cause.
    let fail = |message: String| {
        if capped.get() {
            too_large()
        } else {
            // The tar reader quotes the bytes it could not read: keep it short and printable.
            archive_error(crate::quote::short(&message))
        }
    };
    let mut archive = tar::Archive::new(stream);
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    let mut top: Option<String> = None;
    let entries = archive.entries().map_err(|err| fail(err.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| fail(err.to_string()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|err| fail(err.to_string()))?
            .to_string_lossy()
            .replace('\\', "/");
        // Helm packages put every file under one folder named after the chart.
        let Some((first, rest)) = name.split_once('/') else {
            return Err(archive_error(format!(
                "`{name}` is outside the chart folder"
            )));
        };
        if rest.split('/').any(|part| part == "..") {
            return Err(archive_error(format!("`{name}` escapes the chart folder")));
        }
        match &top {
            None => top = Some(first.to_owned()),
            Some(t) if t != first => {
                return Err(archive_error(format!(
                    "more than one top-level folder (`{t}` and `{first}`)"
                )));
            }
            Some(_) => {}
        }
        let file_too_large = || Error::FileTooLarge {
            kind: Source::Archive,
            path: path.to_owned(),
            file: rest.to_owned(),
        };
        if entry.size() > MAX_FILE_SIZE {
            return Err(file_too_large());
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| fail(err.to_string()))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(file_too_large());
        }
        total += bytes.len() as u64;
        if total > MAX_CHART_SIZE {
            return Err(too_large());
        }
        files.insert(rest.to_owned(), bytes);
    }
    if capped.get() {
        return Err(too_large());
    }
    if files.is_empty() {
        return Err(archive_error("the archive holds no files".to_owned()));
    }
    Ok(files)
}

/// A reader that ends (and says so) after `limit` bytes.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Capped<R> {
    fn new(inner: R, limit: u64) -> Self {
        Capped {
            inner,
            left: limit,
            exceeded: Default::default(),
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends at the limit from a longer one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.exceeded.set(true);
            }
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..max])?;
        self.left -= read as u64;
        Ok(read)
    }
}

/// A subset of `.helmignore` (gitignore-like) rules: `name`, `*.ext`, `dir/`, `/anchored`, `!negation`.
#[derive(Debug, Default)]
struct IgnoreRules {
    rules: Vec<(String, bool, bool, bool)>, // pattern, dir_only, anchored, negated
}

impl IgnoreRules {
    fn parse(text: &str) -> Self {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, line) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let (dir_only, line) = match line.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let (anchored, line) = match line.strip_prefix('/') {
                Some(rest) => (true, rest),
                None => (line.contains('/'), line),
            };
            rules.push((line.to_owned(), dir_only, anchored, negated));
        }
        IgnoreRules { rules }
    }

    fn ignores(&self, relative: &str, is_dir: bool) -> bool {
        // Chart.yaml is never ignored, whatever the rules say, as in Helm.
        if relative == "Chart.yaml" {
            return false;
        }
        let base = relative.rsplit('/').next().unwrap_or(relative);
        let mut ignored = false;
        for (pattern, dir_only, anchored, negated) in &self.rules {
            if *dir_only && !is_dir {
                continue;
            }
            let hit = if *anchored {
                glob_match(pattern, relative)
            } else {
                glob_match(pattern, base)
            };
            if hit {
                ignored = !negated;
            }
        }
        ignored
    }
}

/// Shell-style glob over one path: `*` and `?` do not cross `/`, `**` does.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
                (0..=t.len()).any(|i| go(rest, &t[i..]))
            }
            Some(b'*') => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| go(&p[1..], &t[i..])),
            Some(b'?') => t.first().is_some_and(|&c| c != b'/') && go(&p[1..], &t[1..]),
            Some(&c) => t.first() == Some(&c) && go(&p[1..], &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn splits_templates_partials_notes_and_files() {
        let chart = from_files(
            Path::new("c"),
            files(&[
                ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
                ("values.yaml", "a: 1\n"),
                ("templates/b.yaml", "b"),
                ("templates/a.yaml", "a"),
                ("templates/_helpers.tpl", "h"),
                ("templates/sub/_more.hbs", "m"),
                ("templates/NOTES.txt", "n"),
                ("config/app.ini", "x=1"),
                ("charts/dep/Chart.yaml", "x"),
            ]),
        )
        .unwrap();
        let paths: Vec<_> = chart.templates.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(paths, ["templates/a.yaml", "templates/b.yaml"]);
        assert_eq!(chart.partials.len(), 2);
        assert_eq!(chart.notes.unwrap().text, "n");
        assert_eq!(chart.files.keys().collect::<Vec<_>>(), ["config/app.ini"]);
        assert_eq!(chart.values["a"], 1);
    }

    #[test]
    fn chart_yaml_errors_name_the_file() {
        let cases = [
            ("name: c\nversion: 1.0.0\n", "apiVersion is required"),
            ("apiVersion: v2\nversion: 1.0.0\n", "name is required"),
            ("apiVersion: v2\nname: c\n", "version is required"),
            (
                "apiVersion: v2\nname: c\nversion: one\n",
                "not a valid semantic version",
            ),
            (
                "apiVersion: v2\nname: c\nversion: 1.0.0\ntype: app\n",
                "type `app` is invalid",
            ),
            ("apiVersion: v2\nname: [c\n", "line"),
        ];
        for (text, expected) in cases {
            let err = from_files(Path::new("c"), files(&[("Chart.yaml", text)])).unwrap_err();
            let message = err.to_string();
            assert!(message.contains("c/Chart.yaml"), "{message}");
            assert!(
                message.contains(expected),
                "{message} should contain {expected}"
            );
        }
    }

    #[test]
    fn missing_chart_yaml() {
        let err = from_files(Path::new("c"), files(&[("values.yaml", "")])).unwrap_err();
        assert!(matches!(err, Error::NoChartYaml { .. }));
    }

    #[test]
    fn values_must_be_a_map() {
        let err = from_files(
            Path::new("c"),
            files(&[
                ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
                ("values.yaml", "- 1\n"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("c/values.yaml"), "{err}");
    }

    #[test]
    fn glob_matching() {
        let cases = [
            ("*.yaml", "a.yaml", true),
            ("*.yaml", "a/b.yaml", false),
            ("**/*.yaml", "a/b.yaml", true),
            ("**/*.yaml", "a.yaml", true),
            ("config/*", "config/a.ini", true),
            ("config/*", "config/a/b.ini", false),
            ("a?c", "abc", true),
            ("a?c", "a/c", false),
            ("files/**", "files/x/y", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_match(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn helmignore_rules() {
        let rules = IgnoreRules::parse("# c\n*.bak\n.git/\n/secret.txt\n!keep.bak\n");
        assert!(rules.ignores("a.bak", false));
        assert!(rules.ignores("sub/a.bak", false));
        assert!(!rules.ignores("keep.bak", false));
        assert!(rules.ignores(".git", true));
        assert!(rules.ignores("secret.txt", false));
        assert!(!rules.ignores("sub/secret.txt", false));
        assert!(!rules.ignores("Chart.yaml", false));
    }

    /// A `.tgz` of `(path, size)` entries filled with zeros; a `None` size writes a header
    /// claiming `claimed` bytes and then ends the stream.
    fn archive(dir: &Path, entries: &[(&str, u64)], claimed: Option<(&str, u64)>) -> PathBuf {
        let path = dir.join("c.tgz");
        let file = fs::File::create(&path).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, size) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(*size);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, std::io::repeat(0).take(*size))
                .unwrap();
        }
        if let Some((name, size)) = claimed {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).unwrap();
            header.set_size(size);
            header.set_mode(0o644);
            header.set_cksum();
            std::io::Write::write_all(tar.get_mut(), header.as_bytes()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn archive_limits_are_helms() {
        let dir = tempfile::tempdir().unwrap();
        let chart_yaml = "c/Chart.yaml";
        // At the per-file limit: loaded (then refused as a chart for its zeros, not its size).
        let path = archive(dir.path(), &[("c/templates/big.yaml", MAX_FILE_SIZE)], None);
        let files = read_archive_files(&path).unwrap();
        assert_eq!(files["templates/big.yaml"].len() as u64, MAX_FILE_SIZE);
        type Case<'a> = (Vec<(&'a str, u64)>, Option<(&'a str, u64)>, String);
        let cases: Vec<Case> = vec![
            (
                vec![
                    (chart_yaml, 10),
                    ("c/templates/big.yaml", MAX_FILE_SIZE + 1),
                ],
                None,
                "c.tgz`: file `templates/big.yaml` is larger than the 5 MiB limit per file"
                    .to_owned(),
            ),
            (
                vec![(chart_yaml, 10)],
                Some(("c/templates/huge.yaml", 3 << 30)),
                "file `templates/huge.yaml` is larger than the 5 MiB limit per file".to_owned(),
            ),
            (
                (0..21).map(|_| ("c/files/x", MAX_FILE_SIZE)).collect(),
                None,
                "c.tgz` holds more than the 100 MiB limit for a chart".to_owned(),
            ),
        ];
        for (entries, claimed, expected) in cases {
            let path = archive(dir.path(), &entries, claimed);
            let err = load(&path).unwrap_err().to_string();
            assert!(err.contains(&expected), "{err} lacks {expected}");
            assert!(err.starts_with("chart archive `"), "{err}");
        }
    }

    #[test]
    fn folder_limits_symlink_loops_and_irregular_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("c");
        fs::create_dir_all(root.join("templates")).unwrap();
        fs::write(
            root.join("Chart.yaml"),
            "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        )
        .unwrap();
        let big = root.join("files/big.bin");
        fs::create_dir_all(big.parent().unwrap()).unwrap();
        fs::write(&big, vec![0u8; MAX_FILE_SIZE as usize]).unwrap();
        assert!(load(&root).is_ok(), "a file at the limit loads");
        fs::write(&big, vec![0u8; MAX_FILE_SIZE as usize + 1]).unwrap();
        let err = load(&root).unwrap_err().to_string();
        assert!(
            err.ends_with("c`: file `files/big.bin` is larger than the 5 MiB limit per file"),
            "{err}"
        );
        fs::remove_file(&big).unwrap();
        // A symlink to a sibling folder is followed; one to an ancestor is a loop.
        fs::create_dir_all(root.join("shared")).unwrap();
        fs::write(root.join("shared/a.txt"), "a").unwrap();
        std::os::unix::fs::symlink(root.join("shared"), root.join("files/linked")).unwrap();
        let chart = load(&root).unwrap();
        assert_eq!(chart.files["files/linked/a.txt"], b"a");
        std::os::unix::fs::symlink("..", root.join("templates/loop")).unwrap();
        let err = load(&root).unwrap_err().to_string();
        assert!(
            err.contains("`templates/loop` is a symlink to a folder that contains it (a loop)"),
            "{err}"
        );
        fs::remove_file(root.join("templates/loop")).unwrap();
        // A FIFO would block the reader forever.
        let fifo = root.join("templates/fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = load(&root).unwrap_err().to_string();
        assert!(
            err.contains("`templates/fifo` is not a regular file"),
            "{err}"
        );
        let err = load(&fifo).unwrap_err().to_string();
        assert!(
            err.contains("is neither a chart folder nor a chart archive file"),
            "{err}"
        );
    }
}
