//! Charts as Helm models them: a folder or packaged `.tgz` loaded into memory with its
//! subcharts (`charts/`, folders and archives, recursively), `Chart.yaml` ([`metadata`]),
//! `Chart.lock`, `values.yaml`, `values.schema.json`, `templates/` (templates, partials,
//! notes), `crds/` and every other file for `.Files`; `.helmignore` ([`ignore`]); the values
//! a release is rendered with ([`values`], [`coalesce`]) and which dependencies take part
//! ([`dependencies`]). No cluster here.

pub mod coalesce;
pub mod constraint;
pub mod dependencies;
pub mod fetch;
pub mod glob;
pub mod ignore;
pub mod load;
pub mod metadata;
pub mod package;
pub mod scaffold;
pub mod strvals;
pub mod values;
mod values_yaml;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use metadata::{Dependency, Lock, Maintainer, Metadata};

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
    #[error("invalid `{}`", path.display())]
    Metadata {
        path: PathBuf,
        #[source]
        source: metadata::Error,
    },
    #[error("`{}`: apiVersion `{api_version}` is not supported (v1 or v2)", path.display())]
    ApiVersion { path: PathBuf, api_version: String },
    #[error("`{}` line {line}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}` is not valid JSON at line {line}: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}` is not a valid chart archive: {message}", path.display())]
    Archive { path: PathBuf, message: String },
    #[error("invalid `{}`", path.display())]
    Ignore {
        path: PathBuf,
        #[source]
        source: ignore::Error,
    },
    #[error("`{}` is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("subchart `{name}` of chart `{chart}`")]
    Subchart {
        chart: String,
        name: String,
        #[source]
        source: Box<Error>,
    },
    #[error("subcharts nest more than {} deep in `{}`", load::MAX_CHART_DEPTH, path.display())]
    TooDeep { path: PathBuf },
    #[error("`{}` is neither a chart folder nor a chart archive file", path.display())]
    NotAFile { path: PathBuf },
    #[error(
        "chart {} `{}`: file `{file}` is larger than the {} MiB limit per file",
        kind.noun(), path.display(), load::MAX_FILE_SIZE >> 20
    )]
    FileTooLarge {
        kind: Source,
        path: PathBuf,
        file: String,
    },
    #[error(
        "chart {} `{}` holds more than the {} MiB limit for a chart",
        kind.noun(), path.display(), load::MAX_CHART_SIZE >> 20
    )]
    ChartTooLarge { kind: Source, path: PathBuf },
    #[error("chart folder `{}` holds more than {} files and folders", path.display(), load::MAX_CHART_ENTRIES)]
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

/// One file of a chart as read from a folder or an archive: its path relative to the chart
/// root, with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub data: Vec<u8>,
}

/// A file of `templates/`: its path relative to the chart root (`templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub path: String,
    pub text: String,
}

impl Template {
    /// A partial (`_helpers.tpl`): defines named templates, renders nothing itself.
    pub fn is_partial(&self) -> bool {
        let base = self.path.rsplit('/').next().unwrap_or(&self.path);
        base.starts_with('_')
    }

    /// A file whose name ends in `NOTES.txt`: rendered, but never an object (Helm shows the
    /// root chart's `templates/NOTES.txt` to the user).
    pub fn is_notes(&self) -> bool {
        self.path.ends_with("NOTES.txt")
    }
}

/// A chart loaded into memory, with its subcharts. Paths inside are relative to the chart
/// root, with `/`.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Where the chart was loaded from, for error messages.
    pub location: PathBuf,
    pub metadata: Metadata,
    /// `Chart.lock` (or a v1 chart's `requirements.lock`).
    pub lock: Option<Lock>,
    /// `values.yaml` (empty when absent), numbers as Go `float64`s.
    pub values: Map<String, Value>,
    /// `values.schema.json`, as written; parsed when values are checked against it.
    pub schema: Option<Vec<u8>>,
    /// Every file of `templates/`, sorted by path: templates, partials, notes.
    pub templates: Vec<Template>,
    /// Every other file of the chart, which templates read through `.Files`: what Helm puts
    /// there (everything but `Chart.yaml`, `values.yaml`, `values.schema.json`, `Chart.lock`,
    /// `templates/` and subcharts).
    pub files: BTreeMap<String, Vec<u8>>,
    /// The custom resource definitions of `crds/` (`.yaml`, `.yml`, `.json`), in load order:
    /// paths into `files`.
    pub crds: Vec<String>,
    /// Subcharts (from `charts/`), in the order Helm keeps them.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// The chart's name (from `Chart.yaml`, or its alias as a dependency).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The full path of a chart file, for error messages.
    pub fn file_path(&self, relative: &str) -> PathBuf {
        self.location.join(relative)
    }

    /// Templates that produce objects: not partials, not notes.
    pub fn manifest_templates(&self) -> impl Iterator<Item = &Template> {
        self.templates
            .iter()
            .filter(|t| !t.is_partial() && !t.is_notes())
    }

    /// Partials (`templates/_*.tpl` and any file whose name starts with `_`).
    pub fn partials(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter().filter(|t| t.is_partial())
    }

    /// `templates/NOTES.txt`.
    pub fn notes(&self) -> Option<&Template> {
        self.templates
            .iter()
            .find(|t| t.path == "templates/NOTES.txt")
    }

    /// Checks `kubeVersion` from `Chart.yaml` against the cluster's version (`v1.35.0`).
    pub fn check_kube_version(&self, kube_version: &str) -> Result<()> {
        let constraint = self.metadata.kube_version.as_str();
        if constraint.is_empty() {
            return Ok(());
        }
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
        if self.metadata.is_library() {
            return Err(Error::Library {
                chart: self.name().to_owned(),
            });
        }
        Ok(())
    }
}

