//! Sprig's regular expression functions, with Go's RE2 semantics on the `regex` crate: Go's
//! pattern syntax is rewritten where the two differ (`\d`, `\w`, `\s`, `\b` are ASCII in Go,
//! `\Q...\E` quotes, octal escapes, a `[` inside a class is literal), and matching, splitting
//! and replacing follow Go's `regexp` loops (empty matches, `$1` expansion). Compiled patterns
//! are cached, since a chart calls the same pattern for every item of a list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use regex::Regex;

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::Value;

use super::def;
use super::strings::go_quote;
use super::typed;

use Param::{Int, String as Str};

pub(super) const FUNCS: &[FuncDef] = &[
    def("regexMatch", Sig::fixed(&[Str, Str]), |a| {
        Ok(compile(a.string(0)?)
            .map(|re| re.is_match(a.string(1).unwrap_or_default()))
            .unwrap_or(false)
            .into())
    }),
    def("mustRegexMatch", Sig::fixed(&[Str, Str]), |a| {
        Ok(compile(a.string(0)?)?.is_match(a.string(1)?).into())
    }),
    def("regexFindAll", Sig::fixed(&[Str, Str, Int]), |a| {
        find_all(&*must_compile(a.string(0)?)?, a)
    }),
    def("mustRegexFindAll", Sig::fixed(&[Str, Str, Int]), |a| {
        find_all(&*compile(a.string(0)?)?, a)
    }),
    def("regexFind", Sig::fixed(&[Str, Str]), |a| {
        find(&*must_compile(a.string(0)?)?, a.string(1)?)
    }),
    def("mustRegexFind", Sig::fixed(&[Str, Str]), |a| {
        find(&*compile(a.string(0)?)?, a.string(1)?)
    }),
    def("regexReplaceAll", Sig::fixed(&[Str, Str, Str]), |a| {
        replace_all(&*must_compile(a.string(0)?)?, a, false)
    }),
    def("mustRegexReplaceAll", Sig::fixed(&[Str, Str, Str]), |a| {
        replace_all(&*compile(a.string(0)?)?, a, false)
    }),
    def(
        "regexReplaceAllLiteral",
        Sig::fixed(&[Str, Str, Str]),
        |a| replace_all(&*must_compile(a.string(0)?)?, a, true),
    ),
    def(
        "mustRegexReplaceAllLiteral",
        Sig::fixed(&[Str, Str, Str]),
        |a| replace_all(&*compile(a.string(0)?)?, a, true),
    ),
    def("regexSplit", Sig::fixed(&[Str, Str, Int]), |a| {
        split(&*must_compile(a.string(0)?)?, a)
    }),
    def("mustRegexSplit", Sig::fixed(&[Str, Str, Int]), |a| {
        split(&*compile(a.string(0)?)?, a)
    }),
    def("regexQuoteMeta", Sig::fixed(&[Str]), |a| {
        Ok(quote_meta(a.string(0)?).into())
    }),
];

/// Patterns longer than this are refused (Go has no limit, but nothing sensible needs it).
const MAX_PATTERN: usize = 64 * 1024;
/// Compiled patterns kept; the cache starts over when full.
const CACHE_SIZE: usize = 512;

type Cache = Mutex<HashMap<String, Result<Arc<Regex>, String>>>;

/// `regexp.Compile`, cached; the error is Go's text.
fn compile(pattern: &str) -> Result<Arc<Regex>, FuncError> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(hit) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
    {
        return hit.clone().map_err(FuncError::Message);
    }
    let compiled = build(pattern).map(Arc::new);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= CACHE_SIZE {
        cache.clear();
    }
    cache.insert(pattern.to_owned(), compiled.clone());
    compiled.map_err(FuncError::Message)
}

/// `regexp.MustCompile`: its panic message when the pattern is bad.
fn must_compile(pattern: &str) -> Result<Arc<Regex>, FuncError> {
    compile(pattern).map_err(|err| {
        // regexp's quote: backquotes unless the pattern cannot be written in them.
        let can_backquote = !pattern.contains('`')
            && !pattern.contains('\u{feff}')
            && pattern.chars().all(|c| c == '\t' || !c.is_control());
        let quoted = if can_backquote {
            format!("`{pattern}`")
        } else {
            go_quote(pattern)
        };
        FuncError::msg(format!("regexp: Compile({quoted}): {err}"))
    })
}

