//! `kubectl chart package`: a chart folder as the `.tgz` Helm installs, `NAME-VERSION.tgz`
//! holding every file the chart loads (`.helmignore` applied) under `NAME/`.
//!
//! Files are written as they are, in Helm's walk order, so comments and fields Helm does not
//! know survive (`helm package` rewrites `Chart.yaml` and drops `renderer:`); `--version` and
//! `--app-version` edit their top-level lines of `Chart.yaml`. Subcharts go in as they are in
//! `charts/` (folders or archives), which Helm loads alike. Entries are regular files, mode
//! 0644, all stamped with one time (`SOURCE_DATE_EPOCH` when set, for reproducible builds).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::load::{self, Budget};
use super::{Chart, Error as ChartError, File, dependencies};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("`{}` is not a chart folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{0}")]
    Missing(#[from] dependencies::Missing),
    #[error("invalid --version `{version}`: not a semantic version")]
    Version { version: String },
    #[error("failed to write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What to package, and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Overrides `version` in `Chart.yaml` (and the archive's name).
    pub version: Option<String>,
    /// Overrides `appVersion` in `Chart.yaml`.
    pub app_version: Option<String>,
    /// Seconds since the Unix epoch stamped on every entry.
    pub mtime: u64,
}

/// Packages the chart folder `dir` into `dest` (a folder, created if missing); returns the
/// archive's path.
pub fn package(dir: &Path, dest: &Path, options: &Options) -> Result<PathBuf, Error> {
    if !dir.is_dir() {
        return Err(Error::NotAFolder(dir.to_owned()));
    }
    let mut files = load::read_dir(dir, &mut Budget::default())?;
    if let Some(file) = files.iter_mut().find(|f| f.name == "Chart.yaml") {
        let mut text = String::from_utf8_lossy(&file.data).into_owned();
        if let Some(version) = &options.version {
            if super::constraint::parse_version(version).is_err() {
                return Err(Error::Version {
                    version: version.clone(),
                });
            }
            text = set_top_level(&text, "version", version);
        }
        if let Some(app_version) = &options.app_version {
            text = set_top_level(&text, "appVersion", &quoted(app_version));
        }
        file.data = text.into_bytes();
    }
    // Loading checks the chart as Helm would before packaging it.
    let chart = super::from_files(dir, files.clone())?;
    dependencies::check(&chart)?;
    let path = dest.join(archive_name(&chart));
    let bytes = archive(&chart, &files, options.mtime).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    std::fs::create_dir_all(dest).map_err(|source| Error::Write {
        path: dest.to_owned(),
        source,
    })?;
    std::fs::write(&path, bytes).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// `NAME-VERSION.tgz`.
pub fn archive_name(chart: &Chart) -> String {
    format!("{}-{}.tgz", chart.name(), chart.metadata.version)
}

/// The gzipped tar of `files` under `NAME/`.
pub fn archive(chart: &Chart, files: &[File], mtime: u64) -> std::io::Result<Vec<u8>> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for file in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(
            &mut header,
            format!("{}/{}", chart.name(), file.name),
            file.data.as_slice(),
        )?;
    }
    let mut encoder = builder.into_inner()?;
    encoder.flush()?;
    encoder.finish()
}

/// A YAML double-quoted string.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

/// Replaces the value of a top-level `key:` line of a YAML mapping, or appends the line.
fn set_top_level(text: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}:");
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|line| {
            if !found && line.starts_with(&prefix) {
                found = true;
                format!("{key}: {value}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !found {
        out.push(format!("{key}: {value}"));
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reparse(text: &str) -> crate::chart::Metadata {
        crate::chart::Metadata::parse(text.as_bytes()).expect("valid Chart.yaml")
    }

    #[test]
    fn versions_are_set_on_their_top_level_lines() {
        let text = "apiVersion: v2\nname: web\n# the version\nversion: 0.1.0\ndependencies:\n  - name: x\n    version: 1.0.0\n";
        let edited = set_top_level(text, "version", "2.0.0");
        assert!(
            edited.contains("# the version\nversion: 2.0.0\n"),
            "{edited}"
        );
        assert!(edited.contains("    version: 1.0.0\n"), "{edited}");
        let edited = set_top_level(&edited, "appVersion", &quoted("1.0 \"beta\""));
        let metadata = reparse(&edited);
        assert_eq!(metadata.app_version, "1.0 \"beta\"");
        assert_eq!(metadata.version, "2.0.0");
    }

    #[test]
    fn packages_every_loaded_file_under_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("web");
        let write = |path: &str, text: &str| {
            let full = chart.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        };
        write(
            "Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\nrenderer: handlebars\n",
        );
        write(".helmignore", "*.bak\n");
        write("values.yaml", "a: 1\n");
        write("templates/x.yaml", "x");
        write("templates/x.bak", "ignored");
        write(
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        );
        let out = dir.path().join("out");
        let options = Options {
            version: Some("1.2.3".into()),
            mtime: 1_700_000_000,
            ..Options::default()
        };
        let path = package(&chart, &out, &options).unwrap();
        assert_eq!(path, out.join("web-1.2.3.tgz"));
        let loaded = crate::chart::load(&path).unwrap();
        assert_eq!(loaded.metadata.version, "1.2.3");
        assert_eq!(loaded.metadata.renderer.as_deref(), Some("handlebars"));
        assert_eq!(loaded.dependencies[0].name(), "sub");
        assert_eq!(loaded.templates.len(), 1);
        // The same input makes the same bytes.
        let again = package(&chart, &dir.path().join("again"), &options).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(again).unwrap());
        let err = package(
            &chart,
            &out,
            &Options {
                version: Some("one".into()),
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("invalid --version"), "{err}");
    }

    #[test]
    fn missing_dependencies_stop_packaging() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - {name: db, version: 1.x, repository: file://../db}\n",
        )
        .unwrap();
        let err = package(dir.path(), dir.path(), &Options::default()).unwrap_err();
        assert!(
            err.to_string().contains("missing in charts/ directory: db"),
            "{err}"
        );
    }
}
