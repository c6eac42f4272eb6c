//! Version constraints in the syntax Helm uses (Masterminds/semver v3): `>=1.20.0-0 <2.0.0`,
//! `^1.2`, `~1.2.3`, `1.2.x`, `1.2 - 1.4`, `||` alternatives. Used for `kubeVersion` in
//! `Chart.yaml` and the `semverCompare` template helper.
//!
//! The rules follow Masterminds rather than npm where they differ:
//! - a version with a prerelease (`1.30.0-gke.1`) only satisfies a comparator whose own
//!   version has a prerelease, which is why charts write `>=1.20.0-0`;
//! - a partial version is a wildcard: `>1.2` means "a later minor than 1.2" (`1.3.0` and up),
//!   `<=1.2` includes every `1.2.z`, `=1.2` and a bare `1.2` mean `~1.2`;
//! - build metadata (`+k3s1`) never takes part in comparisons.

use std::cmp::Ordering;
use std::fmt;

use semver::{Prerelease, Version};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid version `{0}`")]
    Version(String),
    #[error("invalid constraint `{constraint}`: {reason}")]
    Constraint { constraint: String, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether `version` satisfies `constraint`.
pub fn matches(constraint: &str, version: &str) -> Result<bool> {
    let constraint = Constraint::parse(constraint)?;
    let version = parse_version(version)?;
    Ok(constraint.matches(&version))
}

/// Parses a version leniently, as Masterminds' `NewVersion` does: a leading `v`, and missing
/// minor or patch numbers count as 0 (`v1.30` is `1.30.0`).
pub fn parse_version(text: &str) -> Result<Version> {
    let invalid = || Error::Version(text.to_owned());
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let core_end = bare.find(['-', '+']).unwrap_or(bare.len());
    let (core, rest) = bare.split_at(core_end);
    let parts = core.split('.').count();
    if core.is_empty() || parts > 3 {
        return Err(invalid());
    }
    let padded = match parts {
        1 => format!("{core}.0.0{rest}"),
        2 => format!("{core}.0{rest}"),
        _ => return Version::parse(bare).map_err(|_| invalid()),
    };
    Version::parse(&padded).map_err(|_| invalid())
}

/// A parsed constraint: alternatives (`||`) of conjunctions (`,` or spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    alternatives: Vec<Vec<Comparator>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `=` or nothing: equal, or `~` when the version has wildcards.
    Exact,
    NotEqual,
    Greater,
    Less,
    GreaterEq,
    LessEq,
    Tilde,
    Caret,
}

/// Which parts of a comparator's version were wildcards or left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wild {
    /// `1.2.3`
    None,
    /// `1.2`, `1.2.x`
    Patch,
    /// `1`, `1.x`
    Minor,
    /// `*`, `x`
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparator {
    op: Op,
    version: Version,
    wild: Wild,
}

impl Constraint {
    pub fn parse(text: &str) -> Result<Self> {
        let fail = |reason: String| Error::Constraint {
            constraint: text.to_owned(),
            reason,
        };
        let mut alternatives = Vec::new();
        for alternative in text.split("||") {
            let comparators = parse_conjunction(alternative).map_err(fail)?;
            alternatives.push(comparators);
        }
        Ok(Constraint { alternatives })
    }

    /// Whether `version` satisfies any alternative.
    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives
            .iter()
            .any(|all| all.iter().all(|c| c.matches(version)))
    }
}

impl std::str::FromStr for Constraint {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Constraint::parse(text)
    }
}

/// Parses `>=1.2 <2, !=1.5.0` or `1.2 - 1.4.5`.
fn parse_conjunction(text: &str) -> Result<Vec<Comparator>, String> {
    let tokens: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err("an empty alternative".to_owned());
    }
    let mut comparators = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let token = tokens[index];
        // An operator may stand apart from its version: `>= 1.2`.
        let (op_text, version_text) = if is_operator(token) {
            index += 1;
            let Some(next) = tokens.get(index) else {
                return Err(format!("operator `{token}` has no version"));
            };
            (token, *next)
        } else {
            split_operator(token)
        };
        index += 1;
        if tokens.get(index) == Some(&"-") {
            // A hyphen range: `1.2 - 1.4.5` means `>=1.2, <=1.4.5`.
            if !op_text.is_empty() {
                return Err(format!(
                    "a hyphen range cannot start with an operator (`{op_text}{version_text}`)"
                ));
            }
            let Some(upper) = tokens.get(index + 1) else {
                return Err(format!(
                    "hyphen range `{version_text} -` has no upper bound"
                ));
            };
            comparators.push(Comparator::new(">=", version_text)?);
            comparators.push(Comparator::new("<=", upper)?);
            index += 2;
            continue;
        }
        comparators.push(Comparator::new(op_text, version_text)?);
    }
    Ok(comparators)
}

