//! `kubectl chart dependency list|update|build`: the dependencies `Chart.yaml` names, fetched
//! into `charts/` and locked in `Chart.lock`, as Helm's dependency manager does it for local
//! repositories (`file://PATH`, relative to the chart, and dependencies with no repository,
//! which must already be in `charts/`). Remote repositories (`https://`, `oci://`, `@name`)
//! are refused with a pointer to `helm dependency update`: this tool does not download.
//!
//! - `update` resolves each dependency to the version of the chart at its path (which must
//!   satisfy the range), packs it as `charts/NAME-VERSION.tgz`, removes archives of outdated
//!   versions, and writes `Chart.lock` (`requirements.lock` for v1 charts) unless its digest
//!   is unchanged. The digest is Helm's (`sha256` of the JSON of the dependencies and the
//!   lock), so Helm accepts the lock and the other way round.
//! - `build` fetches the locked versions, refusing a lock out of sync with `Chart.yaml`; with
//!   no lock it updates.
//! - `list` prints Helm's table and statuses (`ok`, `missing`, `wrong version`, `unpacked`,
//!   ...).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::Digest as _;

use super::load::{self, Budget};
use super::{Chart, Dependency, Lock, constraint};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Chart(#[from] super::Error),
    #[error(
        "dependency `{name}` comes from `{repository}`: only file:// repositories are supported here; run `helm dependency update` for remote ones"
    )]
    Remote { name: String, repository: String },
    #[error("dependency `{name}`: directory `{}` not found", path.display())]
    NotFound { name: String, path: PathBuf },
    #[error("dependency `{name}` has an invalid version range `{version}`")]
    Range { name: String, version: String },
    #[error(
        "can't get a valid version for {} subchart(s): {}; make sure a matching chart version exists, or change the version range in Chart.yaml",
        missing.len(),
        missing.join(", ")
    )]
    NoVersion { missing: Vec<String> },
    #[error(
        "the lock file ({lock}) is out of sync with the dependencies file ({file}); run `kubectl chart dependency update`"
    )]
    OutOfSync {
        lock: &'static str,
        file: &'static str,
    },
    #[error("dependency `{name}` at version {version} does not satisfy the range {range}")]
    Unsatisfied {
        name: String,
        version: String,
        range: String,
    },
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("the lock file `{}` is a symbolic link", .0.display())]
    LockIsLink(PathBuf),
    #[error("failed to write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One row of `dependency list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub status: String,
}

/// `dependency list`: the status of each dependency of `Chart.yaml`, and warnings about
/// charts in `charts/` that it does not name.
pub fn list(dir: &Path) -> Result<Option<(Vec<Status>, Vec<String>)>> {
    let chart = super::load(dir)?;
    let Some(requirements) = &chart.metadata.dependencies else {
        return Ok(None);
    };
    let rows = requirements
        .iter()
        .map(|dependency| Status {
            name: dependency.name.clone(),
            version: dependency.version.clone(),
            repository: dependency.repository.clone(),
            status: status(dir, dependency, &chart),
        })
        .collect();
    Ok(Some((rows, not_in_chart_yaml(dir, requirements))))
}

/// Helm's `dependencyStatus`.
fn status(dir: &Path, dependency: &Dependency, parent: &Chart) -> String {
    let prefix = format!("{}-", dependency.name);
    let archives: Vec<PathBuf> = std::fs::read_dir(dir.join("charts"))
        .map(|entries| {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .map(|n| n.to_string_lossy())
                        .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tgz"))
                })
                .collect();
            found.sort();
            found
        })
        .unwrap_or_default();
    let candidates: Vec<PathBuf> = if archives.len() > 1 {
        archives
            .into_iter()
            .filter(|p| {
                let stem = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let version = &stem[prefix.len()..stem.len() - ".tgz".len()];
                is_strict_semver(version)
            })
            .collect()
    } else {
        archives
    };
    match candidates.len() {
        0 => {}
        1 => return archive_status(&candidates[0], dependency),
        _ => return "too many matches".to_owned(),
    }
    let Some(loaded) = parent
        .dependencies
        .iter()
        .rfind(|c| c.name() == dependency.name)
    else {
        return "missing".to_owned();
    };
    match version_status(&loaded.metadata.version, dependency) {
        Some(problem) => problem,
        None => "unpacked".to_owned(),
    }
}

