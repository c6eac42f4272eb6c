//! What the release commands share: connecting, the flags of commands that deploy (`apply`,
//! `rollback`), starting from a release Helm installed, and printing a release's summary as
//! Helm does.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use colored::Colorize;

use super::GlobalArgs;
use super::apply::parse_duration;
use crate::apply::Previous;
use crate::cluster::{Cluster, ConnectOptions, Timeouts};
use crate::release::lock::LockOptions;
use crate::release::{ReleaseId, Revision, Status};
use crate::release::{deploy, helm};

/// Starts the async runtime cluster commands run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

impl GlobalArgs {
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: self.namespace.clone(),
            timeouts: self
                .request_timeout
                .map_or_else(Timeouts::default, Timeouts::uniform),
        }
    }

    /// Connects to the cluster of the kubeconfig.
    pub async fn connect(&self) -> anyhow::Result<Arc<Cluster>> {
        Ok(Arc::new(Cluster::connect(&self.connect_options()).await?))
    }
}

/// The release `name` in the command's namespace.
pub fn release_id(cluster: &Cluster, name: &str) -> anyhow::Result<ReleaseId> {
    Ok(ReleaseId::new(name, cluster.namespace())?)
}

/// What Helm's latest deployed revision of release `name` (in the command's namespace)
/// applied, as the previous revision of a plan; Helm's records are only read.
pub async fn helm_previous(cluster: &Cluster, name: &str) -> anyhow::Result<Previous> {
    let driver_name = std::env::var("HELM_DRIVER").unwrap_or_default();
    let driver = helm::Driver::from_env_value(&driver_name).with_context(|| {
        format!(
            "HELM_DRIVER={}: only Helm's secret and configmap drivers keep releases in the cluster",
            crate::quote::short(&driver_name)
        )
    })?;
    let namespace = cluster.namespace();
    let Some(release) = helm::latest_deployed(cluster, driver, namespace, name).await? else {
        bail!(
            "Helm release `{name}` has no deployed revision in namespace `{namespace}` (see `helm list -n {namespace}`)"
        );
    };
    crate::verbose!(
        "starting from Helm release {namespace}/{name} revision {} ({} {})",
        release.version,
        release.chart.name,
        release.chart.version
    );
    let applied = release.applied_objects(cluster).await?;
    Ok(Previous {
        helm_release: Some(name.to_owned()),
        ..Previous::from_applied(Some(release.version), applied)
    })
}

/// Flags of commands that write a revision.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Wait until every object is ready (Deployments rolled out, Jobs complete, claims bound,
    /// load balancers addressed) before marking the revision deployed
    #[arg(long)]
    pub wait: bool,
    /// How long --wait and each hook may take
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// On failure, roll back to the last deployed revision (a failed install is uninstalled)
    #[arg(long, visible_alias = "rollback-on-failure")]
    pub atomic: bool,
    /// Revisions to keep in the history (0: all); the deployed one is always kept
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub history_max: usize,
    /// Do not run the chart's hooks
    #[arg(long)]
    pub no_hooks: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// A description for the revision, shown by `history`
    #[arg(long)]
    pub description: Option<String>,
}

impl DeployArgs {
    pub fn options(&self, apply: crate::apply::Options) -> deploy::Options {
        deploy::Options {
            apply,
            wait: self.wait,
            timeout: self.timeout,
            atomic: self.atomic,
            history_max: self.history_max,
            no_hooks: self.no_hooks,
            lock: self.lock.options(),
            description: self.description.clone(),
        }
    }
}

/// How a command takes a release's lock.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// When another run holds the release's lock, wait this long for it instead of failing
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub wait_for_lock: Option<Duration>,
    /// How long the release's lock outlives a run that died holding it
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_ttl: Duration,
}

impl LockArgs {
    pub fn options(&self) -> LockOptions {
        LockOptions {
            wait: self.wait_for_lock,
            ttl: self.lock_ttl,
        }
    }
}

/// Output formats of release commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
}

/// An RFC 3339 time as Helm prints it (Go's ANSIC layout, local time): `Mon Jan  2 15:04:05 2006`.
pub fn ansic(timestamp: &str) -> String {
    let Ok(at) = timestamp.parse::<jiff::Timestamp>() else {
        return timestamp.to_owned();
    };
    let zoned = at.to_zoned(jiff::tz::TimeZone::system());
    zoned.strftime("%a %b %e %H:%M:%S %Y").to_string()
}

