//! `toToml` and `fromToml` as Helm runs them with `BurntSushi/toml` (v1.6).
//!
//! Writing follows that encoder's layout: in each table the keys whose values are not
//! tables come first, then sub-tables (`[a.b]`, indented two spaces per level below the
//! top) and arrays of tables (`[[a]]`), each group sorted by bytes; `nil` values are left
//! out; floats always show a decimal point or exponent (`1.0`, `1e+06`); arrays and maps
//! inside arrays are written inline. Reading uses the `toml` crate; integers become
//! `int64`, floats `float64` and datetimes Go `time.Time` values.

use std::fmt::Write as _;

use super::Error;
use crate::sprig::{GoDuration, GoTime, format_duration};
use crate::value::{Map, Object, Value, format_float_v};

/// Deeper than this, writing fails instead of recursing.
const MAX_DEPTH: usize = 1_000;

/// `toml.NewEncoder(w).Encode(v)`: the document (Helm's `toToml` returns it as is, or the
/// error's text).
pub fn marshal(value: &Value) -> Result<String, Error> {
    let mut enc = Encoder {
        out: String::new(),
        written: false,
    };
    match value {
        // A nil interface makes the encoder panic in reflection, not return an error.
        Value::Nil => {
            return Err(Error::Toml(
                "reflect: call of reflect.Value.Type on zero Value".to_owned(),
            ));
        }
        Value::Object(object) => return marshal(&object.data()),
        Value::Map(map) => enc.map(&mut Vec::new(), map, 0)?,
        Value::Dict(dict) => enc.map(&mut Vec::new(), &dict.snapshot(), 0)?,
        Value::List(items) if is_table_array(items)? => {
            return Err(Error::Toml(
                "toml: top-level values must be Go maps or structs".to_owned(),
            ));
        }
        other => enc.element(other, 0)?,
    }
    Ok(enc.out)
}

struct Encoder {
    out: String,
    written: bool,
}

/// How BurntSushi's encoder, which reads Go values directly rather than through JSON,
/// writes Sprig's Go types where that differs from their JSON form ([`Object::data`]).
enum TomlForm {
    /// `time.Time`: a bare TOML datetime (RFC 3339, as JSON has it, but unquoted), or
    /// the local datetime, date or time it was read from.
    Datetime(String),
    /// `time.Duration`: its quoted `String()` text (JSON: nanoseconds).
    Value(Value),
}

fn toml_form(object: &dyn Object) -> Option<TomlForm> {
    let any = object.as_any()?;
    if let Some(time) = any.downcast_ref::<GoTime>() {
        let text = match time.location_name().as_str() {
            "datetime-local" => time.format("2006-01-02T15:04:05.999999999"),
            "date-local" => time.format("2006-01-02"),
            "time-local" => time.format("15:04:05.999999999"),
            _ => time.format("2006-01-02T15:04:05.999999999Z07:00"),
        };
        return Some(TomlForm::Datetime(text));
    }
    any.downcast_ref::<GoDuration>()
        .map(|d| TomlForm::Value(format_duration(d.0).into()))
}

/// Whether a value is a TOML table (a map or Go struct).
fn is_table(value: &Value) -> bool {
    match value {
        Value::Map(_) | Value::Dict(_) => true,
        Value::Object(object) => is_table(&object.data()),
        _ => false,
    }
}

/// `isTableArray`: a non-empty array whose elements are all tables; a nil element is an
/// error wherever the encoder looks at an array's type.
fn is_table_array(items: &[Value]) -> Result<bool, Error> {
    if items.iter().any(Value::is_nil) {
        return Err(Error::Toml(
            "toml: cannot encode array with nil element".to_owned(),
        ));
    }
    Ok(!items.is_empty() && items.iter().all(is_table))
}

/// Whether a map value goes into a sub-table section rather than a `key = value` line.
fn is_section(value: &Value) -> Result<bool, Error> {
    Ok(match value {
        Value::Map(_) | Value::Dict(_) => true,
        Value::List(items) => is_table_array(items)?,
        Value::Object(object) => is_section(&object.data())?,
        _ => false,
    })
}

fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The encoder's `dblQuotedReplacer`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key_part(key: &str) -> String {
    if key.is_empty() {
        "\"\"".to_owned()
    } else if is_bare(key) {
        key.to_owned()
    } else {
        quote(key)
    }
}

fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// `floatAddDecimal(strconv.FormatFloat(f, 'g', -1, 64))`, and TOML's `nan`/`inf`.
fn float(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_owned();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    let text = format_float_v(x);
    if text.contains(['.', 'e']) {
        text
    } else {
        text + ".0"
    }
}

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }

    fn newline(&mut self) {
        if self.written {
            self.write("\n");
        }
    }

    fn indent(&mut self, path: &[String]) {
        for _ in 1..path.len() {
            self.write("  ");
        }
    }

    /// A table's contents: `key = value` lines, then its sections.
    fn map(&mut self, path: &mut Vec<String>, map: &Map, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep(MAX_DEPTH));
        }
        let mut direct = Vec::new();
        let mut sections = Vec::new();
        for (key, value) in map {
            if is_section(value)? {
                sections.push((key, value));
            } else {
                direct.push((key, value));
            }
        }
        for (key, value) in direct.into_iter().chain(sections) {
            path.push(key.clone());
            self.encode(path, value, depth)?;
            path.pop();
        }
        Ok(())
    }

    /// `enc.encode(key, value)` for a value under a key. Nested tables recurse through
    /// here, on a grown stack when deep.
    fn encode(&mut self, path: &mut Vec<String>, value: &Value, depth: usize) -> Result<(), Error> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.encode_inner(path, value, depth)
        })
    }

    fn encode_inner(
        &mut self,
        path: &mut Vec<String>,
        value: &Value,
        depth: usize,
    ) -> Result<(), Error> {
        match value {
            Value::Nil => {}
            Value::Object(object)
                if !matches!(toml_form(&**object), Some(TomlForm::Datetime(_))) =>
            {
                match toml_form(&**object) {
                    Some(TomlForm::Value(form)) => self.encode(path, &form, depth + 1)?,
                    _ => self.encode(path, &object.data(), depth + 1)?,
                }
            }
            Value::Map(_) | Value::Dict(_) => {
                if path.len() == 1 {
                    self.newline();
                }
                self.indent(path);
                let header = format!("[{}]", dotted(path));
                self.write(&header);
                self.newline();
                match value {
                    Value::Dict(dict) => self.map(path, &dict.snapshot(), depth + 1)?,
                    _ => self.map(path, value.as_map().unwrap_or(&Map::new()), depth + 1)?,
                }
            }
            Value::List(items) if is_table_array(items)? => {
                for item in items.iter() {
                    self.newline();
                    self.indent(path);
                    let header = format!("[[{}]]", dotted(path));
                    self.write(&header);
                    self.newline();
                    let data;
                    let item = match item {
                        Value::Object(object) => {
                            data = object.data();
                            &data
                        }
                        other => other,
                    };
                    let Some(map) = item.map_ref().map(|m| m.clone()) else {
                        continue;
                    };
                    self.map(path, &map, depth + 1)?;
                }
            }
            other => {
                self.indent(path);
                let key = path.last().map(|k| key_part(k)).unwrap_or_default();
                self.write(&key);
                self.write(" = ");
                self.element(other, depth + 1)?;
                self.newline();
            }
        }
        Ok(())
    }

    /// `eElement`: a value written inline (nested arrays and inline tables recurse through
    /// here, on a grown stack when deep).
    fn element(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.element_inner(value, depth))
    }

    fn element_inner(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep(MAX_DEPTH));
        }
        match value {
            Value::Nil => {
                return Err(Error::Toml(
                    "toml: cannot encode array with nil element".to_owned(),
                ));
            }
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(n) | Value::Int64(n) => self.write(&n.to_string()),
            Value::Float(x) => self.write(&float(*x)),
            Value::String(s) => self.write(&quote(s)),
            Value::Bytes(bytes) => {
                let items: Vec<String> = bytes.iter().map(u8::to_string).collect();
                self.write(&format!("[{}]", items.join(", ")));
            }
            Value::List(items) => {
                // Its type is looked at first, which rejects nil elements.
                is_table_array(items)?;
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    self.element(item, depth + 1)?;
                    if i + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Value::Map(map) => self.inline_map(map, depth)?,
            Value::Dict(dict) => self.inline_map(&dict.snapshot(), depth)?,
            Value::Object(object) => match toml_form(&**object) {
                Some(TomlForm::Datetime(text)) => self.write(&text),
                Some(TomlForm::Value(form)) => self.element(&form, depth + 1)?,
                None => self.element(&object.data(), depth + 1)?,
            },
        }
        Ok(())
    }

    /// `eMap(nil, rv, true)`: `{k = v, ...}`, with the encoder's own comma rule (a comma
    /// after the last plain key when sub-tables follow, even if a nil was left out).
    fn inline_map(&mut self, map: &Map, depth: usize) -> Result<(), Error> {
        let mut direct = Vec::new();
        let mut sections = Vec::new();
        for (key, value) in map {
            if is_section(value)? {
                sections.push((key, value));
            } else {
                direct.push((key, value));
            }
        }
        self.write("{");
        let trailing = !sections.is_empty();
        for (group, trailing) in [(direct, trailing), (sections, false)] {
            let n = group.len();
            for (i, (key, value)) in group.into_iter().enumerate() {
                if value.is_nil() {
                    continue;
                }
                self.write(&key_part(key));
                self.write(" = ");
                self.element(value, depth + 1)?;
                if trailing || i + 1 != n {
                    self.write(", ");
                }
            }
        }
        self.write("}");
        Ok(())
    }
}

