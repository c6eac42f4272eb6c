//! `kubectl chart apply RELEASE CHART` (aliases `install`, `upgrade`): render, then write the
//! objects with a three-way merge, prune what the chart no longer renders, record the release.

use std::io::Write;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use colored::Colorize;

use super::release::{DeployArgs, print_hooks, print_summary, release_id, runtime};
use super::render::RenderArgs;
use super::{GlobalArgs, Outcome};
use crate::apply::{self, Action, DryRun, Report};
use crate::chart;
use crate::release::Capabilities;
use crate::release::deploy::{Desired, Session};
use crate::render;

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    /// Do not install the CustomResourceDefinitions of the charts' crds/ folders
    #[arg(long)]
    pub skip_crds: bool,
    /// Show what would change without changing anything: `client` sends no writes, `server`
    /// sends every write with dryRun=All so the API server validates it
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "client", default_value = "none")]
    pub dry_run: DryRunArg,
    /// Use server-side apply (field manager `kubectl-chart`) instead of a client-side merge
    #[arg(long)]
    pub server_side: bool,
    /// With --server-side: take fields other field managers own
    #[arg(long, requires = "server_side")]
    pub force_conflicts: bool,
    /// Adopt objects that exist and belong to no release or to another one
    #[arg(long)]
    pub take_ownership: bool,
    /// Create the release namespace (and any other namespace objects go to) if missing
    #[arg(long)]
    pub create_namespace: bool,
    /// Take over the release Helm installed as NAME (default: RELEASE) in this namespace: its
    /// latest deployed revision is the last applied, so the merge is three-way against what
    /// Helm applied and what Helm owned that the chart no longer renders is pruned. Helm's
    /// records are left as they are
    #[arg(
        long,
        value_name = "NAME",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub from_helm_release: Option<String>,
    /// Accepted for `helm upgrade --install` muscle memory: apply always installs
    #[arg(long, hide = true)]
    pub install: bool,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = ApplyFormat::Text)]
    pub output: ApplyFormat,
    /// Reads and writes in flight at once
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
    /// How long to wait for a CustomResourceDefinition to become Established
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub crd_timeout: Duration,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunArg {
    None,
    Client,
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

/// `30s`, `2m`, `500ms`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let quoted = crate::quote::short(text);
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{quoted}` is not a duration like 30s, 2m or 500ms"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "`{quoted}`: unknown unit `{}` (ms, s, m, h)",
                crate::quote::short(unit)
            ));
        }
    };
    // `from_secs_f64` panics on a value too large for a Duration.
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{quoted}` is too long a duration"))
}

pub fn run(global: &GlobalArgs, args: ApplyArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    args.render.require_release("apply")?;
    let release_name = args.render.release_name().to_owned();
    let helm = args.from_helm_release.as_ref().map(|name| {
        if name.is_empty() {
            release_name.clone()
        } else {
            name.clone()
        }
    });
    if let Some(name) = &helm {
        crate::release::validate_name(name)?;
    }
    let mut prepared = args.render.prepare(global)?;
    let apply_options = apply::Options {
        dry_run: match args.dry_run {
            DryRunArg::None => DryRun::None,
            DryRunArg::Client => DryRun::Client,
            DryRunArg::Server => DryRun::Server,
        },
        server_side: args.server_side,
        force_conflicts: args.force_conflicts,
        take_ownership: args.take_ownership,
        create_namespace: args.create_namespace,
        concurrency: args.concurrency,
        crd_timeout: args.crd_timeout,
        ..apply::Options::default()
    };
    let options = args.deploy.options(apply_options);
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let id = release_id(&cluster, args.render.release_name())?;
        let mut session = Session::open(cluster.clone(), id, options).await?;
        let result = async {
            if let Some(name) = &helm {
                if session.history.is_installed() {
                    bail!(
                        "release {} is already installed by kubectl-chart (see `kubectl chart history {}`); --from-helm-release takes a release over from Helm once",
                        session.id,
                        session.id.name
                    );
                }
                session.start_from(super::release::helm_previous(&cluster, name).await?);
            }
            prepared.job.release = session.template_release()?;
            let server_version = cluster.kube_version().await?;
            prepared.job.capabilities =
                Capabilities::parse(&server_version).map_err(|message| {
                    anyhow::anyhow!("the cluster's version `{server_version}`: {message}")
                })?;
            let rendered = render::render(&prepared.job, &prepared.plugins)
                .inspect_err(|err| super::template::show_rendered(global, err))?;
            // The crds/ folders first, as Helm installs them; hooks go with the objects, the
            // release sets them apart.
            let mut objects = if args.skip_crds {
                Vec::new()
            } else {
                rendered.crd_objects()?
            };
            objects.extend(rendered.objects()?);
            let desired = Desired {
                chart: serde_json::to_value(&prepared.job.chart.metadata)?,
                values: prepared.user_values.clone(),
                computed_values: chart::values::plain_numbers(serde_json::Value::Object(
                    prepared.job.values.clone(),
                )),
                objects,
                notes: rendered.notes,
            };
            anyhow::Ok(session.upgrade(desired).await?)
        }
        .await;
        let closed = session.close().await;
        let outcome = result?;
        closed?;
        match args.output {
            ApplyFormat::Text => {
                print_text(out, &outcome.report)?;
                if let Some(revision) = &outcome.revision {
                    print_hooks(out, revision)?;
                    writeln!(out)?;
                    print_summary(out, revision)?;
                    if let Some(notes) = &revision.notes
                        && !notes.trim().is_empty()
                    {
                        writeln!(out, "\nNOTES:\n{}", notes.trim_end())?;
                    }
                }
            }
            ApplyFormat::Json => {
                let json = serde_json::json!({
                    "release": outcome.report.release,
                    "dryRun": outcome.report.dry_run,
                    "changes": outcome.report.changes,
                    "revision": outcome.revision.as_ref().map(|r| r.revision),
                    "status": outcome.revision.as_ref().map(|r| r.status),
                    "recorded": outcome.recorded,
                });
                serde_json::to_writer_pretty(&mut *out, &json)?;
                writeln!(out)?;
            }
        }
        Ok(Outcome::Success)
    })
}

pub(super) fn print_text(out: &mut dyn Write, report: &Report) -> anyhow::Result<()> {
    for change in &report.changes {
        let action = change.action.as_str();
        let action = match change.action {
            Action::Created => action.green(),
            Action::Configured => action.yellow(),
            Action::Pruned => action.red(),
            Action::Unchanged => action.dimmed(),
        };
        writeln!(out, "{} {action}", change.object)?;
    }
    let suffix = match report.dry_run {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    };
    writeln!(
        out,
        "release {}: {} created, {} configured, {} unchanged, {} pruned{suffix}",
        report.release,
        report.count(Action::Created),
        report.count(Action::Configured),
        report.count(Action::Unchanged),
        report.count(Action::Pruned),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3d").is_err());
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        let huge = format!("{}h", "9".repeat(400));
        let err = parse_duration(&huge).unwrap_err();
        assert!(
            err.contains("too long a duration") && err.len() < 200,
            "{err}"
        );
    }
}
