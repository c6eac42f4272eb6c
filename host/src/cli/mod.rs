//! The command line: clap definitions (one file per subcommand, shared flag groups flattened
//! in) and the dispatch from a parsed command to the library.

mod apply;
pub mod complete;
mod completion;
mod create;
mod dependency;
mod diff;
mod get;
mod history;
mod lint;
mod list;
mod package;
pub mod plugin;
mod post_render;
pub mod release;
pub mod render;
mod rollback;
mod status;
mod template;
mod test;
mod uninstall;
mod values;
mod version;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use lint::{LintArgs, LintFormat};
pub use plugin::PluginArgs;
pub use post_render::PostRenderArgs;
pub use render::RenderArgs;
pub use template::TemplateArgs;
pub use values::{ValueArgs, ValuesArgs};

/// How a run ended, for `main` to turn into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked.
    Success,
    /// The command ran and found differences or findings the user asked to be told of by exit code.
    Changes,
    /// `lint` found error findings (or warnings, with `--strict`): exit 1, the report says why.
    Findings,
}

/// `kubectl chart`: render, lint, diff and apply charts, with WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-chart",
    bin_name = "kubectl chart",
    version = version::VERSION,
    about = "Render, lint, diff and apply Helm-style charts, with WebAssembly plugins",
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every kubectl user expects; accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Namespace of the release (default: the kubeconfig context's namespace, else `default`)
    #[arg(short = 'n', long, global = true, env = "KUBECTL_CHART_NAMESPACE")]
    pub namespace: Option<String>,
    /// Kubeconfig context to use
    #[arg(long = "context", visible_alias = "kube-context", global = true)]
    pub context: Option<String>,
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// When to use colours; NO_COLOR in the environment means never unless `always`
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Print more about what is happening (-v, -vv)
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Folder of WebAssembly plugins, searched before all others (repeatable); a `.wasm`
    /// file names one plugin
    #[arg(long = "plugins-dir", value_name = "DIR", global = true)]
    pub plugins_dir: Vec<PathBuf>,
    /// How long one API request may take (30s, 2m; 0 for no limit); default: 30s for reads,
    /// 60s for writes. Waits made of many requests (for CRDs) are not cut short by it
    #[arg(long = "request-timeout", value_name = "DURATION", global = true, value_parser = apply::parse_duration)]
    pub request_timeout: Option<std::time::Duration>,
    /// Ignore the plugins a chart ships in its own `plugins/` folder
    #[arg(
        long,
        global = true,
        env = "KUBECTL_CHART_NO_CHART_PLUGINS",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_chart_plugins: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The output format of commands that print data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart and print the objects, as `helm template` does
    Template(TemplateArgs),
    /// Install or upgrade a release: three-way merge into the cluster, prune, record
    #[command(visible_alias = "install", alias = "upgrade")]
    Apply(apply::ApplyArgs),
    /// Show what apply would change: live objects against what apply would write
    Diff(diff::DiffArgs),
    /// A release's revisions
    History(history::HistoryArgs),
    /// Roll a release back to an earlier revision (recorded as a new revision)
    Rollback(rollback::RollbackArgs),
    /// A release's status, and each of its objects with its readiness
    Status(status::StatusArgs),
    /// Delete a release's objects and history
    #[command(visible_alias = "delete")]
    Uninstall(uninstall::UninstallArgs),
    /// List releases
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// What a revision recorded: values, manifest, notes, hooks
    Get(get::GetArgs),
    /// Run a release's test hooks
    Test(test::TestArgs),
    /// Render a chart and check its objects with the built-in, config and plugin lint rules
    Lint(LintArgs),
    /// Print the values a chart would be rendered with
    Values(ValuesArgs),
    /// Write a new chart: the chart `helm create` writes, or its Handlebars twin
    Create(create::CreateArgs),
    /// Package a chart folder into NAME-VERSION.tgz, as `helm package` does
    #[command(disable_version_flag = true)]
    Package(package::PackageArgs),
    /// Manage a chart's dependencies from local (file://) repositories
    #[command(visible_alias = "dep")]
    Dependency(dependency::DependencyArgs),
    /// Helm post-renderer: read manifests on stdin, run plugins and linters, write stdout
    PostRender(PostRenderArgs),
    /// List and inspect WebAssembly plugins
    Plugin(PluginArgs),
    /// Print the version of kubectl-chart
    Version(version::VersionArgs),
    /// Print a shell completion script (bash, zsh or fish)
    Completion(completion::CompletionArgs),
    /// Cobra-style completion protocol used by kubectl's plugin completion
    #[command(name = "__complete", hide = true)]
    Complete(complete::CompleteArgs),
}

impl Cli {
    /// Runs the parsed command, writing its normal output to `out`.
    pub fn run(self, out: &mut dyn Write) -> anyhow::Result<Outcome> {
        self.global.apply_color();
        crate::log::set_level(self.global.verbose);
        match self.command {
            Command::Template(args) => template::run(&self.global, args, out),
            Command::Apply(args) => apply::run(&self.global, args, out),
            Command::Diff(args) => diff::run(&self.global, args, out),
            Command::History(args) => history::run(&self.global, args, out),
            Command::Rollback(args) => rollback::run(&self.global, args, out),
            Command::Status(args) => status::run(&self.global, args, out),
            Command::Uninstall(args) => uninstall::run(&self.global, args, out),
            Command::List(args) => list::run(&self.global, args, out),
            Command::Get(args) => get::run(&self.global, args, out),
            Command::Test(args) => test::run(&self.global, args, out),
            Command::Lint(args) => lint::run(&self.global, args, out),
            Command::Values(args) => values::run(args, out),
            Command::Create(args) => create::run(args, out),
            Command::Package(args) => package::run(args, out),
            Command::Dependency(args) => dependency::run(args, out),
            Command::PostRender(args) => {
                post_render::run(&self.global, args, &mut std::io::stdin().lock(), out)
            }
            Command::Plugin(args) => plugin::run(&self.global, args, out),
            Command::Version(args) => version::run(args, out),
            Command::Completion(args) => completion::run(args, out),
            Command::Complete(args) => complete::run(args, out),
        }
    }
}

impl GlobalArgs {
    /// Sets colour output for the whole process from `--color` and `NO_COLOR`.
    pub fn apply_color(&self) {
        let on = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::IsTerminal::is_terminal(&io::stdout())
            }
        };
        colored::control::set_override(on);
    }

    /// The namespace for the release: `-n`, else `default`.
    pub fn namespace_or_default(&self) -> String {
        self.namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| "default".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "kubectl-chart",
            "template",
            "r",
            "c",
            "-n",
            "shop",
            "--kube-context",
            "kind",
            "-vv",
        ])
        .unwrap();
        assert_eq!(cli.global.namespace.as_deref(), Some("shop"));
        assert_eq!(cli.global.context.as_deref(), Some("kind"));
        assert_eq!(cli.global.verbose, 2);
        assert!(!cli.global.no_chart_plugins);
        let cli =
            Cli::try_parse_from(["kubectl-chart", "lint", "c", "--no-chart-plugins"]).unwrap();
        assert!(cli.global.no_chart_plugins);
    }
}
