//! `kubectl chart status RELEASE`: a revision's status, and each object with its live readiness.

use std::io::Write;

use clap::Args;
use colored::Colorize;
use serde::Serialize;

use super::release::{Format, print_data, print_summary, print_tests, release_id, runtime, table};
use super::{GlobalArgs, Outcome};
use crate::manifest::ObjectRef;
use crate::release::history::History;
use crate::release::wait::{Readiness, readiness};
use crate::release::{Revision, Status};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Release name
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// Show this revision instead of the latest
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Format,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    name: &'a str,
    namespace: &'a str,
    revision: u64,
    status: Status,
    last_deployed: &'a str,
    description: &'a str,
    chart: String,
    app_version: &'a str,
    objects: Vec<ObjectStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct ObjectStatus {
    object: ObjectRef,
    /// `Missing` when it does not exist.
    readiness: Option<Readiness>,
}

pub fn run(global: &GlobalArgs, args: StatusArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let id = release_id(&cluster, &args.release)?;
        let history = History::load(&cluster, &id).await?;
        let revision: &Revision = match args.revision {
            Some(number) => {
                history
                    .get(number)
                    .ok_or_else(|| crate::release::Error::NoSuchRevision {
                        release: id.to_string(),
                        revision: number,
                    })?
            }
            None => history
                .latest()
                .ok_or_else(|| crate::release::Error::NotFound {
                    release: id.to_string(),
                })?,
        };
        let mut objects = Vec::new();
        for object in revision.objects() {
            let reference = object.object_ref();
            let state = match cluster
                .resource(&reference.api_version, &reference.kind)
                .await?
            {
                Some(resource) => cluster
                    .get(&resource, &reference)
                    .await?
                    .map(|live| readiness(&live)),
                None => None,
            };
            objects.push(ObjectStatus {
                object: reference,
                readiness: state,
            });
        }
        match args.output {
            Format::Table => {
                print_summary(out, revision)?;
                if !objects.is_empty() {
                    writeln!(out, "RESOURCES:")?;
                    let mut rows = vec![vec![
                        "OBJECT".to_owned(),
                        "READY".to_owned(),
                        "DETAIL".to_owned(),
                    ]];
                    for status in &objects {
                        let (ready, detail) = match &status.readiness {
                            Some(Readiness::Ready) => ("yes".green(), String::new()),
                            Some(Readiness::Pending(reason)) => ("no".yellow(), reason.clone()),
                            Some(Readiness::Failed(reason)) => ("failed".red(), reason.clone()),
                            None => ("missing".red(), "not found in the cluster".to_owned()),
                        };
                        rows.push(vec![status.object.to_string(), ready.to_string(), detail]);
                    }
                    out.write_all(table(&rows).as_bytes())?;
                }
                print_tests(out, revision)?;
                if let Some(notes) = revision.notes.as_deref().filter(|n| !n.trim().is_empty()) {
                    writeln!(out, "NOTES:\n{}", notes.trim())?;
                }
            }
            format => {
                let report = Report {
                    name: &revision.name,
                    namespace: &revision.namespace,
                    revision: revision.revision,
                    status: revision.status,
                    last_deployed: &revision.last_deployed,
                    description: &revision.description,
                    chart: revision.chart_label(),
                    app_version: revision.app_version(),
                    objects,
                    notes: revision.notes.as_deref(),
                };
                print_data(out, &report, format)?;
            }
        }
        Ok(Outcome::Success)
    })
}