fn build(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN {
        return Err(format!(
            "error parsing regexp: expression too large: {} bytes",
            pattern.len()
        ));
    }
    let translated = translate(pattern)?;
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 24)
        .nest_limit(1000)
        .build()
        .map_err(|err| go_error(pattern, &err))
}

/// Go's message for a pattern the `regex` crate refused, for the mistakes people make;
/// others keep the crate's explanation after Go's prefix.
fn go_error(pattern: &str, err: &regex::Error) -> String {
    let text = err.to_string();
    let code = if text.contains("unclosed group") {
        Some(("missing closing )", pattern.to_owned()))
    } else if text.contains("unopened group") {
        Some(("unexpected )", pattern.to_owned()))
    } else if text.contains("unclosed character class") {
        Some((
            "missing closing ]",
            pattern[pattern.rfind('[').unwrap_or(0)..].to_owned(),
        ))
    } else if text.contains("repetition operator missing expression") {
        let at = pattern
            .find(['*', '+', '?'])
            .map_or(String::new(), |i| pattern[i..i + 1].to_owned());
        Some(("missing argument to repetition operator", at))
    } else if text.contains("Unicode property") {
        let at = pattern
            .find("\\p")
            .or_else(|| pattern.find("\\P"))
            .unwrap_or(0);
        let rest = &pattern[at..];
        let end = if rest[2..].starts_with('{') {
            rest.find('}').map_or(rest.len(), |e| e + 1)
        } else {
            rest.char_indices().nth(3).map_or(rest.len(), |(e, _)| e)
        };
        Some(("invalid character class range", rest[..end].to_owned()))
    } else if text.contains("exceeds size limit") {
        Some(("expression too large", pattern.to_owned()))
    } else {
        None
    };
    match code {
        Some((code, expr)) => format!("error parsing regexp: {code}: `{expr}`"),
        None => {
            let detail = text.lines().last().unwrap_or_default().trim();
            let detail = detail.strip_prefix("error: ").unwrap_or(detail);
            format!("error parsing regexp: {detail}: `{pattern}`")
        }
    }
}