// --- reading -------------------------------------------------------------------------------

/// `toml.Unmarshal(text, &map)`: the table, or the parser's error as
/// `toml: line N: message`, worded as BurntSushi/toml words a duplicate key (other
/// messages are the `toml` crate's).
pub fn unmarshal(text: &str) -> Result<Map, Error> {
    let table: toml::Table = toml::from_str(text).map_err(|err| {
        let start = err.span().map_or(0, |span| span.start.min(text.len()));
        let line = text[..start].matches('\n').count() + 1;
        let message = err.message().lines().next().unwrap_or("invalid TOML");
        if message == "duplicate key" {
            return duplicate_key(text, start, line);
        }
        Error::Toml(format!("toml: line {line}: {message}"))
    })?;
    Ok(table_to_map(&table))
}

/// BurntSushi/toml's duplicate-key error, naming the full key (and, for a `key = value`
/// line, giving it as the "last key" too).
fn duplicate_key(text: &str, start: usize, line: usize) -> Error {
    let rest = &text[start..];
    let key: String = match rest.strip_prefix(['"', '\'']) {
        Some(quoted) => quoted
            .chars()
            .take_while(|c| !matches!(c, '"' | '\''))
            .collect(),
        None => rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .collect(),
    };
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_text = text[line_start..].lines().next().unwrap_or_default().trim();
    if line_text.starts_with('[') {
        let header = line_text.trim_matches(['[', ']']).trim();
        return Error::Toml(format!(
            "toml: line {line}: Key '{header}' has already been defined."
        ));
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .find_map(|l| {
            let l = l.trim();
            l.starts_with('[')
                .then(|| l.trim_matches(['[', ']']).trim().to_owned())
        })
        .unwrap_or_default();
    let last_key = if table.is_empty() {
        key.clone()
    } else {
        format!("{table}.{key}")
    };
    Error::Toml(format!(
        "toml: line {line} (last key {}): Key '{last_key}' has already been defined.",
        super::yaml::go_quote(&last_key)
    ))
}

fn table_to_map(table: &toml::Table) -> Map {
    table
        .iter()
        .map(|(k, v)| (k.clone(), toml_value(v)))
        .collect()
}

fn toml_value(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.as_str().into()),
        toml::Value::Integer(n) => Value::Int64(*n),
        toml::Value::Float(x) => Value::Float(*x),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(dt) => datetime(dt).into_value(),
        toml::Value::Array(items) => Value::list(items.iter().map(toml_value).collect()),
        toml::Value::Table(table) => Value::map(table_to_map(table)),
    }
}

