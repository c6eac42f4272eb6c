//! `kubectl chart list` (alias `ls`): the releases of a namespace (or every namespace), with
//! the columns of `helm ls`.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::release::{Format, ansic, print_data, runtime, status_colored, table};
use super::{GlobalArgs, Outcome};
use crate::release::history;
use crate::release::{Revision, Status};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Releases of every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Releases in any state (the default when no state flag is given)
    #[arg(long)]
    pub all: bool,
    /// Deployed releases
    #[arg(long)]
    pub deployed: bool,
    /// Failed releases
    #[arg(long)]
    pub failed: bool,
    /// Releases being installed, upgraded or rolled back
    #[arg(long)]
    pub pending: bool,
    /// Releases uninstalled with --keep-history
    #[arg(long)]
    pub uninstalled: bool,
    /// Releases being uninstalled
    #[arg(long)]
    pub uninstalling: bool,
    /// Names only
    #[arg(short = 'q', long)]
    pub short: bool,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Format,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub updated: String,
    pub status: Status,
    pub chart: String,
    pub app_version: String,
}

impl ListArgs {
    fn shows(&self, status: Status) -> bool {
        let any =
            self.deployed || self.failed || self.pending || self.uninstalled || self.uninstalling;
        if self.all || !any {
            return true;
        }
        match status {
            Status::Deployed => self.deployed,
            Status::Failed => self.failed,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback => {
                self.pending
            }
            Status::Uninstalled => self.uninstalled,
            Status::Uninstalling => self.uninstalling,
            Status::Superseded => false,
        }
    }
}

pub fn run(global: &GlobalArgs, args: ListArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let namespace = (!args.all_namespaces).then(|| cluster.namespace().to_owned());
        let releases: Vec<Revision> = history::list_releases(&cluster, namespace.as_deref())
            .await?
            .into_iter()
            .filter(|r| args.shows(r.status))
            .collect();
        let entries: Vec<Entry> = releases
            .iter()
            .map(|r| Entry {
                name: r.name.clone(),
                namespace: r.namespace.clone(),
                revision: r.revision,
                updated: r.last_deployed.clone(),
                status: r.status,
                chart: r.chart_label(),
                app_version: r.app_version().to_owned(),
            })
            .collect();
        if args.short {
            let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
            match args.output {
                Format::Table => {
                    for name in names {
                        writeln!(out, "{name}")?;
                    }
                }
                format => print_data(out, &names, format)?,
            }
            return Ok(Outcome::Success);
        }
        match args.output {
            Format::Table => {
                let mut rows = vec![
                    [
                        "NAME",
                        "NAMESPACE",
                        "REVISION",
                        "UPDATED",
                        "STATUS",
                        "CHART",
                        "APP VERSION",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                ];
                for e in &entries {
                    rows.push(vec![
                        e.name.clone(),
                        e.namespace.clone(),
                        e.revision.to_string(),
                        ansic(&e.updated),
                        status_colored(e.status).to_string(),
                        e.chart.clone(),
                        e.app_version.clone(),
                    ]);
                }
                out.write_all(table(&rows).as_bytes())?;
            }
            format => print_data(out, &entries, format)?,
        }
        Ok(Outcome::Success)
    })
}
