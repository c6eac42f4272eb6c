//! The diff for people: per object a header (`apps/v1 Deployment shop/web: changed`), a
//! unified diff of the YAML with `-C` lines of context and the YAML path of each hunk in its
//! header, then notes (drift, ignored changes); a summary line last. Colours come from the
//! process-wide switch (`--color`, `NO_COLOR`).

use std::io::{self, Write};

use colored::Colorize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::{ChangeKind, Diff, Entry, FieldChange};

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Lines of context around each change.
    pub context: usize,
    /// Leave out ignored changes, and objects whose every change is ignored.
    pub hide_ignored: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            context: 3,
            hide_ignored: false,
        }
    }
}

/// Writes every entry, then the summary line.
pub fn write(out: &mut dyn Write, diff: &Diff, options: &TextOptions) -> io::Result<()> {
    for entry in &diff.changes {
        if options.hide_ignored && !entry.counts() {
            continue;
        }
        write_entry(out, diff, entry, options)?;
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(diff))
}

/// `release shop/web: 1 to add, 2 to change, 0 to remove, 40 unchanged`, with renames,
/// ignored objects and drift when there are any.
pub fn summary_line(diff: &Diff) -> String {
    let s = &diff.summary;
    let mut line = format!(
        "release {}: {} to add, {} to change",
        diff.release, s.add, s.change
    );
    if s.rename > 0 {
        line.push_str(&format!(", {} to rename", s.rename));
    }
    line.push_str(&format!(
        ", {} to remove, {} unchanged",
        s.remove, s.unchanged
    ));
    let mut notes = Vec::new();
    if s.ignored > 0 {
        notes.push(format!(
            "{} object{} with only ignored changes",
            s.ignored,
            plural(s.ignored)
        ));
    }
    if s.drifted > 0 {
        notes.push(format!(
            "{} field{} changed outside {}{} will be reverted",
            s.drifted,
            plural(s.drifted),
            diff.tool,
            since(diff.revision)
        ));
    }
    if !notes.is_empty() {
        line.push_str(&format!(" ({})", notes.join("; ")));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn since(revision: Option<u64>) -> String {
    match revision {
        Some(revision) => format!(" since revision {revision}"),
        None => " since the last apply".to_owned(),
    }
}

fn header(entry: &Entry) -> String {
    let mut text = match (&entry.change, &entry.renamed_from) {
        (ChangeKind::Rename, Some(from)) => format!(
            "{} {} {} -> {}: renamed",
            entry.object.api_version,
            entry.object.kind,
            qualified(from),
            qualified(&entry.object)
        ),
        _ => format!("{}: {}", entry.object, entry.change.as_str()),
    };
    let mut notes = Vec::new();
    if let Some(similarity) = entry.similarity {
        notes.push(format!("{:.0}% similar", similarity * 100.0));
    }
    if entry.adopted {
        notes.push(match &entry.previous_owner {
            Some(owner) => format!("taken over from release {owner}"),
            None => "taken over; no release owned it".to_owned(),
        });
    }
    if let Some(rule) = &entry.ignored_by {
        notes.push(format!("ignored by `{rule}`"));
    } else if !entry.counts() {
        notes.push("only ignored changes".to_owned());
    }
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    text
}

fn qualified(object: &crate::manifest::ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{ns}/{}", object.name),
        None => object.name.clone(),
    }
}

fn write_entry(
    out: &mut dyn Write,
    diff: &Diff,
    entry: &Entry,
    options: &TextOptions,
) -> io::Result<()> {
    let title = header(entry);
    let title = match entry.change {
        _ if !entry.counts() => title.dimmed(),
        ChangeKind::Add => title.green().bold(),
        ChangeKind::Remove => title.red().bold(),
        ChangeKind::Change | ChangeKind::Rename => title.yellow().bold(),
    };
    writeln!(out, "{title}")?;
    if entry.ignored_by.is_none() {
        let old = entry.before.as_ref().map(yaml).unwrap_or_default();
        let new = entry.shown.as_ref().map(yaml).unwrap_or_default();
        write_unified(out, &old, &new, options.context)?;
    }
    for field in &entry.fields {
        if field.ignored_by.is_none()
            && let Some(drift) = &field.drift
        {
            let reason = match (&drift.last, &field.old) {
                (None, _) => "added outside",
                (Some(_), None) => "removed outside",
                (Some(_), Some(_)) => "changed outside",
            };
            let note = format!(
                "  drift: {}: {} -> {} ({reason} {}{})",
                field.dotted(),
                show(field.old.as_ref()),
                show(field.new.as_ref()),
                diff.tool,
                since(diff.revision)
            );
            writeln!(out, "{}", note.yellow())?;
        }
    }
    if !options.hide_ignored {
        for field in entry.fields.iter().filter(|f| f.ignored_by.is_some()) {
            writeln!(out, "{}", ignored_note(field).dimmed())?;
        }
    }
    Ok(())
}

fn ignored_note(field: &FieldChange) -> String {
    format!(
        "  ignored: {}: {} -> {} (`{}`)",
        field.dotted(),
        show(field.old.as_ref()),
        show(field.new.as_ref()),
        field.ignored_by.as_deref().unwrap_or_default()
    )
}

fn yaml(value: &Value) -> String {
    crate::yaml::to_string(value)
}

/// A value in a one-line note: scalars as they read, structures as short JSON.
fn show(value: Option<&Value>) -> String {
    const MAX: usize = 80;
    match value {
        None => "(none)".to_owned(),
        Some(Value::String(text))
            if !text.is_empty()
                && !text.contains(char::is_whitespace)
                && !text.contains("->")
                && text.parse::<f64>().is_err()
                && !matches!(text.as_str(), "true" | "false" | "null") =>
        {
            crate::log::truncate(text, MAX)
        }
        Some(other) => crate::log::truncate(&other.to_string(), MAX),
    }
}

/// A unified diff of two YAML texts, hunk headers carrying the YAML path where they start.
fn write_unified(out: &mut dyn Write, old: &str, new: &str, context: usize) -> io::Result<()> {
    let diff = TextDiff::from_lines(old, new);
    let whole = old.is_empty() || new.is_empty();
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    for hunk in diff.unified_diff().context_radius(context).iter_hunks() {
        // An object added or removed as a whole needs no hunk header.
        if !whole {
            // Where the first change is, not the first line of context.
            let first = hunk
                .ops()
                .iter()
                .find(|op| op.tag() != similar::DiffTag::Equal);
            let path = match first {
                Some(op) if !op.old_range().is_empty() => {
                    yaml_path(&old_lines, op.old_range().start)
                }
                Some(op) => yaml_path(&new_lines, op.new_range().start),
                None => String::new(),
            };
            let header = if path.is_empty() {
                hunk.header().to_string()
            } else {
                format!("{} {path}", hunk.header())
            };
            writeln!(out, "{}", header.cyan())?;
        }
        for change in hunk.iter_changes() {
            let line = change.value().trim_end_matches('\n');
            match change.tag() {
                ChangeTag::Equal => writeln!(out, " {line}")?,
                ChangeTag::Delete => writeln!(out, "{}", format!("-{line}").red())?,
                ChangeTag::Insert => writeln!(out, "{}", format!("+{line}").green())?,
            }
        }
    }
    Ok(())
}

/// The path of the map or list element holding line `at` of a YAML text as the `yaml`
/// module prints it (`spec.template.spec.containers[1]`), from indentation alone.
fn yaml_path(lines: &[&str], at: usize) -> String {
    /// Where the walk up stands: the key on a line (its container is sought), or the list
    /// element a `- ` line starts (its list's key is sought).
    enum Pos {
        Key { line: usize, indent: usize },
        Element { line: usize },
    }
    let indent = |line: &str| line.len() - line.trim_start().len();
    let is_item = |line: &str| line.trim_start().starts_with("- ") || line.trim() == "-";
    // Where a line's (first) key sits.
    let key_indent = |line: &str| indent(line) + if is_item(line) { 2 } else { 0 };
    let blank = |line: &str| line.trim().is_empty();
    let Some(first) = lines.get(at) else {
        return String::new();
    };
    let mut parts: Vec<String> = Vec::new();
    let mut pos = Pos::Key {
        line: at,
        indent: key_indent(first),
    };
    loop {
        match pos {
            Pos::Key { line, indent: k } => {
                if is_item(lines[line]) && k == indent(lines[line]) + 2 {
                    pos = Pos::Element { line };
                    continue;
                }
                let Some(up) = (0..line).rev().find(|&i| {
                    let l = lines[i];
                    !blank(l) && (key_indent(l) < k || (is_item(l) && indent(l) + 2 == k))
                }) else {
                    break;
                };
                if is_item(lines[up]) && indent(lines[up]) + 2 == k {
                    pos = Pos::Element { line: up };
                } else {
                    parts.extend(key_of(lines[up]));
                    pos = Pos::Key {
                        line: up,
                        indent: key_indent(lines[up]),
                    };
                }
            }
            Pos::Element { line } => {
                let d = indent(lines[line]);
                let mut position = 0;
                let mut list_key = None;
                for i in (0..line).rev() {
                    let l = lines[i];
                    if blank(l) {
                        continue;
                    }
                    if is_item(l) && indent(l) == d {
                        position += 1;
                    } else if key_indent(l) <= d {
                        list_key = Some(i);
                        break;
                    }
                }
                parts.push(format!("[{position}]"));
                let Some(up) = list_key else { break };
                parts.extend(key_of(lines[up]));
                pos = Pos::Key {
                    line: up,
                    indent: key_indent(lines[up]),
                };
            }
        }
    }
    parts.reverse();
    let mut path = String::new();
    for part in parts {
        if !part.starts_with('[') && !path.is_empty() {
            path.push('.');
        }
        path.push_str(&part);
    }
    path
}

/// The key of a `key:` or `key: value` line (a list item's first key included).
fn key_of(line: &str) -> Option<String> {
    let text = line.trim_start().trim_start_matches("- ");
    let (key, _) = text.split_once(':')?;
    let key = key.trim().trim_matches(|c| c == '\'' || c == '"');
    (!key.is_empty()).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_paths_from_indentation() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app: web\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - image: envoy\n        name: sidecar\n      - env:\n        - name: A\n          value: '1'\n        image: nginx\n        name: web\n";
        let lines: Vec<&str> = text.lines().collect();
        let at = |needle: &str| lines.iter().position(|l| l.trim() == needle).unwrap();
        let cases = [
            ("app: web", "metadata.labels"),
            ("name: web", "spec.template.spec.containers[1]"),
            ("image: nginx", "spec.template.spec.containers[1]"),
            ("value: '1'", "spec.template.spec.containers[1].env[0]"),
            ("- name: A", "spec.template.spec.containers[1].env[0]"),
            ("- image: envoy", "spec.template.spec.containers[0]"),
            ("- env:", "spec.template.spec.containers[1]"),
            ("kind: Deployment", ""),
        ];
        for (line, expected) in cases {
            let index = if line == "name: web" {
                lines.iter().rposition(|l| l.trim() == line).unwrap()
            } else {
                at(line)
            };
            assert_eq!(yaml_path(&lines, index), expected, "{line}");
        }
    }

    #[test]
    fn notes_show_values_briefly() {
        let cases = [
            (None, "(none)"),
            (Some(serde_json::json!(3)), "3"),
            (Some(serde_json::json!("nginx:1")), "nginx:1"),
            (Some(serde_json::json!("3")), "\"3\""),
            (Some(serde_json::json!("a b")), "\"a b\""),
            (Some(serde_json::json!("")), "\"\""),
            (Some(serde_json::json!({"a": [1]})), "{\"a\":[1]}"),
        ];
        for (value, expected) in cases {
            assert_eq!(show(value.as_ref()), expected);
        }
    }
}
