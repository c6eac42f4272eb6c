//! Sprig's string functions: case, trimming, quoting, splitting and joining, wrapping,
//! indenting. Where Sprig (or the Go library under it) works on bytes rather than characters
//! (`trunc`, `substr`, `abbrev`, `wrap`, `initials`, `nospace`), so do these; a cut through a
//! multi-byte character, which Go leaves as invalid UTF-8, becomes U+FFFD here.

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Map, Value};

use super::conv::strval;
use super::random;
use super::typed::{self, StringMap, slice_items};
use super::{MAX_OUTPUT, def, too_large};

use Param::{Any, Int, String as Str};

pub(super) const FUNCS: &[FuncDef] = &[
    def("hello", Sig::fixed(&[]), |_| Ok("Hello!".into())),
    def("abbrev", Sig::fixed(&[Int, Str]), abbrev),
    def("abbrevboth", Sig::fixed(&[Int, Int, Str]), abbrevboth),
    def("trunc", Sig::fixed(&[Int, Str]), trunc),
    def("trim", Sig::fixed(&[Str]), |a| {
        Ok(a.string(0)?.trim_matches(char::is_whitespace).into())
    }),
    def("upper", Sig::fixed(&[Str]), |a| {
        Ok(to_upper(a.string(0)?).into())
    }),
    def("lower", Sig::fixed(&[Str]), |a| {
        Ok(to_lower(a.string(0)?).into())
    }),
    def("title", Sig::fixed(&[Str]), |a| {
        Ok(title(a.string(0)?).into())
    }),
    def("untitle", Sig::fixed(&[Str]), |a| {
        Ok(untitle(a.string(0)?).into())
    }),
    def("substr", Sig::fixed(&[Int, Int, Str]), substr),
    def("repeat", Sig::fixed(&[Int, Str]), repeat),
    def("trimall", Sig::fixed(&[Str, Str]), trim_all),
    def("trimAll", Sig::fixed(&[Str, Str]), trim_all),
    def("trimSuffix", Sig::fixed(&[Str, Str]), |a| {
        let (suffix, s) = (a.string(0)?, a.string(1)?);
        Ok(s.strip_suffix(suffix).unwrap_or(s).into())
    }),
    def("trimPrefix", Sig::fixed(&[Str, Str]), |a| {
        let (prefix, s) = (a.string(0)?, a.string(1)?);
        Ok(s.strip_prefix(prefix).unwrap_or(s).into())
    }),
    def("nospace", Sig::fixed(&[Str]), |a| {
        Ok(nospace(a.string(0)?).into())
    }),
    def("initials", Sig::fixed(&[Str]), |a| {
        Ok(initials(a.string(0)?).into())
    }),
    def("swapcase", Sig::fixed(&[Str]), |a| {
        Ok(swapcase(a.string(0)?).into())
    }),
    def("shuffle", Sig::fixed(&[Str]), shuffle),
    def("snakecase", Sig::fixed(&[Str]), |a| {
        Ok(camel_to_lower(a.string(0)?, '_').into())
    }),
    def("camelcase", Sig::fixed(&[Str]), |a| {
        Ok(pascal_case(a.string(0)?).into())
    }),
    def("kebabcase", Sig::fixed(&[Str]), |a| {
        Ok(camel_to_lower(a.string(0)?, '-').into())
    }),
    def("wrap", Sig::fixed(&[Int, Str]), |a| {
        Ok(wrap(a.string(1)?, a.int(0)?, "", false).into())
    }),
    def("wrapWith", Sig::fixed(&[Int, Str, Str]), |a| {
        Ok(wrap(a.string(2)?, a.int(0)?, a.string(1)?, true).into())
    }),
    def("contains", Sig::fixed(&[Str, Str]), |a| {
        Ok(a.string(1)?.contains(a.string(0)?).into())
    }),
    def("hasPrefix", Sig::fixed(&[Str, Str]), |a| {
        Ok(a.string(1)?.starts_with(a.string(0)?).into())
    }),
    def("hasSuffix", Sig::fixed(&[Str, Str]), |a| {
        Ok(a.string(1)?.ends_with(a.string(0)?).into())
    }),
    def("quote", Sig::variadic(&[], Any), quote),
    def("squote", Sig::variadic(&[], Any), squote),
    def("cat", Sig::variadic(&[], Any), cat),
    def("indent", Sig::fixed(&[Int, Str]), |a| {
        Ok(indent(a.int(0)?, a.string(1)?)?.into())
    }),
    def("nindent", Sig::fixed(&[Int, Str]), |a| {
        Ok(format!("\n{}", indent(a.int(0)?, a.string(1)?)?).into())
    }),
    def("replace", Sig::fixed(&[Str, Str, Str]), replace),
    def("plural", Sig::fixed(&[Str, Str, Int]), |a| {
        Ok(if a.int(2)? == 1 { a.get(0) } else { a.get(1) }.clone())
    }),
    def("toString", Sig::fixed(&[Any]), |a| {
        Ok(strval(a.get(0)).into())
    }),
    def("toStrings", Sig::fixed(&[Any]), |a| {
        Ok(typed::strings(strslice(a.get(0))))
    }),
    def("split", Sig::fixed(&[Str, Str]), |a| {
        Ok(numbered(go_split(a.string(1)?, a.string(0)?, -1)))
    }),
    def("splitList", Sig::fixed(&[Str, Str]), |a| {
        Ok(typed::strings(
            go_split(a.string(1)?, a.string(0)?, -1)
                .into_iter()
                .map(str::to_owned),
        ))
    }),
    def("splitn", Sig::fixed(&[Str, Int, Str]), |a| {
        Ok(numbered(go_split(a.string(2)?, a.string(0)?, a.int(1)?)))
    }),
    def("join", Sig::fixed(&[Str, Any]), |a| {
        Ok(strslice(a.get(1)).join(a.string(0)?).into())
    }),
    def("sortAlpha", Sig::fixed(&[Any]), sort_alpha),
];

