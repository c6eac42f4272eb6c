//! `kubectl chart diff RELEASE CHART` (or `RELEASE -f FILE|-`): what `apply` would change,
//! from the plan apply itself would execute, starting from the release history's deployed
//! revision; `--helm-release` previews `helm upgrade` of a release Helm installed, and
//! `--from-helm-release` previews `apply --from-helm-release` taking one over. Flags, the run
//! and the choice of printer; the diff is `crate::diff`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use super::render::{Prepared, RenderArgs};
use super::values::ValueArgs;
use super::{GlobalArgs, Outcome};
use crate::apply::{self, Bookkeeping, DryRun, StepAction};
use crate::cluster::Cluster;
use crate::diff::{self, Rule};
use crate::manifest::{self, Object};
use crate::release::history::History;
use crate::release::{self, Capabilities, Release};
use crate::render;

/// Where objects read from stdin come from when the stream does not say (`# Source:`).
const STDIN_SOURCE: &str = "<stdin>";
/// The most manifest text read from files or stdin.
const MAX_MANIFESTS: u64 = 256 << 20;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Release name (lowercase letters, digits, `-` and `.`; at most 53 characters)
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// Chart folder or packaged chart (.tgz); without it, `-f` names manifests to diff
    #[arg(value_name = "CHART")]
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Manifests rendered by anything else (repeatable; `-` is stdin); without CHART, `-f`
    /// means the same
    #[arg(long = "filename", value_name = "FILE")]
    pub filename: Vec<String>,
    /// Compare with Helm's release NAME (default: RELEASE): its latest deployed revision is
    /// the last applied and objects keep Helm's ownership, so the diff previews `helm upgrade`
    #[arg(
        long = "helm-release",
        value_name = "NAME",
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub helm_release: Option<String>,
    /// Preview `apply --from-helm-release[=NAME]`: taking over the release Helm installed as
    /// NAME (default: RELEASE), whose latest deployed revision is the last applied
    #[arg(
        long,
        value_name = "NAME",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "",
        conflicts_with = "helm_release"
    )]
    pub from_helm_release: Option<String>,
    /// Output: `text` (a unified diff per object), `json` (every change, field by field, for
    /// bots and CI comments), `summary` (the counts)
    #[arg(short = 'o', long, value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,
    /// Lines of context around each change
    #[arg(
        short = 'C',
        long = "unified",
        visible_alias = "context-lines",
        value_name = "N",
        default_value_t = 3
    )]
    pub unified: usize,
    /// Exit 2 when something (not ignored) would change, 0 when nothing would, 1 on errors
    #[arg(long, visible_alias = "detailed-exitcode")]
    pub exit_code: bool,
    /// Show Secret values (masked by default)
    #[arg(long)]
    pub show_secrets: bool,
    /// Ignore changes: `KIND[/NAME][:JSONPATH]`, e.g. `Deployment/*:$.spec.replicas`
    /// (repeatable; with no path, the whole object)
    #[arg(long = "ignore", value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Diff config with ignore rules (default: the chart's `.kubectl-chart-diff.yaml`)
    #[arg(long, value_name = "FILE")]
    pub diff_config: Option<PathBuf>,
    /// Leave out ignored changes, and objects whose every change is ignored
    #[arg(long)]
    pub hide_ignored: bool,
    /// Send the merged objects through a server dry run, so admission defaults are included
    #[arg(long)]
    pub server: bool,
    /// Diff what server-side apply would do (implies --server)
    #[arg(long)]
    pub server_side: bool,
    /// With --server-side: take fields other field managers own
    #[arg(long, requires = "server_side")]
    pub force_conflicts: bool,
    /// Diff as if adopting objects that belong to no release or to another one
    #[arg(long)]
    pub take_ownership: bool,
    /// Diff as if creating missing namespaces
    #[arg(long)]
    pub create_namespace: bool,
    /// Show a removed and an added object of one kind as a rename when their content (without
    /// metadata) is at least this similar (0 to 1; 0 turns it off)
    #[arg(long, value_name = "RATIO", default_value_t = 0.7)]
    pub find_renames: f32,
    /// Reads in flight at once
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Summary,
}

/// Where the objects come from.
enum Input {
    /// The render job `template`, `lint` and `apply` would make of the same flags.
    Chart(Box<Prepared>),
    Manifests(Vec<Object>),
}

