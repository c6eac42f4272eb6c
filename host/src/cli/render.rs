//! The flags every command that renders a chart shares ([`RenderArgs`]: release, chart, value
//! flags, Kubernetes version and API versions), and [`RenderArgs::prepare`], which turns them
//! into a ready [`render::Job`] once, the same way for template, lint, apply and diff.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Map, Value};

use super::GlobalArgs;
use super::values::ValueArgs;
use crate::chart::{self, Chart, values};
use crate::plugin;
use crate::release::{self, Capabilities, Release};
use crate::render::{self, Engine};

/// The release name `helm template CHART` uses when none is given.
pub const DEFAULT_RELEASE: &str = "release-name";

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The release name, then the chart (a folder or a packaged .tgz). Given alone, the chart
    /// is rendered as release `release-name`, as `helm template CHART` does
    #[arg(value_names = ["RELEASE", "CHART"], num_args = 1..=2, required = true)]
    pub names: Vec<String>,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Kubernetes version for Capabilities.KubeVersion and the chart's kubeVersion check
    #[arg(long, value_name = "VERSION", default_value = release::DEFAULT_KUBE_VERSION, value_parser = parse_kube_version)]
    pub kube_version: String,
    /// Extra API versions for Capabilities.APIVersions (repeat or comma-separate)
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "GROUP/VERSION",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Do not check the values against the charts' values.schema.json
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Name the release with a Go template (Sprig's functions, no data), as Helm's
    /// --name-template does; only when no RELEASE is given
    #[arg(long, value_name = "TEMPLATE")]
    pub name_template: Option<String>,
}

/// A render job and what came with it.
pub struct Prepared {
    pub job: render::Job,
    /// The values the user supplied (files and `--set` flags), as Helm records them.
    pub user_values: Value,
    pub plugins: plugin::Registry,
    /// The chart as given on the command line.
    pub chart_path: PathBuf,
}

impl RenderArgs {
    /// The release name: the first of two arguments, else `release-name`.
    pub fn release_name(&self) -> &str {
        match self.names.as_slice() {
            [release, _] => release,
            _ => DEFAULT_RELEASE,
        }
    }

    /// The release name with `--name-template` applied: its result when given (with no
    /// RELEASE argument), else [`RenderArgs::release_name`].
    pub fn resolved_release_name(&self) -> anyhow::Result<String> {
        // An empty template is no template, as in Helm.
        match (
            self.name_template.as_ref().filter(|t| !t.is_empty()),
            self.names.len(),
        ) {
            (None, _) => Ok(self.release_name().to_owned()),
            (Some(_), 2) => bail!("cannot set --name-template and also give a RELEASE name"),
            (Some(template), _) => Ok(crate::render::gotmpl::release_name_from_template(template)?),
        }
    }

    /// The chart argument: the last one.
    pub fn chart_path(&self) -> PathBuf {
        PathBuf::from(self.names.last().map(String::as_str).unwrap_or_default())
    }

    /// Fails unless both RELEASE and CHART were given, for commands that change a cluster.
    pub fn require_release(&self, command: &str) -> anyhow::Result<()> {
        if self.names.len() != 2 {
            bail!("`{command}` needs a release name: kubectl chart {command} RELEASE CHART");
        }
        Ok(())
    }

    /// Everything before rendering, as Helm does it: the release name checked, the chart
    /// and its subcharts loaded, the value flags read, the dependencies processed
    /// (conditions, tags, aliases, import-values), the values coalesced over every chart's
    /// defaults and checked against every schema; `Release` as a first install into the
    /// namespace; `Capabilities` from `--kube-version` and `--api-versions`; the plugins.
    pub fn prepare(&self, global: &GlobalArgs) -> anyhow::Result<Prepared> {
        let release_name = self.resolved_release_name()?;
        let release_name = release_name.as_str();
        release::validate_name(release_name)?;
        let chart_path = self.chart_path();
        let chart = load_chart(&chart_path)?;
        let user = values::user_values(&self.values.options(), &mut std::io::stdin().lock())?;
        let user_values = values::plain_numbers(user.clone());
        let (chart, values) = release_values(chart, user, !self.skip_schema_validation)?;
        let release = Release::install(release_name, &global.namespace_or_default());
        let capabilities = offline_capabilities(&self.kube_version, &self.api_versions)?;
        let plugins = super::plugin::registry(global, Some(&chart_path))?;
        crate::verbose!(
            "chart {} {} ({}), {} subchart(s) enabled",
            chart.name(),
            chart.metadata.version,
            Engine::of(&chart),
            count_subcharts(&chart)
        );
        Ok(Prepared {
            job: render::Job {
                chart,
                values,
                release,
                capabilities,
            },
            user_values,
            plugins,
            chart_path,
        })
    }
}