/// Rewrites Go RE2 syntax into the `regex` crate's, where they differ.
fn translate(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    // Where the repetition operator just before this point started (Go refuses `a**`).
    let mut last_repeat: Option<usize> = None;
    while i < chars.len() {
        let c = chars[i];
        if !in_class && let Some(len) = repeat_len(&chars[i..]) {
            if chars[i] == '{' {
                let inner: String = chars[i + 1..i + len - 1].iter().collect();
                let (min, max) = inner.split_once(',').unwrap_or((&inner, &inner));
                let min: u32 = min.parse().unwrap_or(u32::MAX);
                let max: u32 = if max.is_empty() {
                    min
                } else {
                    max.parse().unwrap_or(u32::MAX)
                };
                if min > 1000 || max > 1000 || max < min {
                    return Err(format!(
                        "error parsing regexp: invalid repeat count: `{{{inner}}}`"
                    ));
                }
            }
            let mut end = i + len;
            if chars.get(end) == Some(&'?') {
                end += 1;
            }
            if let Some(start) = last_repeat {
                let text: String = chars[start..end].iter().collect();
                return Err(format!(
                    "error parsing regexp: invalid nested repetition operator: `{text}`"
                ));
            }
            out.extend(&chars[i..end]);
            last_repeat = Some(i);
            i = end;
            continue;
        }
        last_repeat = None;
        if c == '{' && !in_class {
            // Not a repetition (checked above): a literal brace in Go.
            out.push_str("\\{");
            i += 1;
            continue;
        }
        if c == '(' && !in_class && chars.get(i + 1) == Some(&'?') {
            check_group(&chars[i..])?;
        }
        if c == '-' && in_class && i > class_start + 1 {
            check_range(&chars, i)?;
        }
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err(
                        "error parsing regexp: trailing backslash at end of expression: ``"
                            .to_owned(),
                    );
                };
                i += 2;
                match next {
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str(if in_class {
                        "0-9A-Za-z_"
                    } else {
                        "[0-9A-Za-z_]"
                    }),
                    'W' => out.push_str("[^0-9A-Za-z_]"),
                    's' => out.push_str(if in_class {
                        "\\t\\n\\x0C\\r "
                    } else {
                        "[\\t\\n\\x0C\\r ]"
                    }),
                    'S' => out.push_str("[^\\t\\n\\x0C\\r ]"),
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    'Q' => {
                        let end = (i..chars.len().saturating_sub(1))
                            .find(|&j| chars[j] == '\\' && chars[j + 1] == 'E');
                        let literal: String = chars[i..end.unwrap_or(chars.len())].iter().collect();
                        for l in literal.chars() {
                            push_literal(&mut out, l, in_class);
                        }
                        i = end.map_or(chars.len(), |j| j + 2);
                    }
                    '0'..='7' => {
                        let mut value = next.to_digit(8).unwrap_or(0);
                        let mut digits = 1;
                        while digits < 3 {
                            match chars.get(i).and_then(|d| d.to_digit(8)) {
                                Some(d) => {
                                    value = value * 8 + d;
                                    i += 1;
                                    digits += 1;
                                }
                                None => break,
                            }
                        }
                        if next != '0' && digits == 1 && !in_class {
                            // Go reads \1-\7 alone as a backreference, which RE2 refuses.
                            return Err(format!(
                                "error parsing regexp: invalid escape sequence: `\\{next}`"
                            ));
                        }
                        out.push_str(&format!("\\x{{{value:x}}}"));
                    }
                    'x' | 'p' | 'P' => {
                        out.push('\\');
                        out.push(next);
                        // `\x{263a}`, `\p{Greek}`: the braces belong to the escape.
                        if chars.get(i) == Some(&'{')
                            && let Some(close) = chars[i..].iter().position(|&c| c == '}')
                        {
                            out.extend(&chars[i..=i + close]);
                            i += close + 1;
                        }
                    }
                    'a' | 'f' | 't' | 'n' | 'r' | 'v' | 'A' | 'z' | 'b' | 'B' => {
                        out.push('\\');
                        out.push(next);
                    }
                    other if other.is_ascii_alphanumeric() || !other.is_ascii() => {
                        return Err(format!(
                            "error parsing regexp: invalid escape sequence: `\\{other}`"
                        ));
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = i;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` first in a class is a literal in both syntaxes.
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '[' if in_class => {
                // `[:alpha:]` is a POSIX class in both; any other `[` is a literal in Go.
                let rest: String = chars[i..].iter().take(12).collect();
                if let Some(end) = rest.find(":]")
                    && rest.starts_with("[:")
                {
                    out.push_str(&rest[..end + 2]);
                    i += rest[..end + 2].chars().count();
                    continue;
                }
                out.push_str("\\[");
            }
            ']' if in_class && i > class_start => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.get(i + 1) == Some(&c) => {
                // `&&`, `--` and `~~` are set operations in the crate, literals in Go.
                out.push(c);
                out.push('\\');
                out.push(c);
                i += 2;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// Go's checks of a `(?...` group: flags from `imsU` (with one `-`), or a valid name.
fn check_group(chars: &[char]) -> Result<(), String> {
    let text = |n: usize| chars[..n.min(chars.len())].iter().collect::<String>();
    let named = match (chars.get(2), chars.get(3)) {
        (Some('P'), Some('<')) => Some(4),
        (Some('<'), _) => Some(3),
        _ => None,
    };
    if let Some(start) = named {
        let end = chars[start..].iter().position(|&c| c == '>');
        let name: String = end.map_or(String::new(), |e| chars[start..start + e].iter().collect());
        let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        return match end {
            Some(e) if valid => {
                let _ = e;
                Ok(())
            }
            Some(e) => Err(format!(
                "error parsing regexp: invalid named capture: `{}`",
                text(start + e + 1)
            )),
            None => Err(format!(
                "error parsing regexp: invalid named capture: `{}`",
                text(chars.len())
            )),
        };
    }
    let (mut negated, mut saw_flag) = (false, false);
    for (i, &c) in chars.iter().enumerate().skip(2) {
        match c {
            'i' | 'm' | 's' | 'U' => saw_flag = true,
            '-' if !negated => {
                negated = true;
                saw_flag = false;
            }
            ':' | ')' if !negated || saw_flag => return Ok(()),
            _ => {
                return Err(format!(
                    "error parsing regexp: invalid or unsupported Perl syntax: `{}`",
                    text(i + 1)
                ));
            }
        }
    }
    Err(format!(
        "error parsing regexp: missing closing ): `{}`",
        text(chars.len())
    ))
}

/// Go's check of a literal range `a-z` in a class: the start must not exceed the end.
fn check_range(chars: &[char], dash: usize) -> Result<(), String> {
    let (Some(&lo), Some(&hi)) = (chars.get(dash - 1), chars.get(dash + 1)) else {
        return Ok(());
    };
    let escaped = dash >= 2 && chars[dash - 2] == '\\';
    if escaped || hi == ']' || hi == '\\' || lo == '[' {
        return Ok(());
    }
    if lo > hi {
        return Err(format!(
            "error parsing regexp: invalid character class range: `{lo}-{hi}`"
        ));
    }
    Ok(())
}

/// The length of a repetition operator at the start of `chars` (`*`, `+`, `?`, `{n}`,
/// `{n,}`, `{n,m}`); a `{` that does not form one is a literal in Go.
fn repeat_len(chars: &[char]) -> Option<usize> {
    match chars.first()? {
        '*' | '+' | '?' => Some(1),
        '{' => {
            let close = chars.iter().position(|&c| c == '}')?;
            let inner: String = chars[1..close].iter().collect();
            let (min, max) = inner.split_once(',').unwrap_or((&inner, "0"));
            let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            (digits(min) && (max.is_empty() || digits(max))).then_some(close + 1)
        }
        _ => None,
    }
}

fn push_literal(out: &mut String, c: char, in_class: bool) {
    if c.is_ascii_punctuation() || (in_class && c == ' ') {
        out.push('\\');
    }
    out.push(c);
}

/// `regexp.QuoteMeta`: a backslash before each of Go's special characters.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `allMatches` loop: successive non-overlapping matches, at most `n` (all when n < 0),
/// skipping an empty match right after a previous match.
fn match_ranges(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let limit = if n < 0 { s.len() + 1 } else { n as usize };
    let mut out = Vec::new();
    let mut pos = 0;
    let mut prev_end: Option<usize> = None;
    while out.len() < limit && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else {
            break;
        };
        let mut accept = true;
        if m.end() == pos {
            if Some(m.start()) == prev_end {
                accept = false;
            }
            pos += s[pos..].chars().next().map_or(1, char::len_utf8);
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            out.push((m.start(), m.end()));
        }
    }
    out
}

fn find_all(re: &Regex, a: &Args<'_>) -> FuncResult {
    let (s, n) = (a.string(1)?, a.int(2)?);
    let found = match_ranges(re, s, n)
        .into_iter()
        .map(|(start, end)| s[start..end].to_owned());
    Ok(typed::strings(found))
}

fn find(re: &Regex, s: &str) -> FuncResult {
    Ok(re.find(s).map_or("", |m| m.as_str()).into())
}

/// `Regexp.Split`.
fn split(re: &Regex, a: &Args<'_>) -> FuncResult {
    let (s, n) = (a.string(1)?, a.int(2)?);
    if n == 0 {
        return Ok(typed::strings([]));
    }
    if !re.as_str().is_empty() && s.is_empty() {
        return Ok(typed::strings([String::new()]));
    }
    let mut parts = Vec::new();
    let (mut begin, mut end) = (0, 0);
    for (start, stop) in match_ranges(re, s, n) {
        if n > 0 && parts.len() as i64 == n - 1 {
            break;
        }
        end = start;
        if stop != 0 {
            parts.push(s[begin..end].to_owned());
        }
        begin = stop;
    }
    if end != s.len() {
        parts.push(s[begin..].to_owned());
    }
    Ok(typed::strings(parts))
}

/// `ReplaceAllString` (with `$1`, `${name}` expansion) or `ReplaceAllLiteralString`.
fn replace_all(re: &Regex, a: &Args<'_>, literal: bool) -> FuncResult {
    let (src, repl) = (a.string(1)?, a.string(2)?);
    let mut out = String::with_capacity(src.len());
    let mut last_end = 0;
    let mut search = 0;
    while search <= src.len() {
        let Some(caps) = re.captures_at(src, search) else {
            break;
        };
        let whole = caps
            .get(0)
            .map_or((search, search), |m| (m.start(), m.end()));
        out.push_str(&src[last_end..whole.0]);
        if whole.1 > last_end || whole.0 == 0 {
            if literal {
                out.push_str(repl);
            } else {
                expand(re, &caps, repl, &mut out);
            }
        }
        last_end = whole.1;
        let width = src[search..].chars().next().map_or(0, char::len_utf8);
        if search + width > whole.1 {
            search += width;
        } else if search + 1 > whole.1 {
            search += 1;
        } else {
            search = whole.1;
        }
        if out.len() > super::MAX_OUTPUT {
            return Err(super::too_large("regexReplaceAll", out.len() as u64));
        }
    }
    out.push_str(&src[last_end.min(src.len())..]);
    Ok(Value::from(out))
}

/// Go's `Regexp.expand`: `$name` (the longest run of letters, digits and `_`) or `${name}`
/// is the group of that number or name, empty if there is none; `$$` is `$`; any other `$`
/// stays as it is.
fn expand(re: &Regex, caps: &regex::Captures<'_>, template: &str, out: &mut String) {
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(tail) = rest.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let (name, tail) = if let Some(braced) = rest.strip_prefix('{') {
            match braced.find('}') {
                Some(end)
                    if end > 0
                        && braced[..end]
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_') =>
                {
                    (&braced[..end], &braced[end + 1..])
                }
                _ => {
                    out.push('$');
                    continue;
                }
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                out.push('$');
                continue;
            }
            (&rest[..end], &rest[end..])
        };
        rest = tail;
        let group = match name.parse::<usize>() {
            Ok(index) => caps.get(index),
            Err(_) => re
                .capture_names()
                .position(|n| n == Some(name))
                .and_then(|index| caps.get(index)),
        };
        if let Some(m) = group {
            out.push_str(m.as_str());
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;

    fn call(name: &str, args: &[Value]) -> FuncResult {
        let def = FUNCS.iter().find(|d| d.name == name).expect(name);
        (def.func)(&Args::new(args, &FixedEnv))
    }

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    #[test]
    fn go_syntax_is_translated() {
        // \d and \w are ASCII in Go; a `[` in a class is a literal; \Q..\E quotes.
        assert_eq!(
            call("regexMatch", &[s(r"^\d+$"), s("١٢")]),
            Ok(false.into())
        );
        assert_eq!(call("regexMatch", &[s(r"^\w+$"), s("é")]), Ok(false.into()));
        assert_eq!(
            call("regexMatch", &[s(r"^[[a]+$"), s("[a[")]),
            Ok(true.into())
        );
        assert_eq!(
            call("regexMatch", &[s(r"^\Q a.b\E$"), s(" a.b")]),
            Ok(true.into())
        );
        assert_eq!(call("regexMatch", &[s(r"^\101$"), s("A")]), Ok(true.into()));
        assert_eq!(
            call("regexMatch", &[s(r"^[a&&b]+$"), s("a&b")]),
            Ok(true.into())
        );
        assert_eq!(
            call("regexMatch", &[s(r"\bfoo\b"), s("a foo b")]),
            Ok(true.into())
        );
        assert_eq!(
            call("regexMatch", &[s("(unclosed"), s("x")]),
            Ok(false.into())
        );
        assert_eq!(
            call("mustRegexMatch", &[s("(unclosed"), s("x")]),
            Err(FuncError::msg(
                "error parsing regexp: missing closing ): `(unclosed`"
            ))
        );
    }

    #[test]
    fn find_all_and_replace_follow_go_loops() {
        let all = |re: &str, text: &str, n: i64| {
            call("regexFindAll", &[s(re), s(text), Value::Int(n)])
                .unwrap()
                .to_string()
        };
        assert_eq!(all("a*", "baaac", -1), "[ aaa ]");
        assert_eq!(all("[0-9]", "a1b2c3", 2), "[1 2]");
        assert_eq!(all("x*", "", -1), "[]");
        let replace = |re: &str, text: &str, repl: &str| {
            call("regexReplaceAll", &[s(re), s(text), s(repl)])
                .unwrap()
                .to_string()
        };
        assert_eq!(replace("a*", "baaac", "-"), "-b-c-");
        assert_eq!(replace("(?P<x>[a-z])([0-9])", "a1 b2", "${2}$x"), "1a 2b");
        assert_eq!(replace("([a-z])", "ab", "$1x"), "");
        assert_eq!(replace("b", "abc", "$$"), "a$c");
        let split = |re: &str, text: &str, n: i64| {
            call("regexSplit", &[s(re), s(text), Value::Int(n)])
                .unwrap()
                .to_string()
        };
        assert_eq!(split("z+", "pizza", -1), "[pi a]");
        assert_eq!(split("z+", "pizza", 1), "[pizza]");
        assert_eq!(split("", "abc", -1), "[a b c]");
        assert_eq!(split("a", "", -1), "[]");
    }
}
