//! `kubectl chart version`: print the version, cheaply (no cluster, no plugin engine).

use std::io::Write;

use clap::Args;

use super::{Outcome, OutputFormat};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print only the version number
    #[arg(long)]
    pub short: bool,
    /// Output format
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<OutputFormat>,
}

pub fn run(args: VersionArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let info = serde_json::json!({
        "version": format!("v{VERSION}"),
        "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
    });
    match args.output {
        Some(format) => super::values::write_value(out, &info, format)?,
        None if args.short => writeln!(out, "v{VERSION}")?,
        None => writeln!(
            out,
            "kubectl-chart v{VERSION} ({}-{})",
            std::env::consts::ARCH,
            std::env::consts::OS
        )?,
    }
    Ok(Outcome::Success)
}
