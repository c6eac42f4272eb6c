//! `kubectl chart create`: the starter charts.
//!
//! [`Starter::Helm`] is the chart `helm create` writes (Helm 4.1), file for file and byte for
//! byte: Go templates for a Deployment, Service, ServiceAccount, optional Ingress, HTTPRoute
//! and autoscaler, a `helm test` hook and notes. Its files in `scaffold/helm/` are Helm's
//! scaffold as `helm create` writes it (Apache-2.0, like this project), with Helm's own
//! `<CHARTNAME>` placeholder for the name, because only Helm's exact text renders exactly as
//! Helm's does. [`Starter::Handlebars`] is the same chart written for the built-in Handlebars
//! engine: the same values and, rendered, the same objects (tested against real helm).

use std::path::{Path, PathBuf};

/// Which starter to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starter {
    Helm,
    Handlebars,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("chart name must be between 1 and {MAX_NAME} characters")]
    NameLength,
    #[error("chart name `{0}` must match the regular expression ^[a-zA-Z0-9._-]+$")]
    NameSyntax(String),
    #[error("no such directory `{}`", .0.display())]
    NoParent(PathBuf),
    #[error("`{}` already exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("failed to write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Helm's limit on chart names.
pub const MAX_NAME: usize = 250;

const PLACEHOLDER: &str = "<CHARTNAME>";

macro_rules! files {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("scaffold/", $dir, "/", $path)))),*]
    };
}

const HELM: &[(&str, &str)] = files!("helm":
    "Chart.yaml",
    "values.yaml",
    ".helmignore",
    "templates/ingress.yaml",
    "templates/httproute.yaml",
    "templates/deployment.yaml",
    "templates/service.yaml",
    "templates/serviceaccount.yaml",
    "templates/hpa.yaml",
    "templates/NOTES.txt",
    "templates/_helpers.tpl",
    "templates/tests/test-connection.yaml",
);

const HANDLEBARS: &[(&str, &str)] = files!("handlebars":
    "Chart.yaml",
    "values.yaml",
    ".helmignore",
    "templates/ingress.yaml",
    "templates/httproute.yaml",
    "templates/deployment.yaml",
    "templates/service.yaml",
    "templates/serviceaccount.yaml",
    "templates/hpa.yaml",
    "templates/NOTES.txt",
    "templates/_helpers.tpl",
    "templates/tests/test-connection.yaml",
);

/// The files of a starter chart named `name`: paths relative to the chart folder.
pub fn files(starter: Starter, name: &str) -> Vec<(&'static str, String)> {
    let files = match starter {
        Starter::Helm => HELM,
        Starter::Handlebars => HANDLEBARS,
    };
    files
        .iter()
        .map(|(path, text)| (*path, text.replace(PLACEHOLDER, name)))
        .collect()
}

/// Helm's rule for the name of a new chart.
pub fn validate_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(Error::NameLength);
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(Error::NameSyntax(name.to_owned()));
    }
    Ok(())
}

/// Writes a starter chart as `helm create PATH` does: the chart is named after the last
/// component of `path` and written into `path`, whose parent must exist; files already there
/// are overwritten (each named in `overwritten`), others left alone; an empty `charts/` is
/// created. Returns the chart's folder.
pub fn create(
    path: &Path,
    starter: Starter,
    overwritten: &mut dyn FnMut(&Path),
) -> Result<PathBuf, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    validate_name(&name)?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::NoParent(parent));
    }
    let dir = parent.join(&name);
    if dir.exists() && !dir.is_dir() {
        return Err(Error::NotADirectory(dir));
    }
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    for (relative, text) in files(starter, &name) {
        let target = dir.join(relative);
        if target.exists() {
            overwritten(&target);
        }
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder).map_err(write_error(folder))?;
        }
        std::fs::write(&target, text).map_err(write_error(&target))?;
    }
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts).map_err(write_error(&charts))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["web", "my-chart_1.0", "A"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", &"a".repeat(251)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn starters_are_charts_with_the_name() {
        for starter in [Starter::Helm, Starter::Handlebars] {
            let files = files(starter, "shop");
            let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
            assert!(!all.contains(PLACEHOLDER));
            let chart = crate::chart::from_files(
                Path::new("shop"),
                files
                    .into_iter()
                    .map(|(name, text)| crate::chart::File {
                        name: name.to_owned(),
                        data: text.into_bytes(),
                    })
                    .collect(),
            )
            .unwrap();
            assert_eq!(chart.name(), "shop");
            assert_eq!(
                chart.metadata.renderer.is_some(),
                starter == Starter::Handlebars
            );
            assert_eq!(chart.manifest_templates().count(), 7);
        }
    }

    #[test]
    fn create_writes_into_the_path_and_reports_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("shop");
        let mut overwritten = Vec::new();
        create(&target, Starter::Helm, &mut |p| {
            overwritten.push(p.to_owned())
        })
        .unwrap();
        assert!(target.join("charts").is_dir());
        assert!(
            target
                .join("templates/tests/test-connection.yaml")
                .is_file()
        );
        assert!(overwritten.is_empty());
        create(&target, Starter::Helm, &mut |p| {
            overwritten.push(p.to_owned())
        })
        .unwrap();
        assert_eq!(overwritten.len(), 12);
        let err = create(&dir.path().join("no/such/shop"), Starter::Helm, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::NoParent(_)), "{err}");
        std::fs::write(dir.path().join("file"), "").unwrap();
        let err = create(&dir.path().join("file"), Starter::Helm, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::NotADirectory(_)), "{err}");
    }
}