/// Loads a chart from a folder or a packaged chart (`.tgz`, as `helm package` writes), with
/// its subcharts.
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
    let mut budget = load::Budget::default();
    let files = if meta.is_dir() {
        load::read_dir(path, &mut budget)?
    } else if meta.is_file() {
        load::read_archive_file(path, &mut budget)?
    } else {
        // A pipe or device would be read forever, or block.
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    };
    let chart = from_files_with(path, files, &mut budget, 0)?;
    // Only the top chart's apiVersion is checked, as Helm's loader does.
    let api = chart.metadata.api_version.as_str();
    if api != metadata::API_V1 && api != metadata::API_V2 {
        return Err(Error::ApiVersion {
            path: path.join("Chart.yaml"),
            api_version: api.to_owned(),
        });
    }
    Ok(chart)
}

/// Builds a chart from its files (paths relative to the chart root), as Helm's `LoadFiles`.
pub fn from_files(location: &Path, files: Vec<File>) -> Result<Chart> {
    from_files_with(location, files, &mut load::Budget::default(), 0)
}

fn from_files_with(
    location: &Path,
    files: Vec<File>,
    budget: &mut load::Budget,
    depth: usize,
) -> Result<Chart> {
    if depth > load::MAX_CHART_DEPTH {
        return Err(Error::TooDeep {
            path: location.to_owned(),
        });
    }
    let metadata_error = |name: &str| {
        let path = location.join(name);
        move |source| Error::Metadata { path, source }
    };
    let chart_yaml = files
        .iter()
        .rfind(|f| f.name == "Chart.yaml")
        .ok_or_else(|| Error::NoChartYaml {
            path: location.to_owned(),
        })?;
    let mut metadata = metadata::Metadata::default();
    let document = values_yaml::parse_typed(&chart_yaml.data).map_err(|err| Error::Yaml {
        path: location.join("Chart.yaml"),
        line: err.line,
        message: err.message,
    })?;
    metadata
        .merge_yaml(&document)
        .map_err(metadata_error("Chart.yaml"))?;
    if metadata.api_version.is_empty() {
        metadata.api_version = metadata::API_V1.to_owned();
    }
    let is_v1 = metadata.api_version == metadata::API_V1;

    let mut chart = Chart {
        location: location.to_owned(),
        metadata,
        lock: None,
        values: Map::new(),
        schema: None,
        templates: Vec::new(),
        files: BTreeMap::new(),
        crds: Vec::new(),
        dependencies: Vec::new(),
    };
    // Subchart files by the first component under `charts/`, in the order first seen.
    let mut subcharts: Vec<(String, Vec<File>)> = Vec::new();
    for file in files {
        match file.name.as_str() {
            "Chart.yaml" => {}
            "Chart.lock" => {
                chart.lock = Some(Lock::parse(&file.data).map_err(metadata_error("Chart.lock"))?);
            }
            "values.yaml" => {
                chart.values = parse_values_yaml(&location.join("values.yaml"), &file.data)?;
            }
            "values.schema.json" => chart.schema = Some(file.data),
            "requirements.yaml" => {
                // Helm reads a v1 chart's dependencies here (any chart's, in fact).
                let document = values_yaml::parse_typed(&file.data).map_err(|err| Error::Yaml {
                    path: location.join("requirements.yaml"),
                    line: err.line,
                    message: err.message,
                })?;
                chart
                    .metadata
                    .merge_yaml(&document)
                    .map_err(metadata_error("requirements.yaml"))?;
                if is_v1 {
                    chart.files.insert(file.name, file.data);
                }
            }
            "requirements.lock" => {
                chart.lock =
                    Some(Lock::parse(&file.data).map_err(metadata_error("requirements.lock"))?);
                if is_v1 {
                    chart.files.insert(file.name, file.data);
                }
            }
            name if name.starts_with("templates/") => {
                let text = String::from_utf8(file.data).map_err(|_| Error::NotText {
                    path: location.join(&file.name),
                })?;
                chart.templates.push(Template {
                    path: file.name,
                    text,
                });
            }
            name if name.starts_with("charts/") && !name.ends_with(".prov") => {
                let rest = &name["charts/".len()..];
                let sub = rest.split('/').next().unwrap_or(rest).to_owned();
                let inner = File {
                    name: rest.to_owned(),
                    data: file.data,
                };
                match subcharts.iter_mut().find(|(n, _)| *n == sub) {
                    Some((_, list)) => list.push(inner),
                    None => subcharts.push((sub, vec![inner])),
                }
            }
            _ => {
                if file.name.starts_with("crds/") && has_manifest_extension(&file.name) {
                    chart.crds.push(file.name.clone());
                }
                chart.files.insert(file.name, file.data);
            }
        }
    }
    chart
        .metadata
        .validate()
        .map_err(metadata_error("Chart.yaml"))?;
    chart.templates.sort_by(|a, b| a.path.cmp(&b.path));

    // Go ranges over a map here, so Helm's order is random; sorted by name, it is stable.
    subcharts.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let sub_location = location.join("charts").join(&name);
        let loaded = if name.ends_with(".tgz") {
            match files.into_iter().find(|f| f.name == name) {
                Some(file) => load::read_archive(&sub_location, &file.data, budget)
                    .and_then(|files| from_files_with(&sub_location, files, budget, depth + 1)),
                None => Err(Error::Archive {
                    path: sub_location.clone(),
                    message: "a folder named like an archive".to_owned(),
                }),
            }
        } else {
            let files = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    Some(File {
                        name: rest.to_owned(),
                        data: f.data,
                    })
                })
                .collect();
            from_files_with(&sub_location, files, budget, depth + 1)
        };
        let sub = loaded.map_err(|source| Error::Subchart {
            chart: chart.name().to_owned(),
            name: name.clone(),
            source: Box::new(source),
        })?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

