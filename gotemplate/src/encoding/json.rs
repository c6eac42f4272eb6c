//! JSON as Go's `encoding/json` writes and reads it, for `toJson`, `toPrettyJson`,
//! `toRawJson`, `fromJson`, `fromJsonArray` and `mustFromJson`.
//!
//! Writing: map keys sorted by bytes, `<`, `>` and `&` escaped as `\u003c` (except in raw
//! mode), U+2028/U+2029 always escaped, `[]byte` as base64, floats without an exponent
//! unless below 1e-6 or from 1e21 up (`1e-7`, `1e+21`), NaN and infinities refused.
//! Reading: Go's scanner decides what is valid and words the errors
//! (`invalid character 'x' looking for beginning of value`); numbers become `float64`;
//! nesting stops at [`MAX_DECODE_DEPTH`]. Both directions use explicit stacks, so hostile
//! depth cannot overflow the thread's stack.

use base64::Engine as _;
use std::fmt::Write as _;

use super::{Error, OpenDicts};
use crate::value::{Map, Value, format_float_v};

/// Go's `maxNestingDepth`, which bounds writing here.
pub const MAX_DEPTH: usize = 10_000;

/// How deep decoded JSON may nest. Go allows 10000 levels; values that deep overflow the
/// thread's stack in the template engine's recursive printing and dropping, so reading
/// stops at 1000 with Go's error (`invalid character '[' exceeded max depth`).
pub const MAX_DECODE_DEPTH: usize = 1_000;

/// How to write JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// Escape `<`, `>` and `&` (`json.Marshal`; off for `toRawJson`).
    pub escape_html: bool,
    /// Indent with two spaces per level (`json.MarshalIndent(v, "", "  ")`).
    pub indent: bool,
}

impl Format {
    /// `json.Marshal`: `toJson`, `mustToJson`.
    pub const COMPACT: Format = Format {
        escape_html: true,
        indent: false,
    };
    /// `json.MarshalIndent(v, "", "  ")`: `toPrettyJson`.
    pub const PRETTY: Format = Format {
        escape_html: true,
        indent: true,
    };
    /// An encoder with `SetEscapeHTML(false)`, its newline trimmed: `toRawJson`.
    pub const RAW: Format = Format {
        escape_html: false,
        indent: false,
    };
}

/// `json.Marshal(v)` (or its indented or raw variant).
pub fn marshal(value: &Value, format: Format) -> Result<String, Error> {
    let mut out = String::new();
    write_value(&mut out, value, format)?;
    Ok(out)
}

/// An open array or object: what is left of it, and whether an element was written.
enum Frame<'v> {
    List(std::slice::Iter<'v, Value>, bool),
    Map(std::collections::btree_map::Iter<'v, String, Value>, bool),
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_value(out: &mut String, value: &Value, format: Format) -> Result<(), Error> {
    write_nested(out, value, format, 0, &mut OpenDicts::default())
}

/// Writes `value` with an explicit stack of open containers. A Go struct (an
/// [`crate::value::Object`], whose data is made on demand) and a shared map (a
/// [`crate::Dict`], written from a copy so that no lock is held) recurse, on a grown stack
/// when deep; `open` catches a dict that holds itself.
fn write_nested(
    out: &mut String,
    value: &Value,
    format: Format,
    base: usize,
    open: &mut OpenDicts,
) -> Result<(), Error> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            let depth = base + stack.len();
            match value {
                Value::Nil => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(n) | Value::Int64(n) => {
                    let _ = write!(out, "{n}");
                }
                Value::Float(x) => write_float(out, *x)?,
                Value::String(s) => write_string(out, s, format.escape_html),
                Value::Bytes(bytes) => {
                    out.push('"');
                    base64::engine::general_purpose::STANDARD.encode_string(&**bytes, out);
                    out.push('"');
                }
                Value::List(items) if items.is_empty() => out.push_str("[]"),
                Value::Map(map) if map.is_empty() => out.push_str("{}"),
                Value::List(_) | Value::Map(_) if depth >= MAX_DEPTH => {
                    return Err(Error::TooDeep(MAX_DEPTH));
                }
                Value::List(items) => {
                    out.push('[');
                    stack.push(Frame::List(items.iter(), false));
                }
                Value::Map(map) => {
                    out.push('{');
                    stack.push(Frame::Map(map.iter(), false));
                }
                Value::Dict(dict) => open.within(dict, |open| {
                    let map = Value::map(dict.snapshot());
                    write_nested(out, &map, format, depth, open)
                })?,
                // `depth` is the indentation level too, which an object's data shares.
                Value::Object(object) => match object.json_fields() {
                    Some(fields) => write_struct(out, &fields, format, depth + 1, open)?,
                    None => write_nested(out, &object.data(), format, depth, open)?,
                },
            }
        }
        let depth = base + stack.len();
        let Some(frame) = stack.last_mut() else {
            return Ok(());
        };
        match frame {
            Frame::List(items, started) => match items.next() {
                Some(item) => {
                    if *started {
                        out.push(',');
                    }
                    *started = true;
                    if format.indent {
                        newline(out, depth);
                    }
                    next = Some(item);
                }
                None => {
                    stack.pop();
                    if format.indent {
                        newline(out, depth - 1);
                    }
                    out.push(']');
                }
            },
            Frame::Map(entries, started) => match entries.next() {
                Some((key, item)) => {
                    if *started {
                        out.push(',');
                    }
                    *started = true;
                    if format.indent {
                        newline(out, depth);
                    }
                    write_string(out, key, format.escape_html);
                    out.push(':');
                    if format.indent {
                        out.push(' ');
                    }
                    next = Some(item);
                }
                None => {
                    stack.pop();
                    if format.indent {
                        newline(out, depth - 1);
                    }
                    out.push('}');
                }
            },
        }
    }
}

