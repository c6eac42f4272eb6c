//! The `--set` family of flags (`a.b[0]=x,c={1,2}`), parsed with Helm's `strvals` rules.
//!
//! One grammar, five ways to turn the text after `=` into a value:
//! - `--set`: type inference (`true`/`false`/`null` in any case, `0`, int64 without leading
//!   zeros; everything else, floats and overflowing integers included, stays a string);
//! - `--set-string`: always a string;
//! - `--set-json`: one JSON value (an empty value is `null`);
//! - `--set-file`: the contents of the named file;
//! - `--set-literal`: the rest of the argument verbatim (no escapes, commas or `{}` lists).
//!
//! Keys: `.` nests maps (at most 30 levels), `[N]` indexes lists (0..=65536, padding with
//! `null`; maps and lists together nest at most [`MAX_DEPTH`] deep), `\` escapes the next character (`a\.b`, `c\,d`, `e\=f`), `key={a,b}` is a list.
//! Values are written into an existing map, so later flags overwrite earlier ones while
//! sibling keys survive; the parse errors name the part of the argument that is wrong.

use serde_json::{Map, Value};

use crate::quote::{quoted, short};
use crate::yaml::MAX_DEPTH;

/// Helm's cap on list indexes (`MaxIndex`), so `a[999999999]=1` cannot exhaust memory.
pub const MAX_INDEX: i64 = 65536;
/// Helm's cap on `a.b.c...` nesting (`MaxNestedNameLevel`).
pub const MAX_NESTING: usize = 30;

/// Which flag an argument came from: it decides how values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Set,
    String,
    Json,
    File,
    Literal,
}

impl Kind {
    pub fn flag(self) -> &'static str {
        match self {
            Kind::Set => "--set",
            Kind::String => "--set-string",
            Kind::Json => "--set-json",
            Kind::File => "--set-file",
            Kind::Literal => "--set-literal",
        }
    }
}

/// Reads the file a `--set-file` value names, returning its text or a message.
pub type FileReader<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

/// Parses one flag argument and writes its values into `dest`.
///
/// The error is the bare message (`key "a" has no value`); the caller adds the flag and
/// the argument.
pub fn parse_into(
    kind: Kind,
    arg: &str,
    dest: &mut Map<String, Value>,
    read_file: &mut FileReader<'_>,
) -> Result<(), String> {
    let mut parser = Parser {
        input: arg.chars().collect(),
        pos: 0,
        kind,
        read_file,
    };
    while parser.key(dest, 0, 1)? == Flow::More {}
    Ok(())
}

/// Whether parsing goes on after a key (`More`) or the input is used up (`End`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    More,
    End,
}

struct Parser<'a, 'r> {
    input: Vec<char>,
    pos: usize,
    kind: Kind,
    read_file: &'a mut FileReader<'r>,
}

/// What the first character of a value says about it.
enum ValueStart {
    End,
    List(Vec<Value>),
    Scalar,
}

impl Parser<'_, '_> {
    fn escapes(&self) -> bool {
        self.kind != Kind::Literal
    }