fn archive_status(archive: &Path, dependency: &Dependency) -> String {
    let Ok(chart) = super::load(archive) else {
        return "corrupt".to_owned();
    };
    if chart.name() != dependency.name {
        return "misnamed".to_owned();
    }
    version_status(&chart.metadata.version, dependency).unwrap_or_else(|| "ok".to_owned())
}

/// `wrong version` or `invalid version` when `version` does not satisfy the dependency.
fn version_status(version: &str, dependency: &Dependency) -> Option<String> {
    if version == dependency.version {
        return None;
    }
    let Ok(range) = constraint::Constraint::parse(&dependency.version) else {
        return Some("invalid version".to_owned());
    };
    let Ok(parsed) = constraint::parse_version(version) else {
        return Some("invalid version".to_owned());
    };
    (!range.matches(&parsed)).then(|| "wrong version".to_owned())
}

/// Masterminds' `StrictNewVersion`: `X.Y.Z`, optional pre-release and build.
fn is_strict_semver(text: &str) -> bool {
    semver::Version::parse(text).is_ok()
}

/// Helm's `printMissing`: charts in `charts/` that `Chart.yaml` does not name.
fn not_in_chart_yaml(dir: &Path, requirements: &[Dependency]) -> Vec<String> {
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir.join("charts")) else {
        return warnings;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if !path.is_dir() && path.extension().is_none_or(|ext| ext != "tgz") {
            continue;
        }
        match super::load(&path) {
            Err(_) => warnings.push(format!("{:?} is not a chart.", path.display().to_string())),
            Ok(chart) => {
                if !requirements.iter().any(|d| d.name == chart.name()) {
                    warnings.push(format!(
                        "{:?} is not in Chart.yaml.",
                        path.display().to_string()
                    ));
                }
            }
        }
    }
    warnings
}

/// Prints rows as Helm's `uitable` does: every cell padded to its column's width, cells
/// joined by tabs.
pub fn table(rows: &[Status]) -> String {
    let mut cells = vec![[
        "NAME".to_owned(),
        "VERSION".to_owned(),
        "REPOSITORY".to_owned(),
        "STATUS".to_owned(),
    ]];
    cells.extend(rows.iter().map(|r| {
        [
            r.name.clone(),
            r.version.clone(),
            r.repository.clone(),
            r.status.clone(),
        ]
    }));
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            cells
                .iter()
                .map(|row| row[i].chars().count().min(80))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| {
                let cell: String = cell.chars().take(80).collect();
                format!("{cell:<width$}")
            })
            .collect();
        out.push_str(&line.join("\t"));
        out.push('\n');
    }
    out
}

/// A dependency resolved to a version, and where its chart is.
struct Resolved {
    locked: Dependency,
    source: Option<PathBuf>,
}

/// The local folder of a `file://` repository (or of `charts/NAME` for no repository).
fn local_path(dir: &Path, name: &str, repository: &str) -> Result<PathBuf> {
    let relative = repository.strip_prefix("file://").unwrap_or(repository);
    let path = if relative.starts_with('/') {
        PathBuf::from(relative)
    } else {
        dir.join(relative)
    };
    if !path.exists() {
        return Err(Error::NotFound {
            name: name.to_owned(),
            path,
        });
    }
    Ok(path)
}

fn range_of(dependency: &Dependency) -> Result<constraint::Constraint> {
    constraint::Constraint::parse(&dependency.version).map_err(|_| Error::Range {
        name: dependency.name.clone(),
        version: dependency.version.clone(),
    })
}

