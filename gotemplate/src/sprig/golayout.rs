//! Go's reference-time layouts (`"2006-01-02T15:04:05Z07:00"`): formatting and parsing with
//! `time.Format` and `time.Parse` rules, chunk for chunk, including their error messages.

use std::fmt::Write as _;

/// One element of a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm,
    PmLower,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// `.000`: exactly `n` digits, separator `.` or `,`.
    FracSecond0(usize, u8),
    /// `.999`: up to `n` digits, trailing zeros dropped.
    FracSecond9(usize, u8),
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn starts_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

/// `nextStdChunk`: the literal text before the first element, the element, and the rest.
pub(super) fn next_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| b.len() >= i + s.len() && &b[i..i + s.len()] == s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let found: Option<(Std, usize)> = match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    Some((Std::LongMonth, 7))
                } else if !starts_lower(&b[i + 3..]) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if at(i, "Mon") => {
                if at(i, "Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !starts_lower(&b[i + 3..]) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if at(i, "MST") => Some((Std::Tz, 3)),
            b'0' if b.len() >= i + 2 && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][usize::from(b[i + 1] - b'1')],
                2,
            )),
            b'0' if at(i, "002") => Some((Std::ZeroYearDay, 3)),
            b'1' if at(i, "15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if at(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if b.len() >= i + 2 && b[i + 1] == b'2' => {
                if at(i + 1, "2006") {
                    // `_2006` is a literal `_` followed by the year.
                    return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if at(i, "__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if at(i, "PM") => Some((Std::Pm, 2)),
            b'p' if at(i, "pm") => Some((Std::PmLower, 2)),
            b'-' if at(i, "-070000") => Some((Std::NumSecondsTz, 7)),
            b'-' if at(i, "-07:00:00") => Some((Std::NumColonSecondsTz, 9)),
            b'-' if at(i, "-0700") => Some((Std::NumTz, 5)),
            b'-' if at(i, "-07:00") => Some((Std::NumColonTz, 6)),
            b'-' if at(i, "-07") => Some((Std::NumShortTz, 3)),
            b'Z' if at(i, "Z070000") => Some((Std::Iso8601SecondsTz, 7)),
            b'Z' if at(i, "Z07:00:00") => Some((Std::Iso8601ColonSecondsTz, 9)),
            b'Z' if at(i, "Z0700") => Some((Std::Iso8601Tz, 5)),
            b'Z' if at(i, "Z07:00") => Some((Std::Iso8601ColonTz, 6)),
            b'Z' if at(i, "Z07") => Some((Std::Iso8601ShortTz, 3)),
            sep @ (b'.' | b',') if b.len() > i + 1 && matches!(b[i + 1], b'0' | b'9') => {
                let digit = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == digit {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    let n = j - (i + 1);
                    let std = if digit == b'0' {
                        Std::FracSecond0(n, sep)
                    } else {
                        Std::FracSecond9(n, sep)
                    };
                    Some((std, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (&layout[..i], Some(std), &layout[i + len..]);
        }
        i += 1;
    }
    (layout, None, "")
}

/// The broken-down wall clock of an instant in some zone.
#[derive(Debug, Clone)]
pub(super) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanosecond: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 1-based.
    pub yday: u32,
    pub offset: i32,
    pub zone_name: String,
}

fn pad(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    let _ = write!(out, "{:0width$}", n.unsigned_abs());
}

/// `Time.Format`.
pub(super) fn format(c: &Civil, layout: &str) -> String {
    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout;
    loop {
        let (prefix, std, suffix) = next_chunk(rest);
        out.push_str(prefix);
        let Some(std) = std else {
            break;
        };
        rest = suffix;
        match std {
            Std::Year => pad(&mut out, c.year.rem_euclid(100), 2),
            Std::LongYear => pad(&mut out, c.year, 4),
            Std::Month => out.push_str(&LONG_MONTHS[c.month as usize - 1][..3]),
            Std::LongMonth => out.push_str(LONG_MONTHS[c.month as usize - 1]),
            Std::NumMonth => pad(&mut out, i64::from(c.month), 0),
            Std::ZeroMonth => pad(&mut out, i64::from(c.month), 2),
            Std::WeekDay => out.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => pad(&mut out, i64::from(c.day), 0),
            Std::UnderDay => {
                if c.day < 10 {
                    out.push(' ');
                }
                pad(&mut out, i64::from(c.day), 0);
            }
            Std::ZeroDay => pad(&mut out, i64::from(c.day), 2),
            Std::UnderYearDay => {
                if c.yday < 100 {
                    out.push(' ');
                    if c.yday < 10 {
                        out.push(' ');
                    }
                }
                pad(&mut out, i64::from(c.yday), 0);
            }
            Std::ZeroYearDay => pad(&mut out, i64::from(c.yday), 3),
            Std::Hour => pad(&mut out, i64::from(c.hour), 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let h = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                pad(
                    &mut out,
                    i64::from(h),
                    if std == Std::Hour12 { 0 } else { 2 },
                );
            }
            Std::Minute => pad(&mut out, i64::from(c.minute), 0),
            Std::ZeroMinute => pad(&mut out, i64::from(c.minute), 2),
            Std::Second => pad(&mut out, i64::from(c.second), 0),
            Std::ZeroSecond => pad(&mut out, i64::from(c.second), 2),
            Std::Pm => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::PmLower => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Iso8601Tz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumColonTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonSecondsTz => {
                let iso = matches!(
                    std,
                    Std::Iso8601Tz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && c.offset == 0 {
                    out.push('Z');
                    continue;
                }
                let zone = c.offset / 60;
                let abs = c.offset.unsigned_abs();
                out.push(if zone < 0 { '-' } else { '+' });
                pad(&mut out, i64::from(zone.unsigned_abs() / 60), 2);
                let colon = matches!(
                    std,
                    Std::Iso8601ColonTz
                        | Std::NumColonTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonSecondsTz
                );
                if colon {
                    out.push(':');
                }
                if !matches!(std, Std::NumShortTz | Std::Iso8601ShortTz) {
                    pad(&mut out, i64::from(zone.unsigned_abs() % 60), 2);
                }
                if matches!(
                    std,
                    Std::Iso8601SecondsTz
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTz
                        | Std::Iso8601ColonSecondsTz
                ) {
                    if colon {
                        out.push(':');
                    }
                    pad(&mut out, i64::from(abs % 60), 2);
                }
            }
            Std::Tz => {
                if !c.zone_name.is_empty() {
                    out.push_str(&c.zone_name);
                } else {
                    let zone = c.offset / 60;
                    out.push(if zone < 0 { '-' } else { '+' });
                    pad(&mut out, i64::from(zone.unsigned_abs() / 60), 2);
                    pad(&mut out, i64::from(zone.unsigned_abs() % 60), 2);
                }
            }
            Std::FracSecond0(n, sep) | Std::FracSecond9(n, sep) => {
                let trim = matches!(std, Std::FracSecond9(..));
                if trim && (n == 0 || c.nanosecond == 0) {
                    continue;
                }
                let digits = format!("{:09}", c.nanosecond);
                let mut frac = &digits[..n.min(9)];
                if trim {
                    frac = frac.trim_end_matches('0');
                    if frac.is_empty() {
                        continue;
                    }
                }
                out.push(char::from(sep));
                out.push_str(frac);
                if !trim && n > 9 {
                    out.push_str(&"0".repeat(n - 9));
                }
            }
        }
    }
    out
}

/// What `time.Parse` read, before the zone is applied.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanosecond: u32,
    /// `Z` or `UTC` in the text.
    pub utc: bool,
    /// A numeric offset in the text, in seconds.
    pub offset: Option<i32>,
    /// A zone abbreviation in the text (`MST`).
    pub zone_name: Option<String>,
}

/// `time`'s own quoting in error messages: ASCII as is, other bytes as `\xNN`.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c.is_ascii() && c >= ' ' {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

fn cutspace(s: &str) -> &str {
    s.trim_start_matches(' ')
}

/// `skip`: the layout's literal text, where any run of spaces matches any run of spaces.
fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Result<&'v str, &'v str> {
    while let Some(&first) = prefix.as_bytes().first() {
        if first == b' ' {
            if value.as_bytes().first().is_some_and(|&v| v != b' ') {
                return Err(value);
            }
            prefix = cutspace(prefix);
            value = cutspace(value);
            continue;
        }
        let p = prefix.chars().next().unwrap_or(' ');
        match value.chars().next() {
            Some(v) if v == p => {
                prefix = &prefix[p.len_utf8()..];
                value = &value[v.len_utf8()..];
            }
            _ => return Err(value),
        }
    }
    Ok(value)
}

fn digit(s: &str, i: usize) -> Option<u32> {
    s.as_bytes()
        .get(i)
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
}

/// `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let first = digit(s, 0)?;
    match digit(s, 1) {
        None if fixed => None,
        None => Some((first, &s[1..])),
        Some(second) => Some((first * 10 + second, &s[2..])),
    }
}

/// `getnum3`: one to three digits (exactly three when `fixed`).
fn getnum3(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 {
        match digit(s, i) {
            Some(d) => n = n * 10 + d,
            None => break,
        }
        i += 1;
    }
    if i == 0 || fixed && i != 3 {
        return None;
    }
    Some((n, &s[i..]))
}

/// `lookup`: a name from the table, matched case-insensitively at the start.
fn lookup<'v>(table: &[&str], value: &'v str, short: bool) -> Option<(usize, &'v str)> {
    for (i, name) in table.iter().enumerate() {
        let name = if short { &name[..3] } else { name };
        if value.len() >= name.len()
            && value.is_char_boundary(name.len())
            && value[..name.len()].eq_ignore_ascii_case(name)
        {
            return Some((i, &value[name.len()..]));
        }
    }
    None
}

/// `parseNanoseconds` of `value[..n]`, which starts with `.` or `,`.
fn nanoseconds(value: &str, n: usize) -> Result<u32, &'static str> {
    if !matches!(value.as_bytes().first(), Some(b'.' | b',')) {
        return Err("");
    }
    let n = n.min(10).min(value.len());
    let digits = &value.as_bytes()[1..n];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err("");
    }
    let mut ns = digits
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    for _ in 0..(10 - n) {
        ns *= 10;
    }
    Ok(ns)
}

