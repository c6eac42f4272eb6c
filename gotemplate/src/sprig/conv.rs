//! Conversions every Sprig function shares: `spf13/cast` (`toInt64`, `toFloat64`, which
//! Sprig's arithmetic goes through), Go's `strconv` number syntax, Sprig's `strval` (how a
//! value becomes a string) and `empty` (Go's emptiness).

use crate::value::Value;

/// `strval`: a string as is, `[]byte` as text, a value with a `String` method through it, any
/// other value as `%v` prints it.
pub fn strval(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string(),
        Value::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => other.to_string(),
    }
}

/// `cast.ToInt64` (and `cast.ToInt`, the same on 64-bit Go): integers as they are, floats
/// truncated, strings parsed as Go integer literals (`0x1f`, `0o17`, `1_000`, a trailing
/// `.0` dropped), booleans as 1 and 0; anything else, or a string that does not parse, is 0.
pub fn to_int64(value: &Value) -> i64 {
    match value {
        Value::Int(n) | Value::Int64(n) => *n,
        Value::Float(x) => float_to_int(*x),
        Value::String(s) => parse_int(trim_zero_decimal(s), 0).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        Value::Object(o) if matches!(o.type_name(), "time.Month" | "time.Weekday") => {
            o.data().as_i64().unwrap_or(0)
        }
        _ => 0,
    }
}

