//! `kubectl chart dependency list|update|build CHART`: the dependencies `Chart.yaml` names,
//! for local (`file://`) repositories, as `helm dependency` manages them.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Outcome;
use crate::chart::fetch;

#[derive(Debug, Args)]
pub struct DependencyArgs {
    #[command(subcommand)]
    pub command: DependencyCommand,
}

#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    /// List the dependencies of Chart.yaml and whether charts/ holds them
    #[command(visible_alias = "ls")]
    List(ChartArg),
    /// Fetch every dependency into charts/ at the newest matching version and write Chart.lock
    #[command(visible_alias = "up")]
    Update(ChartArg),
    /// Fetch the versions Chart.lock names into charts/ (update when there is no lock)
    Build(ChartArg),
}

#[derive(Debug, Args)]
pub struct ChartArg {
    /// The chart folder
    #[arg(value_name = "CHART", default_value = ".")]
    pub chart: PathBuf,
}

pub fn run(args: DependencyArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    match args.command {
        DependencyCommand::List(arg) => match fetch::list(&arg.chart)? {
            None => writeln!(
                out,
                "WARNING: no dependencies at {}",
                arg.chart.join("charts").display()
            )?,
            Some((rows, warnings)) => {
                write!(out, "{}", fetch::table(&rows))?;
                writeln!(out)?;
                for warning in warnings {
                    writeln!(out, "WARNING: {warning}")?;
                }
            }
        },
        DependencyCommand::Update(arg) => fetch::update(&arg.chart, out)?,
        DependencyCommand::Build(arg) => fetch::build(&arg.chart, out)?,
    }
    Ok(Outcome::Success)
}
