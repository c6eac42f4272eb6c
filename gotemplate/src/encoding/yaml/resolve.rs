//! What a plain YAML scalar means to go-yaml (YAML 1.1 rules): `null`, a bool, an integer,
//! a float, a timestamp or a string. Both directions depend on it: the parser gives `yes`
//! and `0x1F` their values, and the emitters quote a string exactly when writing it plain
//! would read back as something else (`"yes"`, `"1.0"`, `"2024-01-01"`, `"12:30"`).

/// A plain scalar's meaning, as go-yaml v2's `resolve("", s)` decides it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    /// Fits Go's `int`/`int64`.
    Int(i64),
    /// Needs `uint64`.
    Uint(u64),
    Float(f64),
    /// A timestamp; decoded into `interface{}`, go-yaml v2 keeps the text.
    Timestamp,
    Str,
}

/// Resolves a plain scalar as go-yaml v2 does. go-yaml v3 differs only in the bools
/// (`yes`/`on` are strings there), which its encoder quotes anyway.
pub(crate) fn resolve(s: &str) -> Resolved {
    let Some(&first) = s.as_bytes().first() else {
        return Resolved::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            lookup(s).unwrap_or(Resolved::Str)
        }
        b'.' => lookup(s).unwrap_or_else(|| match parse_go_float(s) {
            Some(x) => Resolved::Float(x),
            None => Resolved::Str,
        }),
        b'+' | b'-' | b'0'..=b'9' => lookup(s).unwrap_or_else(|| resolve_number(s)),
        // go-yaml's table has no hint for other first characters, so even `<<` resolves
        // as a string; the decoder recognises merge keys by their text.
        _ => Resolved::Str,
    }
}

fn lookup(s: &str) -> Option<Resolved> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