const OPERATORS: &[&str] = &["!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"];

fn is_operator(token: &str) -> bool {
    OPERATORS.contains(&token)
}

fn split_operator(token: &str) -> (&str, &str) {
    let end = token
        .find(|c: char| !matches!(c, '=' | '!' | '<' | '>' | '~' | '^'))
        .unwrap_or(token.len());
    token.split_at(end)
}

impl Comparator {
    fn new(op_text: &str, version_text: &str) -> Result<Self, String> {
        let op = match op_text {
            "" | "=" => Op::Exact,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterEq,
            "<=" | "=<" => Op::LessEq,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            other => return Err(format!("unknown operator `{other}`")),
        };
        let (version, wild) = parse_partial(version_text)
            .ok_or_else(|| format!("`{version_text}` is not a version"))?;
        Ok(Comparator { op, version, wild })
    }

    fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        // Masterminds: prereleases only match comparators that ask for prereleases, even
        // `!=1.2.3` (checked against helm v4).
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        match self.op {
            Op::Exact if self.wild == Wild::None => precedence(v, c) == Ordering::Equal,
            Op::Exact | Op::Tilde => self.tilde(v),
            Op::NotEqual => self.not_equal(v),
            Op::Greater => self.greater(v),
            Op::Less => precedence(v, c) == Ordering::Less,
            Op::GreaterEq => precedence(v, c) != Ordering::Less,
            Op::LessEq => self.less_eq(v),
            Op::Caret => self.caret(v),
        }
    }

    /// `~1.2.3` is `>=1.2.3 <1.3.0`; `~1` is `>=1.0.0 <2.0.0`; `~0.0.0` and `*` match all.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if precedence(v, c) == Ordering::Less {
            return false;
        }
        if self.wild == Wild::Major
            || (c.major == 0 && c.minor == 0 && c.patch == 0 && self.wild == Wild::None)
        {
            return true;
        }
        v.major == c.major && (self.wild == Wild::Minor || v.minor == c.minor)
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.wild {
            Wild::None => precedence(v, c) != Ordering::Equal,
            Wild::Major => false,
            Wild::Minor => v.major != c.major,
            Wild::Patch => v.major != c.major || v.minor != c.minor || v.pre != c.pre,
        }
    }

    /// `>1.2` means a later minor (`1.3.0`), `>1` a later major.
    fn greater(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.wild {
            Wild::None | Wild::Major => precedence(v, c) == Ordering::Greater,
            Wild::Minor => v.major > c.major,
            Wild::Patch => v.major > c.major || (v.major == c.major && v.minor > c.minor),
        }
    }

    /// `<=1.2` includes every `1.2.z`, `<=1` every `1.y.z`.
    fn less_eq(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.wild {
            Wild::None => precedence(v, c) != Ordering::Greater,
            Wild::Major => true,
            Wild::Minor => v.major <= c.major,
            Wild::Patch => v.major < c.major || (v.major == c.major && v.minor <= c.minor),
        }
    }

    /// `^1.2.3` is `>=1.2.3 <2.0.0`, `^0.2.3` is `>=0.2.3 <0.3.0`, `^0.0.3` is exactly `0.0.3`.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.wild == Wild::Major {
            return true;
        }
        if precedence(v, c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.wild == Wild::Minor {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.wild == Wild::Patch {
            return v.minor == c.minor;
        }
        v.minor == 0 && v.patch == c.patch
    }
}