/// Helm's resolver, for local repositories.
fn resolve(dir: &Path, requirements: &[Dependency]) -> Result<Vec<Resolved>> {
    let mut resolved = Vec::new();
    let mut missing = Vec::new();
    for dependency in requirements {
        let range = range_of(dependency)?;
        if dependency.repository.is_empty() {
            local_path(
                dir,
                &dependency.name,
                &format!("charts/{}", dependency.name),
            )?;
            resolved.push(Resolved {
                locked: locked(&dependency.name, "", &dependency.version),
                source: None,
            });
            continue;
        }
        if !dependency.repository.starts_with("file://") {
            return Err(Error::Remote {
                name: dependency.name.clone(),
                repository: dependency.repository.clone(),
            });
        }
        let path = local_path(dir, &dependency.name, &dependency.repository)?;
        let chart = load_dir(&path)?;
        let Ok(version) = constraint::parse_version(&chart.metadata.version) else {
            continue;
        };
        if !range.matches(&version) {
            missing.push(format!(
                "{:?} (repository {:?}, version {:?})",
                dependency.name, dependency.repository, dependency.version
            ));
            continue;
        }
        resolved.push(Resolved {
            locked: locked(
                &dependency.name,
                &dependency.repository,
                &chart.metadata.version,
            ),
            source: Some(path),
        });
    }
    if !missing.is_empty() {
        return Err(Error::NoVersion { missing });
    }
    Ok(resolved)
}

fn locked(name: &str, repository: &str, version: &str) -> Dependency {
    Dependency {
        name: name.to_owned(),
        repository: repository.to_owned(),
        version: version.to_owned(),
        ..Dependency::default()
    }
}

fn load_dir(path: &Path) -> Result<Chart> {
    if !path.is_dir() {
        return Err(Error::NotADirectory(path.to_owned()));
    }
    Ok(super::load(path)?)
}

/// `dependency update`.
pub fn update(dir: &Path, out: &mut dyn Write) -> Result<()> {
    let chart = load_dir(dir)?;
    let Some(requirements) = chart.metadata.dependencies.clone() else {
        return Ok(());
    };
    let resolved = resolve(dir, &requirements)?;
    fetch(dir, &resolved, &requirements, out)?;
    let locked: Vec<Dependency> = resolved.iter().map(|r| r.locked.clone()).collect();
    let digest = digest(&requirements, &locked);
    if chart.lock.as_ref().is_some_and(|l| l.digest == digest) {
        return Ok(());
    }
    let lock = Lock {
        generated: jiff::Timestamp::now().to_string(),
        digest,
        dependencies: locked,
    };
    write_lock(
        dir,
        &lock,
        chart.metadata.api_version == super::metadata::API_V1,
    )
}

/// `dependency build`.
pub fn build(dir: &Path, out: &mut dyn Write) -> Result<()> {
    let chart = load_dir(dir)?;
    let Some(lock) = &chart.lock else {
        return update(dir, out);
    };
    let requirements = chart.metadata.dependencies.clone().unwrap_or_default();
    if digest(&requirements, &lock.dependencies) != lock.digest {
        let v1 = chart.metadata.api_version == super::metadata::API_V1;
        return Err(Error::OutOfSync {
            lock: if v1 {
                "requirements.lock"
            } else {
                "Chart.lock"
            },
            file: if v1 {
                "requirements.yaml"
            } else {
                "Chart.yaml"
            },
        });
    }
    let mut resolved = Vec::new();
    for dependency in &lock.dependencies {
        if dependency.repository.is_empty() {
            resolved.push(Resolved {
                locked: dependency.clone(),
                source: None,
            });
        } else if dependency.repository.starts_with("file://") {
            let path = local_path(dir, &dependency.name, &dependency.repository)?;
            resolved.push(Resolved {
                locked: dependency.clone(),
                source: Some(path),
            });
        } else {
            return Err(Error::Remote {
                name: dependency.name.clone(),
                repository: dependency.repository.clone(),
            });
        }
    }
    fetch(dir, &resolved, &requirements, out)
}