/// A status, coloured as Helm colours it.
pub fn status_colored(status: Status) -> colored::ColoredString {
    let text = status.as_str();
    match status {
        Status::Deployed => text.green(),
        Status::Failed => text.red(),
        Status::Superseded | Status::Uninstalled => text.dimmed(),
        _ => text.yellow(),
    }
}

/// One line per hook this revision ran (`batch/v1 Job shop/migrate hook pre-upgrade
/// succeeded`), after the objects' lines: hooks are not release objects, but what ran
/// belongs in what apply reports.
pub fn print_hooks(out: &mut dyn Write, revision: &Revision) -> anyhow::Result<()> {
    for hook in &revision.hooks {
        let Some(run) = &hook.last_run else { continue };
        let phase = run.phase.to_lowercase();
        let phase = if run.phase == "Succeeded" {
            phase.green()
        } else {
            phase.red()
        };
        writeln!(
            out,
            "{} hook {} {phase}",
            hook.object,
            hook.events.join(",")
        )?;
    }
    Ok(())
}

/// `NAME: ... LAST DEPLOYED: ... NAMESPACE: ... STATUS: ... REVISION: ... DESCRIPTION: ...`,
/// as `helm install` and `helm status` print a release.
pub fn print_summary(out: &mut dyn Write, revision: &Revision) -> anyhow::Result<()> {
    writeln!(out, "NAME: {}", revision.name)?;
    writeln!(out, "LAST DEPLOYED: {}", ansic(&revision.last_deployed))?;
    writeln!(out, "NAMESPACE: {}", revision.namespace)?;
    writeln!(out, "STATUS: {}", status_colored(revision.status))?;
    writeln!(out, "REVISION: {}", revision.revision)?;
    writeln!(out, "DESCRIPTION: {}", revision.description)?;
    Ok(())
}

/// `TEST SUITE:` lines for the test hooks of a revision.
pub fn print_tests(out: &mut dyn Write, revision: &Revision) -> anyhow::Result<()> {
    let tests: Vec<_> = revision
        .hooks
        .iter()
        .filter(|h| h.events.iter().any(|e| e == "test"))
        .filter_map(|h| h.last_run.as_ref().map(|run| (h, run)))
        .collect();
    if tests.is_empty() {
        writeln!(out, "TEST SUITE: None")?;
    }
    for (hook, run) in tests {
        writeln!(out, "TEST SUITE:     {}", hook.object.name)?;
        writeln!(out, "Last Started:   {}", ansic(&run.started_at))?;
        writeln!(out, "Last Completed: {}", ansic(&run.completed_at))?;
        writeln!(out, "Phase:          {}", run.phase)?;
    }
    Ok(())
}

/// Prints `value` as JSON or YAML.
pub fn print_data(
    out: &mut dyn Write,
    value: &impl serde::Serialize,
    format: Format,
) -> anyhow::Result<()> {
    match format {
        Format::Yaml => out.write_all(crate::yaml::to_string(value).as_bytes())?,
        _ => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// Rows as aligned columns (kubectl's style: columns three spaces apart, no trailing blanks).
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| console_width(cell))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c].saturating_sub(console_width(cell)) + 3;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// The width of text on a terminal, not counting colour escapes.
fn console_width(text: &str) -> usize {
    let mut width = 0;
    let mut escape = false;
    for c in text.chars() {
        match (escape, c) {
            (false, '\u{1b}') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["NAME".to_owned(), "STATUS".to_owned(), "X".to_owned()],
            vec![
                "web".to_owned(),
                "\u{1b}[32mdeployed\u{1b}[0m".to_owned(),
                String::new(),
            ],
        ];
        assert_eq!(
            table(&rows),
            "NAME   STATUS     X\nweb    \u{1b}[32mdeployed\u{1b}[0m\n"
        );
    }

    #[test]
    fn times_print_as_helm_prints_them() {
        let printed = ansic("2026-11-30T13:31:48Z");
        assert_eq!(printed.len(), "Mon Nov 30 13:31:48 2026".len(), "{printed}");
        assert_eq!(ansic("not a time"), "not a time");
    }
}
