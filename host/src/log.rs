//! Verbose progress on standard error, switched on by `-v` (`-vv` for more). Quiet by
//! default: normal output goes to standard output and stays scriptable.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Sets the verbosity for the whole process (the count of `-v`).
pub fn set_level(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

/// Whether messages of `level` (1 for `-v`, 2 for `-vv`) are shown.
pub fn enabled(level: u8) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level
}

/// Prints a message when `-v` was given.
#[macro_export]
macro_rules! verbose {
    ($($arg:tt)*) => {
        if $crate::log::enabled(1) {
            eprintln!("kubectl-chart: {}", format_args!($($arg)*));
        }
    };
}

/// Prints a one-line warning on standard error, as the command line prints its own.
pub fn warning(message: &str) {
    let prefix = colored::Colorize::bold(colored::Colorize::yellow("warning:"));
    eprintln!("{prefix} {message}");
}

/// Milliseconds since `start`, for progress messages.
pub fn ms(start: Instant) -> String {
    format!("{:.1} ms", start.elapsed().as_secs_f64() * 1000.0)
}

/// `text` cut to at most `max` characters with an ellipsis, for quoting user input in
/// one-line messages without repeating a whole flag value or file.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}