/// A Go struct: its fields in declaration order.
fn write_struct(
    out: &mut String,
    fields: &[(String, Value)],
    format: Format,
    depth: usize,
    open: &mut OpenDicts,
) -> Result<(), Error> {
    if fields.is_empty() {
        out.push_str("{}");
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Err(Error::TooDeep(MAX_DEPTH));
    }
    out.push('{');
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if format.indent {
            newline(out, depth);
        }
        write_string(out, key, format.escape_html);
        out.push(':');
        if format.indent {
            out.push(' ');
        }
        write_nested(out, value, format, depth, open)?;
    }
    if format.indent {
        newline(out, depth - 1);
    }
    out.push('}');
    Ok(())
}

/// Go's float encoder: `%f`-style digits unless the exponent is below -6 or at least 21,
/// then `%e` with a one-digit negative exponent (`1e-7`).
fn write_float(out: &mut String, x: f64) -> Result<(), Error> {
    if !x.is_finite() {
        return Err(Error::UnsupportedValue(format_float_v(x)));
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{x:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        out.push_str(mantissa);
        out.push('e');
        match exponent.strip_prefix('-') {
            Some(digits) => {
                out.push('-');
                out.push_str(digits);
            }
            None => {
                out.push('+');
                if exponent.len() < 2 {
                    out.push('0');
                }
                out.push_str(exponent);
            }
        }
    } else {
        // Rust's `{}` prints the shortest digits that read back, never an exponent.
        let _ = write!(out, "{x}");
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A JSON string as Go writes it.
pub(crate) fn write_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{8}' => Some("\\b"),
            '\u{C}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            c if c < ' ' || (escape_html && matches!(c, '<' | '>' | '&')) => Some(""),
            '\u{2028}' => Some("\\u2028"),
            '\u{2029}' => Some("\\u2029"),
            _ => None,
        };
        let Some(escape) = escape else { continue };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let b = c as u8;
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

// --- reading ---------------------------------------------------------------------------

/// What Go decodes into: `interface{}` (`mustFromJson`), `map[string]interface{}`
/// (`fromJson`) or `[]interface{}` (`fromJsonArray`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Any,
    Map,
    List,
}

impl Target {
    fn go_type(self) -> &'static str {
        match self {
            Target::Any => "interface {}",
            Target::Map => "map[string]interface {}",
            Target::List => "[]interface {}",
        }
    }
}

/// `json.Unmarshal(text, &target)`: the value decoded and Go's error, if any. Like Go, a
/// number out of range is recorded and decoding goes on (that element is nil), and a
/// top-level value of the wrong kind leaves the target empty.
pub fn unmarshal(text: &str, target: Target) -> (Value, Option<Error>) {
    let empty = match target {
        Target::Any => Value::Nil,
        Target::Map => Value::map(Map::new()),
        Target::List => Value::list(Vec::new()),
    };
    if let Err(err) = check_valid(text.as_bytes()) {
        return (empty, Some(err));
    }
    let mut decoder = Decoder {
        text,
        pos: 0,
        error: None,
    };
    let value = decoder.value_tree();
    let kind = match &value {
        Value::Nil => return (empty, decoder.error),
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    };
    let fits = match target {
        Target::Any => true,
        Target::Map => kind == "object",
        Target::List => kind == "array",
    };
    if !fits {
        let error = Error::Json(format!(
            "json: cannot unmarshal {kind} into Go value of type {}",
            target.go_type()
        ));
        return (empty, Some(error));
    }
    (value, decoder.error)
}

