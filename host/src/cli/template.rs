//! `kubectl chart template RELEASE CHART`: render a chart and print its objects.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::values::{ValueArgs, load_chart};
use super::{GlobalArgs, Outcome, OutputFormat};
use crate::chart::glob_match;
use crate::manifest::{self, Object};
use crate::release::{self, Capabilities, Release};
use crate::render;

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Release name (lowercase letters, digits, `-` and `.`; at most 53 characters)
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// Chart folder or packaged chart (.tgz)
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Only print objects from these templates (`templates/deployment.yaml`; globs allowed)
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Kubernetes version for Capabilities.KubeVersion and the chart's kubeVersion check
    #[arg(long, value_name = "VERSION", default_value = release::DEFAULT_KUBE_VERSION)]
    pub kube_version: String,
    /// Extra API versions for Capabilities.APIVersions (repeat or comma-separate)
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "GROUP/VERSION",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Render as an upgrade (Release.IsUpgrade) rather than a first install
    #[arg(long)]
    pub is_upgrade: bool,
    /// Also print the rendered NOTES.txt, after the objects, to standard error
    #[arg(long)]
    pub notes: bool,
}

impl TemplateArgs {
    pub fn capabilities(&self) -> Capabilities {
        offline_capabilities(&self.kube_version, &self.api_versions)
    }
}

/// `Capabilities` without a cluster: `--kube-version` and the default API versions plus
/// `--api-versions`, as `helm template` does.
pub(super) fn offline_capabilities(kube_version: &str, api_versions: &[String]) -> Capabilities {
    let mut caps = Capabilities {
        kube_version: normalise_kube_version(kube_version),
        ..Capabilities::default()
    };
    caps.api_versions.extend(api_versions.iter().cloned());
    caps
}

pub(super) fn normalise_kube_version(version: &str) -> String {
    let bare = version.trim_start_matches('v');
    let dots = bare.split('-').next().unwrap_or(bare).matches('.').count();
    let padded = match dots {
        0 => format!("{bare}.0.0"),
        1 => format!("{bare}.0"),
        _ => bare.to_owned(),
    };
    format!("v{padded}")
}

pub fn run(
    global: &GlobalArgs,
    args: TemplateArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    crate::release::validate_name(&args.release)?;
    let chart = load_chart(&args.chart)?;
    let values = args.values.compute(&chart)?;
    let mut release = Release::install(&args.release, &global.namespace_or_default());
    if args.is_upgrade {
        release.is_install = false;
        release.is_upgrade = true;
    }
    let plugins = super::plugin::registry(global, Some(&args.chart))?;
    let rendered =
        render::render_with_plugins(&chart, &values, &release, &args.capabilities(), &plugins)
            .inspect_err(|err| show_rendered(global, err))?;
    let objects = select(rendered.objects, &args.show_only, chart.name())?;
    match args.output {
        OutputFormat::Yaml => out.write_all(manifest::to_yaml_stream(&objects).as_bytes())?,
        OutputFormat::Json => out.write_all(manifest::to_json_list(&objects).as_bytes())?,
    }
    if args.notes
        && let Some(notes) = rendered.notes
    {
        eprintln!("NOTES:\n{notes}");
    }
    Ok(Outcome::Success)
}

/// With `-v`, prints the rendered text of a template whose output could not be parsed.
pub fn show_rendered(global: &GlobalArgs, err: &render::Error) {
    if global.verbose == 0 {
        return;
    }
    if let render::Error::Manifest { rendered, error } = err {
        eprintln!("--- rendered output of the failing template ({error})");
        for (number, line) in rendered.lines().enumerate() {
            eprintln!("{:>4} | {line}", number + 1);
        }
        eprintln!("---");
    }
}

/// Keeps the objects whose template matches one of `patterns` (all when there are none).
fn select(objects: Vec<Object>, patterns: &[String], chart: &str) -> anyhow::Result<Vec<Object>> {
    if patterns.is_empty() {
        return Ok(objects);
    }
    let prefix = format!("{chart}/");
    let matches = |pattern: &str, source: &str| {
        let relative = source.strip_prefix(&prefix).unwrap_or(source);
        glob_match(pattern, source) || glob_match(pattern, relative)
    };
    for pattern in patterns {
        if !objects.iter().any(|o| matches(pattern, &o.source)) {
            bail!("--show-only `{pattern}`: no object was rendered from a template matching it");
        }
    }
    Ok(objects
        .into_iter()
        .filter(|o| patterns.iter().any(|p| matches(p, &o.source)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_are_normalised() {
        assert_eq!(normalise_kube_version("1.30"), "v1.30.0");
        assert_eq!(normalise_kube_version("v1.30.2"), "v1.30.2");
        assert_eq!(normalise_kube_version("1"), "v1.0.0");
    }
}