pub fn run(global: &GlobalArgs, args: DiffArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    release::validate_name(&args.release)?;
    if !(0.0..=1.0).contains(&args.find_renames) {
        bail!("--find-renames must be between 0 and 1");
    }
    let input = input(global, &args)?;
    let mut rules = Vec::new();
    match (&args.diff_config, &input) {
        (Some(path), _) => rules.extend(diff::ignore::load_config(path)?),
        (None, Input::Chart(prepared)) => {
            let chart = &prepared.job.chart;
            if let Some(bytes) = chart.files.get(diff::ignore::CONFIG_FILE) {
                let path = chart.file_path(diff::ignore::CONFIG_FILE);
                let text = std::str::from_utf8(bytes)
                    .with_context(|| format!("diff config `{}` is not UTF-8", path.display()))?;
                rules.extend(diff::ignore::parse_config(&path, text)?);
            }
        }
        (None, Input::Manifests(_)) => {}
    }
    for rule in &args.ignore {
        rules.push(Rule::parse(rule)?);
    }
    let named = |name: &Option<String>| -> anyhow::Result<Option<String>> {
        let Some(name) = name else { return Ok(None) };
        let name = if name.is_empty() { &args.release } else { name };
        release::validate_name(name)?;
        Ok(Some(name.clone()))
    };
    let helm = named(&args.helm_release)?;
    let take_over = named(&args.from_helm_release)?;

    super::release::runtime()?.block_on(async {
        let cluster = global.connect().await?;
        let started = std::time::Instant::now();
        let id = super::release::release_id(&cluster, helm.as_deref().unwrap_or(&args.release))?;
        // What the plan starts from, exactly as apply's: the deployed revision of the
        // release's history (or Helm's latest deployed release record).
        let (previous, template_release, bookkeeping) = match &helm {
            Some(name) => {
                let previous = super::release::helm_previous(&cluster, name).await?;
                let revision = previous.revision.unwrap_or(0).saturating_add(1);
                let release = Release {
                    revision,
                    is_install: false,
                    is_upgrade: true,
                    ..Release::install(&args.release, &id.namespace)
                };
                (previous, release, Bookkeeping::Helm)
            }
            None => {
                let history = History::load(&cluster, &id).await?;
                let mut release = history.template_release()?;
                let previous = match &take_over {
                    Some(name) => {
                        if history.is_installed() {
                            bail!(
                                "release {id} is already installed by kubectl-chart; --from-helm-release takes a release over from Helm once"
                            );
                        }
                        // Installed already, by Helm: templates see an upgrade, as apply's.
                        release.is_install = false;
                        release.is_upgrade = true;
                        super::release::helm_previous(&cluster, name).await?
                    }
                    None => history.previous(),
                };
                (previous, release, Bookkeeping::KubectlChart)
            }
        };
        let objects = match input {
            Input::Manifests(objects) => objects,
            Input::Chart(mut prepared) => {
                prepared.job.release = template_release;
                let server_version = cluster.kube_version().await?;
                prepared.job.capabilities =
                    Capabilities::parse(&server_version).map_err(|message| {
                        anyhow::anyhow!("the cluster's version `{server_version}`: {message}")
                    })?;
                let rendered = render::render(&prepared.job, &prepared.plugins)
                    .inspect_err(|err| super::template::show_rendered(global, err))?;
                // What apply writes: the crds/ folders first, then the objects.
                let mut objects = rendered.crd_objects()?;
                objects.extend(rendered.objects()?);
                objects
            }
        };
        // Hooks run around an apply, they are not merged into the cluster: not diffed.
        let (objects, _hooks) = release::hooks::split(objects);
        let options = apply::Options {
            bookkeeping,
            server_side: args.server_side,
            force_conflicts: args.force_conflicts,
            take_ownership: args.take_ownership,
            create_namespace: args.create_namespace,
            concurrency: args.concurrency,
            ..apply::Options::default()
        };
        let snapshot =
            apply::snapshot(&cluster, &id, &objects, &previous, options.concurrency).await?;
        crate::verbose!(
            "read the cluster for {} objects ({} exist) in {}",
            objects.len(),
            snapshot.live_count(),
            crate::log::ms(started)
        );
        let planned = std::time::Instant::now();
        let plan = apply::plan(&id, objects, &snapshot, &previous, &options)?;
        let returned = if args.server || args.server_side {
            server_dry_run(&cluster, &plan, &options).await?
        } else {
            HashMap::new()
        };
        let diff_options = diff::Options {
            show_secrets: args.show_secrets,
            rules,
            rename_threshold: args.find_renames,
            tool: if previous.helm_release.is_some() {
                "Helm".to_owned()
            } else {
                "kubectl-chart".to_owned()
            },
        };
        let diff = diff::diff(&plan, &previous, &returned, &diff_options);
        crate::verbose!("planned and diffed in {}", crate::log::ms(planned));
        print(out, &diff, &args)?;
        Ok(if args.exit_code && diff.summary.has_changes() {
            Outcome::Changes
        } else {
            Outcome::Success
        })
    })
}

/// The chart and its values, or the manifests of `-f`/`--filename`.
fn input(global: &GlobalArgs, args: &DiffArgs) -> anyhow::Result<Input> {
    match &args.chart {
        Some(chart_path) => {
            if !args.filename.is_empty() {
                bail!("give either CHART or --filename, not both");
            }
            let render = RenderArgs {
                names: vec![args.release.clone(), chart_path.display().to_string()],
                values: args.values.clone(),
                kube_version: release::DEFAULT_KUBE_VERSION.to_owned(),
                api_versions: Vec::new(),
                skip_schema_validation: false,
                name_template: None,
            };
            Ok(Input::Chart(Box::new(render.prepare(global)?)))
        }
        None => {
            let values = &args.values;
            let value_flags = !values.set.is_empty()
                || !values.set_string.is_empty()
                || !values.set_json.is_empty()
                || !values.set_file.is_empty()
                || !values.set_literal.is_empty();
            if value_flags {
                bail!("value flags (--set and the like) need a CHART to render");
            }
            let files: Vec<&String> = args.filename.iter().chain(&values.files).collect();
            if files.is_empty() {
                bail!(
                    "nothing to diff: give a CHART, or manifests with -f FILE (`-f -` reads stdin)"
                );
            }
            let mut objects = Vec::new();
            for file in files {
                objects.extend(read_manifests(file)?);
            }
            manifest::sort_for_install(&mut objects);
            Ok(Input::Manifests(objects))
        }
    }
}

