//! Sprig's `semver` and `semverCompare`, with Masterminds/semver v3.4's rules (the version
//! Helm 4 builds with): lenient version parsing (`v1.2`, leading zeros), and its constraint
//! language (`>= 1.2, < 3`, `||`, `1.2 - 1.4`, `~1.2`, `^0.3`, `1.x`, pre-release rules).
//! The version is an [`Object`] with the methods charts call (`.Major`, `.Minor`, `.Patch`,
//! `.Prerelease`, `.Metadata`, `.Original`, `.IncMinor`, `.LessThan`, ...).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use regex::Regex;

use crate::func::{FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Object, Value};

use super::def;

use Param::String as Str;

pub(super) const FUNCS: &[FuncDef] = &[
    def("semver", Sig::fixed(&[Str]), |a| {
        let version = Version::parse(a.string(0)?).map_err(FuncError::msg)?;
        Ok(version.into_value(true))
    }),
    def("semverCompare", Sig::fixed(&[Str, Str]), |a| {
        let constraints = cached_constraints(a.string(0)?).map_err(FuncError::msg)?;
        let version = Version::parse(a.string(1)?).map_err(FuncError::msg)?;
        Ok(constraints.check(&version).into())
    }),
];

/// Parsed constraints kept; the cache starts over when full. Charts compare the same
/// constraint (`>=1.21-0`) against the same version in template after template.
const CACHE_SIZE: usize = 256;

type Cache = Mutex<HashMap<String, Result<Arc<Constraints>, String>>>;

fn cached_constraints(text: &str) -> Result<Arc<Constraints>, String> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(hit) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(text)
    {
        return hit.clone();
    }
    let parsed = Constraints::parse(text).map(Arc::new);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= CACHE_SIZE {
        cache.clear();
    }
    cache.insert(text.to_owned(), parsed.clone());
    parsed
}

/// A semantic version: `*semver.Version` (from `semver`) or `semver.Version` (from its
/// `Inc...`/`Set...` methods, which return values, not pointers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
    pointer: bool,
}

const ERR_INVALID: &str = "invalid semantic version";
const ERR_ZERO: &str = "version segment starts with 0";
const ERR_PRERELEASE: &str = "invalid prerelease string";
const ERR_METADATA: &str = "invalid metadata string";

/// Go's `\s` in a regexp.
const WS: &str = r"[\t\n\f\r ]";

fn loose_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
        )
        .unwrap_or_else(|err| unreachable!("fixed pattern: {err}"))
    })
}

fn parse_segment(digits: &str) -> Result<u64, String> {
    digits.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing \"{digits}\": value out of range"
        )
    })
}

fn all_in(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(allowed)
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn validate_prerelease(pre: &str) -> Result<(), String> {
    for part in pre.split('.') {
        if part.is_empty() {
            return Err(ERR_PRERELEASE.to_owned());
        } else if all_in(part, |b| b.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err(ERR_ZERO.to_owned());
            }
        } else if !all_in(part, is_ident) {
            return Err(ERR_PRERELEASE.to_owned());
        }
    }
    Ok(())
}

fn validate_metadata(metadata: &str) -> Result<(), String> {
    if metadata
        .split('.')
        .any(|part| part.is_empty() || !all_in(part, is_ident))
    {
        return Err(ERR_METADATA.to_owned());
    }
    Ok(())
}

impl Version {
    /// `semver.NewVersion` (coercing: `1`, `1.2`, `v1.2.3`, `01.2.3` all parse).
    pub fn parse(text: &str) -> Result<Version, String> {
        let caps = loose_regex()
            .captures(text)
            .ok_or_else(|| ERR_INVALID.to_owned())?;
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let version = Version {
            major: parse_segment(group(1))?,
            minor: match group(2) {
                "" => 0,
                s => parse_segment(&s[1..])?,
            },
            patch: match group(3) {
                "" => 0,
                s => parse_segment(&s[1..])?,
            },
            pre: group(5).to_owned(),
            metadata: group(8).to_owned(),
            original: text.to_owned(),
            pointer: true,
        };
        if !version.pre.is_empty() {
            validate_prerelease(&version.pre)?;
        }
        if !version.metadata.is_empty() {
            validate_metadata(&version.metadata)?;
        }
        Ok(version)
    }