    /// Reads up to (and consumes) the first character in `stop`, honouring `\` escapes.
    /// Returns the text before it and the stop character, or `None` at the end of input.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut text = String::new();
        while let Some(&c) = self.input.get(self.pos) {
            self.pos += 1;
            if stop.contains(&c) {
                return (text, Some(c));
            }
            if c == '\\' && self.escapes() {
                match self.input.get(self.pos) {
                    Some(&next) => {
                        self.pos += 1;
                        text.push(next);
                    }
                    None => return (text, None),
                }
            } else {
                text.push(c);
            }
        }
        (text, None)
    }

    /// Reads `key...` into `data`, a map `level` names deep (for Helm's name limit) and
    /// `depth` maps and lists deep (for [`crate::yaml::MAX_DEPTH`]).
    fn key(
        &mut self,
        data: &mut Map<String, Value>,
        level: usize,
        depth: usize,
    ) -> Result<Flow, String> {
        let stop: &[char] = if self.kind == Kind::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (key, last) = self.until(stop);
        match last {
            None if key.is_empty() => Ok(Flow::End),
            None => Err(format!("key {} has no value", quoted(&key))),
            Some('[') => {
                let index = self.index()?;
                let list = match data.get_mut(&key) {
                    None => Vec::new(),
                    Some(Value::Array(list)) => std::mem::take(list),
                    Some(other) => return Err(not_a("list", &key, other)),
                };
                let (list, flow) = self.list_item(list, index, level, nested(depth)?)?;
                set(data, key, Value::Array(list));
                Ok(flow)
            }
            Some('=') => {
                let (value, flow) = self.value()?;
                set(data, key, value);
                Ok(flow)
            }
            Some(',') => Err(format!(
                "key {} has no value (cannot end with ,)",
                quoted(&key)
            )),
            Some(_) => {
                let level = level + 1;
                if level > MAX_NESTING {
                    return Err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTING}"
                    ));
                }
                let mut inner = match data.get_mut(&key) {
                    None => Map::new(),
                    Some(Value::Object(map)) => std::mem::take(map),
                    Some(other) => return Err(not_a("map", &key, other)),
                };
                let flow = self.key(&mut inner, level, nested(depth)?)?;
                if inner.is_empty() {
                    // `a.` at the very end sets nothing, as in Helm; `a.=1` is an error.
                    if flow == Flow::End {
                        return Ok(Flow::End);
                    }
                    return Err(format!("key map {} has no value", quoted(&key)));
                }
                set(data, key, Value::Object(inner));
                Ok(flow)
            }
        }
    }

    /// The `N]` after a `[`.
    fn index(&mut self) -> Result<i64, String> {
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return Err(format!(
                "error parsing index: `[{}` has no closing `]`",
                short(&text)
            ));
        }
        text.parse::<i64>()
            .map_err(|_| format!("error parsing index: `{}` is not an integer", short(&text)))
    }

    /// What follows `key[index]`: `=value`, `.key...` or another `[index]`.
    /// `list` is `depth` maps and lists deep.
    fn list_item(
        &mut self,
        mut list: Vec<Value>,
        index: i64,
        level: usize,
        depth: usize,
    ) -> Result<(Vec<Value>, Flow), String> {
        if index < 0 {
            return Err(format!("negative {index} index not allowed"));
        }
        let (extra, last) = self.until(&['[', '.', '=']);
        if !extra.is_empty() {
            return Err(format!(
                "unexpected data at end of array index: {}",
                quoted(&extra)
            ));
        }
        match last {
            // `a[0]` with nothing after it: Helm keeps the (possibly new, empty) list.
            None => Ok((list, Flow::End)),
            Some('=') => {
                // Unlike `key=` at the end, `key[0]=` at the end goes on (to find nothing).
                let (value, _) = self.value()?;
                set_index(&mut list, index, value)?;
                Ok((list, Flow::More))
            }
            Some('[') => {
                let next = self.index()?;
                let inner = match usize::try_from(index).ok().and_then(|i| list.get_mut(i)) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(inner)) => std::mem::take(inner),
                    Some(other) => return Err(not_a("list", &format!("[{index}]"), other)),
                };
                let (inner, flow) = self.list_item(inner, next, level, nested(depth)?)?;
                set_index(&mut list, index, Value::Array(inner))?;
                Ok((list, flow))
            }
            Some(_) => {
                // Anything but a map at that index is replaced by a new map, as in Helm.
                let mut inner = match usize::try_from(index).ok().and_then(|i| list.get_mut(i)) {
                    Some(Value::Object(map)) => std::mem::take(map),
                    _ => Map::new(),
                };
                let flow = self.key(&mut inner, level, nested(depth)?)?;
                set_index(&mut list, index, Value::Object(inner))?;
                Ok((list, flow))
            }
        }
    }

    /// The value after `=`, read as this flag reads values.
    fn value(&mut self) -> Result<(Value, Flow), String> {
        match self.kind {
            Kind::Literal => {
                let rest: String = self.input[self.pos..].iter().collect();
                self.pos = self.input.len();
                Ok((Value::String(rest), Flow::More))
            }
            Kind::Json => self.json_value(),
            Kind::Set | Kind::String | Kind::File => match self.value_start()? {
                ValueStart::End => Ok((Value::String(String::new()), Flow::End)),
                ValueStart::List(list) => Ok((Value::Array(list), Flow::More)),
                ValueStart::Scalar => {
                    let (text, _) = self.until(&[',']);
                    Ok((self.scalar(&text)?, Flow::More))
                }
            },
        }
    }

    /// Checks for the end of input or a `{a,b}` list literal.
    fn value_start(&mut self) -> Result<ValueStart, String> {
        match self.input.get(self.pos) {
            None => Ok(ValueStart::End),
            Some('{') => {
                self.pos += 1;
                let mut list = Vec::new();
                loop {
                    let (text, last) = self.until(&[',', '}']);
                    match last {
                        None => return Err("list must terminate with '}'".to_owned()),
                        Some('}') => {
                            if self.input.get(self.pos) == Some(&',') {
                                self.pos += 1;
                            }
                            list.push(self.scalar(&text)?);
                            return Ok(ValueStart::List(list));
                        }
                        Some(_) => list.push(self.scalar(&text)?),
                    }
                }
            }
            Some(_) => Ok(ValueStart::Scalar),
        }
    }

    fn scalar(&mut self, text: &str) -> Result<Value, String> {
        match self.kind {
            Kind::Set => Ok(typed_value(text)),
            Kind::File => (self.read_file)(text).map(Value::String),
            Kind::String | Kind::Json | Kind::Literal => Ok(Value::String(text.to_owned())),
        }
    }

    /// `--set-json`: one JSON value, then optional blanks and a comma. Empty means `null`.
    fn json_value(&mut self) -> Result<(Value, Flow), String> {
        if self.skip_blank_and_comma() {
            return Ok((Value::Null, Flow::More));
        }
        let rest: String = self.input[self.pos..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(value)) => value,
            Some(Err(err)) => return Err(format!("invalid JSON value: {err}")),
            None => return Ok((Value::Null, Flow::More)),
        };
        self.pos += rest[..stream.byte_offset()].chars().count();
        self.skip_blank_and_comma();
        Ok((super::values::numbers_as_float64(value), Flow::More))
    }

    /// Skips blanks and one comma: whether the value was empty (a comma or the end came
    /// before anything else, which is left unread).
    fn skip_blank_and_comma(&mut self) -> bool {
        while let Some(&c) = self.input.get(self.pos) {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }
}

