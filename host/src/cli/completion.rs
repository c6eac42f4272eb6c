//! `kubectl chart completion bash|zsh|fish`: print a completion script for the shell.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Outcome};

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print a completion script for
    #[arg(value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

pub fn run(args: CompletionArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let shell = match args.shell.as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        _ => Shell::Fish,
    };
    // The script completes the binary by its own name, which is what a user types when the
    // plugin is run directly; `kubectl chart <TAB>` goes through `kubectl_complete-chart`.
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "kubectl-chart", out);
    Ok(Outcome::Success)
}