/// The objects of one manifest file (`-` is stdin).
fn read_manifests(file: &str) -> anyhow::Result<Vec<Object>> {
    let mut text = String::new();
    let (source, reader): (&str, Box<dyn Read>) = if file == "-" {
        (STDIN_SOURCE, Box::new(std::io::stdin()))
    } else {
        let opened =
            std::fs::File::open(file).with_context(|| format!("cannot read manifests `{file}`"))?;
        (file, Box::new(opened))
    };
    reader
        .take(MAX_MANIFESTS + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read manifests `{source}`"))?;
    if text.len() as u64 > MAX_MANIFESTS {
        bail!("manifests `{source}` are larger than 256 MiB");
    }
    Ok(manifest::parse_sourced(source, &text)?)
}

/// Sends the plan's writes as a server dry run and returns what the server answered, by
/// object. Objects in namespaces the plan would create cannot be dry-run (the namespace does
/// not exist yet): they keep the merged object.
async fn server_dry_run(
    cluster: &Cluster,
    plan: &apply::Plan,
    options: &apply::Options,
) -> anyhow::Result<HashMap<manifest::ObjectRef, serde_json::Value>> {
    let mut plan = plan.clone();
    let new_namespaces: Vec<String> = plan.create_namespaces.clone();
    plan.create_namespaces.clear();
    plan.prunes.clear();
    for step in &mut plan.steps {
        let in_new_namespace = step
            .object
            .namespace
            .as_ref()
            .is_some_and(|ns| new_namespaces.contains(ns));
        if in_new_namespace {
            step.action = StepAction::Unchanged;
        }
    }
    let options = apply::Options {
        dry_run: DryRun::Server,
        ..options.clone()
    };
    let mut report = apply::Report::default();
    apply::execute(cluster, &plan, &options, &mut report)
        .await
        .context("server dry run")?;
    Ok(report.returned)
}

fn print(out: &mut dyn Write, diff: &diff::Diff, args: &DiffArgs) -> anyhow::Result<()> {
    match args.output {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, diff)?;
            writeln!(out)?;
        }
        DiffFormat::Summary => writeln!(out, "{}", diff::text::summary_line(diff))?,
        DiffFormat::Text => match std::env::var("KUBECTL_EXTERNAL_DIFF") {
            Ok(command) if !command.trim().is_empty() => diff::external::run(&command, diff, out)?,
            _ => diff::text::write(
                out,
                diff,
                &diff::text::TextOptions {
                    context: args.unified,
                    hide_ignored: args.hide_ignored,
                },
            )?,
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> DiffArgs {
        let cli = Cli::try_parse_from([&["kubectl-chart", "diff"], args].concat()).unwrap();
        match cli.command {
            Command::Diff(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn flags_parse_as_documented() {
        let args = parse(&[
            "web",
            "-f",
            "-",
            "--helm-release",
            "-C",
            "5",
            "--detailed-exitcode",
        ]);
        assert_eq!(args.chart, None);
        assert_eq!(args.values.files, ["-"]);
        assert_eq!(args.helm_release.as_deref(), Some(""));
        assert_eq!(args.unified, 5);
        assert!(args.exit_code);
        let args = parse(&[
            "web",
            "./chart",
            "--helm-release=other",
            "--context",
            "kind",
        ]);
        assert_eq!(args.helm_release.as_deref(), Some("other"));
        assert_eq!(args.find_renames, 0.7);
        assert_eq!(args.output, DiffFormat::Text);
    }

    #[test]
    fn inputs_need_a_chart_or_manifests() {
        let cases = [
            (vec!["web"], "nothing to diff"),
            (vec!["web", "-f", "x.yaml", "--set", "a=1"], "value flags"),
            (
                vec!["web", "./chart", "--filename", "x.yaml"],
                "either CHART or --filename",
            ),
            (
                vec!["web", "--filename", "/no/such/file.yaml"],
                "cannot read manifests `/no/such/file.yaml`",
            ),
        ];
        for (args, expected) in cases {
            let cli =
                Cli::try_parse_from([&["kubectl-chart", "diff"], &args[..]].concat()).unwrap();
            let err = match input(&cli.global, &parse(&args)) {
                Ok(_) => panic!("{args:?} should fail"),
                Err(err) => format!("{err:#}"),
            };
            assert!(err.contains(expected), "{args:?}: {err}");
        }
    }
}
