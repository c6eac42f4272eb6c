//! `.helmignore`, with the rules of Helm's `pkg/ignore` (which looks like `.gitignore` but is
//! not: no gitignore crate matches it, so it is written out here).
//!
//! - One pattern per line; blank lines and `#` comments are skipped; surrounding blanks are
//!   trimmed; a pattern containing `**` is an error, as is a malformed glob.
//! - Globs are Go's `filepath.Match` ([`super::glob`]). A pattern with no `/` is matched
//!   against the file name only; one with a `/` against the whole path from the chart root
//!   (a leading `/` is dropped); a trailing `/` makes a pattern match directories only.
//! - Rules are tried in order and the first that decides wins: a plain rule that matches
//!   ignores the path. A `!` rule is Helm's own: a path it does *not* match is ignored
//!   there and then, a path it matches goes on to the next rule. So `!keep.txt` alone
//!   ignores every file but `keep.txt`, as it does with Helm.
//! - Helm adds `templates/.?*` (dotfiles in `templates/`) to every chart's rules.
//! - An ignored directory is skipped with everything in it.

use super::glob;

/// A malformed `.helmignore` line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("line {line}: double-star (**) syntax is not supported")]
    DoubleStar { line: usize },
    #[error("line {line}: `{pattern}`: syntax error in pattern")]
    BadPattern { line: usize, pattern: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    glob: String,
    negate: bool,
    dir_only: bool,
    /// Matched against the whole path rather than the file name.
    whole_path: bool,
}

/// The rules of one `.helmignore`, plus Helm's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Helm's rules for a chart without `.helmignore`.
    pub fn defaults() -> Self {
        let mut rules = Rules::default();
        rules.add_defaults();
        rules
    }

    /// Parses a `.helmignore` and adds Helm's default rule after its own.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut rules = Rules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            rules.add(line, index + 1)?;
        }
        rules.add_defaults();
        Ok(rules)
    }

    fn add_defaults(&mut self) {
        // Cannot fail: a fixed, valid pattern.
        let _ = self.add("templates/.?*", 0);
    }

    fn add(&mut self, line: &str, number: usize) -> Result<(), Error> {
        let rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(Error::DoubleStar { line: number });
        }
        if glob::matches(rule, "abc").is_err() {
            return Err(Error::BadPattern {
                line: number,
                pattern: rule.to_owned(),
            });
        }
        let (negate, rule) = match rule.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        let (dir_only, rule) = match rule.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        let (whole_path, rule) = match rule.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (rule.contains('/'), rule),
        };
        self.patterns.push(Pattern {
            glob: rule.to_owned(),
            negate,
            dir_only,
            whole_path,
        });
        Ok(())
    }

    /// Whether the file or directory at `path` (relative to the chart root, with `/`) is
    /// ignored.
    pub fn ignores(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        for pattern in &self.patterns {
            let subject = if pattern.whole_path { path } else { base };
            // A pattern that cannot match (bad syntax is caught when parsing) is a mismatch.
            let hit = glob::matches(&pattern.glob, subject).unwrap_or(false);
            if pattern.negate {
                if (pattern.dir_only && !is_dir) || !hit {
                    return true;
                }
                continue;
            }
            if pattern.dir_only && !is_dir {
                continue;
            }
            if hit {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_ignore_rules() {
        // (rules, path, is_dir, ignored), after Helm's pkg/ignore tests.
        let cases: &[(&str, &str, bool, bool)] = &[
            ("foo.txt", "foo.txt", false, true),
            ("foo.txt", "sub/foo.txt", false, true),
            ("*.txt", "a/b/c.txt", false, true),
            ("/foo.txt", "foo.txt", false, true),
            ("/foo.txt", "sub/foo.txt", false, false),
            ("/*.txt", "a.txt", false, true),
            ("/*.txt", "sub/a.txt", false, false),
            ("sub/*.txt", "sub/a.txt", false, true),
            ("sub/*.txt", "other/sub/a.txt", false, false),
            ("mydir/", "mydir", true, true),
            ("mydir/", "mydir", false, false),
            ("a[b-d].txt", "ac.txt", false, true),
            ("a[b-d].txt", "ae.txt", false, false),
            // The first rule that decides wins: `*.bak` ignores keep.bak before `!` is read.
            ("*.bak\n!keep.bak", "keep.bak", false, true),
            // A `!` rule that matches only passes the path on: `*.bak` still ignores it.
            ("!keep.bak\n*.bak", "keep.bak", false, true),
            ("!*.bak\n*.txt", "a.bak", false, false),
            ("!*.bak\n*.txt", "a.txt", false, true),
            // Helm's negation: anything the `!` rule does not match is ignored.
            ("!keep.txt", "other.txt", false, true),
            ("!keep.txt", "keep.txt", false, false),
            ("!dir/", "file", false, true),
            ("# comment\n\n  *.swp  ", "a.swp", false, true),
            ("", "templates/.hidden", false, true),
            ("", "templates/a.yaml", false, false),
            ("", ".helmignore", false, false),
            (".*", "templates/.x", false, true),
            ("", "", true, false),
            ("*", ".", true, false),
        ];
        for (rules, path, is_dir, expected) in cases {
            let parsed = Rules::parse(rules).unwrap();
            assert_eq!(
                parsed.ignores(path, *is_dir),
                *expected,
                "{rules:?} on {path:?}"
            );
        }
    }

    #[test]
    fn bad_rules() {
        assert_eq!(
            Rules::parse("a\n**/x\n"),
            Err(Error::DoubleStar { line: 2 })
        );
        assert!(matches!(
            Rules::parse("[x"),
            Err(Error::BadPattern { line: 1, .. })
        ));
    }
}
