//! The Cobra completion protocol, which kubectl (1.26+) speaks to plugins: for
//! `kubectl chart <TAB>`, kubectl runs `kubectl_complete-chart ARGS... WORD` and reads one
//! candidate per line (`value<TAB>description`), then `:DIRECTIVE` on the last line.
//! The same protocol is reachable as the hidden `kubectl-chart __complete`.

use std::io::Write;

use clap::{Arg, Args, Command, CommandFactory};

use super::{Cli, Outcome};

/// Cobra's directives: what the shell should do besides offering the candidates.
const DEFAULT: u32 = 0;
const NO_FILE_COMP: u32 = 4;
const FILTER_DIRS: u32 = 16;

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words after `kubectl chart`; the last one is the word being completed
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

pub fn run(args: CompleteArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let (candidates, directive) = complete(&args.words);
    for (value, help) in candidates {
        if help.is_empty() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{value}\t{help}")?;
        }
    }
    writeln!(out, ":{directive}")?;
    Ok(Outcome::Success)
}

/// Candidates for the last of `words`, and the Cobra directive.
pub fn complete(words: &[String]) -> (Vec<(String, String)>, u32) {
    let mut root = Cli::command();
    // Building fills in what clap derives lazily (value counts, propagated globals).
    root.build();
    let (done, current) = match words.split_last() {
        Some((last, done)) => (done, last.as_str()),
        None => (&[][..], ""),
    };
    let globals: Vec<Arg> = root.get_arguments().cloned().collect();
    let mut command: Command = root.clone();
    let mut positionals = 0usize;
    let mut pending_flag: Option<Arg> = None;
    let mut after_double_dash = false;

    for word in done {
        if let Some(flag) = pending_flag.take() {
            let _ = (flag, word);
            continue;
        }
        if !after_double_dash && word == "--" {
            after_double_dash = true;
            continue;
        }
        if !after_double_dash && word.starts_with('-') && word.len() > 1 {
            if !word.contains('=')
                && let Some(arg) = find_flag(&command, &globals, word)
                && takes_value(&arg)
            {
                pending_flag = Some(arg);
            }
            continue;
        }
        if let Some(sub) = command.find_subcommand(word).cloned() {
            command = sub;
            positionals = 0;
        } else {
            positionals += 1;
        }
    }

    // Completing the value of a flag.
    if let Some(flag) = pending_flag {
        return flag_values(&flag, current);
    }
    if let Some((name, value)) = current.split_once('=')
        && name.starts_with("--")
        && let Some(flag) = find_flag(&command, &globals, name)
    {
        let (values, directive) = flag_values(&flag, value);
        let values = values
            .into_iter()
            .map(|(v, h)| (format!("{name}={v}"), h))
            .collect();
        return (values, directive);
    }
    if current.starts_with('-') {
        let mut flags = Vec::new();
        for arg in command.get_arguments().chain(globals.iter()) {
            if arg.is_hide_set() {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            if let Some(long) = arg.get_long() {
                let candidate = format!("--{long}");
                if candidate.starts_with(current) && !flags.iter().any(|(c, _)| *c == candidate) {
                    flags.push((candidate, help.clone()));
                }
            }
            if let Some(short) = arg.get_short() {
                let candidate = format!("-{short}");
                if candidate.starts_with(current) && !flags.iter().any(|(c, _)| *c == candidate) {
                    flags.push((candidate, help));
                }
            }
        }
        return (flags, NO_FILE_COMP);
    }
    if command.has_subcommands() {
        let subcommands = command
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set() && sub.get_name().starts_with(current))
            .map(|sub| {
                let help = sub.get_about().map(|h| h.to_string()).unwrap_or_default();
                (sub.get_name().to_owned(), help)
            })
            .collect();
        return (subcommands, NO_FILE_COMP);
    }
    // A positional may take several values (`[RELEASE] CHART`): find the one this word is
    // for, and which of its value names.
    let mut index = positionals;
    for arg in command.get_positionals() {
        let count = arg.get_num_args().map_or(1, |range| range.max_values());
        if index < count {
            let name = arg
                .get_value_names()
                .and_then(|names| names.get(index).or_else(|| names.last()).cloned());
            return match name.as_ref().map(|n| n.as_str()) {
                Some("CHART") => (Vec::new(), DEFAULT),
                _ if index == 0 => flag_values(arg, current),
                _ => (Vec::new(), NO_FILE_COMP),
            };
        }
        index -= count;
    }
    (Vec::new(), NO_FILE_COMP)
}