/// Go's `quoteChar`: how its JSON errors show the offending byte.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        _ => {
            let ch = char::from(c);
            let body = match ch {
                '\u{7}' => "\\a".to_owned(),
                '\u{8}' => "\\b".to_owned(),
                '\u{C}' => "\\f".to_owned(),
                '\n' => "\\n".to_owned(),
                '\r' => "\\r".to_owned(),
                '\t' => "\\t".to_owned(),
                '\u{B}' => "\\v".to_owned(),
                '\\' => "\\\\".to_owned(),
                c if go_is_print(c) => c.to_string(),
                c if (c as u32) < 0x80 => format!("\\x{:02x}", c as u32),
                c => format!("\\u{:04x}", c as u32),
            };
            format!("'{body}'")
        }
    }
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
pub(crate) fn go_is_print(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    BeginValueOrEmpty,
    BeginValue,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    Literal(&'static [u8], usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

/// Go's JSON scanner (`checkValid`), for its exact errors.
struct Scanner {
    step: Scan,
    stack: Vec<Parse>,
    end_top: bool,
    error: Option<String>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl Scanner {
    fn fail(&mut self, c: u8, context: &str) {
        self.error = Some(format!("invalid character {} {context}", quote_char(c)));
    }

    fn push(&mut self, c: u8, state: Parse) {
        self.stack.push(state);
        if self.stack.len() > MAX_DECODE_DEPTH {
            self.fail(c, "exceeded max depth");
        }
    }

    fn pop(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.step = Scan::EndTop;
            self.end_top = true;
        } else {
            self.step = Scan::EndValue;
        }
    }

    fn begin_value(&mut self, c: u8) {
        if is_space(c) {
            return;
        }
        match c {
            b'{' => {
                self.step = Scan::BeginStringOrEmpty;
                self.push(c, Parse::ObjectKey);
            }
            b'[' => {
                self.step = Scan::BeginValueOrEmpty;
                self.push(c, Parse::ArrayValue);
            }
            b'"' => self.step = Scan::InString,
            b'-' => self.step = Scan::Neg,
            b'0' => self.step = Scan::Zero,
            b't' => self.step = Scan::Literal(b"true", 1),
            b'f' => self.step = Scan::Literal(b"false", 1),
            b'n' => self.step = Scan::Literal(b"null", 1),
            b'1'..=b'9' => self.step = Scan::One,
            _ => self.fail(c, "looking for beginning of value"),
        }
    }

    fn end_value(&mut self, c: u8) {
        let Some(&state) = self.stack.last() else {
            self.step = Scan::EndTop;
            self.end_top = true;
            self.end_top_step(c);
            return;
        };
        if is_space(c) {
            self.step = Scan::EndValue;
            return;
        }
        match state {
            Parse::ObjectKey if c == b':' => {
                if let Some(top) = self.stack.last_mut() {
                    *top = Parse::ObjectValue;
                }
                self.step = Scan::BeginValue;
            }
            Parse::ObjectKey => self.fail(c, "after object key"),
            Parse::ObjectValue if c == b',' => {
                if let Some(top) = self.stack.last_mut() {
                    *top = Parse::ObjectKey;
                }
                self.step = Scan::BeginString;
            }
            Parse::ObjectValue if c == b'}' => self.pop(),
            Parse::ObjectValue => self.fail(c, "after object key:value pair"),
            Parse::ArrayValue if c == b',' => self.step = Scan::BeginValue,
            Parse::ArrayValue if c == b']' => self.pop(),
            Parse::ArrayValue => self.fail(c, "after array element"),
        }
    }

    fn end_top_step(&mut self, c: u8) {
        if !is_space(c) {
            self.fail(c, "after top-level value");
        }
    }

    fn feed(&mut self, c: u8) {
        match self.step {
            Scan::BeginValueOrEmpty => {
                if is_space(c) {
                } else if c == b']' {
                    self.end_value(c);
                } else {
                    self.begin_value(c);
                }
            }
            Scan::BeginValue => self.begin_value(c),
            Scan::BeginStringOrEmpty => {
                if is_space(c) {
                } else if c == b'}' {
                    if let Some(top) = self.stack.last_mut() {
                        *top = Parse::ObjectValue;
                    }
                    self.end_value(c);
                } else {
                    self.begin_string(c);
                }
            }
            Scan::BeginString => self.begin_string(c),
            Scan::EndValue => self.end_value(c),
            Scan::EndTop => self.end_top_step(c),
            Scan::InString => match c {
                b'"' => self.step = Scan::EndValue,
                b'\\' => self.step = Scan::InStringEsc,
                c if c < 0x20 => self.fail(c, "in string literal"),
                _ => {}
            },
            Scan::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.step = Scan::InString;
                }
                b'u' => self.step = Scan::InStringEscU(0),
                _ => self.fail(c, "in string escape code"),
            },
            Scan::InStringEscU(n) => {
                if c.is_ascii_hexdigit() {
                    self.step = if n == 3 {
                        Scan::InString
                    } else {
                        Scan::InStringEscU(n + 1)
                    };
                } else {
                    self.fail(c, "in \\u hexadecimal character escape");
                }
            }
            Scan::Neg => match c {
                b'0' => self.step = Scan::Zero,
                b'1'..=b'9' => self.step = Scan::One,
                _ => self.fail(c, "in numeric literal"),
            },
            Scan::One if c.is_ascii_digit() => {}
            Scan::One | Scan::Zero => match c {
                b'.' => self.step = Scan::Dot,
                b'e' | b'E' => self.step = Scan::E,
                _ => self.end_value(c),
            },
            Scan::Dot => {
                if c.is_ascii_digit() {
                    self.step = Scan::Dot0;
                } else {
                    self.fail(c, "after decimal point in numeric literal");
                }
            }
            Scan::Dot0 => match c {
                b'0'..=b'9' => {}
                b'e' | b'E' => self.step = Scan::E,
                _ => self.end_value(c),
            },
            Scan::E if matches!(c, b'+' | b'-') => self.step = Scan::ESign,
            Scan::E | Scan::ESign => {
                if c.is_ascii_digit() {
                    self.step = Scan::E0;
                } else {
                    self.fail(c, "in exponent of numeric literal");
                }
            }
            Scan::E0 => {
                if !c.is_ascii_digit() {
                    self.end_value(c);
                }
            }
            Scan::Literal(word, i) => {
                if c == word[i] {
                    self.step = if i + 1 == word.len() {
                        Scan::EndValue
                    } else {
                        Scan::Literal(word, i + 1)
                    };
                } else {
                    let name = std::str::from_utf8(word).unwrap_or("");
                    let expecting = char::from(word[i]);
                    self.fail(c, &format!("in literal {name} (expecting '{expecting}')"));
                }
            }
        }
    }
}