fn count_subcharts(chart: &Chart) -> usize {
    chart
        .dependencies
        .iter()
        .map(|sub| 1 + count_subcharts(sub))
        .sum()
}

/// Loads a chart, with the path in the error, and refuses what Helm will not install.
pub fn load_chart(path: &Path) -> anyhow::Result<Chart> {
    let chart = chart::load(path)?;
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        bail!(
            "{} charts are not installable: `{}` ({})",
            chart.metadata.chart_type,
            chart.name(),
            path.display()
        );
    }
    Ok(chart)
}

/// The chart with its dependencies processed, and its values: Helm's steps between loading
/// and rendering. Helm's warnings go to standard error.
pub fn release_values(
    mut chart: Chart,
    user: Value,
    check_schema: bool,
) -> anyhow::Result<(Chart, Map<String, Value>)> {
    let user = match user {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let computed = values::for_release(&mut chart, &user, check_schema)
        .with_context(|| format!("chart `{}`", chart.name()))?;
    for warning in &computed.warnings {
        eprintln!("{} {warning}", colored::Colorize::yellow("warning:"));
    }
    Ok((chart, computed.values))
}

/// Parses `--kube-version` as Helm does (Kubernetes' generic version syntax): an optional
/// `v`, then at least `MAJOR.MINOR` in numbers (no leading zero in the major), then anything
/// (`-rc.1`, `+k3s1`); it becomes `v` and the text, unpadded (`1.30` is `v1.30`, as in Helm).
/// Empty means the default.
pub fn parse_kube_version(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Ok(release::DEFAULT_KUBE_VERSION.to_owned());
    }
    let quoted = crate::quote::quoted(text);
    let bare = text.trim_start();
    let bare = bare.strip_prefix('v').unwrap_or(bare);
    // The numbers: digits and dots up to the first other character, not ending in a dot.
    let end = bare
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(bare.len());
    let mut numbers = &bare[..end];
    while let Some(shorter) = numbers.strip_suffix('.') {
        numbers = shorter;
    }
    if numbers.is_empty() || numbers.starts_with('.') || numbers.contains("..") {
        return Err(format!("{quoted} is not a Kubernetes version like v1.35.0"));
    }
    let components: Vec<&str> = numbers.split('.').collect();
    if components.len() < 2 {
        return Err(format!(
            "{quoted} is not a Kubernetes version: it needs at least a major and a minor number (1.35)"
        ));
    }
    if components[0].len() > 1 && components[0].starts_with('0') {
        return Err(format!(
            "{quoted}: the major version `{}` has a leading zero",
            components[0]
        ));
    }
    if let Some(huge) = components.iter().find(|c| c.parse::<u64>().is_err()) {
        return Err(format!(
            "{quoted}: `{huge}` is too large for a version number"
        ));
    }
    Ok(format!("v{}", text.strip_prefix('v').unwrap_or(text)))
}

/// `Capabilities` without a cluster: `--kube-version` and Helm's default API versions plus
/// `--api-versions`, as `helm template` does.
pub fn offline_capabilities(
    kube_version: &str,
    api_versions: &[String],
) -> anyhow::Result<Capabilities> {
    let mut caps = Capabilities::parse(kube_version)
        .map_err(|message| anyhow::anyhow!("invalid --kube-version: {message}"))?;
    caps.api_versions.extend(api_versions.iter().cloned());
    Ok(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_parse_as_helms() {
        // Each checked against `helm template --kube-version` (v4.1).
        let ok = [
            ("1.30", "v1.30"),
            ("v1.30.2", "v1.30.2"),
            ("1.2.3.4", "v1.2.3.4"),
            ("v1.30.0+k3s1", "v1.30.0+k3s1"),
            ("1.30-rc.1", "v1.30-rc.1"),
            ("1.30.2-gke.1", "v1.30.2-gke.1"),
            ("1.30.x", "v1.30.x"),
            ("0.1", "v0.1"),
            ("1.05", "v1.05"),
            ("", release::DEFAULT_KUBE_VERSION),
        ];
        for (input, expected) in ok {
            assert_eq!(
                parse_kube_version(input).as_deref(),
                Ok(expected),
                "{input}"
            );
        }
        let bad = [
            ("garbage", "not a Kubernetes version"),
            ("1", "at least a major and a minor"),
            ("v1", "at least a major and a minor"),
            ("1.x", "at least a major and a minor"),
            ("V1.30", "not a Kubernetes version"),
            (">1.2", "not a Kubernetes version"),
            ("01.2", "leading zero"),
            ("99999999999999999999.1", "too large"),
        ];
        for (input, expected) in bad {
            let err = parse_kube_version(input).unwrap_err();
            assert!(err.contains(expected), "{input}: {err}");
        }
        let long = format!("x{}", "1".repeat(10_000));
        assert!(parse_kube_version(&long).unwrap_err().len() < 200);
    }
}
