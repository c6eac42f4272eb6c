//! `kubectl chart lint CHART`: render a chart, run the built-in rules, the lint config's
//! custom rules and the plugin linters over its objects, print the findings, and fail (exit 1)
//! on error findings (or on warnings too, with `--strict`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::render::RenderArgs;
use super::{GlobalArgs, Outcome};
use crate::chart::Chart;
use crate::lint::{self, Config, Linter};
use crate::render;

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: LintFormat,
    /// Lint config file (default: `.kubectl-chart-lint.yaml` in the chart, when present)
    #[arg(long = "lint-config", value_name = "FILE")]
    pub lint_config: Option<PathBuf>,
    /// Fail on warnings too, not only on errors
    #[arg(long)]
    pub strict: bool,
    /// Release name to render with (as a first argument before CHART does)
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
}

/// How `lint` prints its report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Findings grouped by template and object, with a summary line
    #[default]
    Text,
    /// One JSON document: summary, findings, warnings
    Json,
    /// SARIF 2.1.0, for code-scanning UIs
    Sarif,
}

pub fn run(
    global: &GlobalArgs,
    mut args: LintArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    if let Some(release) = args.release.take() {
        let chart = args.render.names.pop().unwrap_or_default();
        args.render.names = vec![release, chart];
    }
    let prepared = args.render.prepare(global)?;
    let chart = &prepared.job.chart;
    let mut config = load_config(chart, args.lint_config.as_deref())?;
    let registry = &prepared.plugins;
    let rendered = render::render(&prepared.job, registry)
        .inspect_err(|err| super::template::show_rendered(global, err))?;
    let objects = rendered
        .objects()
        .inspect_err(|err| super::template::show_rendered(global, err))?;

    // WASM linters run through the same runner as the built-in rules, each with its
    // `linters.<name>` entry of the config (or its sidecar config when there is none).
    let plugins = registry.linters();
    // The chart's own config may not reconfigure or silence the user's trusted linters.
    if args.lint_config.is_none() {
        let trusted = plugins
            .iter()
            .filter(|p| p.plugin().trust() == crate::plugin::Trust::Trusted)
            .map(|p| p.plugin().name());
        for warning in config.protect(trusted) {
            eprintln!("{} {warning}", colored::Colorize::yellow("warning:"));
        }
    }
    let plugins: Vec<&dyn Linter> = plugins.iter().map(|p| p as &dyn Linter).collect();
    let report = lint::run_all(&objects, &plugins, &config)?;

    for warning in &report.warnings {
        eprintln!("{} {warning}", colored::Colorize::yellow("warning:"));
    }
    let text = match args.output {
        LintFormat::Text => report.to_text(),
        LintFormat::Json => report.to_json(),
        LintFormat::Sarif => {
            let artifact = |source: &str| artifact_path(&prepared.chart_path, chart.name(), source);
            report.to_sarif(&artifact)
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(if report.fails(args.strict) {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

/// `--lint-config FILE`, else the chart's `.kubectl-chart-lint.yaml`, else the defaults.
fn load_config(chart: &Chart, explicit: Option<&Path>) -> anyhow::Result<Config> {
    if let Some(path) = explicit {
        return Ok(Config::load(path)?);
    }
    match chart.files.get(lint::config::FILE_NAME) {
        Some(bytes) => {
            let path = chart.file_path(lint::config::FILE_NAME);
            let text = std::str::from_utf8(bytes)
                .with_context(|| format!("lint config `{}` is not UTF-8", path.display()))?;
            Ok(Config::parse(&path.display().to_string(), text)?)
        }
        None => Ok(Config::default()),
    }
}

/// Where a template lives for code-scanning UIs: `web/templates/x.yaml` from a chart folder
/// given as `charts/web` is `charts/web/templates/x.yaml`, relative as given (absolute paths
/// become `file://` URIs). Templates of a packaged chart keep their in-chart names.
fn artifact_path(chart_arg: &Path, chart_name: &str, source: &str) -> String {
    let Some(rest) = source.strip_prefix(&format!("{chart_name}/")) else {
        return source.to_owned();
    };
    if !chart_arg.is_dir() {
        return source.to_owned();
    }
    let joined = chart_arg.join(rest);
    let text = joined.to_string_lossy().replace('\\', "/");
    if joined.is_absolute() {
        format!("file://{text}")
    } else {
        text.trim_start_matches("./").to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths() {
        let dir = tempfile::tempdir().unwrap();
        let abs = artifact_path(dir.path(), "web", "web/templates/a.yaml");
        assert!(abs.starts_with("file:///"), "{abs}");
        assert!(abs.ends_with("/templates/a.yaml"), "{abs}");
        assert_eq!(
            artifact_path(Path::new("web.tgz"), "web", "web/templates/a.yaml"),
            "web/templates/a.yaml"
        );
        assert_eq!(
            artifact_path(dir.path(), "web", "other/templates/a.yaml"),
            "other/templates/a.yaml"
        );
    }
}