/// Go's `unicode.ToUpper` rune by rune (a simple mapping: `ß` stays, where Rust's full
/// mapping would give `SS`).
pub(super) fn to_upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars().map(upper_rune).collect()
}

pub(super) fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(lower_rune).collect()
}

fn upper_rune(c: char) -> char {
    let mut mapped = c.to_uppercase();
    match (mapped.next(), mapped.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn lower_rune(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    let mut mapped = c.to_lowercase();
    match (mapped.next(), mapped.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// `unicode.ToTitle`: upper case, except the digraphs that have a title form of their own.
fn title_rune(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        _ => upper_rune(c),
    }
}

/// `strings.Title`: the first letter of each word in title case; a word starts after a
/// separator (anything but a letter, digit or `_`, and for non-ASCII only spaces).
fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_title_separator(prev) {
                title_rune(c)
            } else {
                c
            };
            prev = c;
            out
        })
        .collect()
}

fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

/// goutils' `Uncapitalize`: the first letter of each whitespace-separated word in lower case.
fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if c.is_whitespace() {
                next = true;
                c
            } else if next {
                next = false;
                lower_rune(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`: upper and title case to lower; lower case to title case at the start
/// of a word, to upper case elsewhere.
fn swapcase(s: &str) -> String {
    let mut at_word_start = true;
    s.chars()
        .map(|c| {
            if c.is_uppercase() || is_titlecase(c) {
                at_word_start = false;
                lower_rune(c)
            } else if c.is_lowercase() {
                let out = if at_word_start {
                    title_rune(c)
                } else {
                    upper_rune(c)
                };
                at_word_start = false;
                out
            } else {
                at_word_start = c.is_whitespace();
                c
            }
        })
        .collect()
}

fn is_titlecase(c: char) -> bool {
    matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ')
        || ('\u{1f88}'..='\u{1faf}').contains(&c) && {
            // The Greek letters with prosgegrammeni in these blocks: every 8..=15 of a 16-block.
            (c as u32) & 0x8 != 0
        }
        || matches!(c, '\u{1fbc}' | '\u{1fcc}' | '\u{1ffc}')
}

/// Bytes as Go slices them: a cut through a character cannot stay invalid UTF-8 in a Rust
/// string, so its pieces become U+FFFD.
fn byte_slice(s: &str, start: usize, end: usize) -> String {
    match s.get(start..end) {
        Some(piece) => piece.to_owned(),
        None => String::from_utf8_lossy(&s.as_bytes()[start..end]).into_owned(),
    }
}

fn trunc(a: &Args<'_>) -> FuncResult {
    let (count, s) = (a.int(0)?, a.string(1)?);
    let len = s.len() as i64;
    let out = if count < 0 && len + count > 0 {
        byte_slice(s, (len + count) as usize, s.len())
    } else if count >= 0 && len > count {
        byte_slice(s, 0, count as usize)
    } else {
        s.to_owned()
    };
    Ok(out.into())
}

fn abbrev(a: &Args<'_>) -> FuncResult {
    let (width, s) = (a.int(0)?, a.string(1)?);
    if width < 4 {
        return Ok(s.into());
    }
    Ok(abbreviate(s, 0, width).into())
}

fn abbrevboth(a: &Args<'_>) -> FuncResult {
    let (left, right, s) = (a.int(0)?, a.int(1)?, a.string(2)?);
    if right < 4 || left > 0 && right < 7 {
        return Ok(s.into());
    }
    Ok(abbreviate(s, left, right).into())
}

/// goutils' `AbbreviateFull` (Apache Commons' `abbreviate`), in bytes, for widths Sprig has
/// already checked.
fn abbreviate(s: &str, offset: i64, width: i64) -> String {
    // Go's int arithmetic wraps; so does this, on absurd offsets.
    let len = s.len() as i64;
    if s.is_empty() || len <= width {
        return s.to_owned();
    }
    let mut offset = offset.min(len);
    if len.wrapping_sub(offset) < width - 3 {
        offset = len - (width - 3);
    }
    if offset <= 4 {
        return byte_slice(s, 0, (width - 3) as usize) + "...";
    }
    if width < 7 {
        // goutils returns an error here, which Sprig turns into "".
        return String::new();
    }
    if offset.wrapping_add(width - 3) < len {
        let rest = byte_slice(s, offset as usize, s.len());
        return format!("...{}", abbreviate(&rest, 0, width - 3));
    }
    format!(
        "...{}",
        byte_slice(s, (len - (width - 3)) as usize, s.len())
    )
}

/// Sprig's `substring`: `s[:end]` when start < 0, `s[start:]` when end < 0 or past the end,
/// else `s[start:end]`, with Go's panic for bounds that do not fit.
fn substr(a: &Args<'_>) -> FuncResult {
    let (start, end, s) = (a.int(0)?, a.int(1)?, a.string(2)?);
    let len = s.len() as i64;
    let out_of_range = |text: String| FuncError::msg(format!("runtime error: {text}"));
    if start < 0 {
        if end < 0 {
            return Err(out_of_range(format!("slice bounds out of range [:{end}]")));
        }
        if end > len {
            return Err(out_of_range(format!(
                "slice bounds out of range [:{end}] with length {len}"
            )));
        }
        return Ok(byte_slice(s, 0, end as usize).into());
    }
    if end < 0 || end > len {
        if start > len {
            return Err(out_of_range(format!(
                "slice bounds out of range [{start}:{len}]"
            )));
        }
        return Ok(byte_slice(s, start as usize, s.len()).into());
    }
    if start > end {
        return Err(out_of_range(format!(
            "slice bounds out of range [{start}:{end}]"
        )));
    }
    Ok(byte_slice(s, start as usize, end as usize).into())
}

/// `strings.Repeat`, with Go's panic for a negative count and a bound on the size.
pub(super) fn repeat_str(s: &str, count: i64) -> Result<String, FuncError> {
    if count < 0 {
        return Err(FuncError::msg("strings: negative Repeat count"));
    }
    let size = (s.len() as u64).saturating_mul(count as u64);
    if size > MAX_OUTPUT as u64 {
        return Err(too_large("repeat", size));
    }
    Ok(s.repeat(count as usize))
}

fn repeat(a: &Args<'_>) -> FuncResult {
    Ok(repeat_str(a.string(1)?, a.int(0)?)?.into())
}

fn trim_all(a: &Args<'_>) -> FuncResult {
    let (cutset, s) = (a.string(0)?, a.string(1)?);
    Ok(s.trim_matches(|c| cutset.contains(c)).into())
}

/// goutils' `DeleteWhiteSpace`, which reads the string byte by byte as Latin-1: unchanged
/// when nothing is removed, else every remaining byte re-encoded as its own character (so
/// non-ASCII text comes out garbled exactly as it does in Helm).
fn nospace(s: &str) -> String {
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0);
    if !s.bytes().any(is_space) {
        return s.to_owned();
    }
    s.bytes()
        .filter(|&b| !is_space(b))
        .map(char::from)
        .collect()
}

/// goutils' `Initials`, byte by byte as Latin-1 like [`nospace`].
fn initials(s: &str) -> String {
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0);
    let mut out = String::new();
    let mut gap = true;
    for b in s.bytes() {
        if is_space(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    out
}

/// xstrings' `Shuffle`: a Fisher-Yates shuffle of the characters.
fn shuffle(a: &Args<'_>) -> FuncResult {
    let mut chars: Vec<char> = a.string(0)?.chars().collect();
    for i in (1..chars.len()).rev() {
        let j = random::intn(a.env, i as u64 + 1) as usize;
        chars.swap(i, j);
    }
    Ok(chars.into_iter().collect::<String>().into())
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// xstrings' `ToPascalCase` (Sprig's `camelcase`): words separated by `-`, `_` or spaces,
/// each starting upper case; within a word, an upper-case run after the first letter is
/// lowered (`GOLANG_IS_GREAT` gives `GolangIsGreat`); repeated connectors keep all but one.
fn pascal_case(s: &str) -> String {
    let mut chars = s.chars();
    let mut out = String::with_capacity(s.len());
    let mut first_upper = false;
    let mut r0 = '\0';
    let mut found = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = c.is_uppercase();
            r0 = upper_rune(c);
            found = true;
            break;
        }
        out.push(c);
    }
    if !found {
        return out;
    }
    let rest = chars.as_str();
    if rest.is_empty() {
        out.push(r0);
        return out;
    }
    for c in rest.chars() {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = r0.is_uppercase();
            r0 = upper_rune(r0);
        } else {
            if first_upper {
                if r0.is_uppercase() {
                    r0 = lower_rune(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `isAlphabet`: a letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(c, '\u{4E00}'..='\u{9FCC}' | '\u{3400}'..='\u{4D85}' | '\u{20000}'..='\u{2B81D}')
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~')
        || (!c.is_ascii()
            && !c.is_alphanumeric()
            && !c.is_whitespace()
            && !c.is_control()
            && is_unicode_punct(c))
}

/// Unicode punctuation (category P) outside ASCII, for the blocks charts meet.
fn is_unicode_punct(c: char) -> bool {
    matches!(c as u32,
        0xA1 | 0xA7 | 0xAB | 0xB6 | 0xB7 | 0xBB | 0xBF
        | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205E
        | 0x3001..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301F | 0xFF01..=0xFF03
        | 0xFF05..=0xFF0A | 0xFF0C..=0xFF0F | 0xFF1A | 0xFF1B | 0xFF1F | 0xFF20)
}

/// xstrings' `nextWord`: the type and byte length of the word at the start of `s`.
fn next_word(s: &str) -> (Word, usize) {
    let mut chars = s.char_indices().peekable();
    let Some((_, first)) = chars.next() else {
        return (Word::Invalid, 0);
    };
    let end_of = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
                  keep: &dyn Fn(char) -> bool| {
        while let Some(&(_, c)) = chars.peek() {
            if !keep(c) {
                break;
            }
            chars.next();
        }
        chars.peek().map_or(s.len(), |&(i, _)| i)
    };
    if is_connector(first) {
        return (Word::Connector, end_of(&mut chars, &is_connector));
    }
    if is_punct(first) {
        return (Word::Punct, end_of(&mut chars, &is_punct));
    }
    if first.is_uppercase() {
        let Some(&(second_at, second)) = chars.peek() else {
            return (Word::Upper, s.len());
        };
        if second.is_uppercase() {
            // "HTTPServer" reads as "HTTP" then "Server": the last capital of a run that a
            // lower-case letter follows starts the next word.
            let mut last_at = second_at;
            chars.next();
            while let Some(&(i, c)) = chars.peek() {
                if !c.is_uppercase() {
                    break;
                }
                last_at = i;
                chars.next();
            }
            return match chars.peek() {
                Some(&(_, c)) if is_alphabet(c) => (Word::Upper, last_at),
                Some(&(i, _)) => (Word::Upper, i),
                None => (Word::Upper, s.len()),
            };
        }
        if is_alphabet(second) {
            chars.next();
            return (
                Word::Upper,
                end_of(&mut chars, &|c| is_alphabet(c) && !c.is_uppercase()),
            );
        }
        return (Word::Upper, second_at);
    }
    if is_alphabet(first) {
        return (
            Word::Alphabet,
            end_of(&mut chars, &|c| is_alphabet(c) && !c.is_uppercase()),
        );
    }
    if first.is_numeric() {
        return (Word::Number, end_of(&mut chars, &char::is_numeric));
    }
    (
        Word::Other,
        end_of(&mut chars, &|c| {
            !(is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c))
        }),
    )
}

fn push_lower(out: &mut String, word: Word, text: &str, connector: char) {
    if word != Word::Upper && word != Word::Connector {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if is_connector(c) {
            out.push(connector);
        } else {
            out.push(lower_rune(c));
        }
    }
}

/// xstrings' `ToSnakeCase` and `ToKebabCase`: words split at case changes and connectors,
/// lowered, joined with `connector`; numbers stick to the word before them unless lower-case
/// letters follow (`Bld4Floor3rd` gives `bld4_floor_3rd`).
fn camel_to_lower(s: &str, connector: char) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len() + 4);
    let mut rest = s;
    fn take<'s>(rest: &mut &'s str) -> (Word, &'s str) {
        let (word, len) = next_word(rest);
        let (text, tail) = rest.split_at(len);
        *rest = tail;
        (word, text)
    }
    let (mut wt, mut word) = take(&mut rest);
    while !rest.is_empty() {
        if wt != Word::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word) = take(&mut rest);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word) = take(&mut rest);
                }
                if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let number = word;
                (wt, word) = take(&mut rest);
                if wt != Word::Alphabet {
                    push_lower(&mut out, Word::Number, number, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, Word::Number, number, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word) = take(&mut rest);
                }
                if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

/// goutils' `WrapCustom`, in bytes: break at the last space before `width`; a longer word is
/// cut (`wrap_long`) or kept whole up to the next space.
fn wrap(s: &str, width: i64, newline: &str, wrap_long: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let bytes = s.as_bytes();
    let len = bytes.len();
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / width.max(1) * newline.len());
    while len - offset > width {
        if bytes[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        let space = bytes[offset..end].iter().rposition(|&b| b == b' ');
        match space {
            Some(at) => {
                let at = at + offset;
                out.extend_from_slice(&bytes[offset..at]);
                out.extend_from_slice(newline.as_bytes());
                offset = at + 1;
            }
            None if wrap_long => {
                let end = width + offset;
                out.extend_from_slice(&bytes[offset..end]);
                out.extend_from_slice(newline.as_bytes());
                offset += width;
            }
            None => {
                let end = width + offset;
                match bytes[end..].iter().position(|&b| b == b' ') {
                    None => {
                        out.extend_from_slice(&bytes[offset..]);
                        offset = len;
                    }
                    Some(at) => {
                        let at = at + end;
                        out.extend_from_slice(&bytes[offset..at]);
                        out.extend_from_slice(newline.as_bytes());
                        offset = at + 1;
                    }
                }
            }
        }
    }
    out.extend_from_slice(&bytes[offset..]);
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    }
}

/// Go's `%q` (`strconv.Quote`): printable characters as they are, the rest escaped.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    if s.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        // The common case: nothing to escape.
        out.push_str(s);
        out.push('"');
        return out;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            ' '..='~' => out.push(c),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint` for non-ASCII: letters, marks, numbers, punctuation and symbols.
/// Rust escapes exactly the other categories (controls, formats, separators, private use,
/// unassigned) in `escape_debug`, except that it also escapes a combining mark at the start
/// of a string, which the leading `a` avoids.
fn is_printable(c: char) -> bool {
    let mut probe = String::with_capacity(5);
    probe.push('a');
    probe.push(c);
    let escaped = probe.escape_debug().to_string();
    escaped.len() == probe.len()
}

fn quote(a: &Args<'_>) -> FuncResult {
    let mut out = String::new();
    for value in a.rest(0).iter().filter(|v| !v.is_nil()) {
        if !out.is_empty() {
            out.push(' ');
        }
        match value {
            Value::String(s) => out.push_str(&go_quote(s)),
            other => out.push_str(&go_quote(&strval(other))),
        }
    }
    Ok(out.into())
}

fn squote(a: &Args<'_>) -> FuncResult {
    let parts: Vec<String> = a
        .rest(0)
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| format!("'{v}'"))
        .collect();
    Ok(parts.join(" ").into())
}

fn cat(a: &Args<'_>) -> FuncResult {
    let parts: Vec<String> = a
        .rest(0)
        .iter()
        .filter(|v| !v.is_nil())
        .map(Value::to_string)
        .collect();
    Ok(parts.join(" ").into())
}

fn indent(spaces: i64, s: &str) -> Result<String, FuncError> {
    let pad = repeat_str(" ", spaces)?;
    let lines = count_byte(s.as_bytes(), b'\n') as u64;
    let size = (s.len() as u64).saturating_add(pad.len() as u64 * (lines + 1));
    if size > MAX_OUTPUT as u64 {
        return Err(too_large("indent", size));
    }
    let mut out = String::with_capacity(size as usize);
    out.push_str(&pad);
    let mut start = 0;
    for (at, _) in s.match_indices('\n') {
        out.push_str(&s[start..=at]);
        out.push_str(&pad);
        start = at + 1;
    }
    out.push_str(&s[start..]);
    Ok(out)
}

fn count_byte(bytes: &[u8], needle: u8) -> usize {
    bytes.iter().filter(|&&b| b == needle).count()
}

fn replace(a: &Args<'_>) -> FuncResult {
    let (old, new, src) = (a.string(0)?, a.string(1)?, a.string(2)?);
    if old.is_empty() {
        let size = (src.len() as u64)
            .saturating_add((src.chars().count() as u64 + 1).saturating_mul(new.len() as u64));
        if size > MAX_OUTPUT as u64 {
            return Err(too_large("replace", size));
        }
    }
    Ok(src.replace(old, new).into())
}

/// `strings.SplitN(s, sep, n)`: n < 0 for all parts, 0 for none; an empty separator splits
/// into characters.
pub(super) fn go_split<'s>(s: &'s str, sep: &str, n: i64) -> Vec<&'s str> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if parts.len() + 1 == limit {
                parts.push(rest);
                return parts;
            }
            let len = rest.chars().next().map_or(1, char::len_utf8);
            let (head, tail) = rest.split_at(len);
            parts.push(head);
            rest = tail;
        }
        return parts;
    }
    s.splitn(limit, sep).collect()
}

