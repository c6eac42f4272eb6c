//! `kubectl chart template [RELEASE] CHART`: render a chart and print its objects, as
//! `helm template` prints them.

use std::io::Write;

use anyhow::bail;
use clap::Args;

use super::render::RenderArgs;
use super::{GlobalArgs, Outcome, OutputFormat};
use crate::manifest::{self, Object};
use crate::render;

#[derive(Debug, Args)]
pub struct TemplateArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    /// Only print documents from these templates: paths in the chart, as in its
    /// `# Source:` lines without the chart name (`templates/deployment.yaml`,
    /// `charts/sub/templates/*`; Go glob syntax)
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Also print the CustomResourceDefinitions of the charts' crds/ folders, first
    #[arg(long)]
    pub include_crds: bool,
    /// Accepted as `helm template` accepts it: the crds/ folders are only printed with
    /// --include-crds
    #[arg(long, hide = true)]
    pub skip_crds: bool,
    /// Leave out `helm test` hooks (documents annotated `helm.sh/hook: test`)
    #[arg(long)]
    pub skip_tests: bool,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Render as an upgrade (Release.IsUpgrade) rather than a first install
    #[arg(long)]
    pub is_upgrade: bool,
    /// Also print the rendered NOTES.txt, after the objects, to standard error
    #[arg(long)]
    pub notes: bool,
}

pub fn run(
    global: &GlobalArgs,
    args: TemplateArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut prepared = args.render.prepare(global)?;
    if args.is_upgrade {
        prepared.job.release.is_install = false;
        prepared.job.release.is_upgrade = true;
    }
    let rendered = render::render(&prepared.job, &prepared.plugins)
        .inspect_err(|err| show_rendered(global, err))?;
    match args.output {
        OutputFormat::Yaml => {
            let text = manifest::template_output(
                &rendered.documents,
                &rendered.crds,
                args.include_crds,
                args.skip_tests,
            );
            let text = if args.show_only.is_empty() {
                text
            } else {
                manifest::show_only(&text, &args.show_only).map_err(|pattern| {
                    anyhow::anyhow!("could not find template {pattern} in chart")
                })?
            };
            out.write_all(text.as_bytes())?;
        }
        OutputFormat::Json => {
            let objects = json_objects(&rendered, &args)?;
            out.write_all(manifest::to_json_list(&objects).as_bytes())?;
        }
    }
    if args.notes
        && let Some(notes) = rendered.notes
    {
        eprintln!("NOTES:\n{notes}");
    }
    Ok(Outcome::Success)
}

/// The objects `-o json` lists: what the YAML output would show, parsed.
fn json_objects(rendered: &render::Rendered, args: &TemplateArgs) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::new();
    if args.include_crds {
        objects.extend(rendered.crd_objects()?);
    }
    for document in &rendered.documents {
        if args.skip_tests && document.is_test() {
            continue;
        }
        objects.extend(document.objects()?);
    }
    if args.show_only.is_empty() {
        return Ok(objects);
    }
    let in_chart = |source: &str| {
        source
            .split_once('/')
            .map_or(source, |(_, rest)| rest)
            .to_owned()
    };
    for pattern in &args.show_only {
        let pattern = pattern.replace('\\', "/");
        if !objects
            .iter()
            .any(|o| crate::chart::glob::matches(&pattern, &in_chart(&o.source)).unwrap_or(false))
        {
            bail!("could not find template {pattern} in chart");
        }
    }
    Ok(objects
        .into_iter()
        .filter(|o| {
            args.show_only.iter().any(|p| {
                crate::chart::glob::matches(&p.replace('\\', "/"), &in_chart(&o.source))
                    .unwrap_or(false)
            })
        })
        .collect())
}

/// With `-v`, prints the rendered text of a template whose output could not be parsed.
pub fn show_rendered(global: &GlobalArgs, err: &render::Error) {
    if global.verbose == 0 {
        return;
    }
    if let render::Error::Manifest { rendered, error } = err {
        eprintln!("--- rendered output of the failing template ({error})");
        for (number, line) in rendered.lines().enumerate() {
            eprintln!("{:>4} | {line}", number + 1);
        }
        eprintln!("---");
    }
}