/// The depth of a map or list inside one at `depth`, within the limit every reader keeps
/// (Helm has none for list indexes; `a[0][0]...` 30000 times overflowed the stack).
fn nested(depth: usize) -> Result<usize, String> {
    if depth >= MAX_DEPTH {
        return Err(format!(
            "maps and lists nest deeper than the limit of {MAX_DEPTH} levels"
        ));
    }
    Ok(depth + 1)
}

/// Helm's `typedVal`: the type `--set` gives a value.
pub fn typed_value(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0_i64);
    }
    // Leading zeros keep a value a string (`007`, `0x10`); floats stay strings too.
    if !text.starts_with('0')
        && let Ok(number) = text.parse::<i64>()
    {
        return Value::from(number);
    }
    Value::String(text.to_owned())
}

/// Sets a key, except the empty key, which Helm silently drops (`=1`, `.a=1`).
fn set(data: &mut Map<String, Value>, key: String, value: Value) {
    if !key.is_empty() {
        data.insert(key, value);
    }
}

fn set_index(list: &mut Vec<Value>, index: i64, value: Value) -> Result<(), String> {
    if index < 0 {
        return Err(format!("negative {index} index not allowed"));
    }
    if index > MAX_INDEX {
        return Err(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
    }
    let index = usize::try_from(index).map_err(|_| format!("index {index} is out of range"))?;
    if list.len() <= index {
        list.resize(index + 1, Value::Null);
    }
    list[index] = value;
    Ok(())
}

fn not_a(wanted: &str, key: &str, found: &Value) -> String {
    format!(
        "unable to parse key: `{}` is {}, not a {wanted}",
        short(key),
        describe(found)
    )
}

/// "a string", "an integer"...: the type of a value, for messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}
