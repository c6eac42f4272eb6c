//! `kubectl_complete-chart`: the executable kubectl (1.26+) runs to complete
//! `kubectl chart <TAB>`. It answers with the Cobra completion protocol.

use std::io::{self, Write};
use std::process::ExitCode;

use kubectl_chart::cli::complete;

fn main() -> ExitCode {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let mut out = io::stdout().lock();
    match complete::run(complete::CompleteArgs { words }, &mut out).and_then(|_| Ok(out.flush()?)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
