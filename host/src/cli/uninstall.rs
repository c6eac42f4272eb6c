//! `kubectl chart uninstall RELEASE` (alias `delete`): delete a release's objects and its
//! history (or keep the history, marked uninstalled).

use std::io::Write;
use std::time::Duration;

use clap::Args;
use colored::Colorize;

use super::apply::parse_duration;
use super::release::{LockArgs, release_id, runtime};
use super::{GlobalArgs, Outcome};
use crate::release::uninstall::{self, Options};

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release names
    #[arg(value_name = "RELEASE", required = true)]
    pub releases: Vec<String>,
    /// Keep the history, with the last revision marked `uninstalled`
    #[arg(long)]
    pub keep_history: bool,
    /// Wait until every deleted object is gone
    #[arg(long)]
    pub wait: bool,
    /// How long --wait and each hook may take
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Do not run the chart's delete hooks
    #[arg(long)]
    pub no_hooks: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print what was done as JSON
    #[arg(short = 'o', long, value_parser = ["text", "json"], default_value = "text")]
    pub output: String,
}

pub fn run(
    global: &GlobalArgs,
    args: UninstallArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let options = Options {
        keep_history: args.keep_history,
        wait: args.wait,
        timeout: args.timeout,
        no_hooks: args.no_hooks,
    };
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let mut reports = Vec::new();
        for name in &args.releases {
            let id = release_id(&cluster, name)?;
            let report =
                uninstall::uninstall(cluster.clone(), &id, &options, &args.lock.options()).await?;
            if args.output == "text" {
                for object in &report.deleted {
                    writeln!(out, "{object} {}", "deleted".red())?;
                }
                for object in &report.kept {
                    writeln!(out, "{object} {} (resource policy keep)", "kept".yellow())?;
                }
                writeln!(out, "release \"{}\" uninstalled", id.name)?;
            }
            reports.push(report);
        }
        if args.output == "json" {
            serde_json::to_writer_pretty(&mut *out, &reports)?;
            writeln!(out)?;
        }
        Ok(Outcome::Success)
    })
}
