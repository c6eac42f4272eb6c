//! `kubectl chart get values|manifest|notes|hooks|all RELEASE`: what a revision recorded.

use std::io::Write;

use clap::{Args, Subcommand};

use super::release::{Format, print_data, print_summary, release_id, runtime};
use super::{GlobalArgs, Outcome};
use crate::release::Revision;
use crate::release::history::History;

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, Subcommand)]
pub enum What {
    /// The values the user supplied (--all: the values the chart was rendered with)
    Values {
        #[command(flatten)]
        target: Target,
        /// The computed values, defaults included
        #[arg(short = 'a', long)]
        all: bool,
        /// Output format
        #[arg(short = 'o', long, value_enum, default_value_t)]
        output: Format,
    },
    /// The objects the revision applied
    Manifest {
        #[command(flatten)]
        target: Target,
    },
    /// The rendered NOTES.txt
    Notes {
        #[command(flatten)]
        target: Target,
    },
    /// The chart's hooks
    Hooks {
        #[command(flatten)]
        target: Target,
    },
    /// Everything above
    All {
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Args)]
pub struct Target {
    /// Release name
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// This revision instead of the latest
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
}

pub fn run(global: &GlobalArgs, args: GetArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let target = match &args.what {
        What::Values { target, .. }
        | What::Manifest { target }
        | What::Notes { target }
        | What::Hooks { target }
        | What::All { target } => target,
    };
    let revision = runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let id = release_id(&cluster, &target.release)?;
        let history = History::load(&cluster, &id).await?;
        let found = match target.revision {
            Some(number) => history.get(number).cloned().ok_or_else(|| {
                crate::release::Error::NoSuchRevision {
                    release: id.to_string(),
                    revision: number,
                }
            })?,
            None => history
                .latest()
                .cloned()
                .ok_or_else(|| crate::release::Error::NotFound {
                    release: id.to_string(),
                })?,
        };
        anyhow::Ok(found)
    })?;
    match &args.what {
        What::Values { all, output, .. } => {
            let values = if *all {
                &revision.computed_values
            } else {
                &revision.values
            };
            if *output == Format::Table {
                writeln!(
                    out,
                    "{}",
                    if *all {
                        "COMPUTED VALUES:"
                    } else {
                        "USER-SUPPLIED VALUES:"
                    }
                )?;
                print_data(out, values, Format::Yaml)?;
            } else {
                print_data(out, values, *output)?;
            }
        }
        What::Manifest { .. } => write_manifest(out, &revision)?,
        What::Notes { .. } => write_notes(out, &revision)?,
        What::Hooks { .. } => write_hooks(out, &revision)?,
        What::All { .. } => {
            print_summary(out, &revision)?;
            writeln!(out, "USER-SUPPLIED VALUES:")?;
            print_data(out, &revision.values, Format::Yaml)?;
            writeln!(out, "\nCOMPUTED VALUES:")?;
            print_data(out, &revision.computed_values, Format::Yaml)?;
            writeln!(out, "\nHOOKS:")?;
            write_hooks(out, &revision)?;
            writeln!(out, "MANIFEST:")?;
            write_manifest(out, &revision)?;
            write_notes(out, &revision)?;
        }
    }
    Ok(Outcome::Success)
}

fn write_manifest(out: &mut dyn Write, revision: &Revision) -> anyhow::Result<()> {
    for applied in &revision.manifest {
        write!(
            out,
            "---\n# Source: {}\n{}",
            applied.source,
            crate::yaml::to_string(&applied.object)
        )?;
    }
    Ok(())
}

fn write_hooks(out: &mut dyn Write, revision: &Revision) -> anyhow::Result<()> {
    for hook in &revision.hooks {
        write!(
            out,
            "---\n# Source: {}\n{}",
            hook.source,
            crate::yaml::to_string(&hook.manifest)
        )?;
    }
    Ok(())
}

fn write_notes(out: &mut dyn Write, revision: &Revision) -> anyhow::Result<()> {
    if let Some(notes) = revision.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        writeln!(out, "NOTES:\n{}", notes.trim_end())?;
    }
    Ok(())
}