/// Helm's test for a file of `crds/`: its extension is `.yaml`, `.yml` or `.json`, in any case.
fn has_manifest_extension(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.rsplit_once('.').is_some_and(|(_, ext)| {
        ext.eq_ignore_ascii_case("yaml")
            || ext.eq_ignore_ascii_case("yml")
            || ext.eq_ignore_ascii_case("json")
    })
}

/// Parses a values file: a YAML map, or empty.
///
/// Read as Helm reads values (YAML 1.1 scalars, documents merged): see `values_yaml`.
pub fn parse_values_yaml(path: &Path, bytes: &[u8]) -> Result<Map<String, Value>> {
    values_yaml::parse(bytes).map_err(|err| Error::Yaml {
        path: path.to_owned(),
        line: err.line,
        message: err.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error and its causes on one line, as `main` prints them.
    pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    fn files(entries: &[(&str, &str)]) -> Vec<File> {
        entries
            .iter()
            .map(|(name, data)| File {
                name: name.to_string(),
                data: data.as_bytes().to_vec(),
            })
            .collect()
    }

    const CHART: &str = "apiVersion: v2\nname: c\nversion: 1.0.0\n";

    #[test]
    fn splits_files_as_helm_does() {
        let chart = from_files(
            Path::new("c"),
            files(&[
                ("Chart.yaml", CHART),
                ("values.yaml", "a: 1\n"),
                ("values.schema.json", "{}"),
                ("Chart.lock", "digest: x\n"),
                ("templates/b.yaml", "b"),
                ("templates/a.yaml", "a"),
                ("templates/_helpers.tpl", "h"),
                ("templates/sub/_more.hbs", "m"),
                ("templates/NOTES.txt", "n"),
                ("config/app.ini", "x=1"),
                ("crds/b.yaml", "b"),
                ("crds/a.JSON", "a"),
                ("crds/README.md", "r"),
                (
                    "charts/dep/Chart.yaml",
                    "apiVersion: v2\nname: dep\nversion: 0.1.0\n",
                ),
                ("charts/dep/templates/x.yaml", "x"),
                ("charts/dep-0.1.0.tgz.prov", "signature"),
                ("charts/_skipped/Chart.yaml", "broken"),
                ("plugins/labels.wasm", "\0asm"),
            ]),
        )
        .unwrap();
        let paths: Vec<_> = chart.templates.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "templates/NOTES.txt",
                "templates/_helpers.tpl",
                "templates/a.yaml",
                "templates/b.yaml",
                "templates/sub/_more.hbs"
            ]
        );
        let objects: Vec<_> = chart
            .manifest_templates()
            .map(|t| t.path.as_str())
            .collect();
        assert_eq!(objects, ["templates/a.yaml", "templates/b.yaml"]);
        assert_eq!(chart.partials().count(), 2);
        assert_eq!(chart.notes().unwrap().text, "n");
        assert_eq!(
            chart.files.keys().collect::<Vec<_>>(),
            [
                "charts/dep-0.1.0.tgz.prov",
                "config/app.ini",
                "crds/README.md",
                "crds/a.JSON",
                "crds/b.yaml",
                "plugins/labels.wasm"
            ]
        );
        assert_eq!(chart.crds, ["crds/b.yaml", "crds/a.JSON"]);
        assert_eq!(chart.values["a"], 1.0);
        assert_eq!(chart.schema.as_deref(), Some(&b"{}"[..]));
        assert_eq!(chart.lock.unwrap().digest, "x");
        assert_eq!(chart.dependencies.len(), 1);
        assert_eq!(chart.dependencies[0].name(), "dep");
        assert_eq!(chart.dependencies[0].templates[0].path, "templates/x.yaml");
        assert_eq!(chart.dependencies[0].location, Path::new("c/charts/dep"));
    }

    #[test]
    fn v1_charts_read_requirements() {
        let chart = from_files(
            Path::new("c"),
            files(&[
                ("Chart.yaml", "name: c\nversion: 1.0.0\n"),
                (
                    "requirements.yaml",
                    "dependencies:\n- name: dep\n  repository: file://x\n",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(chart.metadata.api_version, "v1");
        assert_eq!(chart.metadata.dependencies.unwrap()[0].name, "dep");
        assert!(chart.files.contains_key("requirements.yaml"));
    }

    #[test]
    fn chart_errors_name_the_file() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n")],
                "c/Chart.yaml",
            ),
            (
                &[("Chart.yaml", "apiVersion: v2\nname: [c\n")],
                "c/Chart.yaml` line",
            ),
            (
                &[("Chart.yaml", CHART), ("values.yaml", "- 1\n")],
                "c/values.yaml",
            ),
            (&[("values.yaml", "")], "has no Chart.yaml"),
            (
                &[("Chart.yaml", CHART), ("charts/README.md", "x")],
                "subchart `README.md` of chart `c`",
            ),
            (
                &[("Chart.yaml", CHART), ("charts/d/Chart.yaml", "name: d\n")],
                "subchart `d` of chart `c`: invalid `c/charts/d/Chart.yaml`: chart.metadata.version is required",
            ),
            (&[("Chart.yaml", CHART), ("templates/x.yaml", "\u{0}")], ""),
        ];
        for (entries, expected) in cases {
            let mut entries = files(entries);
            if let Some(f) = entries.iter_mut().find(|f| f.data == b"\0") {
                f.data = vec![0xff];
            }
            match from_files(Path::new("c"), entries) {
                Err(err) => {
                    let message = error_chain(&err);
                    assert!(message.contains(expected), "{message}");
                }
                Ok(_) => assert!(expected.is_empty()),
            }
        }
        let mut bad = files(&[("Chart.yaml", CHART), ("templates/x.yaml", "")]);
        bad[1].data = vec![0xff];
        assert!(matches!(
            from_files(Path::new("c"), bad),
            Err(Error::NotText { .. })
        ));
    }

    #[test]
    fn only_the_top_chart_must_be_v1_or_v2() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v3\nname: c\nversion: 1.0.0\n",
        )
        .unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("apiVersion `v3`"), "{err}");
    }

    #[test]
    fn subcharts_nest_at_most_so_deep() {
        let mut entries = vec![("Chart.yaml".to_owned(), CHART.to_owned())];
        let mut prefix = String::new();
        for _ in 0..=load::MAX_CHART_DEPTH {
            prefix.push_str("charts/c/");
            entries.push((format!("{prefix}Chart.yaml"), CHART.to_owned()));
        }
        let entries: Vec<(&str, &str)> = entries
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let err = from_files(Path::new("c"), files(&entries)).unwrap_err();
        assert!(error_chain(&err).contains("nest more than"), "{err}");
    }
}
