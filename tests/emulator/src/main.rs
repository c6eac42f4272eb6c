//! `kchart-emulator serve`: runs the cluster emulator until killed and prints where it is.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kchart-emulator",
    about = "A Kubernetes API server emulator on loopback",
    version
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Kubernetes API on 127.0.0.1 until killed.
    Serve {
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where to write the kubeconfig (default: a temporary file).
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
        /// JSON file to restore state from and persist state to.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Milliseconds workloads take to become ready after a change.
        #[arg(long, default_value_t = 2000)]
        ready_delay: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            port,
            kubeconfig,
            state,
            ready_delay,
        } => {
            let mut b = kchart_emulator::Emulator::builder()
                .port(port)
                .ready_delay(Duration::from_millis(ready_delay));
            if let Some(k) = kubeconfig {
                b = b.kubeconfig(k);
            }
            if let Some(s) = state {
                b = b.state_file(s);
            }
            match b.start() {
                Ok(emu) => {
                    // Whoever reads these lines may go away (a test, `| head`): the server
                    // keeps running, so write errors are ignored.
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "url: {}", emu.url());
                    let _ = writeln!(out, "kubeconfig: {}", emu.kubeconfig_path().display());
                    let _ = writeln!(out, "export KUBECONFIG={}", emu.kubeconfig_path().display());
                    let _ = out.flush();
                    drop(out);
                    emu.wait();
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let mut msg = format!("error: {e}");
                    let mut src = std::error::Error::source(&e);
                    while let Some(s) = src {
                        msg.push_str(&format!(": {s}"));
                        src = s.source();
                    }
                    eprintln!("{msg}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_valid() {
        super::Cli::command().debug_assert();
    }
}
