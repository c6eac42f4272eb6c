//! Go's `fmt` as templates see it: `print`, `println` and `printf` over template values, with
//! every verb, flag, width, precision and argument index Go accepts, and Go's texts for misuse
//! (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA int=3)`); plus `strconv.Quote`, which parse
//! errors and `%q` share.

use std::fmt::Write as _;

use crate::value::{Value, format_float_g};

/// `fmt.Sprint`: operands formatted with `%v`, a space between two operands when neither is a
/// string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// `fmt.Sprintln`: operands formatted with `%v`, always separated by spaces, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

/// `strconv.Quote`: a double-quoted Go string literal, non-printable characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    append_quoted(&mut out, s, '"', false);
    out
}

/// `%#U` of a character: `U+0041 'A'`.
pub(crate) fn unicode_sharp(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Go's `unicode.IsPrint` (letters, marks, numbers, punctuation, symbols and the ASCII space),
/// approximated by Rust's classes: control, format, separator and unassigned are not printable.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(
        c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
            | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xD800..=0xDFFF
            | 0xFFFE | 0xFFFF | 0xF0000..
    )
}

fn append_quoted(out: &mut String, s: &str, quote: char, ascii_only: bool) {
    out.push(quote);
    for c in s.chars() {
        append_escaped(out, c, quote, ascii_only);
    }
    out.push(quote);
}

fn append_escaped(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if c.is_ascii() && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// `strconv.CanBackquote`.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')))
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
    /// A value nested past [`crate::value::MAX_DEPTH`] was met (a dict holding itself):
    /// nothing more of the current argument prints, so that a map holding itself twice
    /// costs linear time, not exponential.
    cut: bool,
}

/// Go refuses widths and precisions above a million (`tooLarge`).
const MAX_NUM: usize = 1_000_000;

