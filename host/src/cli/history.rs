//! `kubectl chart history RELEASE`: a release's revisions, as `helm history` lists them.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::release::{Format, ansic, print_data, release_id, runtime, status_colored, table};
use super::{GlobalArgs, Outcome};
use crate::release::history::History;
use crate::release::{Revision, Status};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// Show at most the newest N revisions
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max: usize,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Format,
}

/// One row of the history, as `helm history -o json` prints it.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub revision: u64,
    pub updated: String,
    pub status: Status,
    pub chart: String,
    pub app_version: String,
    pub description: String,
}

impl From<&Revision> for Entry {
    fn from(revision: &Revision) -> Self {
        Entry {
            revision: revision.revision,
            updated: revision.last_deployed.clone(),
            status: revision.status,
            chart: revision.chart_label(),
            app_version: revision.app_version().to_owned(),
            description: revision.description.clone(),
        }
    }
}

pub fn run(global: &GlobalArgs, args: HistoryArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let id = release_id(&cluster, &args.release)?;
        let history = History::load(&cluster, &id).await?;
        if history.revisions.is_empty() {
            return Err(crate::release::Error::NotFound {
                release: id.to_string(),
            }
            .into());
        }
        let skip = history.revisions.len().saturating_sub(args.max);
        let entries: Vec<Entry> = history.revisions[skip..].iter().map(Entry::from).collect();
        match args.output {
            Format::Table => {
                let mut rows = vec![
                    [
                        "REVISION",
                        "UPDATED",
                        "STATUS",
                        "CHART",
                        "APP VERSION",
                        "DESCRIPTION",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                ];
                for entry in &entries {
                    rows.push(vec![
                        entry.revision.to_string(),
                        ansic(&entry.updated),
                        status_colored(entry.status).to_string(),
                        entry.chart.clone(),
                        entry.app_version.clone(),
                        entry.description.clone(),
                    ]);
                }
                out.write_all(table(&rows).as_bytes())?;
            }
            format => print_data(out, &entries, format)?,
        }
        Ok(Outcome::Success)
    })
}