/// `parseTimeZone`: how long the zone abbreviation at the start of `value` is.
fn time_zone_len(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if b.len() >= 4 && (&b[..4] == b"ChST" || &b[..4] == b"MeST") {
        return Some(4);
    }
    if &b[..3] == b"GMT" {
        return Some(3 + signed_offset_len(&value[3..]));
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = signed_offset_len(value);
        return (n > 0).then_some(n);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || &b[..4] == b"WITA" => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// `parseSignedOffset`: `+h` or `-hh` up to 12.
fn signed_offset_len(value: &str) -> usize {
    let b = value.as_bytes();
    if b.is_empty() || (b[0] != b'+' && b[0] != b'-') {
        return 0;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return 0;
    }
    match value[1..1 + digits].parse::<u64>() {
        Ok(x) if x <= 12 => 1 + digits,
        _ => 0,
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(super) fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `time.Parse` up to the zone; the error is Go's `ParseError` text.
pub(super) fn parse(layout: &str, value: &str) -> Result<Parsed, String> {
    let (alayout, avalue) = (layout, value);
    let cannot = |layout_elem: &str, value_elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(avalue),
            quote(alayout),
            quote(value_elem),
            quote(layout_elem)
        )
    };
    let message = |text: &str| format!("parsing time {}{text}", quote(avalue));
    let mut p = Parsed::default();
    let (mut month, mut day, mut yday): (i64, i64, i64) = (-1, -1, -1);
    let (mut am, mut pm) = (false, false);
    let mut layout = layout;
    let mut value = value;
    loop {
        let (prefix, std, suffix) = next_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = skip(value, prefix).map_err(|v| cannot(prefix, v))?;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(message(&format!(": extra text: {}", quote(value))));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut range = "";
        let bad = || cannot(stdstr, hold);
        match std {
            Std::Year => {
                let (Some(a), Some(b)) = (digit(value, 0), digit(value, 1)) else {
                    return Err(bad());
                };
                let y = i64::from(a * 10 + b);
                p.year = if y >= 69 { y + 1900 } else { y + 2000 };
                value = &value[2..];
            }
            Std::LongYear => {
                if value.len() < 4 || digit(value, 0).is_none() || !value.is_char_boundary(4) {
                    return Err(bad());
                }
                p.year = go_atoi(&value[..4]).ok_or_else(bad)?;
                value = &value[4..];
            }
            Std::Month | Std::LongMonth => {
                let (m, rest) = lookup(&LONG_MONTHS, value, std == Std::Month).ok_or_else(bad)?;
                month = m as i64 + 1;
                value = rest;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (m, rest) = getnum(value, std == Std::ZeroMonth).ok_or_else(bad)?;
                month = i64::from(m);
                value = rest;
                if !(1..=12).contains(&m) {
                    range = "month";
                }
            }
            Std::WeekDay | Std::LongWeekDay => {
                let (_, rest) = lookup(&LONG_DAYS, value, std == Std::WeekDay).ok_or_else(bad)?;
                value = rest;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                let (d, rest) = getnum(value, std == Std::ZeroDay).ok_or_else(bad)?;
                day = i64::from(d);
                value = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                }
                let (d, rest) = getnum3(value, std == Std::ZeroYearDay).ok_or_else(bad)?;
                yday = i64::from(d);
                value = rest;
            }
            Std::Hour => {
                let (h, rest) = getnum(value, false).ok_or_else(bad)?;
                p.hour = h;
                value = rest;
                if h >= 24 {
                    range = "hour";
                }
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (h, rest) = getnum(value, std == Std::ZeroHour12).ok_or_else(bad)?;
                p.hour = h;
                value = rest;
                if h > 12 {
                    range = "hour";
                }
            }
            Std::Minute | Std::ZeroMinute => {
                let (m, rest) = getnum(value, std == Std::ZeroMinute).ok_or_else(bad)?;
                p.minute = m;
                value = rest;
                if m >= 60 {
                    range = "minute";
                }
            }
            Std::Second | Std::ZeroSecond => {
                let (s, rest) = getnum(value, std == Std::ZeroSecond).ok_or_else(bad)?;
                p.second = s;
                value = rest;
                if s >= 60 {
                    range = "second";
                } else if value.len() >= 2
                    && matches!(value.as_bytes()[0], b'.' | b',')
                    && digit(value, 1).is_some()
                {
                    // A fractional second the layout does not ask for is read anyway,
                    // unless the layout's next element is one.
                    let (_, next, _) = next_chunk(layout);
                    if !matches!(next, Some(Std::FracSecond0(..) | Std::FracSecond9(..))) {
                        let mut n = 2;
                        while digit(value, n).is_some() {
                            n += 1;
                        }
                        p.nanosecond = nanoseconds(value, n).map_err(|_| bad())?;
                        value = &value[n..];
                    }
                }
            }
            Std::Pm | Std::PmLower => {
                if value.len() < 2 || !value.is_char_boundary(2) {
                    return Err(bad());
                }
                let (upper, text) = (std == Std::Pm, &value[..2]);
                match text {
                    "PM" if upper => pm = true,
                    "AM" if upper => am = true,
                    "pm" if !upper => pm = true,
                    "am" if !upper => am = true,
                    _ => return Err(bad()),
                }
                value = &value[2..];
            }
            Std::Iso8601Tz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ColonSecondsTz
                if value.starts_with('Z') =>
            {
                value = &value[1..];
                p.utc = true;
            }
            Std::Iso8601Tz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumSecondsTz
            | Std::NumColonSecondsTz => {
                let b = value.as_bytes();
                let need = |n: usize| b.len() >= n && b[..n].is_ascii();
                let (sign, hh, mm, ss, used) = match std {
                    Std::Iso8601ColonTz | Std::NumColonTz => {
                        if !need(6) || b[3] != b':' {
                            return Err(bad());
                        }
                        (b[0], &value[1..3], &value[4..6], "00", 6)
                    }
                    Std::NumShortTz | Std::Iso8601ShortTz => {
                        if !need(3) {
                            return Err(bad());
                        }
                        (b[0], &value[1..3], "00", "00", 3)
                    }
                    Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => {
                        if !need(9) || b[3] != b':' || b[6] != b':' {
                            return Err(bad());
                        }
                        (b[0], &value[1..3], &value[4..6], &value[7..9], 9)
                    }
                    Std::Iso8601SecondsTz | Std::NumSecondsTz => {
                        if !need(7) {
                            return Err(bad());
                        }
                        (b[0], &value[1..3], &value[3..5], &value[5..7], 7)
                    }
                    _ => {
                        if !need(5) {
                            return Err(bad());
                        }
                        (b[0], &value[1..3], &value[3..5], "00", 5)
                    }
                };
                let num = |s: &str| getnum(s, true).map(|(n, _)| n);
                let (Some(hr), Some(min), Some(sec)) = (num(hh), num(mm), num(ss)) else {
                    return Err(bad());
                };
                value = &value[used..];
                if hr > 24 {
                    range = "time zone offset hour";
                }
                if min > 60 {
                    range = "time zone offset minute";
                }
                if sec > 60 {
                    range = "time zone offset second";
                }
                let offset = ((hr * 60 + min) * 60 + sec) as i32;
                p.offset = Some(match sign {
                    b'+' => offset,
                    b'-' => -offset,
                    _ => return Err(bad()),
                });
            }
            Std::Tz => {
                if value.starts_with("UTC") {
                    p.utc = true;
                    value = &value[3..];
                } else {
                    let n = time_zone_len(value).ok_or_else(bad)?;
                    p.zone_name = Some(value[..n].to_owned());
                    value = &value[n..];
                }
            }
            Std::FracSecond0(n, _) => {
                let ndigit = 1 + n;
                if value.len() < ndigit {
                    return Err(bad());
                }
                p.nanosecond = nanoseconds(value, ndigit).map_err(|_| bad())?;
                value = &value[ndigit..];
            }
            Std::FracSecond9(..) => {
                let b = value.as_bytes();
                if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
                    let mut i = 0;
                    while i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                    p.nanosecond = nanoseconds(value, 1 + i).map_err(|_| bad())?;
                    value = &value[1 + i..];
                }
            }
        }
        if !range.is_empty() {
            return Err(message(&format!(": {range} out of range")));
        }
    }
    if pm && p.hour < 12 {
        p.hour += 12;
    } else if am && p.hour == 12 {
        p.hour = 0;
    }
    if yday >= 0 {
        let (mut m, mut d) = (0i64, 0i64);
        if is_leap(p.year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(message(": day-of-year out of range"));
        }
        if m == 0 {
            let before = |month: i64| -> i64 {
                (1..month)
                    .map(|mm| i64::from(days_in(mm as u32, 2001)))
                    .sum()
            };
            m = (yday - 1) / 31 + 1;
            if before(m + 1) < yday {
                m += 1;
            }
            d = yday - before(m);
        }
        if month >= 0 && month != m {
            return Err(message(": day-of-year does not match month"));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(message(": day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    p.month = month as u32;
    if day < 1 || day > i64::from(days_in(p.month, p.year)) {
        return Err(message(": day out of range"));
    }
    p.day = day as u32;
    Ok(p)
}

/// `time`'s `atoi`: an optional sign and decimal digits, all of the text.
fn go_atoi(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}