fn find_flag(command: &Command, globals: &[Arg], word: &str) -> Option<Arg> {
    let matches = |arg: &Arg| {
        if let Some(long) = word.strip_prefix("--") {
            let long = long.split('=').next().unwrap_or(long);
            arg.get_long() == Some(long)
                || arg
                    .get_all_aliases()
                    .is_some_and(|aliases| aliases.contains(&long))
        } else {
            let mut chars = word.chars().skip(1);
            let short = chars.next();
            short.is_some() && chars.next().is_none() && arg.get_short() == short
        }
    };
    command
        .get_arguments()
        .chain(globals.iter())
        .find(|arg| matches(arg))
        .cloned()
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
        && !matches!(
            arg.get_action(),
            clap::ArgAction::SetTrue | clap::ArgAction::SetFalse | clap::ArgAction::Count
        )
}

fn flag_values(arg: &Arg, current: &str) -> (Vec<(String, String)>, u32) {
    let possible = arg.get_possible_values();
    if !possible.is_empty() {
        let values = possible
            .iter()
            .filter(|v| !v.is_hide_set() && v.get_name().starts_with(current))
            .map(|v| {
                let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
                (v.get_name().to_owned(), help)
            })
            .collect();
        return (values, NO_FILE_COMP);
    }
    let name = arg
        .get_value_names()
        .and_then(|names| names.first().cloned());
    match name.as_ref().map(|n| n.as_str()) {
        Some("CHART") => (Vec::new(), DEFAULT),
        Some("DIR") => (Vec::new(), FILTER_DIRS),
        Some("FILE" | "PATH") => (Vec::new(), DEFAULT),
        _ if arg.get_id() == "kubeconfig" => (Vec::new(), DEFAULT),
        _ => (Vec::new(), NO_FILE_COMP),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn names(result: &(Vec<(String, String)>, u32)) -> Vec<&str> {
        result.0.iter().map(|(v, _)| v.as_str()).collect()
    }

    #[test]
    fn completes_subcommands() {
        let result = complete(&words(&[""]));
        let offered = names(&result);
        assert!(offered.contains(&"template"), "{offered:?}");
        assert!(offered.contains(&"values"), "{offered:?}");
        assert!(
            !offered.contains(&"__complete"),
            "hidden commands are not offered"
        );
        assert_eq!(result.1, NO_FILE_COMP);
        assert_eq!(names(&complete(&words(&["te"]))), ["template", "test"]);
        assert_eq!(names(&complete(&words(&["hi"]))), ["history"]);
    }

    #[test]
    fn completes_subcommands_after_global_flags() {
        let result = complete(&words(&["-n", "shop", "va"]));
        assert_eq!(names(&result), ["values"]);
    }

    #[test]
    fn completes_flags_and_flag_values() {
        let result = complete(&words(&["template", "--sh"]));
        assert_eq!(names(&result), ["--show-only"]);
        let result = complete(&words(&["template", "r", "c", "-o", ""]));
        assert_eq!(names(&result), ["yaml", "json"]);
        let result = complete(&words(&["--color="]));
        assert_eq!(
            names(&result),
            ["--color=auto", "--color=always", "--color=never"]
        );
        let result = complete(&words(&["completion", ""]));
        assert_eq!(names(&result), ["bash", "zsh", "fish"]);
    }

    #[test]
    fn files_for_chart_and_values_files() {
        assert_eq!(complete(&words(&["template", "r", ""])).1, DEFAULT);
        assert_eq!(complete(&words(&["template", ""])).1, NO_FILE_COMP);
        assert_eq!(complete(&words(&["values", "c", "-f", ""])).1, DEFAULT);
    }
}