/// `cast.ToFloat64`: numbers as they are, strings parsed as Go floats, booleans as 1 and 0;
/// anything else is 0.
pub fn to_float64(value: &Value) -> f64 {
    match value {
        Value::Int(n) | Value::Int64(n) => *n as f64,
        Value::Float(x) => *x,
        Value::String(s) => parse_float(s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Object(o) if matches!(o.type_name(), "time.Month" | "time.Weekday") => {
            o.data().as_i64().unwrap_or(0) as f64
        }
        _ => 0.0,
    }
}

/// Go's `int64(x)` for a float64 on amd64: truncation, and the "integer indefinite" value
/// (the smallest int64) for NaN and anything out of range.
pub fn float_to_int(x: f64) -> i64 {
    if x.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// cast's `trimZeroDecimal`: `"1.0"` and `"1.00"` become `"1"`; anything else is unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let mut found_zero = false;
    for (i, b) in s.bytes().enumerate().rev() {
        match b {
            b'.' if found_zero => return &s[..i],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Why Go's `strconv` refused a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumError {
    Syntax,
    /// Out of range; Go still returns the nearest representable value.
    Range(i64),
}

/// `strconv.ParseInt(s, base, 64)`. Base 0 reads Go's prefixes (`0x`, `0o`, `0b`, a leading
/// `0` for octal) and allows `_` between digits.
pub fn parse_int(s: &str, base: u32) -> Result<i64, NumError> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint(digits, base)?;
    const CUTOFF: u64 = 1 << 63;
    match (negative, magnitude) {
        (false, m) if m >= CUTOFF => Err(NumError::Range(i64::MAX)),
        (true, m) if m > CUTOFF => Err(NumError::Range(i64::MIN)),
        (true, m) => Ok((m as i64).wrapping_neg()),
        (false, m) => Ok(m as i64),
    }
}

/// `strconv.ParseUint(s, base, 64)` without the sign handling.
fn parse_uint(s: &str, base: u32) -> Result<u64, NumError> {
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let base0 = base == 0;
    let bytes = s.as_bytes();
    let (base, digits) = if base0 {
        if bytes[0] == b'0' {
            match bytes.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if bytes.len() >= 3 => (2, &bytes[2..]),
                Some(b'o') if bytes.len() >= 3 => (8, &bytes[2..]),
                Some(b'x') if bytes.len() >= 3 => (16, &bytes[2..]),
                _ => (8, &bytes[1..]),
            }
        } else {
            (10, bytes)
        }
    } else {
        (base, bytes)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    let mut overflow = false;
    for &c in digits {
        if c == b'_' && base0 {
            underscores = true;
            continue;
        }
        let d = match (c as char).to_digit(36) {
            Some(d) if d < base => d,
            _ => return Err(NumError::Syntax),
        };
        match n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
        {
            Some(next) => n = next,
            None => overflow = true,
        }
    }
    if underscores && !underscore_ok(s) {
        return Err(NumError::Syntax);
    }
    if overflow {
        return Err(NumError::Range(i64::MAX));
    }
    Ok(n)
}

/// Go's rule for `_` in number literals: only between digits, or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let mut bytes = s.as_bytes();
    if let Some(b'-' | b'+') = bytes.first() {
        bytes = &bytes[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if bytes.len() >= 2
        && bytes[0] == b'0'
        && matches!(bytes[1].to_ascii_lowercase(), b'b' | b'o' | b'x')
    {
        i = 2;
        saw = b'0';
        hex = bytes[1].eq_ignore_ascii_case(&b'x');
    }
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// `strconv.ParseFloat(s, 64)`: Go's decimal and hexadecimal float syntax, `inf`,
/// `infinity` and `nan` in any case, `_` between digits. Out of range is an error (Go
/// returns ±Inf with `ErrRange`).
pub fn parse_float(s: &str) -> Result<f64, NumError> {
    if let Some(x) = parse_special(s) {
        return Ok(x);
    }
    let bytes = s.as_bytes();
    let (sign, body) = match bytes.first() {
        Some(b'+') => (1.0, &s[1..]),
        Some(b'-') => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower = body.as_bytes();
    if lower.len() > 2 && lower[0] == b'0' && lower[1].eq_ignore_ascii_case(&b'x') {
        return parse_hex_float(&body[2..], s).map(|x| sign * x);
    }
    if body.contains('_') && !underscore_ok(s) {
        return Err(NumError::Syntax);
    }
    let cleaned: String = body.chars().filter(|&c| c != '_').collect();
    // Rust's grammar would also take "inf" and "nan" spellings Go handles above; anything
    // else it accepts is Go's decimal syntax: digits, an optional point, an exponent.
    if !cleaned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Err(NumError::Syntax);
    }
    match cleaned.parse::<f64>() {
        Ok(x) if x.is_infinite() => Err(NumError::Range(0)),
        Ok(x) => Ok(sign * x),
        Err(_) => Err(NumError::Syntax),
    }
}

fn parse_special(s: &str) -> Option<f64> {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1.0, &s[1..]),
        Some(b'-') => (-1.0, &s[1..]),
        _ => (0.0, s),
    };
    let lower = rest.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => Some(if sign < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" if sign == 0.0 => Some(f64::NAN),
        _ => None,
    }
}

/// A hexadecimal float after its `0x`: hex digits with an optional point, then a mandatory
/// `p` exponent (a power of two).
fn parse_hex_float(body: &str, whole: &str) -> Result<f64, NumError> {
    if body.contains('_') && !underscore_ok(whole) {
        return Err(NumError::Syntax);
    }
    let body: String = body.chars().filter(|&c| c != '_').collect();
    let (mantissa, exponent) = body.split_once(['p', 'P']).ok_or(NumError::Syntax)?;
    let exponent: i32 = match exponent.strip_prefix('+') {
        Some(e) => e.parse(),
        None => exponent.parse(),
    }
    .map_err(|_| NumError::Syntax)?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(NumError::Syntax);
    }
    let mut value = 0.0f64;
    for c in int.chars().chain(frac.chars()) {
        let d = c.to_digit(16).ok_or(NumError::Syntax)?;
        value = value * 16.0 + f64::from(d);
    }
    let shift = exponent.saturating_sub(4 * frac.len() as i32);
    let x = value * 2f64.powi(shift);
    if x.is_infinite() {
        return Err(NumError::Range(0));
    }
    Ok(x)
}

/// Sprig's `empty`: Go's zero values (nil, `false`, 0, empty strings, slices and maps); a
/// struct is never empty, nor a non-nil pointer.
pub fn empty(value: &Value) -> bool {
    match value {
        Value::Object(object) => match object.kind() {
            "struct" | "ptr" | "func" | "chan" | "interface" => false,
            _ => empty(&object.data()),
        },
        other => other.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_reads_go_literals() {
        // strconv.ParseInt(s, 0, 64) in Go.
        let cases: &[(&str, Result<i64, NumError>)] = &[
            ("42", Ok(42)),
            ("-42", Ok(-42)),
            ("+7", Ok(7)),
            ("0x1F", Ok(31)),
            ("0X1f", Ok(31)),
            ("0o17", Ok(15)),
            ("017", Ok(15)),
            ("0b101", Ok(5)),
            ("0", Ok(0)),
            ("1_000", Ok(1000)),
            ("0x_1f", Ok(31)),
            ("_1", Err(NumError::Syntax)),
            ("1__0", Err(NumError::Syntax)),
            ("1_", Err(NumError::Syntax)),
            ("08", Err(NumError::Syntax)),
            ("0x", Err(NumError::Syntax)),
            ("", Err(NumError::Syntax)),
            ("1.5", Err(NumError::Syntax)),
            (" 1", Err(NumError::Syntax)),
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("9223372036854775808", Err(NumError::Range(i64::MAX))),
            ("-9223372036854775809", Err(NumError::Range(i64::MIN))),
        ];
        for (s, expected) in cases {
            assert_eq!(parse_int(s, 0), *expected, "{s:?}");
        }
        assert_eq!(parse_int("1_0", 10), Err(NumError::Syntax));
        assert_eq!(parse_int("755", 8), Ok(493));
    }

    #[test]
    fn parse_float_reads_go_literals() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1.5", Some(1.5)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("-2e3", Some(-2000.0)),
            ("1_000.5", Some(1000.5)),
            ("0x1p-2", Some(0.25)),
            ("0x1.8p1", Some(3.0)),
            ("Inf", Some(f64::INFINITY)),
            ("-infinity", Some(f64::NEG_INFINITY)),
            ("1e400", None),
            ("abc", None),
            ("", None),
            ("1.5x", None),
            ("0x1", None),
            (" 1", None),
        ];
        for (s, expected) in cases {
            assert_eq!(parse_float(s).ok(), *expected, "{s:?}");
        }
        assert!(parse_float("NaN").is_ok_and(f64::is_nan));
        assert!(parse_float("+nan").is_err());
    }

    #[test]
    fn cast_conversions() {
        // cast.ToInt64 / cast.ToFloat64 as Sprig's int64, add and float64 use them.
        let ints: &[(Value, i64)] = &[
            (Value::Int(3), 3),
            (Value::Float(2.9), 2),
            (Value::Float(-2.9), -2),
            (Value::Float(1e300), i64::MIN),
            (Value::from("12"), 12),
            (Value::from("12.0"), 12),
            (Value::from("12.5"), 0),
            (Value::from("0x10"), 16),
            (Value::from("010"), 8),
            (Value::from("abc"), 0),
            (Value::Bool(true), 1),
            (Value::Nil, 0),
            (Value::list(vec![]), 0),
        ];
        for (value, expected) in ints {
            assert_eq!(to_int64(value), *expected, "{value:?}");
        }
        let floats: &[(Value, f64)] = &[
            (Value::Int(3), 3.0),
            (Value::from("2.5"), 2.5),
            (Value::from("x"), 0.0),
            (Value::Bool(true), 1.0),
            (Value::Nil, 0.0),
        ];
        for (value, expected) in floats {
            assert_eq!(to_float64(value), *expected, "{value:?}");
        }
    }
}