fn resolve_number(s: &str) -> Resolved {
    if parse_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.chars().filter(|&c| c != '_').collect::<String>().into()
    } else {
        s.into()
    };
    let plain = plain.as_ref();
    if let Some(n) = parse_go_int(plain) {
        return Resolved::Int(n);
    }
    if let Some(n) = parse_go_uint(plain, 0) {
        return Resolved::Uint(n);
    }
    if is_yaml_style_float(plain)
        && let Some(x) = parse_decimal_float(plain)
    {
        return Resolved::Float(x);
    }
    if let Some(digits) = plain.strip_prefix("0b") {
        if let Some(n) = parse_go_uint(digits, 2) {
            return match i64::try_from(n) {
                Ok(n) => Resolved::Int(n),
                Err(_) => Resolved::Uint(n),
            };
        }
    } else if let Some(digits) = plain.strip_prefix("-0b")
        && let Some(n) = parse_go_uint(digits, 2)
        && n <= 1 << 63
    {
        return Resolved::Int((n as i64).wrapping_neg());
    }
    Resolved::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)` (without underscores, which the caller removed).
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let n = parse_go_uint(rest, 0)?;
    if negative {
        if n > 1 << 63 {
            None
        } else {
            Some((n as i64).wrapping_neg())
        }
    } else {
        i64::try_from(n).ok()
    }
}

/// Go's `strconv.ParseUint(s, base, 64)`; base 0 reads Go's prefixes (`0x`, `0o`, `0b`, and
/// a leading `0` for octal).
pub(crate) fn parse_go_uint(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits) = if base == 0 {
        if b[0] == b'0' {
            match b.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if b.len() >= 3 => (2, &s[2..]),
                Some(b'o') if b.len() >= 3 => (8, &s[2..]),
                Some(b'x') if b.len() >= 3 => (16, &s[2..]),
                _ => (8, &s[1..]),
            }
        } else {
            (10, s)
        }
    } else {
        (base, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(base)?;
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A decimal float as Go's `strconv.ParseFloat` reads it; out of range (`1e400`) is an
/// error in Go, not infinity.
fn parse_decimal_float(s: &str) -> Option<f64> {
    let x: f64 = s.parse().ok()?;
    x.is_finite().then_some(x)
}

/// Go's `strconv.ParseFloat(s, 64)` for a scalar that starts with `.`: decimal digits,
/// underscores only between digits, an optional exponent.
fn parse_go_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    // Underscores must sit between digits (Go's `underscoreOK`).
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let before = i.checked_sub(1).and_then(|j| b.get(j));
            let after = b.get(i + 1);
            if !before.is_some_and(u8::is_ascii_digit) || !after.is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if !is_yaml_style_float(&plain) {
        return None;
    }
    parse_decimal_float(&plain)
}

/// go-yaml's `isBase60Float`: YAML 1.1 sexagesimal numbers (`12:30`), which it no longer
/// reads as numbers but still quotes on output.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else {
        return false;
    };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = usize::from(c == b'+' || c == b'-');
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one or two digits, the first of two at most 5.
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(d1)) if d1.is_ascii_digit() => i += 2,
            (Some(d0), _) if d0.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Whether go-yaml reads `s` as a timestamp: `YYYY-M-D`, optionally followed by `T`/`t`/` `,
/// a time `h:m:s[.frac]` and (after `T`/`t`) a zone `Z` or `±hh:mm`, with Go's range checks
/// (`2024-02-30` is not a date).
pub(crate) fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = b[..4].iter().fold(0, |n, d| n * 10 + i64::from(d - b'0'));
    let mut i = 5;
    let Some(month) = go_num(b, &mut i) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = go_num(b, &mut i) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let Some(hour) = go_num(b, &mut i) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = go_num(b, &mut i) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = go_num(b, &mut i) else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    // Go's `.999999999`: a fraction is optional; any number of digits after the point.
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if zoned {
        match b.get(i) {
            Some(b'Z') => i += 1,
            Some(b'+' | b'-') => {
                // ±hh:mm
                let zone = &b[i..];
                if zone.len() < 6
                    || zone[3] != b':'
                    || !zone[1..3].iter().all(u8::is_ascii_digit)
                    || !zone[4..6].iter().all(u8::is_ascii_digit)
                {
                    return false;
                }
                let hh = i64::from(zone[1] - b'0') * 10 + i64::from(zone[2] - b'0');
                let mm = i64::from(zone[4] - b'0') * 10 + i64::from(zone[5] - b'0');
                if hh > 24 || mm > 60 {
                    return false;
                }
                i += 6;
            }
            _ => return false,
        }
    }
    i == b.len()
}

/// Go's `getnum(s, false)`: one or two digits.
fn go_num(b: &[u8], i: &mut usize) -> Option<i64> {
    let d0 = *b.get(*i)?;
    if !d0.is_ascii_digit() {
        return None;
    }
    *i += 1;
    let mut n = i64::from(d0 - b'0');
    if let Some(d1) = b.get(*i).filter(|d| d.is_ascii_digit()) {
        n = n * 10 + i64::from(d1 - b'0');
        *i += 1;
    }
    Some(n)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether the encoders may write `s` plain: it must read back as the same string
/// (go-yaml's `canUsePlain`). go-yaml v3 also quotes the YAML 1.1 bools, which v2 resolves
/// as bools anyway, so one rule serves both.
pub(crate) fn plain_reads_back(s: &str) -> bool {
    resolve(s) == Resolved::Str && !is_base60_float(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_plain_scalars_as_go_yaml_v2() {
        let cases: &[(&str, Resolved)] = &[
            ("", Resolved::Null),
            ("~", Resolved::Null),
            ("null", Resolved::Null),
            ("NULL", Resolved::Null),
            ("nULL", Resolved::Str),
            ("yes", Resolved::Bool(true)),
            ("Y", Resolved::Bool(true)),
            ("on", Resolved::Bool(true)),
            ("OFF", Resolved::Bool(false)),
            ("oFF", Resolved::Str),
            ("true", Resolved::Bool(true)),
            ("0x1F", Resolved::Int(31)),
            ("0X1f", Resolved::Int(31)),
            ("-0x1F", Resolved::Int(-31)),
            ("010", Resolved::Int(8)),
            ("0o17", Resolved::Int(15)),
            ("0b101", Resolved::Int(5)),
            ("-0b101", Resolved::Int(-5)),
            ("08", Resolved::Float(8.0)),
            ("0", Resolved::Int(0)),
            ("-0", Resolved::Int(0)),
            ("+5", Resolved::Int(5)),
            ("1_000", Resolved::Int(1000)),
            ("9223372036854775807", Resolved::Int(i64::MAX)),
            ("9223372036854775808", Resolved::Uint(1 << 63)),
            (
                "18446744073709551616",
                Resolved::Float(18446744073709551616.0),
            ),
            ("1e3", Resolved::Float(1000.0)),
            ("1.", Resolved::Float(1.0)),
            ("1.5", Resolved::Float(1.5)),
            ("+.5", Resolved::Float(0.5)),
            (".5", Resolved::Float(0.5)),
            (".5_5", Resolved::Float(0.55)),
            ("._5", Resolved::Str),
            ("1e400", Resolved::Str),
            (".inf", Resolved::Float(f64::INFINITY)),
            ("-.Inf", Resolved::Float(f64::NEG_INFINITY)),
            ("0x1p-2", Resolved::Str),
            ("1.2.3", Resolved::Str),
            ("-", Resolved::Str),
            ("12:30", Resolved::Str),
            ("2024-01-01", Resolved::Timestamp),
            ("2024-1-1", Resolved::Timestamp),
            ("2024-02-29", Resolved::Timestamp),
            ("2023-02-29", Resolved::Str),
            ("2024-13-01", Resolved::Str),
            ("2001-12-14t21:59:43.10-05:00", Resolved::Timestamp),
            ("2001-12-14T21:59:43Z", Resolved::Timestamp),
            ("2001-12-14 21:59:43.10", Resolved::Timestamp),
            ("2001-12-14 21:59:43.10 -5", Resolved::Str),
            ("2001-12-14T21:59:43", Resolved::Str),
            ("<<", Resolved::Str),
            ("abc", Resolved::Str),
        ];
        for (input, expected) in cases {
            let got = resolve(input);
            match (got, expected) {
                (Resolved::Float(a), Resolved::Float(b)) if a.is_nan() && b.is_nan() => {}
                _ => assert_eq!(got, *expected, "{input:?}"),
            }
        }
        assert!(matches!(resolve(".NaN"), Resolved::Float(x) if x.is_nan()));
    }

    #[test]
    fn base60_floats_are_recognised() {
        for yes in ["12:30", "1:2", "-1:20:30", "190:20:30.15", "1_0:59"] {
            assert!(is_base60_float(yes), "{yes}");
        }
        for no in ["12", "a:1", "1:60", "1:", ":1", "1:2:", "1:2x", "1:234"] {
            assert!(!is_base60_float(no), "{no}");
        }
    }
}