/// Orders by major, minor, patch and prerelease; build metadata does not count.
fn precedence(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

/// `v1.2.x-0` and friends: missing or wildcard parts become 0 and are remembered.
fn parse_partial(text: &str) -> Option<(Version, Wild)> {
    let bare = text.strip_prefix('v').unwrap_or(text);
    let core_end = bare.find(['-', '+']).unwrap_or(bare.len());
    let (core, rest) = bare.split_at(core_end);
    let mut numbers = [0u64; 3];
    let mut wild = Wild::None;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return None;
    }
    for (index, slot) in numbers.iter_mut().enumerate() {
        let part = parts.get(index).copied();
        let is_wild = match part {
            None | Some("x" | "X" | "*") => true,
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                *slot = digits.parse().ok()?;
                false
            }
            Some(_) => return None,
        };
        if is_wild && wild == Wild::None {
            wild = [Wild::Major, Wild::Minor, Wild::Patch][index];
        }
    }
    // After a wildcard every later part is a wildcard too: `1.x.3` is `1.x`.
    let first_wild = match wild {
        Wild::Major => 0,
        Wild::Minor => 1,
        Wild::Patch => 2,
        Wild::None => 3,
    };
    for slot in &mut numbers[first_wild..] {
        *slot = 0;
    }
    let mut version = Version::new(numbers[0], numbers[1], numbers[2]);
    if let Some(after) = rest.strip_prefix('-') {
        let pre = after.split('+').next().unwrap_or_default();
        if pre.is_empty() {
            return None;
        }
        version.pre = Prerelease::new(pre).ok()?;
        if let Some(build) = after.split_once('+').map(|(_, b)| b) {
            version.build = semver::BuildMetadata::new(build).ok()?;
        }
    } else if let Some(build) = rest.strip_prefix('+') {
        version.build = semver::BuildMetadata::new(build).ok()?;
    }
    Some((version, wild))
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, all) in self.alternatives.iter().enumerate() {
            if i > 0 {
                f.write_str(" || ")?;
            }
            for (j, c) in all.iter().enumerate() {
                if j > 0 {
                    f.write_str(" ")?;
                }
                let op = match c.op {
                    Op::Exact => "=",
                    Op::NotEqual => "!=",
                    Op::Greater => ">",
                    Op::Less => "<",
                    Op::GreaterEq => ">=",
                    Op::LessEq => "<=",
                    Op::Tilde => "~",
                    Op::Caret => "^",
                };
                write!(f, "{op}{}", c.version)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_match_like_masterminds() {
        // (constraint, version, expected)
        let cases: &[(&str, &str, bool)] = &[
            // plain comparators
            ("=1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            ("!=1.2.3", "1.2.4", true),
            ("!=1.2.3", "1.2.3", false),
            (">1.2.3", "1.2.4", true),
            (">1.2.3", "1.2.3", false),
            ("<1.2.3", "1.2.2", true),
            ("<1.2.3", "1.2.3", false),
            (">=1.2.3", "1.2.3", true),
            ("=>1.2.3", "1.2.3", true),
            (">=1.2.3", "1.2.2", false),
            ("<=1.2.3", "1.2.3", true),
            ("=<1.2.3", "1.2.4", false),
            (">= 1.2.3", "1.3.0", true),
            // leading v on both sides
            (">=v1.20.0", "v1.35.0", true),
            ("v1.2.3", "1.2.3", true),
            // partial versions and wildcards
            ("1.2", "1.2.9", true),
            ("1.2", "1.3.0", false),
            ("1.2.x", "1.2.0", true),
            ("1.x", "1.9.9", true),
            ("1.X", "2.0.0", false),
            ("*", "0.0.1", true),
            ("*", "99.1.0", true),
            ("x", "3.2.1", true),
            (">1.2", "1.2.9", false),
            (">1.2", "1.3.0", true),
            (">1", "1.9.0", false),
            (">1", "2.0.0", true),
            ("<1.2", "1.1.9", true),
            ("<1.2", "1.2.0", false),
            ("<=1.2", "1.2.9", true),
            ("<=1.2", "1.3.0", false),
            ("<=1", "1.99.0", true),
            (">=1.2", "1.2.0", true),
            ("!=1.2.x", "1.2.5", false),
            ("!=1.2.x", "1.3.0", true),
            ("!=1.x", "2.0.0", true),
            // tilde
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1.2.3", "1.2.2", false),
            ("~1.2", "1.2.0", true),
            ("~1", "1.9.0", true),
            ("~1", "2.0.0", false),
            ("~>1.2", "1.2.5", true),
            ("~0.0.0", "5.0.0", true),
            // caret
            ("^1.2.3", "1.9.0", true),
            ("^1.2.3", "2.0.0", false),
            ("^1.2.3", "1.2.2", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.3", true),
            ("^0.0.3", "0.0.4", false),
            ("^0.0", "0.0.9", true),
            ("^0.0", "0.1.0", false),
            ("^0", "0.9.0", true),
            ("^0", "1.0.0", false),
            ("^*", "7.0.0", true),
            // hyphen ranges
            ("1.2 - 1.4.5", "1.2.0", true),
            ("1.2 - 1.4.5", "1.4.5", true),
            ("1.2 - 1.4.5", "1.4.6", false),
            ("1.2 - 1.4", "1.4.8", true),
            ("1.2 - 1.4", "1.1.9", false),
            // AND with commas or spaces, OR with ||
            (">=1.2, <2", "1.5.0", true),
            (">=1.2,<2", "2.0.0", false),
            (">=1.2 <2", "1.9.9", true),
            (">= 1.2 , < 2", "1.1.0", false),
            ("<1.0 || >=3.0", "0.5.0", true),
            ("<1.0 || >=3.0", "2.0.0", false),
            ("<1.0 || >=3.0", "3.1.0", true),
            ("^1.2 || ^2.0, !=2.1.0", "2.1.0", false),
            // prereleases
            (">=1.20.0", "1.28.3-gke.1203000", false),
            (">=1.20.0-0", "1.28.3-gke.1203000", true),
            (">=1.20.0-0", "1.19.9", false),
            (">=1.2.3-beta.1", "1.2.3-beta.2", true),
            (">=1.2.3-beta.2", "1.2.3-beta.10", true),
            (">=1.2.3-beta.2", "1.2.3-alpha.9", false),
            ("<1.2.3", "1.2.3-beta", false),
            ("<1.2.3-0", "1.2.3-beta", false),
            ("<1.2.3-0", "1.2.2-beta", true),
            ("!=1.2.3", "1.2.4-beta", false),
            ("*", "1.0.0-rc.1", false),
            ("~1.2.3-0", "1.2.3-rc.1", true),
            ("^1.2.3-0", "1.5.0-rc.1", true),
            // build metadata is ignored
            ("=1.28.3", "v1.28.3+k3s1", true),
            (">1.28.3", "v1.28.3+k3s1", false),
            // partial checked versions
            (">=1.20", "v1.21", true),
        ];
        let mut failures = Vec::new();
        for (constraint, version, expected) in cases {
            match matches(constraint, version) {
                Ok(got) if got == *expected => {}
                other => failures.push(format!("{constraint} vs {version}: {other:?}")),
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(cases.len() >= 40);
    }

    #[test]
    fn bad_constraints_and_versions_are_errors() {
        let constraints = [
            "",
            ">=",
            "1.2.3.4",
            ">=abc",
            "1.2 -",
            ">=1.0 - 2.0",
            "<>1.0",
            "1.0 ||",
            "1.0.0-",
        ];
        for text in constraints {
            let err = Constraint::parse(text).expect_err(text);
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid constraint `{text}`")),
                "{err}"
            );
        }
        for text in ["", "abc", "1.2.3.4", "1.x", "v", "1..2"] {
            assert_eq!(
                parse_version(text),
                Err(Error::Version(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn versions_are_padded_and_trimmed() {
        assert_eq!(parse_version("v1.30").unwrap(), Version::new(1, 30, 0));
        assert_eq!(parse_version("2").unwrap(), Version::new(2, 0, 0));
        assert_eq!(
            parse_version("v1.28.3-gke.1").unwrap().pre.as_str(),
            "gke.1"
        );
        assert_eq!(
            Constraint::parse(">= 1.2, <2 || ~3").unwrap().to_string(),
            ">=1.2.0 <2.0.0 || ~3.0.0"
        );
    }
}
