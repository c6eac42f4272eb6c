//! `kubectl chart package CHART`: a chart folder as a `.tgz` that Helm and kubectl-chart
//! install, as `helm package` writes.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::Outcome;
use crate::chart::package::{self, Options};

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The chart folder
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    /// Where to write NAME-VERSION.tgz
    #[arg(short = 'd', long, value_name = "DIR", default_value = ".")]
    pub destination: PathBuf,
    /// Set the chart's version
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Set the chart's appVersion
    #[arg(long, value_name = "VERSION")]
    pub app_version: Option<String>,
}

pub fn run(args: PackageArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let options = Options {
        version: args.version,
        app_version: args.app_version,
        mtime: mtime(),
    };
    let path = package::package(&args.chart, &args.destination, &options)?;
    let shown = std::path::absolute(&path).unwrap_or(path);
    writeln!(
        out,
        "Successfully packaged chart and saved it to: {}",
        shown.display()
    )?;
    Ok(Outcome::Success)
}

/// `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
fn mtime() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
}