/// Sprig's `split`/`splitn` result: `map[string]string` keyed `_0`, `_1`, ...
fn numbered(parts: Vec<&str>) -> Value {
    let map: Map = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| (format!("_{i}"), Value::from(part)))
        .collect();
    StringMap::value(map)
}

/// Sprig's `strslice`: a slice's non-nil elements as strings; nil is no strings; any other
/// value is one string.
pub(super) fn strslice(value: &Value) -> Vec<String> {
    match slice_items(value) {
        Some(items) => items.iter().filter(|v| !v.is_nil()).map(strval).collect(),
        None if value.is_nil() => Vec::new(),
        None => vec![strval(value)],
    }
}

fn sort_alpha(a: &Args<'_>) -> FuncResult {
    let value = a.get(0);
    let mut items = match slice_items(value) {
        Some(_) => strslice(value),
        None => vec![strval(value)],
    };
    items.sort_unstable();
    Ok(typed::strings(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions_follow_xstrings() {
        // Expected values from xstrings' documented samples, and Helm (see sprig::tests).
        let snake = [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
            ("", ""),
        ];
        for (input, expected) in snake {
            assert_eq!(camel_to_lower(input, '_'), expected, "{input}");
        }
        assert_eq!(camel_to_lower("FirstName", '-'), "first-name");
        let pascal = [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("some words", "SomeWords"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("a", "A"),
            ("", ""),
            ("__", "__"),
        ];
        for (input, expected) in pascal {
            assert_eq!(pascal_case(input), expected, "{input}");
        }
    }

    #[test]
    fn quote_escapes_as_go() {
        let cases = [
            ("a\"b", r#""a\"b""#),
            ("tab\there", r#""tab\there""#),
            ("\u{1}", r#""\x01""#),
            ("é", "\"é\""),
            ("\u{a0}", r#""\u00a0""#),
            ("\u{200b}", r#""\u200b""#),
            ("\u{301}", "\"\u{301}\""),
            ("\u{10ffff}", r#""\U0010ffff""#),
        ];
        for (input, expected) in cases {
            assert_eq!(go_quote(input), expected, "{input:?}");
        }
    }

    #[test]
    fn split_follows_go() {
        assert_eq!(go_split("a,b,c", ",", -1), ["a", "b", "c"]);
        assert_eq!(go_split("a,b,c", ",", 2), ["a", "b,c"]);
        assert_eq!(go_split("abc", "", -1), ["a", "b", "c"]);
        assert_eq!(go_split("abc", "", 2), ["a", "bc"]);
        assert_eq!(go_split("", ",", -1), [""]);
        assert!(go_split("a,b", ",", 0).is_empty());
    }
}
