//! Values files (`values.yaml`, `-f FILE`) read the way Helm reads them.
//!
//! Helm parses values with `sigs.k8s.io/yaml`, which resolves plain scalars by YAML 1.1
//! rules (go-yaml v2) and then round-trips everything through JSON. A YAML 1.2 parser would
//! disagree on things users write every day, so plain scalars are resolved here as go-yaml
//! v2 does:
//! - `y`, `yes`, `on`, `true` (and `Y`, `Yes`, `YES`, `On`, `ON`, `True`, `TRUE`) are `true`;
//!   the `n`/`no`/`off`/`false` family is `false`; `~`, `null`, `Null`, `NULL` and empty
//!   are `null`: for keys too (`yes: 1` is the key `"true"`);
//! - integers in Go syntax: `0x1F`, `0o17`, `0b101`, `017` (octal), `1_000`, `+5`;
//! - floats: `1e3`, `.5`, `08`; in values every number ends up a Go `float64`, kept as an
//!   `f64` JSON number (see [`super::values`]); `.inf` and `.nan` are errors, because JSON
//!   cannot hold them. [`parse_typed`] keeps go-yaml's own types instead (ints stay ints),
//!   for files decoded into Go structs such as `Chart.yaml`;
//! - timestamps stay strings; quoted scalars and block scalars are always strings;
//! - anchors, aliases and `<<` merge keys work; a later duplicate key wins;
//! - several documents (`---`) in one file are merged in order, as Helm's `LoadValues` does;
//! - nesting and alias expansion are bounded as in every YAML reader ([`crate::yaml`]).

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::values::merge_maps;
use crate::yaml::{self, MAX_ALIAS_NODES, MAX_DEPTH};

/// A parse error with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

/// How numbers come out of the parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// Every number a Go `float64` (an `f64` JSON number): values files go through JSON.
    Float,
    /// go-yaml's types: integers stay `i64`/`u64`, floats are `f64`.
    Typed,
}

/// Parses a values file: every document must be a map (or empty); documents are merged.
pub fn parse(bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    let mut builder = Builder::new(bytes, Numbers::Float)?;
    let mut values = Map::new();
    while let Some((line, document)) = builder.document()? {
        match document {
            Value::Null => {}
            Value::Object(map) => merge_maps(&mut values, map),
            _ => {
                return Err(Error {
                    line,
                    message: "values must be a map of keys to values".to_owned(),
                });
            }
        }
    }
    Ok(values)
}

/// Parses the first YAML document of a file decoded into a Go struct (`Chart.yaml`,
/// `Chart.lock`): go-yaml's types are kept so that a number read into a string field can be
/// printed as go-yaml printed it. An empty file is `null`.
pub fn parse_typed(bytes: &[u8]) -> Result<Value, Error> {
    let mut builder = Builder::new(bytes, Numbers::Typed)?;
    Ok(builder.document()?.map_or(Value::Null, |(_, value)| value))
}

