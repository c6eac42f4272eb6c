//! `kubectl chart rollback RELEASE [REVISION]`: apply an earlier revision's manifest with the
//! same three-way merge and prune, recorded as a new revision (`Rollback to N`), as Helm does.

use std::io::Write;

use clap::Args;

use super::apply::{DryRunArg, print_text};
use super::release::{DeployArgs, print_hooks, print_summary, release_id, runtime};
use super::{GlobalArgs, Outcome};
use crate::apply::{self, DryRun};
use crate::release::deploy::Session;

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Release name
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// The revision to go back to (default: the one deployed before the current one)
    #[arg(value_name = "REVISION")]
    pub revision: Option<u64>,
    /// Show what would change without changing anything
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "client", default_value = "none")]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

pub fn run(
    global: &GlobalArgs,
    args: RollbackArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let apply_options = apply::Options {
        dry_run: match args.dry_run {
            DryRunArg::None => DryRun::None,
            DryRunArg::Client => DryRun::Client,
            DryRunArg::Server => DryRun::Server,
        },
        // A rollback puts back objects the release owned: ours to take.
        take_ownership: false,
        ..apply::Options::default()
    };
    let options = args.deploy.options(apply_options);
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let id = release_id(&cluster, &args.release)?;
        let mut session = Session::open(cluster, id, options).await?;
        let result = session.rollback(args.revision).await;
        let closed = session.close().await;
        let outcome = result?;
        closed?;
        print_text(out, &outcome.report)?;
        if let Some(revision) = &outcome.revision {
            print_hooks(out, revision)?;
            writeln!(out)?;
            print_summary(out, revision)?;
        }
        Ok(Outcome::Success)
    })
}