impl Scanner {
    fn begin_string(&mut self, c: u8) {
        if is_space(c) {
            return;
        }
        if c == b'"' {
            self.step = Scan::InString;
        } else {
            self.fail(c, "looking for beginning of object key string");
        }
    }
}

/// Go's `checkValid`: the first syntax error, worded as Go words it.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), Error> {
    let mut scanner = Scanner {
        step: Scan::BeginValue,
        stack: Vec::new(),
        end_top: false,
        error: None,
    };
    for &c in data {
        scanner.feed(c);
        if let Some(error) = scanner.error.take() {
            return Err(Error::Json(error));
        }
    }
    if scanner.end_top {
        return Ok(());
    }
    scanner.feed(b' ');
    if let Some(error) = scanner.error.take() {
        return Err(Error::Json(error));
    }
    if scanner.end_top {
        Ok(())
    } else {
        Err(Error::Json("unexpected end of JSON input".to_owned()))
    }
}

/// Builds values from text that [`check_valid`] accepted.
struct Decoder<'a> {
    text: &'a str,
    pos: usize,
    error: Option<Error>,
}

/// A container being filled.
enum Open {
    List(Vec<Value>),
    Map(Map, Option<String>),
}

impl Decoder<'_> {
    fn skip_space(&mut self) {
        let b = self.text.as_bytes();
        while self.pos < b.len() && is_space(b[self.pos]) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> u8 {
        self.text.as_bytes().get(self.pos).copied().unwrap_or(0)
    }

    /// The whole (valid) document, built with an explicit stack of open containers.
    fn value_tree(&mut self) -> Value {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            self.skip_space();
            // Read one value, or open a container.
            let mut value = match self.peek() {
                b'{' => {
                    self.pos += 1;
                    self.skip_space();
                    if self.peek() == b'}' {
                        self.pos += 1;
                        Value::map(Map::new())
                    } else {
                        let key = self.string();
                        self.skip_space();
                        self.pos += 1; // ':'
                        stack.push(Open::Map(Map::new(), Some(key)));
                        continue;
                    }
                }
                b'[' => {
                    self.pos += 1;
                    self.skip_space();
                    if self.peek() == b']' {
                        self.pos += 1;
                        Value::list(Vec::new())
                    } else {
                        stack.push(Open::List(Vec::new()));
                        continue;
                    }
                }
                b'"' => Value::String(self.string().into()),
                b't' => {
                    self.pos += 4;
                    Value::Bool(true)
                }
                b'f' => {
                    self.pos += 5;
                    Value::Bool(false)
                }
                b'n' => {
                    self.pos += 4;
                    Value::Nil
                }
                _ => self.number(),
            };
            // Hand the value to its container; close containers that end here.
            loop {
                let Some(open) = stack.last_mut() else {
                    return value;
                };
                self.skip_space();
                let c = self.peek();
                self.pos += 1; // ',' or the closing bracket
                match open {
                    Open::List(items) => {
                        items.push(value);
                        if c == b',' {
                            break;
                        }
                    }
                    Open::Map(map, key) => {
                        if let Some(key) = key.take() {
                            map.insert(key, value);
                        }
                        if c == b',' {
                            self.skip_space();
                            *key = Some(self.string());
                            self.skip_space();
                            self.pos += 1; // ':'
                            break;
                        }
                    }
                }
                value = match stack.pop() {
                    Some(Open::List(items)) => Value::list(items),
                    Some(Open::Map(map, _)) => Value::map(map),
                    None => return Value::Nil,
                };
            }
        }
    }

    fn number(&mut self) -> Value {
        let b = self.text.as_bytes();
        let start = self.pos;
        while self.pos < b.len()
            && matches!(b[self.pos], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        {
            self.pos += 1;
        }
        let text = &self.text[start..self.pos];
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Value::Float(x),
            _ => {
                if self.error.is_none() {
                    self.error = Some(Error::Json(format!(
                        "json: cannot unmarshal number {text} into Go value of type float64"
                    )));
                }
                Value::Nil
            }
        }
    }

    /// A string at `pos` (which is at its opening quote), unescaped as Go does: a lone
    /// surrogate becomes U+FFFD.
    fn string(&mut self) -> String {
        let b = self.text.as_bytes();
        self.pos += 1;
        let mut out = String::new();
        let mut start = self.pos;
        while self.pos < b.len() {
            match b[self.pos] {
                b'"' => break,
                b'\\' => {
                    out.push_str(&self.text[start..self.pos]);
                    let escape = b.get(self.pos + 1).copied().unwrap_or(b'\\');
                    self.pos += 2;
                    match escape {
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{C}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let high = self.hex4();
                            if (0xD800..0xE000).contains(&high) {
                                let low = (b.get(self.pos) == Some(&b'\\')
                                    && b.get(self.pos + 1) == Some(&b'u'))
                                .then(|| {
                                    let saved = self.pos;
                                    self.pos += 2;
                                    let low = self.hex4();
                                    self.pos = saved;
                                    low
                                });
                                match low {
                                    Some(low)
                                        if high < 0xDC00 && (0xDC00..0xE000).contains(&low) =>
                                    {
                                        self.pos += 6;
                                        let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                    }
                                    _ => out.push('\u{FFFD}'),
                                }
                            } else {
                                out.push(char::from_u32(high).unwrap_or('\u{FFFD}'));
                            }
                        }
                        other => out.push(char::from(other)),
                    }
                    start = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        out.push_str(&self.text[start..self.pos.min(b.len())]);
        self.pos += 1;
        out
    }

    fn hex4(&mut self) -> u32 {
        let b = self.text.as_bytes();
        let mut n = 0;
        for _ in 0..4 {
            let d = b
                .get(self.pos)
                .and_then(|c| char::from(*c).to_digit(16))
                .unwrap_or(0);
            n = n * 16 + d;
            self.pos += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(v: &Value) -> String {
        marshal(v, Format::COMPACT).unwrap_or_else(|e| panic!("{e}"))
    }

    // Expected texts are Go's `json.Marshal` output as `toJson` printed it in helm.
    #[test]
    fn writes_as_encoding_json() {
        let cases: Vec<(Value, &str)> = vec![
            (Value::Float(1e6), "1000000"),
            (Value::Float(1e21), "1e+21"),
            (Value::Float(1e20), "100000000000000000000"),
            (Value::Float(1e-6), "0.000001"),
            (Value::Float(1e-7), "1e-7"),
            (Value::Float(1.5e-7), "1.5e-7"),
            (Value::Float(-0.0), "-0"),
            (Value::Float(9223372036854775807.0), "9223372036854776000"),
            (Value::Int(3), "3"),
            (
                Value::from("<>&\u{2028}\u{2029}\u{1}\u{7f}\t\u{8}\u{c}\"\\é😀"),
                "\"\\u003c\\u003e\\u0026\\u2028\\u2029\\u0001\u{7f}\\t\\b\\f\\\"\\\\é😀\"",
            ),
            (Value::Bytes(std::sync::Arc::from(&b"hi"[..])), r#""aGk=""#),
            (Value::list(vec![]), "[]"),
            (Value::map(Map::new()), "{}"),
        ];
        for (value, expected) in cases {
            assert_eq!(compact(&value), expected, "{value:?}");
        }
        let raw = marshal(&Value::from("<a&b>"), Format::RAW).ok();
        assert_eq!(raw.as_deref(), Some(r#""<a&b>""#));
        let mut m = Map::new();
        m.insert(
            "b".into(),
            Value::list(vec![Value::Float(1.0), Value::map(Map::new())]),
        );
        m.insert("a".into(), Value::list(vec![]));
        assert_eq!(
            marshal(&Value::map(m), Format::PRETTY).ok().as_deref(),
            Some("{\n  \"a\": [],\n  \"b\": [\n    1,\n    {}\n  ]\n}")
        );
        assert_eq!(
            marshal(&Value::Float(f64::INFINITY), Format::COMPACT),
            Err(Error::UnsupportedValue("+Inf".into()))
        );
    }

    // Go's messages for invalid input, as `fromJson` showed them in helm.
    #[test]
    fn reads_and_fails_as_encoding_json() {
        let error = |text: &str, target| unmarshal(text, target).1.map(|e| e.to_string());
        let cases: &[(&str, &str)] = &[
            ("", "unexpected end of JSON input"),
            (
                "{a: 1}",
                "invalid character 'a' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "{\"a\": 1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                "{\"a\": 01}",
                "invalid character '1' after object key:value pair",
            ),
            (
                "tr",
                "invalid character ' ' in literal true (expecting 'u')",
            ),
            (
                "1.",
                "invalid character ' ' after decimal point in numeric literal",
            ),
            ("-", "invalid character ' ' in numeric literal"),
            (
                "{\"a\": 1} x",
                "invalid character 'x' after top-level value",
            ),
            ("\"\\x\"", "invalid character 'x' in string escape code"),
            ("\"tab\there\"", "invalid character '\\t' in string literal"),
            (
                "'a'",
                "invalid character '\\'' looking for beginning of value",
            ),
            ("é", "invalid character 'Ã' looking for beginning of value"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                error(text, Target::Any).as_deref(),
                Some(*expected),
                "{text:?}"
            );
        }
        assert_eq!(
            error("[1]", Target::Map).as_deref(),
            Some("json: cannot unmarshal array into Go value of type map[string]interface {}")
        );
        assert_eq!(
            error("{}", Target::List).as_deref(),
            Some("json: cannot unmarshal object into Go value of type []interface {}")
        );
        // A number out of range is recorded; the rest still decodes.
        let (value, err) = unmarshal(
            r#"{"a": 1e400, "b": [2, "\ud83d\ude00\ud83d"]}"#,
            Target::Map,
        );
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("json: cannot unmarshal number 1e400 into Go value of type float64")
        );
        assert_eq!(compact(&value), r#"{"a":null,"b":[2,"😀�"]}"#);
    }

    #[test]
    fn hostile_depth_is_an_error() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(unmarshal(&deep(MAX_DECODE_DEPTH), Target::Any).1.is_none());
        assert_eq!(
            unmarshal(&deep(MAX_DECODE_DEPTH + 1), Target::Any).1,
            Some(Error::Json(
                "invalid character '[' exceeded max depth".into()
            ))
        );
        let mut value = Value::Nil;
        for _ in 0..=MAX_DEPTH {
            value = Value::list(vec![value]);
        }
        assert_eq!(
            marshal(&value, Format::COMPACT),
            Err(Error::TooDeep(MAX_DEPTH))
        );
        // Dropping a value this deep recurses (Value's own drop); tests leak it instead.
        std::mem::forget(value);
    }
}