/// Helm's `downloadAll` and `safeMoveDeps` for local charts: each packed into `charts/`,
/// archives no dependency needs any more removed (not those of charts with no repository).
fn fetch(
    dir: &Path,
    resolved: &[Resolved],
    requirements: &[Dependency],
    out: &mut dyn Write,
) -> Result<()> {
    let charts = dir.join("charts");
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    if charts.exists() && !charts.is_dir() {
        return Err(Error::NotADirectory(charts));
    }
    std::fs::create_dir_all(&charts).map_err(write_error(&charts))?;
    let _ = writeln!(out, "Saving {} charts", resolved.len());
    let mut archives: Vec<(String, Vec<u8>)> = Vec::new();
    for item in resolved {
        let Some(source) = &item.source else {
            // Already in charts/: only its version is checked.
            let path = charts.join(&item.locked.name);
            let chart = load_dir(&path)?;
            check_range(&chart, &item.locked)?;
            continue;
        };
        let chart = load_dir(source)?;
        check_range(&chart, &item.locked)?;
        let files = load::read_dir(source, &mut Budget::default())?;
        let bytes = super::package::archive(&chart, &files, 0).map_err(write_error(source))?;
        archives.push((super::package::archive_name(&chart), bytes));
    }
    for (name, bytes) in &archives {
        let path = charts.join(name);
        std::fs::write(&path, bytes).map_err(write_error(&path))?;
    }
    let _ = writeln!(out, "Deleting outdated charts");
    let local: Vec<&str> = requirements
        .iter()
        .filter(|d| d.repository.is_empty())
        .map(|d| d.name.as_str())
        .collect();
    let entries = std::fs::read_dir(&charts).map_err(write_error(&charts))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() || archives.iter().any(|(n, _)| *n == file_name) {
            continue;
        }
        // Only charts are removed, never a chart with no repository.
        let Ok(chart) = super::load(&path) else {
            continue;
        };
        if local.contains(&chart.name()) {
            continue;
        }
        std::fs::remove_file(&path).map_err(write_error(&path))?;
    }
    Ok(())
}

fn check_range(chart: &Chart, dependency: &Dependency) -> Result<()> {
    let range = range_of(dependency)?;
    let version = constraint::parse_version(&chart.metadata.version).map_err(|_| Error::Range {
        name: dependency.name.clone(),
        version: chart.metadata.version.clone(),
    })?;
    if range.matches(&version) {
        Ok(())
    } else {
        Err(Error::Unsatisfied {
            name: dependency.name.clone(),
            version: chart.metadata.version.clone(),
            range: dependency.version.clone(),
        })
    }
}

/// Helm's `HashReq`: `sha256:` of the JSON of `[requirements, locked]`, as Go's
/// `encoding/json` writes it.
pub fn digest(requirements: &[Dependency], locked: &[Dependency]) -> String {
    let mut json = String::from("[");
    for (i, list) in [requirements, locked].iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('[');
        for (j, dependency) in list.iter().enumerate() {
            if j > 0 {
                json.push(',');
            }
            dependency_json(dependency, &mut json);
        }
        json.push(']');
    }
    json.push(']');
    let hash = sha2::Sha256::digest(json.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A dependency as Go's `encoding/json` writes the struct: fields in declaration order,
/// `omitempty` ones left out when empty.
fn dependency_json(dependency: &Dependency, out: &mut String) {
    out.push_str("{\"name\":");
    go_string(&dependency.name, out);
    if !dependency.version.is_empty() {
        out.push_str(",\"version\":");
        go_string(&dependency.version, out);
    }
    out.push_str(",\"repository\":");
    go_string(&dependency.repository, out);
    if !dependency.condition.is_empty() {
        out.push_str(",\"condition\":");
        go_string(&dependency.condition, out);
    }
    if !dependency.tags.is_empty() {
        out.push_str(",\"tags\":[");
        for (i, tag) in dependency.tags.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            go_string(tag, out);
        }
        out.push(']');
    }
    if dependency.enabled {
        out.push_str(",\"enabled\":true");
    }
    if !dependency.import_values.is_empty() {
        out.push_str(",\"import-values\":");
        go_json(&Value::Array(dependency.import_values.clone()), out);
    }
    if !dependency.alias.is_empty() {
        out.push_str(",\"alias\":");
        go_string(&dependency.alias, out);
    }
    out.push('}');
}

/// Any value as Go's `encoding/json` writes an `interface{}`: map keys sorted.
fn go_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(key, out);
                out.push(':');
                go_json(&map[key.as_str()], out);
            }
            out.push('}');
        }
    }
}

