//! `kubectl chart post-render`: Helm's post-renderer protocol. Reads a multi-document YAML
//! stream on stdin, runs the post-renderer plugins and then the linter plugins, and writes
//! the stream on stdout. Error findings fail the run (Helm then stops), unless `--no-lint`.

use std::io::{Read, Write};

use anyhow::{Context, bail};
use clap::Args;

use super::{GlobalArgs, Outcome, OutputFormat};
use crate::lint::{self, Finding, Linter, Severity};
use crate::manifest::{self, Object};

/// The largest manifest stream read: big charts with their CRDs render a few MiB; this bounds
/// memory when something endless is piped in.
pub const MAX_INPUT_SIZE: u64 = 64 << 20;

/// Where objects read from stdin come from when the stream does not say (`# Source:`).
pub const STDIN_SOURCE: &str = "<stdin>";

#[derive(Debug, Args)]
pub struct PostRenderArgs {
    /// Do not run linters (post-renderers still run)
    #[arg(long)]
    pub no_lint: bool,
    /// Lint config (rules on/off, severities, custom rules, plugin config); default: none
    #[arg(long, value_name = "FILE")]
    pub lint_config: Option<std::path::PathBuf>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(
    global: &GlobalArgs,
    args: PostRenderArgs,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut text = String::new();
    input
        .take(MAX_INPUT_SIZE + 1)
        .read_to_string(&mut text)
        .context("failed to read the manifests on standard input")?;
    if text.len() as u64 > MAX_INPUT_SIZE {
        bail!(
            "the manifests on standard input are larger than the {} MiB limit",
            MAX_INPUT_SIZE >> 20
        );
    }
    let objects = parse_stream(&text)?;
    let registry = super::plugin::registry(global, None)?;
    let objects = registry.post_render(objects)?;
    if !args.no_lint {
        // The same runner as `kubectl chart lint`: built-in rules, config rules, plugins.
        let config = match &args.lint_config {
            Some(path) => lint::Config::load(path)?,
            None => lint::Config::default(),
        };
        let plugins = registry.linters();
        let plugins: Vec<&dyn Linter> = plugins.iter().map(|l| l as &dyn Linter).collect();
        let outcome = lint::run_all(&objects, &plugins, &config)?;
        for warning in &outcome.warnings {
            eprintln!("{} {warning}", colored::Colorize::yellow("warning:"));
        }
        report(&outcome.findings);
        let errors = outcome
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        if errors > 0 {
            bail!(
                "lint found {errors} error(s) in the rendered manifests (run with --no-lint to skip linting)"
            );
        }
    }
    match args.output {
        OutputFormat::Yaml => out.write_all(to_yaml_stream(&objects).as_bytes())?,
        OutputFormat::Json => out.write_all(manifest::to_json_list(&objects).as_bytes())?,
    }
    Ok(Outcome::Success)
}

/// The YAML stream, with `# Source:` comments only for objects whose source is known: Helm
/// adds its own, and a `<stdin>` comment would say nothing.
fn to_yaml_stream(objects: &[Object]) -> String {
    let mut out = String::new();
    for object in objects {
        if object.source == STDIN_SOURCE {
            out.push_str("---\n");
            out.push_str(&crate::yaml::to_string(&object.value));
        } else {
            out.push_str(&manifest::to_yaml_stream(std::slice::from_ref(object)));
        }
    }
    out
}

/// Parses a YAML stream, keeping each document's `# Source: PATH` comment (as Helm and
/// `kubectl chart template` write it) as the object's source.
pub fn parse_stream(text: &str) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::new();
    for doc in manifest::split_documents(text) {
        let source = doc
            .text
            .lines()
            .find_map(|line| line.trim().strip_prefix("# Source:"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(STDIN_SOURCE);
        let parsed = manifest::parse(source, doc.text).with_context(|| {
            format!(
                "invalid manifest on standard input (document at line {})",
                doc.first_line
            )
        })?;
        objects.extend(parsed);
    }
    Ok(objects)
}

fn report(findings: &[Finding]) {
    for f in findings {
        let severity = match f.severity {
            Severity::Error => colored::Colorize::red("error"),
            Severity::Warning => colored::Colorize::yellow("warning"),
            Severity::Info => colored::Colorize::blue("info"),
        };
        let path = f
            .path
            .as_deref()
            .map(|p| format!(" {p}"))
            .unwrap_or_default();
        let source = if f.source.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.source)
        };
        eprintln!(
            "{severity}[{}/{}]: {}{path}{source}: {}",
            f.linter, f.rule, f.object, f.message
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_source_comments() {
        let text = "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
        let objects = parse_stream(text).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].source, "web/templates/cm.yaml");
        assert_eq!(objects[1].source, STDIN_SOURCE);
    }

    #[test]
    fn names_the_document_on_errors() {
        let err =
            parse_stream("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nkind: X\n")
                .unwrap_err();
        assert!(format!("{err:#}").contains("line 5"), "{err:#}");
    }
}