/// A TOML datetime as the Go `time.Time` BurntSushi/toml gives (the same type as Sprig's
/// date functions make and take): an offset of `Z` is UTC, another offset a fixed zone
/// named after it (`+09:00` prints `+0900 +0900`), and local datetimes, dates and times
/// are in that library's `datetime-local`, `date-local` and `time-local` zones.
fn datetime(dt: &toml::value::Datetime) -> GoTime {
    let (year, month, day) = dt
        .date
        .map_or((0, 1, 1), |d| (i64::from(d.year), d.month, d.day));
    let (hour, minute, second, nanos) = dt
        .time
        .map_or((0, 0, 0, 0), |t| (t.hour, t.minute, t.second, t.nanosecond));
    let (offset_minutes, zone) = match dt.offset {
        Some(toml::value::Offset::Z) => (0, "UTC".to_owned()),
        Some(toml::value::Offset::Custom { minutes }) => {
            (i32::from(minutes), offset_text(i32::from(minutes)))
        }
        None => {
            let zone = match (dt.date.is_some(), dt.time.is_some()) {
                (true, true) => "datetime-local",
                (true, false) => "date-local",
                _ => "time-local",
            };
            (0, zone.to_owned())
        }
    };
    GoTime::from_civil(
        year,
        i64::from(month),
        i64::from(day),
        i64::from(hour),
        i64::from(minute),
        i64::from(second),
        nanos,
        offset_minutes * 60,
        &zone,
    )
}

/// Go's name for a zone it only knows by offset: `+0900`.
fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    // Expected texts are what `toToml` printed in helm for the same values.
    #[test]
    fn writes_as_burntsushi_toml() {
        let value = map(&[
            ("z", Value::from("last")),
            ("a", Value::Float(1.0)),
            ("big", Value::Float(1e6)),
            ("n", Value::Int64(3)),
            ("skip", Value::Nil),
            (
                "t",
                map(&[
                    ("x", Value::Float(1.5)),
                    ("sub", map(&[("y", Value::from("a\"b\u{1}"))])),
                ]),
            ),
            (
                "arr",
                Value::list(vec![
                    map(&[("k", Value::Bool(true))]),
                    map(&[("k", Value::Bool(false))]),
                ]),
            ),
            (
                "mixed",
                Value::list(vec![
                    Value::Float(2.0),
                    map(&[("a b", Value::Nil), ("c", Value::list(vec![]))]),
                ]),
            ),
        ]);
        assert_eq!(
            marshal(&value).as_deref(),
            Ok(
                "a = 1.0\nbig = 1e+06\nmixed = [2.0, {c = []}]\nn = 3\nz = \"last\"\n\n[[arr]]\n  k = true\n\n[[arr]]\n  k = false\n\n[t]\n  x = 1.5\n  [t.sub]\n    y = \"a\\\"b\\u0001\"\n"
            )
        );
        assert_eq!(marshal(&Value::from("s")).as_deref(), Ok("\"s\""));
        assert!(marshal(&Value::Nil).is_err());
        assert_eq!(
            marshal(&Value::list(vec![map(&[])])),
            Err(Error::Toml(
                "toml: top-level values must be Go maps or structs".into()
            ))
        );
    }

    #[test]
    fn reads_go_types_and_duplicate_key_errors() {
        let table = unmarshal("a = 1\nb = 1.5\n[t]\nd = 1979-05-27T07:32:00Z").unwrap_or_default();
        assert_eq!(
            table.get("a").map(Value::type_name).as_deref(),
            Some("int64")
        );
        assert_eq!(table.get("b"), Some(&Value::Float(1.5)));
        let d = table
            .get("t")
            .and_then(Value::as_map)
            .and_then(|t| t.get("d"))
            .cloned();
        assert_eq!(
            d.map(|d| d.to_string()).as_deref(),
            Some("1979-05-27 07:32:00 +0000 UTC")
        );
        assert_eq!(
            unmarshal("[t]\nx = 1\ny = 2\nx = 3").err(),
            Some(Error::Toml(
                "toml: line 4 (last key \"t.x\"): Key 't.x' has already been defined.".into()
            ))
        );
        assert!(unmarshal(&format!("a = {}1{}", "[".repeat(5000), "]".repeat(5000))).is_err());
    }
}