/// A string as Go's `encoding/json` quotes it: HTML characters and U+2028/U+2029 escaped.
fn go_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The lock as Helm writes it (`yaml.Marshal` of the struct: keys sorted, the time quoted).
pub fn lock_yaml(lock: &Lock) -> String {
    let mut out = String::from("dependencies:\n");
    for dependency in &lock.dependencies {
        out.push_str(&format!("- name: {}\n", yaml_scalar(&dependency.name)));
        out.push_str(&format!(
            "  repository: {}\n",
            yaml_scalar(&dependency.repository)
        ));
        if !dependency.version.is_empty() {
            out.push_str(&format!(
                "  version: {}\n",
                yaml_scalar(&dependency.version)
            ));
        }
    }
    out.push_str(&format!("digest: {}\n", yaml_scalar(&lock.digest)));
    out.push_str(&format!("generated: {:?}\n", lock.generated));
    out
}

/// A string as a YAML scalar: plain when it reads back as the same string, quoted otherwise.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && super::values_yaml::resolve_plain(text) == super::values_yaml::Plain::String
        && !text.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with([' ', ':'])
        && !text.contains('\n');
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

fn write_lock(dir: &Path, lock: &Lock, v1: bool) -> Result<()> {
    let path = dir.join(if v1 {
        "requirements.lock"
    } else {
        "Chart.lock"
    });
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::LockIsLink(path));
    }
    std::fs::write(&path, lock_yaml(lock)).map_err(|source| Error::Write { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependency(name: &str, version: &str, repository: &str) -> Dependency {
        locked(name, repository, version)
    }

    #[test]
    fn digests_are_helms() {
        // Checked against locks written by helm v4.1.4 (`helm dependency update`) and the
        // bitnami nginx chart's Chart.lock.
        let mut other = dependency("other", "0.1.x", "file://../other");
        other.condition = "aliased.enabled".into();
        other.alias = "aliased".into();
        let requirements = [
            dependency("child", ">=0.1.0 <1.0.0", "file://../child"),
            other,
        ];
        let locked = [
            dependency("child", "0.1.0", "file://../child"),
            dependency("other", "0.1.0", "file://../other"),
        ];
        assert_eq!(
            digest(&requirements, &locked),
            "sha256:51b9d014b5df62ea47c1410e0490ad02d3359b8d60c8200df783d66b7f757416"
        );
        let mut common = dependency(
            "common",
            "2.x.x",
            "oci://registry-1.docker.io/bitnamicharts",
        );
        common.tags = vec!["bitnami-common".into()];
        assert_eq!(
            digest(
                &[common],
                &[dependency(
                    "common",
                    "2.31.4",
                    "oci://registry-1.docker.io/bitnamicharts"
                )]
            ),
            "sha256:fc442e77200e1914dd46fe26490dcf62f44caa51db673c2f8e67d5319cd4c163"
        );
    }

    #[test]
    fn locks_print_as_helm_prints_them() {
        let lock = Lock {
            generated: "2026-11-30T16:32:59.872820401Z".into(),
            digest: "sha256:51b9".into(),
            dependencies: vec![
                dependency("child", "0.1.0", "file://../child"),
                dependency("local", "1.0.0", ""),
            ],
        };
        assert_eq!(
            lock_yaml(&lock),
            "dependencies:\n- name: child\n  repository: file://../child\n  version: 0.1.0\n- name: local\n  repository: \"\"\n  version: 1.0.0\ndigest: sha256:51b9\ngenerated: \"2026-11-30T16:32:59.872820401Z\"\n"
        );
        assert_eq!(Lock::parse(lock_yaml(&lock).as_bytes()).unwrap(), lock);
    }

    #[test]
    fn tables_pad_like_uitable() {
        let rows = [Status {
            name: "child".into(),
            version: ">=0.1.0 <1.0.0".into(),
            repository: "file://../child".into(),
            status: "ok".into(),
        }];
        assert_eq!(
            table(&rows),
            "NAME \tVERSION       \tREPOSITORY     \tSTATUS\nchild\t>=0.1.0 <1.0.0\tfile://../child\tok    \n"
        );
    }
}
