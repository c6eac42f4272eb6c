//! `kubectl-chart`: parse the command line, run it, print the error chain, pick the exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use kubectl_chart::cli::{Cli, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = cli.run(&mut out).and_then(|outcome| {
        out.flush()?;
        Ok(outcome)
    });
    exit_code(result)
}

/// The one place that decides exit codes: 0 success, 2 changes found (when asked for with
/// `--exit-code`), 1 any error or failing lint findings (already printed as the report). A
/// closed pipe (`| head`) is not an error.
fn exit_code(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(2),
        Ok(Outcome::Findings) => ExitCode::FAILURE,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let prefix = colored::Colorize::bold(colored::Colorize::red("error:"));
            // Messages are one line; a cause quoting a multi-line text (a parser's
            // diagram) must not break that, so any line break left is flattened here.
            let message = format!("{err:#}").replace(['\n', '\r'], " ");
            let _ = writeln!(io::stderr(), "{prefix} {message}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
