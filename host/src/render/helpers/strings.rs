//! String helpers: case, trimming, searching, quoting, indentation and Go-style `printf`.

use std::fmt::Write as _;

use handlebars::Handlebars;
use serde_json::Value;

use super::{Args, fun, to_text, write_go};

pub(super) fn register(r: &mut Handlebars<'static>) {
    fun(r, "upper", 1, Some(1), |a| {
        Ok(a.text(0).to_uppercase().into())
    });
    fun(r, "lower", 1, Some(1), |a| {
        Ok(a.text(0).to_lowercase().into())
    });
    fun(r, "title", 1, Some(1), |a| Ok(title(&a.text(0)).into()));
    fun(r, "trim", 1, Some(1), |a| Ok(a.text(0).trim().into()));
    fun(r, "trimPrefix", 2, Some(2), |a| {
        let text = a.text(1);
        Ok(text.strip_prefix(&*a.text(0)).unwrap_or(&text).into())
    });
    fun(r, "trimSuffix", 2, Some(2), |a| {
        let text = a.text(1);
        Ok(text.strip_suffix(&*a.text(0)).unwrap_or(&text).into())
    });
    fun(r, "trunc", 2, Some(2), |a| {
        Ok(trunc(a.int(0)?, &a.text(1)).into())
    });
    fun(r, "replace", 3, Some(3), |a| {
        Ok(a.text(2).replace(&*a.text(0), &a.text(1)).into())
    });
    fun(r, "contains", 2, Some(2), |a| {
        Ok(a.text(1).contains(&*a.text(0)).into())
    });
    fun(r, "hasPrefix", 2, Some(2), |a| {
        Ok(a.text(1).starts_with(&*a.text(0)).into())
    });
    fun(r, "hasSuffix", 2, Some(2), |a| {
        Ok(a.text(1).ends_with(&*a.text(0)).into())
    });
    fun(r, "quote", 0, None, |a| Ok(quote_all(a, go_quote).into()));
    fun(r, "squote", 0, None, |a| {
        Ok(quote_all(a, |s| format!("'{s}'")).into())
    });
    fun(r, "cat", 0, None, |a| {
        let parts: Vec<_> = a.iter().filter(|v| !v.is_null()).map(to_text).collect();
        Ok(parts.join(" ").into())
    });
    fun(r, "indent", 2, Some(2), |a| {
        Ok(indent(a.int(0)?, &a.text(1))?.into())
    });
    fun(r, "nindent", 2, Some(2), |a| {
        Ok(format!("\n{}", indent(a.int(0)?, &a.text(1))?).into())
    });
    fun(r, "repeat", 2, Some(2), |a| {
        let count = usize::try_from(a.int(0)?).map_err(|_| "count must not be negative")?;
        Ok(a.text(1).repeat(count).into())
    });
    fun(r, "toString", 1, Some(1), |a| Ok(a.text(0).into()));
    fun(r, "printf", 1, None, |a| {
        Ok(printf(&a.text(0), &a.params[1..])?.into())
    });
}

/// Sprig `quote`/`squote`: every non-null argument quoted, joined by spaces.
fn quote_all(a: &Args<'_, '_>, quote: fn(&str) -> String) -> String {
    let quoted: Vec<String> = a
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| quote(&to_text(v)))
        .collect();
    quoted.join(" ")
}

/// Go's `strconv.Quote`: a double-quoted string with Go escapes.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strings.Title`: upper-cases the first letter of every word, leaves the rest.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !(c.is_alphanumeric() || c == '_');
    }
    out
}

/// Sprig `trunc`: the first `count` characters, or with a negative count the last ones.
fn trunc(count: i64, s: &str) -> String {
    let len = s.chars().count();
    let magnitude = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if count >= 0 {
        s.chars().take(magnitude).collect()
    } else {
        s.chars().skip(len.saturating_sub(magnitude)).collect()
    }
}

/// Sprig `indent`: every line, empty ones included, gets `width` spaces.
fn indent(width: i64, s: &str) -> Result<String, String> {
    let width =
        usize::try_from(width).map_err(|_| format!("width must not be negative, got {width}"))?;
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(s.len() + width * (1 + s.matches('\n').count()));
    out.push_str(&pad);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Ok(out)
}

/// Go's `fmt.Sprintf` for the verbs charts use: `%s %d %v %q %f %x %X %t %%` with the `-`,
/// `0` and `+` flags, a width and a precision.
fn printf(format: &str, params: &[handlebars::PathAndJson<'_>]) -> Result<String, String> {
    let mut out = String::with_capacity(format.len() + 16);
    let mut args = params.iter().map(|p| p.value());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut left, mut zero, mut plus) = (false, false, false);
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                _ => break,
            }
            chars.next();
        }
        let mut width = 0usize;
        while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
            width = width * 10 + digit as usize;
            chars.next();
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = 0usize;
            while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
                p = p * 10 + digit as usize;
                chars.next();
            }
            precision = Some(p);
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        let body = format_verb(verb, arg, precision, plus)?;
        let pad = width.saturating_sub(body.chars().count());
        if left {
            out.push_str(&body);
            out.push_str(&" ".repeat(pad));
        } else if zero && matches!(verb, 'd' | 'f' | 'x' | 'X') {
            let (sign, digits) = match body.strip_prefix(['-', '+']) {
                Some(rest) => (&body[..1], rest),
                None => ("", body.as_str()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(pad));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&body);
        }
    }
    let extra: Vec<String> = args.map(|v| to_text(v).into_owned()).collect();
    if !extra.is_empty() {
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    Ok(out)
}

fn format_verb(
    verb: char,
    arg: &Value,
    precision: Option<usize>,
    plus: bool,
) -> Result<String, String> {
    let sign = |s: String| {
        if plus && !s.starts_with('-') {
            format!("+{s}")
        } else {
            s
        }
    };
    let go = |v: &Value| {
        let mut s = String::new();
        write_go(&mut s, v);
        s
    };
    Ok(match verb {
        's' | 'v' => {
            let s = go(arg);
            match precision {
                Some(p) if verb == 's' => s.chars().take(p).collect(),
                _ => s,
            }
        }
        'q' => go_quote(&go(arg)),
        't' => match arg {
            Value::Bool(b) => b.to_string(),
            other => format!("%!t({})", go(other)),
        },
        'd' => match super::to_int(arg) {
            Some(n) if !arg.is_string() => sign(n.to_string()),
            _ => format!("%!d({})", go(arg)),
        },
        'f' => match arg.as_f64() {
            Some(f) => sign(format!("{f:.*}", precision.unwrap_or(6))),
            None => format!("%!f({})", go(arg)),
        },
        'x' | 'X' => {
            let hex = match (arg, super::to_int(arg)) {
                (Value::String(s), _) => s.bytes().map(|b| format!("{b:02x}")).collect(),
                (_, Some(n)) if n < 0 => format!("-{:x}", n.unsigned_abs()),
                (_, Some(n)) => format!("{n:x}"),
                _ => return Ok(format!("%!{verb}({})", go(arg))),
            };
            if verb == 'X' { hex.to_uppercase() } else { hex }
        }
        other => return Err(format!("unsupported verb `%{other}`")),
    })
}