fn parse_num(s: &[u8], start: usize, end: usize) -> (Option<usize>, usize) {
    if start >= end {
        return (None, end);
    }
    let mut num = 0usize;
    let mut i = start;
    let mut found = false;
    while i < end && s[i].is_ascii_digit() {
        if num > MAX_NUM {
            return (None, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        found = true;
        i += 1;
    }
    (found.then_some(num), i)
}

impl Printer {
    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let s = format.as_bytes();
        let end = s.len();
        let mut arg_num = 0usize;
        let mut reordered = false;
        let mut i = 0;
        while i < end {
            let mut good_arg_num = true;
            let last = i;
            while i < end && s[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.buf.push_str(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match s[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // Argument index, width, precision.
            let mut after_index;
            (arg_num, i, after_index) =
                arg_number(arg_num, s, i, args.len(), &mut reordered, &mut good_arg_num);
            if i < end && s[i] == b'*' {
                i += 1;
                let (wid, next) = int_from_arg(args, arg_num);
                arg_num = next;
                match wid {
                    None => self.buf.push_str("%!(BADWIDTH)"),
                    Some(w) if w < 0 => {
                        self.f.wid = Some(w.unsigned_abs() as usize);
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    Some(w) => self.f.wid = Some(w as usize),
                }
                after_index = false;
            } else {
                let (wid, next) = parse_num(s, i, end);
                self.f.wid = wid;
                i = next;
                if after_index && wid.is_some() {
                    good_arg_num = false;
                }
            }
            if i + 1 < end && s[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) =
                    arg_number(arg_num, s, i, args.len(), &mut reordered, &mut good_arg_num);
                if i < end && s[i] == b'*' {
                    i += 1;
                    let (prec, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    match prec {
                        Some(p) if p >= 0 => self.f.prec = Some(p as usize),
                        Some(_) => self.f.prec = None,
                        None => {
                            self.buf.push_str("%!(BADPREC)");
                        }
                    }
                    if prec.is_none() {
                        self.f.prec = None;
                    }
                    after_index = false;
                } else {
                    let (prec, next) = parse_num(s, i, end);
                    i = next;
                    self.f.prec = Some(prec.unwrap_or(0));
                }
            }
            if !after_index {
                (arg_num, i, _) =
                    arg_number(arg_num, s, i, args.len(), &mut reordered, &mut good_arg_num);
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                let _ = write!(self.buf, "%!{verb}(BADINDEX)");
            } else if arg_num >= args.len() {
                let _ = write!(self.buf, "%!{verb}(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (i, arg) in args[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    /// A top-level operand (Go's `printArg`).
    fn print_arg(&mut self, arg: &Value, verb: char) {
        self.cut = false;
        if arg.is_nil() {
            match verb {
                'T' | 'v' => self.pad_str("<nil>"),
                _ => self.bad_verb(verb, None),
            }
            return;
        }
        if verb == 'T' {
            let name = arg.type_name();
            self.fmt_s(&name);
            return;
        }
        self.print_value(arg, verb, 0);
    }

    /// An operand or an element of one (Go's `printValue`); nil elements print `<nil>`.
    /// Nested lists and maps recurse, on a grown stack when deep.
    fn print_value(&mut self, value: &Value, verb: char, depth: usize) {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            self.print_value_inner(value, verb, depth);
        });
    }

    fn print_value_inner(&mut self, value: &Value, verb: char, depth: usize) {
        if self.cut {
            return;
        }
        if depth > crate::value::MAX_DEPTH {
            // A dict holding itself: Go overflows its stack; here the argument ends.
            self.buf.push_str("...");
            self.cut = true;
            return;
        }
        match value {
            Value::Nil => {
                if depth == 0 {
                    self.print_arg(value, verb);
                } else {
                    self.buf.push_str("<nil>");
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_str(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, Some(value)),
            },
            Value::Int(n) | Value::Int64(n) => self.fmt_integer(*n, value, verb),
            Value::Float(x) => self.fmt_float_verb(*x, value, verb),
            Value::String(s) => self.fmt_string(s, value, verb),
            Value::Bytes(bytes) => match verb {
                'v' | 'd' => {
                    self.buf.push('[');
                    for (i, b) in bytes.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_unsigned(u64::from(*b), 10, verb, false);
                    }
                    self.buf.push(']');
                }
                's' => {
                    let text = String::from_utf8_lossy(bytes);
                    self.fmt_s(&text);
                }
                'x' | 'X' => self.fmt_sx(bytes, verb == 'X'),
                'q' => {
                    let text = String::from_utf8_lossy(bytes);
                    self.fmt_q(&text);
                }
                _ => {
                    self.buf.push('[');
                    for (i, b) in bytes.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_integer(i64::from(*b), &Value::Int(i64::from(*b)), verb);
                    }
                    self.buf.push(']');
                }
            },
            Value::List(items) => {
                if self.f.sharp_v {
                    self.buf.push_str("[]interface {}{");
                    for (i, item) in items.iter().enumerate() {
                        if self.cut {
                            return;
                        }
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_sharp_v_elem(item, depth);
                    }
                    self.buf.push('}');
                    return;
                }
                self.buf.push('[');
                for (i, item) in items.iter().enumerate() {
                    if self.cut {
                        return;
                    }
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.print_value(item, verb, depth + 1);
                }
                self.buf.push(']');
            }
            Value::Map(map) => self.print_map(map, verb, depth),
            // A copy, so that no lock is held while nested values print.
            Value::Dict(dict) => self.print_map(&dict.snapshot(), verb, depth),
            Value::Object(object) => match verb {
                'v' | 's' => {
                    let text = object.format_v();
                    self.pad_str(&text);
                }
                _ => self.print_value(&object.data(), verb, depth),
            },
        }
    }

    fn print_map(&mut self, map: &crate::value::Map, verb: char, depth: usize) {
        if self.f.sharp_v {
            self.buf.push_str("map[string]interface {}{");
            for (i, (k, v)) in map.iter().enumerate() {
                if self.cut {
                    return;
                }
                if i > 0 {
                    self.buf.push_str(", ");
                }
                self.buf.push_str(&quote(k));
                self.buf.push(':');
                self.print_sharp_v_elem(v, depth);
            }
            self.buf.push('}');
            return;
        }
        self.buf.push_str("map[");
        for (i, (k, v)) in map.iter().enumerate() {
            if self.cut {
                return;
            }
            if i > 0 {
                self.buf.push(' ');
            }
            self.fmt_string(k, &Value::string(k.as_str()), verb);
            self.buf.push(':');
            self.print_value(v, verb, depth + 1);
        }
        self.buf.push(']');
    }

    fn print_sharp_v_elem(&mut self, item: &Value, depth: usize) {
        if item.is_nil() {
            self.buf.push_str("interface {}(nil)");
        } else {
            self.print_value(item, 'v', depth + 1);
        }
    }

    fn bad_verb(&mut self, verb: char, value: Option<&Value>) {
        let saved = self.f;
        self.f = Flags::default();
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match value {
            Some(v) if !v.is_nil() => {
                self.buf.push_str(&v.type_name());
                self.buf.push('=');
                self.print_value(v, 'v', 0);
            }
            _ => self.buf.push_str("<nil>"),
        }
        self.buf.push(')');
        self.f = saved;
    }

    fn write_padding(&mut self, n: usize) {
        let pad = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        self.buf.extend(std::iter::repeat_n(pad, n));
    }

    fn pad_str(&mut self, s: &str) {
        let Some(wid) = self.f.wid.filter(|&w| w > 0) else {
            self.buf.push_str(s);
            return;
        };
        let width = wid.saturating_sub(s.chars().count());
        if self.f.minus {
            self.buf.push_str(s);
            self.write_padding(width);
        } else {
            self.write_padding(width);
            self.buf.push_str(s);
        }
    }

    fn truncate<'a>(&self, s: &'a str) -> &'a str {
        match self.f.prec {
            Some(p) => match s.char_indices().nth(p) {
                Some((at, _)) => &s[..at],
                None => s,
            },
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad_str(s);
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            self.pad_str(&format!("`{s}`"));
            return;
        }
        let mut out = String::with_capacity(s.len() + 2);
        append_quoted(&mut out, s, '"', self.f.plus);
        self.pad_str(&out);
    }

    fn fmt_sx(&mut self, bytes: &[u8], upper: bool) {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let x = if upper { 'X' } else { 'x' };
        let mut length = bytes.len();
        if let Some(p) = self.f.prec {
            length = length.min(p);
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.f.wid {
                self.write_padding(w);
            }
            return;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.write_padding(wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(x);
        }
        for (i, b) in bytes[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(x);
                }
            }
            self.buf.push(digits[usize::from(b >> 4)] as char);
            self.buf.push(digits[usize::from(b & 0xF)] as char);
        }
        if wid > width && self.f.minus {
            self.write_padding(wid - width);
        }
    }

    fn fmt_string(&mut self, s: &str, value: &Value, verb: char) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' | 'X' => self.fmt_sx(s.as_bytes(), verb == 'X'),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, Some(value)),
        }
    }

    fn fmt_integer(&mut self, n: i64, value: &Value, verb: char) {
        match verb {
            'v' | 'd' => self.fmt_signed(n, 10, verb),
            'b' => self.fmt_signed(n, 2, verb),
            'o' | 'O' => self.fmt_signed(n, 8, verb),
            'x' | 'X' => self.fmt_signed(n, 16, verb),
            'c' => {
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                let mut tmp = [0u8; 4];
                let s = c.encode_utf8(&mut tmp).to_owned();
                self.pad_bytes(&s);
            }
            'q' => {
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                let mut out = String::new();
                out.push('\'');
                if c == '"' {
                    out.push('"');
                } else {
                    append_escaped(&mut out, c, '\'', self.f.plus);
                }
                out.push('\'');
                self.pad_bytes(&out);
            }
            'U' => {
                let prec = self.f.prec.unwrap_or(4).max(4);
                let mut out = format!("U+{:0prec$X}", n as u64);
                if self.f.sharp
                    && let Some(c) = u32::try_from(n).ok().and_then(char::from_u32)
                    && is_print(c)
                {
                    let _ = write!(out, " '{c}'");
                }
                let saved = self.f.zero;
                self.f.zero = false;
                self.pad_bytes(&out);
                self.f.zero = saved;
            }
            _ => self.bad_verb(verb, Some(value)),
        }
    }

    fn fmt_signed(&mut self, n: i64, base: u32, verb: char) {
        self.fmt_number(n < 0, n.unsigned_abs(), base, verb);
    }

    fn fmt_unsigned(&mut self, u: u64, base: u32, verb: char, _signed: bool) {
        self.fmt_number(false, u, base, verb);
    }

    /// Go's `fmt.fmtInteger`.
    fn fmt_number(&mut self, negative: bool, u: u64, base: u32, verb: char) {
        let upper = verb == 'X';
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let saved = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid.unwrap_or(0));
                self.f.zero = saved;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid.is_some() {
            prec = self.f.wid.unwrap_or(0);
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let mut digits = match base {
            2 => format!("{u:b}"),
            8 => format!("{u:o}"),
            16 if upper => format!("{u:X}"),
            16 => format!("{u:x}"),
            _ => u.to_string(),
        };
        if digits.len() < prec {
            digits = "0".repeat(prec - digits.len()) + &digits;
        }
        let mut prefix = String::new();
        if self.f.sharp {
            match base {
                2 => prefix.push_str("0b"),
                8 if !digits.starts_with('0') => prefix.push('0'),
                16 => prefix.push_str(if upper { "0X" } else { "0x" }),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix.insert_str(0, "0o");
        }
        let sign = if negative {
            "-"
        } else if self.f.plus {
            "+"
        } else if self.f.space {
            " "
        } else {
            ""
        };
        let text = format!("{sign}{prefix}{digits}");
        let saved = self.f.zero;
        self.f.zero = false;
        self.pad_bytes(&text);
        self.f.zero = saved;
    }

    fn pad_bytes(&mut self, s: &str) {
        self.pad_str(s);
    }

    fn fmt_float_verb(&mut self, x: f64, value: &Value, verb: char) {
        match verb {
            'v' => self.fmt_float(x, 'g', None),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(x, verb, None),
            'f' | 'e' | 'E' | 'F' => self.fmt_float(x, verb, Some(6)),
            _ => self.bad_verb(verb, Some(value)),
        }
    }

    /// Go's `fmt.fmtFloat`: `strconv.AppendFloat`, then sign, `#` and padding rules.
    fn fmt_float(&mut self, x: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        let formatted = format_float(x, verb, prec);
        let mut num: Vec<u8> = Vec::with_capacity(formatted.len() + 1);
        if formatted.starts_with('-') || formatted.starts_with('+') {
            num.extend_from_slice(formatted.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(formatted.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num.get(1) == Some(&b'I') || num.get(1) == Some(&b'N') {
            let saved = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_str(&String::from_utf8_lossy(&num));
            self.f.zero = saved;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = match verb {
                'v' | 'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
                _ => 0,
            };
            let mut tail: Vec<u8> = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let text = String::from_utf8_lossy(&num).into_owned();
        if self.f.plus || num[0] != b'+' {
            let wid = self.f.wid.unwrap_or(0);
            if self.f.zero && !self.f.minus && self.f.wid.is_some() && wid > num.len() {
                self.buf.push(num[0] as char);
                self.write_padding(wid - num.len());
                self.buf.push_str(&text[1..]);
                return;
            }
            self.pad_str(&text);
            return;
        }
        self.pad_str(&text[1..]);
    }
}

fn arg_number(
    arg_num: usize,
    s: &[u8],
    i: usize,
    num_args: usize,
    reordered: &mut bool,
    good: &mut bool,
) -> (usize, usize, bool) {
    if s.len() <= i || s[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let (index, wid, ok) = parse_arg_number(&s[i..]);
    if ok && let Some(index) = index.filter(|&x| x < num_args) {
        return (index, i + wid, true);
    }
    *good = false;
    (arg_num, i + wid, ok)
}

fn parse_arg_number(s: &[u8]) -> (Option<usize>, usize, bool) {
    if s.len() < 3 {
        return (None, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (n, next) = parse_num(s, 1, i);
            return match n {
                Some(n) if next == i => (n.checked_sub(1), i + 1, true),
                _ => (None, i + 1, false),
            };
        }
    }
    (None, 1, false)
}

fn int_from_arg(args: &[Value], arg_num: usize) -> (Option<i64>, usize) {
    if arg_num >= args.len() {
        return (None, arg_num);
    }
    let n = match &args[arg_num] {
        Value::Int(n) | Value::Int64(n) => Some(*n),
        _ => None,
    };
    let n = n.filter(|n| n.unsigned_abs() <= MAX_NUM as u64);
    (n, arg_num + 1)
}

/// `strconv.FormatFloat(x, verb, prec, 64)` for the verbs `fmt` passes it.
pub(crate) fn format_float(x: f64, verb: char, prec: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    match verb {
        'e' | 'E' => {
            let s = fmt_e(x, prec.unwrap_or(6));
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), x),
        'g' | 'G' => {
            let s = fmt_g(x, prec);
            if verb == 'G' { s.to_uppercase() } else { s }
        }
        'b' => fmt_b(x),
        'x' | 'X' => {
            let s = fmt_x(x, prec);
            if verb == 'X' { s.to_uppercase() } else { s }
        }
        _ => format_float_g(x, 6),
    }
}

/// `%e` with `prec` digits after the point and a two-digit (at least) signed exponent.
fn fmt_e(x: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, x);
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// The significant decimal digits of `|x|` (no trailing zeros) and the position of the
/// decimal point, rounded to `digits` significant digits, or the shortest that reads back.
fn decimal(x: f64, digits: Option<usize>) -> (Vec<u8>, i32) {
    let s = match digits {
        Some(d) => format!("{:.*e}", d.max(1) - 1, x.abs()),
        None => format!("{:e}", x.abs()),
    };
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut ds: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while ds.len() > 1 && ds.last() == Some(&b'0') {
        ds.pop();
    }
    if ds == [b'0'] {
        return (Vec::new(), 0);
    }
    (ds, exp + 1)
}

/// Go's `%g`: shortest (no precision) or `prec` significant digits, `%e` style when the
/// exponent is below -4 or at least the precision (6 for shortest).
fn fmt_g(x: f64, prec: Option<usize>) -> String {
    let shortest = prec.is_none();
    let (digs, dp) = decimal(x, prec.map(|p| p.max(1)));
    let nd = digs.len() as i32;
    let neg = if x.is_sign_negative() { "-" } else { "" };
    let mut p = match prec {
        Some(p) => p.max(1) as i32,
        None => nd.max(1),
    };
    let mut eprec = p;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    if shortest {
        eprec = 6;
    }
    let exp = dp - 1;
    if nd == 0 {
        // Zero.
        return format!("{neg}0");
    }
    if exp < -4 || exp >= eprec {
        if p > nd {
            p = nd;
        }
        // %e with p-1 digits after the point.
        let mut out = String::from(neg);
        out.push(digs[0] as char);
        if p > 1 {
            out.push('.');
            for i in 1..p as usize {
                out.push(*digs.get(i).unwrap_or(&b'0') as char);
            }
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
        return out;
    }
    if p > dp {
        p = nd;
    }
    let frac = (p - dp).max(0) as usize;
    // %f with `frac` digits after the point, from the digits.
    let mut out = String::from(neg);
    if dp <= 0 {
        out.push('0');
    } else {
        for i in 0..dp as usize {
            out.push(*digs.get(i).unwrap_or(&b'0') as char);
        }
    }
    if frac > 0 {
        out.push('.');
        for i in 0..frac {
            let idx = dp + i as i32;
            let d = if idx < 0 {
                b'0'
            } else {
                *digs.get(idx as usize).unwrap_or(&b'0')
            };
            out.push(d as char);
        }
    }
    out
}

/// Go's `%b` of a float: `mantissa p exponent` in powers of two.
fn fmt_b(x: f64) -> String {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    let e = if exp == 0 {
        -1074
    } else {
        mant |= 1 << 52;
        exp - 1075
    };
    let sign = if neg { "-" } else { "" };
    let esign = if e >= 0 { "+" } else { "" };
    format!("{sign}{mant}p{esign}{e}")
}

/// Go's `%x` of a float: `0x1.8p+01`, shortest hex digits unless a precision is given.
fn fmt_x(x: f64, prec: Option<usize>) -> String {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let raw_exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    let mut exp;
    if raw_exp == 0 {
        if mant == 0 {
            exp = 0;
        } else {
            exp = -1022;
            while mant & (1 << 52) == 0 {
                mant <<= 1;
                exp -= 1;
            }
            mant &= (1 << 52) - 1;
        }
    } else {
        exp = raw_exp - 1023;
    }
    let zero = raw_exp == 0 && mant == 0;
    // 52 fraction bits = 13 hex digits.
    let mut lead: u64 = if zero { 0 } else { 1 };
    let mut frac = mant;
    let mut ndig = 13usize;
    if let Some(p) = prec
        && p < 13
    {
        let shift = (13 - p) * 4;
        let half = 1u64 << (shift - 1);
        let rem = frac & ((1u64 << shift) - 1);
        frac >>= shift;
        if rem > half || (rem == half && frac & 1 == 1) {
            frac += 1;
            if frac >> (p * 4) != 0 {
                frac = 0;
                lead += 1;
                if lead == 2 {
                    lead = 1;
                    exp += 1;
                }
            }
        }
        ndig = p;
    }
    let mut hex = if ndig == 0 {
        String::new()
    } else {
        format!("{frac:0ndig$x}")
    };
    match prec {
        None => {
            while hex.ends_with('0') {
                hex.pop();
            }
        }
        Some(p) if p > 13 => hex.push_str(&"0".repeat(p - 13)),
        _ => {}
    }
    let sign = if neg { "-" } else { "" };
    let point = if hex.is_empty() { "" } else { "." };
    let esign = if exp < 0 { '-' } else { '+' };
    format!(
        "{sign}0x{lead}{point}{hex}p{esign}{:02}",
        exp.unsigned_abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    fn v(s: &str) -> Value {
        Value::string(s)
    }

    #[test]
    fn printf_matches_go() {
        // Expected texts from helm v4.1.4 (Go 1.25): see the commit's scratch charts.
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%05s|%-05d|%05d",
                vec![v("ab"), Value::Int(42), Value::Int(-42)],
                "000ab|42   |-0042",
            ),
            (
                "%x|%X|%#x|%q|%#q|%+q",
                vec![
                    Value::Int(255),
                    v("hi"),
                    Value::Int(255),
                    v("a\"b"),
                    v("ab"),
                    v("é"),
                ],
                "ff|6869|0xff|\"a\\\"b\"|`ab`|\"\\u00e9\"",
            ),
            (
                "%v|%5.2f|%e|%g|%G|%.3g",
                vec![
                    Value::Float(1.5),
                    Value::Float(3.14158),
                    Value::Float(1234.5678),
                    Value::Float(0.000012345),
                    Value::Float(1e21),
                    Value::Float(1234.0),
                ],
                "1.5| 3.14|1.234568e+03|1.2345e-05|1E+21|1.23e+03",
            ),
            (
                "%#v|%T|%t|%c|%U|%#U|%o|%O|%b",
                vec![
                    v("s"),
                    Value::Float(1.5),
                    Value::Bool(true),
                    Value::Int(65),
                    Value::Int(65),
                    Value::Int(65),
                    Value::Int(8),
                    Value::Int(8),
                    Value::Int(5),
                ],
                "\"s\"|float64|true|A|U+0041|U+0041 'A'|10|0o10|101",
            ),
            (
                "%08.3f|%+d|% d|%x|% x|%#o",
                vec![
                    Value::Float(-3.14158),
                    Value::Int(5),
                    Value::Int(5),
                    v("hey"),
                    v("hey"),
                    Value::Int(8),
                ],
                "-003.142|+5| 5|686579|68 65 79|010",
            ),
            (
                "%d %s %d|%!|%z|%[2]d %[1]d|%[5]d|%*d|%.*f|%-*d|%",
                vec![Value::Int(1), Value::Int(2)],
                "1 %!s(int=2) %!d(MISSING)|%!!(MISSING)|%!z(MISSING)|2 1|%!d(BADINDEX)|%!d(MISSING)|%!(BADPREC)%!f(MISSING)|%!(BADWIDTH)%!d(MISSING)|%!(NOVERB)",
            ),
            (
                "%d %s",
                vec![
                    Value::Int(1),
                    Value::Int(2),
                    Value::Int(3),
                    v("x"),
                    Value::Nil,
                ],
                "1 %!s(int=2)%!(EXTRA int=3, string=x, <nil>)",
            ),
            (
                "%v %d %s",
                vec![Value::Nil, Value::Nil, Value::Nil],
                "<nil> %!d(<nil>) %!s(<nil>)",
            ),
            (
                "%d",
                vec![Value::list(vec![Value::Float(1.0), v("s"), Value::Nil])],
                "[%!d(float64=1) %!d(string=s) <nil>]",
            ),
            (
                "%6.2f|%-8.3e|%+.1e",
                vec![
                    Value::Float(2.5),
                    Value::Float(1234.5),
                    Value::Float(-0.00012),
                ],
                "  2.50|1.234e+03|-1.2e-04",
            ),
            (
                "%g|%g|%g|%v",
                vec![
                    Value::Float(100000.0),
                    Value::Float(1e6),
                    Value::Float(0.0001),
                    Value::Float(1e-5),
                ],
                "100000|1e+06|0.0001|1e-05",
            ),
            (
                "%.2s|%.0d|%5.1s|",
                vec![v("héllo"), Value::Int(0), v("xyz")],
                "hé||    x|",
            ),
            (
                "%3c|%-4q|%#U",
                vec![Value::Int(0x1F600), Value::Int(97), Value::Int(10)],
                "  😀|'a' |U+000A",
            ),
            (
                "%x|%X|%o|%b",
                vec![
                    Value::Int(-255),
                    Value::Int(-255),
                    Value::Int(-8),
                    Value::Int(-5),
                ],
                "-ff|-FF|-10|-101",
            ),
            (
                "%#g|%#.3g|%#e",
                vec![Value::Float(1.0), Value::Float(2.0), Value::Float(3.0)],
                "1.00000|2.00|3.000000e+00",
            ),
            (
                "%b|%x|%X|%.1x",
                vec![
                    Value::Float(1.0),
                    Value::Float(1.0),
                    Value::Float(-3.5),
                    Value::Float(1.0),
                ],
                "4503599627370496p-52|0x1p+00|-0X1.CP+01|0x1.0p+00",
            ),
            (
                "%s|%v|%d",
                vec![
                    Value::Bytes(b"hi"[..].into()),
                    Value::Bytes(b"hi"[..].into()),
                    Value::Bool(true),
                ],
                "hi|[104 105]|%!d(bool=true)",
            ),
            (
                "%08.3d|%+08d|%-8d|",
                vec![Value::Int(7), Value::Int(7), Value::Int(7)],
                "     007|+0000007|7       |",
            ),
            (
                "%t|%v|%5t",
                vec![v("x"), Value::Bool(false), Value::Bool(true)],
                "%!t(string=x)|false| true",
            ),
            (
                "%f|%.0f|%.1f|%.2f",
                vec![
                    Value::Float(0.125),
                    Value::Float(2.5),
                    Value::Float(0.25),
                    Value::Float(0.125),
                ],
                "0.125000|2|0.2|0.12",
            ),
        ];
        for (format, args, expected) in cases {
            assert_eq!(sprintf(format, &args), expected, "{format}");
        }
    }

    #[test]
    fn maps_lists_and_nil_print_as_go() {
        let mut inner = Map::new();
        inner.insert("b".into(), Value::list(vec![v("x"), Value::Nil]));
        inner.insert("a".into(), Value::Float(1.0));
        let m = Value::map(inner);
        assert_eq!(
            sprintf("%v", std::slice::from_ref(&m)),
            "map[a:1 b:[x <nil>]]"
        );
        assert_eq!(
            sprintf("%s", std::slice::from_ref(&m)),
            "map[a:%!s(float64=1) b:[x <nil>]]"
        );
        assert_eq!(
            sprintf("%#v", std::slice::from_ref(&m)),
            "map[string]interface {}{\"a\":1, \"b\":[]interface {}{\"x\", interface {}(nil)}}"
        );
        assert_eq!(
            sprintf("%T", &[m, Value::Nil]),
            "map[string]interface {}%!(EXTRA <nil>)"
        );
    }

    #[test]
    fn print_and_println_space_operands_as_go() {
        let args = [
            Value::Int(1),
            Value::Int(2),
            v("a"),
            Value::Int(3),
            v("b"),
            v("c"),
            Value::Nil,
        ];
        assert_eq!(sprint(&args), "1 2a3bc<nil>");
        assert_eq!(sprintln(&args), "1 2 a 3 b c <nil>\n");
        assert_eq!(sprint(&[]), "");
    }

    #[test]
    fn quote_escapes_as_strconv() {
        let cases = [
            ("a\"b\\c", "\"a\\\"b\\\\c\""),
            ("\n\t\u{7}\u{1}\u{7f}", "\"\\n\\t\\a\\x01\\x7f\""),
            ("é☺", "\"é☺\""),
            ("\u{200b}\u{10ffff}", "\"\\u200b\\U0010ffff\""),
        ];
        for (s, expected) in cases {
            assert_eq!(quote(s), expected);
        }
    }
}