fn line_of_byte(bytes: &[u8], index: usize) -> usize {
    bytes[..index].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Every event of the stream, pulled one at a time: the parser's own `load` recurses once per
/// nesting level, so a deep document would overflow the stack before any check could run.
fn events(text: &str) -> Result<Vec<(Event, Marker)>, Error> {
    let mut parser = Parser::new_from_str(text);
    let mut events = Vec::new();
    loop {
        let (event, marker) = parser.next_token().map_err(|err| Error {
            line: err.marker().line(),
            // The scanner has a nesting limit of its own, past ours, for flow collections.
            message: if err.info() == "recursion limit exceeded" {
                yaml::too_deep_message()
            } else {
                err.info().to_owned()
            },
        })?;
        let end = event == Event::StreamEnd;
        events.push((event, marker));
        if end {
            return Ok(events);
        }
    }
}

struct Builder {
    events: Vec<(Event, Marker)>,
    pos: usize,
    /// Anchored values and how many nodes each holds.
    anchors: std::collections::HashMap<usize, (Value, usize)>,
    /// Nodes copied in by aliases so far, bounded by `yaml::MAX_ALIAS_NODES`.
    alias_nodes: usize,
    numbers: Numbers,
}

impl Builder {
    fn new(bytes: &[u8], numbers: Numbers) -> Result<Self, Error> {
        let text = std::str::from_utf8(bytes).map_err(|err| Error {
            line: line_of_byte(bytes, err.valid_up_to()),
            message: "the file is not UTF-8 text".to_owned(),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Ok(Builder {
            events: events(text)?,
            pos: 0,
            anchors: Default::default(),
            alias_nodes: 0,
            numbers,
        })
    }

    fn next(&mut self) -> Option<(Event, usize)> {
        let (event, marker) = self.events.get(self.pos)?;
        self.pos += 1;
        Some((event.clone(), marker.line()))
    }

    /// The next document and the line it starts on, or `None` at the end of the stream.
    fn document(&mut self) -> Result<Option<(usize, Value)>, Error> {
        loop {
            let Some((event, line)) = self.next() else {
                return Ok(None);
            };
            match event {
                Event::DocumentStart => {
                    let value = match self.events.get(self.pos) {
                        Some((Event::DocumentEnd, _)) => Value::Null,
                        _ => self.node(0)?.0,
                    };
                    return Ok(Some((line, value)));
                }
                Event::StreamEnd => return Ok(None),
                _ => {}
            }
        }
    }

    /// The next node and how many nodes it holds; `depth` is how many maps and lists hold it.
    fn node(&mut self, depth: usize) -> Result<(Value, usize), Error> {
        let Some((event, line)) = self.next() else {
            return Err(Error {
                line: 0,
                message: "unexpected end of the YAML stream".to_owned(),
            });
        };
        let nested = |line| {
            if depth >= MAX_DEPTH {
                Err(Error {
                    line,
                    message: yaml::too_deep_message(),
                })
            } else {
                Ok(depth + 1)
            }
        };
        let (value, nodes, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => (
                scalar(&text, style, tag.as_ref(), line, self.numbers)?,
                1,
                anchor,
            ),
            Event::SequenceStart(anchor, _) => {
                let inner = nested(line)?;
                let mut items = Vec::new();
                let mut nodes = 1;
                while !matches!(
                    self.events.get(self.pos),
                    Some((Event::SequenceEnd, _)) | None
                ) {
                    let (item, count) = self.node(inner)?;
                    items.push(item);
                    nodes += count;
                }
                self.pos += 1;
                (Value::Array(items), nodes, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let (map, nodes) = self.mapping(nested(line)?)?;
                (Value::Object(map), nodes, anchor)
            }
            Event::Alias(id) => {
                let (value, nodes) = self.anchors.get(&id).ok_or_else(|| Error {
                    line,
                    message: "unknown anchor".to_owned(),
                })?;
                // Checked before copying: the copy is what a "billion laughs" multiplies.
                self.alias_nodes = self.alias_nodes.saturating_add(*nodes);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(Error {
                        line,
                        message: yaml::too_many_aliases_message(),
                    });
                }
                return Ok((value.clone(), *nodes));
            }
            other => {
                return Err(Error {
                    line,
                    message: format!("unexpected YAML event {other:?}"),
                });
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), nodes));
        }
        Ok((value, nodes))
    }

    /// The entries of a map whose `MappingStart` was read, and how many nodes they hold.
    fn mapping(&mut self, depth: usize) -> Result<(Map<String, Value>, usize), Error> {
        let mut map = Map::new();
        let mut nodes = 1;
        loop {
            let line = match self.events.get(self.pos) {
                None => break,
                Some((Event::MappingEnd, _)) => {
                    self.pos += 1;
                    break;
                }
                Some((event, marker)) => {
                    if let Event::Scalar(text, TScalarStyle::Plain, _, None) = event
                        && text == "<<"
                    {
                        self.pos += 1;
                        nodes += self.merge_into(&mut map, marker.line(), depth)?;
                        continue;
                    }
                    marker.line()
                }
            };
            // Keys are resolved with go-yaml's types whatever the mode, then printed as
            // sigs.k8s.io/yaml prints them (`010` is `8`, `1e7` is `1e+07`).
            let numbers = std::mem::replace(&mut self.numbers, Numbers::Typed);
            let key = self.node(depth);
            self.numbers = numbers;
            let (key, key_nodes) = key?;
            let key = match key {
                Value::String(s) => s,
                Value::Null => "null".to_owned(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => match n.as_f64() {
                    Some(f) if n.is_f64() => format_float32_g(f),
                    _ => n.to_string(),
                },
                _ => {
                    return Err(Error {
                        line,
                        message: "a map key must be a scalar".to_owned(),
                    });
                }
            };
            let (value, value_nodes) = self.node(depth)?;
            nodes += key_nodes + value_nodes;
            map.insert(key, value);
        }
        Ok((map, nodes))
    }

    /// `<<: *base` or `<<: [*a, *b]`: the merged maps' keys, set in order.
    /// Returns how many nodes the merged sources held.
    fn merge_into(
        &mut self,
        map: &mut Map<String, Value>,
        line: usize,
        depth: usize,
    ) -> Result<usize, Error> {
        let (merged, nodes) = self.node(depth)?;
        let sources = match merged {
            Value::Object(source) => vec![source],
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::Object(source) => Ok(source),
                    _ => Err(Error {
                        line,
                        message: "map merge requires a map or a list of maps".to_owned(),
                    }),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(Error {
                    line,
                    message: "map merge requires a map or a list of maps".to_owned(),
                });
            }
        };
        for source in sources {
            for (key, value) in source {
                map.insert(key, value);
            }
        }
        Ok(nodes)
    }
}

fn scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
    line: usize,
    numbers: Numbers,
) -> Result<Value, Error> {
    let explicit = tag.map(|t| t.suffix.as_str());
    if style != TScalarStyle::Plain || matches!(explicit, Some("str" | "binary")) {
        return Ok(Value::String(text.to_owned()));
    }
    let float = |f: f64| {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| Error {
                line,
                message: format!("`{text}` ({f}) cannot be represented in JSON"),
            })
    };
    match resolve_plain(text) {
        Plain::Null => Ok(Value::Null),
        Plain::Bool(b) => Ok(Value::Bool(b)),
        Plain::Int(i) if numbers == Numbers::Typed => Ok(Value::from(i)),
        Plain::Uint(u) if numbers == Numbers::Typed => Ok(Value::from(u)),
        Plain::Int(i) => float(i as f64),
        Plain::Uint(u) => float(u as f64),
        Plain::Float(f) => float(f),
        Plain::String => Ok(Value::String(text.to_owned())),
    }
}

