//! `kubectl chart create NAME`: write a starter chart, as `helm create` does.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Outcome;
use crate::chart::scaffold::{self, Starter};

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The chart's folder; its last component is the chart's name
    #[arg(value_name = "NAME")]
    pub name: PathBuf,
    /// The template language of the starter: Go templates (the chart `helm create` writes)
    /// or Handlebars
    #[arg(long, value_enum, default_value_t = StarterArg::Go)]
    pub renderer: StarterArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StarterArg {
    Go,
    Handlebars,
}

pub fn run(args: CreateArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    writeln!(out, "Creating {}", args.name.display())?;
    let starter = match args.renderer {
        StarterArg::Go => Starter::Helm,
        StarterArg::Handlebars => Starter::Handlebars,
    };
    scaffold::create(&args.name, starter, &mut |path| {
        eprintln!(
            "{} file {:?} already exists. Overwriting.",
            colored::Colorize::yellow("warning:"),
            path.display().to_string()
        );
    })?;
    Ok(Outcome::Success)
}