    fn into_value(self, pointer: bool) -> Value {
        Value::object(Version { pointer, ..self })
    }

    fn v_prefix(&self) -> &str {
        if self.original.starts_with('v') {
            "v"
        } else {
            ""
        }
    }

    fn with_original(mut self) -> Version {
        self.original = format!("{}{}", self.v_prefix(), self);
        self
    }

    fn inc_patch(&self) -> Version {
        let mut next = self.clone();
        if self.pre.is_empty() {
            next.patch += 1;
        }
        next.pre.clear();
        next.metadata.clear();
        next.with_original()
    }

    fn inc_minor(&self) -> Version {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        next.patch = 0;
        next.minor += 1;
        next.with_original()
    }

    fn inc_major(&self) -> Version {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        next.patch = 0;
        next.minor = 0;
        next.major += 1;
        next.with_original()
    }

    /// `Version.Compare`: numbers, then pre-releases (a release sorts after its
    /// pre-releases); metadata is ignored.
    pub fn compare(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (xs, ys): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..xs.len().max(ys.len()) {
        let x = xs.get(i).copied().unwrap_or("");
        let y = ys.get(i).copied().unwrap_or("");
        let order = compare_pre_part(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    if x.is_empty() {
        return Ordering::Less;
    }
    if y.is_empty() {
        return Ordering::Greater;
    }
    match (x.parse::<u64>(), y.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if x > y {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

impl Object for Version {
    fn type_name(&self) -> &str {
        if self.pointer {
            "*semver.Version"
        } else {
            "semver.Version"
        }
    }

    fn kind(&self) -> &str {
        if self.pointer { "ptr" } else { "struct" }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Major"
                | "Minor"
                | "Patch"
                | "Prerelease"
                | "Metadata"
                | "String"
                | "IncMajor"
                | "IncMinor"
                | "IncPatch"
                | "SetPrerelease"
                | "SetMetadata"
                | "LessThan"
                | "LessThanEqual"
                | "GreaterThan"
                | "GreaterThanEqual"
                | "Equal"
                | "Compare"
        ) || (self.pointer && name == "Original")
    }

    fn method_sig(&self, name: &str) -> Option<Sig> {
        Some(match name {
            "SetPrerelease" | "SetMetadata" => Sig::fixed(&[Param::String]),
            "LessThan" | "LessThanEqual" | "GreaterThan" | "GreaterThanEqual" | "Equal"
            | "Compare" => Sig::fixed(&[Param::Named("*semver.Version")]),
            _ if self.has_method(name) => Sig::fixed(&[]),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        if !self.has_method(name) {
            return None;
        }
        let other = || -> Result<Version, FuncError> {
            match args.first() {
                // A nil *Version: the method dereferences it.
                Some(Value::Nil) => Err(super::typed::nil_dereference()),
                Some(Value::Object(object)) => {
                    match object.as_any().and_then(|a| a.downcast_ref::<Version>()) {
                        Some(version) => Ok(version.clone()),
                        None => Err(FuncError::WrongType {
                            expected: "*semver.Version".into(),
                            got: object.type_name().into(),
                        }),
                    }
                }
                Some(other) => Err(FuncError::WrongType {
                    expected: "*semver.Version".into(),
                    got: other.type_name(),
                }),
                None => Err(FuncError::msg(format!(
                    "wrong number of args for {name}: want 1 got 0"
                ))),
            }
        };
        let string_arg = || match args.first() {
            Some(Value::String(s)) => Ok(s.to_string()),
            Some(other) => Err(FuncError::WrongType {
                expected: "string".into(),
                got: other.type_name(),
            }),
            None => Err(FuncError::msg(format!(
                "wrong number of args for {name}: want 1 got 0"
            ))),
        };
        let ordering =
            |test: fn(Ordering) -> bool| -> FuncResult { Ok(test(self.compare(&other()?)).into()) };
        Some(match name {
            "Major" => Ok(Value::Int64(self.major as i64)),
            "Minor" => Ok(Value::Int64(self.minor as i64)),
            "Patch" => Ok(Value::Int64(self.patch as i64)),
            "Prerelease" => Ok(self.pre.clone().into()),
            "Metadata" => Ok(self.metadata.clone().into()),
            "Original" => Ok(self.original.clone().into()),
            "String" => Ok(self.to_string().into()),
            "IncMajor" => Ok(self.inc_major().into_value(false)),
            "IncMinor" => Ok(self.inc_minor().into_value(false)),
            "IncPatch" => Ok(self.inc_patch().into_value(false)),
            "SetPrerelease" => string_arg().and_then(|pre| {
                if !pre.is_empty() {
                    validate_prerelease(&pre).map_err(FuncError::msg)?;
                }
                let mut next = self.clone();
                next.pre = pre;
                Ok(next.with_original().into_value(false))
            }),
            "SetMetadata" => string_arg().and_then(|metadata| {
                if !metadata.is_empty() {
                    validate_metadata(&metadata).map_err(FuncError::msg)?;
                }
                let mut next = self.clone();
                next.metadata = metadata;
                Ok(next.with_original().into_value(false))
            }),
            "LessThan" => ordering(Ordering::is_lt),
            "LessThanEqual" => ordering(Ordering::is_le),
            "GreaterThan" => ordering(Ordering::is_gt),
            "GreaterThanEqual" => ordering(Ordering::is_ge),
            "Equal" => ordering(Ordering::is_eq),
            "Compare" => other().map(|o| Value::Int(self.compare(&o) as i64)),
            _ => return None,
        })
    }

    fn data(&self) -> Value {
        // MarshalJSON: the version as a string.
        self.to_string().into()
    }

    fn format_v(&self) -> String {
        self.to_string()
    }
}

/// The comparison operators of Masterminds' constraint language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    version: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// `||`-separated groups of constraints that must all hold.
#[derive(Debug)]
struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

/// One constraint version: `v?` then numbers or wildcards, pre-release, metadata.
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Patterns {
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let build = |pattern: String| {
            Regex::new(&pattern).unwrap_or_else(|err| unreachable!("fixed pattern: {err}"))
        };
        Patterns {
            constraint: build(format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")),
            range: build(format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")),
            find: build(format!(r"({OPS}){WS}*({CV})")),
            valid: build(format!(
                r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
            )),
        }
    })
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    /// `semver.NewConstraint`.
    fn parse(text: &str) -> Result<Constraints, String> {
        let p = patterns();
        // Hyphen ranges become a pair of comparisons first.
        let mut rewritten = text.to_owned();
        for caps in p.range.captures_iter(text) {
            let whole = caps.get(0).map_or("", |m| m.as_str());
            let low = caps.get(1).map_or("", |m| m.as_str());
            let high = caps.get(11).map_or("", |m| m.as_str());
            rewritten = rewritten.replacen(whole, &format!(">= {low}, <= {high} "), 1);
        }
        let mut groups = Vec::new();
        for part in rewritten.split("||") {
            if !p.valid.is_match(part) {
                return Err(format!("improper constraint: {part}"));
            }
            let mut found: Vec<&str> = p.find.find_iter(part).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(part);
            }
            let mut constraints = Vec::new();
            let mut has_pre = false;
            for text in found {
                let constraint = parse_constraint(text)?;
                has_pre |= !constraint.version.pre.is_empty();
                constraints.push(constraint);
            }
            groups.push((constraints, has_pre));
        }
        Ok(Constraints { groups })
    }

    fn check(&self, version: &Version) -> bool {
        self.groups
            .iter()
            .any(|(constraints, has_pre)| constraints.iter().all(|c| c.check(version, *has_pre)))
    }
}

fn parse_constraint(text: &str) -> Result<Constraint, String> {
    if text.is_empty() {
        return Ok(Constraint {
            op: Op::TildeOrEqual,
            version: Version::parse("0.0.0")?,
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let caps = patterns()
        .constraint
        .captures(text)
        .ok_or_else(|| format!("improper constraint: {text}"))?;
    let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let op = match group(1) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let version = if is_x(major) {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        group(2).to_owned()
    };
    let version = Version::parse(&version).map_err(|_| "constraint parser error".to_owned())?;
    Ok(Constraint {
        op,
        version,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.version;
        match self.op {
            Op::TildeOrEqual if self.dirty => self.tilde(v),
            Op::TildeOrEqual => v.compare(c).is_eq(),
            Op::Tilde => self.tilde(v),
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre).is_ne();
                        }
                        return false;
                    }
                }
                !v.compare(c).is_eq()
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c).is_gt();
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c).is_gt()
                }
            }
            Op::Less => v.compare(c).is_lt(),
            Op::GreaterEqual => v.compare(c).is_ge(),
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c).is_le();
                }
                !(v.major > c.major || v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            Op::Caret => self.caret(v),
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_leniently() {
        let cases = [
            ("1.2.3", Ok("1.2.3")),
            ("v1.2", Ok("1.2.0")),
            ("1", Ok("1.0.0")),
            ("01.02.03", Ok("1.2.3")),
            ("1.2.3-beta.1+build.5", Ok("1.2.3-beta.1+build.5")),
            ("v1.30.2-gke.1587003", Ok("1.30.2-gke.1587003")),
            ("1.2.3-01", Err(ERR_ZERO)),
            ("1.2.3-", Err(ERR_INVALID)),
            ("1.2.3+", Err(ERR_INVALID)),
            ("1.2.3.4", Err(ERR_INVALID)),
            ("abc", Err(ERR_INVALID)),
            ("", Err(ERR_INVALID)),
        ];
        for (input, expected) in cases {
            let got = Version::parse(input).map(|v| v.to_string());
            assert_eq!(got.as_deref().map_err(String::as_str), expected, "{input}");
        }
    }

    #[test]
    fn constraints_follow_masterminds() {
        // Cases from Masterminds/semver's constraint tests and Helm charts.
        let cases = [
            (">=1.21-0", "1.21.0", true),
            (">=1.21-0", "1.20.5", false),
            (">=1.21-0", "v1.30.2-gke.100", true),
            (">=1.21", "v1.30.2-gke.100", false),
            ("<1.19-0", "1.18.9-eks.1", true),
            ("^1.2.3", "1.9.9", true),
            ("^1.2.3", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.4", false),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1", "1.9.0", true),
            ("1.x", "1.5.0", true),
            ("1.x", "2.0.0", false),
            ("*", "5.0.0", true),
            ("!=1.2.3", "1.2.3", false),
            ("!=1.2.x", "1.3.0", true),
            (">1.2", "1.2.9", false),
            (">1.2", "1.3.0", true),
            ("<=1.2", "1.2.9", true),
            ("<=1.2", "1.3.0", false),
            ("1.2 - 1.4", "1.4.5", true),
            ("1.2 - 1.4", "1.5.0", false),
            (">= 1.2, < 3.0.0 || >= 4.2.3", "4.5.0", true),
            (">= 1.2, < 3.0.0 || >= 4.2.3", "3.5.0", false),
            (">=1.2 <2", "1.5.0", true),
            ("=1.2.3", "1.2.3+meta", true),
            ("1.2.3", "1.2.3-beta", false),
        ];
        for (constraint, version, expected) in cases {
            let c = Constraints::parse(constraint).unwrap();
            let v = Version::parse(version).unwrap();
            assert_eq!(c.check(&v), expected, "{constraint} {version}");
        }
        assert_eq!(
            Constraints::parse("abc").unwrap_err(),
            "improper constraint: abc"
        );
        assert_eq!(Constraints::parse("").unwrap_err(), "improper constraint: ");
    }
}