/// A plain scalar resolved by go-yaml v2's rules, with go-yaml's Go types.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `uint64`: integers above `int64`'s range.
    Uint(u64),
    /// `float64`.
    Float(f64),
    String,
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: how sigs.k8s.io/yaml prints a YAML float that
/// lands in a string (a map key, a string field of `Chart.yaml`): the shortest digits that
/// read back as the same `float32`, with an exponent below 1e-4 and from 1e6 (`1.1`,
/// `1e+06`). The engine's float printing, for `float32`.
pub use kchart_gotemplate::value::format_float32_g;

pub fn resolve_plain(text: &str) -> Plain {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Plain::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Plain::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match text.as_bytes()[0] {
        b'.' => text.parse::<f64>().map_or(Plain::String, Plain::Float),
        b'0'..=b'9' | b'+' | b'-' => {
            let plain = text.replace('_', "");
            if let Some(n) = go_parse_int(&plain) {
                return n;
            }
            if is_yaml_float(&plain) {
                return plain.parse::<f64>().map_or(Plain::String, Plain::Float);
            }
            Plain::String
        }
        _ => Plain::String,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint`: a sign, then `0x`, `0o`,
/// `0b` or a leading `0` (octal) choose the base.
fn go_parse_int(text: &str) -> Option<Plain> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if negative {
        // i64::MIN's magnitude is one more than i64::MAX.
        if magnitude > i64::MAX as u128 + 1 {
            return None;
        }
        Some(Plain::Int((-(magnitude as i128)) as i64))
    } else if let Ok(int) = i64::try_from(magnitude) {
        Some(Plain::Int(int))
    } else {
        u64::try_from(magnitude).ok().map(Plain::Uint)
    }
}

/// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsed, numbers printed as Go's JSON encoder prints `float64`s.
    fn parse_str(text: &str) -> Value {
        crate::chart::values::plain_numbers(Value::Object(parse(text.as_bytes()).unwrap()))
    }

    #[test]
    fn values_numbers_are_float64_and_typed_ones_keep_go_yaml_types() {
        let values = parse(
            b"i: 1
f: 1.5
big: 12345678901234567890
",
        )
        .unwrap();
        assert!(values.values().all(Value::is_f64), "{values:?}");
        let typed = parse_typed(
            b"i: 1
f: 1.0
big: 12345678901234567890
key: {1e7: x}
",
        )
        .unwrap();
        assert!(typed["i"].is_i64() && typed["f"].is_f64() && typed["big"].is_u64());
        assert_eq!(typed["key"]["1e+07"], "x");
        assert_eq!(parse_typed(b"").unwrap(), Value::Null);
    }

    #[test]
    fn floats_in_strings_print_as_float32() {
        let cases = [
            (1.1, "1.1"),
            (1.0, "1"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (16777217.0, "1.6777216e+07"),
            (-2.5, "-2.5"),
        ];
        for (f, expected) in cases {
            assert_eq!(format_float32_g(f), expected, "{f}");
        }
    }

    #[test]
    fn yaml_1_1_scalars_resolve_like_go_yaml_v2() {
        let cases = [
            ("yes", Value::Bool(true)),
            ("Y", Value::Bool(true)),
            ("On", Value::Bool(true)),
            ("TRUE", Value::Bool(true)),
            ("n", Value::Bool(false)),
            ("OFF", Value::Bool(false)),
            ("nO", Value::from("nO")),
            ("~", Value::Null),
            ("", Value::Null),
            ("NULL", Value::Null),
            ("0x10", Value::from(16)),
            ("0o17", Value::from(15)),
            ("0b101", Value::from(5)),
            ("010", Value::from(8)),
            ("08", Value::from(8)),
            ("09.5", Value::from(9.5)),
            ("1_000", Value::from(1000)),
            ("+12", Value::from(12)),
            ("-0", Value::from(0)),
            ("1e3", Value::from(1000)),
            ("1.e3", Value::from(1000)),
            ("1.0", Value::from(1)),
            (".5", Value::from(0.5)),
            ("1.5e-7", Value::from(1.5e-7)),
            ("9223372036854775807", Value::from(9223372036854776000_u64)),
            (
                "12345678901234567890",
                Value::from(12345678901234567000_u64),
            ),
            ("2001-12-14", Value::from("2001-12-14")),
            ("0x", Value::from("0x")),
            ("1.2.3", Value::from("1.2.3")),
            ("v1", Value::from("v1")),
        ];
        for (text, expected) in cases {
            let parsed = parse_str(&format!("k: {text}\n"));
            assert_eq!(parsed["k"], expected, "{text:?}");
        }
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        let v = parse_str("a: 'yes'\nb: \"1\"\nc: !!str 10\nd: |\n  on\n");
        assert_eq!(
            v,
            serde_json::json!({"a": "yes", "b": "1", "c": "10", "d": "on\n"})
        );
    }

    #[test]
    fn keys_are_resolved_then_stringified() {
        let v = parse_str("yes: 1\nn: 2\n010: 3\n~: 4\n");
        assert_eq!(
            v,
            serde_json::json!({"true": 1, "false": 2, "8": 3, "null": 4})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = parse_str("base: &b {x: 1, w: 2}\nother:\n  <<: *b\n  w: 3\nlist: [*b]\n");
        assert_eq!(
            v,
            serde_json::json!({"base": {"x": 1, "w": 2}, "other": {"x": 1, "w": 3}, "list": [{"x": 1, "w": 2}]})
        );
    }

    #[test]
    fn documents_are_merged_and_later_duplicates_win() {
        let v = parse_str("a: {x: 1}\nb: 1\nb: 2\n---\na: {w: 2}\n---\n");
        assert_eq!(v, serde_json::json!({"a": {"x": 1, "w": 2}, "b": 2}));
    }

    #[test]
    fn errors_carry_the_line() {
        let err = parse(b"a: 1\nb: [1\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        let err = parse(b"a: 1\nb: .inf\n").unwrap_err();
        assert_eq!(err.line, 2);
        let err = parse(b"a: 1\n---\n- 1\n").unwrap_err();
        assert!(err.message.contains("map"), "{err:?}");
        assert_eq!(parse(b"# only a comment\n").unwrap(), Map::new());
    }

    #[test]
    fn nesting_is_bounded_at_the_limit() {
        let lists = |depth: usize| format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        let indented = |depth: usize| {
            let mut text = String::new();
            for level in 0..depth {
                text.push_str(&format!("{}k:\n", "  ".repeat(level)));
            }
            text.push_str(&format!("{}k: 1\n", "  ".repeat(depth)));
            text
        };
        // The top-level map is one level: `a` may hold MAX_DEPTH - 1 lists.
        assert!(parse(lists(MAX_DEPTH - 1).as_bytes()).is_ok());
        assert!(parse(indented(MAX_DEPTH - 1).as_bytes()).is_ok());
        let cases = [
            lists(MAX_DEPTH),
            indented(MAX_DEPTH),
            format!("a:\n{}1\n", "- ".repeat(20_000)),
            format!("a: {}", "[".repeat(100_000)),
        ];
        for text in cases {
            let err = parse(text.as_bytes()).unwrap_err();
            assert!(
                err.message.contains("deeper than the limit of 100"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn alias_expansion_is_bounded() {
        let bomb = |levels: usize, width: usize| {
            let mut text = format!("a0: &a0 [{}]\n", vec!["lol"; width].join(", "));
            for level in 1..levels {
                let items = vec![format!("*a{}", level - 1); width].join(", ");
                text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
            }
            text
        };
        // 9 + 81 + 729 nodes through aliases: fine.
        let small = parse(bomb(4, 9).as_bytes()).unwrap();
        assert_eq!(small["a3"][8][8][8][8], "lol");
        let err = parse(bomb(10, 9).as_bytes()).unwrap_err();
        assert!(
            err.message.contains("aliases expand to more than"),
            "{err:?}"
        );
        assert_eq!(err.line, 7, "the first alias over the limit: {err:?}");
        // Merge keys copy through aliases too.
        let merges = format!(
            "base: &b {{{}}}\n{}",
            (0..1000)
                .map(|i| format!("k{i}: {i}"))
                .collect::<Vec<_>>()
                .join(", "),
            (0..1100)
                .map(|i| format!("m{i}: {{<<: *b}}\n"))
                .collect::<String>()
        );
        let err = parse(merges.as_bytes()).unwrap_err();
        assert!(err.message.contains("aliases expand"), "{err:?}");
    }
}
