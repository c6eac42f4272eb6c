//! `kubectl chart test RELEASE`: run the deployed revision's test hooks and record the results.

use std::io::Write;
use std::time::Duration;

use clap::Args;

use super::apply::parse_duration;
use super::release::{LockArgs, print_summary, print_tests, release_id, runtime};
use super::{GlobalArgs, Outcome};
use crate::release::history::{self, History};
use crate::release::hooks::{self, Event};
use crate::release::lock::Lock;

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Release name
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// How long each test may take
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    #[command(flatten)]
    pub lock: LockArgs,
}

pub fn run(global: &GlobalArgs, args: TestArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let id = release_id(&cluster, &args.release)?;
        let lock = Lock::acquire(cluster.clone(), &id, &args.lock.options()).await?;
        let result = async {
            let history = History::load(&cluster, &id).await?;
            let mut revision =
                history
                    .deployed()
                    .cloned()
                    .ok_or_else(|| crate::release::Error::NotFound {
                        release: id.to_string(),
                    })?;
            let tests = hooks::run(
                &cluster,
                &id,
                &mut revision.hooks,
                Event::Test,
                args.timeout,
            )
            .await;
            history::update(&cluster, &mut revision).await?;
            anyhow::Ok((revision, tests))
        }
        .await;
        let released = lock.release().await;
        let (revision, tests) = result?;
        released?;
        print_summary(out, &revision)?;
        print_tests(out, &revision)?;
        tests?;
        Ok(Outcome::Success)
    })
}
